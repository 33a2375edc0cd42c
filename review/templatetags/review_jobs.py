"""`{% shot_jobs shot %}`: the shot page's jobs (progress, log, failure, Retry for whoever may start them),
kept live by the page's script (frontend/src/jobs.ts) over the shot's jobs socket."""
from __future__ import annotations

from typing import Any

from django import template

from review.jobs.engine_paths import ENGINE_VARIANTS
from review.jobs.registry import job_kinds
from review.permissions import Action, allowed
from review.selectors.jobs import shot_jobs

register = template.Library()


@register.inclusion_tag("review/jobs.html", takes_context=True)
def shot_jobs_table(context: dict[str, Any], shot: Any) -> dict[str, Any]:
    user = context["request"].user
    project_id = shot.sequence.project_id
    retry_kinds = sorted(kind for kind, spec in job_kinds().items() if allowed(user, project_id, spec.retry_action))
    jobs = list(shot_jobs(shot_id=shot.id))
    for job in jobs:
        chunks = list(job.chunks.all())
        job.chunk_total, job.chunk_done = len(chunks), sum(c.state == "done" for c in chunks)
    return {"shot": shot, "jobs": jobs, "retry_kinds": retry_kinds, "csrf_token": context.get("csrf_token"),
            "may_run_engine": allowed(user, project_id, Action.ENGINE_RUN), "engine_variants": ENGINE_VARIANTS}
