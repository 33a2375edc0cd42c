from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.errors import InputError
from pipeline.geometry import compose, project, rotation_from_yaw_pitch_roll
from pipeline.stabilize import (UnframeableError, crop_coverage, crop_transform, similarity_transform, stabilize_frame,
                                unstabilize)
from pipeline.track import canonical
from tests.pipeline.track.helpers import CAMERA, relative_pose

RADIUS = 0.16


def _apply(m, points):
    p = np.c_[np.asarray(points, dtype=np.float64), np.ones(len(points))]
    return (p @ m.T)[:, :2]


def test_framing_depends_only_on_the_pose_through_two_turns():
    size = 128
    for pose in relative_pose():
        m = crop_transform(pose, CAMERA, size=size, radius=RADIUS)
        centre = pose[:3, 3]
        depth = -centre[2]
        centre_px = project(centre, CAMERA)
        # The skull centre sits at the crop centre and a fixed physical radius spans half the crop.
        assert np.allclose(_apply(m, [centre_px]), (size - 1) / 2.0, atol=1e-6)
        scale = np.sqrt(abs(np.linalg.det(m[:2, :2])))
        assert scale * CAMERA.focal_px * RADIUS / depth == pytest.approx(size / 2.0, rel=1e-9)
        # The head's top points straight up in the crop.
        top = _apply(m, [project(centre + pose[:3, 1] * 0.05, CAMERA)])[0] - (size - 1) / 2.0
        assert abs(top[0]) < 1e-6 and top[1] < 0


def test_the_crop_turns_with_the_head_roll():
    size = 256
    upright = crop_transform(compose(np.eye(3), [0, 0, -3]), CAMERA, size=size, radius=RADIUS)
    tilted = crop_transform(compose(rotation_from_yaw_pitch_roll([0, 0, 30]), [0, 0, -3]), CAMERA, size=size,
                            radius=RADIUS)
    angle = np.degrees(np.arctan2(tilted[1, 0], tilted[0, 0]) - np.arctan2(upright[1, 0], upright[0, 0]))
    assert angle == pytest.approx(30.0, abs=0.5)  # the image is turned back by the head's 30 degrees


def test_unstabilize_is_the_exact_inverse():
    rng = np.random.default_rng(0)
    image = cv2.GaussianBlur(rng.random((CAMERA.height, CAMERA.width, 3)).astype(np.float32), (0, 0), 3)
    pose = compose(rotation_from_yaw_pitch_roll([40, 10, 20]), [0.05, 0.0, -2.5])
    size = 512  # upsampling, so the round trip loses nothing but the interpolation
    m = crop_transform(pose, CAMERA, size=size, radius=RADIUS)
    crop = stabilize_frame(image, m, size)
    assert crop.shape == (size, size, 3)
    back = unstabilize(crop, m, image.shape[:2])
    inside = crop_coverage(m, size, image.shape[:2]) > 0.999
    inside = cv2.erode(inside.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert inside.sum() > 1000
    assert np.abs(back[inside] - image[inside]).max() < 0.01
    assert np.all(back[crop_coverage(m, size, image.shape[:2]) == 0] == 0)


@pytest.mark.parametrize("translation, reason", [([0.0, 0.0, 1.0], "behind_camera"),
                                                  ([0.0, 0.0, -0.1], "behind_camera"),
                                                  ([30.0, 0.0, -3.0], "out_of_frame")])
def test_heads_with_no_crop_raise_a_named_reason(translation, reason):
    with pytest.raises(UnframeableError) as info:
        crop_transform(compose(np.eye(3), translation), CAMERA, size=128, radius=RADIUS)
    assert info.value.reason == reason


@pytest.mark.parametrize("size", [32, 2048, 100.5])
def test_crop_size_outside_64_to_1024_is_refused(size):
    with pytest.raises(InputError, match="from 64 to 1024"):
        crop_transform(compose(np.eye(3), [0, 0, -3]), CAMERA, size=size, radius=RADIUS)


def test_nan_pose_is_refused():
    pose = compose(np.eye(3), [0, np.nan, -3])
    with pytest.raises(InputError, match="finite"):
        crop_transform(pose, CAMERA, size=128, radius=RADIUS)


def test_2d_baseline_aligns_the_five_points_to_the_mean_face():
    size = 256
    face_in_image = np.array([[100.0, 80.0], [140.0, 85.0], [118.0, 105.0], [103.0, 125.0], [133.0, 128.0]])
    landmarks = np.zeros((468, 2))
    for idx, point in zip([canonical.EYE_RIGHT, canonical.EYE_LEFT, (canonical.NOSE_TIP,),
                           (canonical.MOUTH_CORNERS[0],), (canonical.MOUTH_CORNERS[1],)], face_in_image):
        landmarks[list(idx)] = point
    m = similarity_transform(landmarks, size=size, padding=0.0)
    aligned = _apply(m, face_in_image)
    assert np.abs(aligned - canonical.MEAN_FACE_2D * (size - 1)).max() < 6.0
    assert m[0, 0] == pytest.approx(m[1, 1]) and m[0, 1] == pytest.approx(-m[1, 0])  # a similarity
