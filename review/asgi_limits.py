"""ASGI middleware: refuse an upload whose Content-Length is over the limit before a byte of its body is read.

Django's ASGI handler receives a whole request body before any view runs, so a view can only refuse an
oversized upload after it arrived. Wrapped around the HTTP application, this answers 413 at once.
"""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

FORM_MARGIN = 1024 * 1024  # the limit is for the file; the form's other fields travel beside it

ASGIApp = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]


class UploadLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            length = dict(scope.get("headers", [])).get(b"content-length", b"")
            limit = settings.FACEREPLACE_MAX_UPLOAD_BYTES
            if length.isdigit() and int(length) > limit + FORM_MARGIN:
                body = json.dumps({"detail": f"the upload is {int(length)} bytes, over the site's limit of {limit} "
                                             "bytes (FACEREPLACE_MAX_UPLOAD_BYTES)"}).encode()
                await send({"type": "http.response.start", "status": 413,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
