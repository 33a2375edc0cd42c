"""The kinds of job the site runs, by name: each kind module (`review.jobs.kinds.*`) registers its `JobKindSpec`
here, and the runner (`review.jobs.runner`) looks a job's kind up here; the runner imports no kind."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from review.models import Job
from review.permissions import Action

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class JobKindSpec:
    """How a kind of job runs. Plain jobs have `run`; chunked jobs `plan` frame ranges, `run_chunk` each
    on any worker and `join` them. `on_failed` and `on_done` keep the job's domain object in step, and
    `retry` (when given) replaces the generic re-run (a failed render is retried as a new render)."""

    queue: str
    retry_action: Action
    run: Callable[[Job, Progress], None] | None = None
    plan: Callable[[Job], list[tuple[int, int]]] | None = None
    run_chunk: Callable[[Job, Job, Progress], None] | None = None
    join: Callable[[Job, Progress], None] | None = None
    on_failed: Callable[[Job, str], None] | None = None
    on_done: Callable[[Job], None] | None = None
    retry: Callable[[Job, Any], Job] | None = None

    @property
    def chunked(self) -> bool:
        return self.plan is not None


_KINDS: dict[str, JobKindSpec] = {}


def register_kind(kind: str, spec: JobKindSpec) -> None:
    """Make `kind` runnable (called once per kind by `review.jobs.kinds.register_kinds`, from the app's ready())."""
    if _KINDS.get(kind, spec) is not spec:
        raise ValueError(f"job kind {kind!r} is registered twice")
    _KINDS[kind] = spec


def job_kind(kind: str) -> JobKindSpec:
    try:
        return _KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown job kind {kind!r}; known: {', '.join(sorted(_KINDS))}") from None


def job_kinds() -> dict[str, JobKindSpec]:
    """Every registered kind and its spec."""
    return dict(_KINDS)
