"""`convert` stage: every plate frame's head crop through a swap model and back into the plate.

Per frame: the crop framed as the shot's [stabilize] method says, at the model's size (the pose-consistent
`crop_transform`; with "landmarks2d" the 2D baseline's, and no swap where it finds no face), the model
(batched), the exact inverse warp into the plate, colour match inside the mask, motion blur along the head's
image motion, mask erosion and feather, composite. A CG variant converts each lighting pass of the CG render
separately; the first of its passes is composited, every one is written as its own layer.

Output folder (replaced whole, atomically), manifest kind "converted_variant". Schema changelog:
  1: variant, config, model record (model, checkpoint, faceset hash, performance), plate size and encoding,
     patterns of comp frames and passes, review clip, per frame: status ("swapped" | reason none), transform,
     motion (pixels over the shutter) and QC (pose_distance, consistency, anomaly, flagged); swapped frames
     and their QC rows also carry `face` [x, y, half side] (fractions of the plate; added within version 1,
     optional to readers: the player's loupe centres on it).
     Added within version 1, optional to readers (older folders lack it): each swapped frame and every QC row
     carry `actor_frame`, the actor latent a snapping model (performance < 1) took, {bank_id, source,
     clip_frame, snapped_from: "sync_window" | "fallback" | "fit_set"}, null for a model that does not snap
     (loose, cg) and for a frame without a swap; the record's `performance_sync`, when set, adds
     `synced_frames` and `fallback_frames`.

    converted.json
    comp/comp.####.png|exr     the composited frames (the plate's format; PNG display-encoded, EXR linear)
    passes/swap.####.exr       plate space, stored over the head's box (EXR data window), linear, premultiplied:
                               R G B A (A = final matte), mask (the model's matte before erosion); a CG variant
                               adds <pass>.R/G/B/A per lighting pass
    passes/crop.####.exr       the raw model output in crop space: R G B A (or <pass>.R/G/B/A)
    review.mp4 (+ thumbnail, filmstrip)

A chunk folder (run with `frames`, for `join_converted`) holds comp/ and passes/ for its frames, chunk.json
(kind "converted_chunk" 1: the variant's header, the chunk's range, its frame records, `actor_frame` included)
and qc_crops.npz (the crops QC scores, and the training poses), so the join computes QC over the whole shot as
one run does (and counts the record's synced and fallback frames over all of it).
"""
from __future__ import annotations

import dataclasses
import logging
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from pipeline.artifacts import read_manifest, write_manifest
from pipeline.atomic import atomic_dir, atomic_path
from pipeline.config import config_to_dict
from pipeline.convert.blur import head_motion, motion_blur
from pipeline.convert.colour import NEEDS_REFERENCE, colour_match
from pipeline.convert.config import ConvertConfig, VariantConfig
from pipeline.convert.converted import KIND, MANIFEST, SCHEMA_VERSION, read_converted
from pipeline.convert.qc import anomaly_scores, consistency, faceset_poses, pose_distance
from pipeline.convert.swapper import Swapper, swap_batch
from pipeline.errors import InputError
from pipeline.media.image import linear_to_srgb, srgb_to_linear
from pipeline.models.registry import list_models
from pipeline.progress import ProgressCallback, progress_bar
from pipeline.shot import Shot, ShotLayout, frame_path

log = logging.getLogger(__name__)

SWAP_PASS = "passes/swap.%04d.exr"
CROP_PASS = "passes/crop.%04d.exr"
REVIEW_CLIP = "review.mp4"
CHUNK_KIND = "converted_chunk"
CHUNK_VERSION = 1
CHUNK_MANIFEST = "chunk.json"
CHUNK_QC = "qc_crops.npz"


@dataclasses.dataclass(frozen=True)
class ConvertInputs:
    shot: Shot
    variant: VariantConfig
    swapper: Swapper
    out_dir: Path
    frames: tuple[int, int] | None = None  # a chunk (first, last frame, inclusive): written for join_converted


@dataclasses.dataclass(frozen=True)
class ConvertOutputs:
    manifest: Path
    swapped: tuple[int, ...]          # frames holding a swap
    unswapped: dict[int, str]         # frame -> why it holds the plate only
    anomalies: tuple[int, ...]        # frames the QC flags as likely broken
    timings: dict[str, float]         # seconds spent in "model", "warp_blend" and "io"


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


@dataclasses.dataclass
class PutBack:
    """A swap placed into a region of interest of the plate: linear premultiplied colour, final and raw matte."""
    x0: int
    y0: int
    premult: np.ndarray   # (h, w, 3) linear, premultiplied by `alpha`
    alpha: np.ndarray     # (h, w) after erosion and feather
    mask: np.ndarray      # (h, w) the model's matte warped into the plate, before erosion


def plate_roi(transform: np.ndarray, size: int, shape: tuple[int, int], margin: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the plate box holding the crop's footprint plus `margin` pixels, clipped to the plate."""
    corners = np.array([[0, 0, 1], [size - 1, 0, 1], [0, size - 1, 1], [size - 1, size - 1, 1]], np.float64)
    plate = (np.linalg.inv(transform) @ corners.T).T[:, :2]
    x0, y0 = np.floor(plate.min(0)).astype(int) - margin
    x1, y1 = np.ceil(plate.max(0)).astype(int) + margin + 1
    h, w = shape
    return max(0, x0), max(0, y0), min(w, x1), min(h, y1)


def face_box(transform: np.ndarray, size: int, shape: tuple[int, int]) -> list[float]:
    """Where the head is in the plate, for the player's loupe: the crop square's centre (x, y) and half side,
    as fractions of the plate's width and height (x, y) and width (half side)."""
    h, w = shape
    inverse = np.linalg.inv(np.asarray(transform, np.float64))
    centre = inverse @ np.array([size / 2.0, size / 2.0, 1.0])
    edge = inverse @ np.array([size, size / 2.0, 1.0])
    half = float(np.hypot(*(edge[:2] / edge[2] - centre[:2] / centre[2])))
    return [round(float(centre[0] / centre[2]) / w, 4), round(float(centre[1] / centre[2]) / h, 4), round(half / w, 4)]


def put_back(plate: np.ndarray, rgb: np.ndarray, mask: np.ndarray, transform: np.ndarray, *, config: ConvertConfig,
             motion: np.ndarray, linear: bool, match: bool = True, reference: np.ndarray | None = None
             ) -> PutBack | None:
    """Warp a swapped crop (display values when the plate is, like the model's input) into the plate and
    prepare it for the composite: colour match, motion blur, erosion, feather. None if it misses the plate.
    `reference` is the model's reconstruction of the plate's person from the same crop (colour matches that
    need one)."""
    from pipeline.stabilize.crop import unstabilize

    size = rgb.shape[0]
    blur = math.hypot(*motion) if config.motion_blur else 0.0
    margin = int(math.ceil(config.erode_px + 3 * config.feather_px + blur)) + 2
    x0, y0, x1, y1 = plate_roi(transform, size, plate.shape[:2], margin)
    if x1 <= x0 or y1 <= y0:
        return None
    shift = np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1]], np.float64)
    local = transform @ shift  # region-of-interest pixels -> crop pixels
    shape = (y1 - y0, x1 - x0)
    colour = unstabilize(rgb, local, shape)
    matte = np.clip(unstabilize(mask, local, shape), 0.0, 1.0)
    under = plate[y0:y1, x0:x1, :3]
    if match:
        rebuilt = None if reference is None else unstabilize(reference, local, shape)
        colour = colour_match(config.colour_match, colour, under, matte > 0.5, rebuilt)
    if not linear:
        colour = srgb_to_linear(np.clip(colour, 0.0, 1.0)).astype(np.float32)
    premult, alpha = colour * matte[..., None], matte
    if blur > 0:
        premult, alpha = motion_blur(premult, motion), motion_blur(alpha, motion)
    final = alpha
    if config.erode_px > 0:
        k = 2 * config.erode_px + 1
        final = cv2.erode(final, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    if config.feather_px > 0:
        final = cv2.GaussianBlur(final, (0, 0), config.feather_px)
    straight = premult / np.maximum(alpha, 1e-6)[..., None]
    return PutBack(x0, y0, (straight * final[..., None]).astype(np.float32), final.astype(np.float32), matte)


def composite(plate_linear: np.ndarray, back: PutBack | None) -> np.ndarray:
    """The swap over the plate (both linear): premultiplied over."""
    out = np.array(plate_linear[..., :3], np.float32, copy=True)
    if back is not None:
        h, w = back.alpha.shape
        region = out[back.y0:back.y0 + h, back.x0:back.x0 + w]
        region *= 1.0 - back.alpha[..., None]
        region += back.premult
    return out


def composite_display(plate: np.ndarray, back: PutBack | None, *, linear: bool, copy: bool = True) -> np.ndarray:
    """The composite in the plate's own encoding; only the swap's region goes through linear light, so the
    rest of the frame is the plate untouched (and a 1080p frame costs a head-sized conversion). With
    `copy=False` the plate's own array (float32) is overwritten."""
    out = np.array(plate[..., :3], np.float32, copy=True) if copy else plate[..., :3]
    if back is not None:
        h, w = back.alpha.shape
        region = out[back.y0:back.y0 + h, back.x0:back.x0 + w]
        mixed = composite(region if linear else srgb_to_linear(region), dataclasses.replace(back, x0=0, y0=0))
        region[...] = mixed if linear else linear_to_srgb(np.clip(mixed, 0.0, None))
    return out


def _plate_bits(clip: Any, plate: Path) -> int:
    """8 or 16: the composited PNG frames keep the plate's bit depth (16 for a video or deeper source)."""
    if clip.kind != "sequence" or clip.linear:
        return 16
    first = cv2.imread(os.fspath(frame_path(plate, clip.first_frame)), cv2.IMREAD_UNCHANGED)
    return 8 if first is not None and first.dtype == np.uint8 else 16


def _batches(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def run(config: ConvertConfig, inputs: ConvertInputs, *, progress: ProgressCallback | None = None) -> ConvertOutputs:
    """Convert every frame of the shot's plate with `inputs.swapper`; write the variant folder whole.

    With `inputs.frames` only that range is converted, into a chunk folder (frames, passes, the records and
    QC crops, no QC, clip or converted.json) that `join_converted` assembles with the shot's other chunks."""
    from pipeline.cg.passes import pass_display_rgb, read_passes
    from pipeline.dataset.coverage import read_coverage
    from pipeline.media.clip import open_clip
    from pipeline.media.image import write_exr, write_image
    from pipeline.stabilize.crop import UnframeableError, stabilize_frame
    from pipeline.stabilize.stage import open_framing
    from pipeline.track.headtrack import conform
    from pipeline.track.load import load_head_track

    shot, variant, swapper = inputs.shot, inputs.variant, inputs.swapper
    if config.colour_match in NEEDS_REFERENCE and getattr(swapper, "source_identity", None) is None:
        raise InputError(f"variant {variant.name!r}: colour_match {config.colour_match!r} compares the plate with the "
                         "model's own rebuild of the plate's person, which this model cannot make (no decoder for "
                         "that person, e.g. a cg model); set [convert] colour_match = \"none\" or \"lab_mean_std\"")
    stab = shot.config.stabilize
    size = int(swapper.size)
    cg = variant.source == "cg"
    layers = tuple(variant.passes) if cg else ("rgba",)
    if cg:
        if shot.cg_passes is None:
            raise InputError(f"{shot.root}: variant {variant.name!r} converts CG passes but the shot has no [cg] "
                             "passes; add [cg] passes = \"cg/actor.%04d.exr\" or use input = \"plate\"")
        if not layers:
            raise InputError(f"variant {variant.name!r}: 'passes' is empty; name the CG lighting passes to convert")
        for frame in shot.frames:  # every pass of every frame present before anything is written
            path = frame_path(shot.cg_passes, frame)
            if not path.is_file():
                raise InputError(f"{path}: CG passes of frame {frame} are missing; render them for {shot.first_frame}-"
                                 f"{shot.last_frame}")
        read_passes(frame_path(shot.cg_passes, shot.first_frame), layers)
    # distance to the nearest training pose: the coverage stage's when given, else measured on the faceset
    coverage = read_coverage(shot.root / variant.coverage) if variant.coverage else None
    faceset = shot.root / variant.faceset if variant.faceset else swapper.record.get("facesets", {}).get("actor")
    training = faceset_poses(faceset) if faceset and coverage is None else None
    track = load_head_track(shot.head_track, intrinsics=shot.camera, rotation_order=shot.rotation_order)
    timer = _Timer()
    out_dir = Path(inputs.out_dir)
    if inputs.frames is not None:
        lo, hi = inputs.frames
        if not shot.first_frame <= lo <= hi <= shot.last_frame:
            raise InputError(f"{shot.root}: chunk frames {lo}-{hi} are not inside the shot's "
                             f"{shot.first_frame}-{shot.last_frame}; pick a range inside it")
    with open_clip(shot.plate, first_frame=shot.first_frame, fps=shot.fps) as clip:
        if shot.first_frame < clip.first_frame or shot.last_frame > clip.last_frame:
            raise InputError(f"{shot.plate}: holds frames {clip.first_frame}-{clip.last_frame}, the shot is "
                             f"{shot.first_frame}-{shot.last_frame}; fix [shot] first_frame/last_frame")
        track = conform(track, shot.frames, fill=stab.fill_missing, where=str(shot.head_track))
        ypr = track.yaw_pitch_roll()
        motion = head_motion(track, shutter=config.shutter, skull_centre=stab.skull_centre)
        shape = (clip.height, clip.width)
        ext = "exr" if clip.linear else "png"
        comp_pattern = f"comp/comp.%04d.{ext}"
        bits = _plate_bits(clip, shot.plate)
        records: list[dict[str, Any]] = []
        qc_crops: list[np.ndarray] = []
        indices = [i for i in range(len(track)) if inputs.frames is None
                   or inputs.frames[0] <= int(track.frames[i]) <= inputs.frames[1]]
        with atomic_dir(out_dir) as tmp, open_framing(dataclasses.replace(stab, size=size), track,
                                                      linear=clip.linear) as frame_of, \
                progress_bar(len(indices), f"convert {variant.name}", callback=progress) as bar:
            for part in ("comp", "passes"):
                (tmp / part).mkdir()
            plate_ones = np.ones(shape, np.float32)
            for batch in _batches(indices, config.batch_size):
                plates, transforms, crops, crop_frames = {}, {}, [], []
                for i in batch:
                    frame = int(track.frames[i])
                    with timer("io"):
                        plates[i] = clip.read(frame)
                        passes = read_passes(frame_path(shot.cg_passes, frame), layers) if cg else None
                    with timer("warp_blend"):
                        try:
                            transforms[i] = frame_of(i, plates[i])
                        except UnframeableError as exc:
                            records.append({"frame": frame, "status": exc.reason})
                            continue
                        # CG passes are linear light; the cg model learnt them display-encoded (as the faceset cut them)
                        sources = [pass_display_rgb(passes[p]) for p in layers] if cg else [plates[i][..., :3]]
                        # crop pixels partly off the plate are rescaled by how much plate they hold (no black rim)
                        inside = stabilize_frame(plate_ones, transforms[i], size)[..., None]
                        crops += [stabilize_frame(s, transforms[i], size) / np.maximum(inside, 1e-3) for s in sources]
                        crop_frames += [frame] * len(sources)
                if crops:
                    with timer("model"):
                        stack = np.stack(crops)
                        swapped_batch = swap_batch(swapper, stack, crop_frames)
                        rgb, mask, actor_frames = swapped_batch.rgb, swapped_batch.mask, swapped_batch.actor_frames
                        again, _ = swapper(rgb, crop_frames)
                        rebuilt = swapper.reconstruct(stack) if config.colour_match in NEEDS_REFERENCE else None
                swapped = [i for i in batch if i in transforms]
                for k, i in enumerate(swapped):
                    frame = int(track.frames[i])
                    n = len(layers)
                    with timer("warp_blend"):
                        backs = [put_back(plates[i], rgb[k * n + j], mask[k * n + j], transforms[i], config=config,
                                          motion=motion[i], linear=clip.linear, match=(j == 0),
                                          reference=None if rebuilt is None else rebuilt[k * n + j])
                                 for j in range(n)]
                        comp = composite_display(plates[i], backs[0], linear=clip.linear, copy=False)
                        swap_channels, origin = _swap_channels(backs, layers, cg)
                        crop_channels = _crop_channels(rgb[k * n:(k + 1) * n], mask[k * n:(k + 1) * n], layers, cg,
                                                       clip.linear)
                        qc_crops.append(cv2.resize(rgb[k * n], (config.qc_size, config.qc_size),
                                                   interpolation=cv2.INTER_AREA))
                    with timer("io"):
                        write_image(tmp / frame_path(comp_pattern, frame), comp, bits=bits)
                        write_region_exr(tmp / frame_path(SWAP_PASS, frame), swap_channels, origin, shape[::-1])
                        write_exr(tmp / frame_path(CROP_PASS, frame), crop_channels)
                    records.append({"frame": frame, "status": "swapped", "transform": transforms[i].tolist(),
                                    "motion": motion[i].tolist(), "yaw_pitch_roll": ypr[i].tolist(),
                                    "face": face_box(transforms[i], size, shape),
                                    "consistency": consistency(rgb[k * n], again[k * n], mask[k * n]),
                                    "actor_frame": None if actor_frames is None
                                    else dataclasses.asdict(actor_frames[k * n])})
                for i in batch:
                    if i not in transforms:
                        frame = int(track.frames[i])
                        with timer("io"):
                            write_image(tmp / frame_path(comp_pattern, frame), plates[i][..., :3], bits=bits)
                            write_region_exr(tmp / frame_path(SWAP_PASS, frame),
                                             *_swap_channels([None], layers, cg), shape[::-1])
                    bar.update(1, f"frame {int(track.frames[i])}")
            records.sort(key=lambda r: r["frame"])
            header = {
                "variant": variant.name, "shot": shot.name, "config": config_to_dict(config),
                "variant_config": config_to_dict(variant), "record": swapper.record,
                "first_frame": shot.first_frame, "last_frame": shot.last_frame, "fps": str(shot.fps),
                "width": clip.width, "height": clip.height, "plate": os.fspath(shot.plate), "linear": clip.linear,
                "crop_size": size, "radius": stab.radius, "skull_centre": list(stab.skull_centre),
                "layers": list(layers), "comp": comp_pattern, "passes": {"swap": SWAP_PASS, "crop": CROP_PASS}}
            if inputs.frames is not None:
                _write_chunk(tmp, header, inputs.frames, records, qc_crops, training, coverage, timer.seconds)
                qc = []
            else:
                qc = _finish(tmp, config, header, records, qc_crops, training, coverage, timer)
    if inputs.frames is not None:
        log.info("convert %s: chunk %d-%d written to %s", variant.name, *inputs.frames, out_dir)
    swapped_frames = tuple(r["frame"] for r in records if r["status"] == "swapped")
    unswapped = {r["frame"]: r["status"] for r in records if r["status"] != "swapped"}
    anomalies = tuple(q["frame"] for q in qc if q["flagged"])
    log.info("convert %s: %d frames swapped, %d without a crop, %d flagged by QC", variant.name, len(swapped_frames),
             len(unswapped), len(anomalies))
    return ConvertOutputs(manifest=out_dir / (MANIFEST if inputs.frames is None else CHUNK_MANIFEST),
                          swapped=swapped_frames, unswapped=unswapped, anomalies=anomalies, timings=dict(timer.seconds))


def _finish(tmp: Path, config: ConvertConfig, header: dict[str, Any], records: list[dict[str, Any]],
            qc_crops: list[np.ndarray], training: np.ndarray | None, coverage: dict[int, float] | None,
            timer: _Timer) -> list[dict[str, Any]]:
    """What a whole variant folder gets once its frames are written (by `run` or `join_converted`): QC over
    all frames (the anomaly score compares neighbours), the review clip and converted.json."""
    qc = _qc(records, qc_crops, training, config, coverage)
    review = None
    if config.review_clip:
        from pipeline.media.review import make_review_clip

        with timer("io"):
            review = make_review_clip(tmp / header["comp"], tmp / REVIEW_CLIP,
                                      burn_in=f"{header['shot']} {header['variant']}", fps=header["fps"])
    write_manifest(tmp / MANIFEST, kind=KIND, version=SCHEMA_VERSION, data={
        **header, "record": _record_with_sync_counts(header["record"], records),
        "review_clip": REVIEW_CLIP if review else None, "frames": records, "qc": qc, "timings": timer.seconds})
    return qc


def _write_chunk(tmp: Path, header: dict[str, Any], frames: tuple[int, int], records: list[dict[str, Any]],
                 qc_crops: list[np.ndarray], training: np.ndarray | None, coverage: dict[int, float] | None,
                 timings: dict[str, float]) -> None:
    """A chunk's manifest and QC inputs: the crops the anomaly score needs and the training poses."""
    arrays = {"crops": np.stack(qc_crops) if qc_crops else np.zeros((0, 1, 1, 3), np.float32)}
    if training is not None:
        arrays["training"] = np.asarray(training, np.float64)
    with atomic_path(tmp / CHUNK_QC) as path:
        with open(path, "wb") as f:
            np.savez(f, **arrays)
    chunk_coverage = None if coverage is None else {
        str(r["frame"]): coverage[r["frame"]] for r in records if r["frame"] in coverage}
    write_manifest(tmp / CHUNK_MANIFEST, kind=CHUNK_KIND, version=CHUNK_VERSION, data={
        "header": header, "chunk": list(frames), "frames": records, "coverage": chunk_coverage,
        "timings": dict(timings)})


def join_converted(chunk_dirs: list[str | os.PathLike], out_dir: str | os.PathLike, *,
                   progress: ProgressCallback | None = None) -> ConvertOutputs:
    """Assemble chunk folders (`run` with `frames`) covering the whole shot into exactly the variant folder
    an unchunked run writes: frames and passes, QC over all frames, review clip, converted.json."""
    import shutil

    from pipeline.config import config_from_dict

    if not chunk_dirs:
        raise InputError(f"{out_dir}: no chunk folders to join; convert the shot's frames in chunks first")
    chunks = []
    for folder in map(Path, chunk_dirs):
        path = folder / CHUNK_MANIFEST
        if not path.is_file():
            raise InputError(f"{path}: no conversion chunk here; run its chunk (convert with frames=) first")
        chunks.append((read_manifest(path, kind=CHUNK_KIND, versions=(CHUNK_VERSION,)), folder))
    chunks.sort(key=lambda c: c[0]["chunk"][0])
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
    config = config_from_dict(ConvertConfig, header["config"], where=f"{chunks[0][1] / CHUNK_MANIFEST} config")
    records, crops, coverage, training = [], [], {}, None
    timer = _Timer()
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp, progress_bar(len(chunks), f"join {header['variant']}", callback=progress) as bar:
        for part in ("comp", "passes"):
            (tmp / part).mkdir()
        for data, folder in chunks:
            for part in ("comp", "passes"):
                for file in sorted((folder / part).iterdir()):
                    shutil.copyfile(file, tmp / part / file.name)
            records += data["frames"]
            with np.load(folder / CHUNK_QC) as arrays:
                crops += list(arrays["crops"])
                if "training" in arrays:
                    training = arrays["training"]
            if data["coverage"] is not None:
                coverage.update({int(k): v for k, v in data["coverage"].items()})
            for key, seconds in data["timings"].items():
                timer.seconds[key] = timer.seconds.get(key, 0.0) + seconds
            bar.update(1, f"chunk {data['chunk'][0]}-{data['chunk'][1]}")
        has_coverage = any(d["coverage"] is not None for d, _ in chunks)
        qc = _finish(tmp, config, header, records, crops, training, coverage if has_coverage else None, timer)
    swapped = tuple(r["frame"] for r in records if r["status"] == "swapped")
    log.info("join %s: %d chunks, %d frames -> %s", header["variant"], len(chunks), len(records), out_dir)
    return ConvertOutputs(manifest=out_dir / MANIFEST, swapped=swapped,
                          unswapped={r["frame"]: r["status"] for r in records if r["status"] != "swapped"},
                          anomalies=tuple(q["frame"] for q in qc if q["flagged"]), timings=dict(timer.seconds))


def _swap_channels(backs: list[PutBack | None], layers: tuple[str, ...], cg: bool) -> tuple[dict[str, np.ndarray],
                                                                                       tuple[int, int]]:
    """The swap pass over the swap's region only (its EXR data window), and where that region starts."""
    main = backs[0]
    if main is None:  # no swap on this frame: an empty pass, one transparent pixel
        return {c: np.zeros((1, 1), np.float32) for c in ("R", "G", "B", "A", "mask")}, (0, 0)
    channels = {"R": main.premult[..., 0], "G": main.premult[..., 1], "B": main.premult[..., 2], "A": main.alpha,
                "mask": main.mask}
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

    from pipeline.atomic import atomic_path

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


def _qc(records: list[dict[str, Any]], crops: list[np.ndarray], training: np.ndarray | None,
        config: ConvertConfig, coverage: dict[int, float] | None = None) -> list[dict[str, Any]]:
    """Per frame QC: pose distance to the training set, self-consistency, anomaly (robust z) and its flag."""
    swapped = [r for r in records if r["status"] == "swapped"]
    ypr = np.array([r["yaw_pitch_roll"] for r in swapped], np.float64).reshape(-1, 3)
    order = sorted(range(len(swapped)), key=lambda k: swapped[k]["frame"])
    anomaly = anomaly_scores(np.stack([crops[k] for k in order]), ypr[order]) if swapped else np.zeros(0)
    distance = pose_distance(ypr[order], training) if training is not None and swapped else None
    by_frame = {swapped[k]["frame"]: j for j, k in enumerate(order)}
    qc = []
    for r in records:
        j = by_frame.get(r["frame"])
        if j is None:
            qc.append({"frame": r["frame"], "swapped": False, "pose_distance": None, "consistency": None,
                       "anomaly": None, "flagged": True, "actor_frame": None})
            continue
        measured = coverage.get(r["frame"]) if coverage is not None else None if distance is None else distance[j]
        qc.append({"frame": r["frame"], "swapped": True, "face": r.get("face"),
                   "pose_distance": None if measured is None else round(float(measured), 3),
                   "consistency": round(r["consistency"], 5), "anomaly": round(float(anomaly[j]), 3),
                   "flagged": bool(anomaly[j] > config.anomaly_threshold), "actor_frame": r.get("actor_frame")})
    return qc


def _record_with_sync_counts(record: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    """The model record with, when the variant snapped under a performance sync, how many frames took the
    actor's latent from their sync window and how many fell back to the whole fit set."""
    sync = record.get("performance_sync")
    if sync is None:
        return record
    taken = [r["actor_frame"]["snapped_from"] for r in records if r.get("actor_frame") is not None]
    return {**record, "performance_sync": {**sync, "synced_frames": taken.count("sync_window"),
                                           "fallback_frames": taken.count("fallback")}}


def write_review_variant(shot_root: str | os.PathLike, manifest: str | os.PathLike) -> Path | None:
    """The publish client's manifest (review/variants/NAME/variant.json) for a converted variant, pointing at
    its review clip and carrying its record and per-frame QC. None when the variant has no review clip."""
    data = read_converted(manifest)
    if not data["review_clip"]:
        return None
    from pipeline.publish.stage import VARIANT_FILE

    folder = ShotLayout(Path(shot_root)).review_variant(data["variant"])
    record = data["record"]
    kind = record.get("model") if record.get("model") in list_models() else "other"
    clip = Path(os.path.relpath(data["folder"] / data["review_clip"], folder))
    return write_manifest(folder / VARIANT_FILE, kind="review_variant", version=1, data={
        "label": data["variant"], "variant_kind": kind, "clip": clip.as_posix(),
        "model": record.get("model", ""), "checkpoint": record.get("checkpoint", ""),
        "faceset": {"hash": record.get("faceset_hash", "")},
        "performance": {"value": record.get("performance"), "sync": record.get("performance_sync")},
        "qc": data["qc"]})
