"""Running the engine from the site: queue an engine run on a shot's folder (train the chosen models, then
convert each), or one variant's chunked conversion. The jobs' bodies are `review.jobs.kinds.engine` and
`review.jobs.kinds.convert`."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from review.choices import JOB_STATE_ACTIVE, JobKind
from review.errors import Conflict
from review.jobs.engine_paths import ENGINE_VARIANTS, FOLDER_NAME, engine_folder
from review.jobs.runner import job_create
from review.models import Job, Shot
from review.permissions import Action, require


@transaction.atomic
def engine_run_queue(*, shot: Shot, actor: Any, name: str, quick: bool = False,
                     variants: list[str] | tuple[str, ...] = ENGINE_VARIANTS, base_from: Path | None = None) -> Job:
    """Run the engine on the shot's folder `name` (a synthetic preset is made when the folder is empty):
    train `variants` (some of rigid, loose, cg), then convert each in chunks. `base_from`: another engine shot
    folder (under FACEREPLACE_ENGINE_ROOT) whose trained base stages the fit stages start from, as the demo's
    shots share the first one's (the same actor and dancer in every shot)."""
    require(actor, shot.sequence.project_id, Action.ENGINE_RUN)
    if not FOLDER_NAME.match(name or ""):
        raise ValidationError({"name": f"{name!r} is not a folder name (letters, digits, '_', '.', '-'; no slashes)"})
    unknown = ", ".join(repr(v) for v in variants if v not in ENGINE_VARIANTS)
    if unknown or not variants:
        raise ValidationError({"variants": (f"no such variant {unknown}; " if unknown else "no variant chosen; ")
                                           + f"choose one or more of {', '.join(ENGINE_VARIANTS)}"})
    chosen = [v for v in ENGINE_VARIANTS if v in variants]
    engine_folder(shot, name)  # refuses codes that would lead outside FACEREPLACE_ENGINE_ROOT, before queueing
    params: dict[str, Any] = {"name": name, "quick": bool(quick), "variants": chosen}
    if base_from is not None:
        root = Path(settings.FACEREPLACE_ENGINE_ROOT).resolve()
        if not Path(base_from).resolve().is_relative_to(root):
            raise ValidationError({"base_from": "the base shot's folder must lie inside FACEREPLACE_ENGINE_ROOT"})
        params["base_from"] = str(Path(base_from).resolve().relative_to(root))  # the kind checks it again
    return job_create(shot=shot, kind=JobKind.ENGINE, actor=actor, params=params)


@transaction.atomic
def convert_queue(*, shot: Shot, actor: Any, name: str, variant: str) -> Job:
    """Convert `variant` of the engine shot folder `name` in frame chunks any gpu worker takes, then join and
    publish it to the shot."""
    require(actor, shot.sequence.project_id, Action.ENGINE_RUN)
    for field, value in (("name", name), ("variant", variant)):
        if not FOLDER_NAME.match(value or ""):
            raise ValidationError({field: f"{value!r} is not a folder name (letters, digits, '_', '.', '-'; "
                                          "no slashes)"})
    engine_folder(shot, name, "convert", variant)  # refuses codes that would lead outside the engine's root
    return convert_queue_for_engine_run(shot=shot, actor=actor, name=name, variant=variant)


def _active_conversion(*, shot: Shot, name: str, variant: str) -> Job | None:
    """The queued or running conversion of `variant` in the engine folder `name`, if there is one."""
    return Job.objects.filter(shot=shot, kind=JobKind.CONVERT, parent__isnull=True, state__in=JOB_STATE_ACTIVE,
                              params__name=name, params__variant=variant).first()


def convert_queue_for_engine_run(*, shot: Shot, actor: Any, name: str, variant: str) -> Job:
    """Queue the conversion (no role check: called by the engine run, or by `convert_queue`, which checked
    theirs); a second one of the same variant while the first is queued or running is refused (409), as both
    would write SHOT/convert/VARIANT."""
    active = _active_conversion(shot=shot, name=name, variant=variant)
    if active is not None:
        raise Conflict(f"the conversion of {variant} in {name} is already {active.get_state_display().lower()} "
                       f"(job {active.id}); wait for it, or retry it if it fails")
    # under a race both requests pass the look above: the database's constraint lets one in, job_create says 409
    return job_create(shot=shot, kind=JobKind.CONVERT, actor=actor, params={"name": name, "variant": variant})
