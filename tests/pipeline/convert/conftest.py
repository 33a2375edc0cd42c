"""Convert and comp tests share: an identity "model" (returns its crop and a full mask, so the warps can be
checked exactly), a shot.toml over the session's pirouette with extra tables, one identity conversion, and a
tiny trained rigid model whose fit set is a synced walkthrough."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from pipeline.shot import Shot, load_shot


class IdentitySwapper:
    """A test instrument in place of a trained model: the crop comes back unchanged with a full mask.

    `grade` (colour = crop * gain + lift) stands in for a swap whose colour differs from the plate's."""

    def __init__(self, size: int = 128, *, gain: tuple[float, float, float] = (1.0, 1.0, 1.0), lift: float = 0.0):
        self.size = size
        self.gain, self.lift = np.asarray(gain, np.float32), lift
        self.record = {"model": "identity", "checkpoint": "", "faceset_hash": "", "performance": 1.0}
        self.calls = 0

    def __call__(self, crops: np.ndarray, frames=None) -> tuple[np.ndarray, np.ndarray]:
        self.calls += 1
        self.frames = None if frames is None else list(frames)
        rgb = np.clip(crops[..., :3] * self.gain + self.lift, 0.0, 1.0).astype(np.float32)
        return rgb, np.ones(crops.shape[:3], np.float32)


def shot_with(base: Path, folder: Path, extra: str = "") -> Shot:
    """A shot.toml in `folder` over `base`'s media (absolute paths), with `extra` TOML tables appended."""
    text = (base / "shot.toml").read_text()
    lines = []
    for line in text.splitlines():
        key, sep, value = line.partition(" = ")
        if sep and key != "fps" and value.startswith('"') and "/" in value:  # every path here holds a folder
            value = '"' + str(base / value.strip('"')) + '"'
        lines.append(f"{key}{sep}{value}" if sep else line)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shot.toml").write_text("\n".join(lines) + "\n" + extra)
    return load_shot(folder)


@pytest.fixture(scope="session")
def snapping_checkpoint(tmp_path_factory) -> Path:
    """A tiny rigid model (64², 4 steps) whose fit-set bank is the actor's walkthrough "walk", frames 1001-1006:
    enough to see which actor frame a snapping conversion takes, not to look like anyone."""
    from pipeline.train import ArrayCrops, AugmentConfig, IdentityCrops, TrainConfig, TrainInputs, TrainingSet, run

    rng = np.random.default_rng(0)

    def material(name: str, n: int, origins=None) -> IdentityCrops:
        return IdentityCrops(crops=ArrayCrops(rng.uniform(0, 1, (n, 64, 64, 3)).astype(np.float32)),
                             masks=ArrayCrops(np.ones((n, 64, 64), np.float32)), poses=np.zeros((n, 3)),
                             ids=[f"{name}_{i}" for i in range(n)], origins=origins)

    walk = material("walk", 6, [("walk", 1001 + i) for i in range(6)])
    data = TrainingSet(size=64, manifest_hash="sync", identities={"dancer": material("dancer", 6), "actor": walk})
    result = run(TrainConfig(steps=4, width=8, batch_size=4, checkpoint_every=100, preview_every=0, device="cpu",
                             augment=AugmentConfig(enabled=False)),
                 TrainInputs(data=data, model="rigid", out_dir=tmp_path_factory.mktemp("snapping") / "rigid"))
    return result.checkpoint


@pytest.fixture(scope="session")
def identity_shot(pirouette_shot, tmp_path_factory) -> Shot:
    return shot_with(pirouette_shot, tmp_path_factory.mktemp("identity-shot"),
                     '[convert]\nmotion_blur = false\n\n[[variants]]\nname = "same"\nmodel = "identity"\n'
                     '\n[[variants]]\nname = "graded"\nmodel = "identity"\n')


@pytest.fixture(scope="session")
def converted(identity_shot) -> Callable[[str], Path]:
    """Folder of a variant of `identity_shot` converted with the identity swapper ("same") or a graded one."""
    from pipeline.convert import ConvertInputs, run

    made: dict[str, Path] = {}
    swappers = {"same": IdentitySwapper(), "graded": IdentitySwapper(gain=(0.8, 0.8, 0.8), lift=0.1)}

    def convert(name: str) -> Path:
        if name not in made:
            config = identity_shot.config.convert
            if name == "graded":  # kept off the plate's colours, so the two variants look different
                config = dataclasses.replace(config, colour_match="none")
            out = identity_shot.root / "convert" / name
            run(config, ConvertInputs(shot=identity_shot, framing=identity_shot.config.stabilize,
                                      variant=identity_shot.variant(name), swapper=swappers[name], out_dir=out))
            made[name] = out
        return made[name]

    return convert
