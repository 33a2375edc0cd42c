"""Crop transforms: 3x3 matrices mapping plate pixels to crop pixels (OpenCV pixel centres).

The 3D crop is centred on the projected skull centre, scaled so a fixed physical radius around it fills
half the crop, and rotated so the head's projected up axis points up: it depends only on the pose, never
on which features happen to be visible. The 2D baseline fits a similarity from five face landmarks to a
mean face, as landmark-based aligners do, and so follows the face's apparent size and exists only when
the face is found.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from pipeline.errors import InputError
from pipeline.geometry import Intrinsics, project, similarity_fit
from pipeline.track import canonical

SIZE_RANGE = (64, 1024)


class UnframeableError(InputError):
    """The pose gives no crop on this frame (head behind the camera or outside the image)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def check_size(size: int) -> int:
    if not isinstance(size, (int, np.integer)) or not (SIZE_RANGE[0] <= size <= SIZE_RANGE[1]):
        raise InputError(f"crop size must be a whole number of pixels from {SIZE_RANGE[0]} to {SIZE_RANGE[1]}, "
                         f"got {size!r}")
    return int(size)


def _similarity(center: np.ndarray, scale: float, angle: float, size: int) -> np.ndarray:
    """Matrix taking `center` to the crop centre, scaling by `scale`, rotating by -`angle` (radians)."""
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, s], [-s, c]]) * scale
    half = (size - 1) / 2.0
    m = np.eye(3)
    m[:2, :2] = rot
    m[:2, 2] = np.array([half, half]) - rot @ np.asarray(center, dtype=np.float64)
    return m


def crop_transform(pose: np.ndarray, camera: Intrinsics, *, size: int, radius: float,
                   skull_centre: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> np.ndarray:
    """The 3x3 plate -> crop matrix for a head at `pose` (4x4 head-local -> camera, Nuke camera).

    `radius` (scene units, e.g. 0.16 m) around the skull centre (`skull_centre` in head-local coordinates)
    spans half the crop. Raises UnframeableError('behind_camera' | 'out_of_frame') where no crop exists.
    """
    size = check_size(size)
    if not (math.isfinite(radius) and radius > 0):
        raise InputError(f"crop radius must be a positive distance, got {radius!r}")
    p = np.asarray(pose, dtype=np.float64)
    if p.shape != (4, 4) or not np.all(np.isfinite(p)):
        raise InputError("crop_transform: the pose must be a finite 4x4 head-to-camera transform")
    rotation, translation = p[:3, :3], p[:3, 3]
    centre = translation + rotation @ np.asarray(skull_centre, dtype=np.float64)
    depth = -centre[2]
    if depth <= radius:
        raise UnframeableError("behind_camera", f"the head is behind (or around) the camera: depth {depth:.3g}")
    centre_px = project(centre, camera)
    radius_px = camera.focal_px * radius / depth
    u, v = centre_px
    if u + radius_px < 0 or v + radius_px < 0 or u - radius_px > camera.width - 1 or v - radius_px > camera.height - 1:
        raise UnframeableError("out_of_frame", f"the head is entirely outside the image (centre {u:.0f}, {v:.0f})")
    up = rotation[:, 1]
    # The head's up axis seen in the image plane (perspective-exact direction at the skull centre).
    top = project(centre + up * radius * 0.5, camera)
    d = top - centre_px if np.all(np.isfinite(top)) else np.array([-up[0], -up[1]])
    if np.hypot(*d) < 1e-9:  # looking straight down the up axis: keep the image upright
        d = np.array([0.0, -1.0])
    angle = math.atan2(d[0], -d[1])  # 0 when the head's top points straight up in the image
    return _similarity(centre_px, (size / 2.0) / radius_px, angle, size)


def similarity_transform(landmarks: np.ndarray, *, size: int, padding: float = 0.5) -> np.ndarray:
    """The 2D baseline: plate -> crop matrix aligning the face's five points to the mean face.

    `padding` widens the crop around the face (as aligners pad to include hair): 0.5 shows the mean face
    at two thirds of the crop. Needs face-mesh landmarks, so it exists only where a face was found.
    """
    size = check_size(size)
    target = (canonical.MEAN_FACE_2D - 0.5) / (1.0 + padding) + 0.5
    return similarity_fit(canonical.five_points(landmarks), target * (size - 1))


def stabilize_frame(image: np.ndarray, transform: np.ndarray, size: int) -> np.ndarray:
    """The NxN crop of `image` under `transform` (bilinear; outside the image is black)."""
    size = check_size(size)
    m = np.asarray(transform, dtype=np.float64)
    return cv2.warpAffine(np.asarray(image, dtype=np.float32), m[:2], (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT)


def unstabilize(crop: np.ndarray, transform: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
    """Put a crop (or a result made from it) back into plate pixels: the exact inverse of the crop's
    transform, bilinear; zero where the crop does not reach. `out_shape` is (height, width)."""
    h, w = int(out_shape[0]), int(out_shape[1])
    m = np.asarray(transform, dtype=np.float64)
    return cv2.warpAffine(np.asarray(crop, dtype=np.float32), m[:2], (w, h),
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT)


def crop_coverage(transform: np.ndarray, size: int, out_shape: tuple[int, int]) -> np.ndarray:
    """Where the crop lands in the plate (HxW, 1 inside, 0 outside, soft at the edge): a mask for comps."""
    return unstabilize(np.ones((size, size), np.float32), transform, out_shape)
