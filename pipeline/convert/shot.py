"""Converting one variant of a shot from its own folders: what `facereplace convert`, the demo and site jobs run.

The variant's [[variants]] table names its model; the checkpoint is the one it names, else the model's fit
stage (SHOT/train/MODEL/fit). Output goes to SHOT/convert/NAME and the reviewable variant to
SHOT/review/variants/NAME, where `facereplace publish` finds it.

A long shot converts in frame chunks (`frames=(first, last)`, each into its own folder, on any worker) that
`join_shot` assembles into the same SHOT/convert/NAME an unchunked conversion writes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import InputError
from pipeline.progress import ProgressCallback
from pipeline.shot import Shot, ShotLayout

if TYPE_CHECKING:
    from pipeline.convert.stage import ConvertOutputs


@dataclass(frozen=True)
class ShotConversion:
    manifest: Path
    swapped: int
    unswapped: list[int]
    anomalies: list[int]
    review_variant: Path | None
    timings: dict[str, float]

    @classmethod
    def of(cls, result: ConvertOutputs, shot_root: Path | None) -> ShotConversion:
        """A stage's outputs; with `shot_root`, a whole variant whose reviewable variant is written there."""
        from pipeline.publish.variant import write_review_variant

        review = write_review_variant(shot_root, result.manifest) if shot_root is not None else None
        return cls(manifest=result.manifest, swapped=len(result.swapped), unswapped=list(result.unswapped),
                   anomalies=list(result.anomalies), review_variant=review, timings=dict(result.timings))


def variant_checkpoint(shot: Shot, variant_name: str, checkpoint: Path | None = None) -> Path:
    """The checkpoint a variant converts with (given, its [[variants]] checkpoint, else SHOT/train/MODEL/fit);
    an InputError saying how to make it when it is not there."""
    from pipeline.train.checkpoint import CHECKPOINT_FILE

    variant = shot.variant(variant_name)
    if checkpoint is None and variant.checkpoint:
        checkpoint = shot.root / variant.checkpoint
    elif checkpoint is None:
        checkpoint = ShotLayout(shot.root).train(variant.model, "fit")
    if not (checkpoint / CHECKPOINT_FILE if checkpoint.is_dir() else checkpoint).is_file():
        raise InputError(f"{checkpoint}: no trained checkpoint for variant {variant.name!r}; run `facereplace train "
                         f"{shot.root} --variant {variant.model} --stage fit` or set checkpoint in its [[variants]]")
    return checkpoint


def shot_swapper(shot: Shot, variant_name: str, checkpoint: Path, *, device: str = "auto"):
    """The variant's trained model behind the Swapper interface, with its performance and the shot's synced
    actor sources (so a snapping model takes the actor's expression from the same moment of her walkthrough), its
    snaps held to the plate's pose and mouth by the poses and mouths of the actor's faceset."""
    from pipeline.convert.swapper import TrainedSwapper

    from pipeline.dataset.faceset import read_faceset

    variant = shot.variant(variant_name)
    syncs = {s.name: s.sync for s in shot.sources if s.sync is not None and s.identity == "actor"}
    swapper = TrainedSwapper(checkpoint, performance=variant.performance, device=device, syncs=syncs,
                             sync_window=variant.sync_window)
    actor = swapper.record.get("facesets", {}).get("actor")
    if swapper.trained.bank is not None and actor and Path(actor).is_dir():
        crops = read_faceset(Path(actor))["crops"]
        config = shot.config.convert
        swapper.limit_snaps({c["id"]: (c["yaw"], c["pitch"], c["roll"]) for c in crops}, config.coverage_limit_deg)
        # mouths the refined face mesh read (mouth_inside is its measure alone), as conversion reads the plate's
        swapper.match_mouths({c["id"]: (c["descriptors"]["mouth_open"], c["descriptors"]["mouth_inside"])
                              for c in crops if c.get("descriptors", {}).get("mouth_inside") is not None},
                             config.mouth_tolerance, reach_deg=config.coverage_hysteresis_deg)
    return swapper


def run_shot(shot: Shot, variant_name: str, *, checkpoint: Path | None = None, out: Path | None = None,
             frames: tuple[int, int] | None = None, progress: ProgressCallback | None = None) -> ShotConversion:
    """Convert the variant (the whole shot into SHOT/convert/NAME, or with `frames` one chunk into `out`), framed
    as the shot's [stabilize] table says."""
    if frames is not None and out is None:
        raise InputError(f"{shot.root}: a chunk of variant {variant_name!r} needs its own folder (out=)")
    from pipeline.convert.stage import ConvertInputs, run

    config, variant = shot.config.convert, shot.variant(variant_name)
    checkpoint = variant_checkpoint(shot, variant_name, checkpoint)
    swapper = shot_swapper(shot, variant_name, checkpoint, device=config.device)
    result = run(config, ConvertInputs(shot=shot, variant=variant, swapper=swapper, framing=shot.config.stabilize,
                                       out_dir=out or ShotLayout(shot.root).convert(variant.name), frames=frames),
                 progress=progress)
    return ShotConversion.of(result, shot.root if frames is None else None)


def join_shot(shot: Shot, variant_name: str, chunk_dirs: list[Path], *, out: Path | None = None,
              progress: ProgressCallback | None = None) -> ShotConversion:
    """Join a variant's chunk folders into SHOT/convert/NAME (or `out`) and write its reviewable variant."""
    from pipeline.convert.stage import join_converted

    variant = shot.variant(variant_name)
    result = join_converted(chunk_dirs, out or ShotLayout(shot.root).convert(variant.name), progress=progress)
    return ShotConversion.of(result, shot.root)
