"""The activity record and the live broadcast that follow every change."""
from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from review.live_relay import send_to_groups
from review.models import Activity, Shot

logger = logging.getLogger(__name__)


def shot_group(shot_id: int) -> str:
    return f"shot_{shot_id}"


def board_group(project_id: int) -> str:
    return f"board_{project_id}"


def broadcast(*, shot: Shot, message: dict[str, Any]) -> None:
    """After the transaction commits, push `message` to the shot's page and to the board."""
    payload = {"shot": shot.id, **message}
    project_id = shot.sequence.project_id

    def send() -> None:
        try:
            send_to_groups([shot_group(shot.id), board_group(project_id)], {"type": "review.event", "message": payload})
        except Exception:  # a dead channel layer or relay must not break a write that already committed
            logger.exception("could not broadcast %s for shot %s", message.get("type"), shot.id)

    transaction.on_commit(send)


def activity_record(*, shot: Shot, actor: Any, verb: str, summary: str, data: dict[str, Any] | None = None,
                    message: dict[str, Any] | None = None) -> Activity:
    """Record a change of `shot` and, when `message` is given, broadcast it once the change commits."""
    entry = Activity(project_id=shot.sequence.project_id, shot=shot,
                     actor=actor if getattr(actor, "is_authenticated", False) else None,
                     verb=verb, summary=summary, data=data or {})
    entry.full_clean()
    entry.save()
    if message is not None:
        broadcast(shot=shot, message=message)
    return entry
