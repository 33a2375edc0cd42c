"""Poses as points on the sphere: nearest training poses for plate frames, fast for large facesets.

A pose is the direction the face points (yaw and pitch; roll is taken out by the crop), so yaw wraps
around and the distance between two poses is the angle between their directions. Nearest neighbours
are found with blocks of dot products of unit vectors (vectorised numpy).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.dataset.descriptors import face_direction, wrap_degrees
from pipeline.shot import Shot

BLOCK = 256  # query rows per block: 256 x 20,000 float32 distances is 20 MB


def directions(entries: list[dict[str, Any]]) -> np.ndarray:
    """(N, 3) face directions of faceset entries."""
    if not entries:
        return np.zeros((0, 3))
    return face_direction(np.array([e["yaw"] for e in entries]), np.array([e["pitch"] for e in entries]))


def nearest(query: np.ndarray, reference: np.ndarray, k: int, *,
            penalty_deg: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The `k` reference poses nearest each query pose, ranked by angle plus `penalty_deg` (per reference).

    Returns (index (Q, k), ranking distance (Q, k), pure angle in degrees (Q, k)), sorted by ranking distance.
    """
    q, r = np.asarray(query, np.float32), np.asarray(reference, np.float32)
    k = min(k, len(r))
    index = np.zeros((len(q), k), np.int64)
    rank = np.zeros((len(q), k), np.float32)
    angle = np.zeros((len(q), k), np.float32)
    extra = None if penalty_deg is None else np.asarray(penalty_deg, np.float32)[None, :]
    for start in range(0, len(q), BLOCK):
        block = np.degrees(np.arccos(np.clip(q[start:start + BLOCK] @ r.T, -1.0, 1.0)))
        score = block if extra is None else block + extra
        part = np.argpartition(score, k - 1, axis=1)[:, :k] if k < len(r) else \
            np.broadcast_to(np.arange(len(r)), (len(score), len(r))).copy()
        part_score = np.take_along_axis(score, part, axis=1)
        order = np.argsort(part_score, axis=1, kind="stable")
        index[start:start + BLOCK] = np.take_along_axis(part, order, axis=1)
        rank[start:start + BLOCK] = np.take_along_axis(part_score, order, axis=1)
        angle[start:start + BLOCK] = np.take_along_axis(block, index[start:start + BLOCK], axis=1)
    return index, rank, angle


def plate_poses(shot: Shot) -> tuple[np.ndarray, np.ndarray]:
    """The shot's plate frames that have a head pose, and their (yaw wrapped, pitch, roll) in degrees."""
    from pipeline.track.load import load_head_track

    track = load_head_track(shot.head_track, intrinsics=shot.camera, rotation_order=shot.rotation_order)
    inside = (track.frames >= shot.first_frame) & (track.frames <= shot.last_frame)
    ypr = track.yaw_pitch_roll()[inside]
    ypr[:, 0] = wrap_degrees(ypr[:, 0])
    return track.frames[inside], ypr


def bin_label(yaw: float, pitch: float, size: float) -> tuple[float, float]:
    """Lower corner (yaw, pitch) of the pose bin holding a pose."""
    return float(np.floor(wrap_degrees(yaw) / size) * size), float(np.floor(pitch / size) * size)
