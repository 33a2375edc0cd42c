"""Rotations, cameras and projection shared by every stage, in Nuke's conventions.

- Rotations are Euler angles in degrees `(rx, ry, rz)` with a rotation order naming the axes in the order
  they are applied: Nuke's default "ZXY" applies Z first, then X, then Y, so R = Ry·Rx·Rz (column vectors).
- World and cameras: Y up, right-handed; a camera looks down its -Z axis, +X is image right, +Y image up.
- A head's local frame: origin at the skull centre, +Z out of the nose, +Y up, +X the subject's left ear.
  The identity camera-relative rotation is a face looking straight into the lens.
- Head angles (`yaw_pitch_roll`) are the ZXY Euler angles of the camera-relative rotation: yaw about Y
  (positive turns the nose towards image right), pitch about X (positive tips the nose down), roll about Z
  (positive tilts the head's top towards image left).
- Head angles as the camera sees the head (`view_rotation`, `view_yaw_pitch_roll`) are taken relative to the
  line of sight (camera centre -> skull centre), not the optical axis: a head high or at the edge of a wide
  lens, looking into the lens, reads 0/0/0 as it does centred, and its crop looks the same. Everything that
  compares head angles across shots or cameras (fit selection, coverage, descriptors, QC) uses these.
- Pixels: (u, v) with v down, pixel centres at integer coordinates (OpenCV's convention).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from pipeline.errors import InputError

ROTATION_ORDERS: tuple[str, ...] = ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX")
DEFAULT_ROTATION_ORDER = "ZXY"
_AXIS = {"X": 0, "Y": 1, "Z": 2}


def check_rotation_order(order: str) -> str:
    """The order in upper case; an unknown order is an InputError listing the six valid ones."""
    upper = str(order).upper()
    if upper not in ROTATION_ORDERS:
        raise InputError(f"unknown rotation order {order!r}; use one of {', '.join(ROTATION_ORDERS)}")
    return upper


def axis_rotation(axis: int, angle_deg: np.ndarray | float) -> np.ndarray:
    """Rotation matrices (..., 3, 3) by `angle_deg` about axis 0 (X), 1 (Y) or 2 (Z), right-handed."""
    a = np.radians(np.asarray(angle_deg, dtype=np.float64))
    c, s = np.cos(a), np.sin(a)
    m = np.zeros(a.shape + (3, 3))
    i, j = (axis + 1) % 3, (axis + 2) % 3
    m[..., axis, axis] = 1.0
    m[..., i, i] = c
    m[..., j, j] = c
    m[..., i, j] = -s
    m[..., j, i] = s
    return m


def euler_to_matrix(angles_deg: np.ndarray, order: str = DEFAULT_ROTATION_ORDER) -> np.ndarray:
    """(..., 3) angles (rx, ry, rz) in degrees -> (..., 3, 3) rotation matrices, applied in `order`."""
    order = check_rotation_order(order)
    angles = np.asarray(angles_deg, dtype=np.float64)
    result = np.broadcast_to(np.eye(3), angles.shape[:-1] + (3, 3)).copy()
    for name in order:  # first axis applied ends up rightmost: R = R3 · R2 · R1
        axis = _AXIS[name]
        result = axis_rotation(axis, angles[..., axis]) @ result
    return result


def matrix_to_euler(matrices: np.ndarray, order: str = DEFAULT_ROTATION_ORDER) -> np.ndarray:
    """(..., 3, 3) rotation matrices -> (..., 3) angles (rx, ry, rz) in degrees for `order`.

    The middle axis' angle is in [-90, 90], the others in (-180, 180]; at gimbal lock the last axis' angle is 0.
    Use `unwrap_euler` to make a sequence continuous.
    """
    order = check_rotation_order(order)
    m = np.asarray(matrices, dtype=np.float64)
    i, j, k = (_AXIS[name] for name in order)
    sign = 1.0 if (j - i) % 3 == 1 else -1.0  # even permutation of XYZ or odd
    cos_b = np.hypot(m[..., i, i], m[..., j, i])
    b = np.arctan2(-sign * m[..., k, i], cos_b)
    a = np.arctan2(sign * m[..., k, j], m[..., k, k])
    c = np.arctan2(sign * m[..., j, i], m[..., i, i])
    locked = cos_b < 1e-9
    if np.any(locked):
        a = np.where(locked, np.arctan2(-sign * m[..., j, k], m[..., j, j]), a)
        c = np.where(locked, 0.0, c)
    out = np.zeros(m.shape[:-2] + (3,))
    out[..., i], out[..., j], out[..., k] = a, b, c
    return np.degrees(out)


def unwrap_degrees(angles: np.ndarray, axis: int = 0) -> np.ndarray:
    """Remove 360° jumps so a full turn reads 0..360..720, not 0..180,-180..0."""
    return np.degrees(np.unwrap(np.radians(np.asarray(angles, dtype=np.float64)), axis=axis))


def unwrap_euler(angles_deg: np.ndarray, order: str = DEFAULT_ROTATION_ORDER) -> np.ndarray:
    """A continuous (N, 3) Euler sequence for the same rotations: per frame the equivalent angle set
    (a, b, c) or (a+180, 180-b, c+180) nearest the previous frame, then 360° jumps removed.

    Continuity matters for anything that interpolates the angles (Nuke's curves, temporal smoothing).
    """
    order = check_rotation_order(order)
    angles = np.asarray(angles_deg, dtype=np.float64).reshape(-1, 3).copy()
    if len(angles) == 0:
        return angles
    i, j, k = (_AXIS[name] for name in order)
    out = angles.copy()
    for n in range(1, len(angles)):
        prev = out[n - 1]
        alt = angles[n].copy()
        alt[i] += 180.0
        alt[j] = 180.0 - alt[j]
        alt[k] += 180.0
        best = None
        for cand in (angles[n], alt):
            shifted = cand + 360.0 * np.round((prev - cand) / 360.0)
            cost = float(np.sum((shifted - prev) ** 2))
            if best is None or cost < best[0]:
                best = (cost, shifted)
        out[n] = best[1]
    return out


def yaw_pitch_roll(rotation: np.ndarray) -> np.ndarray:
    """(..., 3, 3) camera-relative head rotations -> (..., 3) yaw, pitch, roll in degrees (ZXY Euler)."""
    rx_ry_rz = matrix_to_euler(rotation, "ZXY")
    return np.stack([rx_ry_rz[..., 1], rx_ry_rz[..., 0], rx_ry_rz[..., 2]], axis=-1)


def line_of_sight(translation: np.ndarray) -> np.ndarray:
    """(..., 3) skull centres in camera space -> (..., 3, 3) the rotation of the plate camera panned (about its
    Y) then tilted (about its X) to look straight at them: the camera an operator would aim at the head,
    horizon level, so roll is not invented by the aim."""
    t = np.asarray(translation, dtype=np.float64)
    x, y, z = t[..., 0], t[..., 1], t[..., 2]
    pan = np.degrees(np.arctan2(-x, -z))
    tilt = np.degrees(np.arctan2(y, np.hypot(x, z)))
    return axis_rotation(1, pan) @ axis_rotation(0, tilt)


def view_rotation(rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """(..., 3, 3) head rotations relative to the line of sight to the head (see `line_of_sight`): the
    rotation the head has as the camera sees it, identity when it looks straight into the lens wherever it
    is in frame."""
    return np.swapaxes(line_of_sight(translation), -1, -2) @ np.asarray(rotation, dtype=np.float64)


def view_yaw_pitch_roll(rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """(..., 3) yaw, pitch, roll in degrees of the head as the camera sees it (`view_rotation`): the angles
    to compare between shots, cameras and training material."""
    return yaw_pitch_roll(view_rotation(rotation, translation))


def rotation_from_yaw_pitch_roll(ypr_deg: np.ndarray) -> np.ndarray:
    """Inverse of `yaw_pitch_roll`: (..., 3) yaw, pitch, roll in degrees -> (..., 3, 3)."""
    ypr = np.asarray(ypr_deg, dtype=np.float64)
    return euler_to_matrix(np.stack([ypr[..., 1], ypr[..., 0], ypr[..., 2]], axis=-1), "ZXY")


def compose(rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """(..., 3, 3) and (..., 3) -> (..., 4, 4) rigid transforms."""
    r = np.asarray(rotation, dtype=np.float64)
    m = np.zeros(r.shape[:-2] + (4, 4))
    m[..., :3, :3] = r
    m[..., :3, 3] = translation
    m[..., 3, 3] = 1.0
    return m


def invert_rigid(transform: np.ndarray) -> np.ndarray:
    """Inverse of (..., 4, 4) rigid transforms (rotation + translation), exactly."""
    t = np.asarray(transform, dtype=np.float64)
    rt = np.swapaxes(t[..., :3, :3], -1, -2)
    out = np.zeros_like(t)
    out[..., :3, :3] = rt
    out[..., :3, 3] = -np.einsum("...ij,...j->...i", rt, t[..., :3, 3])
    out[..., 3, 3] = 1.0
    return out


def similarity_fit(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The least-squares similarity (rotation, uniform scale, translation; Umeyama 1991) taking (N, D) points
    `src` onto `dst`, as a (D+1, D+1) matrix. No reflection."""
    src, dst = np.asarray(src, dtype=np.float64), np.asarray(dst, dtype=np.float64)
    dim = src.shape[1]
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    sc, dc = src - mu_s, dst - mu_d
    u, sig, vt = np.linalg.svd(dc.T @ sc / len(src))
    d = np.eye(dim)
    d[-1, -1] = np.sign(np.linalg.det(u) * np.linalg.det(vt)) or 1.0
    rotation = u @ d @ vt
    scale = np.trace(np.diag(sig) @ d) / sc.var(axis=0).sum()
    m = np.eye(dim + 1)
    m[:dim, :dim] = scale * rotation
    m[:dim, dim] = mu_d - scale * rotation @ mu_s
    return m


@dataclasses.dataclass(frozen=True)
class Intrinsics:
    """A pinhole camera: image size in pixels, focal length and film back in mm, principal point in pixels.

    Square pixels are assumed when the film back's aspect differs from the image's: the horizontal
    aperture sets the pixel focal length and the vertical aperture is derived (Nuke does the same).
    """

    width: int
    height: int
    focal_mm: float = 50.0
    film_back_mm: tuple[float, float] = (36.0, 24.0)
    principal_point: tuple[float, float] | None = None  # pixels; None = image centre

    def __post_init__(self) -> None:
        values = (self.width, self.height, self.focal_mm, *self.film_back_mm, *(self.principal_point or ()))
        if not all(math.isfinite(float(v)) for v in values):
            raise InputError(f"camera intrinsics contain NaN or infinite values: {self}")
        if self.width <= 0 or self.height <= 0 or self.focal_mm <= 0 or min(self.film_back_mm) <= 0:
            raise InputError(f"camera intrinsics must be positive (size, focal, film back): {self}")

    @property
    def focal_px(self) -> float:
        return self.focal_mm * self.width / self.film_back_mm[0]

    @property
    def center(self) -> tuple[float, float]:
        if self.principal_point is not None:
            return (float(self.principal_point[0]), float(self.principal_point[1]))
        return ((self.width - 1) / 2.0, (self.height - 1) / 2.0)

    @property
    def vfov_deg(self) -> float:
        """Vertical field of view, as Nuke's camera .chan writes in its 8th column."""
        return math.degrees(2.0 * math.atan(self.height / 2.0 / self.focal_px))

    def with_vfov(self, vfov_deg: float) -> Intrinsics:
        """The same camera with the focal length that gives vertical field of view `vfov_deg`."""
        if not (0.0 < vfov_deg < 180.0):
            raise InputError(f"vertical field of view {vfov_deg} is outside (0, 180) degrees")
        focal_px = self.height / 2.0 / math.tan(math.radians(vfov_deg) / 2.0)
        return dataclasses.replace(self, focal_mm=focal_px * self.film_back_mm[0] / self.width)

    def matrix(self) -> np.ndarray:
        """The 3x3 OpenCV camera matrix (x right, y down, z forward)."""
        cx, cy = self.center
        f = self.focal_px
        return np.array([[f, 0.0, cx], [0.0, f, cy], [0.0, 0.0, 1.0]])

    def to_dict(self) -> dict[str, Any]:
        return {"width": self.width, "height": self.height, "focal_mm": self.focal_mm,
                "film_back_mm": list(self.film_back_mm),
                "principal_point": list(self.principal_point) if self.principal_point is not None else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, where: str = "intrinsics") -> Intrinsics:
        try:
            pp = data.get("principal_point")
            return cls(width=int(data["width"]), height=int(data["height"]), focal_mm=float(data["focal_mm"]),
                       film_back_mm=(float(data["film_back_mm"][0]), float(data["film_back_mm"][1])),
                       principal_point=(float(pp[0]), float(pp[1])) if pp is not None else None)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise InputError(f"{where}: camera intrinsics need width, height, focal_mm, film_back_mm "
                             f"[w, h] and optionally principal_point [u, v] ({exc!r})") from None


def project(points_cam: np.ndarray, intrinsics: Intrinsics) -> np.ndarray:
    """(..., 3) points in camera space (Nuke: looking down -Z) -> (..., 2) pixels (u right, v down).

    Points on or behind the camera give NaN: check `in_front(points_cam)` first where that matters.
    """
    p = np.asarray(points_cam, dtype=np.float64)
    depth = -p[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        safe = np.where(depth > 1e-12, depth, np.nan)
        cx, cy = intrinsics.center
        u = cx + intrinsics.focal_px * p[..., 0] / safe
        v = cy - intrinsics.focal_px * p[..., 1] / safe
    return np.stack([u, v], axis=-1)


def unproject(pixels: np.ndarray, depth: np.ndarray | float, intrinsics: Intrinsics) -> np.ndarray:
    """(..., 2) pixels at distance `depth` along -Z -> (..., 3) camera-space points; inverse of `project`."""
    px = np.asarray(pixels, dtype=np.float64)
    d = np.asarray(depth, dtype=np.float64)
    cx, cy = intrinsics.center
    x = (px[..., 0] - cx) * d / intrinsics.focal_px
    y = -(px[..., 1] - cy) * d / intrinsics.focal_px
    return np.stack([x, y, -d * np.ones_like(x)], axis=-1)


def in_front(points_cam: np.ndarray, near: float = 1e-6) -> np.ndarray:
    """Whether camera-space points lie in front of the lens (Nuke camera: negative Z)."""
    return np.asarray(points_cam, dtype=np.float64)[..., 2] < -near


# OpenCV cameras look down +Z with y down; Nuke's down -Z with y up: flipping Y and Z converts either way.
CV_FROM_NUKE = np.diag([1.0, -1.0, -1.0])
