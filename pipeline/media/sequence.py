"""Numbered image sequences: `plate.1001.exr`, `plate_%04d.png`, `plate.####.exr`, `plate.@@@@.exr`.

A sequence is a folder, a name prefix and suffix, and a zero padding; frame numbers are the plate's own
(1001-based is common) and are never renumbered. Reading checks what breaks work downstream: no frames,
a gap, a frame of another size. Writing puts the whole sequence in place at once or not at all.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np

from pipeline.errors import MediaError
from pipeline.media.image import exr_channels, image_size, write_exr, write_image

log = logging.getLogger(__name__)

_PRINTF = re.compile(r"%0?(\d*)d")
_HASHES = re.compile(r"[#@]+")
_FRAME_FILE = re.compile(r"^(?P<prefix>.*?)(?P<digits>\d+)(?P<suffix>\.[A-Za-z][A-Za-z0-9]*)$")


@dataclass(frozen=True)
class SequencePattern:
    """Where the frames of a sequence live: `folder / f"{prefix}{frame:0{padding}d}{suffix}"`."""

    folder: Path
    prefix: str
    suffix: str
    padding: int  # digits of zero padding; 0 or 1 means unpadded

    def path(self, frame: int) -> Path:
        return self.folder / f"{self.prefix}{frame:0{self.padding}d}{self.suffix}"

    @property
    def printf(self) -> str:
        """The pattern in printf form (`plate.%04d.exr`), as ffmpeg and Nuke write it."""
        return str(self.folder / f"{self.prefix}%0{self.padding}d{self.suffix}") if self.padding > 1 \
            else str(self.folder / f"{self.prefix}%d{self.suffix}")

    def __str__(self) -> str:
        return str(self.folder / f"{self.prefix}{'#' * max(self.padding, 1)}{self.suffix}")

    def frame_of(self, name: str) -> int | None:
        """The frame number of a file name in this sequence, or None when the name is not one of its frames."""
        if not (name.startswith(self.prefix) and name.endswith(self.suffix)):
            return None
        digits = name[len(self.prefix):len(name) - len(self.suffix)]
        if not (digits.isascii() and digits.isdigit()):
            return None
        frame = int(digits)
        return frame if f"{frame:0{self.padding}d}" == digits else None


@dataclass(frozen=True)
class ImageSequence:
    """A checked sequence on disk: contiguous frames, all one size."""

    pattern: SequencePattern
    frames: tuple[int, ...]
    width: int
    height: int

    @property
    def first_frame(self) -> int:
        return self.frames[0]

    @property
    def last_frame(self) -> int:
        return self.frames[-1]

    def path(self, frame: int) -> Path:
        return self.pattern.path(frame)


def is_sequence_pattern(path: str | os.PathLike) -> bool:
    """True for `plate.%04d.exr`, `plate.####.exr` and `plate.@@@@.exr` (a pattern, not one file)."""
    name = Path(path).name
    return bool(_PRINTF.search(name) or _HASHES.search(name))


def parse_sequence_path(path: str | os.PathLike) -> SequencePattern:
    """The sequence a pattern or any one of its frame files names (`plate.1001.exr` -> `plate.####.exr`)."""
    p = Path(path)
    name = p.name
    if m := _PRINTF.search(name):
        padding = int(m.group(1) or 0)
        return SequencePattern(p.parent, name[:m.start()], name[m.end():], padding)
    if m := _HASHES.search(name):
        return SequencePattern(p.parent, name[:m.start()], name[m.end():], len(m.group()))
    if m := _FRAME_FILE.match(name):
        digits = m.group("digits")
        return SequencePattern(p.parent, m.group("prefix"), m.group("suffix"), len(digits) if len(digits) > 1 else 0)
    raise MediaError(f"{p}: not a numbered frame or a sequence pattern; name frames like plate.1001.exr, "
                     "or give a pattern like plate.####.exr or plate.%04d.exr")


def _frames_on_disk(pattern: SequencePattern) -> list[int]:
    if not pattern.folder.is_dir():
        return []
    frames = (pattern.frame_of(entry.name) for entry in os.scandir(pattern.folder) if entry.is_file())
    return sorted(f for f in frames if f is not None)


def find_sequence(path: str | os.PathLike) -> ImageSequence:
    """Find and check the frames of the sequence `path` names (a pattern or any one frame).

    Errors name the sequence and the frame: no frames at all, missing frame numbers inside the range
    (a gap), a frame of another resolution (checked from headers only, so it is cheap).
    One frame's name does not say whether `plate.10.png` is padded to 2 digits or not padded at all;
    the reading that finds more frames on disk wins.
    """
    pattern = parse_sequence_path(path)
    frames = _frames_on_disk(pattern)
    if not is_sequence_pattern(path) and not Path(path).name.removeprefix(pattern.prefix).startswith("0"):
        unpadded = replace(pattern, padding=0)
        unpadded_frames = _frames_on_disk(unpadded)
        if len(unpadded_frames) > len(frames):
            pattern, frames = unpadded, unpadded_frames
    if not frames:
        raise MediaError(f"{pattern}: no frames found (zero files match this sequence); check the path and the "
                         "frame-number padding")
    missing = sorted(set(range(frames[0], frames[-1] + 1)) - set(frames))
    if missing:
        raise MediaError(f"{pattern}: gap in the sequence, {len(missing)} frame(s) missing between {frames[0]} and "
                         f"{frames[-1]}: {_ranges(missing)}; render or copy the missing frames")
    width, height = image_size(pattern.path(frames[0]))
    for frame in frames[1:]:
        size = image_size(pattern.path(frame))
        if size != (width, height):
            raise MediaError(f"{pattern.path(frame)}: frame {frame} is {size[0]}x{size[1]} but the sequence "
                             f"{pattern} starts at {width}x{height} (frame {frames[0]}); every frame must have "
                             "one resolution")
    return ImageSequence(pattern, tuple(frames), width, height)


def _ranges(frames: list[int]) -> str:
    """`[3, 4, 5, 9]` -> `"3-5, 9"`: short, and still names every missing frame."""
    parts: list[str] = []
    start = prev = frames[0]
    for f in [*frames[1:], None]:
        if f is not None and f == prev + 1:
            prev = f
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if f is not None:
            start = prev = f
    return ", ".join(parts)


Frame = np.ndarray | Mapping[str, np.ndarray]


def write_sequence(pattern: str | os.PathLike | SequencePattern, frames: Iterable[tuple[int, Frame]], *,
                   bits: int = 8, half: bool = True, srgb_encode: bool = False,
                   fps: Fraction | None = None) -> ImageSequence:
    """Write `(frame number, image)` pairs as a sequence, replacing any earlier frames of the same pattern.

    An image is an HxW(xC) array (see `write_image`) or, for EXR, a dict of named channels; `fps` goes
    into EXR headers (other formats have no place for it). Frames are
    written into a hidden folder first and moved into place only when every one succeeded, so an error
    midway leaves the previous sequence (or nothing) rather than half a new one.
    """
    seq = pattern if isinstance(pattern, SequencePattern) else parse_sequence_path(pattern)
    seq.folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{seq.prefix or 'seq'}.", dir=seq.folder))
    written: list[int] = []
    size: tuple[int, int] | None = None
    try:
        for frame, image in frames:
            target = staging / seq.path(frame).name
            if target.exists():
                raise MediaError(f"{seq}: frame {frame} given twice")
            first = next(iter(image.values())) if isinstance(image, Mapping) else np.asarray(image)
            frame_size = (first.shape[1], first.shape[0])
            if size is not None and frame_size != size:
                raise MediaError(f"{seq.path(frame)}: frame {frame} is {frame_size[0]}x{frame_size[1]}, the sequence "
                                 f"is {size[0]}x{size[1]}; every frame must have one resolution")
            size = frame_size
            if isinstance(image, Mapping):
                write_exr(target, image, half=half, fps=fps)
            elif target.suffix.lower() == ".exr" and fps is not None:
                write_exr(target, exr_channels(np.asarray(image, np.float32)), half=half, fps=fps)
            else:
                write_image(target, image, bits=bits, half=half, srgb_encode=srgb_encode)
            written.append(frame)
        if not written:
            raise MediaError(f"{seq}: no frames to write (zero frames given)")
        for stale in _frames_on_disk(seq):
            if stale not in written:
                seq.path(stale).unlink()
        for frame in written:
            os.replace(staging / seq.path(frame).name, seq.path(frame))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    written.sort()
    log.debug("wrote %d frames of %s", len(written), seq)
    return ImageSequence(seq, tuple(written), size[0], size[1])

