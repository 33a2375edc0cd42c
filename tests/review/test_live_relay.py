"""A change made in a task worker reaches open pages under the embedded in-memory layer, through the relay."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.test import AsyncClient

from review.choices import ShotStatus
from review.live_relay import RELAY_HEADER, relay_token
from review.routing import websocket_urlpatterns
from review.services.shots import shot_set_status
from tests.timing import patience

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def relay_catcher(settings):
    """An HTTP endpoint standing in for the ASGI server: records what a worker process would relay."""
    received: list[tuple[dict, dict]] = []

    class Catch(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), json.loads(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Catch)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.FACEREPLACE_EVENT_RELAY_URL = f"http://127.0.0.1:{server.server_address[1]}/internal/relay/"
    yield received
    server.shutdown()


def test_a_workers_broadcast_goes_to_the_relay_signed(world_tx, relay_catcher):
    shot_set_status(shot=world_tx.shot, status=ShotStatus.TRAINING, actor=world_tx.users["pipeline"])
    assert len(relay_catcher) == 1
    headers, body = relay_catcher[0]
    assert headers[RELAY_HEADER] == relay_token()
    assert f"shot_{world_tx.shot.id}" in body["groups"]
    assert body["event"]["message"]["status"] == "training"


async def test_the_server_forwards_a_relayed_event_to_open_sockets(world_tx):
    socket = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/shots/{world_tx.shot.id}/")
    socket.scope["user"] = world_tx.users["artist"]
    assert (await socket.connect())[0]
    event = {"type": "review.event", "message": {"type": "render.progress", "shot": world_tx.shot.id, "progress": 40}}
    payload = json.dumps({"groups": [f"shot_{world_tx.shot.id}"], "event": event})
    client = AsyncClient()

    refused = await client.post("/internal/relay/", payload, content_type="application/json",
                                headers={RELAY_HEADER: "guess"})
    assert refused.status_code == 403
    assert await socket.receive_nothing(timeout=0.3)

    response = await client.post("/internal/relay/", payload, content_type="application/json",
                                 headers={RELAY_HEADER: await sync_to_async(relay_token)()})
    assert response.status_code == 200
    assert (await socket.receive_json_from(timeout=patience(3)))["progress"] == 40
    await socket.disconnect()
