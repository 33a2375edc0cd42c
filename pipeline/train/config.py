"""The [train] table of a shot's TOML, as typed settings (built with pipeline.config.config_from_dict)."""
from __future__ import annotations

from dataclasses import dataclass, field

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class AugmentConfig:
    """[train.augment] settings; amounts are maxima, drawn uniformly per crop."""
    enabled: bool = True          # false: crops are seen as cut, never altered
    rotate_degrees: float = 5.0   # ± rotation in degrees
    scale: float = 0.05           # ± relative zoom
    shift: float = 0.03           # ± fraction of the crop
    colour: float = 0.08          # ± per-channel gain; offset ± half of it
    blur_probability: float = 0.3  # share of crops given a motion blur
    blur_length: float = 0.08     # longest motion blur, as a fraction of the crop size
    noise: float = 0.02           # largest Gaussian noise sigma


@dataclass(frozen=True)
class LossConfig:
    """[train.loss]: weights of masked L1, (1 − masked SSIM), the mask's L1 and the L1 on the mouth alone (the
    performance is in those few pixels: pipeline.train.losses).

    The mouth spot is about 2 % of a crop, so at weight 1 the loss hardly sees it: the loose model then draws the
    mouth the actor had in the same pose in her material instead of the dancer's (on the 256² close-up, seed 7,
    1000 + 500 steps, on one machine: loose correlates 0.42 with the actor's line and 0.14 with the dancer at
    weight 5, 0.35 and 0.45 at 20), and rigid's hold of the actor's line firms up too (0.56 at 1, 0.82 at 20).
    The figures move with float rounding from machine to machine; README and `python -m tests.bench performance`."""
    l1: float = 1.0               # masked L1 between the swap and the target crop
    ssim: float = 1.0             # 1 − masked SSIM
    mask: float = 0.5             # L1 of the predicted mask against the crop's head mask
    mouth: float = 20.0           # L1 on the mouth alone (see above for why it weighs 20)


@dataclass(frozen=True)
class TrainConfig:
    """[train]: settings of both stages; `steps` and `fit_steps` are the base and fit stages' totals (a resumed
    run continues to them)."""
    steps: int = 20000               # base stage: total steps on every identity's faceset
    fit_steps: int = 2000            # fit stage: total steps on the shot's fit set, from the base checkpoint
    batch_size: int = 8              # crops per step
    learning_rate: float = 5e-4      # Adam's step size
    seed: int = 0                    # of the initial weights and the order of crops (same seed, same run)
    width: int = 32                  # channels of the first encoder layer; doubles per level up to 512
    latent_dim: int | None = None    # bottleneck width; absent: the variant's (rigid narrow, loose wide)
    checkpoint_every: int = 500      # steps between checkpoints (a killed run resumes from the last)
    preview_every: int = 500         # steps between preview sheets (0: none)
    preview_count: int = 6           # crops on each preview sheet
    mixed_precision: bool = True     # used on CUDA only
    device: str = "auto"             # auto (CUDA when present), cpu, cuda
    loss: LossConfig = field(default_factory=LossConfig)            # [train.loss]: weights of the loss terms
    augment: AugmentConfig = field(default_factory=AugmentConfig)   # [train.augment]: what varies the crops

    def __post_init__(self) -> None:
        for name in ("steps", "fit_steps", "batch_size", "checkpoint_every", "preview_every", "preview_count", "width"):
            if getattr(self, name) < (0 if name in ("steps", "fit_steps", "preview_every") else 1):
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")

    def stage_steps(self, stage: str) -> int:
        return self.fit_steps if stage == "fit" else self.steps


# Settings that do not change what is learnt: a resumed run may change them.
RESUMABLE_CHANGES = frozenset({"steps", "fit_steps", "checkpoint_every", "preview_every", "preview_count", "device"})
