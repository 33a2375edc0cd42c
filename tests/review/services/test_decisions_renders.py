"""Picks, decisions and renders: approval queues a render, the task runs it, the pipeline finishes it."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tasks_db.models import DBTaskResult

from review.choices import RenderState, ShotStatus
from review.errors import Conflict, TransitionNotAllowed
from review.models import Decision, Render
from review.services.edits import decision_create, edit_create
from review.services.renders import render_queue, render_report
from review.services.shots import shot_move
from review.jobs.runner import job_execute
from tests.review.factories import VariantFactory
from tests.review.media import uploaded


@pytest.fixture
def in_review(world):
    world.variants = [VariantFactory(shot=world.shot, label="rigid"), VariantFactory(shot=world.shot, label="loose")]
    shot_move(shot=world.shot, to=ShotStatus.IN_REVIEW, actor=None)
    return world


def _pick(world, **kw):
    a, b = world.variants
    return edit_create(shot=world.shot, actor=world.users["supervisor"], segments=[
        {"variant": a.id, "frame_start": 1001, "frame_end": 1006},
        {"variant": b.id, "frame_start": 1007, "frame_end": 1012, "transition": 2}], **kw)


def test_edits_are_versioned_and_checked(in_review):
    first, second = _pick(in_review), _pick(in_review)
    assert (first.version, second.version) == (1, 2)
    assert second.segments[0]["transition"] == 0
    with pytest.raises(ValidationError, match="outside the shot"):
        edit_create(shot=in_review.shot, actor=in_review.users["supervisor"],
                    segments=[{"variant": in_review.variants[0].id, "frame_start": 990, "frame_end": 1012}])
    with pytest.raises(ValidationError, match="overlapping"):
        edit_create(shot=in_review.shot, actor=in_review.users["supervisor"], segments=[
            {"variant": in_review.variants[0].id, "frame_start": 1001, "frame_end": 1008},
            {"variant": in_review.variants[1].id, "frame_start": 1005, "frame_end": 1012}])
    with pytest.raises(ValidationError, match="leaving frames 1007-1008 without a variant"):
        edit_create(shot=in_review.shot, actor=in_review.users["supervisor"], segments=[
            {"variant": in_review.variants[0].id, "frame_start": 1001, "frame_end": 1006},
            {"variant": in_review.variants[1].id, "frame_start": 1009, "frame_end": 1012}])
    with pytest.raises(ValidationError, match="frames 1011-1012 have no variant"):
        edit_create(shot=in_review.shot, actor=in_review.users["supervisor"],
                    segments=[{"variant": in_review.variants[0].id, "frame_start": 1001, "frame_end": 1010}])
    other = VariantFactory()
    with pytest.raises(ValidationError, match="not a variant of shot"):
        edit_create(shot=in_review.shot, actor=in_review.users["supervisor"],
                    segments=[{"variant": other.id, "frame_start": 1001, "frame_end": 1012}])


def test_only_the_supervisor_picks(in_review):
    with pytest.raises(PermissionDenied, match="only a supervisor"):
        edit_create(shot=in_review.shot, actor=in_review.users["artist"],
                    segments=[{"variant": in_review.variants[0].id, "frame_start": 1001, "frame_end": 1012}])


def test_approval_queues_a_render_that_the_task_starts(in_review, django_capture_on_commit_callbacks):
    edit = _pick(in_review)
    with django_capture_on_commit_callbacks(execute=True):
        decision_create(edit=edit, actor=in_review.users["supervisor"], verdict="approve", comment="lovely")
    in_review.shot.refresh_from_db()
    assert in_review.shot.status == ShotStatus.APPROVED
    render = Render.objects.get(shot=in_review.shot)
    assert render.state == RenderState.QUEUED and render.edit == edit
    task = DBTaskResult.objects.get(id=render.task_id)
    job = render.jobs.get(parent=None)
    assert task.task_path == "review.jobs.runner.job_execute" and task.queue_name == "cpu"
    assert task.args_kwargs["args"] == [job.id, 1]
    # a task queued before the jobs moved to review/jobs/ names the old path: the queue still finds the task
    DBTaskResult.objects.filter(pk=task.pk).update(task_path="review.tasks.job_execute")
    assert DBTaskResult.objects.get(pk=task.pk).task.func is job_execute.func

    job_execute.call(job.id, 1)
    render.refresh_from_db()
    in_review.shot.refresh_from_db()
    assert render.state == RenderState.RUNNING and render.started is not None
    assert in_review.shot.status == ShotStatus.RENDERING


def test_pipeline_reports_render_to_final(in_review, clips):
    edit = _pick(in_review)
    decision_create(edit=edit, actor=in_review.users["supervisor"], verdict="approve")
    render = Render.objects.get(shot=in_review.shot)
    pipeline = in_review.users["pipeline"]
    render_report(render=render, actor=pipeline, state="running", progress=0.5, log="frame 1006")
    with pytest.raises(Conflict, match="without its output"):
        render_report(render=render, actor=pipeline, state="done")
    render_report(render=render, actor=pipeline, state="done", output=uploaded(clips["good"]), log="done")
    render.refresh_from_db()
    in_review.shot.refresh_from_db()
    assert render.state == RenderState.DONE and render.progress == 1.0 and render.output
    assert render.log == "frame 1006\ndone"
    assert in_review.shot.status == ShotStatus.FINAL
    with pytest.raises(Conflict, match="is done and cannot become running"):
        render_report(render=render, actor=pipeline, state="running")


def test_failed_render_returns_to_approved_and_can_be_queued_again(in_review):
    edit = _pick(in_review)
    decision_create(edit=edit, actor=in_review.users["supervisor"], verdict="approve")
    render = Render.objects.get(shot=in_review.shot)
    with pytest.raises(Conflict, match="already has a render"):
        render_queue(shot=in_review.shot, actor=in_review.users["supervisor"])
    render_report(render=render, actor=in_review.users["pipeline"], state="running")
    render_report(render=render, actor=in_review.users["pipeline"], state="failed", log="out of memory")
    in_review.shot.refresh_from_db()
    assert in_review.shot.status == ShotStatus.APPROVED
    again = render_queue(shot=in_review.shot, actor=in_review.users["supervisor"])
    assert again.state == RenderState.QUEUED and again.id != render.id


def test_one_decision_per_edit_and_only_on_the_latest(in_review):
    edit = _pick(in_review)
    decision_create(edit=edit, actor=in_review.users["supervisor"], verdict="request_changes", comment="jaw")
    in_review.shot.refresh_from_db()
    assert in_review.shot.status == ShotStatus.CHANGES_REQUESTED
    with pytest.raises(Conflict, match="already decided"):
        decision_create(edit=edit, actor=in_review.users["supervisor"], verdict="approve")
    older, newer = _pick(in_review), _pick(in_review)
    with pytest.raises(Conflict, match="v2 of SQ010/SH010 is superseded by v3"):
        decision_create(edit=older, actor=in_review.users["supervisor"], verdict="approve")
    decision_create(edit=newer, actor=in_review.users["supervisor"], verdict="approve")
    assert Decision.objects.count() == 2


def test_approval_on_hold_is_refused_whole(in_review):
    edit = _pick(in_review)
    shot_move(shot=in_review.shot, to=ShotStatus.ON_HOLD, actor=None)
    with pytest.raises(TransitionNotAllowed):
        decision_create(edit=edit, actor=in_review.users["supervisor"], verdict="approve")
    assert not Decision.objects.exists() and not Render.objects.exists()
