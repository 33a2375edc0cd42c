"""Painting the plate's own face out where the swap does not cover it.

The swap covers the actor's head as the model draws it, not the dancer's: where the two differ in shape or the
actor's material was filmed from another angle, the dancer's face shows past the swap's edge. On the real talking
clip (tests/bench/bench_real_eval) the rigid variant takes actor frames filmed 30° from below, where his chin sits
higher in the crop than the level plate's: the plate's lips and chin showed beneath the actor's beard on every
frontal frame, a second mouth talking under the first.

Where the face mesh finds the plate's face, its outline (the hull of the mesh's points, grown by `MARGIN` of the
face's height for the jaw's edge and shadow) is filled with what lies below it in the head's own frame, the crop's
columns: the neck drawn up under the swap (at the face's sides, what lies beside the neck there). A fill from all
around (push-pull of the surroundings) drew a pale patch of the backdrop under the chin instead. The fill is a
layer of its own under the swap: the composite is plate, fill, swap, each over the last, so moving the swap (the
comp's head fit) does not move the fill, and the swap pass carries it as paint.R/G/B/A.
"""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from pipeline.dataset.descriptors import MESH_SIDE  # the side the face mesh reads the head's crop at

MARGIN = 0.05    # of the face's height, the outline is grown by: the jaw's edge and its shadow lie past the mesh
SAMPLE = 0.05    # of the face's height, below the outline, whose median colour is drawn up each column
MIN_FACE = 0.15  # of the crop's side, the least face height taken as the plate's face (smaller: a false find)


@dataclasses.dataclass(frozen=True)
class PaintOut:
    """The plate with its face filled, in a crop of its own: `transform` maps plate pixels to the crop."""
    transform: np.ndarray  # (3, 3) plate pixels -> crop pixels
    fill: np.ndarray       # (S, S, 3) the plate's encoding, the face filled
    weight: np.ndarray     # (S, S) 0..1, where the fill replaces the plate (soft edge)


class PlateFaces:
    """The face mesh on the plate's head crop, read at MESH_SIDE whatever the model's crop size."""

    def __init__(self, *, linear: bool):
        from pipeline.track.solve import Landmarker

        self.linear = linear
        self._mesh = Landmarker(mode="static")

    def paint_out(self, plate: np.ndarray, transform: np.ndarray, size: int) -> PaintOut | None:
        """The fill for `plate` (H, W, 3+, the plate's encoding) whose head crop of side `size` is cut by
        `transform`; None where the mesh finds no face of the head's size."""
        from pipeline.stabilize.crop import stabilize_frame
        from pipeline.track.solve import to_rgb8

        scale = np.diag([MESH_SIDE / size, MESH_SIDE / size, 1.0])
        big = scale @ np.asarray(transform, np.float64)
        crop = stabilize_frame(plate[..., :3], big, MESH_SIDE)
        points = self._mesh(to_rgb8(crop, linear=self.linear))
        if points is None:
            return None
        inside = stabilize_frame(np.ones(plate.shape[:2], np.float32), big, MESH_SIDE) > 0.999
        painted = face_fill(crop, points, inside)
        return None if painted is None else PaintOut(big, *painted)

    def close(self) -> None:
        self._mesh.close()


def face_fill(crop: np.ndarray, points: np.ndarray, inside: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(fill, weight) of a head crop (S, S, 3) whose face mesh found `points` (K, 2 crop pixels): the face's
    outline filled column by column with the median colour just below it. `inside` (S, S bool) marks the crop's
    pixels on the plate (past its edge there is no colour to take). None for a face smaller than MIN_FACE."""
    side = crop.shape[0]
    hull = cv2.convexHull(np.asarray(points, np.float32))[:, 0]
    height = float(np.ptp(hull[:, 1]))
    if height < MIN_FACE * side:
        return None
    hole = np.zeros((side, side), np.uint8)
    cv2.fillPoly(hole, [np.round(hull).astype(np.int32)], 1)
    grow = max(1, int(round(MARGIN * height)))
    hole = cv2.dilate(hole, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))) > 0
    colours = _below(crop, hole, inside, max(1, int(round(SAMPLE * height))))
    if colours is None:
        return None
    # a column's colour alone streaks the fill with the neck's texture: smoothed across columns
    colours = cv2.GaussianBlur(colours[None], (0, 0), sigmaX=grow / 2, sigmaY=0.1)[0]
    fill = np.where(hole[..., None], colours[None], crop).astype(np.float32)
    weight = cv2.GaussianBlur(hole.astype(np.float32), (0, 0), grow / 2)
    return fill, weight


def _below(crop: np.ndarray, hole: np.ndarray, inside: np.ndarray, rows: int) -> np.ndarray | None:
    """(S, 3) per crop column, the median colour of the `rows` pixels below the hole's lowest one (interpolated
    across columns where there are none: the hole reaches the crop's or the plate's edge); None if no column has."""
    side = crop.shape[0]
    has = hole.any(axis=0)
    lowest = side - 1 - np.argmax(hole[::-1], axis=0)
    ys = lowest[:, None] + 1 + np.arange(rows)[None]            # (S, rows)
    xs = np.broadcast_to(np.arange(side)[:, None], ys.shape)
    valid = has[:, None] & (ys < side)
    ys = np.minimum(ys, side - 1)
    valid &= inside[ys, xs] & ~hole[ys, xs]
    samples = np.where(valid[..., None], crop[ys, xs], np.nan)  # (S, rows, 3)
    known = valid.any(axis=1)
    if not known.any():
        return None
    columns = np.arange(side)
    median = np.nanmedian(samples[known], axis=1)
    return np.stack([np.interp(columns, columns[known], median[:, c]) for c in range(3)], axis=1).astype(np.float32)
