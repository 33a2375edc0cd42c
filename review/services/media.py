"""Uploaded media, judged by content: a clip must be a whole, decodable video; an image a readable image.

The client's file name and content type are never trusted: clips are judged by the engine's probe (a text file
renamed .mp4, an image, a truncated MP4 are refused), images by decoding them; anything over
FACEREPLACE_MAX_UPLOAD_BYTES is refused with 413.
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

from pipeline.errors import MediaError
from pipeline.media.probe import probe
from review.errors import UploadRejected

logger = logging.getLogger(__name__)

_CLIP_SUFFIXES = frozenset({".mp4", ".mov", ".mkv", ".webm"})  # a stored clip keeps one of these, else .mp4


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


def clip_probe(path: Path, *, name: str) -> ClipInfo:
    """The engine's probe (by content, truncation included) on the uploaded bytes; anything but a complete
    video is refused, with the probe's reason told under the upload's own name."""
    try:
        info = probe(path)
    except MediaError as exc:
        raise UploadRejected(str(exc).replace(str(path), name)) from None
    except Exception:  # the file broke the reader in a way it does not name: still not a usable clip
        logger.exception("probing upload %s failed", name)
        raise UploadRejected(f"{name}: cannot be read as a video; is it damaged, truncated or misnamed?") from None
    if info["kind"] != "video":
        raise UploadRejected(f"{name}: is {'an' if info['kind'] == 'image' else 'a'} {info['kind']} "
                             f"({info['codec']}), not a video; upload an MP4 or MOV clip")
    suffix = Path(name).suffix.lower()
    return ClipInfo(frames=info["frame_count"], fps=Fraction(info["fps"]), width=info["width"],
                    height=info["height"], codec=info["codec"], suffix=suffix if suffix in _CLIP_SUFFIXES else ".mp4")


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
