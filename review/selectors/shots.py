"""Shots as people see them: only projects they belong to, with everything a page needs fetched up front."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from review.choices import SHOT_STATUS_CLOSED, ShotStatus
from review.permissions import member_project_ids
from review.models import Activity, Decision, Edit, Note, Project, Render, Shot, Variant


def project_ids_for(user: Any) -> list[int] | None:
    """Projects the user may see (None: all, for superusers)."""
    return None if user.is_superuser else sorted(member_project_ids(user))


def project_list(*, user: Any) -> QuerySet[Project]:
    ids = project_ids_for(user)
    qs = Project.objects.all()
    return qs if ids is None else qs.filter(id__in=ids)


def shot_queryset(*, user: Any) -> QuerySet[Shot]:
    ids = project_ids_for(user)
    qs = Shot.objects.select_related("sequence__project")
    return qs if ids is None else qs.filter(sequence__project_id__in=ids)


def shot_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Shot]:
    """Shots for lists and the board: sequence, project, assignees and the variant count in three queries."""
    filters = filters or {}
    qs = (shot_queryset(user=user)
          .prefetch_related("assignees")
          .annotate(variant_count=Count("variants", distinct=True),
                    open_notes=Count("notes", filter=Q(notes__parent__isnull=True, notes__resolved=False),
                                     distinct=True))
          .order_by("sequence__project__code", "sequence__code", "code"))
    if filters.get("project"):
        qs = qs.filter(sequence__project__code=filters["project"])
    if filters.get("sequence"):
        value = str(filters["sequence"])
        qs = qs.filter(sequence_id=int(value)) if value.isdigit() else qs.filter(sequence__code=value)
    if filters.get("status"):
        statuses = filters["status"] if isinstance(filters["status"], (list, tuple)) else [filters["status"]]
        qs = qs.filter(status__in=statuses)
    if filters.get("assignee"):
        value = str(filters["assignee"])
        qs = qs.filter(assignees__id=int(value)) if value.isdigit() else qs.filter(assignees__username=value)
    if filters.get("overdue"):
        qs = qs.filter(due_date__lt=timezone.localdate()).exclude(status__in=SHOT_STATUS_CLOSED)
    if filters.get("code"):
        qs = qs.filter(code=filters["code"])
    return qs


def shot_get(*, user: Any, shot_id: int) -> Shot:
    """One shot the user may see, or 404 (unknown or in someone else's project)."""
    shot = shot_queryset(user=user).filter(pk=shot_id).first()
    if shot is None:
        raise Http404(f"no shot {shot_id}")
    return shot


def shot_detail(*, user: Any, shot_id: int, activity_limit: int = 50) -> Shot:
    """A shot with its variants, notes (with replies and attachments), edits, decisions, renders, fixes and the
    latest activity: a fixed number of queries whatever the shot holds."""
    replies = Prefetch("replies", queryset=Note.objects.select_related("author").order_by("created", "id"))
    notes = Prefetch("notes", queryset=Note.objects.filter(parent__isnull=True)
                     .select_related("author", "resolved_by").prefetch_related(replies, "attachments"),
                     to_attr="root_notes")
    edits = Prefetch("edits", queryset=Edit.objects.select_related("author")
                     .prefetch_related(Prefetch("decisions", queryset=Decision.objects.select_related("author")))
                     .order_by("-version"))
    qs = (shot_queryset(user=user)
          .prefetch_related("assignees",
                            Prefetch("variants", queryset=Variant.objects.order_by("created", "id")),
                            notes, edits,
                            Prefetch("renders", queryset=Render.objects.select_related("edit")),
                            "fixes__images")
          .filter(pk=shot_id))
    shot = qs.first()
    if shot is None:
        raise Http404(f"no shot {shot_id}")
    shot.recent_activity = list(Activity.objects.filter(shot=shot).select_related("actor")[:activity_limit])
    return shot


def latest_edit(shot: Shot) -> Edit | None:
    """The newest edit of a shot from `shot_detail`'s prefetch (no query)."""
    edits = list(shot.edits.all())
    return edits[0] if edits else None


@dataclass
class Board:
    shots: list[Shot]
    status_counts: list[tuple[ShotStatus, int]]
    sequence_counts: list[tuple[str, int, dict[str, int]]]
    overdue: list[Shot] = field(default_factory=list)
    today: date = field(default_factory=timezone.localdate)


def board(*, user: Any, filters: dict[str, Any] | None = None) -> Board:
    """The producer's board: every shot with its status, counts per status and per sequence, overdue shots."""
    shots = list(shot_list(user=user, filters=filters))
    today = timezone.localdate()
    by_status = Counter(s.status for s in shots)
    per_sequence: dict[str, Counter] = {}
    for s in shots:
        key = f"{s.sequence.project.code}/{s.sequence.code}"
        per_sequence.setdefault(key, Counter())[s.status] += 1
    for s in shots:
        s.overdue = s.is_overdue(today)
    return Board(
        shots=shots,
        status_counts=[(ShotStatus(v), by_status.get(v, 0)) for v in ShotStatus.values],
        sequence_counts=[(k, sum(c.values()), dict(c)) for k, c in sorted(per_sequence.items())],
        overdue=[s for s in shots if s.overdue],
        today=today,
    )


def activity_list(*, shot: Shot) -> QuerySet[Activity]:
    return Activity.objects.filter(shot=shot).select_related("actor")
