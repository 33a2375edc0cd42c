"""The GPU training path, run on the CPU: the crop store gives exactly what the crops hold, bf16 autocast trains,
the GPU presets train with their detail losses and resume, the batch is sized to memory, and a checkpoint's
file holds plain CPU tensors whatever layout trained it."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from pipeline.train import ArrayCrops, TrainConfig, TrainInputs, TrainingSet, load_checkpoint, load_trained, run
from pipeline.train.data import FullMasks
from pipeline.train.loader import CropStore
from pipeline.train.stage import TrainingStage, autocast_dtype, batch_for_memory

TINY = dict(steps=3, checkpoint_every=2, preview_every=0, width=8, batch_size=2, device="cpu")  # the CPU path


def test_crop_store_gives_exactly_the_crops_values() -> None:
    rng = np.random.default_rng(0)
    eight_bit = ArrayCrops(rng.integers(0, 256, (5, 16, 16, 3), dtype=np.uint8))
    floats = ArrayCrops(rng.uniform(0, 1, (5, 16, 16)).astype(np.float32))
    index = np.array([4, 0, 4, 2])
    for crops in (eight_bit, floats, FullMasks(5, 16)):
        store = CropStore(crops, torch.device("cpu"))
        expected = crops.take(index)
        expected = expected[:, None] if expected.ndim == 3 else expected.transpose(0, 3, 1, 2)
        assert torch.equal(store.take(torch.from_numpy(index)), torch.from_numpy(np.ascontiguousarray(expected)))
    assert CropStore(eight_bit, torch.device("cpu")).data.dtype == torch.uint8  # a quarter of float32's memory
    assert CropStore(floats, torch.device("cpu")).data.dtype == torch.float32  # not 8-bit: kept exact
    last = CropStore(eight_bit, torch.device("cpu"), memory_format=torch.channels_last).take(index)
    assert last.is_contiguous(memory_format=torch.channels_last)


def test_precision_and_batch_sizing() -> None:
    cpu = torch.device("cpu")
    assert autocast_dtype("auto", cpu) is None and autocast_dtype("bf16", cpu) == torch.bfloat16
    assert autocast_dtype("fp16", cpu) == torch.float16 and autocast_dtype("fp32", cpu) is None
    assert batch_for_memory(16, per_item=100, available=10_000) == 16
    assert batch_for_memory(16, per_item=1000, available=10_000) == 8   # 80 % of what is free
    assert batch_for_memory(16, per_item=10 ** 9, available=10) == 1


def test_bf16_autocast_trains_on_the_cpu(base_set: TrainingSet, tmp_path: Path) -> None:
    fp32 = run(TrainConfig(**TINY, precision="fp32"),
               TrainInputs(data=base_set, model="loose", out_dir=tmp_path / "fp32"))
    bf16 = run(TrainConfig(**TINY, precision="bf16"), TrainInputs(data=base_set, model="loose",
                                                                   out_dir=tmp_path / "bf16"))
    assert np.isfinite(bf16.losses).all() and len(bf16.losses) == 3
    assert bf16.losses != fp32.losses  # the forward pass really ran in bf16
    assert abs(bf16.losses[0] - fp32.losses[0]) < 0.05 * fp32.losses[0]


@pytest.mark.parametrize("preset", ["gpu-256", "gpu-512"])
def test_gpu_preset_trains_with_its_detail_losses_and_resumes_exactly(preset: str, base_set: TrainingSet,
                                                                      tmp_path: Path) -> None:
    config = TrainConfig(**{**TINY, "steps": 4}, preset=preset, precision="bf16")
    inputs = TrainInputs(data=base_set, model="loose", out_dir=tmp_path / "whole")
    stage = TrainingStage(config, inputs, ("dancer", "actor"), torch.device("cpu"))
    assert stage.discriminator is not None and stage.multiscale > 0
    assert stage.model.network == "residual" and stage.model.latent_dim == 512  # loose's 256, widened
    conv = stage.model.features[0].weight
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    whole = run(config, inputs)
    first = run(TrainConfig(**{**TINY, "steps": 2}, preset=preset, precision="bf16"),
                TrainInputs(data=base_set, model="loose", out_dir=tmp_path / "resumed"))
    resumed = run(config, TrainInputs(data=base_set, model="loose", out_dir=tmp_path / "resumed", resume=True))
    assert first.losses == whole.losses[:2] and resumed.losses == whole.losses
    state = load_checkpoint(whole.checkpoint)
    assert state["discriminator_state"] and state["config"]["preset"] == preset
    rigid = TrainingStage(config, TrainInputs(data=base_set, model="rigid", out_dir=tmp_path / "rigid"),
                          ("dancer", "actor"), torch.device("cpu"))
    assert rigid.model.latent_dim == 32  # rigid stays narrow: it still snaps


def test_checkpoint_of_a_channels_last_run_loads_as_plain_cpu_tensors(base_set: TrainingSet, tmp_path: Path) -> None:
    """One format on both devices: every tensor in the file is a contiguous CPU tensor, and the model it
    rebuilds on the CPU gives the trained model's output."""
    config = TrainConfig(**TINY, preset="gpu-256", precision="bf16")
    inputs = TrainInputs(data=base_set, model="loose", out_dir=tmp_path)
    stage = TrainingStage(config, inputs, ("dancer", "actor"), torch.device("cpu"))
    stage.step()
    path = stage.checkpoint(complete=True)
    raw = torch.load(path, map_location="meta", weights_only=True)  # where the file itself puts each tensor
    tensors = [t for part in ("model_state", "discriminator_state") for t in raw[part].values()]
    assert all(t.device.type == "meta" for t in tensors)  # map_location applied: nothing pinned to a device
    plain = torch.load(path, weights_only=True)
    assert all(t.device.type == "cpu" and t.is_contiguous() for t in plain["model_state"].values())
    trained = load_trained(path)
    x = torch.rand(2, 3, 64, 64)
    stage.model.eval()
    with torch.no_grad():
        assert torch.allclose(trained.model(x, "actor")[0], stage.model(x, "actor")[0], atol=1e-6)


def test_a_checkpoint_from_before_presets_resumes(base_set: TrainingSet, tmp_path: Path) -> None:
    """Its config has no preset or precision (and the old mixed_precision): it trained as cpu-demo does."""
    inputs = TrainInputs(data=base_set, model="loose", out_dir=tmp_path)
    run(TrainConfig(**{**TINY, "steps": 2}), inputs)
    path = tmp_path / "checkpoint.pt"
    state = torch.load(path, weights_only=True)
    config = {k: v for k, v in state["config"].items() if k not in ("preset", "precision")}
    torch.save({**state, "config": {**config, "mixed_precision": True}}, path)
    resumed = run(TrainConfig(**TINY), TrainInputs(data=base_set, model="loose", out_dir=tmp_path, resume=True))
    assert len(resumed.losses) == 3
    with pytest.raises(Exception, match="preset"):
        run(TrainConfig(**{**TINY, "steps": 4}, preset="gpu-256"),
            TrainInputs(data=base_set, model="loose", out_dir=tmp_path, resume=True))
