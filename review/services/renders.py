"""Final renders: queued when an edit is approved (or by hand), run by a task, reported by the pipeline.

queued -> running -> done | failed. Running moves the shot to rendering, done to final, failed back to
approved so a new render can be queued. At most one active render per shot (a database constraint).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from review.choices import RENDER_STATE_ACTIVE, DecisionVerdict, JobKind, RenderState, ShotStatus
from review.errors import Conflict
from review.jobs.runner import job_create
from review.models import Edit, Job, Render, Shot
from review.paths import without_server_paths
from review.permissions import Action, require
from review.services.activity import activity_record, broadcast
from review.services.media import upload_probe, upload_size_check
from review.services.notifications import notify_assignees
from review.services.shots import shot_move

logger = logging.getLogger(__name__)

_NEXT_STATES = {
    RenderState.QUEUED: {RenderState.RUNNING, RenderState.FAILED},
    RenderState.RUNNING: {RenderState.RUNNING, RenderState.DONE, RenderState.FAILED},
    RenderState.DONE: set(),
    RenderState.FAILED: set(),
}


def _progress_message(render: Render) -> dict[str, Any]:
    return {"type": "render.progress", "render": render.id, "progress": render.progress, "state": render.state}


def render_queue_for_approval(*, shot: Shot, edit: Edit, actor: Any) -> Render:
    """Queue the final render of `edit` (no role check: called by the approval, which checked its own)."""
    render = Render(shot=shot, edit=edit, requested_by=actor)
    render.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            render.save()
    except IntegrityError:
        raise Conflict(f"shot {shot} already has a render queued or running; wait for it to finish") from None
    activity_record(shot=shot, actor=actor, verb="render.queued",
                    summary=f"{shot}: final render of edit v{edit.version} queued",
                    data={"render": render.id, "edit": edit.id}, message=_progress_message(render))
    job_create(shot=shot, kind=JobKind.RENDER, render=render, actor=actor)
    return render


@transaction.atomic
def render_queue(*, shot: Shot, actor: Any) -> Render:
    """Queue a new final render of the shot's approved edit (e.g. after a failed one or new frame fixes)."""
    require(actor, shot.sequence.project_id, Action.RENDER_QUEUE)
    Shot.objects.select_for_update().filter(pk=shot.pk).first()
    edit = (Edit.objects.filter(shot=shot, decisions__verdict=DecisionVerdict.APPROVE).order_by("-version").first())
    if edit is None:
        raise Conflict(f"shot {shot} has no approved edit to render; approve an edit first")
    if Render.objects.filter(shot=shot, state__in=RENDER_STATE_ACTIVE).exists():
        raise Conflict(f"shot {shot} already has a render queued or running; wait for it to finish")
    return render_queue_for_approval(shot=shot, edit=edit, actor=actor)


@transaction.atomic
def render_start(*, render: Render) -> Render:
    """The worker took the render: running, and the shot is rendering."""
    return _render_change(render=render, actor=None, state=RenderState.RUNNING)


@transaction.atomic
def render_complete(*, render: Render, output: Path, log: str = "") -> Render:
    """The worker's render finished: its clip is stored under a server-chosen name and the shot is final."""
    with output.open("rb") as clip:
        render.output.save("final.mp4", File(clip), save=False)
    try:
        return _render_change(render=render, actor=None, state=RenderState.DONE, log=without_server_paths(log))
    except BaseException:
        render.output.storage.delete(render.output.name)
        raise


@transaction.atomic
def render_fail(*, render: Render, error: str) -> Render | None:
    """The worker's render failed (the shot goes back to approved, so it can be queued again)."""
    if not Render.objects.filter(pk=render.pk, state__in=RENDER_STATE_ACTIVE).exists():
        return None
    return _render_change(render=render, actor=None, state=RenderState.FAILED, log=without_server_paths(error))


@transaction.atomic
def render_requeue_for_fix(*, shot: Shot, actor: Any) -> Render | None:
    """A fix was accepted on an approved, rendering or final shot: render again so the final carries it.

    A queued render reads the fixes when it runs; a running one may have passed the frame, so it is
    marked to be followed by another render when it is done.
    """
    if shot.status not in (ShotStatus.APPROVED, ShotStatus.RENDERING, ShotStatus.FINAL):
        return None
    Shot.objects.select_for_update().filter(pk=shot.pk).first()
    active = Render.objects.filter(shot=shot, state__in=RENDER_STATE_ACTIVE).first()
    if active is not None:
        if active.state == RenderState.RUNNING:
            Job.objects.filter(render=active, parent__isnull=True).update(followup=True)
        return None
    edit = Edit.objects.filter(shot=shot, decisions__verdict=DecisionVerdict.APPROVE).order_by("-version").first()
    if edit is None:
        return None
    return render_queue_for_approval(shot=shot, edit=edit, actor=actor)


@transaction.atomic
def render_report(*, render: Render, actor: Any, state: str | None = None, progress: float | None = None,
                  log: str = "", output: UploadedFile | None = None) -> Render:
    """The pipeline reports a render: progress (0..1), log lines, and at the end its output clip or a failure."""
    require(actor, render.shot.sequence.project_id, Action.RENDER_UPDATE)
    if output is not None:
        upload_size_check(output.size, what=f"render output {output.name!r}")
        info = upload_probe(output)
        render.output.save(f"final{info.suffix}", output, save=False)
    try:
        return _render_change(render=render, actor=actor, state=state, progress=progress, log=log)
    except BaseException:
        if output is not None:
            render.output.storage.delete(render.output.name)
        raise


def _render_change(*, render: Render, actor: Any, state: str | None = None, progress: float | None = None,
                   log: str = "") -> Render:
    locked = Render.objects.select_for_update().select_related("shot__sequence", "edit").get(pk=render.pk)
    target = state or locked.state
    if target not in RenderState.values or target not in _NEXT_STATES[locked.state] | {locked.state}:
        allowed = ", ".join(sorted(_NEXT_STATES[locked.state])) or "none (it is finished)"
        raise Conflict(f"render {locked.id} is {locked.state} and cannot become {target}; allowed: {allowed}")
    if target == RenderState.DONE and not (render.output or locked.output):
        raise Conflict(f"render {locked.id} cannot be done without its output clip; upload `output`")
    shot = locked.shot
    previous = locked.state
    locked.state = target
    if render.output and render.output.name != locked.output.name:
        locked.output = render.output.name
    if progress is not None:
        locked.progress = float(progress)
    if target == RenderState.DONE:
        locked.progress = 1.0
    if log:
        locked.log = (locked.log + ("\n" if locked.log else "") + log)[-200_000:]
    now = timezone.now()
    if target == RenderState.RUNNING and locked.started is None:
        locked.started = now
    if target in (RenderState.DONE, RenderState.FAILED):
        locked.finished = now
    locked.full_clean(validate_constraints=False)
    locked.save()
    if target != previous:
        activity_record(shot=shot, actor=actor, verb=f"render.{target}",
                        summary=f"{shot}: render {locked.id} {RenderState(target).label.lower()}",
                        data={"render": locked.id})
        if target in (RenderState.DONE, RenderState.FAILED):
            notify_assignees(shot=shot, actor=actor, verb=f"render.{target}", also=[locked.requested_by],
                             summary=f"{shot}: render {locked.id} {RenderState(target).label.lower()}")
        follow = {RenderState.RUNNING: ShotStatus.RENDERING, RenderState.DONE: ShotStatus.FINAL,
                  RenderState.FAILED: ShotStatus.APPROVED}[target]
        if shot.status in (ShotStatus.APPROVED, ShotStatus.RENDERING) and shot.status != follow:
            shot_move(shot=shot, to=follow, actor=actor, reason=f"render {locked.id} {target}")
    broadcast(shot=shot, message=_progress_message(locked))
    render.__dict__.update(locked.__dict__)
    return locked
