"""The plate's own face is painted out where the swap does not cover it: on the real talking clip the rigid swap's
chin sat above the plate's, and the plate's lips talked on beneath the actor's beard."""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from pipeline.convert.paintout import face_fill
from tests.pipeline.convert.conftest import IdentitySwapper, shot_with

NECK, BACKDROP, SKIN, LIPS = (0.8, 0.6, 0.5), (0.7, 0.7, 0.9), (0.9, 0.7, 0.6), (0.7, 0.1, 0.1)


def _head(side: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """A drawn head crop: an oval face with red lips over a neck (columns 52-76) on a backdrop, and the oval's
    outline as a face mesh's points."""
    crop = np.empty((side, side, 3), np.float32)
    crop[:] = BACKDROP
    crop[:, 52:77] = NECK
    ys, xs = np.mgrid[0:side, 0:side]
    face = ((xs - 64) / 28.0) ** 2 + ((ys - 52) / 36.0) ** 2 <= 1.0
    crop[face] = SKIN
    crop[(abs(xs - 64) < 10) & (abs(ys - 72) < 3)] = LIPS
    angles = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    return crop, np.stack([64 + 28 * np.cos(angles), 52 + 36 * np.sin(angles)], axis=1)


def test_the_face_is_filled_with_what_lies_below_it_column_by_column():
    crop, points = _head()
    fill, weight = face_fill(crop, points, np.ones(crop.shape[:2], bool))
    assert np.allclose(fill[72, 60:68], NECK, atol=0.02)        # the lips now carry the neck drawn up
    assert np.allclose(fill[40, 64], NECK, atol=0.02) and np.allclose(fill[52, 38], BACKDROP, atol=0.05)
    assert weight[72, 64] == pytest.approx(1.0) and weight[5:, :20].max() < 1e-3  # away from the face: untouched
    assert np.array_equal(fill[:, :20], crop[:, :20])


def test_past_the_plates_edge_the_colour_comes_from_the_neighbouring_columns():
    crop, points = _head()
    inside = np.ones(crop.shape[:2], bool)
    inside[:, 58:70] = False  # these columns' pixels below the face lie off the plate
    fill, _ = face_fill(crop, points, inside)
    assert np.allclose(fill[72, 60:68], NECK, atol=0.02)
    assert face_fill(crop, points, np.zeros(crop.shape[:2], bool)) is None  # nothing on the plate to take


def test_a_face_too_small_for_the_head_is_not_taken_for_the_plates():
    crop, points = _head()
    assert face_fill(crop, (points - 64) * 0.2 + 64, np.ones(crop.shape[:2], bool)) is None


def test_the_paint_dissolves_with_the_swap():
    """Where the swap dissolves from and to the plate (uncovered frames kept as the plate), so does the paint."""
    from pipeline.convert.composite import put_back
    from pipeline.convert.config import ConvertConfig
    from pipeline.convert.paintout import PaintOut

    crop, points = _head()
    fill, weight = face_fill(crop, points, np.ones(crop.shape[:2], bool))
    paint = PaintOut(np.eye(3), fill, weight)
    swap, matte = np.full((64, 64, 3), 0.3, np.float32), np.zeros((64, 64), np.float32)
    halved = np.diag([0.5, 0.5, 1.0])  # the model's 64² crop of the same 128² head
    backs = [put_back(crop, swap, matte, halved, config=ConvertConfig(motion_blur=False), motion=np.zeros(2),
                      linear=False, paint=paint, paint_weight=w) for w in (1.0, 0.25)]
    assert backs[0].paint_alpha.max() == pytest.approx(1.0, abs=1e-3)
    assert np.allclose(backs[1].paint_alpha, 0.25 * backs[0].paint_alpha, atol=1e-6)


def test_under_the_swaps_own_matte_the_plate_stays_for_its_edge_to_blend_with():
    """Only where the model's matte does not reach: under the swap's soft edge a fill would rim the head with what
    lies beside the neck (0.3 dB against the synthetic pirouette's truth)."""
    from pipeline.convert.composite import put_back
    from pipeline.convert.config import ConvertConfig
    from pipeline.convert.paintout import PaintOut

    crop, points = _head()
    paint = PaintOut(np.eye(3), *face_fill(crop, points, np.ones(crop.shape[:2], bool)))
    matte = np.zeros((64, 64), np.float32)
    matte[:32] = 1.0  # the swap's head ends at row 64 of the 128² crop: above the lips
    back = put_back(crop, np.full((64, 64, 3), 0.3, np.float32), matte, np.diag([0.5, 0.5, 1.0]),
                    config=ConvertConfig(motion_blur=False), motion=np.zeros(2), linear=False, paint=paint)
    assert back.paint_alpha[72 - back.y0, 64 - back.x0] == pytest.approx(1.0, abs=1e-3)
    assert back.paint_alpha[40 - back.y0, 64 - back.x0] == pytest.approx(0.0, abs=1e-3)


class UpperHalfSwapper(IdentitySwapper):
    """A swap that covers only the crop's upper rows with a flat grey: a head whose chin sits higher than the
    plate's, as the real clip's rigid swap did."""

    def __call__(self, crops, frames=None):
        rgb, mask = super().__call__(crops, frames)
        rgb[:] = 0.3
        mask[:, int(0.5 * crops.shape[1]):] = 0.0
        return rgb, mask


@pytest.fixture(scope="module")
def hopper_shot(tmp_path_factory):
    """A shot made by `shot init` from four frames of Grace Hopper's portrait (matplotlib's sample photograph)."""
    from pipeline.cli import main
    from tests.pipeline.intake.test_init import _clip

    folder = tmp_path_factory.mktemp("paint")
    plate = _clip(folder, "plate", "hopper", range(1001, 1005))
    assert main(["shot", "init", str(folder / "made"), "--plate", str(plate), "--fps", "25", "--lens", "50,36,24"]) == 0
    return shot_with(folder / "made", folder / "shot", '\n[[variants]]\nname = "upper"\nmodel = "identity"\n')


def _convert(shot, out, **convert):
    from pipeline.convert import ConvertInputs, read_converted, run

    config = dataclasses.replace(shot.config.convert, motion_blur=False, **convert)
    run(config, ConvertInputs(shot=shot, framing=shot.config.stabilize, variant=shot.variant("upper"),
                              swapper=UpperHalfSwapper(size=64), out_dir=out))
    return read_converted(out)


def test_the_plates_lips_do_not_show_under_a_swap_that_stops_above_them(hopper_shot, tmp_path):
    from pipeline.comp.edit import edit_from_dict
    from pipeline.comp.stage import variant_frame
    from pipeline.dataset.descriptors import OUTER_LIP_POLYGON
    from pipeline.media.image import linear_to_srgb, read_exr, read_image, srgb_to_linear
    from pipeline.shot import frame_path
    from pipeline.track.solve import Landmarker, to_rgb8

    frame = 1002
    plate = read_image(frame_path(hopper_shot.plate, frame))[..., :3]
    mesh = Landmarker(mode="static")
    try:
        points = mesh(to_rgb8(plate, linear=False))
    finally:
        mesh.close()
    lips = np.zeros(plate.shape[:2], np.uint8)
    cv2.fillPoly(lips, [np.round(points[list(OUTER_LIP_POLYGON)]).astype(np.int32)], 1)
    lips = lips.astype(bool)
    painted = _convert(hopper_shot, tmp_path / "painted")
    left = _convert(hopper_shot, tmp_path / "left", paint_out=False)

    def comp(converted):
        return read_image(converted.folder / frame_path(converted["comp"], frame))[..., :3]

    assert np.abs(comp(left)[lips] - plate[lips]).max() < 0.01  # unpainted, the plate's lips show under the swap
    chin = np.round(points[152]).astype(int)
    neck = plate[chin[1] + 10:chin[1] + 30, chin[0] - 5:chin[0] + 5].reshape(-1, 3).mean(axis=0)
    assert np.abs(comp(painted)[lips] - plate[lips]).mean() > 0.1
    assert np.allclose(comp(painted)[lips].mean(axis=0), neck, atol=0.05)  # painted: the neck drawn up over them
    changed = np.abs(comp(painted) - comp(left)).max(axis=-1) > 1.5 / 255  # the paint alone
    assert not changed[:, :100].any() and not changed[chin[1] + 60:].any()  # away from the face, as before
    # the swap pass carries the paint as a layer of its own, and the comp render lays it under the swap as well
    channels = read_exr(painted.folder / frame_path(painted["passes"]["swap"], frame))
    assert {"paint.R", "paint.G", "paint.B", "paint.A"} <= set(channels)
    assert not any(c.startswith("paint.") for c in read_exr(left.folder / frame_path(left["passes"]["swap"], frame)))
    edit = edit_from_dict([{"frame_start": hopper_shot.first_frame, "frame_end": hopper_shot.last_frame,
                            "variant": "upper"}])
    rendered = linear_to_srgb(np.clip(variant_frame(painted, frame, srgb_to_linear(plate), edit), 0.0, None))
    assert np.abs(rendered - comp(painted)).max() < 2 / 255
