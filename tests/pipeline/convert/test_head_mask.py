"""Facesets with head masks -> a briefly trained model -> a converted plate that changes only around the head."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.convert import ConvertConfig, ConvertInputs, VariantConfig, read_converted, run
from pipeline.convert.composite import composite_display, put_back
from pipeline.convert.swapper import TrainedSwapper
from pipeline.dataset.build import BuildInputs
from pipeline.dataset.build import run as build
from pipeline.media.image import read_image
from pipeline.shot import Shot, frame_path, load_shot
from pipeline.stabilize.crop import crop_coverage, crop_transform, stabilize_frame
from pipeline.track.load import load_head_track
from pipeline.train import AugmentConfig, LossConfig, TrainConfig, TrainInputs
from pipeline.train import run as train
from pipeline.train.data import training_set

SIZE = 64
CHANGED = 2.0 / 255.0  # a pixel differing from the plate by more than this has been touched


@pytest.fixture(scope="module")
def masked_conversion(pirouette_shot, tmp_path_factory) -> tuple[Shot, Path, TrainedSwapper]:
    """The pirouette's dancer and actor (walkthrough) facesets at 64 px, a rigid model trained 150 steps on them,
    and the plate converted with it."""
    import torch

    root = tmp_path_factory.mktemp("masked")
    shot = load_shot(pirouette_shot)
    # the shot's own [dataset] readings (a synthetic head: the proxy's outline, no person segmentation), at 64 px
    config = dataclasses.replace(shot.config.dataset, size=SIZE, landmarks=False, cg_passes=[])
    build(config, BuildInputs(shot=shot, out_dir=root / "dancer", identity="dancer"))
    build(config, BuildInputs(shot=shot, out_dir=root / "actor", identity="actor", sources=("walkthrough_main",)))
    data = training_set({"dancer": root / "dancer", "actor": root / "actor"})
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        # the mouth term at its default weight (20) dominates what a model learns in its first hundred steps, the
        # mask included; this test is about the mask, so its brief model weighs the mouth like the rest of the face
        result = train(TrainConfig(steps=150, width=8, batch_size=8, learning_rate=1e-3, checkpoint_every=1000,
                                   preview_every=0, device="cpu", augment=AugmentConfig(enabled=False),
                                   loss=LossConfig(mouth=1.0)),
                       TrainInputs(data=data, model="rigid", out_dir=root / "train"))
        swapper = TrainedSwapper(result.checkpoint, device="cpu")
        run(ConvertConfig(motion_blur=False, review_clip=False, device="cpu"),
            ConvertInputs(shot=shot, framing=shot.config.stabilize, variant=VariantConfig(name="masked", model="rigid"),
                          swapper=swapper, out_dir=root / "convert"))
    finally:
        torch.set_num_threads(threads)
    return shot, root / "convert", swapper


def _frame(shot: Shot, frame: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The plate, its crop transform and the pixels of the crop's square far (4+ px) from the true head."""
    track = load_head_track(shot.head_track, intrinsics=shot.camera, rotation_order=shot.rotation_order)
    i = track.index(frame)
    m = crop_transform(track.transforms()[i], track.intrinsics[i], size=SIZE, radius=0.16)
    plate = read_image(frame_path(shot.plate, frame))[..., :3]
    matte = read_image(frame_path(shot.truth.matte, frame))
    matte = matte[..., 0] if matte.ndim == 3 else matte
    near = cv2.dilate((matte > 0.01).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    return plate, m, (crop_coverage(m, SIZE, plate.shape[:2]) > 0.99) & ~near


def test_a_converted_frame_changes_only_the_head(masked_conversion):
    shot, folder, _ = masked_conversion
    data = read_converted(folder)
    far_changed, head_changed = [], []
    for frame in list(shot.frames)[::4]:
        plate, _, far = _frame(shot, frame)
        matte = read_image(frame_path(shot.truth.matte, frame))
        matte = (matte[..., 0] if matte.ndim == 3 else matte) > 0.5
        diff = np.abs(read_image(folder / frame_path(data["comp"], frame))[..., :3] - plate).max(axis=-1)
        assert far.sum() > 1000  # the square holds plenty of background beside the head
        far_changed.append(float((diff[far] > CHANGED).mean()))
        head_changed.append(float((diff[matte] > CHANGED).mean()))
    # the corners of the crop's square stay the plate (a few pixels at most where the brief model's mask blurs)
    assert np.median(far_changed) < 0.06 and max(far_changed) < 0.2, far_changed
    assert min(head_changed) > 0.5, head_changed  # while the head is replaced


def test_the_same_swap_with_a_square_mask_would_change_the_background(masked_conversion):
    """What the test above guards against: composited with a mask covering the crop, the square changes."""
    shot, _, swapper = masked_conversion
    frame = shot.first_frame
    plate, m, far = _frame(shot, frame)
    rgb, mask = swapper(stabilize_frame(plate, m, SIZE)[None])
    assert float(mask[0].mean()) < 0.6  # the model predicts a head, not the square
    config = ConvertConfig(motion_blur=False, review_clip=False)
    square = put_back(plate, rgb[0], np.ones_like(mask[0]), m, config=config, motion=np.zeros(2), linear=False)
    diff = np.abs(composite_display(plate, square, linear=False) - plate).max(axis=-1)
    assert float((diff[far] > CHANGED).mean()) > 0.5


def test_the_model_rebuilds_the_dancer_for_the_reconstruction_colour_match(masked_conversion, tmp_path):
    """The reconstruction colour match's reference: the plate's person through her own decoder (nearer the plate
    than the swap into the actor is); a conversion graded by it swaps every frame."""
    shot, _, swapper = masked_conversion
    plate, transform, _ = _frame(shot, shot.first_frame + 4)
    crop = stabilize_frame(plate, transform, SIZE)[None]
    rebuilt = swapper.reconstruct(crop)
    swapped, _ = swapper(crop)
    assert swapper.source_identity == "dancer" and rebuilt.shape == crop.shape
    assert np.abs(rebuilt - crop).mean() < np.abs(swapped - crop).mean()
    run(ConvertConfig(colour_match="reconstruction", motion_blur=False, review_clip=False, device="cpu"),
        ConvertInputs(shot=shot, framing=shot.config.stabilize, variant=VariantConfig(name="graded", model="rigid"),
                      swapper=swapper, out_dir=tmp_path / "graded"))
    assert {r.status for r in read_converted(tmp_path / "graded").frames} == {"swapped"}
