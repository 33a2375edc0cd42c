"""`facereplace eval SHOT [--variant NAME ...] [--crops [--stabilize MANIFEST]] [--baselines] [--out DIR]`."""
from __future__ import annotations

import argparse
import json

from pipeline.cli import add_verb


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_verb(subparsers, "eval", help="score variants per yaw bin, against a synthetic shot's truth or without",
                 description="Against a synthetic shot's truth: masked PSNR/SSIM, identity margin, performance "
                             "adherence, flicker and the share of frames with an output, per frame and per yaw bin "
                             "(frontal, three_quarter, profile, back). Without [truth] (real footage): identity by "
                             "a face recognition network (actor's material against the dancer's plate), head pose "
                             "and mouth by the face mesh, flicker along the plate's optical flow; a synthetic shot "
                             "gets both, side by side. By default each variant's converted plate "
                             "(SHOT/convert/NAME); with --crops the variant's model on head crops, before "
                             "conversion (truth only). Writes eval.json, eval.md, plots/.")
    p.add_argument("shot", help="shot folder or its shot.toml")
    p.add_argument("--variant", action="append", default=[], metavar="NAME",
                   help="a variant to score (repeatable; default: every converted variant, or with --crops every "
                        "[[variants]] table)")
    p.add_argument("--crops", action="store_true", help="score the variants' models on head crops, not the plate")
    p.add_argument("--stabilize", metavar="MANIFEST",
                   help="with --crops: cut crops by this stabilize manifest (e.g. the landmarks2d baseline) instead "
                        "of the 3D pose")
    p.add_argument("--baselines", action="store_true",
                   help="also score the truth itself (the ceiling) and the untouched plate (no swap)")
    p.add_argument("--no-truth-free", dest="truth_free", action="store_false",
                   help="on a synthetic shot, score against the truth only (not also without it)")
    p.add_argument("--out", help="output folder (default: SHOT/eval)")
    p.set_defaults(func=_eval)


def _eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipeline.errors import InputError
    from pipeline.eval.shot import baseline_inputs, converted_inputs, model_crop_inputs, run_shot
    from pipeline.shot import ShotLayout, load_shot

    shot = load_shot(args.shot)
    if args.stabilize and not args.crops:
        raise InputError("--stabilize cuts crops for --crops; add --crops or drop --stabilize")
    if args.crops:
        inputs = model_crop_inputs(shot, args.variant, stabilize=Path(args.stabilize) if args.stabilize else None)
    else:
        inputs = converted_inputs(shot, args.variant)
        if not inputs and not args.baselines:
            raise InputError(f"{ShotLayout(shot.root).converted}: no converted variants; run `facereplace convert "
                             f"{shot.root} --variant NAME` first, or score models on crops with --crops")
    if args.baselines:
        inputs += baseline_inputs(shot)
    result = run_shot(shot, inputs, out=Path(args.out) if args.out else None, truth_free=args.truth_free)
    print(json.dumps({"manifest": str(result.manifest), "table": str(result.table),
                      "variants": {name: {k: v["all"][k] for k in ("share", "psnr_db", "ssim", "identity_margin",
                                                                   "adherence_actor", "flicker")}
                                   for name, v in result.variants.items()}}))
    return 0
