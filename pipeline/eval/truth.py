"""The synthetic shot's ground truth as eval reads it: per plate frame the truth pose, the head matte, the actor
rendered in the plate's pose with the walkthrough's expression (rigid) and with the dancer's (loose), the
plate itself and the head pose the pipeline tracked (to find the mouth in any image)."""
from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import InputError
from pipeline.geometry import Intrinsics
from pipeline.shot import Shot, frame_path


@dataclass
class ShotTruth:
    shot: Shot
    records: dict[int, dict[str, Any]]  # truth/pose.json by frame
    poses: dict[int, np.ndarray]        # tracked head pose (4x4 head -> camera) by frame
    intrinsics: dict[int, Intrinsics]
    stabilize: Any                      # the shot's StabilizeConfig (crop radius, skull centre)
    clip: Any                           # the open plate clip

    @property
    def frames(self) -> range:
        return self.shot.frames

    def plate(self, frame: int) -> np.ndarray:
        """The plate frame, display-encoded RGB 0..1."""
        return display(self.clip.read(frame)[..., :3], linear=self.clip.linear)

    def plate_raw(self, frame: int) -> np.ndarray:
        """The plate frame as stored (what conversion feeds a model)."""
        return self.clip.read(frame)

    def rigid(self, frame: int) -> np.ndarray:
        return _truth_image(self.shot.truth.rigid, frame, "rigid")

    def loose(self, frame: int) -> np.ndarray:
        return _truth_image(self.shot.truth.loose, frame, "loose")

    def matte(self, frame: int) -> np.ndarray:
        from pipeline.media.image import read_image

        path = frame_path(self.shot.truth.matte, frame)
        if not path.is_file():
            raise InputError(f"{path}: the truth matte of frame {frame} is missing; regenerate the shot with "
                             "`facereplace synth`")
        image = read_image(path)
        return np.clip(image[..., 0] if image.ndim == 3 else image, 0.0, 1.0)


def display(image: np.ndarray, *, linear: bool) -> np.ndarray:
    from pipeline.media.image import linear_to_srgb

    return np.clip(linear_to_srgb(np.maximum(image, 0.0)) if linear else image, 0.0, 1.0).astype(np.float32)


def _truth_image(pattern: Path | None, frame: int, name: str) -> np.ndarray:
    from pipeline.media.image import read_image

    path = frame_path(pattern, frame)
    if not path.is_file():
        raise InputError(f"{path}: the {name} truth of frame {frame} is missing; regenerate the shot with "
                         "`facereplace synth`")
    return display(read_image(path)[..., :3], linear=path.suffix.lower() == ".exr")


@contextlib.contextmanager
def open_truth(shot: Shot) -> Iterator[ShotTruth]:
    """The shot's truth with its plate open; an InputError names what is missing for an evaluation."""
    from pipeline.media.clip import open_clip
    from pipeline.track.headtrack import conform
    from pipeline.track.load import load_head_track

    truth = shot.truth
    if truth is None:
        raise InputError(f"{shot.root}: the shot has no [truth] table, so there is nothing to evaluate against; "
                         "eval needs a synthetic shot (`facereplace synth`) with truth/pose.json, matte, rigid, loose")
    missing = [key for key in ("matte", "rigid", "loose") if getattr(truth, key) is None]
    if missing:
        raise InputError(f"{shot.root}: [truth] lacks {', '.join(missing)}; eval needs pose, matte, rigid and loose")
    try:
        data = json.loads(truth.pose.read_text(encoding="utf-8"))
        records = {int(r["frame"]): r for r in data["frames"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{truth.pose}: not a truth pose file with per-frame records ({exc})") from None
    lacking = [f for f in shot.frames if f not in records]
    if lacking:
        raise InputError(f"{truth.pose}: no truth for plate frame(s) {lacking[:5]}{'...' if len(lacking) > 5 else ''}")
    stab = shot.config.stabilize
    track = load_head_track(shot.head_track, intrinsics=shot.camera, rotation_order=shot.rotation_order)
    with open_clip(shot.plate, first_frame=shot.first_frame, fps=shot.fps) as clip:
        track = conform(track, shot.frames, fill=stab.fill_missing, where=str(shot.plate))
        transforms = track.transforms()
        frames = [int(f) for f in track.frames]
        yield ShotTruth(shot=shot, records=records, poses=dict(zip(frames, transforms)),
                        intrinsics=dict(zip(frames, track.intrinsics)), stabilize=stab, clip=clip)
