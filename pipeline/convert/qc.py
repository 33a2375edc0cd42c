"""Per-frame QC of a converted variant: how far the frame's pose is from every training pose, how consistent
the swap is with itself, and an anomaly score that flags frames likely to be broken.

The anomaly score compares each frame's swap (downsampled, head-stabilized) with two expectations: its
temporal neighbours (a broken frame jumps away from both) and the frames of the shot whose pose is nearest
(a feature where the pose says it cannot be, such as a face on a back view). Each residual becomes a robust
z-score over the shot; the score is the larger of the two.

The scale is fixed, so one threshold means the same on every shot: 0 is a typical frame of the shot (or better),
each unit one robust deviation (1.4826 x the median absolute deviation, which is the standard deviation for
normally distributed residuals) above the shot's median, capped at ANOMALY_CAP. The deviation has a floor (a
share of the median and a small absolute residual), so a shot whose frames barely change (a locked-off talking
head, a model that gives the same face for many frames) does not turn a hair's difference into thousands of
deviations; the default threshold (ConvertConfig.anomaly_threshold, 4) flags what lies 4 deviations out.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pipeline.geometry import rotation_from_yaw_pitch_roll

POSE_NEIGHBOURS = 4
ANOMALY_CAP = 10.0
# floors of the robust deviation: a share of the median residual, and the smallest residual that means anything
# (the temporal term is a ratio of image changes; the pose term a mean absolute difference of 0..1 pixels, where
# 0.05 keeps a snapping model's step from one actor frame to the next, about 0.1 on the real talking clip while
# its median residual is exactly 0, from reading as a break: with 0.01 it flagged 6 % of that clip)
SPREAD_SHARE = 0.25
JUMP_FLOOR = 0.5
OFF_POSE_FLOOR = 0.05
UNSEEN = 0.01  # a mean change of 0..1 pixels over a block that nobody would see (2.5 of 255 levels)


def pose_angles(ypr: np.ndarray, other_ypr: np.ndarray) -> np.ndarray:
    """(N, M) degrees between every pose of `ypr` (N, 3) and of `other_ypr` (M, 3): the angle of the relative
    rotation. The one place QC measures how far apart two head poses are. Both are angles as the camera sees the
    head (pipeline.geometry.view_yaw_pitch_roll), as the track and the faceset record them, so a head at the edge
    of frame is compared with material filmed centred."""
    a = rotation_from_yaw_pitch_roll(np.asarray(ypr, np.float64).reshape(-1, 3))
    b = rotation_from_yaw_pitch_roll(np.asarray(other_ypr, np.float64).reshape(-1, 3))
    # trace(A^T B) for every pair, then the rotation angle of A^T B
    cos = np.clip((np.einsum("nij,mij->nm", a, b) - 1.0) / 2.0, -1.0, 1.0)
    return np.degrees(np.arccos(cos))


def pose_distance(ypr: np.ndarray, training_ypr: np.ndarray) -> np.ndarray:
    """(N,) degrees from each pose to the nearest training pose."""
    if len(training_ypr) == 0:
        return np.full(len(ypr), np.inf)
    return pose_angles(ypr, training_ypr).min(axis=1)


def nearest_training(ypr: np.ndarray, training_ypr: np.ndarray) -> np.ndarray:
    """(N, 3) the training pose nearest to each pose (what the actor material holds closest to the frame)."""
    return np.asarray(training_ypr, np.float64)[pose_angles(ypr, training_ypr).argmin(axis=1)]


def faceset_poses(folder: str | os.PathLike) -> np.ndarray:
    """(M, 3) yaw, pitch, roll of every crop of a faceset (the training material)."""
    from pipeline.dataset.faceset import read_faceset

    crops = read_faceset(Path(folder))["crops"]
    return np.array([[c["yaw"], c["pitch"], c["roll"]] for c in crops], np.float64).reshape(-1, 3)


def robust_z(values: np.ndarray, *, floor: float) -> np.ndarray:
    """How many robust deviations each value lies above the median, 0..ANOMALY_CAP (see the module's doc)."""
    median = float(np.median(values))
    spread = max(1.4826 * float(np.median(np.abs(values - median))), SPREAD_SHARE * abs(median), floor)
    return np.clip((values - median) / spread, 0.0, ANOMALY_CAP)


def _blocks(residual: np.ndarray, block: int) -> np.ndarray:
    """(N, h, w) residuals -> (N,) the largest mean over block x block tiles: a local break is not diluted."""
    n, h, w = residual.shape
    hb, wb = h // block, w // block
    tiles = residual[:, :hb * block, :wb * block].reshape(n, hb, block, wb, block).mean(axis=(2, 4))
    return tiles.reshape(n, -1).max(axis=1)


def anomaly_scores(crops: np.ndarray, ypr: np.ndarray, *, neighbours: int = POSE_NEIGHBOURS,
                   block: int = 8) -> np.ndarray:
    """(N,) anomaly (0..ANOMALY_CAP) of each of N stabilized swap crops (N, h, w, C) with their poses (N, 3) in
    degrees.

    The temporal term is the frame's distance from the midpoint of its neighbours relative to how far the
    neighbours are from each other (a fast turn changes every frame; a broken frame changes alone).
    """
    n = len(crops)
    c = np.asarray(crops, np.float32).reshape(n, crops.shape[1], crops.shape[2], -1)
    if n < 3:
        return np.zeros(n)
    mid = np.empty_like(c)
    mid[1:-1] = (c[:-2] + c[2:]) / 2
    mid[0], mid[-1] = c[1], c[-2]
    apart = np.empty(n, np.float32)
    apart[1:-1] = _blocks(np.abs(c[:-2] - c[2:]).mean(-1) / 2, block)
    apart[0], apart[-1] = apart[1], apart[-2]
    jump = _blocks(np.abs(c - mid).mean(-1), block) / (apart + np.median(apart) + UNSEEN)

    angle = pose_angles(ypr, ypr)
    index = np.arange(n)
    angle[np.abs(index[:, None] - index[None, :]) <= 1] = np.inf  # the frame itself and its direct neighbours
    k = min(neighbours, max(1, n - 3))
    nearest = np.argsort(angle, axis=1)[:, :k]
    pose_expected = np.median(c[nearest], axis=1)
    off_pose = _blocks(np.abs(c - pose_expected).mean(-1), block)
    return np.maximum(robust_z(jump, floor=JUMP_FLOOR), robust_z(off_pose, floor=OFF_POSE_FLOOR))


def consistency(rgb: np.ndarray, again: np.ndarray, mask: np.ndarray) -> float:
    """Mean absolute change inside the mask when the swap goes through the model again (0 = self-consistent)."""
    weight = mask[..., None]
    total = float(weight.sum()) * rgb.shape[-1]
    return float((np.abs(rgb - again) * weight).sum() / total) if total > 0 else 0.0
