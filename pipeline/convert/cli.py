"""`facereplace convert SHOT_TOML --variant NAME [--checkpoint PT] [--out DIR]`."""
from __future__ import annotations

import argparse
import json

from pipeline.cli import add_verb


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_verb(subparsers, "convert", help="put a trained model's swap into every plate frame (one variant)",
                 description="Convert the plate with the model of one [[variants]] table: crop, swap, warp back, "
                             "colour match, motion blur, matte, composite. Settings from [convert]. Writes "
                             "SHOT/convert/NAME/ (comp frames, EXR passes, QC, review clip, converted.json) and "
                             "SHOT/review/variants/NAME/variant.json for `facereplace publish`.")
    p.add_argument("shot", help="shot folder or its shot.toml")
    p.add_argument("--variant", required=True, help="name of a [[variants]] table of the shot")
    p.add_argument("--checkpoint", help="checkpoint to use (default: the variant's, else train/MODEL/fit)")
    p.add_argument("--out", help="output folder (default: SHOT/convert/NAME)")
    p.set_defaults(func=_convert)


def _convert(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipeline.config import config_from_dict
    from pipeline.convert.config import ConvertConfig, variant_config
    from pipeline.convert.stage import ConvertInputs, run, write_review_variant
    from pipeline.convert.swapper import TrainedSwapper
    from pipeline.errors import InputError
    from pipeline.shot import load_shot

    shot = load_shot(args.shot)
    config = config_from_dict(ConvertConfig, shot.sections.get("convert"), where=f"{shot.root} [convert]")
    variant = variant_config(shot.sections, args.variant, where=str(shot.root))
    checkpoint = Path(args.checkpoint) if args.checkpoint else (
        shot.root / variant.checkpoint if variant.checkpoint else shot.root / "train" / variant.model / "fit")
    if not (checkpoint / "checkpoint.pt" if checkpoint.is_dir() else checkpoint).is_file():
        raise InputError(f"{checkpoint}: no trained checkpoint for variant {variant.name!r}; run `facereplace train "
                         f"{args.shot} --variant {variant.model} --stage fit` or set checkpoint in its [[variants]]")
    swapper = TrainedSwapper(checkpoint, performance=variant.performance, device=config.device)
    out = Path(args.out) if args.out else shot.root / "convert" / variant.name
    result = run(config, ConvertInputs(shot=shot, variant=variant, swapper=swapper, out_dir=out))
    review = write_review_variant(shot.root, result.manifest)
    print(json.dumps({"manifest": str(result.manifest), "swapped": len(result.swapped),
                      "unswapped": result.unswapped, "anomalies": list(result.anomalies),
                      "review_variant": str(review) if review else None,
                      "timings": {k: round(v, 2) for k, v in result.timings.items()}}))
    return 0
