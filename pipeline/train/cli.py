"""`facereplace train SHOT_TOML --variant rigid|loose|cg [--stage base|fit] [--steps N] [--resume]`."""
from __future__ import annotations

import argparse
import json

from pipeline.cli import add_verb

VARIANTS = ("rigid", "loose", "cg")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_verb(subparsers, "train", help="train a swap model (rigid, loose or cg) for a shot",
                 description="Train one stage of a variant: `base` learns the identity pair from all their "
                             "material, `fit` starts from the base and learns the shot's fit set. Settings come "
                             "from the shot's [train] table. Writes SHOT/train/VARIANT/STAGE/checkpoint.pt "
                             "(+ .json) and previews/; --resume continues an interrupted run exactly.\n"
                             "Material: --faceset ROLE=DIR for each role (dancer, actor), DIR a faceset folder "
                             "with faceset.json.")
    p.add_argument("shot", help="shot folder or its shot.toml")
    p.add_argument("--variant", required=True, choices=VARIANTS)
    p.add_argument("--stage", default="base", choices=("base", "fit"), help="default: base")
    p.add_argument("--steps", type=int, help="total steps of this stage (default: [train] steps / fit_steps)")
    p.add_argument("--resume", action="store_true", help="continue from the stage's checkpoint")
    p.add_argument("--faceset", action="append", default=[], metavar="ROLE=DIR",
                   help="a faceset folder for a role: dancer=DIR, actor=DIR (repeat)")
    p.add_argument("--base", help="base checkpoint a fit stage starts from (default: the shot's base stage)")
    p.add_argument("--out", help="stage folder (default: SHOT/train/VARIANT/STAGE)")
    p.set_defaults(func=_train)


def _facesets(values: list[str]) -> dict[str, str]:
    from pipeline.errors import InputError

    roles: dict[str, str] = {}
    for value in values:
        role, sep, folder = value.partition("=")
        if not sep or role not in ("dancer", "actor") or not folder:
            raise InputError(f"--faceset {value!r}: expected dancer=DIR or actor=DIR")
        roles[role] = folder
    if not roles:
        raise InputError("train: no training material given; pass --faceset dancer=DIR --faceset actor=DIR "
                         "(faceset folders holding faceset.json)")
    return roles


def _train(args: argparse.Namespace) -> int:
    import dataclasses
    from pathlib import Path

    from pipeline.config import config_from_dict
    from pipeline.errors import InputError
    from pipeline.shot import load_shot
    from pipeline.train.config import TrainConfig
    from pipeline.train.data import training_set
    from pipeline.train.trainer import TrainInputs, run

    shot = load_shot(args.shot)
    config = config_from_dict(TrainConfig, shot.sections.get("train"), where=f"{shot.root} [train]")
    if args.steps is not None:
        if args.steps < 0:
            raise InputError(f"--steps {args.steps}: give a number of steps, 0 or more")
        config = dataclasses.replace(config, **{"fit_steps" if args.stage == "fit" else "steps": args.steps})
    out = Path(args.out) if args.out else shot.root / "train" / args.variant / args.stage
    init_from = None
    if args.stage == "fit":
        init_from = Path(args.base) if args.base else shot.root / "train" / args.variant / "base" / "checkpoint.pt"
        if not init_from.is_file() and not (args.resume and (out / "checkpoint.pt").is_file()):
            raise InputError(f"{init_from}: no base checkpoint to start the fit stage from; run "
                             f"`facereplace train {args.shot} --variant {args.variant} --stage base` first, or "
                             "give --base")
    data = training_set(_facesets(args.faceset))
    result = run(config, TrainInputs(data=data, variant=args.variant, out_dir=out, stage=args.stage,
                                     init_from=init_from, resume=args.resume))
    print(json.dumps({"checkpoint": str(result.checkpoint), "step": result.step,
                      "loss": result.losses[-1] if result.losses else None,
                      "previews": [str(p) for p in result.previews]}))
    return 0
