"""A clip: an image sequence or a video, read frame by frame by the plate's frame numbers.

Frame numbers are the plate's: a sequence keeps its own numbering (1001-1096), a video's frames are
numbered from `first_frame`. fps is an exact ratio (24000/1001 stays 24000/1001). Frames are decoded on
demand, never the whole clip at once: a sequence reads one file, a video seeks to the keyframe before
the frame and decodes forward (reading frames in order decodes each packet once).
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pipeline.errors import MediaError
from pipeline.media.fps import fps_text, parse_fps
from pipeline.media.image import exr_header_info, read_image, read_srgb8, sniff_format
from pipeline.media.timecode import metadata_timecode
from pipeline.media.sequence import ImageSequence, find_sequence, is_sequence_pattern

log = logging.getLogger(__name__)


class FrameReader(Protocol):
    def read(self, index: int, frame: int, srgb_decode: bool) -> np.ndarray: ...

    def read_srgb8(self, index: int, frame: int) -> np.ndarray: ...

    def close(self) -> None: ...


class FrameSpan:
    """`last_frame` and `frame_range` of anything with `first_frame` and `frame_count`."""

    first_frame: int
    frame_count: int

    @property
    def last_frame(self) -> int:
        return self.first_frame + self.frame_count - 1

    @property
    def frame_range(self) -> range:
        return range(self.first_frame, self.last_frame + 1)


@dataclass
class Clip(FrameSpan):
    """Metadata of a clip plus `read(frame)`; open one with `open_clip`."""

    path: Path
    kind: str  # "sequence" or "video"
    codec: str
    first_frame: int
    frame_count: int
    fps: Fraction
    width: int
    height: int
    pixel_aspect: Fraction
    linear: bool  # True when frames hold linear light (EXR), False when display-encoded (PNG, JPEG, video)
    _reader: FrameReader = field(repr=False, compare=False)
    timecode: str = ""  # the first frame's SMPTE timecode from the file's metadata ("" when it carries none)

    def read(self, frame: int, *, srgb_decode: bool = False) -> np.ndarray:
        """Frame `frame` (a plate frame number) as float32 HxWxC.

        EXR frames come back linear as stored; 8/16-bit and video frames in 0..1 display values,
        decoded to linear when `srgb_decode`.
        """
        self._check(frame)
        return self._reader.read(frame - self.first_frame, frame, srgb_decode)

    def read_srgb8(self, frame: int) -> np.ndarray:
        """Frame `frame` for display as HxWx3 uint8 sRGB (linear EXR encoded, alpha dropped), read the fast way."""
        self._check(frame)
        return self._reader.read_srgb8(frame - self.first_frame, frame)

    def read_display8(self, frame: int, from_linear: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Frame `frame` as HxWx3 uint8 for display, linear frames through `from_linear` (an OCIO view) from their
        stored bits, display-encoded ones as `read_srgb8` gives them."""
        if not self.linear:
            return self.read_srgb8(frame)
        self._check(frame)
        assert isinstance(self._reader, _SequenceReader)  # linear light only comes in EXR sequences
        return self._reader.read_display8(frame, from_linear)

    def _check(self, frame: int) -> None:
        if frame not in self.frame_range:
            raise MediaError(f"{self.path}: frame {frame} is outside the clip's frame range "
                             f"{self.first_frame}-{self.last_frame}")

    def info(self) -> dict[str, Any]:
        """JSON-ready description, as `facereplace media probe` prints it."""
        return {"path": str(self.path), "kind": self.kind, "codec": self.codec, "width": self.width,
                "height": self.height, "pixel_aspect": fps_text(self.pixel_aspect), "fps": fps_text(self.fps),
                "first_frame": self.first_frame, "last_frame": self.last_frame, "frame_count": self.frame_count,
                "timecode": self.timecode or None, "linear": self.linear}

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> Clip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_clip(path: str | os.PathLike, *, first_frame: int = 1001, fps: Fraction | str | None = None) -> Clip:
    """Open a sequence (a pattern such as `plate.####.exr`, or any one of its frames) or a video file.

    A sequence keeps its own frame numbers (`first_frame` is ignored); a video's frames are numbered
    from `first_frame`. `fps` overrides the rate in the file; a sequence with no rate in its headers
    (PNG, JPEG, most EXRs) needs it.
    """
    p = Path(path)
    if is_sequence_pattern(p):
        return _sequence_clip(find_sequence(p), fps)
    if p.is_dir():
        raise MediaError(f"{p}: is a folder; give a video file, one frame of a sequence or a pattern like "
                         "plate.####.exr")
    if not p.is_file():
        raise MediaError(f"{p}: no such file")
    if sniff_format(p) is not None:
        return _sequence_clip(find_sequence(p), fps)
    from pipeline.media.video import open_video

    return open_video(p, first_frame=first_frame, fps=None if fps is None else parse_fps(fps, source=p))


class _SequenceReader:
    def __init__(self, seq: ImageSequence):
        self._seq = seq

    def read(self, index: int, frame: int, srgb_decode: bool) -> np.ndarray:
        return self._checked(frame, read_image(self._seq.path(frame), srgb_decode=srgb_decode))

    def read_srgb8(self, index: int, frame: int) -> np.ndarray:
        return self._checked(frame, read_srgb8(self._seq.path(frame)))

    def read_display8(self, frame: int, from_linear: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        return self._checked(frame, read_srgb8(self._seq.path(frame), from_linear=from_linear))

    def _checked(self, frame: int, image: np.ndarray) -> np.ndarray:
        if image.shape[:2] != (self._seq.height, self._seq.width):
            raise MediaError(f"{self._seq.path(frame)}: frame {frame} is {image.shape[1]}x{image.shape[0]}, the "
                             f"sequence is {self._seq.width}x{self._seq.height}")
        return image

    def close(self) -> None:
        pass


def sequence_rate(seq: ImageSequence) -> tuple[str, Fraction | None, Fraction]:
    """(codec, fps from the headers or None, pixel aspect) of a sequence, from its first frame."""
    first = seq.path(seq.first_frame)
    fmt = sniff_format(first) or "unknown"
    if fmt != "exr":
        return fmt, None, Fraction(1)
    info = exr_header_info(first)
    return fmt, info["fps"], info["pixel_aspect"]


def sequence_timecode(seq: ImageSequence, fps: Fraction) -> str:
    """The start timecode in the first frame's header (EXR's timeCode; other formats have no place for one),
    checked at `fps` ("" when there is none or it cannot exist at that rate)."""
    first = seq.path(seq.first_frame)
    if sniff_format(first) != "exr":
        return ""
    return metadata_timecode(exr_header_info(first)["timecode"] or "", fps, source=first)


def _sequence_clip(seq: ImageSequence, fps: Fraction | str | None) -> Clip:
    codec, header_fps, pixel_aspect = sequence_rate(seq)
    if fps is not None:
        rate = parse_fps(fps, source=seq.pattern)
    elif header_fps is not None:
        rate = header_fps
    else:
        raise MediaError(f"{seq.pattern}: the frames carry no frame rate; give it (--fps 24000/1001, or fps=...)")
    return Clip(path=Path(str(seq.pattern)), kind="sequence", codec=codec, first_frame=seq.first_frame,
                frame_count=len(seq.frames), fps=rate, width=seq.width, height=seq.height,
                pixel_aspect=pixel_aspect, linear=codec == "exr", _reader=_SequenceReader(seq),
                timecode=sequence_timecode(seq, rate))

