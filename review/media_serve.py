"""Uploaded media served with HTTP range requests (206), so the browser's <video> can seek to any frame.

Names are resolved inside MEDIA_ROOT by the storage (`safe_join`): a name that climbs out is a 404. Every
stored name starts with its shot (`shots/<id>/...`), and only people who may see that shot get the file.
"""
from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from review.models import Shot
from review.permissions import Action, allowed

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_SHOT_MEDIA = re.compile(r"^shots/(\d+)/")
CHUNK = 256 * 1024


def _read(path: str, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as f:
        f.seek(start)
        while length > 0:
            data = f.read(min(CHUNK, length))
            if not data:
                return
            length -= len(data)
            yield data


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single `bytes=` range, clipped to the file; None when unsatisfiable."""
    m = _RANGE.match(header.strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None
    if not m.group(1):  # suffix: the last N bytes
        n = int(m.group(2))
        return (max(size - n, 0), size - 1) if n > 0 and size > 0 else None
    first = int(m.group(1))
    last = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    return (first, last) if first <= last and first < size else None


def _may_see(request: HttpRequest, name: str) -> bool:
    match = _SHOT_MEDIA.match(name)
    if match is None:
        return False
    project_id = (Shot.objects.filter(pk=int(match.group(1)))
                  .values_list("sequence__project_id", flat=True).first())
    return project_id is not None and allowed(request.user, project_id, Action.VIEW)


@require_GET
@login_required
def media(request: HttpRequest, name: str) -> HttpResponse:
    if not _may_see(request, name):
        raise Http404("no such file")
    try:
        path = default_storage.path(name)
    except SuspiciousFileOperation:
        raise Http404("no such file") from None
    if not os.path.isfile(path):
        raise Http404("no such file")
    size = os.path.getsize(path)
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    header = request.headers.get("Range")
    if header:
        span = parse_range(header, size)
        if span is None:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        first, last = span
        response = StreamingHttpResponse(_read(path, first, last - first + 1), status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
    else:
        response = StreamingHttpResponse(_read(path, 0, size), content_type=content_type)
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    return response
