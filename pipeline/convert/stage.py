"""`convert` stage: every plate frame's head crop through a swap model and back into the plate.

Per frame: the crop framed as the shot's [stabilize] table says (`ConvertInputs.framing`), at the model's size
(the pose-consistent `crop_transform`; with "landmarks2d" the 2D baseline's, and no swap where it finds no face),
the model (batched), then `pipeline.convert.composite`: the exact inverse warp into the plate, colour match inside
the mask, motion blur along the head's image motion, mask erosion and feather, composite. A CG variant converts
each lighting pass of the CG render separately; the first of its passes is composited, every one is written as
its own layer.

A conversion is one code path in three parts: `preflight` checks everything and opens what every frame needs,
`convert_frames` turns batches of plate frames into typed `FrameRecord`s with their images, and a `ChunkWriter`
writes them into a chunk folder (comp/, passes/, chunk.json, qc_crops.npz). `join_converted` assembles chunks into
the variant folder: the frames, QC over the whole shot (the anomaly score compares neighbours), the review clip
and converted.json (format and changelog in pipeline.convert.converted). A whole run is one chunk of every frame,
then the join; the site converts a long shot as chunks on several workers, then joins them.

    converted.json
    comp/comp.####.png|exr     the composited frames (the plate's format; PNG display-encoded, EXR linear)
    passes/swap.####.exr       plate space, stored over the head's box (EXR data window), linear, premultiplied:
                               R G B A (A = final matte), mask (the model's matte before erosion), paint.R/G/B/A
                               (the plate's face painted out, under the swap; on frames where the mesh found it);
                               a CG variant adds <pass>.R/G/B/A per lighting pass
    passes/crop.####.exr       the raw model output in crop space: R G B A (or <pass>.R/G/B/A)
    review.mp4 (+ thumbnail, filmstrip)
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from pipeline.atomic import atomic_dir, atomic_path
from pipeline.config import config_from_dict, config_to_dict
from pipeline.convert.blur import head_motion
from pipeline.convert.colour import NEEDS_REFERENCE
from pipeline.convert.composite import PutBack, composite_display, face_box, put_back
from pipeline.convert.config import ConvertConfig, VariantConfig
from pipeline.convert.converted import (CHUNK, MANIFEST, FrameRecord, QcRow, frame_dicts, frame_record,
                                        write_converted)
from pipeline.convert.coverage import fade_weights
from pipeline.convert.paintout import PlateFaces
from pipeline.convert.qc import anomaly_scores, consistency, faceset_poses, nearest_training, pose_distance
from pipeline.convert.snaps import PlateMouths
from pipeline.convert.swapper import Swapper, crop_device, crop_sources, swap_batch
from pipeline.errors import InputError
from pipeline.media.colour import ColourConfig, config_source, display_transform
from pipeline.media.image import srgb_to_linear
from pipeline.progress import Progress, ProgressCallback, progress_bar
from pipeline.shot import Shot, frame_path
from pipeline.stabilize.config import StabilizeConfig
from pipeline.track.headtrack import HeadTrack

if TYPE_CHECKING:
    from pipeline.media.clip import Clip
    from pipeline.stabilize.stage import Framing

log = logging.getLogger(__name__)

SWAP_PASS = "passes/swap.%04d.exr"
CROP_PASS = "passes/crop.%04d.exr"
REVIEW_CLIP = "review.mp4"
CHUNK_QC = "qc_crops.npz"
PARTS = ("comp", "passes")  # the folders of frames a chunk and a variant hold
CG_FILL = ("beauty", "matte")  # the CG render's passes an uncovered frame gets with [convert] uncovered = "cg"
CHUNK_SHARE = 0.9  # of a whole run's progress: the frames; the join (QC, review clip) is the rest


@dataclasses.dataclass(frozen=True)
class ConvertInputs:
    shot: Shot  # plate, head track, frames, CG passes
    variant: VariantConfig
    swapper: Swapper
    out_dir: Path
    framing: StabilizeConfig  # how crops are framed (the shot's [stabilize]: method, radius, skull centre, fill)
    frames: tuple[int, int] | None = None  # a chunk (first, last frame, inclusive): written for join_converted


@dataclasses.dataclass(frozen=True)
class ConvertOutputs:
    manifest: Path
    swapped: tuple[int, ...]          # frames holding a swap
    unswapped: dict[int, str]         # frame -> why it holds the plate only
    anomalies: tuple[int, ...]        # frames the QC flags as likely broken
    timings: dict[str, float]         # seconds spent in "model", "warp_blend" and "io"

    @classmethod
    def of(cls, manifest: Path, frames: list[FrameRecord], qc: list[QcRow], timings: dict[str, float]
           ) -> ConvertOutputs:
        return cls(manifest=manifest, swapped=tuple(r.frame for r in frames if r.swapped),
                   unswapped={r.frame: r.status for r in frames if not r.swapped},
                   anomalies=tuple(q.frame for q in qc if q.flagged), timings=dict(timings))


@dataclasses.dataclass
class _Timer:
    seconds: dict[str, float] = dataclasses.field(default_factory=lambda: {"model": 0.0, "warp_blend": 0.0, "io": 0.0})

    def __call__(self, key: str) -> _Span:
        return _Span(self, key)


class _Span:
    def __init__(self, timer: _Timer, key: str):
        self.timer, self.key = timer, key

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.timer.seconds[self.key] += time.perf_counter() - self.start


def run(config: ConvertConfig, inputs: ConvertInputs, *, progress: ProgressCallback | None = None) -> ConvertOutputs:
    """Convert the shot's plate with `inputs.swapper`: the whole shot into the variant folder `inputs.out_dir`
    (replaced whole), or with `inputs.frames` one chunk of it into a chunk folder for `join_converted`."""
    if inputs.frames is not None:
        return convert_chunk(config, inputs, progress=progress)
    shot, out = inputs.shot, Path(inputs.out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}.chunk-", dir=out.parent))  # beside: files link, not copy
    try:
        convert_chunk(config, dataclasses.replace(inputs, out_dir=scratch / "chunk",
                                                  frames=(shot.first_frame, shot.last_frame)),
                      progress=_share(progress, 0.0, CHUNK_SHARE))
        return join_converted([scratch / "chunk"], out, progress=_share(progress, CHUNK_SHARE, 1.0))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _share(progress: ProgressCallback | None, start: float, end: float) -> ProgressCallback | None:
    """`progress` for a part of the work that spans start..end of the whole."""
    if progress is None:
        return None
    return lambda fraction, message: progress(start + (end - start) * fraction, message)


# --- preflight: everything checked, and what every frame needs opened, before anything is written ------------------

@dataclasses.dataclass(frozen=True)
class Preflight:
    """What converting the frames needs: the shot's head track on its frames, each frame's pose and image motion,
    the crop size and layers, and what the QC measures the pose distance against."""

    track: HeadTrack              # conformed to the shot's frames
    ypr: np.ndarray               # (N, 3) yaw, pitch, roll per track frame, as the camera sees the head
    motion: np.ndarray            # (N, 2) head motion in the image over the shutter, pixels
    size: int                     # the model's crop size
    layers: tuple[str, ...]       # the CG passes converted ("rgba": the plate alone)
    cg: bool                      # the model's input is the CG passes, not the plate
    coverage: dict[int, float] | None   # per frame, the coverage stage's distance to the nearest training pose
    training: np.ndarray | None         # the training poses: to measure that distance here without coverage, and
                                        # to say what the actor's material holds nearest an uncovered frame
    distance: np.ndarray | None   # (N,) degrees from each track frame's pose to the actor material (NaN: unknown)
    header: dict[str, Any]        # the variant's header, as converted.json and every chunk of it carry

    def uncovered(self, config: ConvertConfig) -> np.ndarray:
        """(N,) bool: track frames farther than the shot allows from every pose of the actor's material, and those
        whose pose the track only extrapolated (pipeline.convert.coverage.guessed_poses), held over runs
        (pipeline.convert.coverage.steady_uncovered)."""
        from pipeline.convert.coverage import guessed_poses, steady_uncovered

        if self.distance is None:
            return np.zeros(len(self.ypr), bool)
        with np.errstate(invalid="ignore"):
            far = self.distance > config.coverage_limit_deg
        return steady_uncovered(self.distance, guessed_poses(self.track.status, ~far),
                                limit_deg=config.coverage_limit_deg, hysteresis_deg=config.coverage_hysteresis_deg,
                                min_run=config.coverage_min_run)


def preflight(config: ConvertConfig, inputs: ConvertInputs, clip: Clip) -> Preflight:
    """Check the inputs against each other and the open plate `clip`; an InputError says what to fix."""
    from pipeline.cg.passes import read_passes
    from pipeline.dataset.coverage import read_coverage
    from pipeline.track.headtrack import conform
    from pipeline.track.load import load_head_track

    shot, variant, swapper = inputs.shot, inputs.variant, inputs.swapper
    if config.colour_match in NEEDS_REFERENCE and getattr(swapper, "source_identity", None) is None:
        raise InputError(f"variant {variant.name!r}: colour_match {config.colour_match!r} compares the plate with the "
                         "model's own rebuild of the plate's person, which this model cannot make (no decoder for "
                         "that person, e.g. a cg model); set [convert] colour_match = \"none\" or \"lab_mean_std\"")
    size, cg = int(swapper.size), variant.source == "cg"
    layers = tuple(variant.passes) if cg else ("rgba",)
    if cg or config.uncovered == "cg":
        if shot.cg_passes is None:
            what = "converts CG passes" if cg else "fills uncovered frames with the CG head ([convert] uncovered = \"cg\")"
            raise InputError(f"{shot.root}: variant {variant.name!r} {what} but the shot has no [cg] passes; add "
                             "[cg] passes = \"cg/actor.%04d.exr\" or use input = \"plate\" / uncovered = \"plate\"")
        if not layers:
            raise InputError(f"variant {variant.name!r}: 'passes' is empty; name the CG lighting passes to convert")
        for frame in shot.frames:  # every pass of every frame present before anything is written
            path = frame_path(shot.cg_passes, frame)
            if not path.is_file():
                raise InputError(f"{path}: CG passes of frame {frame} are missing; render them for {shot.first_frame}-"
                                 f"{shot.last_frame}")
        read_passes(frame_path(shot.cg_passes, shot.first_frame), layers if cg else CG_FILL)
    lo, hi = inputs.frames or (shot.first_frame, shot.last_frame)
    if not shot.first_frame <= lo <= hi <= shot.last_frame:
        raise InputError(f"{shot.root}: chunk frames {lo}-{hi} are not inside the shot's "
                         f"{shot.first_frame}-{shot.last_frame}; pick a range inside it")
    if shot.first_frame < clip.first_frame or shot.last_frame > clip.last_frame:
        raise InputError(f"{shot.plate}: holds frames {clip.first_frame}-{clip.last_frame}, the shot is "
                         f"{shot.first_frame}-{shot.last_frame}; fix [shot] first_frame/last_frame")
    # distance to the nearest training pose: the coverage stage's when given, else measured on the faceset
    coverage = read_coverage(shot.root / variant.coverage) if variant.coverage else None
    training = _training_poses(shot, variant, swapper, measured=coverage is not None)
    track = conform(load_head_track(shot.head_track, intrinsics=shot.camera, rotation_order=shot.rotation_order),
                    shot.frames, fill=inputs.framing.fill_missing, where=str(shot.head_track))
    framing = inputs.framing
    header = {"variant": variant.name, "shot": shot.name, "config": config_to_dict(config),
              "variant_config": config_to_dict(variant), "record": swapper.record, "first_frame": shot.first_frame,
              "last_frame": shot.last_frame, "fps": str(shot.fps), "width": clip.width, "height": clip.height,
              "plate": os.fspath(shot.plate), "linear": clip.linear, "crop_size": size, "radius": framing.radius,
              "skull_centre": list(framing.skull_centre), "layers": list(layers),
              "comp": f"comp/comp.%04d.{'exr' if clip.linear else 'png'}",
              "passes": {"swap": SWAP_PASS, "crop": CROP_PASS},
              "colour": {**config_to_dict(shot.config.colour),
                         "config": config_source(shot.config.colour, root=shot.root)}}
    ypr = track.view_yaw_pitch_roll()  # as the camera sees the head, as the faceset records it
    if coverage is not None:
        distance = np.array([coverage.get(int(f), np.nan) for f in track.frames], np.float64)
    else:
        distance = None if training is None else pose_distance(ypr, training)
    if distance is None and config.uncovered != "swap":
        log.warning("convert %s: no coverage.json and no training faceset, so no frame can be found uncovered; "
                    "set coverage or faceset in its [[variants]] table", variant.name)
    return Preflight(track=track, ypr=ypr, size=size, layers=layers, cg=cg, coverage=coverage,
                     motion=head_motion(track, shutter=config.shutter, skull_centre=framing.skull_centre),
                     training=training, distance=distance, header=header)


def _training_poses(shot: Shot, variant: VariantConfig, swapper: Swapper, *, measured: bool) -> np.ndarray | None:
    """The poses of the actor's material the variant was trained on: its faceset, else the model's record of it;
    where the coverage stage `measured` the distances already they only name what the material holds nearest an
    uncovered frame, so a faceset that cannot be read there (a model trained on another machine) leaves None."""
    from pipeline.dataset.coverage import coverage_faceset

    faceset = (coverage_faceset(shot.root / variant.coverage) if variant.coverage else None) or (
        shot.root / variant.faceset if variant.faceset else swapper.record.get("facesets", {}).get("actor"))
    if not faceset:
        return None
    if not measured:
        return faceset_poses(faceset)
    try:
        return faceset_poses(faceset)
    except (InputError, OSError) as exc:
        log.info("convert %s: the actor's material nearest an uncovered frame goes unnamed (%s)", variant.name, exc)
        return None


# --- batches: plate frames -> typed frame records with their images ----------------------------------------------

def _model_crops(pairs: list[tuple[np.ndarray, np.ndarray]], size: int, cut_on: Any,
                 plate_ones: np.ndarray) -> np.ndarray:
    """The model's crops (N, S, S, 3) of (image, plate -> crop transform) pairs: cut on the swapper's GPU
    (`cut_on`), else by OpenCV, where crop pixels partly off the plate are rescaled by how much plate they hold
    (no black rim)."""
    from pipeline.stabilize.crop import stabilize_frame

    if cut_on is not None:
        return crop_sources(pairs, size, cut_on)
    return np.stack([stabilize_frame(image, transform, size)
                     / np.maximum(stabilize_frame(plate_ones, transform, size)[..., None], 1e-3)
                     for image, transform in pairs])


def _snap_frames(config: ConvertConfig, inputs: ConvertInputs, plan: Preflight) -> list[int]:
    """The track indices whose latents choose the chunk's actor frames over `snap_window` (pipeline.convert.snaps):
    the frames the model will swap within `snap_window` of the chunk, read past its edges so a chunk chooses as the
    whole shot does. Empty for a model that does not snap, a CG variant, or `snap_window` 0."""
    swapper, window = inputs.swapper, config.snap_window
    if window < 1 or plan.cg or not getattr(swapper, "snaps", False) or not hasattr(swapper, "snap_distances"):
        return []
    lo, hi = inputs.frames or (inputs.shot.first_frame, inputs.shot.last_frame)
    uncovered = plan.uncovered(config)
    return [i for i in range(len(plan.track)) if lo - window <= int(plan.track.frames[i]) <= hi + window
            and (not uncovered[i] or config.uncovered == "swap")]


class PlateFrames:
    """The chunk's plate frames, each read and framed once: what the snap choice reads ahead of conversion (the
    frames within `snap_window` past the batch being converted) is held here until conversion takes it, so a plate
    frame is decoded once whether or not a snapping model chose over it (4K EXR plates: twice was felt)."""

    def __init__(self, clip: Clip, frame_of: Framing, timer: _Timer):
        self.clip, self.frame_of, self.timer = clip, frame_of, timer
        self._plates: dict[int, np.ndarray] = {}
        self._framed: dict[int, np.ndarray | Exception] = {}  # by track index: transform, or why it has none

    def read(self, frame: int, *, hold: bool = False) -> np.ndarray:
        """Plate frame `frame`: the one read ahead (and no longer held), else read now; `hold` keeps it for the
        conversion that takes it later."""
        plate = self._plates.pop(frame, None)
        if plate is None:
            with self.timer("io"):
                plate = self.clip.read(frame)
        if hold:
            self._plates[frame] = plate
        return plate

    def transform(self, i: int, plate: np.ndarray, *, hold: bool = False) -> np.ndarray:
        """The plate -> crop matrix of track frame `i` (the framing raises UnframeableError where it has none),
        framed once: `hold` keeps it (or the error) for the conversion that asks again."""
        from pipeline.stabilize.crop import UnframeableError

        framed = self._framed.pop(i, None)
        if framed is None:
            try:
                framed = self.frame_of(i, plate)
            except UnframeableError as exc:
                framed = exc
        if hold:
            self._framed[i] = framed
        if isinstance(framed, Exception):
            raise framed
        return framed


class SnapChoices:
    """The actor latent each frame of the chunk takes, chosen over the frames within `snap_window` of it
    (pipeline.convert.snaps) from the latents of the plate frames at `indices` (`_snap_frames`). Latents are
    measured as conversion reaches them: `for_frames` measures up to `snap_window` past the batch asked for, the
    frames past the chunk's edges one step of `bar` each, and holds the chunk's own frames in `plates` for the
    conversion."""

    def __init__(self, config: ConvertConfig, inputs: ConvertInputs, plan: Preflight, clip: Clip,
                 plates: PlateFrames, indices: list[int], bar: Progress, mouths: PlateMouths | None = None):
        self.config, self.swapper, self.plan, self.plates, self.bar = config, inputs.swapper, plan, plates, bar
        self.mouths = mouths
        self.chunk = inputs.frames or (inputs.shot.first_frame, inputs.shot.last_frame)
        self.pending = list(indices)  # in frame order, not yet measured
        self.distances: dict[int, np.ndarray] = {}
        self.matches: dict[int, np.ndarray] = {}  # per frame, the latents whose mouth matches (with `mouths`)
        self.plate_ones = np.ones((clip.height, clip.width), np.float32)
        self.cut_on = crop_device(self.swapper)

    def for_frames(self, frames: list[int]) -> dict[int, int]:
        """{frame: bank latent} of `frames` (those not snapped to a synced moment, which keep it)."""
        from pipeline.convert.snaps import windowed_snap

        if not frames:
            return {}
        window = self.config.snap_window
        until = max(frames) + window
        while self.pending and int(self.plan.track.frames[self.pending[0]]) <= until:
            batch = []
            while (self.pending and len(batch) < self.config.batch_size
                   and int(self.plan.track.frames[self.pending[0]]) <= until):
                batch.append(self.pending.pop(0))
            self._measure(batch)
        for old in [f for f in self.distances if f < min(frames) - window]:
            del self.distances[old]  # no frame still to come looks back that far
            self.matches.pop(old, None)
        return {f: windowed_snap(self.distances, f, window, self.matches) for f in frames if f in self.distances}

    def _measure(self, indices: list[int]) -> None:
        from pipeline.stabilize.crop import UnframeableError

        lo, hi = self.chunk
        pairs, frames, poses = [], [], []
        for i in indices:
            frame = int(self.plan.track.frames[i])
            inside = lo <= frame <= hi
            plate = self.plates.read(frame, hold=inside)
            if not inside:
                self.bar.update(1, f"actor frames {frame}")
            try:
                with self.plates.timer("warp_blend"):
                    transform = self.plates.transform(i, plate, hold=inside)
            except UnframeableError:
                continue
            pairs.append((plate[..., :3], transform))
            frames.append(frame)
            poses.append(self.plan.ypr[i])
        if pairs:
            with self.plates.timer("model"):
                crops = _model_crops(pairs, self.plan.size, self.cut_on, self.plate_ones)
                mouths = None if self.mouths is None else self.mouths(crops)
                rows, synced = self.swapper.snap_distances(crops, frames, np.array(poses), mouths)
                matching = None if mouths is None else self.swapper.mouth_matches(frames, np.array(poses), mouths)
            self.distances.update({f: row for f, row, moment in zip(frames, rows, synced) if not moment})
            if matching is not None:
                self.matches.update({f: row for f, row, moment in zip(frames, matching, synced) if not moment})


@dataclasses.dataclass
class ConvertedFrame:
    """One plate frame converted: its record, the composited frame and, when swapped, its passes and QC crop."""

    record: FrameRecord
    comp: np.ndarray                      # the plate's encoding, (H, W, 3)
    backs: list[PutBack | None]           # per layer, the swap put back (None: no swap, or it misses the plate)
    crops: tuple[np.ndarray, np.ndarray] | None = None   # the model's raw output per layer: colour, mask
    qc_crop: np.ndarray | None = None     # the swap, downsampled, for the anomaly score


def convert_frames(config: ConvertConfig, inputs: ConvertInputs, plan: Preflight, clip: Clip,
                   plate_frames: PlateFrames, timer: _Timer, snaps: SnapChoices | None = None,
                   mouths: PlateMouths | None = None, faces: PlateFaces | None = None) -> Iterator[ConvertedFrame]:
    """The chunk's frames in order, `config.batch_size` at a time through the model, each read and framed once
    (`plate_frames`); `snaps` chooses the actor latent a snapping model takes per plate frame over its neighbouring
    frames, else `mouths` measures each crop's mouth for the model to match its own choice to; `faces` paints the
    plate's face out under the swap on frames where the track measured it."""
    from pipeline.cg.passes import pass_display_rgb, read_passes
    from pipeline.stabilize.crop import UnframeableError, stabilize_frame

    shot, swapper, n = inputs.shot, inputs.swapper, len(plan.layers)
    lo, hi = inputs.frames or (shot.first_frame, shot.last_frame)
    indices = [i for i in range(len(plan.track)) if lo <= int(plan.track.frames[i]) <= hi]
    uncovered = plan.uncovered(config)
    policy = config.uncovered
    # the swap dissolves in from the plate and out to it (pipeline.convert.coverage.fade_weights)
    fade = fade_weights(uncovered, config.coverage_fade) if policy == "plate" else np.ones(len(uncovered))
    plate_ones = np.ones((clip.height, clip.width), np.float32)
    cut_on = crop_device(swapper)  # a swapper on a GPU: the batch's crops are cut there (pipeline.convert.batched)
    for start in range(0, len(indices), config.batch_size):
        batch = indices[start:start + config.batch_size]
        chosen = None if snaps is None else snaps.for_frames([int(plan.track.frames[i]) for i in batch])
        plates, transforms, unframed, crops, crop_frames, crop_poses, cg_fill = {}, {}, {}, [], [], [], {}
        for i in batch:
            frame = int(plan.track.frames[i])
            plates[i] = plate_frames.read(frame)
            with timer("io"):
                if uncovered[i] and policy == "plate":
                    continue  # the plate stays: nothing to read or frame
                fill = uncovered[i] and policy == "cg"
                passes = (read_passes(frame_path(shot.cg_passes, frame), CG_FILL if fill else plan.layers)
                          if plan.cg or fill else None)
            with timer("warp_blend"):
                try:
                    transforms[i] = plate_frames.transform(i, plates[i])
                except UnframeableError as exc:
                    unframed[i] = exc.reason
                    continue
                if fill:  # the CG head render in place of the model, in every layer
                    colour = stabilize_frame(pass_display_rgb(passes["beauty"]), transforms[i], plan.size)
                    matte = np.clip(stabilize_frame(passes["matte"], transforms[i], plan.size), 0.0, 1.0)
                    cg_fill[i] = (np.repeat(colour[None], n, 0), np.repeat(matte[None], n, 0))
                    continue
                # CG passes are linear light; the cg model learnt them display-encoded (as the faceset cut them)
                sources = [pass_display_rgb(passes[p]) for p in plan.layers] if plan.cg else [plates[i][..., :3]]
                crops += [(s, transforms[i]) for s in sources]
                crop_frames += [frame] * len(sources)
                crop_poses += [plan.ypr[i]] * len(sources)
        if crops:
            with timer("model"):
                stack = _model_crops(crops, plan.size, cut_on, plate_ones)
                swapped = swap_batch(swapper, stack, crop_frames, poses=np.array(crop_poses),
                                     snap_to=None if chosen is None else [chosen.get(f) for f in crop_frames],
                                     mouths=None if mouths is None or chosen is not None else mouths(stack))
                rgb, mask, actor_frames = swapped.rgb, swapped.mask, swapped.actor_frames
                again, _ = swapper(rgb, crop_frames)
                rebuilt = swapper.reconstruct(stack) if config.colour_match in NEEDS_REFERENCE else None
        k = 0
        for i in batch:
            frame = int(plan.track.frames[i])
            gets = policy if uncovered[i] else None
            if uncovered[i] and policy == "plate":
                yield ConvertedFrame(FrameRecord(frame=frame, status="uncovered", yaw_pitch_roll=plan.ypr[i].tolist(),
                                                 uncovered=gets), plates[i][..., :3], [None])
                continue
            if i not in transforms:
                yield ConvertedFrame(FrameRecord(frame=frame, status=unframed[i], yaw_pitch_roll=plan.ypr[i].tolist(),
                                                 uncovered=gets), plates[i][..., :3], [None])
                continue
            if i in cg_fill:
                colours, mattes = cg_fill[i]
                fill_consistency, actor_frame, reference = 0.0, None, None
            else:
                layers = slice(k * n, (k + 1) * n)
                colours, mattes = rgb[layers], mask[layers] * np.float32(fade[i])
                fill_consistency = consistency(rgb[k * n], again[k * n], mask[k * n])
                actor_frame = None if actor_frames is None else actor_frames[k * n]
                reference = None if rebuilt is None else rebuilt[layers]
                k += 1
            with timer("warp_blend"):
                measured = faces is not None and plan.track.status[i] == "measured"
                paint = faces.paint_out(plates[i], transforms[i], plan.size) if measured else None
                backs = [put_back(plates[i], colours[j], mattes[j], transforms[i], config=config,
                                  motion=plan.motion[i], linear=clip.linear, match=(j == 0),
                                  reference=None if reference is None else reference[j],
                                  paint=paint if j == 0 else None, paint_weight=float(fade[i])) for j in range(n)]
                comp = composite_display(plates[i], backs[0], linear=clip.linear, copy=False)
                qc_crop = cv2.resize(colours[0], (config.qc_size, config.qc_size), interpolation=cv2.INTER_AREA)
            record = FrameRecord(frame=frame, status="swapped", transform=transforms[i].tolist(),
                                 motion=plan.motion[i].tolist(), yaw_pitch_roll=plan.ypr[i].tolist(),
                                 face=face_box(transforms[i], plan.size, (clip.height, clip.width)),
                                 consistency=fill_consistency, actor_frame=actor_frame, uncovered=gets)
            yield ConvertedFrame(record, comp, backs, (colours, mattes), qc_crop)


# --- the writer: a chunk folder ----------------------------------------------------------------------------------

class ChunkWriter:
    """Writes each converted frame's comp and passes into a chunk folder as it comes, then the chunk's manifest
    (header, range, frame records) and the QC inputs (the crops the anomaly score compares, the training poses)."""

    def __init__(self, folder: Path, plan: Preflight, clip: Clip, timer: _Timer):
        self.folder, self.plan, self.timer = folder, plan, timer
        self.linear, self.shape = clip.linear, (clip.height, clip.width)
        self.bits = _plate_bits(clip, Path(plan.header["plate"]))
        self.records: list[FrameRecord] = []
        self.qc_crops: list[np.ndarray] = []
        for part in PARTS:
            (folder / part).mkdir()

    def add(self, converted: ConvertedFrame) -> None:
        from pipeline.media.image import write_exr, write_image

        frame, plan = converted.record.frame, self.plan
        swap_channels, origin = _swap_channels(converted.backs, plan.layers, plan.cg)
        with self.timer("io"):
            write_image(self.folder / frame_path(plan.header["comp"], frame), converted.comp, bits=self.bits)
            write_region_exr(self.folder / frame_path(SWAP_PASS, frame), swap_channels, origin, self.shape[::-1])
            if converted.crops is not None:
                write_exr(self.folder / frame_path(CROP_PASS, frame),
                          _crop_channels(*converted.crops, plan.layers, plan.cg, self.linear))
        self.records.append(converted.record)
        if converted.qc_crop is not None:
            self.qc_crops.append(converted.qc_crop)

    def finish(self, frames: tuple[int, int]) -> Path:
        arrays = {"crops": np.stack(self.qc_crops) if self.qc_crops else np.zeros((0, 1, 1, 3), np.float32)}
        if self.plan.training is not None:
            arrays["training"] = np.asarray(self.plan.training, np.float64)
        with atomic_path(self.folder / CHUNK_QC) as path:
            with open(path, "wb") as f:
                np.savez(f, **arrays)
        coverage = self.plan.coverage
        chunk_coverage = None if coverage is None else {
            str(r.frame): coverage[r.frame] for r in self.records if r.frame in coverage}
        return CHUNK.write(self.folder, {"header": self.plan.header, "chunk": list(frames),
                                         "frames": frame_dicts(self.records), "coverage": chunk_coverage,
                                         "timings": dict(self.timer.seconds)})


def convert_chunk(config: ConvertConfig, inputs: ConvertInputs, *,
                  progress: ProgressCallback | None = None) -> ConvertOutputs:
    """The frames `inputs.frames` (default all) into a chunk folder `inputs.out_dir`, replaced whole."""
    from pipeline.media.clip import open_clip
    from pipeline.stabilize.stage import open_framing

    shot, timer = inputs.shot, _Timer()
    frames = inputs.frames or (shot.first_frame, shot.last_frame)
    with open_clip(shot.plate, first_frame=shot.first_frame, fps=shot.fps) as clip:
        plan = preflight(config, inputs, clip)
        framing = dataclasses.replace(inputs.framing, size=plan.size)
        snap_frames = _snap_frames(config, inputs, plan)
        past_edges = sum(not frames[0] <= int(plan.track.frames[i]) <= frames[1] for i in snap_frames)
        with contextlib.ExitStack() as opened, atomic_dir(inputs.out_dir) as tmp, \
                open_framing(framing, plan.track, linear=clip.linear) as frame_of, \
                progress_bar(frames[1] - frames[0] + 1 + past_edges, f"convert {inputs.variant.name}",
                             callback=progress) as bar:
            plate_frames = PlateFrames(clip, frame_of, timer)
            # a snapping model held to the plate's mouth reads it with the face mesh (pipeline.convert.snaps)
            mouths = (opened.enter_context(contextlib.closing(PlateMouths(linear=clip.linear)))
                      if getattr(inputs.swapper, "matches_mouths", False) and not plan.cg else None)
            snaps = (SnapChoices(config, inputs, plan, clip, plate_frames, snap_frames, bar, mouths)
                     if snap_frames else None)
            faces = (opened.enter_context(contextlib.closing(PlateFaces(linear=clip.linear)))
                     if config.paint_out else None)
            writer = ChunkWriter(tmp, plan, clip, timer)
            for converted in convert_frames(config, inputs, plan, clip, plate_frames, timer, snaps, mouths, faces):
                writer.add(converted)
                bar.update(1, f"frame {converted.record.frame}")
            writer.finish(frames)
    log.info("convert %s: chunk %d-%d written to %s", inputs.variant.name, *frames, inputs.out_dir)
    return ConvertOutputs.of(Path(inputs.out_dir) / CHUNK.file, writer.records, [], timer.seconds)


def _plate_bits(clip: Clip, plate: Path) -> int:
    """8 or 16: the composited PNG frames keep the plate's bit depth (16 for a video or deeper source)."""
    if clip.kind != "sequence" or clip.linear:
        return 16
    first = cv2.imread(os.fspath(frame_path(plate, clip.first_frame)), cv2.IMREAD_UNCHANGED)
    return 8 if first is not None and first.dtype == np.uint8 else 16


def _swap_channels(backs: list[PutBack | None], layers: tuple[str, ...], cg: bool) -> tuple[dict[str, np.ndarray],
                                                                                       tuple[int, int]]:
    """The swap pass over the swap's region only (its EXR data window), and where that region starts."""
    main = backs[0]
    if main is None:  # no swap on this frame: an empty pass, one transparent pixel
        return {c: np.zeros((1, 1), np.float32) for c in ("R", "G", "B", "A", "mask")}, (0, 0)
    channels = {"R": main.premult[..., 0], "G": main.premult[..., 1], "B": main.premult[..., 2], "A": main.alpha,
                "mask": main.mask}
    if main.paint is not None:
        channels.update({"paint.R": main.paint[..., 0], "paint.G": main.paint[..., 1], "paint.B": main.paint[..., 2],
                         "paint.A": main.paint_alpha})
    if cg:
        for name, back in zip(layers, backs):
            channels.update({f"{name}.R": back.premult[..., 0], f"{name}.G": back.premult[..., 1],
                             f"{name}.B": back.premult[..., 2], f"{name}.A": back.alpha})
    return channels, (main.x0, main.y0)


def write_region_exr(path: Path, channels: dict[str, np.ndarray], origin: tuple[int, int],
                     size: tuple[int, int]) -> Path:
    """Half-float EXR whose data window is the channels' region at `origin` inside a `size` (w, h) frame: a
    plate-sized pass that stores (and costs) only the head's bounding box, as Nuke keeps a bbox."""
    import OpenEXR

    h, w = next(iter(channels.values())).shape
    (x0, y0), (width, height) = origin, size
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage,
              "dataWindow": (np.array([x0, y0], np.int32), np.array([x0 + w - 1, y0 + h - 1], np.int32)),
              "displayWindow": (np.array([0, 0], np.int32), np.array([width - 1, height - 1], np.int32))}
    exr = OpenEXR.File(header, {n: OpenEXR.Channel(np.ascontiguousarray(a, np.float16)) for n, a in channels.items()})
    with atomic_path(path) as tmp:
        exr.write(str(tmp))
    return path


def _crop_channels(rgb: np.ndarray, mask: np.ndarray, layers: tuple[str, ...], cg: bool,
                   linear: bool) -> dict[str, np.ndarray]:
    channels: dict[str, np.ndarray] = {}
    for j, name in enumerate(layers):
        colour = rgb[j] if linear else srgb_to_linear(np.clip(rgb[j], 0, 1))
        prefix = f"{name}." if cg else ""
        channels.update({f"{prefix}R": colour[..., 0], f"{prefix}G": colour[..., 1], f"{prefix}B": colour[..., 2],
                         f"{prefix}A": mask[j]})
    return channels


# --- the join: chunks -> the variant folder ----------------------------------------------------------------------

def join_converted(chunk_dirs: list[str | os.PathLike], out_dir: str | os.PathLike, *,
                   progress: ProgressCallback | None = None) -> ConvertOutputs:
    """Assemble chunk folders covering the whole shot into the variant folder `out_dir` (replaced whole): their
    frames and passes, QC over all frames, the review clip and converted.json."""
    chunks = _read_chunks([Path(c) for c in chunk_dirs], out_dir)
    header = chunks[0][0]["header"]
    config = config_from_dict(ConvertConfig, header["config"], where=f"{chunks[0][1] / CHUNK.file} config")
    frames: list[FrameRecord] = []
    crops, coverage, training, timer = [], {}, None, _Timer()
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp, progress_bar(len(chunks), f"join {header['variant']}", callback=progress) as bar:
        for part in PARTS:
            (tmp / part).mkdir()
        for data, folder in chunks:
            for part in PARTS:
                for file in sorted((folder / part).iterdir()):
                    _link_or_copy(file, tmp / part / file.name)
            frames += [frame_record(r) for r in data["frames"]]
            with np.load(folder / CHUNK_QC) as arrays:
                crops += list(arrays["crops"])
                if "training" in arrays:
                    training = arrays["training"]
            if data["coverage"] is not None:
                coverage.update({int(k): v for k, v in data["coverage"].items()})
            for key, seconds in data["timings"].items():
                timer.seconds[key] = timer.seconds.get(key, 0.0) + seconds
            bar.update(1, f"chunk {data['chunk'][0]}-{data['chunk'][1]}")
        frames.sort(key=lambda r: r.frame)
        has_coverage = any(d["coverage"] is not None for d, _ in chunks)
        qc = _qc(frames, crops, training, config, coverage if has_coverage else None)
        header = {**header, "coverage": _coverage_summary(frames, qc, config, training)}
        review = None
        if config.review_clip:
            from pipeline.media.review import make_review_clip

            with timer("io"):
                review = make_review_clip(tmp / header["comp"], tmp / REVIEW_CLIP,
                                          burn_in=f"{header['shot']} {header['variant']}", fps=header["fps"],
                                          colour=display_transform(ColourConfig(**header.get("colour", {}))))
        write_converted(tmp, header, frames, qc, REVIEW_CLIP if review else None, timer.seconds)
    result = ConvertOutputs.of(out_dir / MANIFEST, frames, qc, timer.seconds)
    log.info("join %s: %d chunk(s), %d frames -> %s: %d swapped, %d without a crop, %d flagged by QC",
             header["variant"], len(chunks), len(frames), out_dir, len(result.swapped), len(result.unswapped),
             len(result.anomalies))
    return result


def _read_chunks(folders: list[Path], out_dir: str | os.PathLike) -> list[tuple[dict[str, Any], Path]]:
    """The chunks' manifests in frame order, checked to come from one conversion and to cover the shot once."""
    if not folders:
        raise InputError(f"{out_dir}: no chunk folders to join; convert the shot's frames in chunks first")
    chunks = sorted(((CHUNK.read(folder), folder) for folder in folders), key=lambda c: c[0]["chunk"][0])
    header = chunks[0][0]["header"]
    same = ("variant", "shot", "config", "variant_config", "first_frame", "last_frame", "comp", "layers", "plate")
    expected = header["first_frame"]
    for data, folder in chunks:
        differs = [k for k in same if data["header"][k] != header[k]]
        if differs or data["header"]["record"].get("checkpoint") != header["record"].get("checkpoint"):
            raise InputError(f"{folder}: this chunk was converted with other settings ({', '.join(differs) or 'model'})"
                             f" than {chunks[0][1]}; convert every chunk of the variant again")
        lo, hi = data["chunk"]
        if lo != expected:
            what = f"frames {expected}-{lo - 1} are missing" if lo > expected else f"frames {lo}-{expected - 1} overlap"
            raise InputError(f"{folder}: {what} between the chunks; convert the shot's frames exactly once")
        expected = hi + 1
    if expected != header["last_frame"] + 1:
        raise InputError(f"{chunks[-1][1]}: frames {expected}-{header['last_frame']} are missing after the last "
                         "chunk; convert them before joining")
    return chunks


def _link_or_copy(source: Path, dest: Path) -> None:
    """A hard link where the chunk is on the same file system as the variant (a whole run), else a copy."""
    try:
        os.link(source, dest)
    except OSError:
        shutil.copyfile(source, dest)


def _qc(frames: list[FrameRecord], crops: list[np.ndarray], training: np.ndarray | None, config: ConvertConfig,
        coverage: dict[int, float] | None = None) -> list[QcRow]:
    """Per frame QC: pose distance (degrees) to the actor's material, self-consistency, anomaly (0..10) and the
    flag: an anomaly over the threshold, a frame without a swap, or an uncovered frame whatever it got. `crops`
    are the swapped frames', in frame order."""
    swapped = [r for r in frames if r.swapped]
    ypr = np.array([r.yaw_pitch_roll for r in swapped], np.float64).reshape(-1, 3)
    anomaly = anomaly_scores(np.stack(crops), ypr) if swapped else np.zeros(0)
    row = {r.frame: j for j, r in enumerate(swapped)}
    qc = []
    for r in frames:
        measured = _distance(r, training, coverage)
        distance = None if measured is None or not np.isfinite(measured) else round(float(measured), 3)
        j = row.get(r.frame)
        if j is None:
            qc.append(QcRow(frame=r.frame, swapped=False, flagged=True, pose_distance=distance, uncovered=r.uncovered))
            continue
        qc.append(QcRow(frame=r.frame, swapped=True, face=r.face, actor_frame=r.actor_frame, pose_distance=distance,
                        consistency=round(r.consistency, 5), anomaly=round(float(anomaly[j]), 3),
                        flagged=bool(anomaly[j] > config.anomaly_threshold or r.uncovered), uncovered=r.uncovered))
    return qc


def _distance(record: FrameRecord, training: np.ndarray | None, coverage: dict[int, float] | None) -> float | None:
    """Degrees from the frame's pose to the nearest pose of the actor's material, when anyone can say."""
    if coverage is not None:
        return coverage.get(record.frame)
    if training is None or record.yaw_pitch_roll is None:
        return None
    return float(pose_distance(np.array([record.yaw_pitch_roll]), training)[0])


def _coverage_summary(frames: list[FrameRecord], qc: list[QcRow], config: ConvertConfig,
                      training: np.ndarray | None) -> dict[str, Any]:
    """converted.json's coverage: limit, policy, the uncovered frames and the views the actor material lacks, with
    what it holds nearest them (`training`: its poses, when known)."""
    from pipeline.convert.coverage import coverage_summary

    known = [(r, q) for r, q in zip(frames, qc) if r.yaw_pitch_roll is not None]
    measured = any(q.pose_distance is not None for _, q in known)
    distance = np.array([np.nan if q.pose_distance is None else q.pose_distance for _, q in known])
    ypr = np.array([r.yaw_pitch_roll for r, _ in known], np.float64).reshape(-1, 3)
    nearest = nearest_training(ypr, training) if training is not None and len(training) and len(ypr) else None
    summary = coverage_summary(np.array([r.frame for r, _ in known], int), ypr,
                               np.array([r.uncovered is not None for r, _ in known], bool) if measured else None,
                               limit_deg=config.coverage_limit_deg, policy=config.uncovered, nearest=nearest)
    for view in summary["missing"]:
        log.warning("convert: %s (%s)", view["text"], {"plate": "left as the plate", "swap": "swapped anyway",
                                                      "cg": "filled with the CG head"}[config.uncovered])
    return summary
