"""Conversion batched on the device (pipeline.convert.batched) gives what the per-frame path gives: the same
crops, swap, inverse warp, motion blur, erosion, feather and composite, within interpolation rounding; here on
the CPU, the same code as on a GPU."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from pipeline.convert.batched import BatchedConversion, crop_batch
from pipeline.convert.composite import composite_display, put_back
from pipeline.convert.config import ConvertConfig
from pipeline.convert.swapper import TrainedSwapper
from pipeline.errors import InputError
from pipeline.stabilize.crop import stabilize_frame


@pytest.fixture(scope="module")
def loose_checkpoint(tmp_path_factory) -> Path:
    """A loose model of the gpu-256 preset's network (residual, channels-last, bf16), 64² crops, two steps."""
    from pipeline.train import ArrayCrops, AugmentConfig, IdentityCrops, TrainConfig, TrainInputs, TrainingSet, run

    rng = np.random.default_rng(0)
    material = {who: IdentityCrops(crops=ArrayCrops(rng.uniform(0, 1, (4, 64, 64, 3)).astype(np.float32)),
                                   masks=ArrayCrops(np.ones((4, 64, 64), np.float32)), poses=np.zeros((4, 3)),
                                   ids=[f"{who}{i}" for i in range(4)]) for who in ("dancer", "actor")}
    result = run(TrainConfig(preset="gpu-256", precision="bf16", steps=2, width=4, batch_size=2, checkpoint_every=10,
                             preview_every=0, device="cpu", augment=AugmentConfig(enabled=False)),
                 TrainInputs(data=TrainingSet(size=64, identities=material, manifest_hash="t"), model="loose",
                             out_dir=tmp_path_factory.mktemp("batched") / "loose"))
    return result.checkpoint


def _plate() -> np.ndarray:
    from skimage import data

    return cv2.resize(data.astronaut(), (320, 240), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def _transform(x: float, y: float, scale: float, degrees: float, size: int = 64) -> np.ndarray:
    """Plate -> crop: the crop's centre on plate point (x, y), `scale` crop pixels a plate pixel, turned."""
    a = np.radians(degrees)
    r = scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    t = np.eye(3)
    t[:2, :2] = r
    t[:2, 2] = (size - 1) / 2 - r @ np.array([x, y])
    return t


TRANSFORMS = np.stack([_transform(150, 100, 0.6, 0), _transform(170, 90, 0.55, 12),
                       _transform(300, 60, 0.7, -8)])  # the last runs off the plate's right edge
MOTIONS = np.array([[0.0, 0.0], [6.0, 2.5], [-3.0, 4.0]])


def test_crops_match_the_per_frame_crops() -> None:
    plate = _plate()
    ones = np.ones(plate.shape[:2], np.float32)
    inside = np.stack([stabilize_frame(ones, t, 64) for t in TRANSFORMS])
    expected = np.stack([stabilize_frame(plate, t, 64) for t in TRANSFORMS]) / np.maximum(inside[..., None], 1e-3)
    images = torch.from_numpy(plate).permute(2, 0, 1)[None].repeat(3, 1, 1, 1)
    got = crop_batch(images, torch.from_numpy(TRANSFORMS).float(), 64).permute(0, 2, 3, 1).numpy()
    diff = np.abs(got - expected)
    assert (inside < 0.99).any()  # the last crop runs off the plate, where the rescaling matters
    # OpenCV rounds its bilinear weights to 1/32 pixel: where a crop pixel holds a sliver of plate the rescaling
    # magnifies that, so the worst pixels are compared where they hold a quarter of a pixel's plate or more
    assert diff.mean() < 2e-3 and diff[inside >= 0.25].max() < 0.05, (diff.mean(), diff[inside >= 0.25].max())


@pytest.mark.parametrize("blur", [False, True])
def test_batched_conversion_matches_the_per_frame_path(loose_checkpoint: Path, blur: bool) -> None:
    config = ConvertConfig(motion_blur=blur)
    swapper = TrainedSwapper(loose_checkpoint, device="cpu")
    plate = _plate()
    ones = np.ones(plate.shape[:2], np.float32)
    expected = []
    for t, motion in zip(TRANSFORMS, MOTIONS):
        crop = stabilize_frame(plate, t, 64) / np.maximum(stabilize_frame(ones, t, 64)[..., None], 1e-3)
        rgb, mask = swapper(crop[None])
        back = put_back(plate, rgb[0], mask[0], t, config=config, motion=motion, linear=False)
        expected.append(composite_display(plate, back, linear=False))
    plates = torch.from_numpy(plate).permute(2, 0, 1)[None].repeat(3, 1, 1, 1).contiguous()
    result = BatchedConversion(swapper, config, linear=False)(plates, TRANSFORMS, MOTIONS)
    got = result.comp.permute(0, 2, 3, 1).numpy()
    diff = np.abs(got - np.stack(expected))
    changed = np.abs(np.stack(expected) - plate).max(-1) > 0.02
    assert changed.mean() > 0.02  # the swap really changed the frames (a head-sized patch each)
    assert diff.mean() < 1e-4 and diff.max() < 0.01, (diff.mean(), diff.max())  # a feather 1 px off: 4e-4, 0.03
    assert result.rgb.shape == (3, 3, 64, 64) and result.actor_frames is None


def test_snapping_model_says_which_actor_frame_it_took(snapping_checkpoint: Path) -> None:
    swapper = TrainedSwapper(snapping_checkpoint, device="cpu")
    plates = torch.from_numpy(_plate()).permute(2, 0, 1)[None].repeat(3, 1, 1, 1).contiguous()
    result = BatchedConversion(swapper, ConvertConfig(), linear=False)(plates, TRANSFORMS, MOTIONS)
    crops = crop_batch(plates, torch.from_numpy(TRANSFORMS).float(), 64).permute(0, 2, 3, 1).numpy()
    assert [f.bank_id for f in result.actor_frames] == [f.bank_id for f in swapper.swap(crops).actor_frames]


def test_colour_matches_that_measure_the_plate_are_named(loose_checkpoint: Path) -> None:
    with pytest.raises(InputError, match="colour_match 'lab_mean_std'.*per-frame"):
        BatchedConversion(TrainedSwapper(loose_checkpoint, device="cpu"), ConvertConfig(colour_match="lab_mean_std"),
                          linear=False)


def test_a_conversion_whose_crops_are_cut_on_the_device_matches_opencvs(identity_shot, snapping_checkpoint,
                                                                        tmp_path, monkeypatch) -> None:
    """The stage's hook: with the swapper on a GPU the batch's crops are cut there; here the CPU stands in."""
    from pipeline.convert import ConvertInputs, VariantConfig, read_converted, run
    from pipeline.convert import stage

    def convert(folder: str) -> dict[int, np.ndarray]:
        swapper = TrainedSwapper(snapping_checkpoint, device="cpu", performance=1.0)
        out = tmp_path / folder
        run(ConvertConfig(motion_blur=False, review_clip=False),
            ConvertInputs(shot=identity_shot, framing=identity_shot.config.stabilize,
                          variant=VariantConfig(name="loose", model="rigid"), swapper=swapper, out_dir=out))
        frames = [r.frame for r in read_converted(out).frames if r.swapped]
        return {f: cv2.imread(str(out / "comp" / f"comp.{f:04d}.png"), cv2.IMREAD_UNCHANGED) for f in frames}

    opencv = convert("opencv")
    monkeypatch.setattr(stage, "crop_device", lambda swapper: torch.device("cpu"))
    device = convert("device")
    assert opencv.keys() == device.keys() and len(opencv) > 6
    diff = np.concatenate([np.abs(opencv[f].astype(float) - device[f]).ravel() for f in opencv]) / 65535 \
        if next(iter(opencv.values())).dtype == np.uint16 else \
        np.concatenate([np.abs(opencv[f].astype(float) - device[f]).ravel() for f in opencv]) / 255
    assert diff.max() > 0  # the hook really cut the crops another way
    assert diff.mean() < 1e-3 and diff.max() < 0.05, (diff.mean(), diff.max())
