"""Tiny synthetic material and trained rigid/loose models shared by the training tests (trained once)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from pipeline.train import ArrayCrops, AugmentConfig, IdentityCrops, TrainConfig, TrainInputs, TrainingSet, run
from pipeline.train.stage import TrainResult
from tests.pipeline.train.faces import face_set, random_poses

# Small enough to learn the mouth in a few hundred CPU steps.
BEHAVIOUR = dict(width=8, batch_size=8, learning_rate=1e-3, augment=AugmentConfig(enabled=False))


def identity(name: str, mouths: np.ndarray, rng: np.random.Generator, *, flat: bool = False) -> IdentityCrops:
    poses = random_poses(len(mouths), rng)
    crops, masks = face_set(name, mouths, poses, flat=flat)
    return IdentityCrops(crops=ArrayCrops(crops), masks=ArrayCrops(masks), poses=poses,
                         ids=[f"{name}_{i:03d}" for i in range(len(mouths))])


@pytest.fixture(scope="session")
def base_set() -> TrainingSet:
    """All material of the pair: both people with every mouth opening."""
    rng = np.random.default_rng(1)
    return TrainingSet(size=64, manifest_hash="base-set", identities={
        "dancer": identity("dancer", rng.uniform(0, 1, 64), rng),
        "actor": identity("actor", rng.uniform(0, 1, 64), rng)})


@pytest.fixture(scope="session")
def fit_set() -> TrainingSet:
    """A shot whose dancer opens the mouth while the actor's walkthrough (the fit set) keeps it closed."""
    rng = np.random.default_rng(2)
    return TrainingSet(size=64, manifest_hash="fit-set", identities={
        "dancer": identity("dancer", rng.uniform(0, 1, 32), rng),
        "actor": identity("actor", np.zeros(32), rng)})


@dataclass
class Trained:
    base: TrainResult
    fit: TrainResult
    config: TrainConfig


@pytest.fixture(scope="session")
def trained(base_set: TrainingSet, fit_set: TrainingSet, tmp_path_factory: pytest.TempPathFactory
            ) -> dict[str, Trained]:
    """rigid and loose, each a base stage on all material then a fit stage on the shot."""
    out: dict[str, Trained] = {}
    root = tmp_path_factory.mktemp("trained")
    config = TrainConfig(steps=300, fit_steps=40, checkpoint_every=100, preview_every=100, **BEHAVIOUR)
    for model in ("rigid", "loose"):
        base = run(config, TrainInputs(data=base_set, model=model, out_dir=root / model / "base"))
        fit = run(config, TrainInputs(data=fit_set, model=model, out_dir=root / model / "fit", stage="fit",
                                      init_from=base.checkpoint))
        out[model] = Trained(base=base, fit=fit, config=config)
    return out


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "stage"


@pytest.fixture(scope="package", autouse=True)
def one_torch_thread():
    """Tiny tensors on a shared 2-core machine: one thread is faster and avoids thread contention. Package
    scope: the tests after this package (the demo's real-size training among them) get every core back."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
