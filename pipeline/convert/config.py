"""Settings of the convert stage: [convert] (how every variant is put into the plate) and one [[variants]] table
(which model makes the variant), both built with pipeline.config.config_from_dict."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.config import config_from_dict
from pipeline.errors import InputError
from pipeline.models.registry import MODEL_INPUTS, list_models, model_info

DEVICES = ("auto", "cpu", "cuda")
LIGHT_PASSES = ("beauty", "key", "spot", "rim")


@dataclass(frozen=True)
class ConvertConfig:
    """[convert] in shot.toml."""

    # A name in pipeline.convert.colour (list_colour_matches()). None by default: the actor's material is shot in
    # the scene's light (the walkthrough), and matching the swap's colour statistics to the plate's also carries
    # the dancer's hair and skin colour over (on the pirouette: 15.2 dB -> 19.3 dB PSNR against the truth).
    colour_match: str = "none"
    erode_px: int = 2                   # plate pixels the swap's mask shrinks by before feathering
    feather_px: float = 3.0             # Gaussian softness (sigma, plate pixels) of the mask's edge
    motion_blur: bool = True            # blur the swap along the head's image motion on each frame
    # where the face mesh finds the plate's own face, it is painted out under the swap (the neck drawn up over it,
    # pipeline.convert.paintout), so the dancer's chin and lips do not show past the edge of a smaller swap
    paint_out: bool = True
    shutter: float = 0.5                # open shutter in frames (0.5 = 180 degrees)
    batch_size: int = 8                 # crops per model call
    device: str = "auto"                # auto (CUDA when present), cpu, cuda
    qc_size: int = 64                   # side of the downsampled crops the anomaly score compares
    anomaly_threshold: float = 4.0      # anomaly (robust z, 0..10: pipeline.convert.qc) above which a frame is flagged
    review_clip: bool = True            # also write the variant's review clip (review/variants/NAME/)
    # a frame farther than coverage_limit_deg from every pose of the actor's material (the variant's coverage.json,
    # else its training faceset), or whose pose the track only filled outside a gap between two covered measured
    # frames (an extrapolated pose: pipeline.convert.coverage) is "uncovered": "plate" keeps the plate there
    # (flagged), "swap" swaps it anyway (flagged), "cg" composites the actor's CG head render (the shot's [cg]
    # passes). The dataset's coverage_deg
    # (15) is where a swap starts to soften; past this limit the model has nothing like the view to go on.
    uncovered: str = "plate"            # plate | swap | cg: what an uncovered frame gets
    coverage_limit_deg: float = 30.0    # degrees from the nearest pose of the actor's material
    # flicker is taken out so the swap does not switch on and off as the pose wavers about the limit
    # (pipeline.convert.coverage.steady_uncovered); with uncovered = "plate" the swap dissolves from the plate
    coverage_hysteresis_deg: float = 5.0  # degrees past the limit a drop-out shorter than coverage_min_run is swapped
    coverage_min_run: int = 6           # frames: shorter drop-outs are swapped (within the hysteresis), shorter swaps not
    coverage_fade: int = 4              # frames the swap dissolves over from and to the plate (0: a cut)
    # a snapping (rigid) variant takes the actor frame nearest on average over this many plate frames either side
    # (pipeline.convert.snaps),
    snap_window: int = 8                # so two about equally near do not alternate, a pop a frame (0: each frame alone)
    # a snapping variant takes an actor frame whose mouth (mouth_open and mouth_inside, pipeline.dataset.descriptors:
    # 0 closed, about 0.2-0.5 talking, 1 and more screaming) is within this of the plate frame's; where none within
    # coverage_limit_deg is, one up to coverage_hysteresis_deg past it (recorded per frame); where none is either,
    # the nearest mouths within the limit (TrainedSwapper.match_mouths). inf: the nearest latent whatever its mouth
    mouth_tolerance: float = 0.25

    def __post_init__(self) -> None:
        from pipeline.convert.colour import list_colour_matches
        from pipeline.convert.coverage import UNCOVERED_POLICIES

        if self.colour_match not in list_colour_matches():
            raise ValueError(f"colour_match {self.colour_match!r} is not one of {', '.join(list_colour_matches())}")
        if self.erode_px < 0 or self.feather_px < 0 or not 0.0 <= self.shutter <= 1.0:
            raise ValueError("erode_px and feather_px must be 0 or more, shutter within 0..1 frames")
        if self.batch_size < 1 or self.qc_size < 8:
            raise ValueError("batch_size must be at least 1 and qc_size at least 8")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.uncovered not in UNCOVERED_POLICIES:
            raise ValueError(f"uncovered must be one of {', '.join(UNCOVERED_POLICIES)}, got {self.uncovered!r}")
        if not 0.0 < self.coverage_limit_deg <= 180.0:
            raise ValueError(f"coverage_limit_deg {self.coverage_limit_deg} must be within 0..180 degrees")
        if self.coverage_hysteresis_deg < 0 or self.coverage_min_run < 1 or self.coverage_fade < 0:
            raise ValueError("coverage_hysteresis_deg and coverage_fade must be 0 or more, coverage_min_run 1 or more")
        if self.snap_window < 0:
            raise ValueError(f"snap_window {self.snap_window} must be 0 or more plate frames")
        if not self.mouth_tolerance >= 0.0:
            raise ValueError(f"mouth_tolerance {self.mouth_tolerance} must be 0 or more (inf: mouths not matched)")


@dataclass(frozen=True)
class VariantConfig:
    """One [[variants]] table: a named result of one trained model."""

    name: str                            # the variant's folder and its name on the site
    model: str                           # a registered model: rigid | loose | cg (pipeline.models.list_models())
    checkpoint: str = ""                 # relative to the shot; default train/MODEL/fit/checkpoint.pt
    performance: float | None = None     # 0 (actor's expressions only) .. 1 (follow the dancer); default: model's
    coverage: str = ""                   # coverage.json of `facereplace dataset coverage`: each frame's distance
    faceset: str = ""                    # else the training faceset folder, to measure that distance here
    input: str = ""                      # plate | cg; default: the registered model's (cg for cg), else plate
    passes: tuple[str, ...] = LIGHT_PASSES  # CG lighting passes converted, each its own layer (cg input only)
    # plate frames either side within which a snapping model (performance < 1) takes the actor's latents from
    # her synced walkthrough (pipeline.convert.sync); 0 snaps to the whole fit set whatever its timing
    sync_window: float = 1.0

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name:
            raise ValueError(f"variant name {self.name!r} must be a non-empty folder name")
        if self.input and self.input not in MODEL_INPUTS:
            raise ValueError(f"input must be one of {', '.join(MODEL_INPUTS)}, got {self.input!r}")
        if self.performance is not None and not 0.0 <= self.performance <= 1.0:
            raise ValueError(f"performance {self.performance} is outside 0..1")
        if not 0.0 <= self.sync_window <= 1000.0:
            raise ValueError(f"sync_window {self.sync_window} must be 0 (off) or a number of plate frames")

    @property
    def source(self) -> str:
        return self.input or (model_info(self.model).input if self.model in list_models() else "plate")


def variant_configs(raw: Any, *, where: str) -> tuple[VariantConfig, ...]:
    """Every [[variants]] table of a shot (`raw`, the array of tables), checked, in order."""
    if not isinstance(raw, list):
        raise InputError(f"{where}: 'variants' must be an array of tables ([[variants]])")
    variants = tuple(config_from_dict(VariantConfig, table, where=f"{where} [[variants]] #{i + 1}")
                     for i, table in enumerate(raw))
    names = [v.name for v in variants]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"{where}: variant(s) {', '.join(map(repr, twice))} defined twice")
    return variants
