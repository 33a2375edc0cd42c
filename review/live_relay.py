"""Live events from processes that share no channel layer with the ASGI server.

The embedded default runs the in-memory channel layer, which lives inside the ASGI process: a change made
by a task worker (a render finishing, a shot going final) would reach no open page. So a worker started by
`manage.py serve` gets FACEREPLACE_EVENT_RELAY_URL, and its broadcasts are POSTed there, signed with the
site's secret; the ASGI server forwards them to the groups in its own layer. With REDIS_URL every process
shares the Redis layer and sends directly.
"""
from __future__ import annotations

import json
import logging
from typing import Any

import requests
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger(__name__)

RELAY_HEADER = "X-Facereplace-Relay"
RELAY_PATH = "internal/relay/"


def relay_token() -> str:
    """Proof that the sender holds the site's SECRET_KEY (workers and server share it)."""
    return salted_hmac("facereplace.live_relay", "events", algorithm="sha256").hexdigest()


def send_to_groups(groups: list[str], event: dict[str, Any]) -> None:
    """Deliver `event` to `groups`: through the relay when this process has one, else the channel layer."""
    url = getattr(settings, "FACEREPLACE_EVENT_RELAY_URL", "")
    if url:
        response = requests.post(url, data=json.dumps({"groups": groups, "event": event}), timeout=5,
                                 headers={RELAY_HEADER: relay_token(), "Content-Type": "application/json"})
        response.raise_for_status()
        return
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        async_to_sync(layer.group_send)(group, event)


@csrf_exempt  # not a browser form: the relay token (an HMAC of the secret) authenticates the sender
@require_POST
async def relay(request: HttpRequest) -> JsonResponse:
    if not constant_time_compare(request.headers.get(RELAY_HEADER, ""), relay_token()):
        return JsonResponse({"detail": "relay token missing or wrong"}, status=403)
    try:
        body = json.loads(request.body)
        groups, event = list(body["groups"]), dict(body["event"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"detail": "expected JSON {groups: [...], event: {...}}"}, status=400)
    layer = get_channel_layer()
    for group in groups:
        await layer.group_send(str(group), event)
    return JsonResponse({"delivered": len(groups)})
