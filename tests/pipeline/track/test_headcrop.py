"""Faces too small for the face mesh's detector, found in the upscaled crop around the head that the body's pose
landmarks place (pipeline.track.headcrop), on photographs shipped with skimage and matplotlib shrunk into a
large frame."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from pipeline.track.body import HEAD_IDS, LEFT_SHOULDER, RIGHT_SHOULDER
from pipeline.track.headcrop import CROP_HEADS, HeadCropFinder, crop_square, head_box
from pipeline.track.solve import Landmarker, SolveConfig, detect

# A frame the astronaut's 512-pixel photograph fills a third of: her face is about 90 pixels across, which the face
# mesh's detector (the whole frame at 128 pixels) does not find.
FRAME = (1600, 1200)
PLACE = (300, 500)  # top left corner (y, x) of the photograph in the frame


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return data.astronaut()


@pytest.fixture(scope="module")
def hopper() -> np.ndarray:
    import matplotlib.cbook

    return cv2.imread(str(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))[..., ::-1]


def far(photo: np.ndarray, shift: int = 0) -> np.ndarray:
    canvas = np.full((*FRAME, 3), 200, np.uint8)
    y, x = PLACE[0], PLACE[1] + shift
    canvas[y:y + photo.shape[0], x:x + photo.shape[1]] = photo
    return canvas


class Frames:
    """Frames in memory, read as a pipeline.media clip is (float RGB, display-referred)."""

    linear = False

    def __init__(self, images: list[np.ndarray]) -> None:
        self._images = images
        self.height, self.width = images[0].shape[:2]

    @property
    def frame_range(self) -> range:
        return range(1001, 1001 + len(self._images))

    def read(self, frame: int, *, srgb_decode: bool = False) -> np.ndarray:
        return self._images[frame - 1001].astype(np.float32) / 255.0


def test_a_face_too_small_for_the_face_mesh_is_found_in_the_crop_around_the_head(astronaut):
    with Landmarker(mode="static") as landmarker:
        close_up = landmarker(astronaut)
        assert landmarker.faces(far(astronaut)) == []  # the full frame: too small to be found
    with HeadCropFinder() as finder:
        faces = finder.faces(far(astronaut))
    assert len(faces) == 1 and faces[0].shape == (468, 2)
    # The landmarks land where the close-up's do, moved to where the photograph sits in the frame.
    expected = close_up + np.array(PLACE[::-1])
    assert float(np.mean(np.linalg.norm(faces[0] - expected, axis=1))) < 2.0


def test_no_crop_is_looked_at_without_a_body():
    with HeadCropFinder() as finder:
        assert finder.faces(np.full((*FRAME, 3), 200, np.uint8)) == []


def test_the_head_box_is_around_the_face_points_and_wide_enough_for_a_head_seen_from_the_side():
    marks = np.zeros((33, 4))
    marks[:, 3] = 1.0
    marks[list(HEAD_IDS), :2] = np.array([[100.0, 50.0]]) + np.random.default_rng(0).uniform(-10, 10, (11, 2))
    marks[[0, 7, 8], :2] = [[100, 50], [90, 50], [110, 50]]  # nose and ears 20 pixels apart
    marks[LEFT_SHOULDER, :2], marks[RIGHT_SHOULDER, :2] = (150, 120), (50, 120)
    centre, side = head_box(marks)
    assert np.allclose(centre, marks[list(HEAD_IDS), :2].mean(axis=0))
    assert side == pytest.approx(CROP_HEADS * 50.0)  # half the shoulders: the face points span less
    marks[:, 3] = 0.1  # nothing placed with confidence: no box
    assert head_box(marks) is None


def test_the_crop_maps_back_to_the_frame():
    frame = np.zeros((300, 400, 3), np.uint8)
    frame[100, 150] = 255
    crop, back = crop_square(frame, np.array([160.0, 110.0]), 40.0, size=200)
    y, x = np.unravel_index(np.argmax(crop[..., 0]), crop.shape[:2])
    assert np.allclose(back @ [x, y, 1.0], [150, 100], atol=0.5)


def test_the_tracker_follows_a_small_face_and_not_another_person_seen_small(astronaut, hopper):
    """Four frames of the astronaut far away, drifting right, then two of Grace Hopper alone, as far: the crop
    pass measures the astronaut (and not with the crop pass off), and the follower does not take Grace Hopper."""
    images = [far(astronaut, 4 * i) for i in range(4)] + [far(hopper[:480, :480])] * 2
    detected = detect(Frames(images), range(1001, 1007), SolveConfig(mode="static"))
    assert sorted(detected.landmarks) == [1001, 1002, 1003, 1004] and detected.jumps == []
    centres = [detected.landmarks[f].mean(axis=0)[0] for f in range(1001, 1005)]
    assert np.allclose(np.diff(centres), 4.0, atol=1.5)
    with HeadCropFinder() as finder:
        assert len(finder.faces(images[-1])) == 1  # her face is found in the crop: the follower left it
    assert detect(Frames(images[:2]), range(1001, 1003), SolveConfig(head_crop=False)).landmarks == {}
