"""Probe any input: what it is, judged from its content (first bytes, demuxer), not its extension.

A sequence is probed without needing its fps (reported as None when its headers carry none), so a
user can see what is there before deciding what to pass.
"""
from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipeline.errors import MediaError
from pipeline.media.clip import open_clip, sequence_rate, sequence_timecode
from pipeline.media.fps import fps_text
from pipeline.media.image import image_size, sniff_format
from pipeline.media.sequence import find_sequence, is_sequence_pattern, parse_sequence_path


def probe(path: str | os.PathLike, *, first_frame: int = 1001) -> dict[str, Any]:
    """Describe a video, a sequence (pattern or any frame) or a single unnumbered image.

    Keys: path, kind ("video", "sequence", "image"), codec, width, height, pixel_aspect and fps as
    "num/den" strings (fps None when unknown), first_frame, last_frame, frame_count, and timecode (the
    first frame's SMPTE timecode from a video's metadata, None when it has none).
    """
    p = Path(path)
    if is_sequence_pattern(p) or (p.is_file() and sniff_format(p) is not None and _numbered(p)):
        return _probe_sequence(p)
    if p.is_file() and sniff_format(p) is not None:
        width, height = image_size(p)
        return {"path": str(p), "kind": "image", "codec": sniff_format(p), "width": width, "height": height,
                "pixel_aspect": "1/1", "fps": None, "first_frame": first_frame, "last_frame": first_frame,
                "frame_count": 1, "timecode": None}
    with open_clip(p, first_frame=first_frame) as clip:
        info = clip.info()
    del info["linear"]
    return info


def _numbered(path: Path) -> bool:
    try:
        parse_sequence_path(path)
    except MediaError:
        return False
    return True


def _probe_sequence(path: Path) -> dict[str, Any]:
    seq = find_sequence(path)
    codec, fps, pixel_aspect = sequence_rate(seq)
    return {"path": str(seq.pattern), "kind": "sequence", "codec": codec, "width": seq.width, "height": seq.height,
            "pixel_aspect": fps_text(Fraction(pixel_aspect)), "fps": None if fps is None else fps_text(fps),
            "first_frame": seq.first_frame, "last_frame": seq.last_frame, "frame_count": len(seq.frames),
            "timecode": (sequence_timecode(seq, fps) or None) if fps is not None else None}
