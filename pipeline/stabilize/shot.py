"""The stabilize stage on a shot: its plate and head track, framed by its [stabilize] table."""
from __future__ import annotations

from pathlib import Path

from pipeline.progress import ProgressCallback
from pipeline.shot import Shot, ShotLayout
from pipeline.stabilize.stage import StabilizeInputs, StabilizeOutputs, run


def run_shot(shot: Shot, *, out: Path | None = None, track: Path | None = None,
             progress: ProgressCallback | None = None) -> StabilizeOutputs:
    """Head crops of every plate frame into `out` (default SHOT/work/stabilize), from `track` (default the shot's
    head track)."""
    from pipeline.track.load import load_head_track

    head = load_head_track(track or shot.head_track, intrinsics=shot.camera, rotation_order=shot.rotation_order)
    return run(shot.config.stabilize, StabilizeInputs(plate=shot.plate, track=head,
                                                      out_dir=out or ShotLayout(shot.root).stabilize,
                                                      first_frame=shot.first_frame, fps=str(shot.fps)),
               progress=progress)
