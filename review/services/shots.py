"""Shots and their status: the one place where a shot's status changes, checked against the allowed transitions.

waiting -> training -> in_review <-> changes_requested -> approved -> rendering -> final, plus on_hold (returns
to where it was) and omitted. Publishing, deciding and rendering move the status themselves (`shot_move`);
people set by hand only hold/omit/resume (producer, supervisor) and waiting/training (supervisor, pipeline).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from review.choices import ShotStatus as St
from review.errors import Conflict, TransitionNotAllowed, UploadRejected
from review.models import Membership, Project, Sequence, Shot
from review.permissions import Action, allowed, require
from review.services.activity import activity_record
from review.services.media import upload_probe, upload_size_check
from review.services.notifications import notify_assignees

TRANSITIONS: dict[str, frozenset[str]] = {
    St.WAITING: frozenset({St.TRAINING, St.IN_REVIEW, St.ON_HOLD, St.OMITTED}),
    St.TRAINING: frozenset({St.WAITING, St.IN_REVIEW, St.ON_HOLD, St.OMITTED}),
    St.IN_REVIEW: frozenset({St.CHANGES_REQUESTED, St.APPROVED, St.ON_HOLD, St.OMITTED}),
    St.CHANGES_REQUESTED: frozenset({St.TRAINING, St.IN_REVIEW, St.APPROVED, St.ON_HOLD, St.OMITTED}),
    St.APPROVED: frozenset({St.RENDERING, St.CHANGES_REQUESTED, St.ON_HOLD, St.OMITTED}),
    St.RENDERING: frozenset({St.FINAL, St.APPROVED, St.ON_HOLD, St.OMITTED}),
    St.FINAL: frozenset({St.CHANGES_REQUESTED, St.OMITTED}),
    St.ON_HOLD: frozenset({St.OMITTED}),  # plus the status it was held from: see allowed_transitions
    St.OMITTED: frozenset({St.WAITING}),
}

# What people may set by hand, and the permission each needs; the rest is derived from what happens.
MANUAL_TARGETS: dict[str, Action] = {
    St.ON_HOLD: Action.SHOT_HOLD,
    St.OMITTED: Action.SHOT_HOLD,
    St.TRAINING: Action.SHOT_TRAINING,
    St.WAITING: Action.SHOT_TRAINING,
}


def allowed_transitions(shot: Shot) -> frozenset[str]:
    allowed = TRANSITIONS[shot.status]
    if shot.status == St.ON_HOLD:
        allowed = allowed | {shot.held_from or St.WAITING}
    return allowed


def _manual_action(shot: Shot, target: str) -> Action | None:
    if shot.status in (St.ON_HOLD, St.OMITTED):  # resuming is part of holding
        return Action.SHOT_HOLD
    return MANUAL_TARGETS.get(target)


def manual_transitions(shot: Shot, actor: Any = None) -> list[str]:
    """Statuses a person may set by hand from here (only those `actor`'s role allows, when given)."""
    targets = ((t, _manual_action(shot, t)) for t in allowed_transitions(shot))
    return sorted(t for t, action in targets if action is not None and (
        actor is None or allowed(actor, shot.sequence.project_id, action)))


@transaction.atomic
def shot_move(*, shot: Shot, to: str, actor: Any, reason: str = "") -> Shot:
    """Move `shot` to status `to` if the transition is allowed; record and broadcast it. No role check:
    callers are services that already checked theirs (or the derived transitions of publish/decide/render)."""
    locked = Shot.objects.select_for_update().select_related("sequence").get(pk=shot.pk)
    if to == locked.status:
        return locked
    allowed = allowed_transitions(locked)
    if to not in allowed:
        raise TransitionNotAllowed(current=locked.status, target=to, allowed=allowed)
    previous = locked.status
    locked.held_from = previous if to == St.ON_HOLD else ""
    locked.status = to
    locked.full_clean()
    locked.save(update_fields=["status", "held_from", "updated"])
    label = St(to).label
    activity_record(shot=locked, actor=actor, verb="status.changed",
                    summary=f"{locked}: {St(previous).label} -> {label}" + (f" ({reason})" if reason else ""),
                    data={"from": previous, "to": to, "reason": reason},
                    message={"type": "status.changed", "status": to, "status_label": label,
                             "colour": St(to).colour, "previous": previous})
    notify_assignees(shot=locked, actor=actor, verb="status.changed",
                     summary=f"{locked}: {St(previous).label} -> {label}" + (f" ({reason})" if reason else ""))
    shot.status, shot.held_from = locked.status, locked.held_from
    return locked


@transaction.atomic
def shot_set_status(*, shot: Shot, status: str, actor: Any) -> Shot:
    """A person sets a shot's status by hand (hold, omit, resume, waiting/training), checked by role and by
    the transitions; derived statuses (in review, approved, rendering, final...) are refused with 409."""
    if status not in St.values:
        raise TransitionNotAllowed(current=shot.status, target=status, allowed=manual_transitions(shot),
                                   why=" (unknown status)")
    action = _manual_action(shot, status)
    if action is None:
        raise TransitionNotAllowed(current=shot.status, target=status, allowed=manual_transitions(shot),
                                   why=" by hand (it follows from publishing, deciding or rendering)")
    require(actor, shot.sequence.project_id, action)
    if status not in allowed_transitions(shot):
        raise TransitionNotAllowed(current=shot.status, target=status, allowed=manual_transitions(shot))
    return shot_move(shot=shot, to=status, actor=actor)


@transaction.atomic
def sequence_create(*, project: Project, code: str, actor: Any, name: str = "") -> Sequence:
    require(actor, project.id, Action.SHOT_CREATE)
    if Sequence.objects.filter(project=project, code=code).exists():
        raise Conflict(f"sequence {project.code}/{code} exists already")
    sequence = Sequence(project=project, code=code, name=name)
    sequence.full_clean()
    sequence.save()
    return sequence


@transaction.atomic
def shot_create(*, project: Project, sequence_code: str, code: str, actor: Any, frame_start: int = 1001,
                frame_end: int = 1001, fps_num: int = 24, fps_den: int = 1, description: str = "",
                due_date: date | None = None, start_timecode: str = "") -> Shot:
    """Create a shot in the project's sequence `sequence_code` (made too when new)."""
    require(actor, project.id, Action.SHOT_CREATE)
    sequence = Sequence.objects.filter(project=project, code=sequence_code).first()
    if sequence is None:
        sequence = sequence_create(project=project, code=sequence_code, actor=actor)
    if sequence.shots.filter(code=code).exists():
        raise Conflict(f"shot {sequence}/{code} exists already")
    shot = Shot(sequence=sequence, code=code, frame_start=frame_start, frame_end=frame_end, fps_num=fps_num,
                fps_den=fps_den, description=description, due_date=due_date, start_timecode=start_timecode)
    shot.full_clean()
    shot.save()
    activity_record(shot=shot, actor=actor, verb="shot.created",
                    summary=f"{shot} created ({frame_start}-{frame_end} at {fps_num}/{fps_den} fps)",
                    message={"type": "shot.created"})
    return shot


@transaction.atomic
def shot_update(*, shot: Shot, actor: Any, **changes: Any) -> Shot:
    """Change schedule fields (due_date, description, assignees as a list of users) and the start timecode."""
    require(actor, shot.sequence.project_id, Action.SHOT_UPDATE)
    unknown = set(changes) - {"due_date", "description", "assignees", "start_timecode"}
    if unknown:
        raise ValueError(f"cannot change {', '.join(sorted(unknown))} of a shot here")
    assignees = changes.pop("assignees", None)
    if assignees is not None:
        members = set(Membership.objects.filter(project_id=shot.sequence.project_id, user__in=assignees)
                      .values_list("user_id", flat=True))
        outside = sorted(str(u) for u in assignees if u.pk not in members)
        if outside:
            raise ValidationError({"assignees": f"{', '.join(outside)}: not a member of project "
                                                f"{shot.sequence.project}; assignees are the project's members"})
    for name, value in changes.items():
        setattr(shot, name, value)
    shot.full_clean()
    shot.save()
    if assignees is not None:
        shot.assignees.set(assignees)
    described = ", ".join(sorted([*changes, *(["assignees"] if assignees is not None else [])]))
    activity_record(shot=shot, actor=actor, verb="shot.updated", summary=f"{shot}: changed {described}",
                    data={k: str(v) for k, v in changes.items()}, message={"type": "shot.updated"})
    return shot


@transaction.atomic
def shot_plate_set(*, shot: Shot, actor: Any, clip: Any, role_checked: bool = False) -> Shot:
    """Attach the plate's review clip (checked by content, same frame count and rate as the shot).
    `role_checked`: a site engine run attaches the plate it made, its requester's role checked when queued."""
    if not role_checked:
        require(actor, shot.sequence.project_id, Action.VARIANT_PUBLISH)
    upload_size_check(clip.size, what=f"plate {clip.name!r}")
    info = upload_probe(clip)
    if info.frames != shot.frame_count or info.fps != shot.fps:
        raise UploadRejected(f"{clip.name}: the plate clip has {info.frames} frames at {info.fps} fps, shot {shot} "
                             f"has {shot.frame_count} at {shot.fps_num}/{shot.fps_den}")
    old = shot.plate_clip.name
    shot.plate_clip.save(f"plate{info.suffix}", clip, save=False)
    if info.timecode:  # the plate's own timecode is what editorial and sound count in
        shot.start_timecode = info.timecode
        shot.full_clean(exclude=["plate_clip"])
    shot.save(update_fields=["plate_clip", "start_timecode", "updated"])
    if old:
        transaction.on_commit(lambda: shot.plate_clip.storage.delete(old))
    activity_record(shot=shot, actor=actor, verb="plate.published", summary=f"{shot}: plate clip published",
                    message={"type": "plate.published"})
    return shot
