"""Jobs on the site: review clips for bare uploads, the chunked final render to a final shot, failure shown
and retried by the right role, the duplicate-render guard, the reaper, re-render when fixes arrive."""
from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pipeline.comp.preview import render_edit_preview
from pipeline.media.clip import open_clip
from review.choices import JobKind, JobState, RenderState, ShotStatus
from review.errors import Conflict
from review.jobs.kinds import review_clip
from review.jobs.kinds.render import render_inputs
from review.jobs.runner import JobLost, JobReporter, job_claim, job_create, job_execute, job_retry, jobs_reap
from review.models import Job, Render
from tests.review.jobs.conftest import accept_white_fix, approve, drain


def _frames(path: Path) -> list[np.ndarray]:
    with open_clip(path, first_frame=1001, fps="24") as clip:
        return [clip.read_srgb8(f) for f in clip.frame_range]


def test_bare_upload_gets_review_clip_thumbnail_and_filmstrip(published):
    for variant in published.variants:
        variant.refresh_from_db()
        job = Job.objects.get(variant=variant, kind=JobKind.REVIEW_CLIP)
        assert job.state == JobState.DONE and job.progress == 1.0 and job.queue == "cpu"
        assert "review clip" in job.log
        assert Path(variant.thumbnail.path).is_file() and Path(variant.filmstrip.path).is_file()
        assert variant.filmstrip_layout["frame_count"] == 12 and variant.clip_frames == 12
        assert len(_frames(Path(variant.clip.path))) == 12


def test_approval_renders_in_chunks_to_a_final_shot(published):
    edit = approve(published)
    drain()
    render = Render.objects.get(shot=published.shot)
    published.shot.refresh_from_db()
    assert render.state == RenderState.DONE and render.progress == 1.0 and render.output
    assert published.shot.status == ShotStatus.FINAL
    job = Job.objects.get(render=render, parent=None)
    chunks = list(job.chunks.order_by("chunk_index"))
    assert [(c.frame_start, c.frame_end) for c in chunks] == [(1001, 1005), (1006, 1010), (1011, 1012)]
    assert job.state == JobState.DONE and all(c.state == JobState.DONE for c in chunks)
    # the chunked render is the whole render of the same edit, frame for frame
    inputs = render_inputs(render)
    whole = render_edit_preview(edit.segments, inputs["clips"], Path(render.output.path).with_name("whole.mp4"),
                                first_frame=1001, fps=inputs["fps"])
    assert all(np.array_equal(a, b) for a, b in zip(_frames(Path(render.output.path)), _frames(whole.mp4),
                                                     strict=True))


def test_failure_is_shown_and_retried_by_the_supervisor_only(published):
    approve(published)
    rigid = published.variants[0]
    rigid.refresh_from_db()
    Path(rigid.clip.path).rename(Path(rigid.clip.path).with_suffix(".gone"))
    drain()
    job = Job.objects.get(render__shot=published.shot, parent=None)
    assert job.state == JobState.FAILED and "no such file" in job.error and rigid.clip.name.split("/")[-1] in job.error
    assert Render.objects.get(pk=job.render_id).state == RenderState.FAILED
    published.shot.refresh_from_db()
    assert published.shot.status == ShotStatus.APPROVED
    with pytest.raises(PermissionDenied, match="only a supervisor"):
        job_retry(job=job, actor=published.users["artist"])
    Path(rigid.clip.path).with_suffix(".gone").rename(rigid.clip.path)
    again = job_retry(job=job, actor=published.users["supervisor"])
    assert again.pk != job.pk and again.state == JobState.QUEUED
    drain()
    again.refresh_from_db()
    published.shot.refresh_from_db()
    assert again.state == JobState.DONE and published.shot.status == ShotStatus.FINAL
    with pytest.raises(Conflict, match="only a failed job"):
        job_retry(job=again, actor=published.users["supervisor"])


def test_plain_job_retry_runs_it_again(published):
    job = Job.objects.filter(kind=JobKind.REVIEW_CLIP).first()
    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED, error="boom")
    with pytest.raises(PermissionDenied):
        job_retry(job=job, actor=published.users["supervisor"])
    retried = job_retry(job=job, actor=published.users["pipeline"])
    assert (retried.pk, retried.attempt, retried.state) == (job.pk, 2, JobState.QUEUED)
    drain()
    retried.refresh_from_db()
    assert retried.state == JobState.DONE and "retried by pipeline1" in retried.log


def test_a_job_logs_through_its_kinds_logger_and_leaves_the_root_logger_alone(published, monkeypatch):
    """The job's log gathers the engine's and the site's records through handlers on those loggers: a host's
    root logger (and whatever else logs in the worker) is not touched while a job runs."""
    root = logging.getLogger()
    root_handlers, seen = list(root.handlers), []
    make = review_clip.make_review_clip

    def spy(*args, **kwargs):
        seen.append(list(root.handlers))
        logging.getLogger("pipeline.spy").info("engine record")
        logging.getLogger("elsewhere").warning("not the job's")
        return make(*args, **kwargs)

    monkeypatch.setattr(review_clip, "make_review_clip", spy)
    job = Job.objects.filter(kind=JobKind.REVIEW_CLIP).first()
    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED)
    job_retry(job=job, actor=published.users["pipeline"])
    drain()
    job.refresh_from_db()
    assert job.state == JobState.DONE and seen == [root_handlers] and root.handlers == root_handlers
    assert "INFO pipeline.spy: engine record" in job.log and "not the job's" not in job.log
    assert "INFO review.jobs.kinds.review_clip: " in job.log


def test_the_same_render_never_runs_twice(published):
    approve(published)
    render = Render.objects.get(shot=published.shot)
    job = Job.objects.get(render=render, parent=None)
    with pytest.raises(Conflict, match="already queued or running"):
        job_create(shot=published.shot, kind=JobKind.RENDER, render=render)
    # the same attempt enqueued twice: the second task finds it taken and does nothing
    job_execute.using(queue_name="cpu").enqueue(job.id, job.attempt)
    assert DBTaskResult.objects.filter(args_kwargs__args=[job.id, 1]).count() == 2
    drain()
    assert Job.objects.filter(render=render, parent=None).count() == 1
    assert Job.objects.get(pk=job.pk).log.count("attempt 1 on") == 1
    assert Render.objects.get(pk=render.pk).state == RenderState.DONE


def test_reaper_requeues_a_dead_workers_job_then_gives_up(published, settings):
    job = job_create(shot=published.shot, kind=JobKind.REVIEW_CLIP, variant=published.variants[0])
    claimed = job_claim(job_id=job.id, attempt=1, worker="dead-host:1")
    later = timezone.now() + timedelta(seconds=settings.FACEREPLACE_JOB_STALE_SECONDS + 1)
    assert any("re-queued" in line for line in jobs_reap(now=later))
    job.refresh_from_db()
    assert (job.state, job.attempt) == (JobState.QUEUED, 2) and "dead-host:1 stopped responding" in job.log
    with pytest.raises(JobLost):  # the dead attempt, should it wake up, can no longer write
        JobReporter(claimed)(0.5, "late")
    for attempt in (2, 3):
        job_claim(job_id=job.id, attempt=attempt, worker="dead-host:1")
        later += timedelta(seconds=settings.FACEREPLACE_JOB_STALE_SECONDS + 1)
        jobs_reap(now=later)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "gave up after 3 attempts" in job.error


def test_accepted_fix_renders_a_final_shot_again_with_the_fix(published, tmp_path):
    approve(published)
    drain()
    accept_white_fix(published, tmp_path, 1003, (64, 48))
    drain()
    renders = list(Render.objects.filter(shot=published.shot).order_by("id"))
    assert [r.state for r in renders] == [RenderState.DONE, RenderState.DONE]
    frames = _frames(Path(renders[1].output.path))
    assert frames[2].mean() > 250 and frames[1].mean() < 250
    published.shot.refresh_from_db()
    assert published.shot.status == ShotStatus.FINAL


def test_fix_accepted_while_rendering_is_followed_by_another_render(published, tmp_path):
    from django_tasks_db.management.commands.db_worker import Worker

    approve(published)
    Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False, max_tasks=1,
           worker_id="one-task", excluded_queue_names=[]).run()  # the render has started and planned its chunks
    first = Render.objects.get(shot=published.shot)
    assert first.state == RenderState.RUNNING
    accept_white_fix(published, tmp_path, 1011, (64, 48))
    assert Job.objects.get(render=first, parent=None).followup
    drain()
    renders = list(Render.objects.filter(shot=published.shot).order_by("id"))
    assert [r.state for r in renders] == [RenderState.DONE, RenderState.DONE]
    assert _frames(Path(renders[1].output.path))[10].mean() > 250


def test_jobs_reap_command_requeues_what_a_dead_worker_left(published):
    from io import StringIO

    from django.core.management import call_command

    job = job_create(shot=published.shot, kind=JobKind.REVIEW_CLIP, variant=published.variants[1])
    job_claim(job_id=job.id, attempt=1, worker="gone:7")
    Job.objects.filter(pk=job.id).update(heartbeat=timezone.now() - timedelta(minutes=5))
    out = StringIO()
    call_command("jobs_reap", stdout=out)
    assert f"re-queued review clip job {job.id}" in out.getvalue() and "gone:7 stopped responding" in out.getvalue()
    drain()
    job.refresh_from_db()
    assert (job.state, job.attempt) == (JobState.DONE, 2)
