"""The built-in head tracker, for plates that arrive without a 3D head track.

1. MediaPipe face mesh finds the faces' landmarks where faces are visible; the one person followed is kept
   (pipeline.track.follow: position predicted from the track, appearance), a jump it cannot avoid flagged. On a
   frame where it finds none, it looks again in an upscaled crop around the head that the body's pose landmarks
   place (pipeline.track.headcrop): a face too small for its detector, a performer far from the camera.
2. Without a given lens the focal length is estimated from the face over the clip (pipeline.track.lens), and
   the track says so.
3. PnP against the canonical head (pipeline.track.canonical, then fitted to the performer) gives the
   camera-relative pose, the landmarks an expression moves (chin, jaw and cheek contours) counting little
   until the face turns towards profile. The fit-error limit adapts to the person (robust statistics over the clip), so
   expressive frames (an open mouth, a squint) are measured, and only outliers and poses beyond the
   landmarker's reliable yaw are dropped.
4. Where the face is not visible (profile, back of the head, hair), the yaw follows the line between the ears
   that MediaPipe's pose landmarks see from any side (pipeline.track.body), aligned to the measured frames at
   both ends of the gap; without it the rotation is filled on the unwrapped angles with the angular velocity
   of both sides. Pitch and roll are bridged in a straight line (the silhouette's axis follows the hair, not the
   head's roll). The head's image position is followed by tracking the head region (template matching
   forwards and backwards, blended), then taken from the head's silhouette where the person's segmentation
   and the pose's shoulders give one (pipeline.track.silhouette): the region's look changes as the head turns
   away, its outline does not. Its distance is interpolated.
5. A weighted local-linear smoothing over time. Each frame is marked measured or filled, with a confidence;
   a clip left mostly filled is a warning in the summary.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import cv2
import numpy as np

from pipeline.errors import InputError
from pipeline.geometry import CV_FROM_NUKE, Intrinsics, project, rotation_from_yaw_pitch_roll, similarity_fit, \
    unproject, yaw_pitch_roll
from pipeline.progress import ProgressCallback, progress_bar
from pipeline.track import canonical
from pipeline.track.follow import FaceFollower
from pipeline.track.headcrop import HeadCropFinder
from pipeline.track.headtrack import HeadTrack
from pipeline.track.interpolate import fill_angles, fill_linear, runs, smooth

logger = logging.getLogger(__name__)

MODES = ("video", "static")
# Fewest trusted frames for fitting the canonical head to the performer.
MIN_REFINE_FRAMES = 8
# Longest side of the grey frames kept for following the head region through gaps.
REGION_SIZE = 256
# Measured frames either side of a gap where the body's ear line is read too, to align it with the face.
BODY_MARGIN = 8
# Smoothing of the ear line's yaw over time (frames): it jitters where the face's pose does not.
BODY_SMOOTH = 2.0
# Weight of the landmarks an expression moves (canonical.EXPRESSION_IDS) in the pose, and the yaw range (degrees)
# over which it rises to 1 towards profile.
EXPRESSION_WEIGHT = 0.05
EXPRESSION_YAW = (50.0, 70.0)


@dataclasses.dataclass(frozen=True)
class SolveConfig:
    """Settings of the built-in tracker ([track] in shot.toml)."""

    mode: str = "video"  # MediaPipe: "video" follows landmarks frame to frame, "static" detects every frame
    min_detection_confidence: float = 0.5  # MediaPipe's face detection threshold, 0..1
    max_abs_yaw: float = 72.0  # degrees; beyond it the face mesh's landmarks are no longer trusted
    max_reprojection: float = 0.08  # RMS reprojection error (fraction of the eye-corner distance) always trusted
    reprojection_spread: float = 4.0  # robust deviations above the clip's median error still measured
    max_reprojection_ceiling: float = 0.3  # never measured above this error, however the person's face fits
    max_faces: int = 4  # faces looked for per frame, of which the person followed is kept
    body_yaw: bool = True  # fill the yaw through gaps from the pose landmarks' ears (MediaPipe pose)
    # where the face mesh finds no face, look again in an upscaled crop around the head that the pose landmarks
    # place (pipeline.track.headcrop): faces too small for its detector, a performer far from the camera
    head_crop: bool = True
    # the head's image position through gaps from its silhouette (the person's segmentation above the shoulders,
    # pipeline.track.silhouette) rather than from following the head region's look, which drifts as it turns
    head_silhouette: bool = True
    mostly_filled: float = 0.5  # a share of measured frames below this is a warning in the summary
    smooth_sigma: float = 1.0  # frames
    depth_smooth_sigma: float = 6.0  # frames: the head's distance from the camera
    head_radius: float = 0.11  # metres: size of the head region followed through gaps
    min_run: int = 3  # shorter runs of face frames inside a gap are glimpses at the profile: not trusted
    edge_trim: int = 1  # frames not trusted at each side of a gap, where the face is near profile
    refine_iterations: int = 2  # rounds of fitting the canonical head's landmarks to the performer (0: off)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InputError(f"track: unknown mode {self.mode!r}; use one of {', '.join(MODES)}")
        if not (0.0 < self.max_abs_yaw <= 90.0):
            raise InputError(f"track: max_abs_yaw must be in (0, 90], got {self.max_abs_yaw}")


class FrameSource(Protocol):
    """What the tracker reads: a pipeline.media Clip, or anything with the same frame access."""

    width: int
    height: int
    linear: bool

    @property
    def frame_range(self) -> range: ...

    def read(self, frame: int, *, srgb_decode: bool = False) -> np.ndarray: ...


@dataclasses.dataclass
class Solved:
    """The solved track, the face-mesh landmarks (pixels) of the frames where a face was found, and timing."""

    track: HeadTrack
    landmarks: dict[int, np.ndarray]
    seconds: float


def to_rgb8(image: np.ndarray, *, linear: bool) -> np.ndarray:
    """A float frame as display-referred 8-bit RGB, as the landmarker expects."""
    from pipeline.media.image import linear_to_srgb8

    rgb = image[..., :3] if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)
    if linear:
        return np.ascontiguousarray(linear_to_srgb8(rgb))
    return np.ascontiguousarray(np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8))


@contextlib.contextmanager
def native_chatter_to_debug_log() -> Iterator[None]:
    """MediaPipe's C++ side prints its start-up chatter (absl's "before InitializeLog", the TFLite delegate, the
    feedback-tensor warnings) straight to file descriptor 2, and no setting turns it off: hold fd 2 aside while
    the graph starts and runs its first frame, then hand what it printed to the debug log."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            text = held.read().decode("utf-8", errors="replace").strip()
            if text:
                logger.debug("mediapipe: %s", text)


class Landmarker:
    """MediaPipe face mesh (one face) returning (468, 2) landmark pixels, or None where no face is found; with
    `refine`, its attention model for lips, eyes and irises: (478, 2)."""

    def __init__(self, *, mode: str = "static", min_detection_confidence: float = 0.5, refine: bool = False,
                 max_faces: int = 1):
        import mediapipe as mp

        with native_chatter_to_debug_log():
            self._mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=mode == "static", max_num_faces=max_faces,
                                                         refine_landmarks=refine,
                                                         min_detection_confidence=min_detection_confidence,
                                                         min_tracking_confidence=0.5)
        self._started = False

    def __call__(self, rgb8: np.ndarray) -> np.ndarray | None:
        faces = self.faces(rgb8)
        return faces[0] if faces else None

    def faces(self, rgb8: np.ndarray) -> list[np.ndarray]:
        """Every face found, each (468, 2) landmark pixels."""
        if not self._started:  # the graph's first frame prints the rest of the start-up chatter
            with native_chatter_to_debug_log():
                result = self._mesh.process(rgb8)
            self._started = True
        else:
            result = self._mesh.process(rgb8)
        h, w = rgb8.shape[:2]
        return [np.array([(p.x * w, p.y * h) for p in face.landmark]) for face in result.multi_face_landmarks or ()]

    def close(self) -> None:
        self._mesh.close()

    def __enter__(self) -> Landmarker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def pose_from_landmarks(landmarks: np.ndarray, intrinsics: Intrinsics, *,
                        shape: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Camera-relative head rotation (3x3), skull centre (3,) and the relative RMS reprojection error
    (fraction of the eye-corner distance) from face-mesh landmark pixels, by PnP against the canonical head
    (or `shape`, the canonical landmarks refined to this performer by `refine_shape`)."""
    model = canonical.POINTS if shape is None else shape
    image_points = np.asarray(landmarks, dtype=np.float64)[list(canonical.LANDMARK_IDS)]
    k = intrinsics.matrix()
    try:
        ok, rvec, tvec = cv2.solvePnP(model, image_points, k, None, flags=cv2.SOLVEPNP_SQPNP)
    except cv2.error:  # SQPnP refuses points spread too little in normalised coordinates (a small, far face
        # seen through a long lens, as the lens estimate tries): EPnP starts the refinement instead
        ok, rvec, tvec = cv2.solvePnP(model, image_points, k, None, flags=cv2.SOLVEPNP_EPNP)
    if not ok:
        return np.eye(3), np.zeros(3), float("inf")
    rvec, tvec = cv2.solvePnPRefineLM(model, image_points, k, None, rvec, tvec)
    weights = expression_weights(float(yaw_pitch_roll(CV_FROM_NUKE @ cv2.Rodrigues(rvec)[0])[0]))
    if weights.min() < 1.0:
        rvec, tvec = _refine_weighted(model, image_points, k, rvec, tvec, weights)
    reprojected, _ = cv2.projectPoints(model, rvec, tvec, k, None)
    rms = float(np.sqrt(np.mean(np.sum((reprojected[:, 0] - image_points) ** 2, axis=1))))
    ids = canonical.LANDMARK_IDS
    eye_span = float(np.linalg.norm(image_points[ids.index(33)] - image_points[ids.index(263)]))
    rotation_cv = cv2.Rodrigues(rvec)[0]
    return CV_FROM_NUKE @ rotation_cv, CV_FROM_NUKE @ tvec[:, 0], rms / max(eye_span, 1.0)


def expression_weights(yaw_deg: float) -> np.ndarray:
    """How much each canonical landmark counts in the pose at this yaw: the landmarks an expression moves
    (canonical.EXPRESSION_IDS) count EXPRESSION_WEIGHT on faces turned up to EXPRESSION_YAW[0] degrees, rising
    to fully at EXPRESSION_YAW[1], where the cheek and jaw contours are what still tells the turn."""
    low, high = EXPRESSION_YAW
    rise = float(np.clip((abs(yaw_deg) - low) / (high - low), 0.0, 1.0))
    weight = EXPRESSION_WEIGHT + (1.0 - EXPRESSION_WEIGHT) * rise
    return np.where(canonical.EXPRESSION_MASK, weight, 1.0)


def _refine_weighted(model: np.ndarray, image_points: np.ndarray, k: np.ndarray, rvec: np.ndarray, tvec: np.ndarray,
                     weights: np.ndarray, iterations: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Levenberg-Marquardt on the weighted reprojection error (OpenCV's refinement weighs every point alike)."""
    x = np.concatenate([np.ravel(rvec), np.ravel(tvec)]).astype(np.float64)
    w = np.repeat(np.sqrt(weights), 2)
    damping = 1e-3

    def residual(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        projected, jacobian = cv2.projectPoints(model, x[:3], x[3:], k, None)
        return w * (projected[:, 0] - image_points).ravel(), w[:, None] * jacobian[:, :6]

    r, j = residual(x)
    cost = float(r @ r)
    for _ in range(iterations):
        a = j.T @ j
        step = np.linalg.solve(a + damping * np.diag(np.diag(a) + 1e-12), -j.T @ r)
        r_new, j_new = residual(x + step)
        if float(r_new @ r_new) < cost:
            x, r, j, cost, damping = x + step, r_new, j_new, float(r_new @ r_new), damping * 0.3
            if np.abs(step).max() < 1e-9:
                break
        else:
            damping *= 10.0
    return x[:3, None], x[3:, None]


def refine_shape(landmarks: list[np.ndarray], rotations: np.ndarray, translations: np.ndarray,
                 intrinsics: Intrinsics, *, prior: float = 0.3) -> np.ndarray:
    """The canonical landmarks adjusted to the performer's face: each point triangulated from every frame
    it was posed in (least squares in pixels), pulled towards the canonical head by `prior`, then brought
    back onto the canonical head's origin, orientation and size by a similarity (those the views cannot
    tell). One face seen from many angles fixes the depth of its features, so the pose no longer drifts
    with the yaw the way a generic head's does."""
    k = intrinsics.matrix()
    projections = [k @ np.hstack([CV_FROM_NUKE @ r, (CV_FROM_NUKE @ t)[:, None]])
                   for r, t in zip(rotations, translations)]
    image = np.stack([np.asarray(lm, dtype=np.float64)[list(canonical.LANDMARK_IDS)] for lm in landmarks])
    base = canonical.POINTS
    weight = prior * intrinsics.focal_px / float(np.median(-translations[:, 2])) * np.sqrt(len(landmarks))
    shape = np.empty_like(base)
    for j, x0 in enumerate(base):
        rows, rhs = [], []
        for p, uv in zip(projections, image[:, j]):
            depth = p[2] @ np.append(x0, 1.0)
            for axis in (0, 1):
                row = (uv[axis] * p[2] - p[axis]) / depth
                rows.append(row[:3])
                rhs.append(-row[3])
        rows.extend(weight * np.eye(3))
        rhs.extend(weight * x0)
        shape[j] = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)[0]
    m = similarity_fit(shape, base)
    return shape @ m[:3, :3].T + m[:3, 3]


def _grey(image: np.ndarray, scale: float) -> np.ndarray:
    rgb = image[..., :3] if image.ndim == 3 else image
    grey = rgb.mean(axis=2) if rgb.ndim == 3 else rgb
    small = cv2.resize(grey.astype(np.float32), None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return small


def _follow_region(greys: list[np.ndarray], start: int, steps: Iterable[int], center: np.ndarray,
                   radii: np.ndarray) -> dict[int, np.ndarray]:
    """Follow the head region from frame index `start` through `steps` (consecutive indices) by matching
    each frame's head patch in the next; returns index -> centre (in the grey frames' pixels)."""
    out: dict[int, np.ndarray] = {}
    c = np.asarray(center, dtype=np.float64)
    prev = start
    for i in steps:
        r = max(4, int(round(radii[i])))
        src = greys[prev]
        h, w = src.shape
        x0, y0 = int(round(c[0])) - r, int(round(c[1])) - r
        if x0 < 0 or y0 < 0 or x0 + 2 * r >= w or y0 + 2 * r >= h:
            out[i] = c.copy()  # the region touches the border: hold rather than match a clipped patch
            prev = i
            continue
        template = src[y0:y0 + 2 * r + 1, x0:x0 + 2 * r + 1]
        m = r // 2 + 2
        sx0, sy0 = max(0, x0 - m), max(0, y0 - m)
        search = greys[i][sy0:min(h, y0 + 2 * r + 1 + m), sx0:min(w, x0 + 2 * r + 1 + m)]
        if search.shape[0] < template.shape[0] or search.shape[1] < template.shape[1] or template.std() < 1e-4:
            out[i] = c.copy()
        else:
            score = cv2.matchTemplate(search, template, cv2.TM_CCOEFF_NORMED)
            _, _, _, (bx, by) = cv2.minMaxLoc(score)
            c = c + np.array([sx0 + bx - x0, sy0 + by - y0], dtype=np.float64)
            out[i] = c.copy()
        prev = i
    return out


@dataclasses.dataclass
class Detected:
    """What the face mesh saw on every frame: the followed face's landmarks (pixels) where found, the frames
    where the follower had to jump, and small grey frames for following the head region through gaps."""

    frames: np.ndarray
    landmarks: dict[int, np.ndarray]
    jumps: list[int]
    greys: list[np.ndarray]
    scale: float


def detect(clip: FrameSource, frames: range | np.ndarray, config: SolveConfig, *,
           progress: ProgressCallback | None = None) -> Detected:
    """Run the face mesh over `frames` of `clip`, following one person (pipeline.track.follow)."""
    frame_list = np.asarray(list(frames), dtype=np.int64)
    scale = min(1.0, REGION_SIZE / max(clip.width, clip.height))
    landmarks: dict[int, np.ndarray] = {}
    jumps: list[int] = []
    greys: list[np.ndarray] = []
    follower = FaceFollower()
    with contextlib.ExitStack() as stack:
        landmarker = stack.enter_context(Landmarker(mode=config.mode, max_faces=config.max_faces,
                                                    min_detection_confidence=config.min_detection_confidence))
        crops = stack.enter_context(HeadCropFinder(min_detection_confidence=config.min_detection_confidence,
                                                   max_faces=config.max_faces)) if config.head_crop else None
        bar = stack.enter_context(progress_bar(len(frame_list), "track solve", callback=progress))
        for i, frame in enumerate(frame_list):
            image = clip.read(int(frame))
            greys.append(_grey(image, scale))
            rgb = to_rgb8(image, linear=clip.linear)
            points, jumped = follower.choose(rgb, landmarker.faces(rgb), i)
            if points is None and crops is not None:
                points, jumped = follower.choose(rgb, crops.faces(rgb), i)
            if points is not None:
                landmarks[int(frame)] = points
            if jumped:
                jumps.append(int(frame))
            bar.update(1, f"frame {frame}")
    return Detected(frame_list, landmarks, jumps, greys, scale)


def solve(clip: FrameSource, intrinsics: Intrinsics | None, config: SolveConfig | None = None, *,
          frames: range | None = None, progress: ProgressCallback | None = None, where: str = "",
          lens: str = "given") -> Solved:
    """Track the head of `clip` over `frames` (default: all) seen through a camera with `intrinsics`, or, when
    None, through a lens estimated from the face (the track's `lens` says "estimated"; `lens` says where given
    intrinsics came from: "given" or "metadata"). `where` names the plate in messages."""
    config = config or SolveConfig()
    where = where or "the plate"
    frames = frames if frames is not None else clip.frame_range
    if len(frames) == 0:
        raise InputError(f"track solve: {where}: no frames to track")
    if intrinsics is not None and (intrinsics.width, intrinsics.height) != (clip.width, clip.height):
        raise InputError(f"track solve: the camera intrinsics are for {intrinsics.width}x{intrinsics.height} "
                         f"but {where} is {clip.width}x{clip.height}; give the plate camera's intrinsics")
    started = time.perf_counter()
    detected = detect(clip, frames, config, progress=progress)
    return solve_detected(clip, detected, intrinsics, config, where=where, lens=lens, started=started)


def solve_detected(clip: FrameSource, detected: Detected, intrinsics: Intrinsics | None, config: SolveConfig, *,
                   where: str = "the plate", lens: str = "given", started: float | None = None) -> Solved:
    """The head track from what `detect` saw (the clip is read again only for the body through gaps)."""
    started = time.perf_counter() if started is None else started
    frame_list, landmarks, jumps, greys, scale = (detected.frames, detected.landmarks, detected.jumps,
                                                  detected.greys, detected.scale)
    n = len(frame_list)
    if not landmarks:
        raise InputError(f"{where}: track solve: no face found in any of its {n} frames; check that the plate "
                         "shows the performer's face somewhere; give a head track (.chan or JSON) with "
                         "`facereplace track import` instead")
    if intrinsics is None:
        from pipeline.track.lens import estimate_lens

        intrinsics = estimate_lens(list(landmarks.values()), clip.width, clip.height).intrinsics
        lens = "estimated"
    rotations = np.zeros((n, 3, 3))
    translations = np.full((n, 3), np.nan)
    errors = np.full(n, np.inf)
    for i, frame in enumerate(frame_list):
        if int(frame) in landmarks:
            rotations[i], translations[i], errors[i] = pose_from_landmarks(landmarks[int(frame)], intrinsics)
    measured = _reliable(rotations, translations, errors, config)
    for _ in range(config.refine_iterations if measured.sum() >= MIN_REFINE_FRAMES else 0):
        shape = refine_shape([landmarks[int(f)] for f in frame_list[measured]], rotations[measured],
                             translations[measured], intrinsics)
        for i in np.flatnonzero(np.isfinite(errors)):
            rotations[i], translations[i], errors[i] = pose_from_landmarks(landmarks[int(frame_list[i])], intrinsics,
                                                                           shape=shape)
        measured = _reliable(rotations, translations, errors, config)
    if not np.any(measured):
        raise InputError(f"track solve: a face was found in {len(landmarks)} of the {n} frames of {where} but none "
                         "posed reliably; give a head track (.chan or JSON) with `facereplace track import` instead")
    logger.info("track solve: face measured on %d of %d frames", int(measured.sum()), n)
    ypr = np.full((n, 3), np.nan)
    ypr[measured] = yaw_pitch_roll(rotations[measured])
    # One pass of the body's pose landmarks over the gaps serves the ears' yaw and the head's silhouette.
    body = (_body_marks(clip, frame_list, measured)
            if (config.body_yaw or config.head_silhouette) and not measured.all() else {})
    guide = _body_yaw(body, clip.width, measured, frame_list, ypr) if config.body_yaw and body else None
    ypr = fill_angles(frame_list, ypr, measured, yaw_guide=guide)

    depth = -translations[:, 2]
    log_depth = fill_linear(frame_list, np.log(np.where(measured, depth, 1.0))[:, None], measured)[:, 0]
    depth = np.exp(log_depth)
    uv = np.full((n, 2), np.nan)
    uv[measured] = project(translations[measured], intrinsics)
    radius = intrinsics.focal_px * config.head_radius / depth
    uv = _fill_positions(greys, uv * scale, measured, radius * scale) / scale
    if config.head_silhouette and body:
        uv = _silhouette_positions(clip, frame_list, measured, uv, radius, body)

    # Measured frames 0.5..1 by reprojection error; filled frames below 0.5, fading with the gap's depth.
    limit = _error_limit(errors, config)
    known_conf = 0.5 + 0.5 * np.clip(1.0 - errors / limit, 0.0, 1.0)
    distance = _distance_to_measured(measured)
    confidence = np.where(measured, known_conf, np.clip(0.45 * np.exp(-(distance - 1) / 12.0), 0.05, 0.45))
    values = np.hstack([ypr, uv, log_depth[:, None]])
    values = smooth(frame_list, values, confidence, sigma=config.smooth_sigma)
    # Distance is PnP's least certain component and changes slowly: smoothed over a longer window.
    values[:, 5] = smooth(frame_list, log_depth[:, None], confidence, sigma=config.depth_smooth_sigma)[:, 0]
    translation = unproject(values[:, 3:5], np.exp(values[:, 5]), intrinsics)
    track = HeadTrack(frame_list, rotation_from_yaw_pitch_roll(values[:, :3]), translation, (intrinsics,) * n,
                      confidence, np.where(measured, "measured", "filled").astype(object), lens=lens,
                      jumps=tuple(jumps))
    for warning in track_summary(track, mostly_filled=config.mostly_filled)["warnings"]:
        logger.warning("track solve: %s: %s", where, warning)
    return Solved(track=track, landmarks=landmarks, seconds=time.perf_counter() - started)


def _body_marks(clip: FrameSource, frame_list: np.ndarray, measured: np.ndarray) -> dict[int, np.ndarray]:
    """The body's pose landmarks (pipeline.track.body, (33, 4) each) by frame index, on the frames of each gap and
    `BODY_MARGIN` measured frames either side, read in frame order (the pose model follows the body from frame to
    frame); frames where no body is found are left out."""
    from pipeline.track.body import BodyLandmarker

    n = len(frame_list)
    near = np.zeros(n, dtype=bool)
    for g0, g1 in runs(~measured):
        near[max(0, g0 - BODY_MARGIN):min(n, g1 + BODY_MARGIN)] = True
    marks = {}
    with BodyLandmarker() as body:
        for i in np.flatnonzero(near):
            seen = body.landmarks(to_rgb8(clip.read(int(frame_list[i])), linear=clip.linear))
            if seen is not None:
                marks[int(i)] = seen
    return marks


def _body_yaw(body: dict[int, np.ndarray], width: int, measured: np.ndarray, frame_list: np.ndarray,
              ypr: np.ndarray) -> np.ndarray | None:
    """Per frame the yaw of the line between the ears (pipeline.track.body) where the body was read (`body`, by
    frame index, in a frame `width` pixels wide), offset to agree with the face's yaw on the measured frames among
    them; NaN elsewhere, None if it never agrees with the face (no body in view)."""
    from pipeline.track.body import ear_yaw

    yaw = np.full(len(frame_list), np.nan)
    for i, marks in body.items():
        seen = ear_yaw(marks, width)
        if seen is not None:
            yaw[i] = seen
    both = measured & np.isfinite(yaw)
    if both.sum() < 3:
        return None
    difference = np.radians(ypr[both, 0] - yaw[both])
    offset = np.degrees(np.angle(np.mean(np.exp(1j * difference))))
    have = np.isfinite(yaw)
    smoothed = np.degrees(np.unwrap(np.radians(yaw[have])))
    yaw[have] = smooth(frame_list[have], smoothed[:, None], np.ones(int(have.sum())), sigma=BODY_SMOOTH)[:, 0]
    return yaw + offset


def _silhouette_positions(clip: FrameSource, frame_list: np.ndarray, measured: np.ndarray, uv: np.ndarray,
                          radius: np.ndarray, body: dict[int, np.ndarray]) -> np.ndarray:
    """Image positions of unmeasured frames from the head's silhouette (pipeline.track.silhouette) about the
    region followed (`uv`): its centre, offset to the measured skull centre at the gap's ends, the two offsets
    blended across the gap as the region's two paths are. `body` holds the pose landmarks by frame index
    (`_body_marks`); frames without them or without a silhouette keep the region's position."""
    from pipeline.track.silhouette import HeadSilhouette

    n = len(frame_list)
    out = uv.copy()
    with HeadSilhouette() as silhouette:
        def centre(i: int) -> np.ndarray | None:
            if i not in body:
                return None
            rgb = to_rgb8(clip.read(int(frame_list[i])), linear=clip.linear)
            return silhouette.centre(rgb, body[i], uv[i], float(radius[i]))

        for g0, g1 in runs(~measured):
            ends = [(i, centre(i)) for i in (g0 - 1, g1) if 0 <= i < n]
            offsets = {i: uv[i] - c for i, c in ends if c is not None}
            if not offsets:
                continue
            for i in range(g0, g1):
                c = centre(i)
                if c is None:
                    continue
                w = (i - g0 + 1) / (g1 - g0 + 1)
                before, after = offsets.get(g0 - 1), offsets.get(g1)
                if before is not None and after is not None:
                    out[i] = c + (1.0 - w) * before + w * after
                else:
                    out[i] = c + (before if before is not None else after)
    return out


def _error_limit(errors: np.ndarray, config: SolveConfig) -> float:
    """The fit error above which a pose is not measured: the person's own spread over the clip (median plus
    `reprojection_spread` robust deviations), never below `max_reprojection` nor above the ceiling. A face
    that fits the canonical head less well (a beard, an open mouth, a squint) keeps its expressive frames."""
    found = errors[np.isfinite(errors)]
    if len(found) == 0:
        return config.max_reprojection
    median = float(np.median(found))
    spread = 1.4826 * float(np.median(np.abs(found - median)))
    return float(np.clip(median + config.reprojection_spread * spread, config.max_reprojection,
                         config.max_reprojection_ceiling))


def _reliable(rotations: np.ndarray, translations: np.ndarray, errors: np.ndarray, config: SolveConfig) -> np.ndarray:
    """Frames whose pose is trusted: a face found, posed within the person's fit-error limit, within the
    landmarker's yaw range, in front of the camera, not at the edge of a gap, not a glimpse of a few frames."""
    found = np.isfinite(errors)
    yaw = np.full(len(errors), np.inf)
    yaw[found] = yaw_pitch_roll(rotations[found])[:, 0]
    ok = found & (errors <= _error_limit(errors, config)) & (np.abs(yaw) <= config.max_abs_yaw) & \
        (translations[:, 2] < 0)
    return _trusted_runs(ok, config.min_run, config.edge_trim)


def _trusted_runs(measured: np.ndarray, min_run: int, edge_trim: int) -> np.ndarray:
    """`measured` with `edge_trim` frames taken off each end of a run that borders a gap (a face entering
    or leaving the landmarker's view is near profile, where face-mesh poses fall short of the true turn),
    then runs shorter than `min_run` dropped; unchanged if that would leave nothing."""
    out = np.zeros_like(measured)
    n = len(measured)
    for start, stop in runs(measured):
        start += edge_trim if start > 0 else 0
        stop -= edge_trim if stop < n else 0
        if stop - start >= min_run:
            out[start:stop] = True
    return out if np.any(out) else measured


def _distance_to_measured(measured: np.ndarray) -> np.ndarray:
    """Frames from each frame to the nearest measured one."""
    positions = np.arange(len(measured))
    return np.abs(positions[:, None] - np.flatnonzero(measured)[None, :]).min(axis=1).astype(np.float64)


def _fill_positions(greys: list[np.ndarray], uv: np.ndarray, measured: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Image positions of unmeasured frames: the head region followed from both sides of each gap, the
    two paths blended so each is trusted most near the frame it started from."""
    out = uv.copy()
    n = len(uv)
    for g0, g1 in runs(~measured):  # [g0, g1) unmeasured
        forward = _follow_region(greys, g0 - 1, range(g0, g1), uv[g0 - 1], radii) if g0 > 0 else None
        backward = _follow_region(greys, g1, range(g1 - 1, g0 - 1, -1), uv[g1], radii) if g1 < n else None
        for i in range(g0, g1):
            if forward is not None and backward is not None:
                w = (i - g0 + 1) / (g1 - g0 + 1)
                out[i] = (1.0 - w) * forward[i] + w * backward[i]
            else:
                out[i] = (forward or backward)[i]
    return out


def track_summary(track: HeadTrack, *, mostly_filled: float = SolveConfig.mostly_filled) -> dict[str, Any]:
    """What a person reads after a solve: frames measured, filled and flagged (jumps, unframeable), the lens and
    whether it was estimated, mean confidence, and warnings (a source left mostly filled, an estimated lens, a
    jump to another face) that say what to check."""
    n = len(track)
    measured = int(np.sum(track.status == "measured"))
    camera = track.intrinsics[0]
    flagged = track.frame_flags()
    warnings = []
    if measured < mostly_filled * n:
        warnings.append(f"only {measured} of {n} frames measured, the rest filled: check the track (`facereplace "
                        "track plot`); give a head track with `facereplace track import` if the face is rarely seen")
    if track.lens == "estimated":
        warnings.append(f"lens estimated from the face ({camera.focal_mm:.1f} mm on a {camera.film_back_mm[0]:.0f} mm "
                        f"film back, vertical fov {camera.vfov_deg:.1f} degrees); give the real one if it is known")
    if track.jumps:
        warnings.append(f"the track jumps to another face at frame(s) {', '.join(map(str, track.jumps[:10]))}")
    return {"frames": n, "measured": measured, "filled": n - measured, "flagged": len(flagged) + len(track.jumps),
            "jumps": list(track.jumps), "lens": track.lens, "focal_mm": round(camera.focal_mm, 2),
            "film_back_mm": list(camera.film_back_mm), "vfov_deg": round(camera.vfov_deg, 2),
            "mean_confidence": float(np.mean(track.confidence)), "warnings": warnings}
