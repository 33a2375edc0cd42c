"""Websocket routes (Channels)."""
from __future__ import annotations

from django.urls import path

from review.consumers import BoardConsumer, DailiesConsumer, InboxConsumer, ShotConsumer, ShotJobsConsumer

websocket_urlpatterns: list = [
    path("ws/shots/<int:shot_id>/", ShotConsumer.as_asgi()),
    path("ws/board/", BoardConsumer.as_asgi()),
    path("ws/inbox/", InboxConsumer.as_asgi()),
    path("ws/shots/<int:shot_id>/jobs/", ShotJobsConsumer.as_asgi()),
    path("ws/dailies/<int:session_id>/", DailiesConsumer.as_asgi()),
]
