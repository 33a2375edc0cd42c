"""Background work of the site (Django's tasks framework on the database queue by default).

One task runs one attempt of a job (`review.models.Job`); the job's kind decides what runs and on which
queue (`gpu` for training and conversion, `cpu` for transcoding and the comp), so studios run workers
where the hardware is. Everything else (claiming, heartbeat, progress, failure) is `review.services.jobs`.
"""
from __future__ import annotations

from django.tasks import task


@task(queue_name="cpu")
def job_execute(job_id: int, attempt: int) -> None:
    """Run attempt `attempt` of job `job_id` (enqueued on the job's own queue with `.using(queue_name=...)`)."""
    from review.services.jobs import job_run

    job_run(job_id, attempt)
