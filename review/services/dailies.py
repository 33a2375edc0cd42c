"""Dailies sessions: a supervisor makes a playlist of shots (each with the variant version to show), drives
everyone's player through it over the session's socket (review.consumers.DailiesConsumer), hands the driving to
another supervisor, and ends it; the notes written meanwhile make its summary (review.selectors.dailies)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from review.errors import Conflict
from review.live_relay import send_to_groups
from review.models import DailiesItem, DailiesSession, Project, Shot, Variant
from review.permissions import Action, allowed, require


def dailies_group(session_id: int) -> str:
    return f"dailies_{session_id}"


def _announce(session: DailiesSession, message: dict[str, Any]) -> None:
    """After the commit, tell every player in the session (the driver changed, the session ended)."""
    payload = {"session": session.id, **message}

    def send() -> None:
        try:
            send_to_groups([dailies_group(session.id)], {"type": "review.event", "message": payload})
        except Exception:  # noqa: BLE001 - a dead channel layer must not undo a committed change
            pass

    transaction.on_commit(send)


@transaction.atomic
def dailies_create(*, project: Project, actor: Any, title: str,
                   items: Sequence[tuple[Shot, Variant | None]]) -> DailiesSession:
    """A new session driven by its creator, with `items` as its playlist in that order."""
    require(actor, project.id, Action.DAILIES_RUN)
    if not title.strip():
        raise ValidationError({"title": "a dailies session needs a title"})
    if not items:
        raise ValidationError({"items": "a playlist needs at least one shot"})
    session = DailiesSession.objects.create(project=project, title=title.strip(), created_by=actor, driver=actor)
    for position, (shot, variant) in enumerate(items, 1):
        item = DailiesItem(session=session, position=position, shot=shot, variant=variant)
        item.full_clean()
        item.save()
    return session


@transaction.atomic
def dailies_handover(*, session: DailiesSession, actor: Any, to_username: str) -> DailiesSession:
    """Give the driving to another supervisor of the project (the driver or any supervisor may)."""
    require(actor, session.project_id, Action.DAILIES_RUN)
    session = DailiesSession.objects.select_for_update().get(pk=session.pk)
    if session.ended is not None:
        raise Conflict(f"the session {session.title!r} has ended: nobody drives it")
    to_user = get_user_model().objects.filter(username=to_username).first()
    if to_user is None or not allowed(to_user, session.project_id, Action.DAILIES_RUN):
        raise ValidationError({"to": f"{to_username!r} is not a supervisor of this project: only a supervisor "
                                     "may drive a session"})
    session.driver = to_user
    session.save(update_fields=["driver"])
    _announce(session, {"type": "driver", "driver": to_user.username})
    return session


@transaction.atomic
def dailies_end(*, session: DailiesSession, actor: Any) -> DailiesSession:
    """Close the session: nobody drives any more, and its summary stops gathering notes."""
    require(actor, session.project_id, Action.DAILIES_RUN)
    session = DailiesSession.objects.select_for_update().get(pk=session.pk)
    if session.ended is not None:
        raise Conflict(f"the session {session.title!r} has already ended")
    session.ended = timezone.now()
    session.driver = None
    session.save(update_fields=["ended", "driver"])
    _announce(session, {"type": "ended"})
    return session
