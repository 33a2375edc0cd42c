"""The head from the body where the face mesh cannot see the face: MediaPipe's pose landmarks (the model ships in
the mediapipe wheel).

- Yaw through the back of the head: the pose places both ears in depth as well as in the image, from the front,
  the side and the back of the head alike, so the line between the ears turns with the head all the way round.
  Its yaw is biased per person and noisy frame to frame: the tracker uses it only as the shape of a turn through
  a gap, aligned to the face-mesh poses measured at both ends (pipeline.track.interpolate, `guide`).
- Where the head is when the face is too small for the face mesh's detector (a performer far away): the pose's
  nose, eyes and ears, and the shoulders for scale (pipeline.track.headcrop looks there again, upscaled).
"""
from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)

NOSE, LEFT_EAR, RIGHT_EAR = 0, 7, 8
# The pose's face points: nose, eyes (inner, centre, outer), ears, mouth corners.
HEAD_IDS = tuple(range(11))
LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
# Below this visibility (MediaPipe's own estimate) an ear's position is a guess: the frame gives no yaw.
MIN_VISIBILITY = 0.3


class BodyLandmarker:
    """MediaPipe pose (full model, video mode): the 33 body landmarks of a frame (the ears' yaw: `ear_yaw`)."""

    def __init__(self) -> None:
        import mediapipe as mp

        from pipeline.track.solve import native_chatter_to_debug_log

        with native_chatter_to_debug_log():
            self._pose = mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1,
                                                min_detection_confidence=0.5, min_tracking_confidence=0.5)
            self._pose.process(np.zeros((64, 64, 3), np.uint8))

    def landmarks(self, rgb8: np.ndarray) -> np.ndarray | None:
        """(33, 4): image x and y in pixels, depth (MediaPipe's, on the scale of x as a fraction of the width,
        smaller is nearer) and visibility of each pose landmark; None where no body is found."""
        result = self._pose.process(rgb8)
        if result.pose_landmarks is None:
            return None
        h, w = rgb8.shape[:2]
        return np.array([(p.x * w, p.y * h, p.z, p.visibility) for p in result.pose_landmarks.landmark])

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> BodyLandmarker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ear_yaw(marks: np.ndarray, width: int) -> float | None:
    """The yaw of the line between the ears of `BodyLandmarker.landmarks` (of a frame `width` pixels wide)."""
    left, right = marks[LEFT_EAR], marks[RIGHT_EAR]
    if min(left[3], right[3]) < MIN_VISIBILITY:
        return None
    # x is a fraction of the width and z (depth, smaller is nearer) is on about the same scale; the head's
    # +X axis (its left ear) lies at (cos yaw, -sin yaw) in the camera's (x, z) with z towards the viewer.
    dx, dz = (left[0] - right[0]) / width, left[2] - right[2]
    return float(np.degrees(np.arctan2(dz, dx)))
