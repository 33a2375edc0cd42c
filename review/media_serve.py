"""Uploaded media served with HTTP range requests (206), so the browser's <video> can seek to any frame.

Only a canonical name is served: `shots/<id>/<folder>/<file>` with no `.`, `..` or empty segment (however it
was encoded: `%2e%2e`, `..%2F`), so the shot the permission check reads is the shot whose file is sent; its real
path must also lie inside that shot's folder under MEDIA_ROOT. Only people who may see the shot get the file.

Nothing uploaded is ever served as active content: the type is judged from the file's first bytes (never its
name), every answer carries `X-Content-Type-Options: nosniff` and a Content-Security-Policy that runs nothing, and
people's uploads (note attachments, frame fixes) and anything not on the inline list (review clips and PNG/JPEG
stills the player shows) are sent as `Content-Disposition: attachment`, which a browser saves instead of opening.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from review.models import Shot
from review.permissions import Action, allowed
from review.services.media import image_format

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# What the server stores (`review.models._storage_name`): shots/<id>/<folder>/<hex name><.suffix>
_SHOT_MEDIA = re.compile(r"shots/(\d{1,18})/(plate|variants|attachments|fixes|renders)/[\w-]+(?:\.[A-Za-z0-9]{1,6})?",
                         re.ASCII)
_PEOPLES_UPLOADS = frozenset({"attachments", "fixes"})  # always downloaded, never opened in the site's origin
_INLINE_TYPES = frozenset({"video/mp4", "video/quicktime", "video/webm", "image/png", "image/jpeg"})
# An opened file runs no script and loads nothing but itself; a file sent as an attachment is also sandboxed (an
# origin of its own, whatever it holds). A clip shown inline cannot be: the browser's own player page would then
# fetch it from that opaque origin and be refused.
MEDIA_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"
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


def content_type(path: str) -> str:
    """The media type of a stored file judged from its first bytes; text only for the .txt names the server
    gives text attachments it checked; anything else is opaque bytes."""
    with open(path, "rb") as f:
        head = f.read(16)
    image = image_format(head)
    if image == "exr":
        return "image/x-exr"
    if image is not None:
        return f"image/{image}"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if path.endswith(".txt"):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


def _shot_file(request: HttpRequest, name: str) -> str:
    """The path of the canonical media `name` the user may see, or 404."""
    match = _SHOT_MEDIA.fullmatch(name)
    if match is None:
        raise Http404("no such file")
    shot_id = int(match.group(1))
    project_id = Shot.objects.filter(pk=shot_id).values_list("sequence__project_id", flat=True).first()
    if project_id is None or not allowed(request.user, project_id, Action.VIEW):
        raise Http404("no such file")
    try:
        path = Path(default_storage.path(name)).resolve()
    except SuspiciousFileOperation:
        raise Http404("no such file") from None
    if not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve() / "shots" / str(shot_id)) or not path.is_file():
        raise Http404("no such file")
    return str(path)


@require_GET
@login_required
def media(request: HttpRequest, name: str) -> HttpResponse:
    path = _shot_file(request, name)
    size = os.path.getsize(path)
    media_type = content_type(path)
    header = request.headers.get("Range")
    if header:
        span = parse_range(header, size)
        if span is None:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        first, last = span
        response = StreamingHttpResponse(_read(path, first, last - first + 1), status=206, content_type=media_type)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
    else:
        response = StreamingHttpResponse(_read(path, 0, size), content_type=media_type)
        response["Content-Length"] = str(size)
    inline = name.split("/")[2] not in _PEOPLES_UPLOADS and media_type in _INLINE_TYPES
    response["Content-Disposition"] = "inline" if inline else f'attachment; filename="{os.path.basename(path)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_CSP if inline else f"{MEDIA_CSP}; sandbox"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    return response
