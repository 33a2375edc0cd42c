"""Staying on one person when the landmarker sees several faces.

The face followed is the one nearest where the track predicts it (its last position and speed) that looks
like the person followed so far (a hue/saturation histogram of the face, which tells a second person from the
first even where they stand close). A face far from the prediction is taken only if it looks like the person
followed (the same one reappearing elsewhere, e.g. after a cut): that is a jump, and it is flagged. Another
person is never taken: the frame is left to be filled.
"""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np

# Colour histogram of a face: hue x saturation bins.
HIST_BINS = (16, 8)
# Chosen frames that make the reference appearance of the person followed (then it adapts slowly).
REFERENCE_FRAMES = 10
ADAPT = 0.05


@dataclasses.dataclass
class FaceFollower:
    """Picks, frame by frame, the face of the person followed among the faces found (each (468, 2) pixels)."""

    near: float = 1.5  # face sizes from the predicted position within which a face is the one followed
    near_per_frame: float = 0.25  # more face sizes allowed per frame the face was not seen
    other_person: float = 0.45  # histogram distance (Bhattacharyya) above which a face is someone else
    _last: tuple[int, np.ndarray, float] | None = None  # index, centre, size of the last face taken
    _velocity: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(2))
    _reference: np.ndarray | None = None
    _seen: int = 0

    def choose(self, rgb8: np.ndarray, faces: list[np.ndarray], index: int) -> tuple[np.ndarray | None, bool]:
        """(the face followed or None, whether taking it is a jump) for frame `index` of the clip."""
        if not faces:
            return None, False
        centres = [f.mean(axis=0) for f in faces]
        sizes = [_size(f) for f in faces]
        looks = [_appearance(rgb8, f) for f in faces]
        if self._last is None:  # the first face seen: the largest, the one the plate is about
            pick = int(np.argmax(sizes))
            self._take(index, centres[pick], sizes[pick], looks[pick])
            return faces[pick], False
        last_index, last_centre, last_size = self._last
        since = index - last_index
        predicted = last_centre + self._velocity * since
        reach = last_size * (self.near + self.near_per_frame * (since - 1))
        offsets = np.array([np.linalg.norm(c - predicted) for c in centres])
        unlike = np.array([self._distance(look) for look in looks])
        cost = offsets / last_size + 4.0 * unlike
        order = np.argsort(cost)
        for pick in order:
            if offsets[pick] <= reach and unlike[pick] <= self.other_person:
                self._take(index, centres[pick], sizes[pick], looks[pick])
                return faces[pick], False
        same = [i for i in order if unlike[i] <= self.other_person / 2]
        if same:  # far from where it should be, but the same person: follow, and say the track jumped
            pick = same[0]
            self._velocity = np.zeros(2)
            self._take(index, centres[pick], sizes[pick], looks[pick], moving=False)
            return faces[pick], True
        return None, False

    def _distance(self, look: np.ndarray) -> float:
        if self._reference is None:
            return 0.0
        return float(cv2.compareHist(self._reference, look, cv2.HISTCMP_BHATTACHARYYA))

    def _take(self, index: int, centre: np.ndarray, size: float, look: np.ndarray, *, moving: bool = True) -> None:
        if self._last is not None and moving and index - self._last[0] <= 3:
            self._velocity = 0.5 * self._velocity + 0.5 * (centre - self._last[1]) / (index - self._last[0])
        elif moving:
            self._velocity = np.zeros(2)
        self._last = (index, centre, size)
        self._seen += 1
        if self._reference is None:
            self._reference = look
        else:
            rate = 1.0 / self._seen if self._seen <= REFERENCE_FRAMES else ADAPT
            self._reference = ((1.0 - rate) * self._reference + rate * look).astype(np.float32)


def _size(face: np.ndarray) -> float:
    """A face's size in pixels: the diagonal of its landmarks' box."""
    return float(max(np.linalg.norm(face.max(axis=0) - face.min(axis=0)), 1.0))


def _appearance(rgb8: np.ndarray, face: np.ndarray) -> np.ndarray:
    """Normalised hue/saturation histogram of the face's inner box (skin, eyes, mouth; no background)."""
    lo, hi = face.min(axis=0), face.max(axis=0)
    margin = 0.15 * (hi - lo)
    x0, y0 = np.maximum(np.floor(lo + margin).astype(int), 0)
    x1, y1 = np.ceil(hi - margin).astype(int) + 1
    patch = rgb8[y0:max(y1, y0 + 1), x0:max(x1, x0 + 1)]
    if patch.size == 0:
        return np.full(HIST_BINS, 1.0 / np.prod(HIST_BINS), np.float32)
    hsv = cv2.cvtColor(np.ascontiguousarray(patch), cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, list(HIST_BINS), [0, 180, 0, 256])
    return (hist / max(float(hist.sum()), 1.0)).astype(np.float32)
