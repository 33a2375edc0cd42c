"""A canonical adult head: 3D positions of MediaPipe face-mesh landmarks, in metres, in the head's frame.

Head frame (see pipeline.geometry): origin at the skull centre (midway between the ears, about eye height),
+Z out of the nose, +Y up, +X the subject's left. The points are anthropometric averages (eye corners
90 mm apart, nasion 95 mm in front of the skull centre, nose tip 18 mm further out, chin 106 mm below the
eyes), chosen on rigid parts of the face: eyes, nose, chin, forehead, cheek contour. The lips are left out
because speech moves them.
"""
from __future__ import annotations

import numpy as np

# MediaPipe face-mesh landmark index -> (x, y, z) in metres.
CANONICAL_LANDMARKS: dict[int, tuple[float, float, float]] = {
    1: (0.000, -0.040, 0.113),    # nose tip
    4: (0.000, -0.034, 0.110),    # nose, above the tip
    6: (0.000, -0.008, 0.098),    # nose bridge
    168: (0.000, 0.001, 0.095),   # nasion, between the eyes
    2: (0.000, -0.044, 0.097),    # below the nose (subnasale)
    98: (-0.018, -0.040, 0.090),  # right nostril wing
    327: (0.018, -0.040, 0.090),  # left nostril wing
    33: (-0.045, 0.000, 0.073),   # right eye, outer corner
    133: (-0.016, -0.004, 0.080),  # right eye, inner corner
    263: (0.045, 0.000, 0.073),   # left eye, outer corner
    362: (0.016, -0.004, 0.080),   # left eye, inner corner
    152: (0.000, -0.106, 0.066),  # chin
    10: (0.000, 0.040, 0.093),    # forehead, top centre
    151: (0.000, 0.030, 0.096),   # forehead, middle
    234: (-0.069, -0.020, 0.020),  # right cheek contour, by the ear
    454: (0.069, -0.020, 0.020),  # left cheek contour, by the ear
    132: (-0.066, -0.047, 0.030),  # right jaw contour
    361: (0.066, -0.047, 0.030),  # left jaw contour
}
LANDMARK_IDS: tuple[int, ...] = tuple(CANONICAL_LANDMARKS)
POINTS: np.ndarray = np.array([CANONICAL_LANDMARKS[i] for i in LANDMARK_IDS], dtype=np.float64)
# Landmarks an expression moves: the chin and the jaw contour go down with the mouth, and the face mesh regresses
# its cheek contour with them. Seen from the side, an open mouth closing into a smile tilted the pose ~7 degrees
# against the bone (the synchronized cameras of ../shared/footage). Near profile they are what holds the yaw,
# though (without them the face mesh's yaw falls short of the turn), so they count less only on faces turned
# less than about 55 degrees: pipeline.track.solve.pose_from_landmarks.
EXPRESSION_IDS: tuple[int, ...] = (152, 132, 361, 234, 454)
EXPRESSION_MASK: np.ndarray = np.isin(np.array(LANDMARK_IDS), EXPRESSION_IDS)

# Landmarks of the 2D baseline's mean face (what landmark-based aligners use): eyes, nose tip, mouth corners.
EYE_RIGHT = (33, 133)
EYE_LEFT = (263, 362)
NOSE_TIP = 1
MOUTH_CORNERS = (61, 291)
# The mean face in a unit square (x right, y down), a frontal projection of the canonical head, scaled so
# the eyes-to-mouth span fills the middle of the crop as common aligners frame it.
MEAN_FACE_2D: np.ndarray = np.array([
    [0.345, 0.410],  # right eye centre (image left)
    [0.655, 0.410],  # left eye centre
    [0.500, 0.560],  # nose tip
    [0.380, 0.700],  # right mouth corner
    [0.620, 0.700],  # left mouth corner
])


def five_points(landmarks: np.ndarray) -> np.ndarray:
    """(468, 2) face-mesh pixels -> (5, 2): eye centres, nose tip, mouth corners (MEAN_FACE_2D's order)."""
    lm = np.asarray(landmarks, dtype=np.float64)
    return np.array([lm[list(EYE_RIGHT)].mean(axis=0), lm[list(EYE_LEFT)].mean(axis=0), lm[NOSE_TIP],
                     lm[MOUTH_CORNERS[0]], lm[MOUTH_CORNERS[1]]])
