"""Head fit: per-shot adjustment so the swap's skull silhouette and hairline match the double's.

Defined in the head's stabilized crop frame (upright, centred on the skull, so it follows the head through
turns and rolls): scale and stretch about the skull centre, and a hairline offset that moves the top of the
head up (positive) or down while the face below the centre stays put. Applied to the swap (colour and matte)
in plate space before compositing, as one exact remap through the crop's transform.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class HeadFit:
    scale: float = 1.0        # uniform scale of the head region
    stretch_x: float = 1.0    # extra horizontal scale (in the head's frame)
    stretch_y: float = 1.0    # extra vertical scale
    hairline_px: float = 0.0  # crop pixels the top of the head moves up (down if negative)

    def __post_init__(self) -> None:
        if min(self.scale, self.stretch_x, self.stretch_y) <= 0:
            raise ValueError("scale and stretch must be positive")

    @property
    def identity(self) -> bool:
        return self == HeadFit()


def apply_head_fit(image: np.ndarray, transform: np.ndarray, crop_size: int, fit: HeadFit) -> np.ndarray:
    """`image` (plate space, HxW or HxWxC, premultiplied) with the head region refitted per `fit`.

    `transform` maps plate pixels to the crop of side `crop_size` that the swap was made in.
    """
    if fit.identity:
        return image
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    m = np.asarray(transform, np.float64)
    qx = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]
    qy = m[1, 0] * xs + m[1, 1] * ys + m[1, 2]
    c = (crop_size - 1) / 2.0
    # output crop point -> source crop point: undo the hairline lift (above the centre), then the scale
    up = np.clip((c - qy) / c, 0.0, 1.0)
    sy = qy + fit.hairline_px * up
    src_x = c + (qx - c) / (fit.scale * fit.stretch_x)
    src_y = c + (sy - c) / (fit.scale * fit.stretch_y)
    inv = np.linalg.inv(m)
    map_x = (inv[0, 0] * src_x + inv[0, 1] * src_y + inv[0, 2]).astype(np.float32)
    map_y = (inv[1, 0] * src_x + inv[1, 1] * src_y + inv[1, 2]).astype(np.float32)
    return cv2.remap(np.asarray(image, np.float32), map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
