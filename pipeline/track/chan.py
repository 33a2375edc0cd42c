"""Nuke `.chan` files: one line per frame, `frame tx ty tz rx ry rz` (+ `vfov` for cameras).

Rotations in degrees, applied in the rotation order given (Nuke's default ZXY, R = Ry·Rx·Rz); translations
in scene units; the 8th column of a camera is its vertical field of view in degrees. An object's transform
maps its local points into world space; a camera's maps camera space (looking down -Z) into world space.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import os
from pathlib import Path
from typing import Literal

import numpy as np

from pipeline.atomic import atomic_write_text
from pipeline.errors import InputError
from pipeline.geometry import (DEFAULT_ROTATION_ORDER, check_rotation_order, compose, euler_to_matrix,
                               matrix_to_euler, unwrap_euler)

logger = logging.getLogger(__name__)

ChanKind = Literal["object", "camera"]
_COLUMNS = {"object": (7,), "camera": (7, 8)}
_LAYOUT = {7: "frame tx ty tz rx ry rz", 8: "frame tx ty tz rx ry rz vfov"}


@dataclasses.dataclass
class ChanTrack:
    """The content of a .chan file: per-frame translation and Euler rotation (and vfov for a camera)."""

    frames: np.ndarray  # (N,) int, the plate's frame numbers
    translation: np.ndarray  # (N, 3)
    rotation_deg: np.ndarray  # (N, 3) rx, ry, rz
    rotation_order: str = DEFAULT_ROTATION_ORDER
    vfov_deg: np.ndarray | None = None  # (N,) cameras only

    def matrices(self) -> np.ndarray:
        """(N, 4, 4) local-to-world transforms."""
        return compose(euler_to_matrix(self.rotation_deg, self.rotation_order), self.translation)

    @classmethod
    def from_matrices(cls, frames: np.ndarray, transforms: np.ndarray, *, rotation_order: str = DEFAULT_ROTATION_ORDER,
                      vfov_deg: np.ndarray | None = None) -> ChanTrack:
        """Local-to-world (N, 4, 4) transforms -> a track with continuous (unwrapped) Euler angles."""
        order = check_rotation_order(rotation_order)
        t = np.asarray(transforms, dtype=np.float64)
        angles = unwrap_euler(matrix_to_euler(t[:, :3, :3], order), order)
        return cls(frames=np.asarray(frames, dtype=np.int64), translation=t[:, :3, 3].copy(), rotation_deg=angles,
                   rotation_order=order, vfov_deg=None if vfov_deg is None else np.asarray(vfov_deg, dtype=np.float64))


def read_chan(path: str | os.PathLike, *, rotation_order: str = DEFAULT_ROTATION_ORDER,
              kind: ChanKind = "object") -> ChanTrack:
    """Read a Nuke .chan. Objects have 7 columns; cameras 7 or 8 (the 8th is vertical FOV in degrees).

    Blank lines and `#` comments are skipped. Every problem (column count, text, NaN/inf, repeated or
    fractional frames) is an InputError naming the file and line.
    """
    order = check_rotation_order(rotation_order)
    if kind not in _COLUMNS:
        raise InputError(f"unknown .chan kind {kind!r}; use 'object' or 'camera'")
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such .chan file")
    rows: list[list[float]] = []
    lines: list[int] = []
    ncols = None
    allowed = _COLUMNS[kind]
    expected = " or ".join(f"{n} ({_LAYOUT[n]})" for n in allowed)
    article = "an" if kind == "object" else "a"
    for lineno, raw in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        fields = text.split()
        if len(fields) not in allowed:
            raise InputError(f"{p}:{lineno}: {len(fields)} columns; {article} {kind} .chan needs {expected}")
        if ncols is not None and len(fields) != ncols:
            raise InputError(f"{p}:{lineno}: {len(fields)} columns where earlier lines have {ncols}; "
                             f"every line needs the same {expected}")
        ncols = len(fields)
        try:
            values = [float(f) for f in fields]
        except ValueError:
            raise InputError(f"{p}:{lineno}: not numbers: {text!r}; "
                             f"{article} {kind} .chan line is {expected}") from None
        if not all(math.isfinite(v) for v in values):
            raise InputError(f"{p}:{lineno}: NaN or infinite value at frame {fields[0]}; "
                             "fix or remove that frame in the tracking application and export again")
        if values[0] != round(values[0]):
            raise InputError(f"{p}:{lineno}: frame {fields[0]} is not a whole frame number; "
                             "export the track on whole frames")
        rows.append(values)
        lines.append(lineno)
    if not rows:
        raise InputError(f"{p}: no frames in this .chan file")
    data = np.array(rows)
    frames = data[:, 0].astype(np.int64)
    unique, counts = np.unique(frames, return_counts=True)
    if np.any(counts > 1):
        raise InputError(f"{p}: frame(s) {', '.join(str(f) for f in unique[counts > 1][:10])} appear more than once")
    sort = np.argsort(frames, kind="stable")
    data = data[sort]
    vfov = data[:, 7].copy() if ncols == 8 else None
    if vfov is not None and np.any((vfov <= 0) | (vfov >= 180)):
        bad = data[(vfov <= 0) | (vfov >= 180), 0].astype(int)
        raise InputError(f"{p}: vertical FOV outside (0, 180) degrees at frame(s) {', '.join(map(str, bad[:10]))}")
    logger.debug("%s: %d frames (%d..%d), %d columns", p, len(data), frames.min(), frames.max(), ncols)
    return ChanTrack(frames=data[:, 0].astype(np.int64), translation=data[:, 1:4].copy(),
                     rotation_deg=data[:, 4:7].copy(), rotation_order=order, vfov_deg=vfov)


def write_chan(path: str | os.PathLike, track: ChanTrack, *, precision: int = 6) -> Path:
    """Write `track` as a .chan (8 columns when it has vfov), atomically."""
    n = len(track.frames)
    if track.translation.shape != (n, 3) or track.rotation_deg.shape != (n, 3):
        raise InputError(f"{path}: translation and rotation need one row of 3 values per frame ({n} frames)")
    columns = [track.translation, track.rotation_deg]
    if track.vfov_deg is not None:
        columns.append(np.asarray(track.vfov_deg, dtype=np.float64).reshape(n, 1))
    values = np.hstack(columns)
    if not np.all(np.isfinite(values)):
        bad = np.asarray(track.frames)[~np.all(np.isfinite(values), axis=1)]
        raise InputError(f"{path}: NaN or infinite values at frame(s) {', '.join(map(str, bad[:10]))}; not written")
    lines = [" ".join([str(int(f)), *(f"{v:.{precision}f}" for v in row)]) for f, row in zip(track.frames, values)]
    return atomic_write_text(path, "\n".join(lines) + "\n")
