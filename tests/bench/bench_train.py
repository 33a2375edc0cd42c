"""Benchmark of the training stage: steps per second at 64², 128² and 256² on the CPU.

The stage's step (sampling both identities' batches from the crop store, plate-matching augmentation, masked
L1 + SSIM + mask loss, Adam) against a bare loop of the same network, loss and optimizer on batches already
in memory, without augmentation, in the same run. Steps of the two alternate, one by one, and the median
step time of each counts, so another process's load hurts both alike. Torch runs on one thread here: on a shared 2-core
machine two threads spin against other processes and the figures become noise. Goal: the stage at least 0.8
of the bare loop.
"""
from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from pipeline.models import create_model
from pipeline.train import ArrayCrops, IdentityCrops, TrainConfig, TrainInputs, TrainingSet
from pipeline.train.losses import face_loss, mouth_weights
from pipeline.train.stage import TrainingStage
from tests.pipeline.train.faces import face_set, random_poses

logger = logging.getLogger(__name__)

SIZES = {64: 30, 128: 12, 256: 5}  # crop size: timed steps of each loop
BATCH = 8


def _material(size: int, rng: np.random.Generator) -> TrainingSet:
    identities = {}
    for who in ("dancer", "actor"):
        poses = random_poses(32, rng)
        crops, masks = face_set(who, rng.uniform(0, 1, 32), poses)
        up = lambda a: np.ascontiguousarray(np.repeat(np.repeat(a, size // 64, 1), size // 64, 2))  # noqa: E731
        identities[who] = IdentityCrops(crops=ArrayCrops(up(crops)), masks=ArrayCrops(up(masks)), poses=poses,
                                        ids=[f"{who}{i}" for i in range(32)])
    return TrainingSet(size=size, identities=identities, manifest_hash="bench")


def _bare_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer,
               batches: list[tuple[str, torch.Tensor, torch.Tensor, torch.Tensor]], config: TrainConfig) -> None:
    optimizer.zero_grad(set_to_none=True)
    total = torch.zeros(())
    for role, x, m, mouth in batches:
        rgb, mask = model(x, role)
        total = total + face_loss(rgb, mask, x, m, l1=config.loss.l1, ssim_weight=config.loss.ssim,
                                  mask_weight=config.loss.mask, mouth=mouth, mouth_weight=config.loss.mouth)
    total.backward()
    optimizer.step()


def _seconds(fn) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def run(report) -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _measure(report)
    finally:
        torch.set_num_threads(threads)


def _measure(report) -> None:
    rng = np.random.default_rng(0)
    for size, steps in SIZES.items():
        data = _material(size, rng)
        config = TrainConfig(steps=10 ** 9, batch_size=BATCH, checkpoint_every=10 ** 9, preview_every=0,
                             device="cpu")
        with tempfile.TemporaryDirectory() as tmp:
            inputs = TrainInputs(data=data, model="loose", out_dir=Path(tmp))
            stage = TrainingStage(config, inputs, ("actor", "dancer"), torch.device("cpu"))
            bare = create_model("loose", size=size, width=config.network_width)
            optimizer = torch.optim.Adam(bare.parameters(), lr=config.learning_rate, betas=(0.5, 0.999))
            index = np.arange(BATCH)
            batches = [(who, torch.from_numpy(m.crops.take(index)).permute(0, 3, 1, 2).contiguous(),
                        torch.from_numpy(m.masks.take(index))[:, None].contiguous(),
                        mouth_weights(m.poses[index], size, radius=data.radius))
                       for who, m in sorted(data.identities.items())]
            stage.step()
            _bare_step(bare, optimizer, batches, config)
            ours, theirs = [], []
            for _ in range(steps):
                ours.append(_seconds(stage.step))
                theirs.append(_seconds(lambda: _bare_step(bare, optimizer, batches, config)))
        logger.info("%d²: stage %s s, bare %s s per step", size, np.round(ours, 3), np.round(theirs, 3))
        report.add(f"training steps per second, {size}² crops, batch {BATCH}", 1 / np.median(ours), "steps/s",
                   baseline="bare loop, same network and loss, no augmentation",
                   baseline_value=1 / np.median(theirs), goal="ratio >= 0.8")
