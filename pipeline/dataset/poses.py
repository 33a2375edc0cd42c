"""Poses as points on the sphere: nearest training poses for plate frames, fast for large facesets.

A pose is the direction the face points (yaw and pitch; roll is taken out by the crop), so yaw wraps
around and the distance between two poses is the angle between their directions. Nearest neighbours
are found with KD-trees over the unit vectors (straight distance between them grows with the angle).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.dataset.descriptors import face_direction, wrap_degrees
from pipeline.shot import Shot

def directions(entries: list[dict[str, Any]]) -> np.ndarray:
    """(N, 3) face directions of faceset entries."""
    if not entries:
        return np.zeros((0, 3))
    return face_direction(np.array([e["yaw"] for e in entries]), np.array([e["pitch"] for e in entries]))


def nearest(query: np.ndarray, reference: np.ndarray, k: int, *,
            penalty_deg: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The `k` reference poses nearest each query pose, ranked by angle plus `penalty_deg` (per reference,
    a few distinct values such as 0 for preferred material and 10 for the rest).

    Returns (index (Q, k), ranking distance (Q, k), pure angle in degrees (Q, k)), sorted by ranking distance.
    Within one penalty value the ranking is by angle, i.e. by the straight distance between unit vectors, so
    each group's best k come from a KD-tree; only those candidates are merged with their penalties.
    """
    from scipy.spatial import cKDTree

    q, r = np.asarray(query, np.float64).reshape(-1, 3), np.asarray(reference, np.float64).reshape(-1, 3)
    k = min(k, len(r))
    penalty = np.zeros(len(r)) if penalty_deg is None else np.asarray(penalty_deg, np.float64)
    candidates, angles = [], []
    for value in np.unique(penalty):
        members = np.flatnonzero(penalty == value)
        kk = min(k, len(members))
        chord, found = cKDTree(r[members]).query(q, k=kk)
        chord, found = chord.reshape(len(q), kk), found.reshape(len(q), kk)
        candidates.append(members[found])
        angles.append(np.degrees(2.0 * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))))
    index, angle = np.hstack(candidates), np.hstack(angles)
    rank = angle + penalty[index]
    order = np.argsort(rank, axis=1, kind="stable")[:, :k]
    return tuple(np.take_along_axis(a, order, axis=1) for a in (index, rank, angle))  # type: ignore[return-value]


def plate_poses(shot: Shot) -> tuple[np.ndarray, np.ndarray]:
    """The shot's plate frames that have a head pose, and their (yaw wrapped, pitch, roll) in degrees."""
    from pipeline.track.load import load_head_track

    track = load_head_track(shot.head_track, intrinsics=shot.camera, rotation_order=shot.rotation_order)
    inside = (track.frames >= shot.first_frame) & (track.frames <= shot.last_frame)
    ypr = track.view_yaw_pitch_roll()[inside]  # as the camera sees it, like the faceset's poses
    ypr[:, 0] = wrap_degrees(ypr[:, 0])
    return track.frames[inside], ypr


def bin_label(yaw: float, pitch: float, size: float) -> tuple[float, float]:
    """Lower corner (yaw, pitch) of the pose bin holding a pose."""
    return float(np.floor(wrap_degrees(yaw) / size) * size), float(np.floor(pitch / size) * size)
