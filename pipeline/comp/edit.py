"""The edit: which variant is on screen for each frame of the shot, with crossfades across the cuts.

An edit file is JSON (kind "comp_edit", schema_version 1)::

    {"kind": "comp_edit", "schema_version": 1,
     "segments": [{"frame_start": 1001, "frame_end": 1040, "variant": "rigid", "transition": 0},
                  {"frame_start": 1041, "frame_end": 1096, "variant": "loose", "transition": 6}],
     "head_fit": {"scale": 1.0, "stretch_x": 1.0, "stretch_y": 1.0, "hairline_px": 0.0}}   # optional

Segments are ordered and cover the shot frame by frame; a segment's `transition` is a crossfade of that many
frames centred on its first frame, with the weights the review player uses (`edit_mix_at`). Plain dicts with
the site's keys are accepted too (a bare list of segments), so the site's edits render as they are.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.comp.headfit import HeadFit
from pipeline.comp.preview import edit_mix_at
from pipeline.config import config_from_dict, config_to_dict
from pipeline.errors import InputError

KIND = "comp_edit"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Segment:
    frame_start: int
    frame_end: int
    variant: str
    transition: int = 0  # crossfade length in frames, centred on frame_start (0: a cut)


@dataclass(frozen=True)
class Edit:
    segments: tuple[Segment, ...]
    head_fit: HeadFit = field(default_factory=HeadFit)

    @property
    def variants(self) -> list[str]:
        return sorted({s.variant for s in self.segments})

    def mix_at(self, frame: int) -> list[tuple[str, float]]:
        """(variant, weight) on screen at `frame`: one at 1, or two across a crossfade."""
        return edit_mix_at(self.as_dicts(), frame)

    def segment_weights(self, frame: int) -> list[tuple[int, float]]:
        """(segment index, weight) on screen at `frame` (the same weights, by segment)."""
        indexed = [{**d, "variant": i} for i, d in enumerate(self.as_dicts())]
        return edit_mix_at(indexed, frame)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [{"frame_start": s.frame_start, "frame_end": s.frame_end, "variant": s.variant,
                 "transition": s.transition} for s in self.segments]

    def to_dict(self) -> dict[str, Any]:
        return {"segments": self.as_dicts(), "head_fit": config_to_dict(self.head_fit)}


def edit_from_dict(data: dict[str, Any] | list[Any], *, where: str = "edit") -> Edit:
    """An Edit from its JSON form (or a bare list of segments); shapes and types are checked here, the fit to
    a shot by `check_edit`."""
    if isinstance(data, list):
        data = {"segments": data}
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list) or not data["segments"]:
        raise InputError(f"{where}: an edit needs a non-empty 'segments' list")
    unknown = sorted(set(data) - {"kind", "schema_version", "segments", "head_fit"})
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)}; known: segments, head_fit")
    if data.get("kind", KIND) != KIND or data.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise InputError(f"{where}: expected a {KIND} file of schema version {SCHEMA_VERSION}")
    segments = []
    for i, raw in enumerate(data["segments"]):
        w = f"{where} segment {i + 1}"
        if not isinstance(raw, dict):
            raise InputError(f"{w}: expected an object with frame_start, frame_end, variant, transition")
        raw = {k: v for k, v in raw.items() if k != "id"}
        raw["variant"] = str(raw.get("variant", ""))
        segments.append(config_from_dict(Segment, raw, where=w))
    head_fit = config_from_dict(HeadFit, data.get("head_fit"), where=f"{where} head_fit")
    return Edit(segments=tuple(segments), head_fit=head_fit)


def load_edit(path: str | os.PathLike) -> Edit:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such edit file")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not a valid JSON edit ({exc})") from None
    return edit_from_dict(data, where=str(p))


def check_edit(edit: Edit, *, first_frame: int, last_frame: int, variants: Iterable[str], where: str = "edit") -> None:
    """The edit covers first..last exactly, in order, with known variants and transitions that fit."""
    known = sorted(set(variants))
    expected = first_frame
    for i, s in enumerate(edit.segments):
        w = f"{where} segment {i + 1} ({s.frame_start}-{s.frame_end}, {s.variant})"
        if s.frame_end < s.frame_start:
            raise InputError(f"{w}: ends before it starts")
        if s.frame_start < first_frame or s.frame_end > last_frame:
            raise InputError(f"{w}: frames outside the shot ({first_frame}-{last_frame})")
        if s.frame_start > expected:
            raise InputError(f"{w}: gap, frames {expected}-{s.frame_start - 1} are in no segment")
        if s.frame_start < expected:
            raise InputError(f"{w}: overlaps the segment before on frames {s.frame_start}-{expected - 1}")
        if s.variant not in known:
            raise InputError(f"{w}: unknown variant {s.variant!r}; converted variants: {', '.join(known) or 'none'} "
                             "(run `facereplace convert SHOT --variant NAME`)")
        if s.transition < 0:
            raise InputError(f"{w}: transition must be 0 or more frames")
        if s.transition:
            if i == 0:
                raise InputError(f"{w}: the first segment has nothing to crossfade from; set its transition to 0")
            before = edit.segments[i - 1]
            if s.transition // 2 > before.frame_end - before.frame_start + 1 or \
                    s.transition - s.transition // 2 > s.frame_end - s.frame_start + 1:
                raise InputError(f"{w}: a {s.transition}-frame crossfade is longer than the segments it joins")
        expected = s.frame_end + 1
    if expected <= last_frame:
        raise InputError(f"{where}: frames {expected}-{last_frame} at the end of the shot are in no segment")
