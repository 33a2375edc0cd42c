"""The dataset stage on a shot: build the facesets, prune them by the rules, select the fit set, measure
coverage. Each step reads the shot's [dataset] / [fit] tables and writes under SHOT/dataset/:

    actor/       faceset of the actor (all sources)        dancer/    faceset of the dancer (the plate)
    actor_kept/  the actor's faceset after the rules, with rules_report.json/.md and removed.png
    fit/         the shot's fit set (a faceset) and fit_report.json
    coverage/    coverage.json and coverage.png
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from pipeline.config import config_from_dict
from pipeline.dataset import build, coverage, fit, rules
from pipeline.dataset.poses import plate_poses
from pipeline.progress import ProgressCallback
from pipeline.shot import Shot, load_shot


@dataclasses.dataclass(frozen=True)
class DatasetPaths:
    root: Path

    def faceset(self, identity: str = "actor") -> Path:
        return self.root / identity

    @property
    def kept(self) -> Path:
        return self.root / "actor_kept"

    @property
    def fit(self) -> Path:
        return self.root / "fit"

    @property
    def coverage(self) -> Path:
        return self.root / "coverage"

    def training_faceset(self) -> Path:
        """The actor faceset training and coverage use by default: after the rules when they were applied."""
        return self.kept if (self.kept / "faceset.json").is_file() else self.faceset("actor")


def shot_and_paths(shot: Shot | str | os.PathLike, out: str | os.PathLike | None = None) -> tuple[Shot, DatasetPaths]:
    loaded = shot if isinstance(shot, Shot) else load_shot(shot)
    return loaded, DatasetPaths(Path(out) if out else loaded.root / "dataset")


def dataset_config(shot: Shot) -> build.DatasetConfig:
    return config_from_dict(build.DatasetConfig, shot.sections.get("dataset"), where=f"{shot.root} [dataset]")


def fit_config(shot: Shot) -> fit.FitConfig:
    return config_from_dict(fit.FitConfig, shot.sections.get("fit"), where=f"{shot.root} [fit]")


def build_faceset(shot: Shot, paths: DatasetPaths, *, identity: str = "actor", sources: tuple[str, ...] = (),
                  rebuild: bool = False, progress: ProgressCallback | None = None) -> build.BuildOutputs:
    return build.run(dataset_config(shot), build.BuildInputs(shot=shot, out_dir=paths.faceset(identity),
                                                             identity=identity, sources=sources, rebuild=rebuild),
                     progress=progress)


def apply_rules(shot: Shot, paths: DatasetPaths, *, faceset: Path | None = None) -> rules.RulesOutputs:
    return rules.run(dataset_config(shot).rules, faceset or paths.faceset("actor"), paths.kept)


def plate(shot: Shot, *, lighting: bool) -> fit.PlatePoses:
    frames, ypr = plate_poses(shot)
    if not lighting:
        return fit.PlatePoses(frames=frames, yaw=ypr[:, 0], pitch=ypr[:, 1])
    light = build.plate_lighting(shot, dataset_config(shot))
    keep = np.array([int(f) in light for f in frames], dtype=bool)
    values = np.array([light[int(f)] for f in frames[keep]]).reshape(-1, 2)
    return fit.PlatePoses(frames=frames[keep], yaw=ypr[keep, 0], pitch=ypr[keep, 1], brightness=values[:, 0],
                          key_light_deg=values[:, 1])


def select_fit(shot: Shot, paths: DatasetPaths, *, faceset: Path | None = None,
               config: fit.FitConfig | None = None) -> Path:
    config = config or fit_config(shot)
    return fit.run(config, faceset or paths.training_faceset(), plate(shot, lighting=config.light_weight_deg > 0),
                   paths.fit, shot_name=shot.name)


def measure_coverage(shot: Shot, paths: DatasetPaths, *, faceset: Path | None = None,
                     threshold_deg: float | None = None) -> coverage.CoverageOutputs:
    frames, ypr = plate_poses(shot)
    threshold = threshold_deg if threshold_deg is not None else dataset_config(shot).coverage_deg
    return coverage.run(faceset or paths.training_faceset(), frames, ypr[:, 0], ypr[:, 1], paths.coverage,
                        threshold_deg=threshold, shot_name=shot.name)


def run(shot: Shot | str | os.PathLike, *, out: str | os.PathLike | None = None,
        settings: dict[str, dict] | None = None, progress: ProgressCallback | None = None) -> DatasetPaths:
    """The whole stage on a shot (what the demo runs): both facesets, rules, fit set, coverage.

    `settings` are laid over the shot's own tables, e.g. {"dataset": {"size": 64}, "fit": {"size": 50}} for a
    small demo shot."""
    loaded, paths = shot_and_paths(shot, out)
    if settings:
        sections = {name: {**loaded.sections.get(name, {}), **settings.get(name, {})} for name in ("dataset", "fit")}
        loaded = dataclasses.replace(loaded, sections={**loaded.sections, **sections})
    build_faceset(loaded, paths, identity="actor", progress=progress)
    build_faceset(loaded, paths, identity="dancer", progress=progress)
    apply_rules(loaded, paths)
    select_fit(loaded, paths)
    measure_coverage(loaded, paths)
    return paths
