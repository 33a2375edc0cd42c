"""Who may do what: a person's role is held per project, on their membership of it.

A supervisor on one project may be an artist on another: every check asks for the role in the project of the
shot (or sequence) acted on, never for a role held elsewhere. `MATRIX` is the permission matrix printed in
README.md ("## Roles and permissions"); a test keeps the two equal and another exercises every cell through the
API. Services call `require(...)` before every write, so the pages, the API and the admin actions share one rule.
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
    ENGINE_RUN = "engine.run"
    VARIANT_PUBLISH = "variant.publish"
    EDIT_CREATE = "edit.create"
    DECISION_CREATE = "decision.create"
    RANGE_UNLOCK = "range.unlock"
    NOTE_CREATE = "note.create"
    NOTE_RESOLVE = "note.resolve"
    FIX_CREATE = "fix.create"
    FIX_REVIEW = "fix.review"
    RENDER_QUEUE = "render.queue"
    RENDER_UPDATE = "render.update"
    DAILIES_RUN = "dailies.run"


S, A, P, PL = Role.SUPERVISOR, Role.ARTIST, Role.PRODUCER, Role.PIPELINE

# action -> (roles allowed, what it means). Keep README.md's table in step (tests/review/test_permissions.py).
MATRIX: dict[Action, tuple[frozenset[Role], str]] = {
    Action.VIEW: (frozenset({S, A, P, PL}), "see the project's shots, variants, notes, edits, renders, activity, board"),
    Action.SHOT_CREATE: (frozenset({S, P, PL}), "create sequences and shots"),
    Action.SHOT_UPDATE: (frozenset({S, P}), "change a shot's due date, assignees, description, start timecode"),
    Action.SHOT_HOLD: (frozenset({S, P}), "put a shot on hold, omit it, or bring it back"),
    Action.SHOT_TRAINING: (frozenset({S, PL}), "move a shot between waiting and training"),
    Action.ENGINE_RUN: (frozenset({S, PL}), "run the engine on a shot (train, convert) and retry those jobs"),
    Action.VARIANT_PUBLISH: (frozenset({PL}), "publish a variant (clip, recipe, per-frame QC) or the plate clip"),
    Action.EDIT_CREATE: (frozenset({S}), "pick: save a new edit version"),
    Action.DECISION_CREATE: (frozenset({S}), "approve an edit or request changes"),  # a frame range of it too
    Action.RANGE_UNLOCK: (frozenset({S}), "unlock an approved frame range so a later edit may change it"),
    Action.NOTE_CREATE: (frozenset({S, A}), "write notes and replies on frames"),
    Action.NOTE_RESOLVE: (frozenset({S, A}), "resolve a note"),
    Action.FIX_CREATE: (frozenset({A}), "upload frame fixes"),
    Action.FIX_REVIEW: (frozenset({S}), "accept or reject a frame fix"),
    Action.RENDER_QUEUE: (frozenset({S}), "queue a final render of the approved edit"),
    Action.RENDER_UPDATE: (frozenset({PL}), "report render progress, output and log"),
    Action.DAILIES_RUN: (frozenset({S}), "create a dailies session, drive it, hand the driving over, end it"),
}


def project_roles(user: Any) -> dict[int, str]:
    """The user's role on each project they are a member of ('' where they hold none), cached on the user
    object for the request."""
    cached = getattr(user, "_review_project_roles", None)
    if cached is None:
        cached = dict(user.review_memberships.values_list("project_id", "role")) if user.is_authenticated else {}
        user._review_project_roles = cached
    return cached


def role_on(user: Any, project_id: int) -> str:
    """The user's role on the project: '' when they hold none there or are no member of it."""
    return project_roles(user).get(project_id, "")


def role_label(user: Any, project_id: int) -> str:
    """The role to show beside the user's name on a page of the project, or '' when none."""
    return role_on(user, project_id) or ("admin" if getattr(user, "is_superuser", False) else "")


def roles_summary(user: Any) -> str:
    """The roles to show beside the user's name on a page that spans projects (the board): the role when it is
    the same on every project, else each project's ("dance: supervisor, promo: artist")."""
    held = list(user.review_memberships.exclude(role="").order_by("project__code")
                .values_list("project__code", "role")) if user.is_authenticated else []
    if len({role for _, role in held}) == 1:
        return held[0][1]
    if held:
        return ", ".join(f"{code}: {role}" for code, role in held)
    return "admin" if getattr(user, "is_superuser", False) else ""


def member_project_ids(user: Any) -> frozenset[int]:
    """Projects the user is a member of (whatever their role there), cached on the user object for the request."""
    return frozenset(project_roles(user))


def is_member(user: Any, project_id: int) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or project_id in member_project_ids(user)


def allowed(user: Any, project_id: int, action: Action) -> bool:
    if not is_member(user, project_id):
        return False
    if user.is_superuser:
        return True
    return role_on(user, project_id) in MATRIX[action][0]


def require(user: Any, project_id: int, action: Action) -> None:
    """Raise PermissionDenied with the reason unless `user` may do `action` in the project."""
    if not user.is_authenticated:
        raise PermissionDenied("you must sign in first")
    if not is_member(user, project_id):
        raise PermissionDenied("you are not a member of this project; ask a producer to add you")
    if user.is_superuser:
        return
    roles, meaning = MATRIX[action]
    held = role_on(user, project_id)
    if held not in roles:
        needed = " or ".join(sorted(roles))
        raise PermissionDenied(f"only a {needed} may {meaning} (you are: {held or 'no role'} on this project)")


def matrix_markdown() -> str:
    """The matrix as the Markdown table that README.md carries."""
    roles = [S, A, P, PL]
    lines = ["| action | what | " + " | ".join(r.value for r in roles) + " |",
             "| --- | --- | " + " | ".join("---" for _ in roles) + " |"]
    for action, (allowed_roles, meaning) in MATRIX.items():
        cells = " | ".join("yes" if r in allowed_roles else "no" for r in roles)
        lines.append(f"| `{action.value}` | {meaning} | {cells} |")
    return "\n".join(lines)
