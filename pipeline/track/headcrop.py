"""Faces too small for the face mesh's detector (a performer far from the camera, a wide shot): found again in a
crop around the head that the body's pose landmarks place (pipeline.track.body), upscaled so the face mesh sees
the face at the size it was made for, its landmarks mapped back to the frame's pixels.

The face mesh finds faces with MediaPipe's short-range detector, which looks at the whole frame shrunk to 128
pixels: a small face is a few pixels there and is not found, though the pose model (which looks at 224 pixels and
sees the whole body) still places the head.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from pipeline.track.body import HEAD_IDS, LEFT_SHOULDER, RIGHT_SHOULDER, BodyLandmarker

if TYPE_CHECKING:
    from pipeline.track.solve import Landmarker

# Pose landmarks at least this visible place the head.
MIN_VISIBILITY = 0.5
# Side of the crop in head sizes (the span of the pose's face points, or half the shoulders where that is
# larger): the face fills about half of it, as the face detector expects of a close-up.
CROP_HEADS = 2.5
# Side of the upscaled crop the face mesh is given, pixels.
CROP_PIXELS = 256


def head_box(marks: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Centre (x, y) and side, in pixels, of the square crop around the head of pose landmarks
    (`BodyLandmarker.landmarks`); None where the pose does not place the head."""
    head = marks[list(HEAD_IDS)]
    seen = head[head[:, 3] >= MIN_VISIBILITY, :2]
    if len(seen) < 3:
        return None
    span = float(np.max(seen.max(axis=0) - seen.min(axis=0)))
    shoulders = marks[[LEFT_SHOULDER, RIGHT_SHOULDER]]
    if shoulders[:, 3].min() >= MIN_VISIBILITY:  # seen from the side the face points crowd together
        span = max(span, 0.5 * float(np.linalg.norm(shoulders[0, :2] - shoulders[1, :2])))
    side = CROP_HEADS * span
    if side < 8.0:  # a head of a few pixels: nothing for the face mesh to see however upscaled
        return None
    return seen.mean(axis=0), side


def crop_square(rgb8: np.ndarray, centre: np.ndarray, side: float, size: int = CROP_PIXELS) -> tuple[np.ndarray,
                                                                                                     np.ndarray]:
    """The square of `side` pixels around `centre` resampled to `size` pixels (edge pixels repeated beyond the
    frame), and the 2x3 affine that takes its pixels back to the frame's."""
    scale = size / side
    to_crop = np.array([[scale, 0.0, size / 2 - scale * centre[0]],
                        [0.0, scale, size / 2 - scale * centre[1]]])
    crop = cv2.warpAffine(rgb8, to_crop, (size, size), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC,
                          borderMode=cv2.BORDER_REPLICATE)
    return crop, cv2.invertAffineTransform(to_crop)


class HeadCropFinder:
    """The body's pose landmarks, then the face mesh (static: the crop moves with the head) on the upscaled crop
    around the head: every face found there, as (468, 2) landmark pixels of the whole frame. The models start
    on the first frame asked about: a clip whose faces the face mesh finds everywhere never needs them."""

    def __init__(self, *, min_detection_confidence: float = 0.5, max_faces: int = 1) -> None:
        self._settings = {"min_detection_confidence": min_detection_confidence, "max_faces": max_faces}
        self._body: BodyLandmarker | None = None
        self._mesh: Landmarker | None = None

    def faces(self, rgb8: np.ndarray) -> list[np.ndarray]:
        if self._body is None or self._mesh is None:
            from pipeline.track.solve import Landmarker

            self._body = BodyLandmarker()
            self._mesh = Landmarker(mode="static", **self._settings)
        marks = self._body.landmarks(rgb8)
        box = None if marks is None else head_box(marks)
        if box is None:
            return []
        crop, back = crop_square(rgb8, *box)
        return [face @ back[:, :2].T + back[:, 2] for face in self._mesh.faces(crop)]

    def close(self) -> None:
        for model in (self._body, self._mesh):
            if model is not None:
                model.close()

    def __enter__(self) -> HeadCropFinder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
