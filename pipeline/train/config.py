"""The [train] table of a shot's TOML, as typed settings (built with pipeline.config.config_from_dict), and the
model presets it names (`preset = "cpu-demo" | "gpu-256" | "gpu-512"`)."""
from __future__ import annotations

from dataclasses import dataclass, field

DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


@dataclass(frozen=True)
class ModelPreset:
    """What a preset sets unless the [train] table says otherwise: the network, its widths, the batch, the
    memory layout and the detail losses. `crop_size` is the crop the preset is made for (the [dataset] size)."""
    name: str
    summary: str
    crop_size: int
    network: str              # "plain" (strided convs, pixel shuffle) or "residual" (pipeline.models.swap)
    width: int                # channels of the first encoder level; doubling per level up to max_width
    max_width: int
    batch_size: int           # on the CPU, and the most on CUDA (lowered there to what fits the GPU's memory)
    wide_latent: float        # bottleneck of the models that do not snap (loose, cg) times this; rigid stays narrow
    multiscale: float         # loss weight of (1 − masked SSIM) at half, quarter, eighth size
    adversarial: float        # loss weight of the patch discriminator's term; 0 trains no discriminator
    channels_last: bool       # convolutions in NHWC, what tensor cores want


# cpu-demo is the engine as it ran before presets (the demo, the tests, the quality benchmark): 64² crops, the
# plain network, no detail losses. The GPU presets hold detail at production sizes: residual blocks, an
# upsampler without checkerboard artefacts (pixel shuffle with ICNR init), a wider bottleneck for loose, and
# multi-scale SSIM with a patch discriminator.
PRESETS: dict[str, ModelPreset] = {p.name: p for p in (
    ModelPreset("cpu-demo", "64² crops on a CPU in minutes: the demo and the tests", crop_size=64, network="plain",
                width=32, max_width=512, batch_size=8, wide_latent=1.0, multiscale=0.0, adversarial=0.0,
                channels_last=False),
    ModelPreset("gpu-256", "256² crops on one GPU: a head of up to ~300 plate pixels", crop_size=256,
                network="residual", width=32, max_width=512, batch_size=16, wide_latent=2.0, multiscale=1.0,
                adversarial=0.05, channels_last=True),
    ModelPreset("gpu-512", "512² crops on one GPU: close-ups", crop_size=512, network="residual", width=24,
                max_width=512, batch_size=8, wide_latent=2.0, multiscale=1.0, adversarial=0.05,
                channels_last=True),
)}


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
    The figures move with float rounding from machine to machine; README and `python -m tests.bench performance`.
    `multiscale` and `adversarial` are the detail terms of the GPU presets (None: the preset's weight)."""
    l1: float = 1.0               # masked L1 between the swap and the target crop
    ssim: float = 1.0             # 1 − masked SSIM
    mask: float = 0.5             # L1 of the predicted mask against the crop's head mask
    mouth: float = 20.0           # L1 on the mouth alone (see above for why it weighs 20)
    multiscale: float | None = None    # multi-scale SSIM detail term (None: the preset's weight)
    adversarial: float | None = None   # patch discriminator term (None: the preset's weight)


@dataclass(frozen=True)
class TrainConfig:
    """[train]: settings of both stages; `steps` and `fit_steps` are the base and fit stages' totals (a resumed
    run continues to them)."""
    steps: int = 20000               # base stage: total steps on every identity's faceset
    fit_steps: int = 2000            # fit stage: total steps on the shot's fit set, from the base checkpoint
    preset: str = "cpu-demo"         # pipeline.train.config.PRESETS: network, widths, batch, layout, losses
    batch_size: int | None = None    # crops per step (None: the preset's; on CUDA lowered to what fits)
    learning_rate: float = 5e-4      # Adam's step size
    seed: int = 0                    # of the initial weights and the order of crops (same seed, same run)
    width: int | None = None         # channels of the first encoder layer (None: the preset's); doubles per level
    latent_dim: int | None = None    # bottleneck width; absent: the variant's (rigid narrow, loose wide)
    checkpoint_every: int = 500      # steps between checkpoints (a killed run resumes from the last)
    preview_every: int = 500         # steps between preview sheets (0: none)
    preview_count: int = 6           # crops on each preview sheet
    precision: str = "auto"          # auto (bf16/fp16 on CUDA, float32 on the CPU), fp32, bf16, fp16: autocast
    device: str = "auto"             # auto (CUDA when present), cpu, cuda
    loss: LossConfig = field(default_factory=LossConfig)            # [train.loss]: weights of the loss terms
    augment: AugmentConfig = field(default_factory=AugmentConfig)   # [train.augment]: what varies the crops

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(f"preset must be one of {', '.join(PRESETS)}, got {self.preset!r}")
        for name in ("steps", "fit_steps", "batch_size", "checkpoint_every", "preview_every", "preview_count", "width"):
            value = getattr(self, name)
            if value is not None and value < (0 if name in ("steps", "fit_steps", "preview_every") else 1):
                raise ValueError(f"{name} must be positive, got {value}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")

    def stage_steps(self, stage: str) -> int:
        return self.fit_steps if stage == "fit" else self.steps

    @property
    def model_preset(self) -> ModelPreset:
        return PRESETS[self.preset]

    @property
    def batch(self) -> int:
        """The batch asked for: the table's, else the preset's."""
        return self.batch_size if self.batch_size is not None else self.model_preset.batch_size

    @property
    def network_width(self) -> int:
        return self.width if self.width is not None else self.model_preset.width

    def loss_weight(self, name: str) -> float:
        """A detail loss's weight ("multiscale", "adversarial"): the table's, else the preset's."""
        value = getattr(self.loss, name)
        return float(getattr(self.model_preset, name) if value is None else value)


# Settings that do not change what is learnt: a resumed run may change them.
RESUMABLE_CHANGES = frozenset({"steps", "fit_steps", "checkpoint_every", "preview_every", "preview_count", "device",
                               "precision"})
