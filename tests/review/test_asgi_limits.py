"""An oversized upload is refused from its headers, before its body is read; others pass through."""
from __future__ import annotations

import json

from channels.testing.http import HttpCommunicator

from review.asgi_limits import FORM_MARGIN, UploadLimit


async def test_oversized_body_is_413_unread(settings):
    settings.FACEREPLACE_MAX_UPLOAD_BYTES = 1000
    reached = []

    async def app(scope, receive, send):
        reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limited = UploadLimit(app)
    big = HttpCommunicator(limited, "POST", "/api/shots/1/variants/",
                           headers=[(b"content-length", str(1000 + FORM_MARGIN + 1).encode())])
    response = await big.get_response()
    assert response["status"] == 413 and "FACEREPLACE_MAX_UPLOAD_BYTES" in json.loads(response["body"])["detail"]
    assert reached == []
    small = HttpCommunicator(limited, "POST", "/api/notes/1/replies/", body=b"{}",
                             headers=[(b"content-length", b"2")])
    assert (await small.get_response())["status"] == 200 and reached == ["/api/notes/1/replies/"]
