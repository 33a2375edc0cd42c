"""The job task's former address: tasks queued before the jobs moved to `review.jobs` name
`review.tasks.job_execute`, and the database queue imports them by that name. New tasks are queued as
`review.jobs.runner.job_execute`."""
from __future__ import annotations

from review.jobs.runner import job_execute

__all__ = ["job_execute"]
