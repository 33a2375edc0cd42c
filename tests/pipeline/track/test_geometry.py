from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import InputError
from pipeline.geometry import (ROTATION_ORDERS, Intrinsics, axis_rotation, euler_to_matrix, matrix_to_euler, project,
                               rotation_from_yaw_pitch_roll, unproject, unwrap_euler, yaw_pitch_roll)


@pytest.mark.parametrize("order", ROTATION_ORDERS)
def test_euler_round_trip_every_order(order):
    rng = np.random.default_rng(1)
    matrices = euler_to_matrix(rng.uniform(-180, 180, (500, 3)), order)
    back = euler_to_matrix(matrix_to_euler(matrices, order), order)
    assert np.abs(back - matrices).max() < 1e-9


@pytest.mark.parametrize("order", ROTATION_ORDERS)
def test_gimbal_lock_still_gives_the_same_rotation(order):
    angles = np.array([30.0, 30.0, 30.0])
    angles["XYZ".index(order[1])] = 90.0
    m = euler_to_matrix(angles, order)
    assert np.abs(euler_to_matrix(matrix_to_euler(m, order), order) - m).max() < 1e-9


def test_nuke_default_order_is_ry_rx_rz():
    rx, ry, rz = 10.0, 20.0, 30.0
    expected = axis_rotation(1, ry) @ axis_rotation(0, rx) @ axis_rotation(2, rz)
    assert np.allclose(euler_to_matrix([rx, ry, rz], "ZXY"), expected)
    assert np.allclose(euler_to_matrix([rx, ry, rz], "zxy"), expected)


def test_unknown_rotation_order_names_the_valid_ones():
    with pytest.raises(InputError, match="XYZ, XZY, YXZ, YZX, ZXY, ZYX"):
        euler_to_matrix([0, 0, 0], "XXY")


def test_yaw_turns_the_nose_to_image_right_and_pitch_tips_it_down():
    nose = np.array([0.0, 0.0, 1.0])
    assert (rotation_from_yaw_pitch_roll([30, 0, 0]) @ nose)[0] > 0.4
    assert (rotation_from_yaw_pitch_roll([0, 20, 0]) @ nose)[1] < -0.3
    ypr = np.array([[100.0, -12.0, 7.0], [-170.0, 30.0, -20.0]])
    assert np.allclose(yaw_pitch_roll(rotation_from_yaw_pitch_roll(ypr)), ypr)


def test_unwrap_euler_counts_whole_turns():
    yaw = np.linspace(0, 720, 97)
    wrapped = matrix_to_euler(euler_to_matrix(np.stack([np.full_like(yaw, 5.0), yaw, np.zeros_like(yaw)], 1)))
    assert np.ptp(wrapped[:, 1]) <= 360.0
    continuous = unwrap_euler(wrapped)
    assert np.allclose(continuous[:, 1], yaw, atol=1e-6)


def test_projection_round_trip_and_vfov():
    cam = Intrinsics(width=1920, height=1080, focal_mm=35.0, film_back_mm=(36.0, 20.25))
    points = np.array([[0.3, -0.2, -4.0], [-1.0, 0.5, -2.0]])
    pixels = project(points, cam)
    assert np.allclose(unproject(pixels, -points[:, 2], cam), points)
    assert pixels[0, 0] > cam.center[0] and pixels[0, 1] > cam.center[1]  # right of and below the centre
    assert np.isnan(project([0.0, 0.0, 1.0], cam)).all()  # behind the camera
    assert cam.with_vfov(cam.vfov_deg).focal_mm == pytest.approx(35.0)


def test_intrinsics_reject_nonsense():
    with pytest.raises(InputError, match="NaN"):
        Intrinsics(width=100, height=100, focal_mm=float("nan"))
    with pytest.raises(InputError, match="positive"):
        Intrinsics(width=100, height=100, focal_mm=-3.0)


def test_a_head_looking_into_the_lens_anywhere_in_frame_reads_frontal_as_the_camera_sees_it():
    from pipeline.geometry import line_of_sight, view_yaw_pitch_roll

    for position in ([0.0, 0.0, -2.0], [0.9, 0.0, -2.0], [-0.4, 0.8, -2.0], [0.6, -0.7, -1.5]):
        t = np.array(position)
        # the head's nose (+Z) points back along the line of sight, its up as level as the aim allows
        looking = line_of_sight(t)
        assert np.allclose(looking @ [0, 0, -1.0], t / np.linalg.norm(t))
        assert np.allclose(view_yaw_pitch_roll(looking, t), 0.0, atol=1e-9)
    # A head at image right facing along the optical axis is turned towards image right as the camera sees it,
    # by the angle between the axis and the line of sight; one high in frame facing the axis is seen from below, nose up (negative pitch).
    yaw = view_yaw_pitch_roll(np.eye(3), np.array([1.0, 0.0, -2.0]))
    assert yaw[0] == pytest.approx(np.degrees(np.arctan2(1.0, 2.0))) and abs(yaw[1]) < 1e-9
    pitch = view_yaw_pitch_roll(np.eye(3), np.array([0.0, 1.0, -2.0]))
    assert pitch[1] == pytest.approx(-np.degrees(np.arctan2(1.0, 2.0))) and abs(pitch[0]) < 1e-9
    # On the optical axis both agree.
    r = rotation_from_yaw_pitch_roll([30.0, -10.0, 5.0])
    assert np.allclose(view_yaw_pitch_roll(r, np.array([0, 0, -3.0])), yaw_pitch_roll(r))
