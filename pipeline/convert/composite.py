"""Putting a swapped crop back into the plate: the exact inverse warp of the crop into the region it covers,
colour match inside the mask, motion blur along the head's image motion, mask erosion and feather, and the
premultiplied composite over the plate (in linear light, touching only the head's region), over the plate's own
face painted out where the face mesh found it (pipeline.convert.paintout).
"""
from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np

from pipeline.convert.blur import motion_blur
from pipeline.convert.colour import colour_match
from pipeline.convert.config import ConvertConfig
from pipeline.convert.paintout import PaintOut
from pipeline.media.image import linear_to_srgb, srgb_to_linear


# Matte (0..1) below which a put-back pixel's colour turns from the crop resampled premultiplied by its matte (the
# head's own colours) to the crop resampled as it is: where the matte barely reaches there is no head colour to
# take, and two resamplers (OpenCV's per-frame warp, the batched torch one) would disagree on a ratio of near-zeros.
STRAIGHT_BELOW = 0.05


@dataclasses.dataclass
class PutBack:
    """A swap placed into a region of interest of the plate: linear premultiplied colour, final and raw matte."""
    x0: int
    y0: int
    premult: np.ndarray   # (h, w, 3) linear, premultiplied by `alpha`
    alpha: np.ndarray     # (h, w) after erosion and feather
    mask: np.ndarray      # (h, w) the model's matte warped into the plate, before erosion
    paint: np.ndarray | None = None        # (h, w, 3) linear, premultiplied by `paint_alpha`: the plate's face
    paint_alpha: np.ndarray | None = None  # (h, w) painted out, under the swap (None: nothing painted)


def plate_roi(transform: np.ndarray, size: int, shape: tuple[int, int], margin: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the plate box holding the crop's footprint plus `margin` pixels, clipped to the plate."""
    corners = np.array([[0, 0, 1], [size - 1, 0, 1], [0, size - 1, 1], [size - 1, size - 1, 1]], np.float64)
    plate = (np.linalg.inv(transform) @ corners.T).T[:, :2]
    x0, y0 = np.floor(plate.min(0)).astype(int) - margin
    x1, y1 = np.ceil(plate.max(0)).astype(int) + margin + 1
    h, w = shape
    return max(0, x0), max(0, y0), min(w, x1), min(h, y1)


def face_box(transform: np.ndarray, size: int, shape: tuple[int, int]) -> list[float]:
    """Where the head is in the plate, for the player's loupe: the crop square's centre (x, y) and half side,
    as fractions of the plate's width and height (x, y) and width (half side)."""
    h, w = shape
    inverse = np.linalg.inv(np.asarray(transform, np.float64))
    centre = inverse @ np.array([size / 2.0, size / 2.0, 1.0])
    edge = inverse @ np.array([size, size / 2.0, 1.0])
    half = float(np.hypot(*(edge[:2] / edge[2] - centre[:2] / centre[2])))
    return [round(float(centre[0] / centre[2]) / w, 4), round(float(centre[1] / centre[2]) / h, 4), round(half / w, 4)]


def put_back(plate: np.ndarray, rgb: np.ndarray, mask: np.ndarray, transform: np.ndarray, *, config: ConvertConfig,
             motion: np.ndarray, linear: bool, match: bool = True, reference: np.ndarray | None = None,
             paint: PaintOut | None = None, paint_weight: float = 1.0) -> PutBack | None:
    """Warp a swapped crop (display values when the plate is, like the model's input) into the plate and
    prepare it for the composite: colour match, motion blur, erosion, feather. None if it misses the plate.
    `reference` is the model's reconstruction of the plate's person from the same crop (colour matches that
    need one); `paint` the plate's face filled (pipeline.convert.paintout), laid under the swap at
    `paint_weight` (the swap's own fade in and out)."""
    from pipeline.stabilize.crop import unstabilize

    size = rgb.shape[0]
    blur = math.hypot(*motion) if config.motion_blur else 0.0
    margin = int(math.ceil(config.erode_px + 3 * config.feather_px + blur)) + 2
    x0, y0, x1, y1 = plate_roi(transform, size, plate.shape[:2], margin)
    if x1 <= x0 or y1 <= y0:
        return None
    shift = np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1]], np.float64)
    local = transform @ shift  # region-of-interest pixels -> crop pixels
    shape = (y1 - y0, x1 - x0)
    # Resampled premultiplied by the matte: a crop is a few times coarser than the plate it goes back into (a 64²
    # crop over a 250-pixel head on the real talking clip), so resampling its colour as it is mixes the crop
    # pixels beside the matte's edge, where the model paints the actor's own backdrop, into the head's edge: a
    # ring of that backdrop around the head (tests/pipeline/convert/test_edge.py: 0.33 of it, now 0.13). Where
    # the matte is uniform (a soft matte over the background) the colour is the same either way. On the real
    # shots of tests/bench/bench_real_eval the matte's edge lies on dark hair and this moves at most 6 of 255
    # levels: their visible edge is the 64² swap's blur and the actor's head outline, not this ring.
    weight = np.clip(unstabilize(mask, local, shape), 0.0, None)
    colour = ((unstabilize(rgb * mask[..., None], local, shape) + STRAIGHT_BELOW * unstabilize(rgb, local, shape))
              / (weight + STRAIGHT_BELOW)[..., None])
    matte = np.clip(weight, 0.0, 1.0)
    under = plate[y0:y1, x0:x1, :3]
    if match:
        rebuilt = None if reference is None else unstabilize(reference, local, shape)
        colour = colour_match(config.colour_match, colour, under, matte > 0.5, rebuilt)
    if not linear:
        colour = srgb_to_linear(np.clip(colour, 0.0, 1.0)).astype(np.float32)
    premult, alpha = colour * matte[..., None], matte
    if blur > 0:
        premult, alpha = motion_blur(premult, motion), motion_blur(alpha, motion)
    final = alpha
    if config.erode_px > 0:
        k = 2 * config.erode_px + 1
        final = cv2.erode(final, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    if config.feather_px > 0:
        final = cv2.GaussianBlur(final, (0, 0), config.feather_px)
    straight = premult / np.maximum(alpha, 1e-6)[..., None]
    back = PutBack(x0, y0, (straight * final[..., None]).astype(np.float32), final.astype(np.float32), matte)
    if paint is not None and paint_weight > 0:
        local_paint = paint.transform @ shift
        # only where the model's matte does not reach: under the swap's own soft edge the plate's face is what the
        # edge blends with (a fill there, the backdrop drawn up beside the neck, rimmed the synthetic pirouette's
        # heads: 0.3 dB against the truth)
        weight = (np.clip(unstabilize(paint.weight, local_paint, shape), 0.0, 1.0) * (1.0 - matte)
                  * np.float32(paint_weight))
        fill = np.clip(unstabilize(paint.fill, local_paint, shape), 0.0, None)
        if not linear:
            fill = srgb_to_linear(np.clip(fill, 0.0, 1.0)).astype(np.float32)
        back.paint, back.paint_alpha = (fill * weight[..., None]).astype(np.float32), weight.astype(np.float32)
    return back


def composite(plate_linear: np.ndarray, back: PutBack | None) -> np.ndarray:
    """The swap over the plate (both linear): premultiplied over, the plate's face painted out under it."""
    out = np.array(plate_linear[..., :3], np.float32, copy=True)
    if back is not None:
        h, w = back.alpha.shape
        region = out[back.y0:back.y0 + h, back.x0:back.x0 + w]
        if back.paint is not None:
            region *= 1.0 - back.paint_alpha[..., None]
            region += back.paint
        region *= 1.0 - back.alpha[..., None]
        region += back.premult
    return out


def composite_display(plate: np.ndarray, back: PutBack | None, *, linear: bool, copy: bool = True) -> np.ndarray:
    """The composite in the plate's own encoding; only the swap's region goes through linear light, so the
    rest of the frame is the plate untouched (and a 1080p frame costs a head-sized conversion). With
    `copy=False` the plate's own array (float32) is overwritten."""
    out = np.array(plate[..., :3], np.float32, copy=True) if copy else plate[..., :3]
    if back is not None:
        h, w = back.alpha.shape
        region = out[back.y0:back.y0 + h, back.x0:back.x0 + w]
        mixed = composite(region if linear else srgb_to_linear(region), dataclasses.replace(back, x0=0, y0=0))
        region[...] = mixed if linear else linear_to_srgb(np.clip(mixed, 0.0, None))
    return out
