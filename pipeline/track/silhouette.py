"""The head's image position through a gap from its silhouette: MediaPipe's selfie segmentation of the person
(pipeline.dataset.masks.PersonSegmenter) in a crop around the head, cut above the shoulders that the pose
landmarks place (pipeline.track.body). The blob left is head, hair and a little neck, seen from any side: its
centre moves with the head's, at an offset (hair, neck) that the frames measured at both ends of the gap set.

Only the position is taken from it. The blob's principal axis does not tell the head's roll: long hair hangs
where gravity and the walk put it (on the catwalk clip it departs from the measured roll by 4.5 degrees on
average, 21 at most, where the face is seen).
"""
from __future__ import annotations

import cv2
import numpy as np

from pipeline.track.body import LEFT_EAR, LEFT_SHOULDER, RIGHT_EAR, RIGHT_SHOULDER
from pipeline.track.headcrop import MIN_VISIBILITY, crop_square

# Side of the crop segmented around the head, in head radii: the whole head and hair with the shoulders below.
CROP_RADII = 6.0
# Side of that crop given to the segmentation, pixels (its model works at 256).
CROP_PIXELS = 256
# Where the blob is cut: this share of the way down from the ears to the shoulders (the neck, above the collar).
NECK_CUT = 0.7
# Fewest crop pixels in the blob for a centre (a head a few pixels across tells nothing).
MIN_PIXELS = 50


def head_blob_centre(person: np.ndarray, marks: np.ndarray, back: np.ndarray) -> np.ndarray | None:
    """Centre (frame pixels) of the part of a crop's person probability (`person`, 0..1) above the neck cut
    between the pose's ears and shoulders (`marks`, frame pixels); `back` takes crop pixels to the frame's.
    None where the pose does not place ears and shoulders or the blob is too small."""
    ears, shoulders = marks[[LEFT_EAR, RIGHT_EAR]], marks[[LEFT_SHOULDER, RIGHT_SHOULDER]]
    if min(ears[:, 3].min(), shoulders[:, 3].min()) < MIN_VISIBILITY:
        return None
    cut = ears[:, 1].mean() + NECK_CUT * (shoulders[:, 1].mean() - ears[:, 1].mean())
    blob = (person > 0.5).astype(np.uint8)
    blob[max(0, int(np.ceil((cut - back[1, 2]) / back[1, 1]))):] = 0  # the crop is scaled and moved, not turned
    # the largest piece: a hand raised beside the head or someone behind is not the head
    count, labels, stats, centres = cv2.connectedComponentsWithStats(blob)
    if count < 2:
        return None
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[largest, cv2.CC_STAT_AREA] < MIN_PIXELS:
        return None
    return back[:, :2] @ centres[largest] + back[:, 2]


class HeadSilhouette:
    """The person's segmentation, for the head blob's centre of frames whose body pose landmarks are known."""

    def __init__(self) -> None:
        from pipeline.dataset.masks import PersonSegmenter

        self._segment = PersonSegmenter()

    def centre(self, rgb8: np.ndarray, marks: np.ndarray, near: np.ndarray, radius: float) -> np.ndarray | None:
        """The head blob's centre (frame pixels) of the head about `near` with `radius` (pixels), the frame's pose
        landmarks (`BodyLandmarker.landmarks`) placing ears and shoulders; None without a blob."""
        crop, back = crop_square(rgb8, near, CROP_RADII * radius, size=CROP_PIXELS)
        return head_blob_centre(self._segment(crop), marks, back)

    def close(self) -> None:
        self._segment.close()

    def __enter__(self) -> HeadSilhouette:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
