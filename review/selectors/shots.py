"""Shots as people see them: only projects they belong to, with everything a page needs fetched up front."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from review.choices import JOB_STATE_ACTIVE, SHOT_STATUS_CLOSED, JobKind, ShotStatus

# A shot approved whole is past "partly approved", whatever ranges it had.
_APPROVED_WHOLE = {ShotStatus.APPROVED, ShotStatus.RENDERING, ShotStatus.FINAL}
from review.permissions import member_project_ids
from review.models import CODE_PATTERN, Activity, Decision, Edit, Job, Note, Notification, Project, Render, Shot, Variant


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


def count_per_shot(related: QuerySet) -> Subquery:
    """How many of `related` belong to each shot: a correlated subquery on the shot index, which stays fast
    where a join of shots x variants x notes with COUNT(DISTINCT) does not."""
    counted = related.filter(shot=OuterRef("pk")).order_by().values("shot").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


# What each filter of the shot list takes, as patterns the API's schema states too (review/api/serializers.py
# ShotFiltersIn): an id is 1 to 18 digits (as in API addresses, review/api/urls.py); a name is not all digits.
_LETTERS = "A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"  # Latin, Greek and Cyrillic letters: not '²' or '٣'
FILTER_PATTERNS = {
    "project": r"^[-a-zA-Z0-9_]+$",
    "code": CODE_PATTERN,
    "sequence": r"^(?:[0-9]{1,18}|[0-9]+[A-Za-z_-][A-Za-z0-9_-]*|[A-Za-z][A-Za-z0-9_-]*)$",
    "assignee": rf"^(?:[0-9]{{1,18}}|[0-9]*[{_LETTERS}_.@+-][{_LETTERS}0-9_.@+-]*)$",
}
FILTER_TAKES = {"project": "a project code (letters, digits, '-', '_')", "code": "a shot code (a slug)",
                "sequence": "a sequence id (up to 18 digits) or code (a slug)",
                "assignee": "a user id (up to 18 digits) or user name"}
_FILTER_RULES = {name: re.compile(pattern.removeprefix("^").removesuffix("$")) for name, pattern in
                 FILTER_PATTERNS.items()}
YES, NO = ("true", "yes", "1", "on"), ("false", "no", "0", "off")


def shot_filters(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The shot list's filters (project, sequence, status, assignee, code, overdue) checked and typed: a value
    that cannot mean anything is a ValidationError naming the filter and what it takes, never a query.
    Sequence and assignee are ids when all digits, else names."""
    filters: dict[str, Any] = {}
    for name, rule in _FILTER_RULES.items():
        value = raw.get(name)
        if not value:
            continue
        if not rule.fullmatch(str(value)):
            raise ValidationError({name: f"{name} {value!r} is not {FILTER_TAKES[name]}"})
        filters[name] = int(value) if name in ("sequence", "assignee") and str(value).isdigit() else str(value)
    statuses = raw.get("status") or []
    filters["status"] = [v for v in ([statuses] if isinstance(statuses, str) else statuses) if v]
    unknown = ", ".join(repr(v) for v in filters["status"] if v not in ShotStatus.values)
    if unknown:
        raise ValidationError({"status": f"status {unknown} is not a shot status; the statuses are "
                                         f"{', '.join(ShotStatus.values)}"})
    overdue = raw.get("overdue") or "no"  # unset, or the board's unticked box
    if not isinstance(overdue, bool):
        if overdue not in YES + NO:
            raise ValidationError({"overdue": f"overdue {overdue!r} is neither yes nor no (true/false, yes/no, 1/0, "
                                              "on/off)"})
        overdue = overdue in YES
    filters["overdue"] = overdue
    return filters


def shot_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Shot]:
    """Shots for lists and the board: sequence, project, assignees and the variant count in three queries.
    `filters` as `shot_filters` takes them (a ValidationError names a filter that cannot mean anything)."""
    filters = shot_filters(filters or {})
    qs = (shot_queryset(user=user)
          .prefetch_related("assignees")
          .annotate(variant_count=count_per_shot(latest_versions()),
                    open_notes=count_per_shot(Note.objects.filter(parent__isnull=True, resolved=False)))
          .order_by("sequence__project__code", "sequence__code", "code"))
    if filters.get("project"):
        qs = qs.filter(sequence__project__code=filters["project"])
    if "sequence" in filters:
        value = filters["sequence"]
        qs = qs.filter(sequence_id=value) if isinstance(value, int) else qs.filter(sequence__code=value)
    if filters["status"]:
        qs = qs.filter(status__in=filters["status"])
    if "assignee" in filters:
        value = filters["assignee"]
        qs = qs.filter(assignees__id=value) if isinstance(value, int) else qs.filter(assignees__username=value)
    if filters["overdue"]:
        qs = qs.filter(due_date__lt=timezone.localdate()).exclude(status__in=SHOT_STATUS_CLOSED)
    if filters.get("code"):
        qs = qs.filter(code=filters["code"])
    return qs


def latest_versions() -> QuerySet[Variant]:
    """The latest version of each variant (label) of each shot."""
    later = Variant.objects.filter(shot=OuterRef("shot"), label=OuterRef("label"), version__gt=OuterRef("version"))
    return Variant.objects.exclude(Exists(later))


def locked_ranges_of(shot: Shot) -> QuerySet[Decision]:
    """The shot's approved frame ranges still locked, in frame order, each with the edit it approved."""
    return (Decision.objects.filter(edit__shot=shot, frame_start__isnull=False, unlocked_at__isnull=True)
            .select_related("edit", "author").order_by("frame_start", "id"))


def ranges_cover(shot: Shot, ranges: list[tuple[int, int]]) -> bool:
    """Whether frame ranges (first, last) inside the shot together hold every one of its frames."""
    return covered_frames(ranges) == shot.frame_count


def covered_frames(ranges: list[tuple[int, int]]) -> int:
    """How many distinct frames the ranges hold (overlaps counted once)."""
    count, reached = 0, None
    for first, last in sorted(ranges):
        if reached is not None:
            first = max(first, reached + 1)
        if last >= first:
            count += last - first + 1
        reached = last if reached is None else max(reached, last)
    return count


def shot_get(*, user: Any, shot_id: int) -> Shot:
    """One shot the user may see, or 404 (unknown or in someone else's project)."""
    shot = shot_queryset(user=user).filter(pk=shot_id).first()
    if shot is None:
        raise Http404(f"no shot {shot_id}")
    return shot


def decision_get(*, user: Any, decision_id: int) -> Decision:
    """One decision on a shot the user may see, with its edit and shot, or 404."""
    decision = (Decision.objects.select_related("edit__shot__sequence")
                .filter(pk=decision_id, edit__shot__in=shot_queryset(user=user)).first())
    if decision is None:
        raise Http404(f"no decision {decision_id}")
    return decision


def shot_detail(*, user: Any, shot_id: int, activity_limit: int = 50) -> Shot:
    """A shot with its variants, notes (with replies and attachments), edits, decisions, renders, fixes and the
    latest activity: a fixed number of queries whatever the shot holds."""
    replies = Prefetch("replies", queryset=Note.objects.select_related("author").order_by("created", "id"))
    notes = Prefetch("notes", queryset=Note.objects.filter(parent__isnull=True)
                     .select_related("author", "resolved_by").prefetch_related(replies, "attachments"),
                     to_attr="root_notes")
    edits = Prefetch("edits", queryset=Edit.objects.select_related("author")
                     .prefetch_related(Prefetch("decisions", queryset=Decision.objects.select_related(
                         "author", "unlocked_by")))
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
    shot.approved_ranges = sorted((d for e in shot.edits.all() for d in e.decisions.all() if d.locked),
                                  key=lambda d: (d.frame_start, d.id))
    return shot


# What conversion did on an uncovered frame ([convert] uncovered), as the shot page says it.
UNCOVERED_SHOWN = {"plate": "left as the plate", "swap": "swapped anyway", "cg": "filled with the CG head"}


@dataclass(frozen=True)
class MaterialGap:
    """Plate frames farther from every pose the actor's material shows than the shot allows, as conversion found
    them (the variant record's metrics["coverage"]["missing"]), with what to shoot to cover them."""

    text: str                  # e.g. "frames 1141-1180: yaw 119°–313°: shoot three-quarter views, the head in profile and
                               # the back of the head (the actor's material nearest it is at yaw -48°, pitch -4°)"
    frame_start: int
    frame_end: int
    done: str                  # what conversion did there (UNCOVERED_SHOWN)
    variants: tuple[str, ...]  # the variants that found it, e.g. ("rigid v002", "loose v001")


def material_gaps(shot: Shot) -> list[MaterialGap]:
    """The gaps the latest version of each of `shot_detail`'s variants found (no query), one line per gap however
    many variants found it, in frame order."""
    latest: dict[str, Variant] = {}
    for variant in shot.variants.all():
        if variant.label not in latest or variant.version > latest[variant.label].version:
            latest[variant.label] = variant
    found: dict[tuple[str, str], tuple[list[int], list[str]]] = {}
    for variant in latest.values():
        coverage = (variant.metrics or {}).get("coverage") or {}
        done = UNCOVERED_SHOWN.get(coverage.get("policy"), "left as the plate")
        for gap in coverage.get("missing") or ():
            if gap.get("text") and len(gap.get("frames") or ()) == 2:
                frames, names = found.setdefault((gap["text"], done), (list(gap["frames"]), []))
                names.append(f"{variant.label} {variant.version_name}")
    gaps = [MaterialGap(text=text, frame_start=int(frames[0]), frame_end=int(frames[1]), done=done,
                        variants=tuple(names)) for (text, done), (frames, names) in found.items()]
    return sorted(gaps, key=lambda g: (g.frame_start, g.frame_end, g.text))


def latest_edit(shot: Shot) -> Edit | None:
    """The newest edit of a shot from `shot_detail`'s prefetch (no query)."""
    edits = list(shot.edits.all())
    return edits[0] if edits else None


class StatusShown:
    """The label and colour of a row's shot `status`, as the board and the needs-action list show them."""

    @property
    def status_label(self) -> str:
        return ShotStatus(self.status).label

    @property
    def status_colour(self) -> str:
        return ShotStatus(self.status).colour


@dataclass(frozen=True)
class BoardRow(StatusShown):
    """One shot on the board: plain values (no model instances, so 500 rows stay cheap to fetch and render)."""

    id: int
    project: str
    sequence: str
    code: str
    status: str
    frame_start: int
    frame_end: int
    fps: str
    due_date: date | None
    overdue: bool
    assignees: tuple[str, ...]
    variant_count: int
    open_notes: int
    job_kind: str = ""  # the shot's newest queued or running job ("" when none), and its progress
    job_progress: float = 0.0
    approved_frames: int = 0  # frames in locked range approvals: some, on a shot not approved whole, is "partly"

    @property
    def partly_approved(self) -> bool:
        return self.approved_frames > 0 and self.status not in _APPROVED_WHOLE

    @property
    def job_label(self) -> str:
        return JobKind(self.job_kind).label if self.job_kind else ""

    @property
    def name(self) -> str:
        return f"{self.project}/{self.sequence}/{self.code}"


@dataclass
class Board:
    shots: list[BoardRow]
    status_counts: list[tuple[ShotStatus, int]]
    sequence_counts: list[tuple[str, int, list[int]]]  # (project/sequence, shots, shots per status in order)
    overdue: list[BoardRow] = field(default_factory=list)
    today: date = field(default_factory=timezone.localdate)


def board(*, user: Any, filters: dict[str, Any] | None = None) -> Board:
    """The producer's board: every shot with its status, counts per status and per sequence, overdue shots.
    Three queries: the shots with their counts and newest active job, their assignees, their locked ranges."""
    active = (Job.objects.filter(shot=OuterRef("pk"), parent__isnull=True, state__in=JOB_STATE_ACTIVE)
              .order_by("-created", "-id"))
    values = list(shot_list(user=user, filters=filters).prefetch_related(None).values(
        "id", "code", "status", "frame_start", "frame_end", "fps_num", "fps_den", "due_date", "variant_count",
        "open_notes", project_code=F("sequence__project__code"), sequence_code=F("sequence__code"),
        job_kind=Subquery(active.values("kind")[:1]), job_progress=Subquery(active.values("progress")[:1])))
    assignees: dict[int, list[str]] = {}
    for shot_id, name in (Shot.assignees.through.objects.filter(shot_id__in=[v["id"] for v in values])
                          .order_by("user__username").values_list("shot_id", "user__username")):
        assignees.setdefault(shot_id, []).append(name)
    locks: dict[int, list[tuple[int, int]]] = {}
    for shot_id, first, last in (Decision.objects.filter(edit__shot_id__in=[v["id"] for v in values],
                                                         frame_start__isnull=False, unlocked_at__isnull=True)
                                 .values_list("edit__shot_id", "frame_start", "frame_end")):
        locks.setdefault(shot_id, []).append((first, last))
    today = timezone.localdate()
    rows = [BoardRow(id=v["id"], project=v["project_code"], sequence=v["sequence_code"], code=v["code"],
                     status=v["status"],
                     frame_start=v["frame_start"], frame_end=v["frame_end"], fps=f"{v['fps_num']}/{v['fps_den']}",
                     due_date=v["due_date"], overdue=bool(v["due_date"] and v["due_date"] < today
                                                          and v["status"] not in SHOT_STATUS_CLOSED),
                     assignees=tuple(assignees.get(v["id"], ())), variant_count=v["variant_count"],
                     open_notes=v["open_notes"], job_kind=v["job_kind"] or "",
                     job_progress=v["job_progress"] or 0.0,
                     approved_frames=covered_frames(locks.get(v["id"], []))) for v in values]
    by_status = Counter(r.status for r in rows)
    per_sequence: dict[str, Counter] = {}
    for r in rows:
        per_sequence.setdefault(f"{r.project}/{r.sequence}", Counter())[r.status] += 1
    return Board(
        shots=rows,
        status_counts=[(ShotStatus(v), by_status.get(v, 0)) for v in ShotStatus.values],
        sequence_counts=[(k, sum(c.values()), [c.get(v, 0) for v in ShotStatus.values])
                         for k, c in sorted(per_sequence.items())],
        overdue=[r for r in rows if r.overdue],
        today=today,
    )


def activity_list(*, shot: Shot) -> QuerySet[Activity]:
    return Activity.objects.filter(shot=shot).select_related("actor")


def inbox(*, user: Any, unread_only: bool = False) -> QuerySet:
    """A person's notifications, newest first (only their own: the caller passes request.user)."""
    entries = Notification.objects.filter(user=user).select_related("shot__sequence__project", "actor")
    return entries.filter(read_at__isnull=True) if unread_only else entries
