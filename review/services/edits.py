"""Picks and decisions: an edit is a new version of the supervisor's pick; a decision approves it or asks for
changes. One decision per edit, enforced by the database: of two at once, exactly one wins, the other is a 409."""
from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from review.choices import DecisionVerdict, ShotStatus
from review.errors import Conflict
from review.models import Decision, Edit, Shot
from review.permissions import Action, require
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
    edit.save()
    activity_record(shot=shot, actor=actor, verb="edit.created",
                    summary=f"{shot}: edit v{version} picked ({len(segments)} segment(s))",
                    data={"edit": edit.id, "version": version},
                    message={"type": "edit.created", "edit": edit.id, "version": version})
    return edit


@transaction.atomic
def decision_create(*, edit: Edit, actor: Any, verdict: str, comment: str = "") -> Decision:
    """Approve `edit` (the shot becomes approved and its final render is queued) or request changes."""
    shot = edit.shot
    require(actor, shot.sequence.project_id, Action.DECISION_CREATE)
    if verdict not in DecisionVerdict.values:
        raise ValueError(f"decision must be one of {', '.join(DecisionVerdict.values)}, not {verdict!r}")
    Shot.objects.select_for_update().filter(pk=shot.pk).first()
    existing = Decision.objects.filter(edit=edit).select_related("author").first()
    if existing is not None:
        raise Conflict(f"edit v{edit.version} of {shot} was already decided ({existing.get_verdict_display()} by "
                       f"{existing.author}); save a new edit version to decide again")
    latest = Edit.objects.filter(shot=shot).aggregate(v=Max("version"))["v"]
    if latest != edit.version:
        raise Conflict(f"edit v{edit.version} of {shot} is superseded by v{latest}; decide on the latest edit")
    decision = Decision(edit=edit, verdict=verdict, comment=comment, author=actor)
    decision.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            decision.save()
    except IntegrityError:
        raise Conflict(f"edit v{edit.version} of {shot} was decided by someone else at the same moment") from None
    label = DecisionVerdict(verdict).label
    activity_record(shot=shot, actor=actor, verb="decision.created",
                    summary=f"{shot}: edit v{edit.version} {label.lower()}" + (f": {comment}" if comment else ""),
                    data={"decision": decision.id, "edit": edit.id, "verdict": verdict},
                    message={"type": "decision.created", "decision": decision.id, "verdict": verdict})
    if verdict == DecisionVerdict.APPROVE:
        shot_move(shot=shot, to=ShotStatus.APPROVED, actor=actor, reason=f"edit v{edit.version} approved")
        render_queue_for_approval(shot=shot, edit=edit, actor=actor)
    else:
        shot_move(shot=shot, to=ShotStatus.CHANGES_REQUESTED, actor=actor,
                  reason=f"changes requested on edit v{edit.version}")
    return decision
