"""`facereplace train SHOT_TOML --variant rigid|loose|cg [--stage base|fit] [--steps N] [--resume]`."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.cli import add_verb

if TYPE_CHECKING:
    from pipeline.shot import Shot

VARIANTS = ("rigid", "loose", "cg")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_verb(subparsers, "train", help="train a swap model (rigid, loose or cg) for a shot",
                 description="Train one stage of a variant: `base` learns the identity pair from all their "
                             "material, `fit` starts from the base and learns the shot's fit set. Settings come "
                             "from the shot's [train] table. Writes SHOT/train/VARIANT/STAGE/checkpoint.pt "
                             "(+ .json) and previews/; --resume continues an interrupted run exactly.\n"
                             "Material: the shot's facesets from `facereplace dataset` (base: SHOT/dataset/dancer "
                             "and the actor's, after the rules if applied; fit: SHOT/dataset/dancer and "
                             "SHOT/dataset/fit), or --faceset ROLE=DIR (a folder with faceset.json) per role.")
    p.add_argument("shot", help="shot folder or its shot.toml")
    p.add_argument("--variant", required=True, choices=VARIANTS)
    p.add_argument("--stage", default="base", choices=("base", "fit"), help="default: base")
    p.add_argument("--steps", type=int, help="total steps of this stage (default: [train] steps / fit_steps)")
    p.add_argument("--resume", action="store_true", help="continue from the stage's checkpoint")
    p.add_argument("--faceset", action="append", default=[], metavar="ROLE=DIR",
                   help="use this faceset folder for a role: dancer=DIR or actor=DIR (repeatable)")
    p.add_argument("--base", help="base checkpoint a fit stage starts from (default: the shot's base stage)")
    p.add_argument("--out", help="stage folder (default: SHOT/train/VARIANT/STAGE)")
    p.set_defaults(func=_train)


def _facesets(shot: Shot, args: argparse.Namespace) -> dict[str, Path]:
    """Faceset folder per role: the shot's dataset folders, overridden by --faceset ROLE=DIR."""
    from pipeline.dataset.stage import DatasetPaths
    from pipeline.errors import InputError

    paths = DatasetPaths(shot.root / "dataset")
    roles = {"dancer": paths.faceset("dancer"),
             "actor": paths.fit if args.stage == "fit" else paths.training_faceset()}
    if args.variant == "cg":
        del roles["dancer"]
    for value in args.faceset:
        role, sep, folder = value.partition("=")
        if not sep or role not in ("dancer", "actor") or not folder:
            raise InputError(f"--faceset {value!r}: expected dancer=DIR or actor=DIR")
        roles[role] = Path(folder)
    for role, folder in roles.items():
        if not (folder / "faceset.json").is_file():
            step = "fit" if folder == paths.fit else "build"
            raise InputError(f"{folder}: no {role} faceset; run `facereplace dataset {step} {args.shot}` "
                             f"or pass --faceset {role}=DIR")
    return roles


def _train(args: argparse.Namespace) -> int:
    import dataclasses

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
    data = training_set(_facesets(shot, args))
    result = run(config, TrainInputs(data=data, variant=args.variant, out_dir=out, stage=args.stage,
                                     init_from=init_from, resume=args.resume))
    print(json.dumps({"checkpoint": str(result.checkpoint), "step": result.step,
                      "loss": result.losses[-1] if result.losses else None,
                      "previews": [str(p) for p in result.previews]}))
    return 0
