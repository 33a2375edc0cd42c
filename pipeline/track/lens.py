"""The plate camera's focal length estimated from the face, for footage that arrives without a lens.

A face seen through a longer lens from further away looks flatter: the nose stands out less against the
cheeks than through a wide lens from close by. For each candidate focal length the canonical head is posed
on many frames (PnP), fitted to the performer from all of them (pipeline.track.solve.refine_shape), and posed
again; the focal length whose poses reproject the face-mesh landmarks best, over the whole clip, wins. One
clip seen from many angles pins the face's depth, so the perspective that is left tells the lens.

The face tells the lens only weakly: a head a few metres away is seen nearly without perspective, and the
face mesh's own bias (or an expression) can make every wider lens fit a little better, frame after frame. A
real lens shows as a minimum of the fit error inside the range searched (the synchronized cameras of
../shared/footage: about 20 degrees); where the error keeps falling to the widest lens tried, the face has not
told the lens, and a long lens (FALLBACK_VFOV_DEG) is taken instead. The risk is not symmetric: a lens guessed
too long poses the head nearly as a true one does (rotation barely depends on the focal length once the view
is close to orthographic: the synthetic pirouette's yaw error is the same from 8 to 20 degrees), while one
guessed too wide puts the head close to the camera and bends its turns (10.8 degrees mean error on the filled
frames at 75 degrees against 7.1 with the true 12).

Before estimating, `lens_from_metadata` reads a focal length the plate carries: OpenEXR's camera attributes
(nominalFocalLength / effectiveFocalLength / pinholeFocalLength with sensorPhysicalWidth), EXIF of image
sequences (FocalLength with FocalLengthIn35mmFilm or the focal plane resolution), and a video's focal-length
tags (QuickTime's 35 mm equivalent).
"""
from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

import numpy as np

from pipeline.errors import InputError
from pipeline.geometry import Intrinsics

logger = logging.getLogger(__name__)

# Vertical fields of view searched (degrees): a long portrait lens to a wide one.
FOV_RANGE = (8.0, 75.0)
CANDIDATES = 24
# Frames the estimate is made from, spread over the clip (more only costs time).
MAX_FRAMES = 60
# How strongly the performer's face is held to the canonical head while the lens is estimated. Loosely enough that
# the performer's own proportions (millimetres off the canonical head) are fitted away, or they read as perspective:
# on rigid faces with 3 mm of shape difference and half a pixel of landmark noise, 0.3 finds 12, 30 and 50 degree
# lenses within 20 % where 1.0 and 3.0 miss by 2-3x (tests/pipeline/track/test_lens.py).
SHAPE_PRIOR = 0.3
# A film back for an estimated lens: full frame width, the image's aspect (only focal_mm / film back matters).
FILM_BACK_WIDTH_MM = 36.0
# The lens taken when the fit error has no minimum inside the range (degrees of vertical field of view).
FALLBACK_VFOV_DEG = 15.0
# Candidates at the wide end where a minimum does not count as one (it is the end of a falling curve).
WIDE_END = 2
# Diagonal of a 35 mm film frame (36 x 24 mm): what a "35 mm equivalent" focal length is relative to.
FULL_FRAME_DIAGONAL_MM = float(np.hypot(36.0, 24.0))


@dataclasses.dataclass(frozen=True)
class LensEstimate:
    intrinsics: Intrinsics
    vfov_deg: float
    errors: tuple[tuple[float, float], ...]  # (vfov, median relative reprojection error) per candidate
    supported: bool = True  # False: the error had no minimum inside the range, FALLBACK_VFOV_DEG was taken


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
    if not np.isfinite(scores_arr[best]) or best >= len(fovs) - WIDE_END:
        camera = intrinsics_for_vfov(width, height, FALLBACK_VFOV_DEG)
        logger.info("lens estimate: the face's fit error falls all the way to the widest lens tried (the face mesh's "
                    "bias, not a lens): taking a long lens, vertical fov %.1f degrees (%.1f mm on a %.0f mm film "
                    "back)", FALLBACK_VFOV_DEG, camera.focal_mm, FILM_BACK_WIDTH_MM)
        return LensEstimate(camera, FALLBACK_VFOV_DEG, tuple(zip(fovs.tolist(), scores)), supported=False)
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


# OpenEXR's standard camera attributes (OpenEXR 3.2, ImfStandardAttributes.h), best first: millimetres.
EXR_FOCAL_KEYS = ("effectiveFocalLength", "pinholeFocalLength", "nominalFocalLength")
EXR_SENSOR_KEYS = ("sensorPhysicalWidth", "sensorPhysicalHeight")
# EXIF tags: FocalLength, FocalLengthIn35mmFilm, FocalPlaneXResolution, FocalPlaneResolutionUnit (PIL's ids).
EXIF_FOCAL, EXIF_FOCAL_35MM, EXIF_PLANE_X_RESOLUTION, EXIF_PLANE_UNIT = 0x920A, 0xA405, 0xA20E, 0xA210
EXIF_UNIT_MM = {2: 25.4, 3: 10.0, 4: 1.0}  # inch, centimetre, millimetre


def intrinsics_for_35mm_equivalent(width: int, height: int, focal_35mm: float) -> Intrinsics:
    """A camera whose diagonal field of view is that of `focal_35mm` on a 36 x 24 mm frame (what "35 mm
    equivalent" means), on a film back of the image's aspect."""
    diagonal = FULL_FRAME_DIAGONAL_MM / float(np.hypot(width, height))
    return Intrinsics(width=width, height=height, focal_mm=float(focal_35mm),
                      film_back_mm=(width * diagonal, height * diagonal))


def lens_from_metadata(path: str | os.PathLike, width: int, height: int) -> Intrinsics | None:
    """The plate camera's lens as the plate's own metadata records it, or None where it records none. `path`: a
    video file, or one frame of an image sequence (its first). A focal length without a sensor size (an EXR
    with no sensorPhysicalWidth, EXIF without a 35 mm equivalent or focal plane resolution) says nothing about
    the field of view and is not used."""
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        if suffix == ".exr":
            return _exr_lens(p, width, height)
        if suffix in (".jpg", ".jpeg", ".tif", ".tiff", ".png"):
            return _exif_lens(p, width, height)
        return _video_lens(p, width, height)
    except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError) as exc:
        raise InputError(f"{p}: the lens in its metadata cannot be read ({exc}); give the camera's intrinsics "
                         "instead (focal length and film back)") from None


def _exr_lens(path: Path, width: int, height: int) -> Intrinsics | None:
    from pipeline.media.image import exr_header

    header = exr_header(path)
    focal = next((float(header[k]) for k in EXR_FOCAL_KEYS if header.get(k) is not None), None)
    sensor_w = header.get(EXR_SENSOR_KEYS[0])
    if focal is None or not sensor_w or focal <= 0:
        return None
    sensor_w = float(sensor_w)
    sensor_h = float(header.get(EXR_SENSOR_KEYS[1]) or sensor_w * height / width)
    return Intrinsics(width=width, height=height, focal_mm=focal, film_back_mm=(sensor_w, sensor_h))


def _exif_lens(path: Path, width: int, height: int) -> Intrinsics | None:
    from PIL import Image

    with Image.open(path) as image:
        exif = image.getexif().get_ifd(0x8769)  # the Exif sub-IFD holds the lens tags
    focal_35mm = exif.get(EXIF_FOCAL_35MM)
    if focal_35mm:
        return intrinsics_for_35mm_equivalent(width, height, float(focal_35mm))
    focal, resolution, unit = exif.get(EXIF_FOCAL), exif.get(EXIF_PLANE_X_RESOLUTION), exif.get(EXIF_PLANE_UNIT, 2)
    if focal and resolution and unit in EXIF_UNIT_MM:
        sensor_w = width / float(resolution) * EXIF_UNIT_MM[unit]
        return Intrinsics(width=width, height=height, focal_mm=float(focal),
                          film_back_mm=(sensor_w, sensor_w * height / width))
    return None


def _video_lens(path: Path, width: int, height: int) -> Intrinsics | None:
    """A 35 mm equivalent focal length from the container's or the video stream's tags (QuickTime writes
    com.apple.quicktime.camera.focal_length.35mm_equivalent; other cameras a tag naming focal_length and 35mm)."""
    import av

    with av.open(str(path)) as container:
        tags = dict(container.metadata)
        for stream in container.streams.video:
            tags.update(stream.metadata)
    for key, value in tags.items():
        name = key.lower()
        if "focal" in name and "35" in name:
            return intrinsics_for_35mm_equivalent(width, height, float(str(value).split()[0]))
    return None


def clip_lens(clip) -> Intrinsics | None:
    """`lens_from_metadata` for an open pipeline.media Clip: a video's tags, or its sequence's first frame's."""
    if clip.kind == "sequence":
        from pipeline.media.sequence import find_sequence

        return lens_from_metadata(find_sequence(clip.path).path(clip.first_frame), clip.width, clip.height)
    return lens_from_metadata(clip.path, clip.width, clip.height)
