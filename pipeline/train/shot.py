"""Training one variant of a shot from its own folders: what `facereplace train`, the demo and site jobs run.

Material comes from the shot's dataset stage (base: the dancer's faceset and the actor's; fit: the dancer's
and the shot's fit set; cg trains on the actor's CG pairs alone), each role overridable with another faceset
folder. Checkpoints go to SHOT/train/VARIANT/STAGE.

Which of the actor's material a base stage learns is the variant's nature (BASE_ACTOR_MATERIAL): rigid and cg
learn only what survives the shot's dataset rules (the actor's performance as curated: no toothy smile, no open
mouth), so they cannot make an expression the actor was pruned of; loose learns everything the actor did, every
in-between included, so it can follow the dancer where the dancer goes.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from pipeline.errors import InputError
from pipeline.progress import ProgressCallback
from pipeline.shot import Shot, ShotLayout
from pipeline.train.config import TrainConfig
from pipeline.train.stage import TrainInputs, TrainResult, run

VARIANTS = ("rigid", "loose", "cg")
BASE_ACTOR_MATERIAL = {"rigid": "kept", "loose": "all", "cg": "kept"}  # "kept": after the rules; "all": before
STAGES = ("base", "fit")


def shot_facesets(shot: Shot, *, variant: str, stage: str,
                  overrides: Mapping[str, Path] | None = None) -> dict[str, Path]:
    """Faceset folder per role for `variant` and `stage`, checked to exist."""
    from pipeline.dataset.stage import training_faceset

    paths = ShotLayout(shot.root).dataset
    if stage == "fit":
        actor = paths.fit
    elif BASE_ACTOR_MATERIAL[variant] == "all":
        actor = paths.faceset("actor")
    else:
        actor = training_faceset(paths)
    roles = {"dancer": paths.faceset("dancer"), "actor": actor}
    if variant == "cg":
        del roles["dancer"]
    for role, folder in (overrides or {}).items():
        if role not in ("dancer", "actor"):
            raise InputError(f"faceset role {role!r}: use dancer or actor")
        roles[role] = Path(folder)
    for role, folder in roles.items():
        if not (folder / "faceset.json").is_file():
            step = "fit" if folder == paths.fit else "build"
            raise InputError(f"{folder}: no {role} faceset; run `facereplace dataset {step} {shot.root}` "
                             f"or give another {role} faceset folder")
    return roles


def run_shot(shot: Shot, *, variant: str, stage: str = "base", steps: int | None = None, resume: bool = False,
               facesets: Mapping[str, Path] | None = None, base: Path | None = None, out: Path | None = None,
               config: TrainConfig | None = None, progress: ProgressCallback | None = None) -> TrainResult:
    """Train `stage` of `variant` for `shot`; a fit stage starts from the shot's base checkpoint (or `base`)."""
    from pipeline.train.data import training_set

    if variant not in VARIANTS or stage not in STAGES:
        raise InputError(f"train: variant {variant!r} / stage {stage!r}: use {'|'.join(VARIANTS)} and {'|'.join(STAGES)}")
    if config is None:
        config = shot.config.train
    if steps is not None:
        if steps < 0:
            raise InputError(f"steps {steps}: give a number of steps, 0 or more")
        config = dataclasses.replace(config, **{"fit_steps" if stage == "fit" else "steps": steps})
    from pipeline.train.checkpoint import CHECKPOINT_FILE

    layout = ShotLayout(shot.root)
    out = out or layout.train(variant, stage)
    init_from = None
    if stage == "fit":
        init_from = base or layout.checkpoint(variant, "base")
        if not init_from.is_file() and not (resume and (out / CHECKPOINT_FILE).is_file()):
            raise InputError(f"{init_from}: no base checkpoint to start the fit stage from; train the base stage "
                             f"of {variant} first (`facereplace train {shot.root} --variant {variant} --stage base`)")
    data = training_set(shot_facesets(shot, variant=variant, stage=stage, overrides=facesets))
    return run(config, TrainInputs(data=data, variant=variant, out_dir=out, stage=stage, init_from=init_from,
                                   resume=resume), progress=progress)
