"""The head's yaw from the body where no face is seen: MediaPipe's pose landmarks (the model ships in the
mediapipe wheel) place both ears in depth as well as in the image, from the front, the side and the back of
the head alike, so the line between the ears turns with the head all the way round.

Its yaw is biased per person and noisy frame to frame: the tracker uses it only as the shape of a turn through
a gap, aligned to the face-mesh poses measured at both ends (pipeline.track.interpolate, `guide`).
"""
from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)

LEFT_EAR, RIGHT_EAR = 7, 8
# Below this visibility (MediaPipe's own estimate) an ear's position is a guess: the frame gives no yaw.
MIN_VISIBILITY = 0.3


class BodyLandmarker:
    """MediaPipe pose (full model, video mode) -> head yaw in degrees from the ears, or None."""

    def __init__(self) -> None:
        import mediapipe as mp

        from pipeline.track.solve import native_chatter_to_debug_log

        with native_chatter_to_debug_log():
            self._pose = mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1,
                                                min_detection_confidence=0.5, min_tracking_confidence=0.5)
            self._pose.process(np.zeros((64, 64, 3), np.uint8))

    def ear_yaw(self, rgb8: np.ndarray) -> float | None:
        """Yaw of the line between the ears (ZXY convention of pipeline.geometry: + turns the nose to image
        right), from their image x and depth; None where no body is found or the ears are not placed."""
        result = self._pose.process(rgb8)
        if result.pose_landmarks is None:
            return None
        marks = result.pose_landmarks.landmark
        left, right = marks[LEFT_EAR], marks[RIGHT_EAR]
        if min(left.visibility, right.visibility) < MIN_VISIBILITY:
            return None
        # x is a fraction of the width and z (depth, smaller is nearer) is on about the same scale; the head's
        # +X axis (its left ear) lies at (cos yaw, -sin yaw) in the camera's (x, z) with z towards the viewer.
        dx, dz = left.x - right.x, left.z - right.z
        return float(np.degrees(np.arctan2(dz, dx)))

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> BodyLandmarker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
