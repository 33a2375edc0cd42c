"""Mouth, teeth and eyes read from the refined face mesh, on real photographs that ship with the packages
(scikit-image's astronaut: a smile with teeth; matplotlib's Grace Hopper: lips closed) and on versions of them
generated here (eyes painted shut, the teeth painted over as the mouth's dark inside). The footage version, with
precision and recall on 76 labelled frames, is `python -m tests.bench faces`."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.dataset.descriptors import (EYE_LIDS, INNER_LIP_POLYGON, MOUTH_OPEN_AT, OUTER_LIP_POLYGON, mesh_measures,
                                          rebase_eyes)

# the eye contours of the face mesh (one eye each), the first nine points along the lower lid
EYE_CONTOURS = ((33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246),
                (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466))


def _astronaut() -> np.ndarray:
    from skimage.data import astronaut

    return np.ascontiguousarray(astronaut()[..., :3])


def _hopper() -> np.ndarray:
    import matplotlib.cbook
    from PIL import Image

    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return np.ascontiguousarray(np.asarray(Image.open(path))[..., :3])


@pytest.fixture(scope="module")
def landmarker():
    from pipeline.track.solve import Landmarker

    with Landmarker(mode="static", refine=True) as found:
        yield found


def _read(landmarker, image: np.ndarray) -> dict:
    points = landmarker(image)
    assert points is not None and len(points) == 478
    return mesh_measures(image, points)


def _eyes_shut(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Each eye painted over with the skin just below it, a dark line of lashes along the lower lid."""
    out = image.copy()
    for contour in EYE_CONTOURS:
        eye = points[list(contour)]
        below = eye.mean(axis=0) + [0.0, 1.2 * np.ptp(eye[:, 1]) + 4]
        skin = [int(v) for v in image[int(below[1]), int(below[0])]]
        cv2.fillPoly(out, [cv2.convexHull(np.round(eye).astype(np.int32))], skin)
        cv2.polylines(out, [np.round(eye[:9]).astype(np.int32)], False, (60, 40, 35), 2)
    return cv2.GaussianBlur(out, (3, 3), 0)


def test_a_smile_with_teeth_and_closed_lips_read_as_they_are(landmarker):
    smile, closed = _read(landmarker, _astronaut()), _read(landmarker, _hopper())
    assert smile["mouth_open"] >= MOUTH_OPEN_AT and smile["teeth_visible"]
    assert closed["mouth_open"] < MOUTH_OPEN_AT / 2 and not closed["teeth_visible"]
    assert smile["eyes_closed"] < 0.5 and closed["eyes_closed"] < 0.5  # open, behind glasses too


def test_eyes_painted_shut_read_closed(landmarker):
    image = _astronaut()
    shut = _read(landmarker, _eyes_shut(image, landmarker(image)))
    assert shut["eyes_closed"] >= 0.5 and shut["eye_openness"] < 0.5 * _read(landmarker, image)["eye_openness"]


def _turned(points: np.ndarray, far_width: float, near_gap: float) -> np.ndarray:
    """The astronaut's mesh as a turned head sees it: the far eye (the second) narrowed to `far_width` of its
    width, the near eye's upper lid brought down to `near_gap` of its gap (the mesh's lids on three-quarter views)."""
    out = points.copy()
    far = list(EYE_CONTOURS[1])
    centre = out[far].mean(axis=0)
    out[far, 0] = centre[0] + far_width * (out[far, 0] - centre[0])
    for upper, lower in EYE_LIDS[0][1]:
        out[upper, :2] = out[lower, :2] + near_gap * (out[upper, :2] - out[lower, :2])
    return out


def test_a_turned_heads_near_eye_is_read_on_its_own_scale(landmarker):
    image = _astronaut()
    points = landmarker(image)
    baseline = mesh_measures(image, _turned(points, 0.5, 1.0))["eye_openness"]  # the near eye's own, open
    frontal = mesh_measures(image, _turned(points, 1.0, 0.75), eye_baseline=baseline)
    assert not frontal["eyes_turned"] and frontal["eyes_closed"] < 0.5  # facing: three quarters of the gap is open
    opened = mesh_measures(image, _turned(points, 0.5, 1.0), eye_baseline=baseline)
    assert opened["eyes_turned"] and opened["eyes_closed"] == 0.0
    shut = mesh_measures(image, _turned(points, 0.5, 0.75), eye_baseline=baseline)
    assert shut["eyes_turned"] and shut["eyes_closed"] >= 0.5  # turned: the lids close no farther than this
    profile = mesh_measures(image, _turned(points, 0.3, 0.75), eye_baseline=baseline)
    assert profile["eyes_closed"] is None and profile["eye_openness"] is None


def test_teeth_are_what_is_bright_inside_the_lips_not_the_opening(landmarker):
    image = _astronaut()
    points = landmarker(image)
    no_teeth = image.copy()
    cv2.fillPoly(no_teeth, [np.round(points[list(INNER_LIP_POLYGON)]).astype(np.int32)], (70, 25, 30))
    dark = _read(landmarker, no_teeth)
    assert not dark["teeth_visible"] and dark["mouth_open"] >= MOUTH_OPEN_AT


def test_a_mouth_open_under_lips_the_mesh_closed_reads_open_from_its_dark_inside(landmarker):
    """A wide scream seen from below: the mesh's inner lips close over the open mouth (on the real multiview clips
    0.09 where the mouth was at its widest). Grace Hopper's closed lips as the mesh reads them, over her mouth
    painted open (its dark inside filling the outer-lip outline, a row of teeth at the top), read open, its
    mouth_inside as large; the photograph as it is still reads closed, with next to no dark inside."""
    image = _hopper()
    points = landmarker(image)
    assert mesh_measures(image, points)["mouth_open"] < MOUTH_OPEN_AT / 2
    screaming = image.copy()
    cv2.fillPoly(screaming, [np.round(points[list(OUTER_LIP_POLYGON)]).astype(np.int32)], (45, 15, 20))
    top = points[list(OUTER_LIP_POLYGON)][:, 1].min()
    left, right = points[61, 0], points[291, 0]
    cv2.rectangle(screaming, (int(left + 0.25 * (right - left)), int(top) + 2),
                  (int(right - 0.25 * (right - left)), int(top) + 5), (235, 230, 220), -1)
    measured = mesh_measures(screaming, points)  # the landmarks of the closed mouth: the mesh's miss
    assert measured["mouth_open"] >= 2 * MOUTH_OPEN_AT and measured["teeth_visible"] is False
    assert measured["mouth_inside"] == measured["mouth_open"]  # what showed it open
    assert mesh_measures(image, points)["mouth_inside"] < MOUTH_OPEN_AT / 2


def test_eyes_are_read_against_the_persons_own_open_eye():
    entries = [{"descriptors": {"eye_openness": value, "eyes_closed": 0.0}} for value in [0.20] * 12 + [0.07]]
    rebase_eyes(entries)  # small eyes: 0.20 is this person's open eye, 0.07 a blink
    assert [e["descriptors"]["eyes_closed"] < 0.5 for e in entries] == [True] * 12 + [False]
    turned = [{"descriptors": {"eye_openness": value, "eyes_turned": True, "eyes_closed": 0.0}}
              for value in [0.20] * 12 + [0.16]]
    rebase_eyes(turned)  # a turned head's near eye: four fifths of its open gap is already shut
    assert [e["descriptors"]["eyes_closed"] < 0.5 for e in turned] == [True] * 12 + [False]
    few = [{"descriptors": {"eye_openness": 0.2, "eyes_closed": 0.3}}]
    rebase_eyes(few)  # too few to know the person's eye: left as measured
    assert few[0]["descriptors"]["eyes_closed"] == 0.3


def test_the_face_reading_setting_is_checked():
    from pipeline.dataset.config import DatasetConfig

    with pytest.raises(ValueError, match="face_reading 'eyes' is not one of face_mesh, regions"):
        DatasetConfig(face_reading="eyes")
