"""The convert stage on the synthetic pirouette: exact warps, colour match, motion blur, passes, QC, bad input."""
from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.convert import ConvertConfig, ConvertInputs, VariantConfig, read_converted, run
from pipeline.convert.composite import composite, put_back
from pipeline.errors import InputError
from pipeline.media.image import linear_to_srgb, read_exr, read_image, srgb_to_linear
from pipeline.shot import frame_path
from tests.pipeline.convert.conftest import IdentitySwapper


def test_identity_model_puts_the_plate_back(identity_shot, converted):
    folder = converted("same")
    data = read_converted(folder)
    assert [r.frame for r in data.frames] == list(identity_shot.frames)
    errors = []
    for frame in identity_shot.frames:
        comp = read_image(folder / frame_path(data["comp"], frame))[..., :3]
        plate = read_image(frame_path(identity_shot.plate, frame))[..., :3]
        matte = read_image(frame_path(identity_shot.truth.matte, frame))[..., 0] > 0.5
        errors.append(np.abs(comp - plate)[matte].mean())
        assert (folder / frame_path(data["passes"]["swap"], frame)).is_file()
        assert (folder / frame_path(data["passes"]["crop"], frame)).is_file()
    # only resampling (plate -> crop -> plate, bilinear both ways) separates them
    assert max(errors) < 0.02, errors
    assert (folder / "review.mp4").is_file() and (folder / "review.thumbnail.png").is_file()


def test_passes_and_qc_are_written_per_frame(identity_shot, converted):
    folder = converted("same")
    data = read_converted(folder)
    swap = read_exr(folder / frame_path(data["passes"]["swap"], identity_shot.first_frame))
    assert {"R", "G", "B", "A", "mask"} <= set(swap)
    assert swap["A"].shape == (data["height"], data["width"]) and swap["A"].max() > 0.99
    crop = read_exr(folder / frame_path(data["passes"]["crop"], identity_shot.first_frame))
    assert crop["A"].shape == (data["crop_size"], data["crop_size"])
    assert [q.frame for q in data.qc] == list(identity_shot.frames)
    assert all(q.consistency == pytest.approx(0.0, abs=1e-6) for q in data.qc)  # identity is self-consistent
    assert data.record["model"] == "identity" and data.timings["model"] >= 0


def test_qc_says_where_the_face_is_for_the_players_loupe(identity_shot, converted):
    data = read_converted(converted("same"))
    rows = [q for q in data.qc if q.swapped]
    assert rows and all(0 < q.face[0] < 1 and 0 < q.face[1] < 1 and 0 < q.face[2] < 0.5 for q in rows)
    for q in rows[::8]:  # the centre lies on the head the truth's matte shows
        matte = read_image(frame_path(identity_shot.truth.matte, q.frame))[..., 0]
        h, w = matte.shape
        assert matte[int(q.face[1] * h), int(q.face[0] * w)] > 0.5, q


def test_by_default_a_swap_keeps_the_actors_colours(identity_shot, converted):
    """The actor's material is shot in the scene's light, so the default does not regrade the swap: a perfect
    swap (the actor's truth) composites as the truth. A statistics match would pull the actor's blond hair and
    lighter skin towards the dancer's brown hair and skin, as lab_mean_std does here."""
    from pipeline.stabilize.crop import stabilize_frame

    assert ConvertConfig().colour_match == "none"
    record = read_converted(converted("same")).frames[4]  # a frontal frame
    plate = read_image(frame_path(identity_shot.plate, record.frame))[..., :3]
    truth = read_image(frame_path(identity_shot.truth.rigid, record.frame))[..., :3]
    transform = np.asarray(record.transform)
    actor = stabilize_frame(truth, transform, 128)
    mask = np.ones((128, 128), np.float32)
    seen = {}
    for method in ("none", "lab_mean_std"):
        back = put_back(plate, actor, mask, transform, motion=np.zeros(2), linear=False,
                        config=ConvertConfig(colour_match=method, motion_blur=False, erode_px=0, feather_px=0.0))
        h, w = back.alpha.shape
        head = read_image(frame_path(identity_shot.truth.matte, record.frame))[back.y0:back.y0 + h,
                                                                                   back.x0:back.x0 + w, 0] > 0.5
        swap = linear_to_srgb(back.premult[head] / back.alpha[head][:, None])
        seen[method] = (np.abs(swap.mean(0) - truth[back.y0:back.y0 + h, back.x0:back.x0 + w][head].mean(0)).max(),
                        np.abs(swap.mean(0) - plate[back.y0:back.y0 + h, back.x0:back.x0 + w][head].mean(0)).max())
    assert seen["none"][0] < 0.01, seen  # the actor, as she was
    assert seen["lab_mean_std"][1] < seen["lab_mean_std"][0], seen  # matched: nearer the dancer's colours


def test_the_reconstruction_match_applies_only_the_grade_the_model_missed(identity_shot, tmp_path):
    from pipeline.convert.colour import colour_match

    rng = np.random.default_rng(4)
    plate = rng.uniform(0.2, 0.6, (32, 32, 3)).astype(np.float32)  # the dancer, as the plate shows her
    swap = np.clip(plate[..., ::-1] + 0.2, 0, 1)  # the actor: other colours
    region = np.ones((32, 32), bool)
    # the model rebuilt the plate's person exactly: nothing to correct, the actor keeps her colours
    assert np.abs(colour_match("reconstruction", swap, plate, region, plate) - swap).max() < 0.01
    # it rebuilt her darker than the plate shows: the swap is lifted by that grade, not made the dancer's colours
    lifted = colour_match("reconstruction", swap, plate, region, plate * 0.7)
    assert lifted.mean() > swap.mean() + 0.05
    with pytest.raises(InputError, match="reconstruction of the plate's person"):
        colour_match("reconstruction", swap, plate, region)
    # a model that cannot rebuild the plate's person (here the identity instrument, like a cg model) is refused
    # before anything is written
    with pytest.raises(InputError, match="colour_match 'reconstruction'"):
        run(ConvertConfig(colour_match="reconstruction"), ConvertInputs(
            shot=identity_shot, framing=identity_shot.config.stabilize,
            variant=VariantConfig(name="same", model="identity"), swapper=IdentitySwapper(), out_dir=tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_colour_match_brings_the_mask_region_to_the_plate_mean(identity_shot, converted):
    from pipeline.config import config_from_dict

    config = config_from_dict(ConvertConfig, {"motion_blur": False}, where="t")
    data = read_converted(converted("same"))
    record = data.frames[20]
    plate = read_image(frame_path(identity_shot.plate, record.frame))[..., :3]
    transform = np.asarray(record.transform)
    from pipeline.stabilize.crop import stabilize_frame

    crop = stabilize_frame(plate, transform, 128)
    graded = np.clip(crop * np.array([1.3, 0.8, 0.7], np.float32) + 0.05, 0, 1)
    mask = np.ones((128, 128), np.float32)
    for method in ("lab_mean_std", "histogram"):
        for match in (False, True):
            back = put_back(plate, graded, mask, transform, config=ConvertConfig(colour_match=method, motion_blur=False, erode_px=0,
                                                                 feather_px=0.0),
                            motion=np.zeros(2), linear=False, match=match)
            h, w = back.alpha.shape
            region = back.mask > 0.5  # where the swap's matte holds it, as the match measures
            swap = linear_to_srgb(back.premult[region] / back.alpha[region][:, None])  # as seen, like the plate
            under = plate[back.y0:back.y0 + h, back.x0:back.x0 + w][region]
            error = np.abs(swap.mean(0) - under.mean(0)).max()
            if match:
                assert error < 0.01, (method, error)
            else:
                assert error > 0.05, (method, error)


def test_blur_matching_lowers_the_error_against_the_blurred_truth(identity_shot, converted):
    """A head sliding fast across the frame: the truth is the swap averaged over the open shutter."""
    from pipeline.convert.blur import head_motion
    from pipeline.stabilize.crop import crop_transform, stabilize_frame
    from pipeline.track.headtrack import HeadTrack
    from pipeline.track.load import load_head_track

    track = load_head_track(identity_shot.head_track, intrinsics=identity_shot.camera)
    i = 24
    velocity = np.array([0.12, 0.05, 0.0])  # metres per frame in camera space: about 20 pixels per frame here
    sliding = HeadTrack(frames=track.frames[i - 1:i + 2], rotation=track.rotation[[i, i, i]],
                        translation=track.translation[i] + np.outer([-1, 0, 1], velocity),
                        intrinsics=track.intrinsics[i - 1:i + 2], confidence=np.ones(3),
                        status=np.array(["measured"] * 3))
    config = ConvertConfig(colour_match="none", erode_px=0, feather_px=0.0, shutter=0.5)
    motion = head_motion(sliding, shutter=config.shutter)[1]
    assert np.hypot(*motion) > 6

    plate = read_image(frame_path(identity_shot.plate, int(track.frames[i])))[..., :3]
    plate_linear = srgb_to_linear(plate)

    def transform_at(t: float) -> np.ndarray:
        pose = np.eye(4)
        pose[:3, :3], pose[:3, 3] = track.rotation[i], track.translation[i] + t * velocity
        return crop_transform(pose, track.intrinsics[i], size=128, radius=0.16)

    swap = stabilize_frame(np.clip(plate[::-1, ::-1] * 0.5 + 0.3, 0, 1), transform_at(0.0), 128)  # not the plate
    mask = np.ones((128, 128), np.float32)
    sharp = dict(config=config, linear=False, match=False, motion=np.zeros(2))
    times = (np.arange(16) + 0.5) / 16 * config.shutter - config.shutter / 2
    truth = np.mean([composite(plate_linear, put_back(plate, swap, mask, transform_at(t), **sharp)) for t in times], 0)
    unblurred = composite(plate_linear, put_back(plate, swap, mask, transform_at(0.0), **sharp))
    matched = composite(plate_linear, put_back(plate, swap, mask, transform_at(0.0), config=config, linear=False,
                                               match=False, motion=motion))
    error_sharp, error_matched = np.abs(unblurred - truth).mean(), np.abs(matched - truth).mean()
    assert error_matched < 0.5 * error_sharp, (error_matched, error_sharp)


def test_cg_variant_writes_each_lighting_pass_as_its_own_layer(identity_shot, tmp_path):
    variant = VariantConfig(name="cg", model="cg", passes=("beauty", "key", "rim"))
    swapper = IdentitySwapper(64)
    out = run(ConvertConfig(review_clip=False, batch_size=16),
              ConvertInputs(shot=identity_shot, framing=identity_shot.config.stabilize, variant=variant,
                            swapper=swapper, out_dir=tmp_path / "cg"))
    data = read_converted(out.manifest)
    assert data["layers"] == ["beauty", "key", "rim"]
    swap = read_exr(tmp_path / "cg" / frame_path(data["passes"]["swap"], identity_shot.first_frame + 10))
    for layer in ("beauty", "key", "rim"):
        assert {f"{layer}.{c}" for c in "RGBA"} <= set(swap)
    assert swap["key.R"].max() > 0 and not np.allclose(swap["key.R"], swap["beauty.R"])
    np.testing.assert_allclose(swap["R"], swap["beauty.R"], atol=1e-3)  # beauty (the first pass) is composited


class _RecordingSwapper(IdentitySwapper):
    """The identity instrument, keeping the crops the model was given, by plate frame."""

    def __init__(self, size: int):
        super().__init__(size)
        self.seen: dict[int, np.ndarray] = {}

    def __call__(self, crops, frames=None):
        self.seen.update(zip(frames, crops[..., :3].copy()))
        return super().__call__(crops, frames)


def test_a_cg_model_is_given_the_passes_encoded_as_the_faceset_it_learnt_from(identity_shot, tmp_path):
    from pipeline.dataset.build import BuildInputs, DatasetConfig
    from pipeline.dataset.build import run as build
    from pipeline.dataset.faceset import read_faceset
    from pipeline.eval import EvalConfig, EvalInputs, ModelCrops, cg_pass_source
    from pipeline.eval import run as evaluate

    # the faceset cuts the beauty pass (linear light in the EXR) as display-encoded crops; conversion must hand the
    # model the same encoding, or it meets darker inputs than it ever saw (profiles came out 3-7 dB under frontal)
    build(DatasetConfig(size=64, landmarks=False), BuildInputs(shot=identity_shot, out_dir=tmp_path / "faceset",
                                                               identity="actor",
                                                               sources=("cg_beauty", "walkthrough_main")))
    swapper = _RecordingSwapper(64)
    run(ConvertConfig(review_clip=False),
        ConvertInputs(shot=identity_shot, framing=identity_shot.config.stabilize, swapper=swapper,
                      variant=VariantConfig(name="cg", model="cg", passes=("beauty",)), out_dir=tmp_path / "cg"))
    # and so must `facereplace eval` when it scores a cg model on its crops
    scored = _RecordingSwapper(64)
    evaluate(EvalConfig(plots=False), EvalInputs(shot=identity_shot, out_dir=tmp_path / "eval", variants=[
        ModelCrops("cg", scored, source=cg_pass_source("beauty"))]))
    crops = [e for e in read_faceset(tmp_path / "faceset")["crops"] if e["source"] == "cg"]
    assert len(crops) > 10
    for entry in crops:
        learnt = read_image(tmp_path / "faceset" / entry["image"])[..., :3]
        for who, given in (("convert", swapper.seen[entry["frame"]]), ("eval", scored.seen[entry["frame"]])):
            error = float(np.abs(given - learnt).mean())
            assert error < 0.01, (who, entry["frame"], error)  # 8-bit rounding apart


def test_missing_cg_pass_is_an_error_before_anything_is_written(identity_shot, tmp_path):
    variant = VariantConfig(name="cg", model="cg", passes=("beauty", "sparkle"))
    with pytest.raises(InputError, match="sparkle"):
        run(ConvertConfig(), ConvertInputs(shot=identity_shot, framing=identity_shot.config.stabilize, variant=variant,
                                           swapper=IdentitySwapper(64), out_dir=tmp_path / "cg"))
    assert not (tmp_path / "cg").exists()


def test_unknown_settings_name_what_is_known(identity_shot):
    from pipeline.config import config_from_dict

    with pytest.raises(InputError, match="colour_match"):
        config_from_dict(ConvertConfig, {"colour_match": "sepia"}, where="[convert]")
    with pytest.raises(InputError, match="same, graded"):
        identity_shot.variant("nope")


def test_review_variant_manifest_for_publish(identity_shot, converted):
    from pipeline.publish.variant import variants_of, write_review_variant

    path = write_review_variant(identity_shot.root, converted("same") / "converted.json")
    assert json.loads(path.read_text())["qc"][0]["frame"] == identity_shot.first_frame
    (published,) = variants_of(identity_shot.root)
    assert published.label == "same" and published.files["clip"].is_file()


def test_a_shot_longer_than_its_plate_is_refused_before_writing(identity_shot, tmp_path):
    from dataclasses import replace

    longer = replace(identity_shot, last_frame=identity_shot.last_frame + 4)
    with pytest.raises(InputError, match="holds frames 1001-1048, the shot is 1001-1052"):
        run(ConvertConfig(), ConvertInputs(shot=longer, framing=longer.config.stabilize,
                                           variant=VariantConfig(name="x", model="identity"),
                                           swapper=IdentitySwapper(64), out_dir=tmp_path / "x"))
    assert not (tmp_path / "x").exists()
