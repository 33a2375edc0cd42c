"""Final render of an edit: every frame mixed from the variants' swap passes over the plate, with the head fit
and the frame fixes, as a linear EXR sequence, a review clip, a Nuke script and an OTIO timeline.

Everything is checked before the first frame is written (the edit against the shot, every variant and the
passes it needs, every fix image), and the output folder appears whole or not at all. The manifest (kind
"comp_render", schema_version 1) records the inputs by content hash, so the same inputs give the same frames.

    render.json  comp/comp.####.exr  review.mp4 (+ thumbnail, filmstrip)  comp.nk  edit.otio
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.artifacts import Artifact
from pipeline.atomic import atomic_dir
from pipeline.comp.edit import Edit, check_edit
from pipeline.comp.fixes import Fix, apply_fix, find_fixes
from pipeline.comp.handoff import write_nuke, write_otio
from pipeline.comp.headfit import apply_head_fit
from pipeline.convert.converted import CONVERTED, ConvertedVariant, converted_variants, read_converted
from pipeline.errors import InputError
from pipeline.progress import ProgressCallback, progress_bar
from pipeline.shot import Shot, ShotLayout, frame_path

log = logging.getLogger(__name__)

RENDER = Artifact("comp_render", 1, "render.json", missing="render the edit first (facereplace comp)")
FRAMES = "comp/comp.%04d.exr"
REVIEW_CLIP = "review.mp4"
NUKE = "comp.nk"
OTIO = "edit.otio"


@dataclasses.dataclass(frozen=True)
class RenderResult:
    manifest: Path
    frames: Path          # the EXR sequence pattern (printf)
    review: Any           # pipeline.media.review.ReviewClip
    nuke: Path
    otio: Path
    first_frame: int
    last_frame: int


def read_render(folder: str | os.PathLike) -> dict[str, Any]:
    """A render's manifest (its folder or render.json): the inputs by content hash and the files it wrote."""
    return RENDER.read(folder)


def edit_variants(shot: Shot, names: list[str]) -> dict[str, ConvertedVariant]:
    """The converted variants an edit uses (SHOT/convert/NAME), each read and checked against the shot."""
    known = converted_variants(shot.root)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(f"the edit uses variant(s) {', '.join(unknown)} that are not converted in "
                         f"{ShotLayout(shot.root).converted} (converted: {', '.join(known) or 'none'}); run "
                         "`facereplace convert SHOT --variant NAME`")
    variants = {n: read_converted(known[n]) for n in names}
    for name, data in variants.items():
        if (data["first_frame"], data["last_frame"]) != (shot.first_frame, shot.last_frame):
            raise InputError(f"variant {name!r} was converted for frames {data['first_frame']}-{data['last_frame']}, "
                             f"the shot is {shot.first_frame}-{shot.last_frame}; convert it again")
    sizes = {(d["width"], d["height"]) for d in variants.values()}
    if len(sizes) > 1:
        raise InputError("the variants differ in size: " + ", ".join(f"{n} {d['width']}x{d['height']}"
                                                                    for n, d in variants.items()))
    return variants


def _check_passes(shot: Shot, edit: Edit, variants: dict[str, ConvertedVariant]) -> None:
    missing: dict[str, list[int]] = {}
    for frame in shot.frames:
        for name, weight in edit.mix_at(frame):
            data = variants[name]
            if weight > 0 and not (data.folder / frame_path(data["passes"]["swap"], frame)).is_file():
                missing.setdefault(name, []).append(frame)
    if missing:
        detail = "; ".join(f"{n}: frames {f[0]}..{f[-1]} ({len(f)})" for n, f in missing.items())
        raise InputError(f"swap passes are missing ({detail}); convert those variants again")


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def variant_frame(data: ConvertedVariant, frame: int, plate_linear: np.ndarray, edit: Edit) -> np.ndarray:
    """One variant's comp of `frame` (linear): its swap pass, head-fitted, over the plate with its own face
    painted out (the pass's paint layer, where it has one: it stays with the plate, not the fitted head)."""
    from pipeline.media.image import read_exr

    record = data.by_frame[frame]
    if not record.swapped:
        return plate_linear
    channels = read_exr(data.folder / frame_path(data["passes"]["swap"], frame))
    rgba = np.stack([channels[c] for c in "RGBA"], axis=-1)
    if not edit.head_fit.identity:
        rgba = apply_head_fit(rgba, np.asarray(record.transform), data["crop_size"], edit.head_fit)
    under = plate_linear
    if "paint.A" in channels:
        paint = np.stack([channels[f"paint.{c}"] for c in "RGBA"], axis=-1)
        under = plate_linear * (1.0 - paint[..., 3:4]) + paint[..., :3]
    return under * (1.0 - rgba[..., 3:4]) + rgba[..., :3]


def render_edit(shot: Shot, edit: Edit, *, fixes_dir: str | os.PathLike | None = None, out_dir: str | os.PathLike,
                progress: ProgressCallback | None = None) -> RenderResult:
    """Render `edit` of `shot` (with the fixes in `fixes_dir`) into `out_dir`, replaced whole."""
    from pipeline.media.clip import open_clip
    from pipeline.media.image import srgb_to_linear, write_exr
    from pipeline.media.review import make_review_clip
    from pipeline.track.headtrack import conform
    from pipeline.track.load import load_head_track

    check_edit(edit, first_frame=shot.first_frame, last_frame=shot.last_frame,
               variants=[n for n in edit.variants if n in converted_variants(shot.root)], where="edit")
    variants = edit_variants(shot, edit.variants)
    _check_passes(shot, edit, variants)
    like = next(iter(variants.values()))
    fixes: dict[int, Fix] = find_fixes(fixes_dir, first_frame=shot.first_frame, last_frame=shot.last_frame,
                                       size=(like["width"], like["height"])) if fixes_dir else {}
    track = conform(load_head_track(shot.head_track, intrinsics=shot.camera, rotation_order=shot.rotation_order),
                    shot.frames, fill=True, where=str(shot.head_track))
    out = Path(out_dir)
    colour = shot.display_transform()
    with open_clip(shot.plate, first_frame=shot.first_frame, fps=shot.fps) as clip, atomic_dir(out) as tmp, \
            progress_bar(len(shot.frames), "comp", callback=progress) as bar:
        if (clip.width, clip.height) != (like["width"], like["height"]):
            raise InputError(f"the variants are {like['width']}x{like['height']}, the plate {clip.width}x{clip.height}")
        for frame in shot.frames:
            plate = clip.read(frame)[..., :3]
            plate_linear = plate if clip.linear else srgb_to_linear(plate).astype(np.float32)
            result = sum(weight * variant_frame(variants[name], frame, plate_linear, edit)
                         for name, weight in edit.mix_at(frame))
            if frame in fixes:
                result = apply_fix(result, fixes[frame])
            write_exr(tmp / frame_path(FRAMES, frame), {c: result[..., i] for i, c in enumerate("RGB")}, fps=shot.fps,
                      colour_space=colour.colour_space)
            bar.update(1, f"frame {frame}")
        review = make_review_clip(tmp / FRAMES, tmp / REVIEW_CLIP, burn_in=shot.name, fps=shot.fps, colour=colour)
        write_nuke(tmp / NUKE, shot=shot, edit=edit, variants=variants, track=track, output=out / FRAMES,
                   colour=colour, plate_linear=clip.linear)
        write_otio(tmp / OTIO, shot=shot, edit=edit, variants=variants)
        RENDER.write(tmp, {
            "shot": shot.name, "first_frame": shot.first_frame, "last_frame": shot.last_frame, "fps": str(shot.fps),
            "edit": edit.to_dict(), "frames": FRAMES, "colour": colour.record(), "review_clip": REVIEW_CLIP, "nuke": NUKE, "otio": OTIO,
            "inputs": {"plate": os.fspath(shot.plate),
                       "variants": {n: _file_hash(CONVERTED.path(d.folder)) for n, d in variants.items()},
                       "fixes": {str(f): _file_hash(x.path) for f, x in sorted(fixes.items())}}})
    log.info("comp: rendered %d frames of %s into %s", len(shot.frames), shot.name, out)
    review = dataclasses.replace(review, mp4=out / REVIEW_CLIP, thumbnail=out / review.thumbnail.name,
                                 filmstrip=out / review.filmstrip.name, filmstrip_layout=out / review.filmstrip_layout.name)
    return RenderResult(manifest=RENDER.path(out), frames=out / FRAMES, review=review, nuke=out / NUKE, otio=out / OTIO,
                        first_frame=shot.first_frame, last_frame=shot.last_frame)
