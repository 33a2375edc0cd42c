"""The CUDA path itself, where a GPU is there (`make bench-gpu` runs these first; skipped without one): training
sizes its batch to the GPU and runs bf16 channels-last, its checkpoint converts on the CPU with the GPU's output,
and conversion batched on the GPU gives what the CPU gives."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from pipeline.train import TrainConfig, TrainInputs, TrainingSet, load_trained, run
from pipeline.train.stage import TrainingStage

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (make bench-gpu)")


def test_gpu_preset_trains_on_cuda_and_its_checkpoint_converts_on_the_cpu(base_set: TrainingSet,
                                                                         tmp_path: Path) -> None:
    config = TrainConfig(preset="gpu-256", width=8, steps=4, checkpoint_every=2, preview_every=0, device="cuda")
    inputs = TrainInputs(data=base_set, model="loose", out_dir=tmp_path / "cuda")
    stage = TrainingStage(config, inputs, ("dancer", "actor"), torch.device("cuda"))
    assert stage.dtype == torch.bfloat16 and 1 <= stage.batch <= 16
    assert stage.stores["actor"].data.device.type == "cuda"  # a small store lives on the GPU
    result = run(config, inputs)
    assert np.isfinite(result.losses).all()
    on_gpu, on_cpu = load_trained(result.checkpoint, device="cuda"), load_trained(result.checkpoint, device="cpu")
    x = torch.rand(4, 3, 64, 64)
    with torch.no_grad():
        diff = (on_gpu.model(x.cuda(), "actor")[0].cpu() - on_cpu.model(x, "actor")[0]).abs().max()
    assert float(diff) < 1e-3


def test_batched_conversion_on_the_gpu_matches_the_cpu(base_set: TrainingSet, tmp_path: Path) -> None:
    from pipeline.convert.batched import BatchedConversion
    from pipeline.convert.config import ConvertConfig
    from pipeline.convert.swapper import TrainedSwapper
    from tests.pipeline.convert.test_batched import MOTIONS, TRANSFORMS, _plate

    config = TrainConfig(preset="gpu-256", width=8, batch_size=4, steps=2, checkpoint_every=2, preview_every=0,
                         device="cuda")
    checkpoint = run(config, TrainInputs(data=base_set, model="loose", out_dir=tmp_path)).checkpoint
    plates = torch.from_numpy(_plate()).permute(2, 0, 1)[None].repeat(3, 1, 1, 1).contiguous()
    comps = {}
    for device in ("cpu", "cuda"):
        convert = BatchedConversion(TrainedSwapper(checkpoint, device=device), ConvertConfig(), linear=False)
        comps[device] = convert(plates.to(device), TRANSFORMS, MOTIONS).comp.cpu()
    diff = (comps["cuda"] - comps["cpu"]).abs()
    assert float(diff.mean()) < 2e-3 and float(diff.max()) < 0.05  # bf16 on the GPU, float32 on the CPU
