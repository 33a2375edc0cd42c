"""`eval` stage: how close each variant comes to the synthetic ground truth, per frame and per yaw bin; on a shot
without [truth] (real footage), the truth-free measures of pipeline.eval.truthfree instead, and on a synthetic
shot both, side by side (so the truth-free measures are checked against the truth).

For every plate frame with an output, against the truth cut the same way (plate space or the same crop):
  psnr_db, ssim      inside the head matte, against the actor rendered in the plate's pose with the
                     walkthrough's expression (truth/rigid)
  identity_margin    (RMS error to the plate - to truth/rigid) / their sum: > 0 nearer the actor, < 0 the dancer
  mouth              mouth-open measured (pipeline.dataset.descriptors) on the output and, with the same
                     measure and geometry, on truth/rigid (the actor's performance) and truth/loose (the dancer's
                     performance on the actor's face); the dancer's truth value is kept beside them
  flicker            frame-to-frame change of the output's error in the matte (0: it changes exactly as the
                     truth does); flicker_ratio = the output's own change / the truth's own change
Per bin (frontal < 30 deg, three_quarter 30-60, profile 60-120, back > 120, on |yaw| wrapped to 0..180) and
over all frames: means of the above, the share of plate frames with an output, and performance adherence:
adherence_dancer = where the output's mouth lies between the actor's (0) and the dancer's (1) performance
(least squares over the bin's frames), adherence_actor = 1 - adherence_dancer; the Pearson correlation of the
output's mouth with each performance is kept too (None when a performance, or the output, holds still).

Output folder (replaced whole): eval.json (kind "eval"), eval.md, plots/*.png. Schema changelog:
  1: shot, config, variants: [{name, record, bins: [{bin, frames, with_output, share, psnr_db, ssim,
     identity_margin, adherence_actor, adherence_dancer, mouth_corr_actor, mouth_corr_dancer, flicker,
     flicker_ratio}], all: {same, bin "all"}, frames: [per frame]}]
  2: mode ("truth" | "truth_free": what `variants` were scored against) and truth_free (on a synthetic shot, the
     same variants' truth-free scores, else null); truth-free rows leave psnr_db and ssim null and add
     recognised, identity_actor_distance, identity_dancer_distance, pose_error_deg, pose_error_plate_deg,
     flicker_plate (pipeline.eval.truthfree). Version 1 reads as mode "truth" without truth_free.
     Within version 2 (older files lack them): truth-free frame rows carry `dissolve` (the output dissolves from
     or to the plate: no identity measures) and their bins `dissolving` (how many such outputs); truth-free
     frame rows and bins carry `identity_margin_plate` (the plate's own margin, held out: pipeline.eval.truthfree).
"""
from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.artifacts import read_manifest, write_manifest
from pipeline.atomic import atomic_dir
from pipeline.config import config_to_dict
from pipeline.errors import InputError
from pipeline.eval import metrics
from pipeline.eval.inputs import EvalInput, Output, PlateSequence
from pipeline.eval.truth import ShotTruth, open_truth
from pipeline.progress import ProgressCallback, progress_bar
from pipeline.shot import Shot

logger = logging.getLogger(__name__)

KIND = "eval"
SCHEMA_VERSION = 2
MANIFEST = "eval.json"
TABLE = "eval.md"


@dataclasses.dataclass(frozen=True)
class EvalConfig:
    """How eval measures (all defaults suit the synthetic shots)."""

    matte_threshold: float = 0.5  # matte value above which a pixel is inside the head (SSIM, mouth)
    psnr_cap_db: float = metrics.PSNR_CAP_DB
    min_frames: int = 3           # measured frames a bin needs for a performance figure
    plots: bool = True
    truth_free: bool = True       # on a synthetic shot, also score the plate-space variants without the truth

    def __post_init__(self) -> None:
        if not 0.0 < self.matte_threshold < 1.0:
            raise ValueError(f"matte_threshold {self.matte_threshold} must be within 0..1")
        if self.min_frames < 2:
            raise ValueError("min_frames must be at least 2")


@dataclasses.dataclass(frozen=True)
class EvalInputs:
    shot: Shot
    variants: Sequence[EvalInput]
    out_dir: Path


@dataclasses.dataclass(frozen=True)
class EvalOutputs:
    manifest: Path
    table: Path
    plots: tuple[Path, ...]
    variants: dict[str, dict[str, Any]]  # name -> {"bins": [...], "all": {...}, "frames": [...], "record": ...}
    truth_free: dict[str, dict[str, Any]] | None = None  # on a synthetic shot: the truth-free scores beside


def run(config: EvalConfig, inputs: EvalInputs, *, progress: ProgressCallback | None = None) -> EvalOutputs:
    """Score every variant against the shot's truth; write eval.json, eval.md and plots into `out_dir` whole."""
    from pipeline.eval.report import markdown, plot

    names = [v.name for v in inputs.variants]
    if not names:
        raise InputError(f"{inputs.shot.root}: no variant to evaluate; name one with --variant")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"variant name(s) given twice: {', '.join(twice)}")
    shot = inputs.shot
    plate_space = [v for v in inputs.variants if isinstance(v, PlateSequence)]
    if shot.truth is None and len(plate_space) < len(inputs.variants):
        crops = ", ".join(v.name for v in inputs.variants if not isinstance(v, PlateSequence))
        raise InputError(f"{shot.root}: {crops} are scored on head crops against synthetic truth, and this shot has "
                         "no [truth] table; score converted variants instead (drop --crops)")
    truth_free = None
    if shot.truth is None or (config.truth_free and plate_space):
        from pipeline.eval.truthfree import evaluate

        try:
            truth_free = evaluate(shot, plate_space, min_frames=config.min_frames,
                                  progress=progress if shot.truth is None else None)
        except InputError as exc:
            if shot.truth is None:
                raise
            # beside the truth it is a check, not the score: a plate too small for the recogniser loses only it
            logger.warning("eval: no truth-free scores beside the truth: %s", exc)
        if shot.truth is not None:
            for name, result in (truth_free or {}).items():
                _require_output(shot, name, result["frames"], inputs.variants)
    results = truth_free if shot.truth is None else _score_truth(config, shot, inputs.variants, progress)
    mode = "truth_free" if shot.truth is None else "truth"
    beside = truth_free if mode == "truth" else None
    out_dir = Path(inputs.out_dir)
    with atomic_dir(out_dir) as tmp:
        write_manifest(tmp / MANIFEST, kind=KIND, version=SCHEMA_VERSION, data={
            "shot": shot.name, "shot_root": os.fspath(shot.root), "config": config_to_dict(config), "mode": mode,
            "bins": [{"bin": n, "min_deg": lo, "max_deg": hi} for n, lo, hi in metrics.YAW_BINS],
            "variants": [{"name": name, **result} for name, result in results.items()],
            "truth_free": None if beside is None else [{"name": name, **r} for name, r in beside.items()]})
        (tmp / TABLE).write_text(markdown(shot.name, results, mode=mode, beside=beside), encoding="utf-8")
        plots = plot(tmp / "plots", results, mode=mode) if config.plots else []
    for name, result in results.items():
        row = result["all"]
        logger.info("eval %s (%s): share %.2f, PSNR %s dB, identity margin %s, adherence to the actor %s", name, mode,
                    row["share"], _fmt(row["psnr_db"]), _fmt(row["identity_margin"]), _fmt(row["adherence_actor"]))
    return EvalOutputs(manifest=out_dir / MANIFEST, table=out_dir / TABLE,
                       plots=tuple(out_dir / p.relative_to(tmp) for p in plots), variants=results,
                       truth_free=beside)


def _score_truth(config: EvalConfig, shot: Shot, variants: Sequence[EvalInput], progress: ProgressCallback | None
                 ) -> dict[str, dict[str, Any]]:
    """Every variant against the shot's synthetic truth."""
    results: dict[str, dict[str, Any]] = {}
    with open_truth(shot) as truth, progress_bar(len(variants) * len(shot.frames), "eval", callback=progress) as bar:
        for variant in variants:
            frames = _score_frames(variant, truth, config, bar)
            _require_output(shot, variant.name, frames, variants)
            bins = [_aggregate(name, [f for f in frames if f["bin"] == name], config) for name in metrics.BIN_NAMES]
            results[variant.name] = {"record": variant.record, "bins": bins,
                                     "all": _aggregate("all", frames, config), "frames": frames}
    return results


def _require_output(shot: Shot, name: str, frames: list[dict[str, Any]], variants: Sequence[EvalInput]) -> None:
    if not any(f["output"] for f in frames):
        record = next(v.record for v in variants if v.name == name)
        raise InputError(f"variant {name!r} has no output on any of the plate's frames "
                         f"{shot.first_frame}-{shot.last_frame} ({_describe(record)}); "
                         "convert it first or check its frame numbers")


def _score_frames(variant: EvalInput, truth: ShotTruth, config: EvalConfig, bar) -> list[dict[str, Any]]:
    """Per-frame measures of one variant, in plate frame order."""
    rows: list[dict[str, Any]] = []
    previous: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # output, truth, matte of the last frame
    for frame, output in variant.outputs(truth):
        record = truth.records[frame]
        row: dict[str, Any] = {"frame": frame, "yaw": float(record["yaw"]), "bin": metrics.yaw_bin(record["yaw"]),
                               "output": output is not None, "mouth_dancer_truth": record.get("mouth_open")}
        if output is not None:
            image, refs, transform = _aligned(variant.name, frame, output, truth)
            row.update(_measures(image, refs, truth, frame, transform, config))
            if previous is not None and previous[0].shape == image.shape:
                last_out, last_truth, last_matte = previous
                both = np.minimum(refs["matte"], last_matte)
                row.update(flicker=metrics.temporal_change(image - refs["rigid"], last_out - last_truth, both),
                           flicker_output=metrics.temporal_change(image, last_out, both),
                           flicker_truth=metrics.temporal_change(refs["rigid"], last_truth, both))
            previous = (image, refs["rigid"], refs["matte"])
        else:
            previous = None
        rows.append(row)
        bar.update(1, f"{variant.name} {frame}")
    return rows


def _aligned(name: str, frame: int, output: Output, truth: ShotTruth
             ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """The output, the truth images (rigid, loose, plate, matte) where the output lies (the plate, or the same
    crop), and the plate -> output transform."""
    from pipeline.stabilize.crop import stabilize_frame

    image = np.asarray(output.image, np.float32)[..., :3]
    refs = {"rigid": truth.rigid(frame), "loose": truth.loose(frame), "plate": truth.plate(frame),
            "matte": truth.matte(frame)}
    if output.transform is None:
        if image.shape[:2] != refs["matte"].shape:
            h, w = refs["matte"].shape
            raise InputError(f"variant {name!r} frame {frame}: output is {image.shape[1]}x{image.shape[0]} but "
                             f"the plate is {w}x{h}")
        return image, refs, np.eye(3)
    transform = np.asarray(output.transform, np.float64)
    size = image.shape[0]
    cut = {key: stabilize_frame(a, transform, size) for key, a in refs.items()}
    cut["matte"] = np.clip(cut["matte"], 0.0, 1.0)
    return image, cut, transform


def _measures(image: np.ndarray, refs: dict[str, np.ndarray], truth: ShotTruth, frame: int, transform: np.ndarray,
              config: EvalConfig) -> dict[str, Any]:
    """PSNR, SSIM, identity margin and mouth-open of one output frame against its aligned truth."""
    from pipeline.dataset.descriptors import CropGeometry, measure_crop

    matte = refs["matte"]
    to_truth = metrics.masked_mse(image, refs["rigid"], matte)
    to_plate = metrics.masked_mse(image, refs["plate"], matte)
    # SSIM and the mouth only look around the head (a full plate frame is mostly background)
    (y0, y1), (x0, x1) = _around(matte)
    box = (slice(y0, y1), slice(x0, x1))
    geometry = CropGeometry(truth.poses[frame], truth.intrinsics[frame],
                            np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0], [0.0, 0.0, 1.0]]) @ transform)

    def mouth(a: np.ndarray) -> float | None:
        return measure_crop(np.ascontiguousarray(a[box]), geometry)["mouth_open"]

    return {"psnr_db": metrics.psnr_db(to_truth, cap=config.psnr_cap_db),
            "ssim": metrics.masked_ssim(image[box], refs["rigid"][box], matte[box] > config.matte_threshold),
            "identity_margin": metrics.identity_margin(to_truth, to_plate),
            "mouth_output": mouth(image), "mouth_actor": mouth(refs["rigid"]), "mouth_dancer": mouth(refs["loose"]),
            "flicker": None, "flicker_output": None, "flicker_truth": None}


def _around(matte: np.ndarray, margin: int = 16) -> tuple[tuple[int, int], tuple[int, int]]:
    """Rows and columns (start, stop) of a square around the matte, grown by `margin` pixels and kept inside the
    image (the descriptors read square crops); the largest centred square when the matte is empty."""
    h, w = matte.shape
    ys, xs = np.nonzero(matte > 0)
    if len(ys) == 0:
        ys, xs = np.array([0, h - 1]), np.array([0, w - 1])
    side = min(h, w, max(int(ys.max() - ys.min()), int(xs.max() - xs.min())) + 1 + 2 * margin)
    y0 = int(np.clip((int(ys.min()) + int(ys.max()) + 1 - side) // 2, 0, h - side))
    x0 = int(np.clip((int(xs.min()) + int(xs.max()) + 1 - side) // 2, 0, w - side))
    return (y0, y0 + side), (x0, x0 + side)


def _aggregate(name: str, frames: list[dict[str, Any]], config: EvalConfig) -> dict[str, Any]:
    """One row of the table: the bin's frames summarised."""
    scored = [f for f in frames if f["output"]]
    mouths = [f for f in scored if None not in (f["mouth_output"], f["mouth_actor"], f["mouth_dancer"])]
    o, a, d = ([f[k] for f in mouths] for k in ("mouth_output", "mouth_actor", "mouth_dancer"))
    position = metrics.performance_position(o, a, d, min_frames=config.min_frames)
    flicker_output = metrics.mean([f["flicker_output"] for f in scored])
    flicker_truth = metrics.mean([f["flicker_truth"] for f in scored])
    return {"bin": name, "frames": len(frames), "with_output": len(scored),
            "share": len(scored) / len(frames) if frames else None,
            "psnr_db": metrics.mean([f["psnr_db"] for f in scored]),
            "ssim": metrics.mean([f["ssim"] for f in scored]),
            "identity_margin": metrics.mean([f["identity_margin"] for f in scored]),
            "adherence_actor": None if position is None else 1.0 - position,
            "adherence_dancer": position,
            "mouth_corr_actor": metrics.correlation(o, a, min_frames=config.min_frames),
            "mouth_corr_dancer": metrics.correlation(o, d, min_frames=config.min_frames),
            "mouth_frames": len(mouths),
            "flicker": metrics.mean([f["flicker"] for f in scored]),
            "flicker_ratio": None if flicker_output is None or not flicker_truth else flicker_output / flicker_truth}


def yaw_bin_table(result: str | os.PathLike | dict[str, Any], variant: str) -> dict[str, Any]:
    """The per-yaw-bin table of one variant as plain JSON-ready data, for the site's variant record:
    {"kind": "eval_yaw_bins", "schema_version": 2, "shot", "variant", "mode" ("truth" | "truth_free": what the rows
    were scored against; version 1 had no mode and was always "truth"), "bins": [row per bin], "all": row}.

    `result` is an eval folder, its eval.json, or the dict `read_eval` returns."""
    data = result if isinstance(result, dict) else read_eval(result)
    by_name = {v["name"]: v for v in data["variants"]}
    if variant not in by_name:
        raise InputError(f"eval of shot {data['shot']!r} has no variant {variant!r} (it has: "
                         f"{', '.join(by_name) or 'none'}); run `facereplace eval SHOT --variant {variant}`")
    v = by_name[variant]
    return {"kind": "eval_yaw_bins", "schema_version": SCHEMA_VERSION, "shot": data["shot"], "variant": variant,
            "mode": data["mode"],
            "bins": [dict(row) for row in v["bins"]], "all": dict(v["all"])}


def read_eval(path: str | os.PathLike) -> dict[str, Any]:
    """An eval manifest (its folder or eval.json)."""
    p = Path(path)
    if p.is_dir():
        p = p / MANIFEST
    data = read_manifest(p, kind=KIND, versions=(1, SCHEMA_VERSION))
    return {"mode": "truth", "truth_free": None, **data}


def _describe(record: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in record.items() if v not in (None, ""))


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
