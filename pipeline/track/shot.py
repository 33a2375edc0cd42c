"""The track stage on a shot: its head track (imported, or solved from its plate with its [track] table) into
SHOT/work/track.json, the track the runner's later stages read.

A shot made from footage (`facereplace shot init`) names head tracks that are not there yet: the plate's
`head_track` and each source's `track`. The stage solves every missing one from its clip with the built-in tracker
(through that clip's camera) and writes it where shot.toml says, so a rerun imports it instead of solving again.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from pipeline.progress import ProgressCallback
from pipeline.shot import Shot, ShotLayout
from pipeline.track.stage import TrackInputs, TrackOutputs, run


@dataclasses.dataclass(frozen=True)
class Unsolved:
    """A head track shot.toml names that is not on disk yet, and the clip and camera it is solved from."""

    name: str        # the source's name ("plate" for the shot's own head_track)
    clip: Path
    camera: Path
    track: Path


def unsolved(shot: Shot) -> list[Unsolved]:
    """The shot's head tracks still to solve: the plate's head_track, then each source's track, each once (the
    plate's dancer source names the plate's own track)."""
    wanted = [Unsolved("plate", shot.plate, shot.camera, shot.head_track)]
    wanted += [Unsolved(s.name, s.clip, shot.cameras.get(s.camera, shot.camera), s.track) for s in shot.sources
               if s.kind != "cg"]
    seen: set[Path] = set()
    out = []
    for item in wanted:
        if item.track not in seen and not item.track.is_file():
            out.append(item)
        seen.add(item.track)
    return out


def solve_missing(shot: Shot, *, progress: ProgressCallback | None = None) -> dict[str, TrackOutputs]:
    """Solve every head track the shot names but lacks (see `unsolved`), each written atomically where shot.toml
    names it; the outputs by source name. `progress` hears the whole, each clip its share."""
    todo = unsolved(shot)
    out = {}
    for i, item in enumerate(todo):
        def within(fraction: float, message: str, i: int = i, name: str = item.name) -> None:
            if progress is not None:
                progress((i + fraction) / len(todo), f"{name}: {message}")

        inputs = TrackInputs(out=item.track, intrinsics=item.camera, rotation_order=shot.rotation_order,
                             plate=item.clip, first_frame=shot.first_frame, fps=str(shot.fps))
        out[item.name] = run(shot.config.track, inputs, progress=within)
    return out


def run_shot(shot: Shot, *, out: Path | None = None, solve: bool = False,
             progress: ProgressCallback | None = None) -> TrackOutputs:
    """Import the shot's head_track (or, with `solve`, track its plate) into `out` (default SHOT/work/track.json);
    head tracks the shot names but lacks are solved first."""
    if not solve:
        solve_missing(shot, progress=progress)
    inputs = TrackInputs(out=out or ShotLayout(shot.root).track, head_track=None if solve else shot.head_track,
                         intrinsics=shot.camera, rotation_order=shot.rotation_order,
                         plate=shot.plate if solve else None, first_frame=shot.first_frame, fps=str(shot.fps))
    return run(shot.config.track, inputs, progress=progress)
