"""Who may do what: roles are Django groups, projects are reached through membership.

`MATRIX` is the permission matrix printed in README.md ("## Roles and permissions"); a test keeps the two equal
and another exercises every cell through the API. Services call `require(...)` before every write, so the
pages, the API and the admin actions share one rule.
"""
from __future__ import annotations

import enum
from typing import Any

from django.core.exceptions import PermissionDenied

from review.choices import Role


class Action(enum.StrEnum):
    VIEW = "view"
    SHOT_CREATE = "shot.create"
    SHOT_UPDATE = "shot.update"
    SHOT_HOLD = "shot.hold"
    SHOT_TRAINING = "shot.training"
    VARIANT_PUBLISH = "variant.publish"
    EDIT_CREATE = "edit.create"
    DECISION_CREATE = "decision.create"
    NOTE_CREATE = "note.create"
    NOTE_RESOLVE = "note.resolve"
    FIX_CREATE = "fix.create"
    FIX_REVIEW = "fix.review"
    RENDER_QUEUE = "render.queue"
    RENDER_UPDATE = "render.update"


S, A, P, PL = Role.SUPERVISOR, Role.ARTIST, Role.PRODUCER, Role.PIPELINE

# action -> (roles allowed, what it means). Keep README.md's table in step (tests/review/test_permissions.py).
MATRIX: dict[Action, tuple[frozenset[Role], str]] = {
    Action.VIEW: (frozenset({S, A, P, PL}), "see the project's shots, variants, notes, edits, renders, activity, board"),
    Action.SHOT_CREATE: (frozenset({S, P, PL}), "create sequences and shots"),
    Action.SHOT_UPDATE: (frozenset({S, P}), "change a shot's due date, assignees, description"),
    Action.SHOT_HOLD: (frozenset({S, P}), "put a shot on hold, omit it, or bring it back"),
    Action.SHOT_TRAINING: (frozenset({S, PL}), "move a shot between waiting and training"),
    Action.VARIANT_PUBLISH: (frozenset({PL}), "publish a variant (clip, recipe, per-frame QC) or the plate clip"),
    Action.EDIT_CREATE: (frozenset({S}), "pick: save a new edit version"),
    Action.DECISION_CREATE: (frozenset({S}), "approve an edit or request changes"),
    Action.NOTE_CREATE: (frozenset({S, A}), "write notes and replies on frames"),
    Action.NOTE_RESOLVE: (frozenset({S, A}), "resolve a note"),
    Action.FIX_CREATE: (frozenset({A}), "upload frame fixes"),
    Action.FIX_REVIEW: (frozenset({S}), "accept or reject a frame fix"),
    Action.RENDER_QUEUE: (frozenset({S}), "queue a final render of the approved edit"),
    Action.RENDER_UPDATE: (frozenset({PL}), "report render progress, output and log"),
}


def roles_of(user: Any) -> frozenset[Role]:
    """The roles a user holds (their role groups), cached on the user object for the request."""
    cached = getattr(user, "_review_roles", None)
    if cached is None:
        if not user.is_authenticated:
            cached = frozenset()
        else:
            names = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
            cached = frozenset(Role(n) for n in names)
        user._review_roles = cached
    return cached


def primary_role(user: Any) -> str:
    """One role to show in the page (the most powerful the user holds), or '' when none."""
    held = roles_of(user)
    for role in (S, P, A, PL):
        if role in held:
            return role.value
    return "admin" if getattr(user, "is_superuser", False) else ""


def member_project_ids(user: Any) -> frozenset[int]:
    """Projects the user is a member of, cached on the user object for the request."""
    cached = getattr(user, "_review_memberships", None)
    if cached is None:
        cached = frozenset(user.review_memberships.values_list("project_id", flat=True)) \
            if user.is_authenticated else frozenset()
        user._review_memberships = cached
    return cached


def is_member(user: Any, project_id: int) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or project_id in member_project_ids(user)


def allowed(user: Any, project_id: int, action: Action) -> bool:
    if not is_member(user, project_id):
        return False
    if user.is_superuser:
        return True
    return bool(roles_of(user) & MATRIX[action][0])


def require(user: Any, project_id: int, action: Action) -> None:
    """Raise PermissionDenied with the reason unless `user` may do `action` in the project."""
    if not user.is_authenticated:
        raise PermissionDenied("you must sign in first")
    if not is_member(user, project_id):
        raise PermissionDenied("you are not a member of this project; ask a producer to add you")
    if user.is_superuser:
        return
    roles, meaning = MATRIX[action]
    if not roles_of(user) & roles:
        held = ", ".join(sorted(roles_of(user))) or "no role"
        needed = " or ".join(sorted(roles))
        raise PermissionDenied(f"only a {needed} may {meaning} (you are: {held})")


def matrix_markdown() -> str:
    """The matrix as the Markdown table that README.md carries."""
    roles = [S, A, P, PL]
    lines = ["| action | what | " + " | ".join(r.value for r in roles) + " |",
             "| --- | --- | " + " | ".join("---" for _ in roles) + " |"]
    for action, (allowed_roles, meaning) in MATRIX.items():
        cells = " | ".join("yes" if r in allowed_roles else "no" for r in roles)
        lines.append(f"| `{action.value}` | {meaning} | {cells} |")
    return "\n".join(lines)
