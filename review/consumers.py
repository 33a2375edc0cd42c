"""Websockets: one per shot (`ws/shots/<id>/`), one for the board (`ws/board/`), and each person's inbox
(`ws/inbox/`: the unread count in the header).

Consumers never write: they check who is asking, join the group, and forward what the services broadcast
after each commit (`review.services.activity.broadcast`).
"""
from __future__ import annotations

import asyncio
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from review.jobs.live import jobs_group
from review.services.activity import board_group, shot_group
from review.services.notifications import inbox_group

FORBIDDEN = 4403


def _may_see_shot(user: Any, shot_id: int) -> bool:
    from review.models import Shot
    from review.permissions import Action, allowed

    project_id = Shot.objects.filter(pk=shot_id).values_list("sequence__project_id", flat=True).first()
    return project_id is not None and allowed(user, project_id, Action.VIEW)


def _board_groups(user: Any) -> list[str]:
    from review.models import Project
    from review.permissions import member_project_ids

    ids = Project.objects.values_list("id", flat=True) if user.is_superuser else member_project_ids(user)
    return [board_group(i) for i in ids]


class _ForwardingConsumer(AsyncJsonWebsocketConsumer):
    """Joins the groups `listen_to` names (none: the connection is refused) and forwards their events."""

    groups_joined: list[str] = []

    async def listen_to(self) -> list[str]:
        return []

    async def connect(self) -> None:
        user = self.scope.get("user")
        groups = await self.listen_to() if user is not None and user.is_authenticated else []
        if not groups:
            await self.close(code=FORBIDDEN)
            return
        self.groups_joined = groups
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Listeners only: anything sent is ignored (writes go through the API)."""

    async def review_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event["message"])


class ShotConsumer(_ForwardingConsumer):
    async def listen_to(self) -> list[str]:
        shot_id = int(self.scope["url_route"]["kwargs"]["shot_id"])
        may = await database_sync_to_async(_may_see_shot)(self.scope["user"], shot_id)
        return [shot_group(shot_id)] if may else []


class BoardConsumer(_ForwardingConsumer):
    """Every shot of every project the user belongs to."""

    async def listen_to(self) -> list[str]:
        return await database_sync_to_async(_board_groups)(self.scope["user"])


class InboxConsumer(_ForwardingConsumer):
    """The signed-in person's own inbox only (the group is named by their id, never by the URL)."""

    async def listen_to(self) -> list[str]:
        return [inbox_group(self.scope["user"].pk)]


class ShotJobsConsumer(_ForwardingConsumer):
    """A shot's jobs (progress, log, failure) on their own socket, so frequent progress does not make the
    shot page refetch the shot. With the in-memory layer, a worker not given the relay (review.live_relay)
    cannot reach it, so it also reads the shot's changed jobs from the table every half second."""

    poll_seconds = 0.5

    async def listen_to(self) -> list[str]:
        self.shot_id = int(self.scope["url_route"]["kwargs"]["shot_id"])
        may = await database_sync_to_async(_may_see_shot)(self.scope["user"], self.shot_id)
        return [jobs_group(self.shot_id)] if may else []

    async def connect(self) -> None:
        await super().connect()
        from channels.layers import InMemoryChannelLayer

        if self.groups_joined and isinstance(self.channel_layer, InMemoryChannelLayer):
            self.poller = asyncio.ensure_future(self._poll())

    async def disconnect(self, code: int) -> None:
        poller = getattr(self, "poller", None)
        if poller is not None:
            poller.cancel()
        await super().disconnect(code)

    async def _poll(self) -> None:
        from review.selectors.jobs import jobs_changed_since

        since = None
        while True:
            messages, since = await database_sync_to_async(jobs_changed_since)(shot_id=self.shot_id, since=since)
            for message in messages:
                await self.send_json(message)
            await asyncio.sleep(self.poll_seconds)


def _dailies_access(user: Any, session_id: int) -> tuple[bool, str | None]:
    """(may join: a member of the session's project, the current driver's username or None)."""
    from review.models import DailiesSession
    from review.permissions import Action, allowed

    row = DailiesSession.objects.filter(pk=session_id).values_list("project_id", "driver__username").first()
    if row is None or not allowed(user, row[0], Action.VIEW):
        return False, None
    return True, row[1]


# What a driver's player state may hold, and each value's kind: anything else in a message is dropped, and a
# message with a value of the wrong kind is dropped whole (followers apply what they get without checking).
STATE_FIELDS: dict[str, tuple[type, ...]] = {
    "item": (int,), "frame": (int,), "playing": (bool,), "direction": (int,), "view": (str,),
    "compare": (list, type(None)),
    "loupe": (dict, type(None)),
}
MAX_STATE_CHARS = 2000


def driver_state(content: Any) -> dict[str, Any] | None:
    """The player state in a driver's message, or None when it is not one (bad kind, too big, no frame)."""
    if not isinstance(content, dict) or content.get("type") != "state" or len(str(content)) > MAX_STATE_CHARS:
        return None
    state = {key: content[key] for key in STATE_FIELDS if key in content}
    for key, value in state.items():
        if not isinstance(value, STATE_FIELDS[key]) or (isinstance(value, bool) and bool not in STATE_FIELDS[key]):
            return None
    return state if "frame" in state else None


class DailiesConsumer(_ForwardingConsumer):
    """A dailies session's socket (`ws/dailies/<id>/`): every member of the project may listen; only the
    session's driver may speak. The driver's player sends its state (`{"type": "state", "frame": ...}`) on each
    seek, step, play, pause and view change; it is relayed to everyone as `{"type": "state", "driver": ...}`.
    The driver is read from the table on each message, so a hand-over (an API call) takes effect at once. A
    newcomer is told who drives (`{"type": "joined", "driver": ...}`), and its connection asks the driver's player
    to say its state again (`{"type": "resend"}`)."""

    async def listen_to(self) -> list[str]:
        from review.services.dailies import dailies_group

        self.session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        may, self.driver_at_join = await database_sync_to_async(_dailies_access)(self.scope["user"], self.session_id)
        return [dailies_group(self.session_id)] if may else []

    async def connect(self) -> None:
        await super().connect()
        if self.groups_joined:
            await self.send_json({"type": "joined", "session": self.session_id, "driver": self.driver_at_join})
            await self.channel_layer.group_send(self.groups_joined[0], {"type": "review.event", "message": {
                "type": "resend", "session": self.session_id}})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        state = driver_state(content)
        if state is None:
            await self.send_json({"type": "refused", "detail": "not a player state: give at least an integer "
                                                               "'frame'"})
            return
        _, driver = await database_sync_to_async(_dailies_access)(self.scope["user"], self.session_id)
        if driver is None or driver != self.scope["user"].username:
            await self.send_json({"type": "refused", "detail": f"only the driver ({driver or 'nobody'}) steers "
                                                               "this session"})
            return
        await self.channel_layer.group_send(self.groups_joined[0], {"type": "review.event", "message": {
            "type": "state", "session": self.session_id, "driver": driver, **state}})
