"""`facereplace eval SHOT [--variant NAME ...] [--crops [--stabilize MANIFEST]] [--baselines] [--out DIR]`."""
from __future__ import annotations

import argparse
import json

from pipeline.cli import add_verb


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_verb(subparsers, "eval", help="score variants against a synthetic shot's ground truth, per yaw bin",
                 description="Masked PSNR/SSIM, identity margin, performance adherence, flicker and the share of "
                             "frames with an output, per frame and per yaw bin (frontal, three_quarter, profile, "
                             "back). By default each variant's converted plate (SHOT/convert/NAME); with --crops the "
                             "variant's model on head crops, before conversion. Writes eval.json, eval.md, plots/.")
    p.add_argument("shot", help="shot folder or its shot.toml (needs a [truth] table)")
    p.add_argument("--variant", action="append", default=[], metavar="NAME",
                   help="a variant to score (repeatable; default: every converted variant, or with --crops every "
                        "[[variants]] table)")
    p.add_argument("--crops", action="store_true", help="score the variants' models on head crops, not the plate")
    p.add_argument("--stabilize", metavar="MANIFEST",
                   help="with --crops: cut crops by this stabilize manifest (e.g. the landmarks2d baseline) instead "
                        "of the 3D pose")
    p.add_argument("--baselines", action="store_true",
                   help="also score the truth itself (the ceiling) and the untouched plate (no swap)")
    p.add_argument("--out", help="output folder (default: SHOT/eval)")
    p.set_defaults(func=_eval)


def _eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipeline.errors import InputError
    from pipeline.eval.inputs import PlateSequence
    from pipeline.eval.stage import EvalConfig, EvalInputs, run
    from pipeline.shot import load_shot

    shot = load_shot(args.shot)
    if args.stabilize and not args.crops:
        raise InputError("--stabilize cuts crops for --crops; add --crops or drop --stabilize")
    variants = _model_crops(shot, args) if args.crops else _converted(shot, args.variant, required=not args.baselines)
    if args.baselines:
        if shot.truth is None or shot.truth.rigid is None:
            raise InputError(f"{shot.root}: --baselines needs the shot's [truth] rigid frames")
        variants += [PlateSequence("truth", shot.truth.rigid, record={"source": "truth/rigid"}),
                     PlateSequence("plate", shot.plate, record={"source": "plate (no swap)"})]
    out = Path(args.out) if args.out else shot.root / "eval"
    result = run(EvalConfig(), EvalInputs(shot=shot, variants=variants, out_dir=out))
    print(json.dumps({"manifest": str(result.manifest), "table": str(result.table),
                      "variants": {name: {k: v["all"][k] for k in ("share", "psnr_db", "ssim", "identity_margin",
                                                                   "adherence_actor", "flicker")}
                                   for name, v in result.variants.items()}}))
    return 0


def _converted(shot, names: list[str], *, required: bool) -> list:
    from pipeline.errors import InputError
    from pipeline.eval.inputs import converted_variants

    variants = converted_variants(shot, names)
    if not variants and required:
        raise InputError(f"{shot.root / 'convert'}: no converted variants; run `facereplace convert {shot.root} "
                         "--variant NAME` first, or score models on crops with --crops")
    return variants


def _model_crops(shot, args: argparse.Namespace) -> list:
    from pathlib import Path

    from pipeline.convert.shot import shot_swapper
    from pipeline.errors import InputError
    from pipeline.eval.inputs import ModelCrops, cg_pass_source

    tables = {variant.name: variant for variant in shot.config.variants}
    names = args.variant or list(tables)
    if not names:
        raise InputError(f"{shot.root}: no [[variants]] tables to score with --crops; add one or name --variant")
    out = []
    for name in names:
        if name not in tables:
            raise InputError(f"{shot.root}: no [[variants]] table named {name!r} (defined: "
                             f"{', '.join(tables) or 'none'})")
        variant = tables[name]
        checkpoint = shot.root / (variant.checkpoint or f"train/{variant.model}/fit")
        if not (checkpoint / "checkpoint.pt" if checkpoint.is_dir() else checkpoint).is_file():
            raise InputError(f"{checkpoint}: no trained checkpoint for variant {name!r}; run `facereplace train "
                             f"{shot.root} --variant {variant.model}` or set checkpoint in its [[variants]]")
        cg = variant.source == "cg"
        out.append(ModelCrops(name, shot_swapper(shot, name, checkpoint),
                              source=cg_pass_source(variant.passes[0]) if cg else None,
                              stabilize=Path(args.stabilize) if args.stabilize else None,
                              record={"model_input": f"cg {variant.passes[0]}" if cg else "plate"}))
    return out
