"""Benchmark of swap quality after a fixed step budget, per yaw bin, with the 3D pose crops and the 2D baseline.

The demo's stages (the shot runner, pipeline.run: synth, track import, stabilize, dataset, train base then fit,
convert, eval) on a synthetic pirouette, twice: once as the engine frames heads (stabilize method "pose"),
once with the shot's [stabilize] method set to "landmarks2d", so stabilize, the facesets and conversion all
cut the 2D landmark baseline's crops (no face found, no crop, no output). `facereplace eval` scores each
converted variant on the plate against the synthetic truth, per yaw bin (frontal < 30 deg, three_quarter
30-60, profile 60-120, back > 120).

Figures, each beside its baseline from the same run:
- PSNR per variant and bin with 3D crops, beside the same variant's frontal PSNR. Goal: profile and back of
  head within 2 dB of frontal (the goal column holds frontal - 2 dB);
- PSNR on the frames the 2D baseline has no output for at all, beside frontal. Same goal;
- the share of plate frames with an output per bin, 3D crops beside 2D landmarks. Goal: 100 % for profile
  and back;
- PSNR per bin with the 2D crops, beside their own frontal PSNR (no goal: the baseline's own fall-off).
- each trained variant's truth-free identity margin (the recogniser, as on real footage) beside its truth one,
  and whether both order the variants alike. Goal: alike.
"""
from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.demo import DemoConfig

log = logging.getLogger(__name__)

PRESET = "pirouette"
BASELINE_VARIANTS = ("loose",)  # variants run with the 2D crops too (each costs a base and a fit training)
GOAL_DB = 2.0
GOAL_BINS = ("profile", "back")
# The fixed budget: a 128² pirouette of 48 frames (two turns), 64² crops, a base and a fit training per variant.
BUDGET = {"size": 128, "frames": 48, "crop_size": 64, "base_steps": 1200, "fit_steps": 200}  # as make demo


def _demo_config(project: Path, models: tuple[str, ...]) -> DemoConfig:
    from pipeline.demo import DemoConfig
    from pipeline.run import SyntheticBudget

    return DemoConfig(project_dir=project, presets=(PRESET,), models=models, budget=SyntheticBudget(**BUDGET))


def _pipeline(config: DemoConfig, framing: str, train: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The demo's stages (the shot runner) on the shot with `framing` (and `train` over its [train] settings, e.g.
    a preset: tests.bench.bench_gpu); eval's result per variant (its truth-free result under "truth_free")."""
    import dataclasses

    from pipeline.eval.stage import read_eval
    from pipeline.run import run_shot
    from pipeline.shot import SHOT_FILE, ShotLayout

    shot_dir, run = config.project_dir / PRESET, config.run_config(PRESET)
    if train:
        run = dataclasses.replace(run, settings={**run.settings, "train": {**run.settings.get("train", {}), **train}})
    started = time.perf_counter()
    run_shot(shot_dir, dataclasses.replace(run, last="synth"))
    if framing != "pose":  # the shot is written: frame it the baseline's way
        with open(shot_dir / SHOT_FILE, "a", encoding="utf-8") as f:
            f.write(f'\n[stabilize]\nmethod = "{framing}"\n')
    run_shot(shot_dir, dataclasses.replace(run, first="track"))
    log.info("the demo's stages (%s): %.1f s", framing, time.perf_counter() - started)
    data = read_eval(ShotLayout(shot_dir).eval())
    free = {v["name"]: v for v in data.get("truth_free") or ()}
    return {v["name"]: {**v, "truth_free": free.get(v["name"])} for v in data["variants"]}


def _bins(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["bin"]: row for row in result["bins"]}


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


# The measures made with and without truth under one name (pipeline.eval.stage and pipeline.eval.truthfree), with
# their scales: each must order the trained variants as its truth counterpart does.
TRUTH_FREE_CHECKS = (("identity_margin", "identity margin", "-1 the dancer .. 1 the actor"),
                     ("adherence_actor", "actor's performance", "1 the actor's, 0 the dancer's, can pass either"))
TIE = 0.01  # truth figures this close do not order two variants


def _report_truth_free(report, ours: dict[str, dict[str, Any]]) -> None:
    """Each truth-free measure of each trained variant beside its truth one, and on how many of the pairs of
    variants the truth orders the two agree (issue 24: the truth-free measures must rank the variants as the
    truth does on this shot). A pair the truth ties is not counted: there is nothing to agree with."""
    from itertools import combinations

    for key, label, scale in TRUTH_FREE_CHECKS:
        truth = {name: result["all"][key] for name, result in ours.items()}
        free = {name: (result["truth_free"] or {}).get("all", {}).get(key) for name, result in ours.items()}
        for name in ours:
            if free[name] is not None:  # None: not measured on its outputs (a pair with it counts as disagreeing)
                report.add(f"{name} {label} without truth ({scale})", free[name], "",
                           baseline=f"{name} {label} against the truth", baseline_value=truth[name])
        ordered = [(a, b) for a, b in combinations(ours, 2)
                   if truth[a] is not None and truth[b] is not None and abs(truth[a] - truth[b]) > TIE]
        if not ordered:
            reads = ", ".join(f"{n} {_number(truth[n])}" for n in ours)
            report.add(f"pairs of variants the truth orders by {label} (it reads {reads}: nothing to check the "
                       f"measure without truth against)", 0, "pairs")
            continue
        agree = sum(free[a] is not None and free[b] is not None and (free[a] - free[b]) * (truth[a] - truth[b]) > 0
                    for a, b in ordered)
        by_truth = sorted([n for n in ours if truth[n] is not None], key=lambda n: -truth[n])
        by_free = sorted([n for n in ours if free[n] is not None], key=lambda n: -free[n])
        report.add(f"pairs of variants ordered alike by {label} with and without truth, of the {len(ordered)} the "
                   f"truth orders (truth: {' > '.join(by_truth)}; without: {' > '.join(by_free)})",
                   agree / len(ordered), "", goal="1")


def _number(value: float | None) -> str:
    return "none" if value is None else f"{value:.2f}"


def _report(report, ours: dict[str, dict[str, Any]], theirs: dict[str, dict[str, Any]]) -> None:
    for variant, result in ours.items():
        bins = _bins(result)
        frontal = bins["frontal"]["psnr_db"]
        for name in ("three_quarter", "profile", "back"):
            goal = f">= {frontal - GOAL_DB:.2f}" if name in GOAL_BINS else None
            within = f" (goal: within {GOAL_DB:g} dB of frontal)" if goal else ""
            report.add(f"{variant} {name} PSNR, 3D crops, {bins[name]['frames']} frames{within}",
                       bins[name]["psnr_db"], "dB",
                       baseline=f"{variant} frontal PSNR, 3D crops", baseline_value=frontal, goal=goal)
        baseline = theirs.get(variant)
        if baseline is not None:
            missing = {f["frame"] for f in baseline["frames"] if not f["output"]}
            psnr = _mean([f["psnr_db"] for f in result["frames"] if f["frame"] in missing and f["output"]])
            if psnr is not None:
                report.add(f"{variant} PSNR on the {len(missing)} frames the 2D baseline has no output for, 3D crops "
                           f"(goal: within {GOAL_DB:g} dB of frontal)",
                           psnr, "dB", baseline=f"{variant} frontal PSNR, 3D crops", baseline_value=frontal,
                           goal=f">= {frontal - GOAL_DB:.2f}")
        for name, row in bins.items():
            other = _bins(baseline)[name] if baseline is not None else None
            report.add(f"share of {name} frames ({row['frames']}) with an output, {variant}, 3D crops",
                       100.0 * row["share"], "%",
                       baseline=f"{variant}, 2D landmarks" if other else None,
                       baseline_value=100.0 * other["share"] if other else None,
                       goal="100" if name in GOAL_BINS else None)
    for variant, result in theirs.items():
        bins = _bins(result)
        frontal = bins["frontal"]["psnr_db"]
        for name in ("three_quarter", "profile", "back"):
            if bins[name]["psnr_db"] is not None:
                report.add(f"{variant} {name} PSNR, 2D landmarks, {bins[name]['with_output']} frames with an output",
                           bins[name]["psnr_db"], "dB",
                           baseline=f"{variant} frontal PSNR, 2D landmarks", baseline_value=frontal)


def run(report) -> None:
    from pipeline.models import list_models

    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        ours = _demo_config(Path(tmp) / "pose", tuple(list_models()))
        theirs = _demo_config(Path(tmp) / "landmarks2d", BASELINE_VARIANTS)
        budget = ours.budget
        report.add(f"budget: training steps per variant (base {budget.base_steps} + fit {budget.fit_steps}), "
                   f"{budget.crop_size}² crops, {budget.size}² pirouette of {budget.frames} frames",
                   budget.base_steps + budget.fit_steps, "steps")
        pose = _pipeline(ours, "pose")
        _report(report, pose, _pipeline(theirs, "landmarks2d"))
        _report_truth_free(report, pose)
