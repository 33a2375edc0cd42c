"""The track stage on a shot: its head track (imported, or solved from its plate with its [track] table) into
SHOT/work/track.json, the track the runner's later stages read."""
from __future__ import annotations

from pathlib import Path

from pipeline.progress import ProgressCallback
from pipeline.shot import Shot, ShotLayout
from pipeline.track.stage import TrackInputs, TrackOutputs, run


def run_shot(shot: Shot, *, out: Path | None = None, solve: bool = False,
             progress: ProgressCallback | None = None) -> TrackOutputs:
    """Import the shot's head_track (or, with `solve`, track its plate) into `out` (default SHOT/work/track.json)."""
    inputs = TrackInputs(out=out or ShotLayout(shot.root).track, head_track=None if solve else shot.head_track,
                         intrinsics=shot.camera, rotation_order=shot.rotation_order,
                         plate=shot.plate if solve else None, first_frame=shot.first_frame, fps=str(shot.fps))
    return run(shot.config.track, inputs, progress=progress)
