"""Picks and decisions: an edit is a new version of the supervisor's pick; a decision approves it (whole, or a
frame range of it) or asks for changes. One whole-edit decision per edit, enforced by the database: of two at
once, exactly one wins, the other is a 409.

A range approval locks its frames to the variant versions the edit has there: a later edit must keep them
until a supervisor unlocks the range (recorded in the activity). When the locked ranges cover the whole shot,
the edit is approved as a whole-edit approval would: the shot becomes approved and its final render is queued."""
from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from review.choices import DecisionVerdict, ShotStatus
from review.errors import Conflict
from review.models import Decision, Edit, Shot, Variant
from review.permissions import Action, require
from review.selectors.shots import locked_ranges_of, ranges_cover
from review.services.activity import activity_record
from review.services.renders import render_queue_for_approval
from review.services.shots import shot_move


@transaction.atomic
def edit_create(*, shot: Shot, actor: Any, segments: list[dict], comment: str = "") -> Edit:
    require(actor, shot.sequence.project_id, Action.EDIT_CREATE)
    Shot.objects.select_for_update().filter(pk=shot.pk).first()  # versions are numbered one writer at a time
    version = (Edit.objects.filter(shot=shot).aggregate(v=Max("version"))["v"] or 0) + 1
    edit = Edit(shot=shot, version=version, segments=[{"transition": 0, **s} for s in segments],
                comment=comment, author=actor)
    edit.full_clean()
    _locks_kept(edit)
    edit.save()
    activity_record(shot=shot, actor=actor, verb="edit.created",
                    summary=f"{shot}: edit v{version} picked ({len(segments)} segment(s))",
                    data={"edit": edit.id, "version": version},
                    message={"type": "edit.created", "edit": edit.id, "version": version})
    return edit


def _locks_kept(edit: Edit) -> None:
    """Refuse an edit that changes a frame in a locked (range-approved) range: the variant version it shows,
    or a dissolve that reaches into the range (its length, or the versions it blends)."""
    for lock in locked_ranges_of(edit.shot):
        first, last = lock.frame_start, lock.frame_end
        kept = lock.edit.variants_over(first, last)
        if edit.variants_over(first, last) != kept or edit.dissolves_over(first, last) != lock.edit.dissolves_over(
                first, last):
            names = dict((v.id, f"{v.label} {v.version_name}") for v in Variant.objects.filter(
                id__in=[variant for _, _, variant in kept]))
            picked = ", ".join(f"{first}-{last} {names.get(v, v)}" for first, last, v in kept)
            raise Conflict(f"frames {first}-{last} of {edit.shot} are approved and locked ({picked}, edit "
                           f"v{lock.edit.version}, by {lock.author}); keep them (and any dissolve into them) in the "
                           "new edit, or have a supervisor unlock the range first")


@transaction.atomic
def decision_create(*, edit: Edit, actor: Any, verdict: str, comment: str = "", frame_start: int | None = None,
                    frame_end: int | None = None) -> Decision:
    """Approve `edit` (the shot becomes approved and its final render is queued), request changes, or approve
    frames `frame_start`-`frame_end` of it (locked; the shot is approved once locked ranges cover it)."""
    shot = edit.shot
    require(actor, shot.sequence.project_id, Action.DECISION_CREATE)
    if verdict not in DecisionVerdict.values:
        raise ValueError(f"decision must be one of {', '.join(DecisionVerdict.values)}, not {verdict!r}")
    Shot.objects.select_for_update().filter(pk=shot.pk).first()
    existing = Decision.objects.filter(edit=edit, frame_start__isnull=True).select_related("author").first()
    if existing is not None:
        raise Conflict(f"edit v{edit.version} of {shot} was already decided ({existing.get_verdict_display()} by "
                       f"{existing.author}); save a new edit version to decide again")
    latest = Edit.objects.filter(shot=shot).aggregate(v=Max("version"))["v"]
    if latest != edit.version:
        raise Conflict(f"edit v{edit.version} of {shot} is superseded by v{latest}; decide on the latest edit")
    decision = Decision(edit=edit, verdict=verdict, comment=comment, author=actor, frame_start=frame_start,
                        frame_end=frame_end)
    decision.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            decision.save()
    except IntegrityError:
        raise Conflict(f"edit v{edit.version} of {shot} was decided by someone else at the same moment") from None
    label = DecisionVerdict(verdict).label
    frames = f" frames {frame_start}-{frame_end}" if decision.is_range else ""
    activity_record(shot=shot, actor=actor, verb="decision.created",
                    summary=f"{shot}: edit v{edit.version}{frames} {label.lower()}" + (f": {comment}" if comment else ""),
                    data={"decision": decision.id, "edit": edit.id, "verdict": verdict, "frame_start": frame_start,
                          "frame_end": frame_end},
                    message={"type": "decision.created", "decision": decision.id, "verdict": verdict,
                             "frame_start": frame_start, "frame_end": frame_end})
    if decision.is_range:
        _approve_when_covered(shot=shot, edit=edit, actor=actor)
    elif verdict == DecisionVerdict.APPROVE:
        shot_move(shot=shot, to=ShotStatus.APPROVED, actor=actor, reason=f"edit v{edit.version} approved")
        render_queue_for_approval(shot=shot, edit=edit, actor=actor)
    else:
        shot_move(shot=shot, to=ShotStatus.CHANGES_REQUESTED, actor=actor,
                  reason=f"changes requested on edit v{edit.version}")
    return decision


def _approve_when_covered(*, shot: Shot, edit: Edit, actor: Any) -> None:
    """Once locked ranges cover every frame, the edit (the latest, which keeps every lock) is approved whole."""
    if not ranges_cover(shot, [(lock.frame_start, lock.frame_end) for lock in locked_ranges_of(shot)]):
        return
    whole = Decision(edit=edit, verdict=DecisionVerdict.APPROVE, author=actor,
                     comment="every frame approved range by range")
    whole.full_clean(validate_constraints=False)
    whole.save()
    activity_record(shot=shot, actor=actor, verb="decision.created",
                    summary=f"{shot}: edit v{edit.version} approved: every frame approved range by range",
                    data={"decision": whole.id, "edit": edit.id, "verdict": whole.verdict},
                    message={"type": "decision.created", "decision": whole.id, "verdict": whole.verdict})
    shot_move(shot=shot, to=ShotStatus.APPROVED, actor=actor,
              reason=f"edit v{edit.version}: every frame approved range by range")
    render_queue_for_approval(shot=shot, edit=edit, actor=actor)


@transaction.atomic
def range_unlock(*, decision: Decision, actor: Any, comment: str = "") -> Decision:
    """Unlock an approved range: later edits may change its frames again. Recorded in the activity."""
    shot = decision.edit.shot
    require(actor, shot.sequence.project_id, Action.RANGE_UNLOCK)
    locked = Decision.objects.select_for_update().select_related("edit").get(pk=decision.pk)
    if not locked.is_range:
        raise Conflict(f"decision {locked.id} approves the whole edit v{locked.edit.version}, not a range; "
                       "only range approvals lock frames")
    if locked.unlocked_at is not None:
        raise Conflict(f"frames {locked.frame_start}-{locked.frame_end} of {shot} were already unlocked "
                       f"by {locked.unlocked_by}")
    locked.unlocked_at, locked.unlocked_by = timezone.now(), actor
    locked.full_clean(validate_constraints=False)
    locked.save(update_fields=["unlocked_at", "unlocked_by"])
    activity_record(shot=shot, actor=actor, verb="range.unlocked",
                    summary=f"{shot}: frames {locked.frame_start}-{locked.frame_end} unlocked"
                            + (f": {comment}" if comment else ""),
                    data={"decision": locked.id, "frame_start": locked.frame_start, "frame_end": locked.frame_end},
                    message={"type": "range.unlocked", "decision": locked.id, "frame_start": locked.frame_start,
                             "frame_end": locked.frame_end})
    return locked
