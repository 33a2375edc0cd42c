"""The eval stage on a shot: what to score (its converted variants, its variants' models on crops, baselines)
against its synthetic truth, or without truth on real footage, into SHOT/eval; and the scores of converted
variants attached to what publish sends.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from pipeline.errors import InputError
from pipeline.eval.inputs import EvalInput, ModelCrops, PlateSequence, cg_pass_source, converted_variant
from pipeline.eval.stage import EvalConfig, EvalInputs, EvalOutputs, run, yaw_bin_table
from pipeline.progress import ProgressCallback
from pipeline.shot import Shot, ShotLayout

logger = logging.getLogger(__name__)


def converted_inputs(shot: Shot, names: Sequence[str] = ()) -> list[PlateSequence]:
    """The shot's converted variants `names` (default: every one converted) as eval inputs."""
    from pipeline.convert.converted import converted_variants

    converted = converted_variants(shot.root)
    return [converted_variant(converted.get(name, ShotLayout(shot.root).convert(name)))
            for name in (names or converted)]


def model_crop_inputs(shot: Shot, names: Sequence[str] = (), *, stabilize: Path | None = None) -> list[ModelCrops]:
    """The models of the shot's [[variants]] `names` (default: all) on head crops, before conversion; cut by a
    stabilize manifest (e.g. the landmarks2d baseline) instead of the 3D pose when `stabilize` is given."""
    from pipeline.convert.shot import shot_swapper, variant_checkpoint

    names = list(names) or [v.name for v in shot.config.variants]
    if not names:
        raise InputError(f"{shot.root}: no [[variants]] tables to score with --crops; add one or name --variant")
    inputs = []
    for name in names:
        variant = shot.variant(name)
        cg = variant.source == "cg"
        inputs.append(ModelCrops(name, shot_swapper(shot, name, variant_checkpoint(shot, name)),
                                 source=cg_pass_source(variant.passes[0]) if cg else None, stabilize=stabilize,
                                 record={"model_input": f"cg {variant.passes[0]}" if cg else "plate"}))
    return inputs


def baseline_inputs(shot: Shot) -> list[PlateSequence]:
    """The truth itself (the ceiling) and the untouched plate (no swap)."""
    if shot.truth is None or shot.truth.rigid is None:
        raise InputError(f"{shot.root}: --baselines needs the shot's [truth] rigid frames")
    return [PlateSequence("truth", shot.truth.rigid, record={"source": "truth/rigid"}),
            PlateSequence("plate", shot.plate, record={"source": "plate (no swap)"})]


def run_shot(shot: Shot, inputs: Sequence[EvalInput], *, out: Path | None = None, truth_free: bool = True,
             progress: ProgressCallback | None = None) -> EvalOutputs:
    """Score `inputs` against the shot's truth (and without it), or without truth on a real shot, into `out`
    (default SHOT/eval)."""
    return run(EvalConfig(truth_free=truth_free), EvalInputs(shot=shot, variants=list(inputs),
                                                             out_dir=out or ShotLayout(shot.root).eval()),
               progress=progress)


def evaluate_converted(shot: Shot, variants: Sequence[str], *, out: Path | None = None,
                       progress: ProgressCallback | None = None) -> EvalOutputs | None:
    """Score those of `variants` the shot has converted (against its synthetic truth, or without truth on real
    footage; into `out`, default SHOT/eval) and attach each one's per-yaw-bin table to its reviewable variant, so
    the supervisor sees on the shot page how it does from frontal to back-of-head. None (and a log line saying
    why) when none of them is converted."""
    from pipeline.convert.converted import converted_variants
    from pipeline.publish.variant import attach_metrics

    converted = [v for v in variants if v in converted_variants(shot.root)]
    if not converted:
        logger.info("%s: none of %s is converted; nothing to evaluate", shot.root, ", ".join(variants))
        return None
    result = run_shot(shot, converted_inputs(shot, converted), out=out, progress=progress)
    for variant in converted:
        attach_metrics(shot.root, variant, {"eval": yaw_bin_table(result.manifest, variant)})
    return result
