"""Training one model of a shot from its own folders: what `facereplace train`, the shot runner and site jobs run.

Material comes from the shot's dataset stage (base: the dancer's faceset and the actor's; fit: the dancer's
and the shot's fit set; a model that learns the actor alone, cg, trains on her CG pairs), each role overridable
with another faceset folder. Checkpoints go to SHOT/train/MODEL/STAGE.

Which of the actor's material a base stage learns is the model's nature (`ModelInfo.base_material`): rigid and cg
learn only what survives the shot's dataset rules (the actor's performance as curated: no toothy smile, no open
mouth), so they cannot make an expression the actor was pruned of; loose learns everything the actor did, every
in-between included, so it can follow the dancer where the dancer goes.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pipeline.errors import InputError
from pipeline.models.registry import list_models, model_info
from pipeline.progress import ProgressCallback
from pipeline.shot import Shot, ShotLayout
from pipeline.train.stage import STAGES, TrainInputs, TrainResult, run

ROLES = ("dancer", "actor")


def shot_facesets(shot: Shot, *, model: str, stage: str,
                  overrides: Mapping[str, Path] | None = None) -> dict[str, Path]:
    """Faceset folder per role for `model` and `stage`, checked to exist."""
    from pipeline.dataset.faceset import MANIFEST
    from pipeline.dataset.stage import training_faceset

    info, paths = model_info(model), ShotLayout(shot.root).dataset
    if stage == "fit":
        actor = paths.fit
    elif info.base_material == "all":
        actor = paths.faceset("actor")
    else:
        actor = training_faceset(paths)
    roles = {role: folder for role, folder in (("dancer", paths.faceset("dancer")), ("actor", actor))
             if role in info.learns}
    for role, folder in (overrides or {}).items():
        if role not in ROLES:
            raise InputError(f"faceset role {role!r}: use {' or '.join(ROLES)}")
        roles[role] = Path(folder)
    for role, folder in roles.items():
        if not (folder / MANIFEST).is_file():
            step = "fit" if folder == paths.fit else "build"
            raise InputError(f"{folder}: no {role} faceset; run `facereplace dataset {step} {shot.root}` "
                             f"or give another {role} faceset folder")
    return roles


def run_shot(shot: Shot, *, model: str, stage: str = "base", resume: bool = False,
             facesets: Mapping[str, Path] | None = None, base: Path | None = None, out: Path | None = None,
             progress: ProgressCallback | None = None) -> TrainResult:
    """Train `stage` of `model` for `shot` with its [train] table into `out` (default SHOT/train/MODEL/STAGE); a fit
    stage starts from the shot's base checkpoint (or `base`, e.g. another shot's)."""
    from pipeline.train.checkpoint import CHECKPOINT_FILE
    from pipeline.train.data import training_set

    if model not in list_models() or stage not in STAGES:
        raise InputError(f"train: model {model!r} / stage {stage!r}: use {'|'.join(list_models())} and "
                         f"{'|'.join(STAGES)}")
    layout = ShotLayout(shot.root)
    out = out or layout.train(model, stage)
    init_from = None
    if stage == "fit":
        init_from = base or layout.checkpoint(model, "base")
        if not init_from.is_file() and not (resume and (out / CHECKPOINT_FILE).is_file()):
            raise InputError(f"{init_from}: no base checkpoint to start the fit stage from; train the base stage "
                             f"of {model} first (`facereplace train {shot.root} --model {model} --stage base`)")
    data = training_set(shot_facesets(shot, model=model, stage=stage, overrides=facesets))
    return run(shot.config.train, TrainInputs(data=data, model=model, out_dir=out, stage=stage, init_from=init_from,
                                              resume=resume), progress=progress)
