"""Training checkpoints: one file per stage folder, replaced atomically every `checkpoint_every` steps.

`checkpoint.pt` (torch, loadable with weights_only) holds the model's spec (its registered name, size and
settings) and weights, the optimizer, the stage and step, the config, the faceset manifest's hash, the metrics
with the whole loss curve and, once the stage is complete, the actor's latent bank. `checkpoint.json` beside it
repeats everything but the tensors, for people and the site. A kill -9 loses at most the steps since the last
checkpoint.
Changelog: 1 — first version. 2 — no "variant" (it was the model's name, which the spec holds: "model": {"name":
...}); version 1 is upgraded on reading.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from pipeline.artifacts import Artifact
from pipeline.atomic import atomic_path
from pipeline.errors import InputError
from pipeline.models import LatentBank, SwapModel, create_model

log = logging.getLogger(__name__)

CHECKPOINT_FILE = "checkpoint.pt"


def _1_to_2(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k != "variant"}


# checkpoint.json; checkpoint.pt has the same kind, version and upgrades (a torch file, read by load_checkpoint)
CHECKPOINT = Artifact("checkpoint", 2, "checkpoint.json", upgrades={1: _1_to_2}, missing="train the stage first")
_TENSOR_KEYS = ("model_state", "optimizer_state", "scaler_state", "latent_bank", "discriminator_state",
                "discriminator_optimizer_state")


def portable(value: Any) -> Any:
    """`value` with every tensor in it moved to the CPU in plain (contiguous) layout: one file format whichever
    device and memory layout trained it, so a checkpoint written on a GPU loads on a CPU and back."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().contiguous()
    if isinstance(value, dict):
        return {k: portable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(portable(v) for v in value)
    return value


def save_checkpoint(folder: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Write `state` as the folder's checkpoint (atomically, its tensors on the CPU), then its JSON summary."""
    folder = Path(folder)
    path = folder / CHECKPOINT_FILE
    with atomic_path(path) as tmp:
        torch.save({"kind": CHECKPOINT.kind, "schema_version": CHECKPOINT.version, **portable(state)}, tmp)
    info = {k: v for k, v in state.items() if k not in _TENSOR_KEYS}
    info["metrics"] = {k: v for k, v in state["metrics"].items() if k != "losses"}
    CHECKPOINT.write(folder, info)
    return path


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint file (or the checkpoint of a stage folder) and check its kind and version."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_FILE
    if not path.is_file():
        raise InputError(f"{path}: no such checkpoint; train the stage first")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a truncated or foreign file
        raise InputError(f"{path}: not a readable facereplace checkpoint ({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict) or state.get("kind") != CHECKPOINT.kind:
        raise InputError(f"{path}: not a facereplace checkpoint")
    version = state.get("schema_version")
    if version not in (*CHECKPOINT.upgrades, CHECKPOINT.version):
        raise InputError(f"{path}: checkpoint schema version {version!r} is not supported (this engine reads "
                         f"{', '.join(map(str, (*CHECKPOINT.upgrades, CHECKPOINT.version)))}); retrain with this "
                         "version of facereplace")
    for old in range(version, CHECKPOINT.version):
        state = CHECKPOINT.upgrades[old](state)
    return {**state, "schema_version": CHECKPOINT.version}


def read_checkpoint_info(folder: str | os.PathLike) -> dict[str, Any]:
    """The JSON summary of a stage folder's checkpoint (no tensors)."""
    return CHECKPOINT.read(folder)


def model_from_state(state: dict[str, Any]) -> SwapModel:
    """Rebuild the model a checkpoint was trained as and load its weights."""
    spec = dict(state["model"])
    name, size = spec.pop("name"), spec.pop("size")
    if "identities" in spec:
        spec["identities"] = tuple(spec["identities"])
    model = create_model(name, size=size, **spec)
    model.load_state_dict(state["model_state"])
    return model


@dataclass
class TrainedModel:
    """A trained model ready for conversion, with its latent bank and the record of how it was made."""
    model: SwapModel  # its registered name is model.name
    bank: LatentBank | None
    stage: str
    step: int
    config: dict[str, Any]
    manifest_hash: str
    metrics: dict[str, Any]
    path: Path


def load_trained(path: str | os.PathLike, *, device: str | torch.device = "cpu") -> TrainedModel:
    """Load a stage's checkpoint for inference (eval mode, on `device`)."""
    state = load_checkpoint(path)
    model = model_from_state(state).to(device).eval()
    bank = LatentBank.from_state_dict(state["latent_bank"]) if state.get("latent_bank") else None
    return TrainedModel(model=model, bank=bank, stage=state["stage"], step=state["step"],
                        config=state["config"], manifest_hash=state["manifest_hash"], metrics=state["metrics"],
                        path=Path(path))
