"""The training stage: `run(config, inputs) -> TrainResult`, for a base or a per-shot fit stage of one model.

Base training learns an identity pair from all their material; fit training starts from the base checkpoint
and learns the shot's fit set. Every step draws its batch and augmentation from a generator seeded by
(seed, step), and the optimizer state is checkpointed with the weights, so a resumed run repeats exactly the
steps an uninterrupted one would have taken. On the CPU deterministic algorithms are switched on for the run.
"""
from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pipeline.config import config_to_dict
from pipeline.errors import InputError
from pipeline.models import LatentBank, SwapModel, create_model, model_info
from pipeline.progress import ProgressCallback, progress_bar
from pipeline.train.augment import degrade, geometry_and_colour, grade
from pipeline.train.checkpoint import CHECKPOINT_FILE, load_checkpoint, model_from_state, save_checkpoint
from pipeline.train.config import RESUMABLE_CHANGES, TrainConfig
from pipeline.train.data import Crops, TrainingSet
from pipeline.train.losses import face_loss, mouth_weights
from pipeline.train.preview import write_grid

log = logging.getLogger(__name__)

STAGES = ("base", "fit")
_BANK_BATCH = 64


@dataclass
class TrainInputs:
    """What a training stage reads and where it writes (`out_dir` holds checkpoint and previews)."""
    data: TrainingSet
    model: str                      # a registered model: rigid, loose, cg (pipeline.models.list_models())
    out_dir: Path
    stage: str = "base"
    init_from: Path | None = None   # the base checkpoint a fit stage starts from
    resume: bool = False


@dataclass
class TrainResult:
    checkpoint: Path
    step: int
    losses: list[float]
    previews: list[Path] = field(default_factory=list)


def pick_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("[train] device = 'cuda' but no CUDA device is available; use 'auto' or 'cpu'")
    return torch.device("cuda" if name == "cuda" or (name == "auto" and torch.cuda.is_available()) else "cpu")


@contextlib.contextmanager
def _deterministic(device: torch.device) -> Iterator[None]:
    """Deterministic algorithms for the run on the CPU, restoring the caller's setting afterwards."""
    before, warn = torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()
    if device.type == "cpu":
        torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before, warn_only=warn)


def _step_generator(seed: int, step: int) -> torch.Generator:
    return torch.Generator().manual_seed((seed * 1_000_003 + step) % (1 << 63))


def _to_tensor(batch: np.ndarray, device: torch.device) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(batch))
    t = t[:, None] if t.ndim == 3 else t.permute(0, 3, 1, 2)
    return t.contiguous().to(device, non_blocking=True)


def _check_inputs(config: TrainConfig, inputs: TrainInputs) -> tuple[str, ...]:
    info = model_info(inputs.model)
    if inputs.stage not in STAGES:
        raise InputError(f"unknown training stage {inputs.stage!r}; known: {', '.join(STAGES)}")
    roles = info.learns
    missing = [r for r in roles if r not in inputs.data.identities]
    if missing:
        raise InputError(f"the {inputs.model} model learns {', '.join(roles)}, but the training set has no "
                         f"{', '.join(missing)} material; give a faceset for each")
    if info.learns_cg_pairs and inputs.data.cg_pairs is None:
        raise InputError(f"the {inputs.model} model learns CG pass -> actor pairs, but the actor's faceset has no CG "
                         "crops (crops with source 'cg' and 'pair_of'); render the CG passes in the actor's poses "
                         "first")
    if inputs.stage == "fit" and inputs.init_from is None and not inputs.resume:
        raise InputError("fit training starts from a base checkpoint: train the base stage first and give it")
    return roles


def _new_model(config: TrainConfig, inputs: TrainInputs) -> SwapModel:
    kw: dict[str, Any] = {"width": config.width}
    if config.latent_dim is not None:
        kw["latent_dim"] = config.latent_dim
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return create_model(inputs.model, size=inputs.data.size, **kw)


def _check_resume(state: dict[str, Any], config: TrainConfig, inputs: TrainInputs, path: Path) -> None:
    if (state["model"]["name"], state["stage"]) != (inputs.model, inputs.stage):
        raise InputError(f"{path}: holds a {state['model']['name']} {state['stage']} stage, not {inputs.model} "
                         f"{inputs.stage}; choose another output folder")
    if state["manifest_hash"] != inputs.data.manifest_hash:
        raise InputError(f"{path}: the facesets changed since this checkpoint was written; train again without "
                         "--resume (into a new folder) to learn the new material")
    now = config_to_dict(config)
    changed = sorted(k for k in now if k not in RESUMABLE_CHANGES and now[k] != state["config"].get(k))
    if changed:
        raise InputError(f"{path}: settings changed since this checkpoint ({', '.join(changed)}); a resumed run "
                         "must keep them, or train again without --resume")


class TrainingStage:
    """One training stage in progress: model, optimizer, loss curve; `step()`, `checkpoint()`, `preview()`.

    `run` drives it; the training benchmark times its `step` against a bare loop.
    """

    def __init__(self, config: TrainConfig, inputs: TrainInputs, roles: tuple[str, ...], device: torch.device):
        self.config, self.inputs, self.roles, self.device = config, inputs, roles, device
        self.info = model_info(inputs.model)
        self.amp = device.type == "cuda" and config.mixed_precision
        self.path = inputs.out_dir / CHECKPOINT_FILE
        state = self._start_state()
        self.model = model_from_state(state).to(device) if state else _new_model(config, inputs).to(device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.learning_rate, betas=(0.5, 0.999))
        self.scaler = torch.amp.GradScaler(device.type, enabled=self.amp)
        self.step_done, self.losses, self.seconds = 0, [], 0.0
        if state and state.get("optimizer_state") is not None:
            self.optimizer.load_state_dict(state["optimizer_state"])
            self.scaler.load_state_dict(state["scaler_state"])
            self.step_done, self.losses = state["step"], list(state["metrics"]["losses"])
            self.seconds = state["metrics"]["seconds"]

    def _start_state(self) -> dict[str, Any] | None:
        """The checkpoint to continue (resume) or to start from (a fit stage's base), or None for a new model."""
        inputs = self.inputs
        if self.path.exists():
            if not inputs.resume:
                raise InputError(f"{self.path}: a checkpoint is already there; pass --resume to continue it, or "
                                 "choose another output folder")
            state = load_checkpoint(self.path)
            _check_resume(state, self.config, inputs, self.path)
            log.info("resuming %s %s at step %d", inputs.model, inputs.stage, state["step"])
            return state
        if inputs.resume:
            log.info("%s: nothing to resume, starting a new %s stage", inputs.out_dir, inputs.stage)
        if inputs.init_from is None:
            return None
        base = load_checkpoint(inputs.init_from)
        if base["model"]["name"] != inputs.model or base["model"]["size"] != inputs.data.size:
            raise InputError(f"{inputs.init_from}: a {base['model']['name']} model at {base['model']['size']}², "
                             f"cannot start a {inputs.model} stage at {inputs.data.size}²")
        log.info("starting %s %s from %s (step %d)", inputs.model, inputs.stage, inputs.init_from, base["step"])
        return {**base, "optimizer_state": None}

    def _batch(self, crops: Crops, masks: Crops, index: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        return _to_tensor(crops.take(index), self.device), _to_tensor(masks.take(index), self.device)

    def _examples(self, g: torch.Generator
                  ) -> list[tuple[str, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]]:
        """This step's (decoder, input, target, target mask, mouth weights) batches: each role, then the CG pairs.
        The mouth weights (None when that loss is off) are warped with the target, so they stay on the mouth."""
        cfg, aug, b = self.config, self.config.augment, self.config.batch_size
        out = []

        def mouth_of(poses: np.ndarray) -> torch.Tensor | None:
            if not cfg.loss.mouth:
                return None
            return mouth_weights(poses, self.inputs.data.size, radius=self.inputs.data.radius).to(self.device)

        def warp(images: torch.Tensor, mask: torch.Tensor, mouth: torch.Tensor | None, *, colour: bool):
            if mouth is None:
                images, mask = geometry_and_colour(images, mask, aug, g, colour=False)
            else:  # the mouth weights ride along as one more image channel, so they get the same warp
                both, mask = geometry_and_colour(torch.cat([images, mouth], 1), mask, aug, g, colour=False)
                images, mouth = both[:, :-1], both[:, -1:]
            return (grade(images, aug, g) if colour else images), mask, mouth

        for role in self.roles:
            material = self.inputs.data.identities[role]
            index = torch.randint(len(material), (b,), generator=g).numpy()
            target, mask = self._batch(material.crops, material.masks, index)
            mouth = mouth_of(material.poses[index])
            source = target
            if aug.enabled:
                target, mask, mouth = warp(target, mask, mouth, colour=True)
                source = degrade(target, aug, g)
            out.append((role, source, target, mask, mouth))
        pairs = self.inputs.data.cg_pairs
        if self.info.learns_cg_pairs and pairs is not None:
            index = torch.randint(len(pairs), (b,), generator=g).numpy()
            cg, mask = self._batch(pairs.cg, pairs.masks, index)
            target = _to_tensor(pairs.actor.take(index), self.device)
            mouth = mouth_of(pairs.poses[index])
            if aug.enabled:
                both, mask, mouth = warp(torch.cat([cg, target], 1), mask, mouth, colour=False)
                cg, target = both[:, :3], both[:, 3:]
                cg = degrade(grade(cg, aug, g), aug, g)
            out.append(("actor", cg, target, mask, mouth))
        return out

    def step(self) -> float:
        """Train one step; returns its loss."""
        cfg = self.config
        g = _step_generator(cfg.seed, self.step_done)
        self.optimizer.zero_grad(set_to_none=True)
        total = torch.zeros((), device=self.device)
        for role, source, target, mask, mouth in self._examples(g):
            with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.amp):
                rgb, pred_mask = self.model(source, role)
            total = total + face_loss(rgb, pred_mask, target, mask, l1=cfg.loss.l1, ssim_weight=cfg.loss.ssim,
                                      mask_weight=cfg.loss.mask, mouth=mouth, mouth_weight=cfg.loss.mouth)
        self.scaler.scale(total).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        loss = float(total.detach())
        if not np.isfinite(loss):
            raise InputError(f"training diverged at step {self.step_done} (loss {loss}); lower [train] learning_rate")
        self.losses.append(loss)
        self.step_done += 1
        return loss

    @torch.no_grad()
    def latent_bank(self) -> LatentBank:
        """The actor's latents over this stage's actor material (for a fit stage: the shot's fit set)."""
        actor = self.inputs.data.identities["actor"]
        batches = (_to_tensor(actor.crops.take(np.arange(i, min(i + _BANK_BATCH, len(actor)))), self.device)
                   for i in range(0, len(actor), _BANK_BATCH))
        return LatentBank.from_crops(self.model, batches, actor.ids, actor.origins)

    def checkpoint(self, *, complete: bool) -> Path:
        recent = self.losses[-50:]
        state = {
            "stage": self.inputs.stage, "step": self.step_done,
            "complete": complete, "model": self.model.spec, "config": config_to_dict(self.config),
            "manifest_hash": self.inputs.data.manifest_hash, "facesets": dict(self.inputs.data.sources),
            "init_from": str(self.inputs.init_from) if self.inputs.init_from else None,
            "default_performance": self.model.default_performance,
            "metrics": {"loss": self.losses[-1] if self.losses else None,
                        "loss_recent_mean": float(np.mean(recent)) if recent else None,
                        "losses": list(self.losses), "seconds": self.seconds,
                        "steps_per_second": self.step_done / self.seconds if self.seconds else None},
            "model_state": self.model.state_dict(), "optimizer_state": self.optimizer.state_dict(),
            "scaler_state": self.scaler.state_dict(),
            "latent_bank": self.latent_bank().state_dict() if complete else None,
        }
        return save_checkpoint(self.inputs.out_dir, state)

    @torch.no_grad()
    def preview(self) -> Path:
        data, k = self.inputs.data, self.config.preview_count
        rows: list[tuple[str, torch.Tensor]] = []
        self.model.eval()
        for role in self.roles:
            material = data.identities[role]
            index = np.linspace(0, len(material) - 1, min(k, len(material))).round().astype(int)
            x = _to_tensor(material.crops.take(index), self.device)
            rows.append((f"{role} input", x))
            for to in self.roles:
                rows.append((f"{role} > {to}", self.model(x, to)[0]))
        if self.info.learns_cg_pairs and data.cg_pairs is not None:
            pairs = data.cg_pairs
            index = np.linspace(0, len(pairs) - 1, min(k, len(pairs))).round().astype(int)
            cg = _to_tensor(pairs.cg.take(index), self.device)
            rows += [("cg pass", cg), ("cg > actor", self.model(cg, "actor")[0]),
                     ("actor truth", _to_tensor(pairs.actor.take(index), self.device))]
        self.model.train()
        return write_grid(self.inputs.out_dir / "previews" / f"step_{self.step_done:07d}.png", rows)


def run(config: TrainConfig, inputs: TrainInputs, *, progress: ProgressCallback | None = None) -> TrainResult:
    """Train one stage of `inputs.model` up to its steps, checkpointing and previewing as configured."""
    roles = _check_inputs(config, inputs)
    steps = config.stage_steps(inputs.stage)
    device = pick_device(config.device)
    inputs.out_dir.mkdir(parents=True, exist_ok=True)
    with _deterministic(device):
        stage = TrainingStage(config, inputs, roles, device)
        start, previews = stage.step_done, []
        log.info("training %s %s on %s: steps %d..%d, %d² crops", inputs.model, inputs.stage, device, start,
                 steps, inputs.data.size)
        with progress_bar(max(0, steps - start), f"train {inputs.model} {inputs.stage}", unit="step",
                          callback=progress) as bar:
            while stage.step_done < steps:
                began = time.perf_counter()
                loss = stage.step()
                stage.seconds += time.perf_counter() - began
                n = stage.step_done
                bar.update(1, f"loss {np.mean(stage.losses[-20:]):.4f}")
                if config.preview_every and n % config.preview_every == 0:
                    previews.append(stage.preview())
                if n % config.checkpoint_every == 0 and n < steps:
                    stage.checkpoint(complete=False)
                log.debug("step %d loss %.5f", n, loss)
        path = stage.checkpoint(complete=True)
    return TrainResult(checkpoint=path, step=stage.step_done, losses=list(stage.losses), previews=previews)
