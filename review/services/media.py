"""Uploaded media, judged by content: a clip must be a whole, decodable video; an image a readable image.

The client's file name and content type are never trusted: a text file renamed .mp4 is refused, a truncated
MP4 (fewer samples on disk than its header lists, or no header at all) is refused, and so is anything over
FACEREPLACE_MAX_UPLOAD_BYTES (413).
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile

from review.errors import UploadRejected

logger = logging.getLogger(__name__)

_CONTAINER_SUFFIX = {"mp4": ".mp4", "mov": ".mov", "matroska": ".mkv", "webm": ".webm"}


@dataclass(frozen=True)
class ClipInfo:
    frames: int
    fps: Fraction
    width: int
    height: int
    codec: str
    suffix: str


def upload_size_check(size: int | None, *, what: str) -> None:
    limit = settings.FACEREPLACE_MAX_UPLOAD_BYTES
    if size is not None and size > limit:
        raise UploadRejected(f"{what} is {size} bytes, over the site's limit of {limit} bytes "
                             "(FACEREPLACE_MAX_UPLOAD_BYTES)", status=413)


def upload_probe(upload: UploadedFile) -> ClipInfo:
    """Probe an upload where it lies: its temporary file when Django streamed it to disk (above
    FILE_UPLOAD_MAX_MEMORY_SIZE), else a temporary copy of the small in-memory upload."""
    name = upload.name or "clip"
    path = getattr(upload, "temporary_file_path", None)
    if path is not None:
        return clip_probe(Path(path()), name=name)
    with tempfile.NamedTemporaryFile(suffix=".upload") as tmp:
        upload.seek(0)
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        upload.seek(0)
        return clip_probe(Path(tmp.name), name=name)


@contextlib.contextmanager
def deleted_on_error() -> Iterator[list[str]]:
    """Collect the storage names written in the block; if it fails, delete them so nothing half-made stays."""
    names: list[str] = []
    try:
        yield names
    except BaseException:
        for name in names:
            default_storage.delete(name)
        raise


def sha256_of(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def clip_probe(path: Path, *, name: str) -> ClipInfo:
    """Open the clip by content and count its samples; refuse anything that is not a complete video."""
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise UploadRejected(f"{name}: not a readable video ({reason}); upload an MP4 or MOV clip") from None
    with container:
        if not container.streams.video:
            raise UploadRejected(f"{name}: holds no video stream ({container.format.name}); upload an MP4 or MOV clip")
        stream = container.streams.video[0]
        declared = stream.frames
        packets = 0
        try:
            for packet in container.demux(stream):
                if packet.size:
                    packets += 1
        except av.error.FFmpegError as exc:
            raise UploadRejected(f"{name}: the video breaks off after {packets} frames ({exc.strerror}); "
                                 "the file is truncated, upload it again") from None
        if packets == 0:
            raise UploadRejected(f"{name}: holds no video frames; the file is truncated or empty, upload it again")
        if declared and packets < declared:
            raise UploadRejected(f"{name}: the header lists {declared} frames but only {packets} are in the file; "
                                 "the file is truncated, upload it again")
        rate = stream.average_rate or stream.guessed_rate
        if not rate:
            raise UploadRejected(f"{name}: the video has no frame rate")
        codec = stream.codec_context.name
        width, height = stream.codec_context.width, stream.codec_context.height
        family = next((s for key, s in _CONTAINER_SUFFIX.items() if key in container.format.name.split(",")), ".mp4")
    return ClipInfo(frames=packets, fps=Fraction(rate.numerator, rate.denominator), width=width, height=height,
                    codec=codec, suffix=family)


def image_check(upload: UploadedFile) -> str:
    """The image's format (png, jpeg, tiff or exr) judged from its bytes; refuse anything else."""
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    if head == b"\x76\x2f\x31\x01":
        return "exr"
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(upload) as image:
            image.verify()
            fmt = (image.format or "").lower()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise UploadRejected(f"{upload.name}: not a readable image ({exc}); upload PNG, JPEG, TIFF or EXR") from None
    finally:
        upload.seek(0)
    if fmt not in {"png", "jpeg", "tiff"}:
        raise UploadRejected(f"{upload.name}: {fmt or 'unknown'} images are not accepted; upload PNG, JPEG, TIFF or EXR")
    return fmt
