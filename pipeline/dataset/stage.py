"""`dataset` stage: the facesets a shot's models learn from, pruned by its rules, matched to its poses, with the
plate frames they do not cover. Four steps, each writing one folder of the dataset folder (`DatasetLayout`):

    actor/  dancer/   the faceset of each identity, every source of it         build_faceset   (dataset.build)
    actor_kept/       the actor's faceset after the rules, with their reports   apply_rules     (dataset.rules)
    fit/              the shot's fit set (a faceset) and fit_report.json        select_fit      (dataset.fit)
    coverage/         coverage.json and coverage.png                            measure_coverage (dataset.coverage)

The shot is an input (its sources are cut, its plate's poses matched); the settings are the [dataset] and [fit]
tables given explicitly, so a caller may change them (pipeline.dataset.shot takes them from the shot).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from pipeline.dataset import build, coverage, fit, rules
from pipeline.dataset.config import DatasetConfig, FitConfig
from pipeline.dataset.faceset import MANIFEST
from pipeline.dataset.poses import plate_poses
from pipeline.progress import ProgressCallback
from pipeline.shot import DatasetLayout, Shot


@dataclasses.dataclass(frozen=True)
class DatasetInputs:
    shot: Shot       # whose sources are cut into facesets and whose plate poses the fit set and coverage match
    out_dir: Path    # the dataset folder


def training_faceset(layout: DatasetLayout) -> Path:
    """The actor faceset training and coverage use by default: after the rules when they were applied."""
    return layout.kept if (layout.kept / MANIFEST).is_file() else layout.faceset("actor")


def build_faceset(config: DatasetConfig, shot: Shot, layout: DatasetLayout, *, identity: str = "actor",
                  sources: tuple[str, ...] = (), rebuild: bool = False,
                  progress: ProgressCallback | None = None) -> build.BuildOutputs:
    return build.run(config, build.BuildInputs(shot=shot, out_dir=layout.faceset(identity), identity=identity,
                                               sources=sources, rebuild=rebuild), progress=progress)


def apply_rules(config: DatasetConfig, layout: DatasetLayout, *, faceset: Path | None = None) -> rules.RulesOutputs:
    return rules.run(config.rules, faceset or layout.faceset("actor"), layout.kept)


def plate(shot: Shot, config: DatasetConfig, *, lighting: bool) -> fit.PlatePoses:
    """The plate's poses (and, with `lighting`, the light on its head crops) that the fit set matches."""
    frames, ypr = plate_poses(shot)
    if not lighting:
        return fit.PlatePoses(frames=frames, yaw=ypr[:, 0], pitch=ypr[:, 1])
    light = build.plate_lighting(shot, config)
    keep = np.array([int(f) in light for f in frames], dtype=bool)
    values = np.array([light[int(f)] for f in frames[keep]]).reshape(-1, 2)
    return fit.PlatePoses(frames=frames[keep], yaw=ypr[keep, 0], pitch=ypr[keep, 1], brightness=values[:, 0],
                          key_light_deg=values[:, 1])


def select_fit(config: DatasetConfig, fit_config: FitConfig, shot: Shot, layout: DatasetLayout, *,
               faceset: Path | None = None) -> Path:
    return fit.run(fit_config, faceset or training_faceset(layout),
                   plate(shot, config, lighting=fit_config.light_weight_deg > 0), layout.fit, shot_name=shot.name)


def measure_coverage(config: DatasetConfig, shot: Shot, layout: DatasetLayout, *, faceset: Path | None = None,
                     threshold_deg: float | None = None) -> coverage.CoverageOutputs:
    frames, ypr = plate_poses(shot)
    threshold = threshold_deg if threshold_deg is not None else config.coverage_deg
    return coverage.run(faceset or training_faceset(layout), frames, ypr[:, 0], ypr[:, 1], layout.coverage,
                        threshold_deg=threshold, shot_name=shot.name)


def run(config: DatasetConfig, fit_config: FitConfig, inputs: DatasetInputs, *,
        progress: ProgressCallback | None = None) -> DatasetLayout:
    """The four steps in order: both facesets, rules, fit set, coverage."""
    layout = DatasetLayout(Path(inputs.out_dir))
    for identity in ("actor", "dancer"):
        build_faceset(config, inputs.shot, layout, identity=identity, progress=progress)
    apply_rules(config, layout)
    select_fit(config, fit_config, inputs.shot, layout)
    measure_coverage(config, inputs.shot, layout)
    return layout
