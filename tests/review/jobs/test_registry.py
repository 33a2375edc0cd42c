"""The job kinds' registry: every kind of `JobKind` runs (registered at start-up from review/jobs/kinds/), each
spec is a plain or a chunked job, and a name is registered once."""
from __future__ import annotations

import pytest

from review.choices import JobKind
from review.jobs.registry import JobKindSpec, job_kind, job_kinds, register_kind
from review.permissions import Action


def test_every_job_kind_is_registered_and_nothing_else():
    assert set(job_kinds()) == set(JobKind.values)


@pytest.mark.parametrize("kind", sorted(JobKind.values))
def test_each_kind_is_a_plain_or_a_chunked_job_on_a_known_queue(kind):
    spec = job_kind(kind)
    assert spec.queue in ("cpu", "gpu") and isinstance(spec.retry_action, Action)
    if spec.chunked:
        assert spec.run is None and spec.run_chunk is not None and spec.join is not None
    else:
        assert spec.run is not None and spec.run_chunk is None and spec.join is None
    assert spec.run_chunk is None or spec.run_chunk.__module__ == f"review.jobs.kinds.{kind}"
    assert spec.run is None or spec.run.__module__ == f"review.jobs.kinds.{kind}"


def test_a_name_is_registered_once_and_an_unknown_kind_is_named():
    register_kind(JobKind.RENDER, job_kind(JobKind.RENDER))  # the same spec again (a second ready()) is harmless
    with pytest.raises(ValueError, match="registered twice"):
        register_kind(JobKind.RENDER, JobKindSpec(queue="cpu", retry_action=Action.RENDER_QUEUE, run=print))
    with pytest.raises(ValueError, match=r"unknown job kind 'nope'; known: convert, engine, render, review_clip"):
        job_kind("nope")
