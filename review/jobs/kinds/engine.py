"""engine (gpu): the engine's stages on the shot's folder up to training the chosen models (`pipeline.run.run_shot`,
the shot runner, to its train stage; a synthetic preset is made at the site shot's frames and rate, at the demo's
small budget), then one `convert` job per chosen model, queued for the engine run's requester. Queued by
`review.services.engine.engine_run_queue`."""
from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.core.files import File

from pipeline.errors import InputError
from pipeline.run import RunConfig, SyntheticBudget, run_shot
from pipeline.shot import ShotLayout
from pipeline.synth.choreography import list_presets
from review.choices import ShotStatus
from review.errors import Conflict
from review.jobs.engine_paths import ENGINE_VARIANTS, engine_folder
from review.jobs.registry import JobKindSpec, Progress
from review.models import Job, Shot
from review.paths import path_inside
from review.permissions import Action
from review.services.engine import convert_queue_for_engine_run
from review.services.shots import allowed_transitions, shot_move, shot_plate_set

logger = logging.getLogger(__name__)


def run(job: Job, progress: Progress) -> None:
    """Train the chosen variants on the shot's folder (their fit stages from `base_from`'s base when given), put
    the plate's review clip on the shot, then queue each variant's chunked conversion."""
    shot, name = job.shot, job.params["name"]
    variants = tuple(job.params.get("variants") or ENGINE_VARIANTS)
    layout = ShotLayout(engine_folder(shot, name))
    if not layout.shot_file.is_file() and name not in list_presets():
        raise InputError(f"{layout.shot_file}: no such file; put the shot's folder (with its shot.toml) there, or "
                         f"run one of the synthetic presets ({', '.join(list_presets())})")
    if ShotStatus.TRAINING in allowed_transitions(shot) and shot.status != ShotStatus.TRAINING:
        shot_move(shot=shot, to=ShotStatus.TRAINING, actor=job.requested_by, reason=f"engine run {job.id} started")
    base_from = job.params.get("base_from")  # relative to FACEREPLACE_ENGINE_ROOT, checked to stay inside it
    base = path_inside(settings.FACEREPLACE_ENGINE_ROOT, *Path(base_from).parts,
                       setting="FACEREPLACE_ENGINE_ROOT") if base_from else None
    fields = {"last": "train", "models": variants, "base_from": base}
    if name in list_presets():  # a synthetic shot at the site shot's frames and rate, at the demo's small budget
        budget = (SyntheticBudget.quick if job.params.get("quick") else SyntheticBudget)(
            frames=shot.frame_count, first_frame=shot.frame_start, fps=str(shot.fps))
        config = RunConfig.synthetic(name, budget, **fields)
    else:
        config = RunConfig(**fields)
    result = run_shot(layout.root, config, progress=progress)
    logger.info("%s: %s; reused %s", shot, ", ".join(result.ran) or "nothing to run",
                ", ".join(result.reused) or "nothing")
    _plate_publish(job, layout)
    for variant in variants:
        try:
            convert = convert_queue_for_engine_run(shot=shot, actor=job.requested_by, name=name, variant=variant)
        except Conflict as exc:  # a retried engine run: its first attempt queued this one
            logger.info("%s", exc)
            continue
        logger.info("queued the conversion of %s as job %s, in chunks any gpu worker takes", variant, convert.id)
    progress(1.0, f"trained {', '.join(variants)}; conversions queued")


def _plate_publish(job: Job, layout: ShotLayout) -> None:
    """The plate's review clip the run made goes to the site's shot when it has none yet (the player compares the
    variants with it)."""
    shot = Shot.objects.select_related("sequence").get(pk=job.shot_id)
    if shot.plate_clip or not layout.plate_clip.is_file():
        return
    with layout.plate_clip.open("rb") as clip:
        shot_plate_set(shot=shot, actor=job.requested_by, clip=File(clip, name=layout.plate_clip.name),
                       role_checked=True)
    logger.info("%s: the plate's review clip is on the shot", shot)


SPEC = JobKindSpec(queue="gpu", retry_action=Action.ENGINE_RUN, run=run)
