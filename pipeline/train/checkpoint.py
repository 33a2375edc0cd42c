"""Training checkpoints: one file per stage folder, replaced atomically every `checkpoint_every` steps.

`checkpoint.pt` (torch, loadable with weights_only) holds the model's spec and weights, the optimizer, the
step, the config, the faceset manifest's hash, the metrics with the whole loss curve and, once the stage is
complete, the actor's latent bank. `checkpoint.json` beside it repeats everything but the tensors, for people
and the site. A kill -9 loses at most the steps since the last checkpoint.
Changelog: 1 — first version.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from pipeline.artifacts import read_manifest, write_manifest
from pipeline.atomic import atomic_path
from pipeline.errors import InputError
from pipeline.models import LatentBank, SwapModel, create_model

log = logging.getLogger(__name__)

CHECKPOINT_KIND = "checkpoint"
CHECKPOINT_VERSION = 1
CHECKPOINT_FILE = "checkpoint.pt"
CHECKPOINT_INFO = "checkpoint.json"
_TENSOR_KEYS = ("model_state", "optimizer_state", "scaler_state", "latent_bank")


def save_checkpoint(folder: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Write `state` as the folder's checkpoint (atomically), then its JSON summary."""
    folder = Path(folder)
    path = folder / CHECKPOINT_FILE
    with atomic_path(path) as tmp:
        torch.save({"kind": CHECKPOINT_KIND, "schema_version": CHECKPOINT_VERSION, **state}, tmp)
    info = {k: v for k, v in state.items() if k not in _TENSOR_KEYS}
    info["metrics"] = {k: v for k, v in state["metrics"].items() if k != "losses"}
    write_manifest(folder / CHECKPOINT_INFO, kind=CHECKPOINT_KIND, version=CHECKPOINT_VERSION, data=info)
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
    if not isinstance(state, dict) or state.get("kind") != CHECKPOINT_KIND:
        raise InputError(f"{path}: not a facereplace checkpoint")
    if state.get("schema_version") != CHECKPOINT_VERSION:
        raise InputError(f"{path}: checkpoint schema version {state.get('schema_version')!r} is not supported "
                         f"(this engine reads {CHECKPOINT_VERSION}); retrain with this version of facereplace")
    return state


def read_checkpoint_info(folder: str | os.PathLike) -> dict[str, Any]:
    """The JSON summary of a stage folder's checkpoint (no tensors)."""
    return read_manifest(Path(folder) / CHECKPOINT_INFO, kind=CHECKPOINT_KIND, versions=(CHECKPOINT_VERSION,))


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
    model: SwapModel
    bank: LatentBank | None
    variant: str
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
    return TrainedModel(model=model, bank=bank, variant=state["variant"], stage=state["stage"], step=state["step"],
                        config=state["config"], manifest_hash=state["manifest_hash"], metrics=state["metrics"],
                        path=Path(path))
