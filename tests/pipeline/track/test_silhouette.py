"""The head's image position through a gap from its silhouette (pipeline.track.silhouette): on generated masks,
and on skimage's astronaut cut out onto a generated background, turning away (seen mirrored) while she moves."""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest
from skimage import data

import pipeline.track.solve as solve_module
from pipeline.geometry import Intrinsics, project
from pipeline.track.body import LEFT_EAR, LEFT_SHOULDER, RIGHT_EAR, RIGHT_SHOULDER
from pipeline.track.silhouette import head_blob_centre
from pipeline.track.solve import SolveConfig, solve
from tests.pipeline.track.test_headcrop import Frames


def pose_marks(ears_y: float, shoulders_y: float) -> np.ndarray:
    marks = np.zeros((33, 4))
    marks[:, 3] = 1.0
    marks[[LEFT_EAR, RIGHT_EAR], 1] = ears_y
    marks[[LEFT_SHOULDER, RIGHT_SHOULDER], 1] = shoulders_y
    return marks


def test_the_head_blob_is_what_lies_above_the_neck():
    """A head (disc) on a neck on wide shoulders: the centre is the head's, the shoulders cut away."""
    person = np.zeros((200, 200), np.float32)
    cv2.circle(person, (120, 60), 30, 1.0, -1)
    person[85:130, 110:130] = 1.0  # neck
    person[130:, 40:200] = 1.0  # shoulders and body
    person[20:50, 20:40] = 1.0  # a hand raised beside the head
    back = np.array([[0.5, 0.0, 10.0], [0.0, 0.5, 20.0]])  # the crop at twice the frame's scale, shifted
    centre = head_blob_centre(person, pose_marks(ears_y=20 + 0.5 * 60, shoulders_y=20 + 0.5 * 140), back)
    assert centre is not None
    assert centre[0] == pytest.approx(10 + 0.5 * 120, abs=0.5)
    # the neck down to the cut pulls it a little down (the offset measured at the gap's ends takes that out)
    assert 0.0 < centre[1] - (20 + 0.5 * 60) < 5.0
    unplaced = pose_marks(50, 90)
    unplaced[LEFT_SHOULDER, 3] = 0.1  # no shoulders: no cut, no centre
    assert head_blob_centre(person, unplaced, back) is None


@pytest.fixture(scope="module")
def turning_away():
    """18 frames of the astronaut, cut out onto a generated background, moving right 6 pixels a frame; on frames
    1007-1012 she is seen mirrored (her head looks different, as a head turned away does, and sits elsewhere in
    the picture), and the face mesh is made to see nothing there."""
    from pipeline.dataset.masks import PersonSegmenter

    astronaut = data.astronaut()
    with PersonSegmenter() as segment:
        alpha = segment(astronaut)[..., None]
    background = cv2.GaussianBlur(np.random.default_rng(0).uniform(60, 200, (512, 700, 3)).astype(np.float32),
                                  (0, 0), 6)
    images = []
    for i in range(18):
        person, cut = (astronaut[:, ::-1], alpha[:, ::-1]) if 6 <= i < 12 else (astronaut, alpha)
        image = background.copy()
        x = 20 + 6 * i
        image[:, x:x + 512] = cut * person + (1 - cut) * image[:, x:x + 512]
        images.append(np.clip(image, 0, 255).astype(np.uint8))
    return images


def test_through_a_gap_the_head_centre_follows_the_silhouette_where_the_heads_look_changes(turning_away,
                                                                                          monkeypatch):
    camera = Intrinsics(width=700, height=512, focal_mm=50.0, film_back_mm=(36.0, 36.0 * 512 / 700))
    config = SolveConfig(mode="static", head_crop=False, body_yaw=False)
    seen_all = solve(Frames(turning_away), camera, config).track
    assert set(seen_all.status) == {"measured"}  # the mirrored frames' own faces: where her head really is
    truth = project(seen_all.translation, camera)
    seen = solve_module.Landmarker.faces
    calls = iter(range(10**6))
    monkeypatch.setattr(solve_module.Landmarker, "faces",
                        lambda self, rgb: [] if 6 <= next(calls) % 18 < 12 else seen(self, rgb))

    def error(silhouette: bool) -> np.ndarray:
        track = solve(Frames(turning_away), camera, dataclasses.replace(config, head_silhouette=silhouette)).track
        filled = track.status == "filled"
        return np.linalg.norm(project(track.translation, camera)[filled] - truth[filled], axis=1)

    followed, silhouette = error(False), error(True)
    assert followed.max() > 50.0  # the head region's look changed: following it loses the head
    assert silhouette.max() < 20.0, silhouette  # its outline did not
