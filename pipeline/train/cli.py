"""`facereplace train SHOT_TOML --model rigid|loose|cg [--stage base|fit] [--steps N] [--resume]`."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.cli import add_verb
from pipeline.models.registry import list_models


def register(subparsers: argparse._SubParsersAction) -> None:
    models = list_models()
    p = add_verb(subparsers, "train", help=f"train a swap model ({', '.join(models)}) for a shot",
                 description="Train one stage of a model: `base` learns the identity pair from all their "
                             "material, `fit` starts from the base and learns the shot's fit set. Settings come "
                             "from the shot's [train] table. Writes SHOT/train/MODEL/STAGE/checkpoint.pt "
                             "(+ .json) and previews/; --resume continues an interrupted run exactly.\n"
                             "Material: the shot's facesets from `facereplace dataset` (base: SHOT/dataset/dancer "
                             "and the actor's, after the rules if applied; fit: SHOT/dataset/dancer and "
                             "SHOT/dataset/fit), or --faceset ROLE=DIR (a folder with faceset.json) per role.")
    p.add_argument("shot", help="shot folder or its shot.toml")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", choices=models, help="the model to train")
    which.add_argument("--variant", choices=models, help="deprecated spelling of --model")
    p.add_argument("--stage", default="base", choices=("base", "fit"), help="default: base")
    p.add_argument("--steps", type=int, help="total steps of this stage (default: [train] steps / fit_steps)")
    p.add_argument("--resume", action="store_true", help="continue from the stage's checkpoint")
    p.add_argument("--faceset", action="append", default=[], metavar="ROLE=DIR",
                   help="use this faceset folder for a role: dancer=DIR or actor=DIR (repeatable)")
    p.add_argument("--base", help="base checkpoint a fit stage starts from (default: the shot's base stage)")
    p.add_argument("--out", help="stage folder (default: SHOT/train/MODEL/STAGE)")
    p.set_defaults(func=_train)


def _train(args: argparse.Namespace) -> int:
    from pipeline.errors import InputError
    from pipeline.shot import load_shot
    from pipeline.train.shot import ROLES, run_shot

    if args.variant:
        print(f"facereplace train: --variant is deprecated, use --model {args.variant} (a variant is what a "
              "[[variants]] table converts and the site shows; training makes a model)", file=sys.stderr)
    overrides: dict[str, Path] = {}
    for value in args.faceset:
        role, sep, folder = value.partition("=")
        if not sep or role not in ROLES or not folder:
            raise InputError(f"--faceset {value!r}: expected dancer=DIR or actor=DIR")
        overrides[role] = Path(folder)
    shot = load_shot(args.shot).with_settings(train={"fit_steps" if args.stage == "fit" else "steps": args.steps})
    result = run_shot(shot, model=args.model or args.variant, stage=args.stage, resume=args.resume,
                      facesets=overrides, base=Path(args.base) if args.base else None,
                      out=Path(args.out) if args.out else None)
    print(json.dumps({"checkpoint": str(result.checkpoint), "step": result.step,
                      "loss": result.losses[-1] if result.losses else None,
                      "previews": [str(p) for p in result.previews]}))
    return 0
