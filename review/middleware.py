"""What the server cannot do right now, answered with the reason instead of a bare 500 after a long wait.

A database whose write lock another process held past the busy timeout (FACEREPLACE_SQLITE_TIMEOUT) is 503
with `Retry-After`; a media folder that is read-only (503) or full (507) names the setting MEDIA_ROOT. API
clients get JSON ({"detail": ...}), pages plain text.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from review.errors import MediaUnwritable, database_busy

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def _answer(request: HttpRequest, message: str, status: int) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


class Unavailable:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if database_busy(exception):
            logger.warning("%s %s: %s; answered 503", request.method, request.path, exception)
            response = _answer(request, "the database is busy with another write; try again in a few seconds", 503)
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        if isinstance(exception, MediaUnwritable):
            return _answer(request, str(exception), exception.status)
        return None
