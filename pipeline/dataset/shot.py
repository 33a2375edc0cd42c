"""The dataset stage on a shot: its [dataset] and [fit] tables, into SHOT/dataset."""
from __future__ import annotations

from pathlib import Path

from pipeline.dataset.stage import DatasetInputs, run
from pipeline.progress import ProgressCallback
from pipeline.shot import DatasetLayout, Shot, ShotLayout


def run_shot(shot: Shot, *, out: Path | None = None, progress: ProgressCallback | None = None) -> DatasetLayout:
    """Both facesets, the rules, the fit set and the coverage of `shot` into `out` (default SHOT/dataset)."""
    return run(shot.config.dataset, shot.config.fit,
               DatasetInputs(shot=shot, out_dir=out or ShotLayout(shot.root).dataset.root), progress=progress)
