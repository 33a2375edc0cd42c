"""The training stage: `run(config, inputs) -> TrainResult`, for a base or a per-shot fit stage of one model.

Base training learns an identity pair from all their material; fit training starts from the base checkpoint
and learns the shot's fit set. Every step draws its batch and augmentation from a generator seeded by
(seed, step), and the optimizer state is checkpointed with the weights, so a resumed run repeats exactly the
steps an uninterrupted one would have taken. On the CPU deterministic algorithms are switched on for the run.

One code path on both devices (pipeline.train.config.PRESETS says what each preset changes): batches come from
an in-memory crop store (pipeline.train.loader), the forward pass runs under autocast (bf16 on CUDA where the GPU
has it, else fp16 with a gradient scaler; float32 on the CPU unless `precision` asks for bf16), the GPU presets
use channels-last memory, and on CUDA the batch is lowered to what fits the GPU's free memory.
"""
from __future__ import annotations

import contextlib
import dataclasses
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
from pipeline.models.discriminator import PatchDiscriminator, discriminator_loss, generator_loss
from pipeline.progress import ProgressCallback, progress_bar
from pipeline.train.augment import degrade, geometry_and_colour, grade
from pipeline.train.checkpoint import CHECKPOINT_FILE, load_checkpoint, model_from_state, save_checkpoint
from pipeline.train.config import RESUMABLE_CHANGES, TrainConfig
from pipeline.train.data import TrainingSet
from pipeline.train.loader import CropStore
from pipeline.train.losses import face_loss, mouth_weights
from pipeline.train.preview import write_grid

log = logging.getLogger(__name__)

STAGES = ("base", "fit")
_BANK_BATCH = 64
# Training has diverged when the loss, as a mean over DIVERGE_WINDOW steps, has stayed DIVERGE_FACTOR times above
# the lowest such mean it reached for DIVERGE_STEPS steps in a row, or ends a stage there: the step size has thrown
# the weights out of what they had learnt, though no value is NaN. On the real 360° turn at learning_rate 1.5e-3
# the loss fell to 4.8 and climbed back to 16-20 for good (from steps 246 and 331 of 500), and the swaps came out
# as a streak (rigid) and an empty matte (loose) that conversion's QC did not flag. A spike that recovers is not
# divergence: the real talking clip's loose fit at 5e-4 spiked 2.2 times for 31 steps at step 682 and ended lower
# than before it.
DIVERGE_WINDOW = 50
DIVERGE_FACTOR = 2.0
DIVERGE_STEPS = 100


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


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of `precision` on `device`, None for float32: "auto" is bf16 on a CUDA GPU that has it,
    fp16 on one that does not, float32 on the CPU (where bf16 is slower than float32 on most cores)."""
    if precision == "fp32" or (precision == "auto" and device.type != "cuda"):
        return None
    if precision == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return {"bf16": torch.bfloat16, "fp16": torch.float16}[precision]


def batch_for_memory(wanted: int, *, per_item: int, available: int, headroom: float = 0.8) -> int:
    """The batch to train with: `wanted`, lowered to what fits `headroom` of `available` bytes at `per_item` bytes
    a crop (at least 1)."""
    return max(1, min(wanted, int(headroom * available) // max(per_item, 1)))


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
    preset, info = config.model_preset, model_info(inputs.model)
    kw: dict[str, Any] = {"width": config.network_width}
    if preset.network != "plain":
        kw.update(network=preset.network, max_width=preset.max_width)
    if config.latent_dim is not None:
        kw["latent_dim"] = config.latent_dim
    elif preset.wide_latent != 1.0 and not info.snaps:  # loose and cg get the wider bottleneck; rigid stays narrow
        kw["latent_dim"] = int(info.latent_dim * preset.wide_latent)
    if inputs.data.size != preset.crop_size and preset.name != "cpu-demo":  # the default runs at any size, as ever
        log.warning("preset %s is made for %d² crops, the facesets are %d²", preset.name, preset.crop_size,
                    inputs.data.size)
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
    now = config_to_dict(config)  # a setting left out (None: the preset's) takes the checkpoint's
    then = {**config_to_dict(TrainConfig()), **state["config"]}  # a setting newer than the checkpoint: its default
    changed = sorted(k for k in now if k not in RESUMABLE_CHANGES and now[k] is not None and now[k] != then.get(k))
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
        preset = config.model_preset
        if device.type == "cuda":  # every step has the same shapes: let cuDNN time its algorithms once
            torch.backends.cudnn.benchmark = True
        self.dtype = autocast_dtype(config.precision, device)
        self.memory_format = torch.channels_last if preset.channels_last else torch.contiguous_format
        self.path = inputs.out_dir / CHECKPOINT_FILE
        state = self._start_state()
        model = model_from_state(state) if state else _new_model(config, inputs)
        self.model = model.to(device, memory_format=self.memory_format)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.learning_rate, betas=(0.5, 0.999))
        self.scaler = torch.amp.GradScaler(device.type, enabled=self.dtype == torch.float16)
        self.adversarial = config.loss_weight("adversarial")
        self.multiscale = config.loss_weight("multiscale")
        self.discriminator: PatchDiscriminator | None = None
        if self.adversarial:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(config.seed + 1)
                self.discriminator = PatchDiscriminator().to(device, memory_format=self.memory_format)
            self.d_optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=config.learning_rate,
                                                betas=(0.5, 0.999))
        self.stores = self._stores()
        self.step_done, self.losses, self.seconds = 0, [], 0.0
        self.watch = DivergenceWatch()
        if state and state.get("optimizer_state") is not None:
            self.optimizer.load_state_dict(state["optimizer_state"])
            self.scaler.load_state_dict(state["scaler_state"])
            if self.discriminator is not None and state.get("discriminator_state") is not None:
                self.discriminator.load_state_dict(state["discriminator_state"])
                self.d_optimizer.load_state_dict(state["discriminator_optimizer_state"])
            self.step_done, self.losses = state["step"], list(state["metrics"]["losses"])
            self.seconds = state["metrics"]["seconds"]
            self.watch = DivergenceWatch.over(self.losses)
        if state is not None and state.get("optimizer_state") is not None and config.batch_size is None:
            self.batch = int(state["config"].get("batch_size") or config.batch)  # a resumed run keeps its batch
        else:
            self.batch = self._fit_batch()
        self.config = dataclasses.replace(config, batch_size=self.batch)

    def _stores(self) -> dict[str, CropStore]:
        """The crop stores by name: "<role>" and "<role>.mask" per identity, "cg", "cg.actor", "cg.mask"."""
        data, fmt = self.inputs.data, self.memory_format
        stores = {}
        for role in self.roles:
            stores[role] = CropStore(data.identities[role].crops, self.device, memory_format=fmt)
            stores[f"{role}.mask"] = CropStore(data.identities[role].masks, self.device, memory_format=fmt)
        if self.info.learns_cg_pairs and data.cg_pairs is not None:
            for name, crops in (("cg", data.cg_pairs.cg), ("cg.actor", data.cg_pairs.actor),
                                ("cg.mask", data.cg_pairs.masks)):
                stores[name] = CropStore(crops, self.device, memory_format=fmt)
        if "actor" not in stores and "actor" in data.identities:  # the latent bank encodes the actor's crops
            stores["actor"] = CropStore(data.identities["actor"].crops, self.device, memory_format=fmt)
        return stores

    def _fit_batch(self) -> int:
        """The configured batch, on CUDA lowered to what fits the GPU's free memory: the memory a crop costs is
        measured by a forward and backward pass at batches 1 and 2 (gradients dropped, nothing learnt)."""
        wanted = self.config.batch
        if self.device.type != "cuda":
            return wanted
        peaks = []
        for b in (1, 2):
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            base = torch.cuda.memory_allocated(self.device)
            self._loss(self._examples(_step_generator(self.config.seed, -1), b)).backward()
            peaks.append(torch.cuda.max_memory_allocated(self.device) - base)
            self.optimizer.zero_grad(set_to_none=True)
            if self.discriminator is not None:
                self.d_optimizer.zero_grad(set_to_none=True)
        free, _ = torch.cuda.mem_get_info(self.device)
        fits = batch_for_memory(wanted, per_item=peaks[1] - peaks[0], available=free - (2 * peaks[0] - peaks[1]))
        if fits < wanted:
            log.warning("batch %d does not fit the GPU's free memory (%.1f GiB, %.0f MiB a crop): training with %d",
                        wanted, free / 2 ** 30, (peaks[1] - peaks[0]) / 2 ** 20, fits)
        return fits

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

    def _examples(self, g: torch.Generator, b: int | None = None
                  ) -> list[tuple[str, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]]:
        """This step's (decoder, input, target, target mask, mouth weights) batches: each role, then the CG pairs.
        The mouth weights (None when that loss is off) are warped with the target, so they stay on the mouth."""
        cfg, aug, b = self.config, self.config.augment, b or self.batch
        stores, out = self.stores, []

        def mouth_of(poses: np.ndarray) -> torch.Tensor | None:
            if not cfg.loss.mouth:
                return None
            return mouth_weights(poses, self.inputs.data.size, radius=self.inputs.data.radius, device=self.device)

        def warp(images: torch.Tensor, mask: torch.Tensor, mouth: torch.Tensor | None, *, colour: bool):
            if mouth is None:
                images, mask = geometry_and_colour(images, mask, aug, g, colour=False)
            else:  # the mouth weights ride along as one more image channel, so they get the same warp
                both, mask = geometry_and_colour(torch.cat([images, mouth], 1), mask, aug, g, colour=False)
                images, mouth = both[:, :-1], both[:, -1:]
            return (grade(images, aug, g) if colour else images), mask, mouth

        for role in self.roles:
            material = self.inputs.data.identities[role]
            index = torch.randint(len(material), (b,), generator=g)
            target, mask = stores[role].take(index), stores[f"{role}.mask"].take(index)
            mouth = mouth_of(material.poses[index.numpy()])
            source = target
            if aug.enabled:
                target, mask, mouth = warp(target, mask, mouth, colour=True)
                source = degrade(target, aug, g)
            out.append((role, source, target, mask, mouth))
        pairs = self.inputs.data.cg_pairs
        if self.info.learns_cg_pairs and pairs is not None:
            index = torch.randint(len(pairs), (b,), generator=g)
            cg, mask, target = stores["cg"].take(index), stores["cg.mask"].take(index), stores["cg.actor"].take(index)
            mouth = mouth_of(pairs.poses[index.numpy()])
            if aug.enabled:
                both, mask, mouth = warp(torch.cat([cg, target], 1), mask, mouth, colour=False)
                cg, target = both[:, :3], both[:, 3:]
                cg = degrade(grade(cg, aug, g), aug, g)
            out.append(("actor", cg, target, mask, mouth))
        return out

    def _autocast(self) -> contextlib.AbstractContextManager[None]:
        return torch.autocast(self.device.type, dtype=self.dtype or torch.float32, enabled=self.dtype is not None)

    def _loss(self, examples: list[tuple[str, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]]
              ) -> torch.Tensor:
        """The decoders' loss on `examples`; with the adversarial term, keeps the heads they made (composited
        over their targets' background, so the discriminator judges the head) and the targets for `_d_step`."""
        cfg = self.config
        total = torch.zeros((), device=self.device)
        self._made, self._real = [], []
        for role, source, target, mask, mouth in examples:
            with self._autocast():
                rgb, pred_mask = self.model(source, role)
            total = total + face_loss(rgb, pred_mask, target, mask, l1=cfg.loss.l1, ssim_weight=cfg.loss.ssim,
                                      mask_weight=cfg.loss.mask, mouth=mouth, mouth_weight=cfg.loss.mouth,
                                      multiscale=self.multiscale)
            if self.discriminator is not None:
                made = rgb.float() * mask + target * (1 - mask)
                with self._autocast():
                    total = total + self.adversarial * generator_loss(self.discriminator(made))
                self._made.append(made.detach())
                self._real.append(target)
        return total

    def _d_step(self) -> None:
        """One step of the patch discriminator on this step's real and made heads."""
        assert self.discriminator is not None
        self.d_optimizer.zero_grad(set_to_none=True)  # the decoders' backward reached it too
        real, made = torch.cat(self._real), torch.cat(self._made)
        with self._autocast():
            loss = discriminator_loss(self.discriminator(real), self.discriminator(made))
        self.scaler.scale(loss).backward()
        self.scaler.step(self.d_optimizer)

    def step(self) -> float:
        """Train one step; returns its loss."""
        g = _step_generator(self.config.seed, self.step_done)
        self.optimizer.zero_grad(set_to_none=True)
        total = self._loss(self._examples(g))
        self.scaler.scale(total).backward()
        self.scaler.step(self.optimizer)
        if self.discriminator is not None:
            self._d_step()
        self.scaler.update()
        loss = float(total.detach())
        if not np.isfinite(loss):
            raise InputError(f"training diverged at step {self.step_done} (loss {loss}); lower [train] learning_rate")
        self.losses.append(loss)
        self.step_done += 1
        if len(self.losses) >= DIVERGE_WINDOW:
            self.watch.add(float(np.mean(self.losses[-DIVERGE_WINDOW:])), len(self.losses))
        if self.watch.diverged:
            raise self.divergence_error()
        return loss

    def divergence_error(self) -> InputError:
        """What stops a stage whose loss has climbed back (`DivergenceWatch`): the figures and how to start over."""
        return InputError(
            f"training {self.inputs.model} {self.inputs.stage} diverged at step {self.step_done}: its loss fell to "
            f"{self.watch.lowest:.3g} and has climbed back to {self.watch.now:.3g} (means over {DIVERGE_WINDOW} "
            f"steps), so the weights no longer hold what they had learnt; lower [train] learning_rate (now "
            f"{self.config.learning_rate:g}) and train this stage again from its start: remove "
            f"{self.inputs.out_dir} (its checkpoints hold the diverging weights) or run the shot's train stage "
            f"with --redo")

    @torch.no_grad()
    def latent_bank(self) -> LatentBank:
        """The actor's latents over this stage's actor material (for a fit stage: the shot's fit set)."""
        actor, store = self.inputs.data.identities["actor"], self.stores["actor"]
        batches = (store.take(torch.arange(i, min(i + _BANK_BATCH, len(actor))))
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
            "discriminator_state": None if self.discriminator is None else self.discriminator.state_dict(),
            "discriminator_optimizer_state": None if self.discriminator is None else self.d_optimizer.state_dict(),
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
            x = self.stores[role].take(index)
            rows.append((f"{role} input", x))
            for to in self.roles:
                rows.append((f"{role} > {to}", self.model(x, to)[0]))
        if self.info.learns_cg_pairs and data.cg_pairs is not None:
            pairs = data.cg_pairs
            index = np.linspace(0, len(pairs) - 1, min(k, len(pairs))).round().astype(int)
            cg = self.stores["cg"].take(index)
            rows += [("cg pass", cg), ("cg > actor", self.model(cg, "actor")[0]),
                     ("actor truth", self.stores["cg.actor"].take(index))]
        self.model.train()
        return write_grid(self.inputs.out_dir / "previews" / f"step_{self.step_done:07d}.png", rows)


class DivergenceWatch:
    """The rule that stops a diverging stage, fed the mean loss of the last DIVERGE_WINDOW steps after each step:
    the lowest such mean, the latest, and for how many steps in a row the latest has lain DIVERGE_FACTOR times
    above the lowest (counted once two windows are in)."""

    def __init__(self) -> None:
        self.lowest, self.now, self.above = float("inf"), float("inf"), 0

    def add(self, mean: float, steps: int) -> None:
        """Fold in the mean loss of the window that ends at step `steps`."""
        self.now, self.lowest = mean, min(self.lowest, mean)
        self.above = self.above + 1 if steps >= 2 * DIVERGE_WINDOW and mean > DIVERGE_FACTOR * self.lowest else 0

    @property
    def diverged(self) -> bool:
        """Climbed back and stayed there for DIVERGE_STEPS steps."""
        return self.above >= DIVERGE_STEPS

    @property
    def climbed(self) -> bool:
        """The latest window lies climbed back (how a stage must not end)."""
        return self.above > 0

    @classmethod
    def over(cls, losses: list[float]) -> DivergenceWatch:
        """The watch as it stood after these losses (a resumed stage's curve)."""
        watch = cls()
        if len(losses) >= DIVERGE_WINDOW:
            means = np.convolve(np.asarray(losses, np.float64), np.ones(DIVERGE_WINDOW) / DIVERGE_WINDOW, "valid")
            for steps, mean in enumerate(means, start=DIVERGE_WINDOW):
                watch.add(float(mean), steps)
        return watch


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
        if stage.watch.climbed:  # nor does a stage end on weights whose loss has climbed back
            raise stage.divergence_error()
        path = stage.checkpoint(complete=True)
    return TrainResult(checkpoint=path, step=stage.step_done, losses=list(stage.losses), previews=previews)
