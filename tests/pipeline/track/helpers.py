"""Pure-geometry head tracks for tests: a pirouette's camera-relative pose, a moving camera, world space."""
from __future__ import annotations

import numpy as np

from pipeline.geometry import Intrinsics, compose, rotation_from_yaw_pitch_roll

FRAMES = np.arange(1001, 1097)
CAMERA = Intrinsics(width=320, height=240, focal_mm=35.0, film_back_mm=(36.0, 24.0))


def pirouette_ypr(frames: np.ndarray = FRAMES) -> np.ndarray:
    """Two full turns over the frames (yaw 0..720), with a gentle nod and tilt."""
    s = (frames - frames[0]) / (len(frames) - 1)
    return np.stack([720.0 * s, 8.0 * np.sin(2 * np.pi * s), 5.0 * np.sin(4 * np.pi * s)], axis=1)


def pirouette_translation(frames: np.ndarray = FRAMES) -> np.ndarray:
    """The skull centre drifting across the frame and towards the camera."""
    s = (frames - frames[0]) / (len(frames) - 1)
    return np.stack([-0.3 + 0.6 * s, 0.05 * np.sin(3 * s), -3.0 + 0.8 * s], axis=1)


def relative_pose(frames: np.ndarray = FRAMES) -> np.ndarray:
    """(N, 4, 4) head -> camera transforms of the pirouette."""
    return compose(rotation_from_yaw_pitch_roll(pirouette_ypr(frames)), pirouette_translation(frames))


def moving_camera(frames: np.ndarray = FRAMES) -> np.ndarray:
    """(N, 4, 4) camera -> world: dollying sideways, panning and tilting a little, 1.6 m up."""
    s = (frames - frames[0]) / (len(frames) - 1)
    rotation = rotation_from_yaw_pitch_roll(np.stack([-20 + 40 * s, -5 * np.ones_like(s), 2 * np.sin(5 * s)], 1))
    return compose(rotation, np.stack([2.0 * s - 1.0, 1.6 * np.ones_like(s), 0.5 * s], axis=1))
