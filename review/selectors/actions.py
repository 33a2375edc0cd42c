"""The producer's "needs action" view: per person and per due week, the shots someone must act on now.

A shot needs action when it has open notes, its changes were requested, an artist's frame fixes wait for a
supervisor, or its newest final render failed. Closed shots (final, omitted) need none. Everything is read in
two queries (the shots with their counts, then their assignees), whatever the number of shots.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from review.choices import SHOT_STATUS_CLOSED, FrameFixState, RenderState, ShotStatus
from review.models import FrameFix, Render, Shot
from review.selectors.shots import StatusShown, count_per_shot, shot_filters, shot_list

# Why a shot is on the list, in the order the page shows them.
NEEDS = {
    "notes": "notes open",
    "changes": "changes requested",
    "fixes": "fixes waiting for review",
    "render": "render failed",
}
# What the list can be sorted by within each person's week; "-" in front sorts the other way.
SORTS = {
    "due": lambda r: (r.due_date or date.max, r.name),
    "shot": lambda r: r.name,
    "status": lambda r: (ShotStatus.values.index(r.status), r.name),
    "notes": lambda r: (r.open_notes, r.name),
    "fixes": lambda r: (r.fixes_waiting, r.name),
}
UNASSIGNED = ""


@dataclass(frozen=True)
class ActionRow(StatusShown):
    id: int
    name: str  # project/sequence/shot
    status: str
    due_date: date | None
    overdue: bool
    open_notes: int
    fixes_waiting: int
    render_failed: bool
    assignees: tuple[str, ...]

    @property
    def needs(self) -> list[str]:
        """The keys of NEEDS that put this shot on the list."""
        found = {"notes": self.open_notes > 0, "changes": self.status == ShotStatus.CHANGES_REQUESTED,
                 "fixes": self.fixes_waiting > 0, "render": self.render_failed}
        return [key for key in NEEDS if found[key]]

    @property
    def needs_labels(self) -> list[str]:
        return [NEEDS[key] for key in self.needs]


@dataclass(frozen=True)
class WeekGroup:
    week: date | None  # the Monday of the due week; None: no due date
    rows: list[ActionRow]

    @property
    def label(self) -> str:
        if self.week is None:
            return "no due date"
        return f"week of {self.week:%a %d %b %Y} (W{self.week.isocalendar().week:02d})"


@dataclass(frozen=True)
class PersonGroup:
    person: str  # user name, UNASSIGNED for shots nobody is assigned to
    weeks: list[WeekGroup]

    @property
    def shot_count(self) -> int:
        return sum(len(w.rows) for w in self.weeks)


@dataclass
class ActionBoard:
    people: list[PersonGroup]
    filters: dict[str, Any]
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # per reason, over the distinct shots


def action_filters(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The board's filters (`shot_filters`) plus `needs` (one reason) and `sort` (a key of SORTS, '-' for
    descending), checked: a value that means nothing is a ValidationError naming it."""
    filters = shot_filters(raw)
    needs = raw.get("needs") or ""
    if needs and needs not in NEEDS:
        raise ValidationError({"needs": f"needs {needs!r} is not one of {', '.join(NEEDS)}"})
    sort = raw.get("sort") or "due"
    if sort.removeprefix("-") not in SORTS:
        raise ValidationError({"sort": f"sort {sort!r} is not one of {', '.join(SORTS)} (with '-' to reverse)"})
    return {**filters, "needs": needs, "sort": sort}


def week_of(day: date | None) -> date | None:
    return None if day is None else day - timedelta(days=day.weekday())


def shot_actions(*, user: Any, filters: Mapping[str, Any] | None = None, today: date | None = None) -> ActionBoard:
    """Shots that need action, grouped per assignee (a shot with two assignees is under both; unassigned last)
    and per due week (earliest first, no due date last), sorted within a week as `filters["sort"]` says."""
    filters = action_filters(filters or {})
    newest_render = Render.objects.filter(shot=OuterRef("pk")).order_by("-created", "-id").values("state")[:1]
    values = (shot_list(user=user, filters=filters).prefetch_related(None)
              .exclude(status__in=SHOT_STATUS_CLOSED)
              .annotate(fixes_waiting=count_per_shot(FrameFix.objects.filter(state=FrameFixState.SUBMITTED)),
                        render_state=Subquery(newest_render))
              .filter(Q(open_notes__gt=0) | Q(status=ShotStatus.CHANGES_REQUESTED) | Q(fixes_waiting__gt=0)
                      | Q(render_state=RenderState.FAILED))
              .values("id", "code", "status", "due_date", "open_notes", "fixes_waiting", "render_state",
                      project_code=F("sequence__project__code"), sequence_code=F("sequence__code")))
    values = list(values)
    wanted = filters.get("assignee")  # with a person filter, only that person's list (not their co-assignees')
    assignees: dict[int, list[str]] = {}
    for shot_id, name, user_id in (Shot.assignees.through.objects.filter(shot_id__in=[v["id"] for v in values])
                                   .order_by("user__username").values_list("shot_id", "user__username", "user_id")):
        if wanted is None or wanted in (name, user_id):
            assignees.setdefault(shot_id, []).append(name)
    today = today or timezone.localdate()
    rows = [ActionRow(id=v["id"], name=f"{v['project_code']}/{v['sequence_code']}/{v['code']}", status=v["status"],
                      due_date=v["due_date"], overdue=bool(v["due_date"] and v["due_date"] < today),
                      open_notes=v["open_notes"], fixes_waiting=v["fixes_waiting"],
                      render_failed=v["render_state"] == RenderState.FAILED,
                      assignees=tuple(assignees.get(v["id"], ())))
            for v in values]
    if filters["needs"]:
        rows = [r for r in rows if filters["needs"] in r.needs]
    key = SORTS[filters["sort"].removeprefix("-")]
    rows.sort(key=key, reverse=filters["sort"].startswith("-"))
    by_person: dict[str, dict[date | None, list[ActionRow]]] = {}
    for row in rows:
        for person in row.assignees or (UNASSIGNED,):
            by_person.setdefault(person, {}).setdefault(week_of(row.due_date), []).append(row)
    people = [PersonGroup(person, [WeekGroup(week, weeks[week])
                                   for week in sorted(weeks, key=lambda w: (w is None, w or date.min))])
              for person, weeks in sorted(by_person.items(), key=lambda item: (item[0] == UNASSIGNED, item[0]))]
    counts = {key: sum(key in r.needs for r in rows) for key in NEEDS}
    return ActionBoard(people=people, filters=filters, total=len(rows), counts=counts)
