"""Converting one variant of a shot from its own folders: what `facereplace convert`, the demo and site jobs run.

The variant's [[variants]] table names its model; the checkpoint is the one it names, else the model's fit
stage (SHOT/train/MODEL/fit). Output goes to SHOT/convert/NAME and the reviewable variant to
SHOT/review/variants/NAME, where `facereplace publish` finds it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.config import config_from_dict
from pipeline.errors import InputError
from pipeline.progress import ProgressCallback
from pipeline.shot import Shot


@dataclass(frozen=True)
class ShotConversion:
    manifest: Path
    swapped: int
    unswapped: list[int]
    anomalies: list[int]
    review_variant: Path | None
    timings: dict[str, float]


def convert_shot(shot: Shot, variant_name: str, *, checkpoint: Path | None = None, out: Path | None = None,
                 progress: ProgressCallback | None = None) -> ShotConversion:
    from pipeline.convert.config import ConvertConfig, variant_config
    from pipeline.convert.stage import ConvertInputs, run, write_review_variant
    from pipeline.convert.swapper import TrainedSwapper

    config = config_from_dict(ConvertConfig, shot.sections.get("convert"), where=f"{shot.root} [convert]")
    variant = variant_config(shot.sections, variant_name, where=str(shot.root))
    if checkpoint is None:
        checkpoint = shot.root / variant.checkpoint if variant.checkpoint else shot.root / "train" / variant.model / "fit"
    if not (checkpoint / "checkpoint.pt" if checkpoint.is_dir() else checkpoint).is_file():
        raise InputError(f"{checkpoint}: no trained checkpoint for variant {variant.name!r}; run `facereplace train "
                         f"{shot.root} --variant {variant.model} --stage fit` or set checkpoint in its [[variants]]")
    swapper = TrainedSwapper(checkpoint, performance=variant.performance, device=config.device)
    result = run(config, ConvertInputs(shot=shot, variant=variant, swapper=swapper,
                                       out_dir=out or shot.root / "convert" / variant.name), progress=progress)
    return ShotConversion(manifest=result.manifest, swapped=len(result.swapped), unswapped=list(result.unswapped),
                          anomalies=list(result.anomalies), review_variant=write_review_variant(shot.root, result.manifest),
                          timings=dict(result.timings))
