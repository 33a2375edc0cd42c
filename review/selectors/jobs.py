"""Reads of jobs: a shot's jobs for its page, and what changed since a moment (the jobs socket's poll)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from review.jobs.live import job_message
from review.models import Job


def shot_jobs(*, shot_id: int, limit: int | None = 20) -> QuerySet[Job]:
    """The shot's latest top-level jobs (all of them with limit None), newest first, with their chunks."""
    jobs = (Job.objects.filter(shot_id=shot_id, parent__isnull=True).select_related("requested_by")
            .prefetch_related("chunks").order_by("-created", "-id"))
    return jobs if limit is None else jobs[:limit]


def job_get(*, job_id: int) -> Job:
    """A job with its shot (404 when unknown; the caller checks the user may see the shot)."""
    return get_object_or_404(Job.objects.select_related("shot__sequence"), pk=job_id)


def jobs_changed_since(*, shot_id: int, since: datetime | None) -> tuple[list[dict[str, Any]], datetime]:
    """The shot's jobs updated after `since` as job events (none on the first call), and the new mark."""
    now = timezone.now()
    if since is None:
        return [], now
    changed = Job.objects.filter(shot_id=shot_id, updated__gt=since).order_by("updated", "id")
    return [{"shot": shot_id, **job_message(job)} for job in changed], now
