"""Motion blur matched to the head's motion: the head centre's image motion over the open shutter, and a
blur of the swap along that line, so a swap of a fast move smears the way the plate does."""
from __future__ import annotations

import math

import cv2
import numpy as np

from pipeline.geometry import project
from pipeline.track.headtrack import HeadTrack


def head_motion(track: HeadTrack, *, shutter: float,
                skull_centre: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> np.ndarray:
    """(N, 2) pixels the projected skull centre travels while the shutter is open, per track frame.

    The velocity is the central difference of the projected centre over neighbouring frames (one-sided at
    the ends), in pixels per frame, times the shutter in frames.
    """
    centres = track.translation + np.einsum("nij,j->ni", track.rotation, np.asarray(skull_centre, np.float64))
    pixels = np.array([project(c, cam) for c, cam in zip(centres, track.intrinsics)], dtype=np.float64)
    if len(pixels) < 2:
        return np.zeros((len(pixels), 2))
    velocity = np.gradient(pixels, track.frames.astype(np.float64), axis=0)
    return velocity * float(shutter)


def line_kernel(vector: np.ndarray) -> np.ndarray | None:
    """A normalised kernel spreading a pixel evenly along `vector` (centred), or None when it is under a pixel."""
    dx, dy = float(vector[0]), float(vector[1])
    length = math.hypot(dx, dy)
    if length < 0.5:
        return None
    half = int(math.ceil(max(abs(dx), abs(dy)) / 2)) + 1
    kernel = np.zeros((2 * half + 1, 2 * half + 1), np.float32)
    samples = max(2, int(math.ceil(length * 4)))
    for t in (np.arange(samples) + 0.5) / samples - 0.5:
        x, y = half + t * dx, half + t * dy
        x0, y0 = int(math.floor(x)), int(math.floor(y))
        fx, fy = x - x0, y - y0
        kernel[y0, x0] += (1 - fx) * (1 - fy)
        kernel[y0, x0 + 1] += fx * (1 - fy)
        kernel[y0 + 1, x0] += (1 - fx) * fy
        kernel[y0 + 1, x0 + 1] += fx * fy
    return kernel / kernel.sum()


def motion_blur(image: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """`image` (HxW or HxWxC, premultiplied when it has alpha) blurred along `vector` (pixels)."""
    kernel = line_kernel(vector)
    if kernel is None:
        return image
    return cv2.filter2D(np.asarray(image, np.float32), -1, kernel, borderType=cv2.BORDER_CONSTANT)
