"""The synth stage on a shot folder: a complete synthetic shot made in it (plate, tracks, the actor's material, CG
passes, ground truth and its shot.toml), then read as any shot is."""
from __future__ import annotations

from pathlib import Path

from pipeline.progress import ProgressCallback
from pipeline.shot import Shot, load_shot
from pipeline.synth.stage import SynthConfig, run


def run_shot(folder: Path, config: SynthConfig, *, progress: ProgressCallback | None = None) -> Shot:
    """Make the shot of `config` in `folder` (replaced whole) and read it."""
    return load_shot(run(config, folder, progress=progress))
