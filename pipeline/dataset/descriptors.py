"""What a crop shows, as numbers a rule can name: pose, mouth, teeth, eyes, sharpness, motion, light.

Where the MediaPipe face mesh reads the face (`face_found`, with its attention model for lips, eyes and irises:
`refine_landmarks`, 478 points), mouth, teeth and eyes are read from the mesh (`mesh_measures`):

- mouth_open: the gap between the inner lips (five pairs of landmarks) over the nose's length (bridge to
  base, about 48 mm, a length neither the jaw nor a turn of the head changes), in units of 25 mm: 0 closed,
  about 0.2-0.5 talking, 1 and more screaming. The lips are apart from MOUTH_OPEN_AT. Where the mesh's inner
  lips close over a mouth that is open (a wide scream seen from below: the actor's frontal camera of the real
  multiview clips read 0.09-0.16 on three such frames, in the faceset's 64² crops and at 256² alike), the
  mouth's dark inside says so: the pixels inside the outer-lip outline darker than MOUTH_DARK of the nose
  bridge, over the mouth's width as an ellipse's height, times INTERIOR_SCALE, and mouth_open is the larger
  of the two (those frames 0.5-0.8; closed, smiling and talking mouths show almost none: 0.00-0.14).
- mouth_inside: that dark inside alone (how much of the mouth's inside shows, mouth_open's units): a talking
  mouth's gap and a scream's under-read gap can both read 0.4-0.5, their insides 0.1 and 0.5.
- teeth_visible: pixels inside the inner-lip polygon the mesh outlines that are bright and no more saturated
  than the skin of the nose bridge (teeth under any light are that; lips and the mouth's inside are darker
  or redder), more than TEETH_MIN_AREA of the nose's length squared.
- eyes_closed: the eyelids' gap over the eye's width (the eye nearer the camera) against the person's own
  open eye (`eye_openness` of the source's open frames, `eye_baseline`; EYE_OPEN_RATIO without one):
  0 open .. 1 closed, closed from 0.5. On a turned head (the far eye under EYE_WIDTH_RATIO of the near one's
  width, `eyes_turned`) the near eye alone is read, closed from EYE_CLOSED_AT_TURNED of the open eye: seen
  three-quarter, the mesh's lids close only part of the way (a shut eye reads 0.55-0.8 of the open one on the
  multiview footage, an open one 0.97 and more). Unmeasured (None) nearer profile (far eye under
  EYE_TURNED_RATIO): there the near eye's lids follow a smile's squint as much as a closing eye.

The labelled set of real frames these were chosen on (precision and recall of each >= 0.9, footage frames in
`python -m tests.bench descriptors`, package photographs in tests/pipeline/dataset/test_face_mesh.py) says why
each constant is what it is.

Where the mesh finds no face (three-quarter views, blur, synthetic heads it cannot read), the regions come from
the 3D head pose instead: a stabilized crop is cut from it (centred on the skull, a fixed physical radius
spanning half the crop, de-rolled), so any point of the head lands at a position the pose predicts, and the
measures are image measures inside those regions:

- mouth_open: height of the lips' opening (dark interior or teeth) over 25 mm: 0 closed, about 0.5
  talking, 1 wide open. Unmeasured (None) where the mouth faces away.
- teeth_visible: bright, low-saturation pixels inside the opening (relative to the face's own skin).
- eyes_closed: 1 - share of eye white in the more open visible eye; unmeasured beyond 45 degrees.
- sharpness: variance of the Laplacian of the face region (grey, 0..1 values, times 1000).
- motion_blur: how far the head moves in the crop per frame (pixels), from the track.
- brightness: mean display value of the face region, 0..1; key_light_deg: direction the key light comes
  from in the crop (0 image right, 90 above, 180 left, -90 below) from the shading gradient;
  key_contrast: strength of that gradient over the brightness.

`DESCRIPTORS` is the registry of names rules may use (plus "yaw", "pitch", "roll").
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import cv2
import numpy as np

from pipeline.geometry import Intrinsics, project


@dataclasses.dataclass(frozen=True)
class Descriptor:
    name: str
    kind: str  # "number" | "bool"
    help: str


DESCRIPTORS: dict[str, Descriptor] = {d.name: d for d in (
    Descriptor("yaw", "number", "head yaw in degrees, -180..180 (0 facing the lens, + nose towards image right)"),
    Descriptor("pitch", "number", "head pitch in degrees (+ nose down)"),
    Descriptor("roll", "number", "head roll in degrees"),
    Descriptor("face_found", "bool", "the MediaPipe face mesh found the face in the crop"),
    Descriptor("mouth_visible", "bool", "the mouth faces the camera (within 80 degrees)"),
    Descriptor("mouth_open", "number", "opening between the lips over 25 mm (0 closed, ~0.5 talking, 1 wide open)"),
    Descriptor("mouth_inside", "number", "the mouth's dark inside as an opening, mouth_open's units (face mesh: "
                                         "talking 0-0.15, a scream 0.5 and more)"),
    Descriptor("teeth_visible", "bool", "teeth show between the lips"),
    Descriptor("eyes_closed", "number", "0 eyes open .. 1 closed"),
    Descriptor("eye_openness", "number", "eyelid gap over eye width of the nearer eye (face mesh; None without)"),
    Descriptor("eyes_turned", "bool", "the head is turned so far that the nearer eye alone is read (face mesh)"),
    Descriptor("sharpness", "number", "variance of the Laplacian of the face region x1000 (low = blurred)"),
    Descriptor("motion_blur", "number", "head motion in crop pixels per frame"),
    Descriptor("brightness", "number", "mean display value of the face region, 0..1"),
    Descriptor("key_light_deg", "number", "where the key light comes from in the crop: 0 right, 90 above"),
    Descriptor("key_contrast", "number", "strength of the shading gradient over the brightness"),
)}

# Regions on the head, metres in the head frame (origin skull centre, +Y up, +Z out of the nose), sampled
# as small rectified patches. The face surface is approximated by z = z0 - curve * x^2.
MOUTH_CENTRE = (0.0, -0.070)
MOUTH_BOX = (-0.032, 0.032, -0.020, 0.020)  # x0, x1, y0, y1 around the centre
MOUTH_OPEN_FULL = 0.025  # metres between the lips of a wide open mouth (mouth_open = 1)
MOUTH_Z, FACE_CURVE = 0.094, 16.0
EYE_CENTRES = ((-0.033, 0.020), (0.033, 0.020))
EYE_BOX = (0.018, 0.010)  # half width, half height
EYE_Z = 0.082
TEETH_MIN_PX = 6  # teeth pixels (at PATCH_PX_PER_M) for teeth to count as visible
PATCH_PX_PER_M = 800.0  # resolution of the rectified patches (0.04 m -> 32 px)
FACING_LIMIT_DEG = 80.0
EYE_FACING_LIMIT_DEG = 45.0  # an eye turned farther shows too little of its white to judge
# Face-mesh landmarks (MediaPipe 468 indices) used to refine the regions.
INNER_LIPS = (13, 14, 78, 308)
EYE_CORNERS = ((33, 133), (362, 263))

# The face mesh's own measures (MediaPipe face mesh with refine_landmarks: 478 points).
MESH_POINTS = 478
INNER_LIP_POLYGON = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)
LIP_GAPS = ((82, 87), (13, 14), (312, 317), (81, 178), (311, 402))  # upper and lower inner lip, left to right
OUTER_LIP_POLYGON = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185)
MOUTH_CORNERS = (61, 291)
NOSE = (168, 2)  # bridge between the eyes, base of the nose
NOSE_BRIDGE = (197, 195, 5)  # skin no beard or make-up covers: the teeth's reference
EYE_LIDS = (((33, 133), ((160, 144), (159, 145), (158, 153))),  # (corners, upper-lower lid pairs) of each eye
            ((263, 362), ((385, 380), (386, 374), (387, 373))))
NOSE_MM = 48.0  # the nose's length on an adult (bridge to base): mouth_open in units of MOUTH_OPEN_FULL
# Chosen on the labelled set: lips apart from a gap of 0.09 nose lengths (closed read <= 0.08, parted >= 0.09).
MOUTH_OPEN_AT = 0.09 * NOSE_MM / (MOUTH_OPEN_FULL * 1000.0)
# The mouth's inside: value below this share of the nose bridge's. Its dark area read as an ellipse across the
# mouth's corners is about half the opening's height (teeth, tongue and the inner lips take the rest): over the
# multiview clips' screams whose inner lips the mesh finds apart (gap 0.7-1.6), the gap is 1.7-4.7 times it
# (median 2.4), so twice it stays under the gap where the gap is read and lifts the screams it misses.
MOUTH_DARK = 0.45
INTERIOR_SCALE = 2.0
TEETH_BRIGHTER = 0.7  # teeth pixels: value above this share of the nose bridge's ...
TEETH_SATURATION = 1.0  # ... and saturation below this share of it
TEETH_MIN_AREA = 0.006  # teeth pixels over the nose's length squared for teeth to count as seen
EYE_OPEN_RATIO = 0.28  # eyelid gap over eye width of an open eye, when the person's own is not known
EYE_CLOSED_AT = 0.45  # openness below this share of the person's open eye: closed (eyes_closed 0.5)
EYE_WIDTH_RATIO = 0.7  # far eye's width over the near one's below which the near eye alone is read
EYE_TURNED_RATIO = 0.4  # ... and below which the eyes are not measured (near profile)
EYE_CLOSED_AT_TURNED = 0.88  # on a turned head: openness below this share of the open eye is closed


def face_direction(yaw_deg: np.ndarray, pitch_deg: np.ndarray) -> np.ndarray:
    """Unit vectors (N, 3) where the face points, in the camera frame: the pose on the sphere, so yaw wraps
    around and distances between poses are angles."""
    yaw, pitch = np.radians(np.asarray(yaw_deg, np.float64)), np.radians(np.asarray(pitch_deg, np.float64))
    # R = Ry(yaw) Rx(pitch) applied to +Z (roll leaves +Z alone)
    return np.stack([np.sin(yaw) * np.cos(pitch), -np.sin(pitch), np.cos(yaw) * np.cos(pitch)], axis=-1)


def wrap_degrees(angle: np.ndarray | float) -> np.ndarray:
    """Angles in (-180, 180]."""
    a = np.asarray(angle, np.float64)
    return 180.0 - np.mod(180.0 - a, 360.0)


@dataclasses.dataclass(frozen=True)
class CropGeometry:
    """How head-frame points land in a crop: the head pose (4x4 head -> camera), the camera, and the crop's
    3x3 plate -> crop transform (as stabilize cut it)."""

    pose: np.ndarray
    intrinsics: Intrinsics
    transform: np.ndarray

    def project(self, points: np.ndarray) -> np.ndarray:
        """Head-frame points (..., 3) -> crop pixels (..., 2)."""
        p = np.asarray(points, np.float64)
        cam = p @ self.pose[:3, :3].T + self.pose[:3, 3]
        uv = project(cam, self.intrinsics)
        m = self.transform
        return np.stack([m[0, 0] * uv[..., 0] + m[0, 1] * uv[..., 1] + m[0, 2],
                         m[1, 0] * uv[..., 0] + m[1, 1] * uv[..., 1] + m[1, 2]], axis=-1)

    def facing(self, normal: tuple[float, float, float], at: tuple[float, float, float]) -> float:
        """Cosine between a head-frame direction `normal` at head point `at` and the direction to the camera."""
        where = self.pose[:3, :3] @ np.asarray(at, np.float64) + self.pose[:3, 3]
        direction = self.pose[:3, :3] @ np.asarray(normal, np.float64)
        return float(direction @ -where / (np.linalg.norm(direction) * np.linalg.norm(where)))

    @property
    def px_per_m(self) -> float:
        """Crop pixels per metre at the skull centre."""
        depth = max(-float(self.pose[2, 3]), 1e-6)
        return float(np.sqrt(abs(np.linalg.det(self.transform[:2, :2]))) * self.intrinsics.focal_px / depth)


def _patch(image: np.ndarray, geometry: CropGeometry, box: tuple[float, float, float, float], z0: float,
           centre: tuple[float, float], shift_px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The head-surface rectangle `box` (metres, around `centre`) resampled to a frontal patch, and which
    of its columns face the camera (within FACING_LIMIT_DEG: the others are silhouette or background)."""
    x0, x1, y0, y1 = box
    w = max(4, int(round((x1 - x0) * PATCH_PX_PER_M)))
    h = max(4, int(round((y1 - y0) * PATCH_PX_PER_M)))
    xs = centre[0] + np.linspace(x0, x1, w)
    ys = centre[1] + np.linspace(y1, y0, h)  # top row first
    gx, gy = np.meshgrid(xs, ys)
    gz = z0 - FACE_CURVE * (gx - centre[0]) ** 2
    uv = (geometry.project(np.stack([gx, gy, gz], axis=-1)) + shift_px).astype(np.float32)
    patch = cv2.remap(image, uv[..., 0], uv[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    limit = math.cos(math.radians(FACING_LIMIT_DEG))
    visible = np.array([geometry.facing((2 * FACE_CURVE * (x - centre[0]), 0.0, 1.0), (x, centre[1], z0)) > limit
                        for x in xs])
    return patch, visible


def _hsv(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.clip(rgb, 0, 1).astype(np.float32), cv2.COLOR_RGB2HSV)  # H 0..360, S, V 0..1


def _mouth(patch: np.ndarray, visible: np.ndarray) -> tuple[float, bool]:
    """Opening (over MOUTH_OPEN_FULL) and teeth, from a rectified mouth patch (rows top to bottom), using only the
    columns that face the camera."""
    hsv = _hsv(patch)
    s, v = hsv[..., 1], hsv[..., 2]
    h, w = v.shape
    edge_rows = np.r_[0:2, h - 2:h]
    skin_v = float(np.median(v[edge_rows][:, visible])) if visible.any() else float(np.median(v))
    skin_s = float(np.median(s[edge_rows][:, visible])) if visible.any() else float(np.median(s))
    dark = v < 0.65 * skin_v
    teeth = (v > 0.9 * skin_v) & (s < 0.5 * max(skin_s, 0.1))
    columns = np.arange(w)
    core = visible & (columns >= int(w * 0.3)) & (columns <= int(w * 0.7))
    if not core.any():
        return 0.0, False
    opening = (dark | teeth)[:, visible]
    # an opening between the lips is surrounded by face: rows whose dark pixels reach the side of the
    # visible face are background beyond the silhouette (a near-profile), not a mouth
    enclosed = ~(opening[:, 0] | opening[:, -1])
    rows = ((dark | teeth)[:, core].mean(axis=1) > 0.4) & enclosed
    height_m = _longest_inner_run(rows) / PATCH_PX_PER_M
    inner = visible & (columns >= int(w * 0.15)) & (columns <= int(w * 0.85))
    teeth_pixels = int(teeth[2:-2][:, inner].sum())
    return height_m / MOUTH_OPEN_FULL, teeth_pixels >= TEETH_MIN_PX


def _longest_inner_run(rows: np.ndarray) -> int:
    """Length of the longest run of True rows that touches neither edge of the patch (a run reaching the
    edge is background or the chin's shadow, not an opening between the lips)."""
    best, start = 0, None
    for i, flag in enumerate(np.append(rows, False)):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if start > 0 and i < len(rows):
                best = max(best, i - start)
            start = None
    return best


def _eyes_closed(patches: list[np.ndarray]) -> float:
    """1 - share of eye white in the more open of the visible eyes, against a fully open eye's share (a
    blink closes both; an eye turned towards the silhouette shows little white even when open)."""
    shares = []
    for patch in patches:
        hsv = _hsv(patch)
        skin_s = float(np.median(np.concatenate([hsv[0, :, 1], hsv[-1, :, 1]])))
        skin_v = float(np.median(np.concatenate([hsv[0, :, 2], hsv[-1, :, 2]])))
        white = (hsv[..., 1] < 0.5 * max(skin_s, 0.1)) & (hsv[..., 2] > 0.8 * skin_v)
        shares.append(white.mean())
    open_share = 0.12  # eye white over the eye box when wide open
    return float(np.clip(1.0 - max(shares) / open_share, 0.0, 1.0))


def face_region(size: int) -> np.ndarray:
    """Boolean mask of the central disc of a crop where the face is (half the crop's radius)."""
    yy, xx = np.mgrid[0:size, 0:size]
    c = (size - 1) / 2.0
    return (xx - c) ** 2 + (yy - c) ** 2 <= (0.5 * size / 2.0) ** 2


def light_measures(display: np.ndarray) -> dict[str, float]:
    """Brightness, key-light direction and contrast of the face region from its shading gradient."""
    size = display.shape[0]
    grey = display[..., :3].mean(axis=2) if display.ndim == 3 else display
    mask = face_region(size)
    yy, xx = np.nonzero(mask)
    values = grey[mask].astype(np.float64)
    c = (size - 1) / 2.0
    design = np.stack([np.ones_like(values), (xx - c) / size, (c - yy) / size], axis=1)
    coef, *_ = np.linalg.lstsq(design, values, rcond=None)
    brightness = float(values.mean())
    return {"brightness": brightness, "key_light_deg": float(math.degrees(math.atan2(coef[2], coef[1]))),
            "key_contrast": float(math.hypot(coef[1], coef[2]) / max(brightness, 1e-3))}


def sharpness(display: np.ndarray) -> float:
    grey = display[..., :3].mean(axis=2) if display.ndim == 3 else display
    lap = cv2.Laplacian(grey.astype(np.float32), cv2.CV_32F)
    return float(lap[face_region(grey.shape[0])].var() * 1000.0)


def landmark_shift(landmarks: np.ndarray | None, geometry: CropGeometry, point: tuple[float, float, float],
                   ids: tuple[int, ...], limit_m: float = 0.012) -> np.ndarray:
    """Pixels by which the face mesh moves a predicted region (zero without landmarks or when they disagree
    with the pose by more than `limit_m`: then the pose is trusted)."""
    if landmarks is None:
        return np.zeros(2)
    predicted = geometry.project(np.array(point))
    found = np.asarray(landmarks, np.float64)[list(ids)].mean(axis=0)
    shift = found - predicted
    return shift if np.hypot(*shift) <= limit_m * geometry.px_per_m else np.zeros(2)


def _distance(points: np.ndarray, a: int, b: int) -> float:
    return float(np.hypot(*(points[a] - points[b])))


def mesh_measures(rgb: np.ndarray, landmarks: np.ndarray, *, eye_baseline: float | None = None) -> dict[str, Any]:
    """mouth_open, teeth_visible, eye_openness and eyes_closed of the face whose refined face-mesh landmarks
    ((478, 2) pixels) are `landmarks` in `rgb` (display-encoded, float 0..1 or uint8); see the module's docstring.
    `eye_baseline` is the person's open-eye openness (default EYE_OPEN_RATIO)."""
    points = np.asarray(landmarks, np.float64)[:, :2]
    nose = max(_distance(points, *NOSE), 1e-6)
    gap = float(np.mean([_distance(points, a, b) for a, b in LIP_GAPS])) / nose
    image = np.asarray(rgb)
    image8 = image if image.dtype == np.uint8 else np.clip(image[..., :3] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    hsv = cv2.cvtColor(np.ascontiguousarray(image8[..., :3]), cv2.COLOR_RGB2HSV_FULL).astype(np.float32) / 255.0
    h, w = hsv.shape[:2]
    mouth = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mouth, [np.round(points[list(INNER_LIP_POLYGON)]).astype(np.int32)], 1)
    bridge = np.zeros((h, w), np.uint8)
    for k in NOSE_BRIDGE:
        cv2.circle(bridge, tuple(int(v) for v in np.round(points[k])), max(1, int(0.08 * nose)), 1, -1)
    teeth = interior = 0.0
    if mouth.any() and bridge.any():
        skin_s, skin_v = (float(np.median(hsv[..., c][bridge > 0])) for c in (1, 2))
        inside = hsv[mouth > 0]
        teeth = float(np.sum((inside[:, 2] > TEETH_BRIGHTER * skin_v) & (inside[:, 1] < TEETH_SATURATION * skin_s)))
        interior = _mouth_interior(hsv, points, nose, skin_v)
    widths = [_distance(points, *corners) for corners, _ in EYE_LIDS]
    near = int(np.argmax(widths))
    corners, lids = EYE_LIDS[near]
    openness = float(np.mean([_distance(points, a, b) for a, b in lids])) / max(widths[near], 1e-6)
    eyes_closed, turned = None, None
    if min(widths) >= EYE_TURNED_RATIO * max(widths):
        turned = bool(min(widths) < EYE_WIDTH_RATIO * max(widths))
        eyes_closed = eyes_closed_from(openness / (eye_baseline or EYE_OPEN_RATIO), turned=turned)
    units = NOSE_MM / (MOUTH_OPEN_FULL * 1000.0)
    return {"mouth_open": max(gap, INTERIOR_SCALE * interior) * units,
            "mouth_inside": INTERIOR_SCALE * interior * units,
            "teeth_visible": bool(teeth / nose ** 2 >= TEETH_MIN_AREA),
            "eye_openness": openness if eyes_closed is not None else None, "eyes_closed": eyes_closed,
            "eyes_turned": turned}


def _mouth_interior(hsv: np.ndarray, points: np.ndarray, nose: float, skin_v: float) -> float:
    """The height, in nose lengths, of an ellipse across the mouth's corners as large as the dark inside of the
    outer-lip outline (value below MOUTH_DARK of the nose bridge's `skin_v`)."""
    outline = np.zeros(hsv.shape[:2], np.uint8)
    cv2.fillPoly(outline, [np.round(points[list(OUTER_LIP_POLYGON)]).astype(np.int32)], 1)
    dark = float(np.sum((hsv[..., 2] < MOUTH_DARK * skin_v) & (outline > 0))) / nose ** 2
    width = _distance(points, *MOUTH_CORNERS) / nose
    return dark / (math.pi / 4.0 * max(width, 1e-6))


def eyes_closed_from(share: float, *, turned: bool = False) -> float:
    """eyes_closed (0 open .. 1 closed, 0.5 at EYE_CLOSED_AT) from the eye's openness over the person's open eye;
    on a turned head 0.5 at EYE_CLOSED_AT_TURNED and 0 at the open eye (its lids' range is that narrow)."""
    if turned:
        return float(np.clip(0.5 + (EYE_CLOSED_AT_TURNED - share) / (2 * (1 - EYE_CLOSED_AT_TURNED)), 0.0, 1.0))
    return float(np.clip(0.5 + (EYE_CLOSED_AT - share) / (2 * EYE_CLOSED_AT), 0.0, 1.0))


def rebase_eyes(entries: list[dict[str, Any]], *, open_percentile: float = 90.0, least: int = 10) -> None:
    """Re-read eyes_closed of one person's crops (one source) against that person's own open eye: the
    `open_percentile` of their eye_openness (eyes are open most of the time), once `least` crops measure it.
    Eyes differ from one person to the next more than an open eye from a half-closed one."""
    measured = [e for e in entries if e["descriptors"].get("eye_openness") is not None]
    if len(measured) < least:
        return
    baseline = float(np.percentile([e["descriptors"]["eye_openness"] for e in measured], open_percentile))
    for entry in measured:
        entry["descriptors"]["eyes_closed"] = eyes_closed_from(entry["descriptors"]["eye_openness"] / baseline,
                                                               turned=bool(entry["descriptors"].get("eyes_turned")))


MESH_SIDE = 256  # crops smaller than this are upscaled before the face mesh reads them (its detector wants ~256 px)


def crop_landmarks(landmarker: Any, crop: np.ndarray, *, linear: bool = False) -> np.ndarray | None:
    """The face mesh's landmarks (pipeline.track.solve.Landmarker) of a crop, in the crop's pixels, the crop
    upscaled to about MESH_SIDE first when smaller; None where it finds no face."""
    from pipeline.track.solve import to_rgb8

    factor = max(1, int(np.ceil(MESH_SIDE / crop.shape[0])))
    rgb8 = to_rgb8(crop, linear=linear)
    if factor > 1:
        rgb8 = cv2.resize(rgb8, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    points = landmarker(rgb8)
    return None if points is None else points / factor


def measure_crop(display: np.ndarray, geometry: CropGeometry, *, landmarks: np.ndarray | None = None,
                 motion_px: float = 0.0) -> dict[str, Any]:
    """Descriptors of one crop (display-encoded RGB, float 0..1) cut at `geometry`'s pose: from the face mesh
    where `landmarks` are its refined 478 points, from the pose's regions otherwise."""
    rgb = display[..., :3] if display.ndim == 3 else np.repeat(display[..., None], 3, axis=2)
    rgb = np.ascontiguousarray(rgb, dtype=np.float32)
    out: dict[str, Any] = {"face_found": landmarks is not None, "motion_blur": float(motion_px),
                           "sharpness": sharpness(rgb), **light_measures(rgb)}
    mouth_centre = (*MOUTH_CENTRE, MOUTH_Z)
    mouth_facing = geometry.facing((0.0, -0.3, 1.0), mouth_centre) > math.cos(math.radians(FACING_LIMIT_DEG))
    out["mouth_visible"] = bool(mouth_facing)
    if mouth_facing:
        shift = landmark_shift(landmarks, geometry, mouth_centre, INNER_LIPS)
        patch, visible = _patch(rgb, geometry, MOUTH_BOX, MOUTH_Z, MOUTH_CENTRE, shift)
        out["mouth_open"], out["teeth_visible"] = _mouth(patch, visible)
    else:
        out["mouth_open"], out["teeth_visible"] = None, None
    patches = []
    for (ex, ey), corners in zip(EYE_CENTRES, EYE_CORNERS):
        if geometry.facing((0.0, 0.2, 1.0), (ex, ey, EYE_Z)) > math.cos(math.radians(EYE_FACING_LIMIT_DEG)):
            shift = landmark_shift(landmarks, geometry, (ex, ey, EYE_Z), corners)
            hw, hh = EYE_BOX
            patches.append(_patch(rgb, geometry, (-hw, hw, -hh, hh), EYE_Z, (ex, ey), shift)[0])
    out["eyes_closed"] = _eyes_closed(patches) if patches else None
    out["eye_openness"], out["eyes_turned"], out["mouth_inside"] = None, None, None
    if landmarks is not None and len(landmarks) >= MESH_POINTS:
        mesh = mesh_measures(rgb, landmarks)
        if out["mouth_visible"]:
            out["mouth_open"], out["teeth_visible"] = mesh["mouth_open"], mesh["teeth_visible"]
            out["mouth_inside"] = mesh["mouth_inside"]
        if mesh["eyes_closed"] is not None:
            out["eyes_closed"], out["eye_openness"] = mesh["eyes_closed"], mesh["eye_openness"]
            out["eyes_turned"] = mesh["eyes_turned"]
    return out
