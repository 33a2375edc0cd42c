"""Renders checked against geometry, and against what a viewer (and a face detector) notices."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.cg.head import ACTOR, DANCER, Expression, build_head, head_anchor_points
from pipeline.cg.render import PASSES, Drawable, Instance, Renderer, SceneState, shutter_times
from pipeline.geometry import Intrinsics, compose, project, rotation_from_yaw_pitch_roll

SIZE = 256
DISTANCE = 2.5
INTRINSICS = Intrinsics(SIZE, SIZE).with_vfov(11.0)


@pytest.fixture(scope="module")
def renderer():
    with Renderer(SIZE, SIZE) as r:
        yield r


def head_pose(yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0, x: float = 0.0) -> np.ndarray:
    """Head-to-camera transform; the camera sits at the world origin looking down -Z."""
    return compose(rotation_from_yaw_pitch_roll([yaw, pitch, roll]), [x, 0.0, -DISTANCE])


def render(renderer, identity=DANCER, expression=Expression(), *, bald=False, poses=None):
    head = build_head(identity, expression)
    drawable = Drawable(f"{identity.name}-{bald}-{head.expression}", head.bald if bald else head.mesh, head.texture)
    states = [SceneState(camera=np.eye(4), intrinsics=INTRINSICS, head=p, instances=(Instance(drawable, p),))
              for p in (poses or [head_pose()])]
    return renderer.render(states)


def to_srgb8(linear: np.ndarray) -> np.ndarray:
    return np.round(np.clip(linear, 0, 1) ** (1 / 2.2) * 255).astype(np.uint8)


def test_every_pass_is_float32_with_its_channels(renderer):
    passes = render(renderer)
    for name, channels in PASSES.items():
        assert passes[name].dtype == np.float32
        assert passes[name].shape == ((SIZE, SIZE) if len(channels) == 1 else (SIZE, SIZE, len(channels))), name
    matte = passes["matte"] > 0.5
    assert np.all(passes["depth"][matte] > DISTANCE - 0.2) and np.all(passes["depth"][~matte] == 0)
    # key light alone is part of the beauty, never more than it
    assert np.all(passes["key"][matte].sum(-1) <= passes["beauty"][matte].sum(-1) + 1e-5)
    normals = np.linalg.norm(passes["normals"][matte], axis=-1)
    np.testing.assert_allclose(normals, 1.0, atol=1e-3)


def test_matte_area_and_centroid_match_the_projected_head(renderer):
    pose = head_pose(yaw=30, pitch=10, x=0.05)
    head = build_head(DANCER)
    mesh = head.bald
    passes = render(renderer, bald=True, poses=[pose])
    cam_points = mesh.positions @ pose[:3, :3].T + pose[:3, 3]
    pixels = project(cam_points, INTRINSICS)
    silhouette = np.zeros((SIZE * 4, SIZE * 4), np.uint8)  # rasterise the triangles 4x finer
    tris = np.round((pixels[mesh.faces] + 0.5) * 4 * 16).astype(np.int32)
    for tri in tris:
        cv2.fillConvexPoly(silhouette, tri, 1, lineType=cv2.LINE_8, shift=4)
    expected = cv2.resize(silhouette.astype(np.float32), (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    matte = passes["matte"]
    assert abs(matte.sum() - expected.sum()) / expected.sum() < 0.02
    ys, xs = np.mgrid[0:SIZE, 0:SIZE]
    for grid in (xs, ys):
        assert abs((grid * matte).sum() / matte.sum() - (grid * expected).sum() / expected.sum()) < 0.3


def test_depth_and_head_local_are_right_at_known_points(renderer):
    pose = head_pose(yaw=-20, pitch=5)
    passes = render(renderer, poses=[pose])
    for name, point in head_anchor_points(DANCER).items():
        if name == "chin":
            continue
        cam = pose[:3, :3] @ point + pose[:3, 3]
        u, v = np.round(project(cam, INTRINSICS)).astype(int)
        assert abs(passes["depth"][v, u] - (-cam[2])) < 0.004, name
        assert np.linalg.norm(passes["head_local"][v, u] - point) < 0.006, name


def _ear_facing_pixels(passes, identity=DANCER) -> int:
    """Pixels of an ear (head-local point beyond the skull's side) whose surface faces the lens."""
    ear = np.abs(passes["head_local"][..., 0]) > identity.head_width / 2 + 0.004
    return int((ear & (passes["matte"] > 0.5) & (passes["normals"][..., 2] > 0.6)).sum())


def test_a_90_degree_yaw_shows_an_ear_side_on(renderer):
    side = _ear_facing_pixels(render(renderer, poses=[head_pose(yaw=90)]))
    front = _ear_facing_pixels(render(renderer, poses=[head_pose(yaw=0)]))
    assert side > 250 and side > 4 * front


def test_same_scene_same_pixels(renderer):
    a, b = render(renderer, poses=[head_pose(yaw=12)]), render(renderer, poses=[head_pose(yaw=12)])
    for name in PASSES:
        np.testing.assert_array_equal(a[name], b[name])


def test_two_identities_differ_in_silhouette_and_face(renderer):
    a, b = render(renderer, DANCER), render(renderer, ACTOR)
    ma, mb = a["matte"] > 0.5, b["matte"] > 0.5
    assert (ma & mb).sum() / (ma | mb).sum() < 0.9  # silhouettes
    both = ma & mb
    assert np.abs(a["beauty"][both] - b["beauty"][both]).mean() > 0.05  # skin, eyes, brows, lips


def _mouth_box(pose):
    mouth = head_anchor_points(DANCER)["mouth"]
    u, v = project(pose[:3, :3] @ mouth + pose[:3, 3], INTRINSICS)
    return slice(int(v) - 8, int(v) + 14), slice(int(u) - 16, int(u) + 17)


def _teeth_like_pixels(beauty, box) -> int:
    """Bright, unsaturated pixels in the mouth: what a viewer reads as teeth."""
    rgb = to_srgb8(beauty[box]).astype(int)
    return int(((rgb.min(-1) > 150) & (rgb.max(-1) - rgb.min(-1) < 45)).sum())


def test_toothy_smile_shows_teeth_closed_smile_none(renderer):
    pose = head_pose()
    toothy = render(renderer, expression=Expression(mouth_open=0.3, smile=1.0, teeth_visible=True), poses=[pose])
    closed = render(renderer, expression=Expression(smile=1.0), poses=[pose])
    box = _mouth_box(pose)
    assert _teeth_like_pixels(toothy["beauty"], box) >= 20
    assert _teeth_like_pixels(closed["beauty"], box) == 0
    assert toothy["teeth"].sum() >= 20 and closed["teeth"].sum() == 0


def test_motion_blur_spreads_a_moving_head_over_the_shutter(renderer):
    def pose_at(t):
        return head_pose(yaw=40 * t, x=0.1 * t)

    sharp = render(renderer, poses=[pose_at(0.0)])
    blurred = render(renderer, poses=[pose_at(t) for t in shutter_times(0.0, 0.5, 8)])
    soft = lambda m: int(((m > 0.05) & (m < 0.95)).sum())  # noqa: E731
    assert soft(blurred["matte"]) > 3 * soft(sharp["matte"])
    assert abs(blurred["matte"].sum() - sharp["matte"].sum()) / sharp["matte"].sum() < 0.05
    assert shutter_times(10, 0.5, 2) == [9.875, 10.125]


@pytest.fixture(scope="module")
def face_mesh():
    import mediapipe as mp

    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1) as fm:
        yield fm


def _landmarks(face_mesh, beauty):
    result = face_mesh.process(to_srgb8(beauty))
    if not result.multi_face_landmarks:
        return None
    return np.array([[p.x * SIZE, p.y * SIZE] for p in result.multi_face_landmarks[0].landmark])


@pytest.mark.parametrize("identity", [DANCER, ACTOR], ids=lambda i: i.name)
@pytest.mark.parametrize("yaw", [0, 40])
def test_mediapipe_finds_the_face_with_landmarks_in_place(renderer, face_mesh, identity, yaw):
    pose = head_pose(yaw=yaw)
    landmarks = _landmarks(face_mesh, render(renderer, identity, poses=[pose])["beauty"])
    assert landmarks is not None
    anchors = head_anchor_points(identity)
    where = {k: project(pose[:3, :3] @ p + pose[:3, 3], INTRINSICS) for k, p in anchors.items()}
    # MediaPipe's nose tip (1), lips (13, 14) and the eye centres (mean of their rings)
    assert np.linalg.norm(landmarks[1] - where["nose_tip"]) < 10
    assert np.linalg.norm(landmarks[[13, 14]].mean(0) - where["mouth"]) < 10
    if yaw == 0:
        left_eye = landmarks[[362, 263, 386, 374]].mean(0)
        right_eye = landmarks[[33, 133, 159, 145]].mean(0)
        assert np.linalg.norm(left_eye - where["left_eye"]) < 8
        assert np.linalg.norm(right_eye - where["right_eye"]) < 8


def test_mediapipe_finds_no_face_on_the_back_of_the_head(renderer, face_mesh):
    assert _landmarks(face_mesh, render(renderer, poses=[head_pose(yaw=180)])["beauty"]) is None
