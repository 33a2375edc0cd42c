"""The pick as a picture: the edit's segments cut (and dissolved) from the variants' review clips.

Until the full comp stage exists this is the final render of an approved edit: every frame comes from
the variant its segment names, dissolves blend the two variants with the weights the review player uses
(`edit_mix_at`, the twin of the player's `editMixAt`), and accepted frame fixes replace their frames.
It can run whole (`render_edit_preview`) or in frame chunks on several workers (`render_edit_frames`
per chunk, then `join_frames`); both feed the same 8-bit frames to one encoder, so the results match.
"""
from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import InputError, MediaError
from pipeline.media.clip import Clip, open_clip
from pipeline.media.image import read_srgb8, srgb_to_linear
from pipeline.media.review import ReviewClip, make_review_clip
from pipeline.media.sequence import write_sequence
from pipeline.progress import ProgressCallback, progress_bar

log = logging.getLogger(__name__)

FRAME_PATTERN = "comp.####.png"


def edit_mix_at(segments: Sequence[Mapping[str, Any]], frame: int) -> list[tuple[int, float]]:
    """(variant, weight) pairs on screen at `frame`: one at weight 1, or two inside a dissolve.

    A segment's `transition` is a dissolve of that many frames centred on its first frame (the odd frame
    after the cut); frame i of the dissolve shows the new variant at weight (i + 0.5) / transition.
    """
    index = next((i for i, s in enumerate(segments) if s["frame_start"] <= frame <= s["frame_end"]), None)
    if index is None:
        raise InputError(f"frame {frame} is in no segment of the edit "
                         f"({segments[0]['frame_start']}-{segments[-1]['frame_end']})")
    for j in (index, index + 1):
        if j == 0 or j >= len(segments) or not segments[j].get("transition"):
            continue
        length = int(segments[j]["transition"])
        start = segments[j]["frame_start"] - length // 2
        if 0 <= frame - start < length:
            weight = (frame - start + 0.5) / length
            return [(segments[j - 1]["variant"], 1.0 - weight), (segments[j]["variant"], weight)]
    return [(segments[index]["variant"], 1.0)]


class _EditReader:
    """Frames of the edit as 8-bit sRGB, mixed from the variants' clips (read in order, so videos stream)."""

    def __init__(self, segments: Sequence[Mapping[str, Any]], clips: Mapping[int, Clip],
                 fixes: Mapping[int, Path]):
        self._segments, self._clips, self._fixes = segments, clips, fixes

    def read_srgb8(self, index: int, frame: int) -> np.ndarray:
        fix = self._fixes.get(frame)
        if fix is not None:
            return _fix_picture(fix, frame, next(iter(self._clips.values())))
        mix = edit_mix_at(self._segments, frame)
        if len(mix) == 1:
            return self._clips[mix[0][0]].read_srgb8(frame)
        total = sum(weight * self._clips[variant].read_srgb8(frame).astype(np.float32) for variant, weight in mix)
        return np.clip(np.round(total), 0, 255).astype(np.uint8)

    def read(self, index: int, frame: int, srgb_decode: bool) -> np.ndarray:
        picture = self.read_srgb8(index, frame).astype(np.float32) / 255.0
        return srgb_to_linear(picture).astype(np.float32) if srgb_decode else picture

    def close(self) -> None:
        pass


def _fix_picture(path: Path, frame: int, like: Clip) -> np.ndarray:
    picture = read_srgb8(path)
    if picture.shape[:2] != (like.height, like.width):
        raise MediaError(f"{path}: the fix for frame {frame} is {picture.shape[1]}x{picture.shape[0]}, the "
                         f"variants are {like.width}x{like.height}; paint fixes at the clip's size")
    return picture


@contextmanager
def edit_clip(segments: Sequence[Mapping[str, Any]], clips: Mapping[int, str | os.PathLike], *, first_frame: int,
              fps: Fraction | str, fixes: Mapping[int, str | os.PathLike] | None = None) -> Iterator[Clip]:
    """The edit as one clip over the segments' frames, opening each variant's clip (numbered from
    `first_frame`, at `fps`) for as long as the block runs."""
    if not segments:
        raise InputError("the edit has no segments; pick at least one variant")
    missing = sorted({s["variant"] for s in segments} - set(clips))
    if missing:
        raise InputError(f"the edit uses variant(s) {missing} but no clip was given for them")
    with ExitStack() as stack:
        opened = {v: stack.enter_context(open_clip(Path(clips[v]), first_frame=first_frame, fps=fps))
                  for v in sorted({s["variant"] for s in segments})}
        sizes = {(c.width, c.height) for c in opened.values()}
        if len(sizes) != 1:
            raise MediaError("the variants' clips differ in size (" + ", ".join(
                f"{c.path.name} {c.width}x{c.height}" for c in opened.values()) + "); publish them at one size")
        start, end = segments[0]["frame_start"], segments[-1]["frame_end"]
        for clip in opened.values():
            if start < clip.first_frame or end > clip.last_frame:
                raise MediaError(f"{clip.path}: holds frames {clip.first_frame}-{clip.last_frame}, the edit needs "
                                 f"{start}-{end}")
        like = next(iter(opened.values()))
        reader = _EditReader(segments, opened, {int(f): Path(p) for f, p in (fixes or {}).items()})
        yield Clip(path=Path("edit"), kind="edit", codec="edit", first_frame=start, frame_count=end - start + 1,
                   fps=like.fps, width=like.width, height=like.height, pixel_aspect=like.pixel_aspect,
                   linear=False, _reader=reader)


def render_edit_preview(segments: Sequence[Mapping[str, Any]], clips: Mapping[int, str | os.PathLike],
                        out_mp4: str | os.PathLike, *, first_frame: int, fps: Fraction | str,
                        fixes: Mapping[int, str | os.PathLike] | None = None,
                        progress: ProgressCallback | None = None) -> ReviewClip:
    """Render the whole edit as a review clip (with thumbnail and filmstrip) in one go."""
    with edit_clip(segments, clips, first_frame=first_frame, fps=fps, fixes=fixes) as clip:
        return make_review_clip(clip, out_mp4, progress=progress)


def render_edit_frames(segments: Sequence[Mapping[str, Any]], clips: Mapping[int, str | os.PathLike],
                       out_dir: str | os.PathLike, *, first_frame: int, fps: Fraction | str, frame_start: int,
                       frame_end: int, fixes: Mapping[int, str | os.PathLike] | None = None,
                       progress: ProgressCallback | None = None) -> Path:
    """Render frames `frame_start`-`frame_end` of the edit as lossless PNGs in `out_dir` (one chunk)."""
    with edit_clip(segments, clips, first_frame=first_frame, fps=fps, fixes=fixes) as clip:
        if frame_start < clip.first_frame or frame_end > clip.last_frame or frame_end < frame_start:
            raise InputError(f"frames {frame_start}-{frame_end} are not a range inside the edit "
                             f"({clip.first_frame}-{clip.last_frame})")
        with progress_bar(frame_end - frame_start + 1, "comp frames", callback=progress) as bar:
            def frames() -> Iterator[tuple[int, np.ndarray]]:
                for frame in range(frame_start, frame_end + 1):
                    yield frame, clip.read_srgb8(frame).astype(np.float32) / 255.0
                    bar.update(1, f"frame {frame}")

            write_sequence(Path(out_dir) / FRAME_PATTERN, frames())
    return Path(out_dir)


def join_frames(chunk_dirs: Sequence[str | os.PathLike], out_mp4: str | os.PathLike, *, fps: Fraction | str,
                progress: ProgressCallback | None = None) -> ReviewClip:
    """Gather the chunks' frames into one sequence and encode it as the review clip (chunks in any order;
    a frame missing or given twice is an error naming it)."""
    out = Path(out_mp4)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.stem}.frames.", dir=out.parent) as folder:
        gathered = Path(folder)
        seen: dict[str, Path] = {}
        for folder in map(Path, chunk_dirs):
            for picture in sorted(folder.glob(FRAME_PATTERN.replace("####", "*"))):
                if picture.name in seen:
                    raise MediaError(f"{picture}: frame given twice (also in {seen[picture.name].parent}); "
                                     "chunks must not overlap")
                seen[picture.name] = picture
                os.link(picture, gathered / picture.name)
        if not seen:
            raise MediaError(f"no frames in {', '.join(map(str, chunk_dirs))}; did the chunks run?")
        with open_clip(gathered / FRAME_PATTERN, fps=fps) as clip:  # a gap (a missing chunk) is an error here
            result = make_review_clip(clip, out, progress=progress)
    log.info("joined %d chunk(s), %d frames -> %s", len(chunk_dirs), result.frame_count, out)
    return result

