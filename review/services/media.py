"""Uploaded media, judged by content: a clip must be a whole, decodable video; an image a readable image.

The client's file name and content type are never trusted: clips are judged by the engine's probe (a text file
renamed .mp4, an image, a truncated MP4 are refused), images by decoding them once their declared size is
checked against FACEREPLACE_MAX_IMAGE_PIXELS (a 900-megapixel PNG of a few kilobytes is refused before a pixel
is decoded); note attachments only on an allow-list (images, PDF, video, plain text), never HTML or SVG that a
browser would run; anything over FACEREPLACE_MAX_UPLOAD_BYTES is refused with 413. Stored names take their
suffix from what the content was judged to be, never from the client's name.
"""
from __future__ import annotations

import codecs
import contextlib
import hashlib
import logging
import re
import struct
import tempfile
import warnings
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
    timecode: str = ""  # the first frame's timecode from the clip's metadata, "" when it has none


def upload_size_check(size: int | None, *, what: str) -> None:
    limit = settings.FACEREPLACE_MAX_UPLOAD_BYTES
    if size is not None and size > limit:
        raise UploadRejected(f"{what} is {size} bytes, over the site's limit of {limit} bytes "
                             "(FACEREPLACE_MAX_UPLOAD_BYTES)", status=413)


@contextlib.contextmanager
def _on_disk(upload: UploadedFile) -> Iterator[Path]:
    """The upload as a file: its temporary file when Django streamed it to disk (above
    FILE_UPLOAD_MAX_MEMORY_SIZE), else a temporary copy of the small in-memory upload."""
    path = getattr(upload, "temporary_file_path", None)
    if path is not None:
        yield Path(path())
        return
    with tempfile.NamedTemporaryFile(suffix=".upload") as tmp:
        upload.seek(0)
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        upload.seek(0)
        yield Path(tmp.name)


def upload_probe(upload: UploadedFile) -> ClipInfo:
    """Probe an upload where it lies (see `_on_disk`)."""
    with _on_disk(upload) as path:
        return clip_probe(path, name=upload.name or "clip")


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
                    height=info["height"], codec=info["codec"], suffix=suffix if suffix in _CLIP_SUFFIXES else ".mp4",
                    timecode=info.get("timecode") or "")


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


# --- images ------------------------------------------------------------------------------------------------

_IMAGE_MAGIC = ((b"\x76\x2f\x31\x01", "exr"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"),
                (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"), (b"GIF87a", "gif"), (b"GIF89a", "gif"))
FIX_FORMATS = ("png", "jpeg", "tiff", "exr")  # what the comp and the artists' tools read and write
ATTACHMENT_IMAGE_FORMATS = ("png", "jpeg", "gif", "webp", "tiff", "exr")


def image_format(head: bytes) -> str | None:
    """The image format the first bytes of a file announce (exr, png, jpeg, tiff, gif, webp), or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return next((fmt for magic, fmt in _IMAGE_MAGIC if head.startswith(magic)), None)


def _head(path: Path, size: int = 16) -> bytes:
    with path.open("rb") as f:
        return f.read(size)


def image_check(upload: UploadedFile, *, formats: tuple[str, ...] = FIX_FORMATS) -> str:
    """The image's format judged from its bytes (one of `formats`), its declared size checked against
    FACEREPLACE_MAX_IMAGE_PIXELS before any pixel is decoded, then decoded whole: refuse anything else."""
    name = upload.name or "image"
    with _on_disk(upload) as path:
        return _image_verify(path, name=name, formats=formats)


def _image_verify(path: Path, *, name: str, formats: tuple[str, ...]) -> str:
    accepted = ", ".join(f.upper() for f in formats)
    fmt = image_format(_head(path))
    if fmt not in formats:
        found = f"{fmt.upper()} images are not accepted here" if fmt else "its content is no image format"
        raise UploadRejected(f"{name}: not a readable image ({found}); upload {accepted}")
    if fmt == "exr":
        _pixels_check(name, *_exr_size(path, name=name))
        from pipeline.media.image import read_exr

        try:
            read_exr(path)
        except MediaError:
            raise UploadRejected(f"{name}: not a readable image (its EXR pixels do not decode: damaged or truncated); "
                                 f"upload {accepted}") from None
        return fmt
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit is checked below
            with Image.open(path) as image:
                _pixels_check(name, *image.size)
                image.load()
    except Image.DecompressionBombError:
        raise UploadRejected(f"{name}: the image declares more than {2 * Image.MAX_IMAGE_PIXELS} pixels, over the "
                             f"site's limit of {_pixel_limit()} (FACEREPLACE_MAX_IMAGE_PIXELS)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UploadRejected(f"{name}: not a readable image ({exc}); upload {accepted}") from None
    return fmt


def _pixel_limit() -> int:
    return int(settings.FACEREPLACE_MAX_IMAGE_PIXELS)


def _pixels_check(name: str, width: int, height: int) -> None:
    limit = _pixel_limit()
    if width <= 0 or height <= 0:
        raise UploadRejected(f"{name}: not a readable image (it declares {width}x{height} pixels)")
    if width * height > limit:
        raise UploadRejected(f"{name}: the image is {width}x{height} ({width * height} pixels), over the site's "
                             f"limit of {limit} pixels (FACEREPLACE_MAX_IMAGE_PIXELS)")


def _exr_size(path: Path, *, name: str) -> tuple[int, int]:
    """(width, height) an EXR declares (the larger of its data and display windows), from its header alone:
    its attributes are `name NUL type NUL size value`, up to an empty name."""
    with path.open("rb") as f:
        header = f.read(1 << 16)
    windows: dict[bytes, tuple[int, int, int, int]] = {}
    pos = 8  # magic number and version field
    while True:
        end = header.find(b"\0", pos)
        if end < 0:
            break
        attribute = header[pos:end]
        if not attribute:
            if {b"dataWindow", b"displayWindow"} <= windows.keys():
                sizes = [(x1 - x0 + 1, y1 - y0 + 1) for x0, y0, x1, y1 in windows.values()]
                return max(w for w, _ in sizes), max(h for _, h in sizes)
            break
        type_end = header.find(b"\0", end + 1)
        if type_end < 0 or type_end + 5 > len(header):
            break
        size = struct.unpack_from("<i", header, type_end + 1)[0]
        value = header[type_end + 5:type_end + 5 + size]
        if attribute in (b"dataWindow", b"displayWindow") and size == 16 and len(value) == 16:
            windows[attribute] = struct.unpack("<4i", value)
        pos = type_end + 5 + max(size, 0)
    raise UploadRejected(f"{name}: not a readable image (its EXR header is damaged or has no data window)")


# --- note attachments -------------------------------------------------------------------------------------

# Names a browser would render as a page (with scripts): refused whatever their content.
_ACTIVE_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml", ".svg", ".svgz", ".xml", ".xsl", ".xslt", ".js",
                              ".mjs"})
_MARKUP = re.compile(r"<\s*(?:!doctype|html|head|body|script|svg|iframe|object|embed|meta|style|link|form|\?xml)\b",
                     re.IGNORECASE)
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_ATTACHMENTS = "an image (PNG, JPEG, GIF, WebP, TIFF, EXR), a PDF, a video or plain text"


def attachment_check(upload: UploadedFile) -> str:
    """The suffix a note attachment is stored under, from what its content is: an image (decoded, within the
    pixel limit), a PDF, plain UTF-8 text without markup, or a video the engine's probe reads. Anything
    else, and anything named or made like a web page (HTML, SVG), is refused."""
    name = upload.name or "attachment"
    if Path(name).suffix.lower() in _ACTIVE_SUFFIXES:
        raise UploadRejected(f"{name}: HTML, SVG and other web pages are not accepted as attachments (a browser would "
                             f"run the scripts in them); attach {_ATTACHMENTS}")
    with _on_disk(upload) as path:
        head = _head(path)
        fmt = image_format(head)
        if fmt is not None:
            return "." + _image_verify(path, name=name, formats=ATTACHMENT_IMAGE_FORMATS)
        if head.startswith(b"%PDF-"):
            return ".pdf"
        if _plain_text(path, name=name):
            return ".txt"
        try:
            return clip_probe(path, name=name).suffix
        except UploadRejected:
            pass
    raise UploadRejected(f"{name}: not an accepted attachment (judged by its content); attach {_ATTACHMENTS}")


def _plain_text(path: Path, *, name: str) -> bool:
    """Whether the file is UTF-8 text without control characters; refused if it holds HTML or SVG markup."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    tail = ""
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            try:
                text = tail + decoder.decode(chunk)
            except UnicodeDecodeError:
                return False
            if _TEXT_CONTROLS.search(text):
                return False
            if _MARKUP.search(text):
                raise UploadRejected(f"{name}: holds HTML or SVG markup, which a browser would run; attach "
                                     f"{_ATTACHMENTS}")
            tail = text[-64:]
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
