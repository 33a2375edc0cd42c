"""The plate camera's focal length estimated from the face, for footage that arrives without a lens.

A face seen through a longer lens from further away looks flatter: the nose stands out less against the
cheeks than through a wide lens from close by. For each candidate focal length the canonical head is posed
on many frames (PnP), fitted to the performer from all of them (pipeline.track.solve.refine_shape), and posed
again; the focal length whose poses reproject the face-mesh landmarks best, over the whole clip, wins. One
clip seen from many angles pins the face's depth, so the perspective that is left tells the lens.
"""
from __future__ import annotations

import dataclasses
import logging

import numpy as np

from pipeline.geometry import Intrinsics

logger = logging.getLogger(__name__)

# Vertical fields of view searched (degrees): a long portrait lens to a wide one.
FOV_RANGE = (8.0, 75.0)
CANDIDATES = 24
# Frames the estimate is made from, spread over the clip (more only costs time).
MAX_FRAMES = 60
# How strongly the performer's face is held to the canonical head while the lens is estimated: loosely held, a
# face reshaped in depth absorbs the perspective the lens is read from (and the widest lens always wins).
SHAPE_PRIOR = 3.0
# A film back for an estimated lens: full frame width, the image's aspect (only focal_mm / film back matters).
FILM_BACK_WIDTH_MM = 36.0


@dataclasses.dataclass(frozen=True)
class LensEstimate:
    intrinsics: Intrinsics
    vfov_deg: float
    errors: tuple[tuple[float, float], ...]  # (vfov, median relative reprojection error) per candidate


def intrinsics_for_vfov(width: int, height: int, vfov_deg: float) -> Intrinsics:
    """A camera of the image's size with a square-pixel film back and the given vertical field of view."""
    base = Intrinsics(width=width, height=height, film_back_mm=(FILM_BACK_WIDTH_MM,
                                                                FILM_BACK_WIDTH_MM * height / width))
    return base.with_vfov(vfov_deg)


def estimate_lens(landmarks: list[np.ndarray], width: int, height: int) -> LensEstimate:
    """The focal length that best explains the face-mesh landmarks (pixels) of many frames of one face."""
    from pipeline.track.solve import pose_from_landmarks, refine_shape

    if not landmarks:
        raise ValueError("no landmarks to estimate a lens from")
    pick = np.unique(np.linspace(0, len(landmarks) - 1, min(MAX_FRAMES, len(landmarks))).round().astype(int))
    sample = [landmarks[i] for i in pick]
    fovs = np.geomspace(*FOV_RANGE, CANDIDATES)
    scores = []
    for fov in fovs:
        camera = intrinsics_for_vfov(width, height, float(fov))
        poses = [pose_from_landmarks(lm, camera) for lm in sample]
        ok = [i for i, p in enumerate(poses) if np.isfinite(p[2]) and p[1][2] < 0]
        if len(ok) >= 3:
            shape = refine_shape([sample[i] for i in ok], np.stack([poses[i][0] for i in ok]),
                                 np.stack([poses[i][1] for i in ok]), camera, prior=SHAPE_PRIOR)
            poses = [pose_from_landmarks(lm, camera, shape=shape) for lm in sample]
        errors = np.array([p[2] for p in poses])
        scores.append(float(np.median(errors[np.isfinite(errors)])) if np.any(np.isfinite(errors)) else np.inf)
    scores_arr = np.array(scores)
    best = int(np.argmin(scores_arr))
    vfov = float(fovs[best])
    if 0 < best < len(fovs) - 1:  # the parabola's vertex through the best candidate and its neighbours (log fov)
        x = np.log(fovs[best - 1:best + 2])
        a, b, _ = np.polyfit(x, scores_arr[best - 1:best + 2], 2)
        if a > 0:
            vfov = float(np.exp(np.clip(-b / (2 * a), x[0], x[2])))
    camera = intrinsics_for_vfov(width, height, vfov)
    logger.info("lens estimated from the face: vertical fov %.1f degrees (%.1f mm on a %.0f mm film back)", vfov,
                camera.focal_mm, FILM_BACK_WIDTH_MM)
    return LensEstimate(camera, vfov, tuple(zip(fovs.tolist(), scores)))
