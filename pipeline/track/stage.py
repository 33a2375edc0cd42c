"""`track` stage: a head track as the versioned head_track JSON every later stage reads.

Imported from what the matchmove department delivers (a Nuke .chan with the plate camera's intrinsics, a world-space
head with the world-space camera .chan, or a head_track JSON), or solved from the plate by the built-in tracker
(pipeline.track.solve: face mesh + PnP, gaps filled through turns). Either way the track may be conformed to the
plate's frames, so a frame the track lacks is reported (or, with fill_missing, interpolated).
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from pipeline.progress import ProgressCallback
from pipeline.track.headtrack import HeadTrack
from pipeline.track.solve import SolveConfig

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class TrackInputs:
    out: Path                            # the head_track JSON written
    head_track: Path | None = None       # a .chan or head_track JSON to import; None: solve from the plate
    intrinsics: Path | None = None       # the plate camera's intrinsics JSON (a .chan needs it; solve reads the
                                         # plate's metadata, else estimates one)
    rotation_order: str = "ZXY"          # of the .chan files
    camera: Path | None = None           # a world-space camera .chan: the head .chan is then world-space too
    plate: Path | None = None            # conform to its frames (import); track it (solve)
    first_frame: int = 1001              # of a video plate
    fps: str | None = None               # of an image sequence whose files carry none
    fill_missing: bool = False           # interpolate the frames an imported track lacks


@dataclasses.dataclass(frozen=True)
class TrackOutputs:
    path: Path
    track: HeadTrack
    seconds: float | None = None         # the tracker's time (solved tracks only)


def run(config: SolveConfig, inputs: TrackInputs, *, progress: ProgressCallback | None = None) -> TrackOutputs:
    """Import or solve the head track and write it to `inputs.out`, atomically."""
    from pipeline.errors import InputError
    from pipeline.media.clip import open_clip
    from pipeline.track.headtrack import conform, write_track
    from pipeline.track.load import load_head_track, read_camera

    if inputs.head_track is not None:
        track = load_head_track(inputs.head_track, intrinsics=inputs.intrinsics, camera=inputs.camera,
                                rotation_order=inputs.rotation_order)
        if inputs.plate is not None:
            with open_clip(inputs.plate, first_frame=inputs.first_frame, fps=inputs.fps) as clip:
                track = conform(track, clip.frame_range, fill=inputs.fill_missing, where=str(inputs.head_track))
        write_track(inputs.out, track, source=str(inputs.head_track))
        for frame, reason in track.frame_flags().items():
            logger.warning("%s frame %d: %s", inputs.head_track, frame, reason.replace("_", " "))
        return TrackOutputs(path=Path(inputs.out), track=track)
    if inputs.plate is None:
        raise InputError(f"{inputs.out}: solving a head track needs the plate")
    from pipeline.track.solve import solve

    # Without the camera's intrinsics the lens comes from the plate's metadata, else the tracker estimates the
    # focal length from the face; the track says which (as does a camera JSON written from such a track).
    from pipeline.track.lens import clip_lens

    intrinsics, lens = read_camera(inputs.intrinsics) if inputs.intrinsics is not None else (None, "given")
    with open_clip(inputs.plate, first_frame=inputs.first_frame, fps=inputs.fps) as clip:
        if intrinsics is None and (intrinsics := clip_lens(clip)) is not None:
            lens = "metadata"
            logger.info("%s: lens from the plate's metadata: %.1f mm on a %.1f x %.1f mm film back", inputs.plate,
                        intrinsics.focal_mm, *intrinsics.film_back_mm)
        solved = solve(clip, intrinsics, config, progress=progress, where=str(inputs.plate), lens=lens)
    write_track(inputs.out, solved.track, source=f"solve {inputs.plate}")
    return TrackOutputs(path=Path(inputs.out), track=solved.track, seconds=solved.seconds)
