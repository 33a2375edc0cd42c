"""Head masks of crops from the pose alone: the head proxy's silhouette (skull, hair volume, ears) projected
through the crop's camera and cut with the crop's own transform.

A real shoot has no matte of the head, only its track; the swap models learn the mask they predict from these,
so conversion composites the head instead of the crop's square. The proxy is one identity-neutral head
(`PROXY`, between the dancer's and the actor's proportions) or an OBJ in head-local coordinates
(`[dataset] mask_mesh`). The matte stops where the neck begins, as a head matte does: points the proxy body's
neck hides from the camera are left out. The head solid is star-shaped around the skull centre, and a
perspective projection keeps it so around the centre's image: its outline is, for each direction around that
point, the farthest projected vertex. That makes a mask about a millisecond of numpy instead of a render.

On real footage the proxy alone misses what makes a head this person's: long or full hair, a dropped jaw. So
(`[dataset] mask_person`, what the build does) the proxy is first fitted to the head seen: scaled to the face
mesh's forehead-to-chin where the mesh finds the face (`face_scale`) and its jaw opened by the measured
mouth_open (`fitted_vertices`); then joined with MediaPipe's selfie segmentation of the crop (`PersonSegmenter`,
the model ships in the mediapipe wheel): the person's pixels within HAIR_REACH of the proxy, above the chin,
plus the proxy's sure core (`join_person`). Where the segmentation does not see the head the proxy's own
outline stands (a back view in motion blur, a dancer against a dark set).
"""
from __future__ import annotations

import functools
import logging
import math
import os

import cv2
import numpy as np

from pipeline.cg.head import NEUTRAL, Identity, _head_mesh
from pipeline.errors import InputError
from pipeline.geometry import Intrinsics, project

logger = logging.getLogger(__name__)

MASK_VERSION = 2  # bump when the masks change shape: every source's signature changes with it (2: mask_person)
ANGLES = 360  # directions around the skull centre's image sampled for the outline
NEAR = 1e-3  # vertices closer to the camera plane than this (scene units) are left out

# Midway between the synthetic dancer and actor: the build knows neither person's proportions.
PROXY = Identity(name="proxy", head_width=0.154, head_height=0.238, head_depth=0.200, jaw_width=0.84,
                 face_length=1.05, chin=0.013, nose_length=0.027, ear_size=1.1, ear_protrusion=0.009,
                 hairline=0.074, hair_volume=0.018)
JAW_Y = -0.07  # head-local height of the mouth: below it the proxy follows the jaw down
JAW_SPAN = 0.05  # metres below the mouth over which the jaw's drop grows to its full value
FACE_SCALE_LIMITS = (0.85, 1.2)  # the proxy is never fitted beyond these (a mesh misreading the face)
HAIR_REACH = 0.35  # of the head's radius in pixels: how far beyond the proxy the person's pixels count as head
SEGMENTATION_AGREEMENT = 0.5  # share of the proxy the segmentation must cover for it to be trusted


def proxy_vertices(mesh_path: str = "") -> np.ndarray:
    """(N, 3) head-local points of the mask's head: the built-in proxy with its hair, or an OBJ's vertices."""
    if not mesh_path:
        return _proxy_points()
    from pipeline.cg.mesh import load_obj

    points = np.asarray(load_obj(mesh_path).positions, np.float64)
    if len(points) < 4:
        raise InputError(f"[dataset] mask_mesh {os.fspath(mesh_path)} has fewer than 4 vertices; it is not a head")
    return points


@functools.lru_cache(maxsize=1)
def _proxy_points() -> np.ndarray:
    # the mesh alone (build_head would also paint a texture the mask does not need, seconds of work)
    return np.ascontiguousarray(_head_mesh(PROXY, NEUTRAL).positions, np.float64)


@functools.lru_cache(maxsize=1)
def neck_ellipsoid() -> tuple[np.ndarray, np.ndarray]:
    """(centre, semi-axes) of the neck in head-local coordinates, the head upright on it (the CG body's neck)."""
    from pipeline.cg.scene import NECK_PIVOT, body_drawable

    neck = body_drawable(PROXY).mesh.select(("neck",)).positions + NECK_PIVOT
    lo, hi = neck.min(axis=0), neck.max(axis=0)
    return (lo + hi) / 2, (hi - lo) / 2


def visible(points: np.ndarray, camera_local: np.ndarray) -> np.ndarray:
    """Which head-local points the neck does not hide from a camera at `camera_local`: the head matte stops
    where the neck begins (in front of the skull's underside seen from behind or below, and inside it)."""
    centre, semi = neck_ellipsoid()
    o = (camera_local - centre) / semi
    d = (points - camera_local) / semi
    a = np.sum(d * d, axis=1)
    b = 2.0 * (d @ o)
    c = float(o @ o) - 1.0
    disc = b * b - 4.0 * a * c
    root = np.sqrt(np.maximum(disc, 0.0))
    enter, leave = (-b - root) / (2 * a), (-b + root) / (2 * a)
    return ~((disc > 0) & (enter < 1.0 - 1e-6) & (leave > 0.0))


def head_mask(pose: np.ndarray, camera: Intrinsics, transform: np.ndarray, size: int, *,
              vertices: np.ndarray | None = None, soft_px: float = 1.0) -> np.ndarray:
    """The (size, size) float32 head mask in 0..1 of a crop cut with `transform` (plate -> crop pixels) from a
    frame where the head is at `pose` (4x4 head-local -> camera) seen by `camera`. `soft_px` is the edge's
    Gaussian softness in crop pixels (0: an antialiased hard edge)."""
    points = proxy_vertices() if vertices is None else vertices
    p = np.asarray(pose, np.float64)
    points = points[visible(points, -p[:3, :3].T @ p[:3, 3])]
    cam = points @ p[:3, :3].T + p[:3, 3]
    cam = cam[cam[:, 2] < -NEAR]
    m = np.asarray(transform, np.float64)
    centre = _to_crop(project(p[:3, 3], camera)[None], m)[0]
    pts = _to_crop(project(cam, camera), m)
    outline = _outline(pts, centre)
    out = np.zeros((size, size), np.uint8)
    if outline is not None:
        shift = 4  # sub-pixel vertices: 1/16 pixel
        cv2.fillPoly(out, [np.rint(outline * (1 << shift)).astype(np.int32)], 255, lineType=cv2.LINE_AA, shift=shift)
    mask = out.astype(np.float32) / 255.0
    if soft_px > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), soft_px)
    return mask


def _to_crop(pixels: np.ndarray, m: np.ndarray) -> np.ndarray:
    return pixels @ m[:2, :2].T + m[:2, 2]


def _outline(pts: np.ndarray, centre: np.ndarray) -> np.ndarray | None:
    """The star-shaped outline around `centre` through the farthest point in each of ANGLES directions."""
    d = pts - centre
    radius = np.hypot(d[:, 0], d[:, 1])
    if not len(pts) or not np.all(np.isfinite(centre)):
        return None
    bins = (np.floor((np.arctan2(d[:, 1], d[:, 0]) + math.pi) / (2 * math.pi) * ANGLES).astype(np.int64)) % ANGLES
    far = np.full(ANGLES, -1.0)
    np.maximum.at(far, bins, radius)
    seen = far >= 0
    if seen.sum() < 3:
        return None
    angles = (np.arange(ANGLES) + 0.5) / ANGLES * 2 * math.pi - math.pi
    if not seen.all():  # directions no vertex fell in (a coarse mesh seen small): interpolate around the circle
        idx = np.flatnonzero(seen)
        far = np.interp(np.arange(ANGLES), idx, far[idx], period=ANGLES)
    return centre + far[:, None] * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def fitted_vertices(vertices: np.ndarray, *, scale: float = 1.0, jaw_drop_m: float = 0.0) -> np.ndarray:
    """The proxy scaled about the skull centre, its jaw lowered by `jaw_drop_m` metres (the mouth's opening)."""
    points = np.asarray(vertices, np.float64) * float(scale)
    if jaw_drop_m > 0:
        below = np.clip((JAW_Y * scale - points[:, 1]) / JAW_SPAN, 0.0, 1.0)
        points = points.copy()
        points[:, 1] -= jaw_drop_m * below
    return points


def face_scale(landmarks: np.ndarray | None, pose: np.ndarray, camera: Intrinsics, transform: np.ndarray) -> float:
    """How much bigger the face mesh finds the face (forehead to chin, crop pixels) than the canonical head at the
    tracked pose; 1 without landmarks."""
    from pipeline.track.canonical import CANONICAL_LANDMARKS

    if landmarks is None:
        return 1.0
    p = np.asarray(pose, np.float64)
    ends = np.array([CANONICAL_LANDMARKS[10], CANONICAL_LANDMARKS[152]]) @ p[:3, :3].T + p[:3, 3]
    predicted = _to_crop(project(ends, camera), np.asarray(transform, np.float64))
    expected = float(np.linalg.norm(predicted[0] - predicted[1]))
    found = float(np.linalg.norm(np.asarray(landmarks)[10, :2] - np.asarray(landmarks)[152, :2]))
    if expected <= 1e-6:
        return 1.0
    return float(np.clip(found / expected, *FACE_SCALE_LIMITS))


class PersonSegmenter:
    """MediaPipe selfie segmentation: (H, W) float32 probability that a pixel is the person (hair included)."""

    def __init__(self) -> None:
        import mediapipe as mp

        from pipeline.track.solve import native_chatter_to_debug_log

        # MediaPipe's start-up chatter, printed as the graph starts and runs its first frame, goes to the debug log
        with native_chatter_to_debug_log():
            self._model = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
            self._model.process(np.zeros((64, 64, 3), np.uint8))

    def __call__(self, rgb8: np.ndarray) -> np.ndarray:
        result = self._model.process(np.ascontiguousarray(rgb8[..., :3]))
        return np.asarray(result.segmentation_mask, np.float32)

    def close(self) -> None:
        self._model.close()

    def __enter__(self) -> PersonSegmenter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def join_person(proxy: np.ndarray, person: np.ndarray, *, head_radius_px: float,
                chin_row: float | None = None) -> np.ndarray:
    """The head mask from the proxy's (0..1) and the person's segmentation (0..1), both of one crop: the person
    within HAIR_REACH of the proxy and above the chin (`chin_row`, the face mesh's, else the proxy's lowest row),
    plus the proxy's core; the proxy itself where the segmentation covers less than SEGMENTATION_AGREEMENT of it."""
    inside = proxy > 0.5
    if not inside.any() or float((person[inside] > 0.5).mean()) < SEGMENTATION_AGREEMENT:
        return proxy
    reach_px = max(1, int(round(HAIR_REACH * head_radius_px)))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach_px + 1, 2 * reach_px + 1))
    reach = cv2.dilate(inside.astype(np.uint8), disc) > 0
    chin = int(np.flatnonzero(inside.any(axis=1))[-1]) if chin_row is None else int(round(chin_row))
    reach[chin + 1:] = False  # the neck and shoulders are the person too, not the head
    core = cv2.erode(inside.astype(np.uint8), disc).astype(np.float32)
    return np.maximum(np.where(reach, person, 0.0), np.minimum(core, proxy)).astype(np.float32)
