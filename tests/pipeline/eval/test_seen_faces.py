"""A person's reference for a face seen at some yaw is made of their faces seen near that yaw."""
from __future__ import annotations

import numpy as np

from pipeline.eval.recognise import REFERENCE_LEAST, REFERENCE_WINDOW_DEG, SeenFaces


def _faces(yaws: list[float]) -> SeenFaces:
    """One descriptor per yaw whose first value is the yaw itself, so a reference shows which faces made it."""
    return SeenFaces.of([(np.full(128, yaw, np.float32), yaw) for yaw in yaws])


def test_the_reference_is_made_of_the_faces_seen_within_the_window():
    faces = _faces([0, 2, 4, 6, 8, 50, 52, 54, 56, 58])
    assert faces.reference(3)[0] == 4.0  # the median of 0..8, none of the turned faces
    assert faces.reference(55)[0] == 54.0
    assert REFERENCE_WINDOW_DEG < 50 - 8


def test_left_and_right_turns_are_compared_alike():
    faces = _faces([-50, -52, 54, 56, 58, 0, 1, 2, 3, 4])
    assert faces.reference(-55)[0] == faces.reference(55)[0] == 54.0
    assert faces.reference(350)[0] == 2.0  # -10 degrees: frontal


def test_where_few_faces_were_seen_near_the_angle_the_nearest_make_it():
    faces = _faces([0, 1, 2, 3, 4, 5, 6, 90])
    assert REFERENCE_LEAST == 5
    assert faces.reference(90)[0] == 5.0  # 90 and the four nearest to it, 3..6: median 5
    assert SeenFaces.of([]).reference(0) is None and len(SeenFaces.of([])) == 0
