"""engine (gpu): the engine's stages on the shot's folder up to training the chosen models (`pipeline.run.run_shot`,
the shot runner, to its train stage; a synthetic preset is made at the site shot's frames and rate, at the demo's
small budget), then one `convert` job per chosen model, queued for the engine run's requester. Queued by
`review.services.engine.engine_run_queue`."""
from __future__ import annotations

import logging

from pipeline.errors import InputError
from pipeline.run import RunConfig, SyntheticBudget, run_shot
from pipeline.shot import ShotLayout
from pipeline.synth.choreography import list_presets
from review.choices import ShotStatus
from review.errors import Conflict
from review.jobs.engine_paths import ENGINE_VARIANTS, engine_folder
from review.jobs.registry import JobKindSpec, Progress
from review.models import Job
from review.permissions import Action
from review.services.engine import convert_queue_for_engine_run
from review.services.shots import allowed_transitions, shot_move

logger = logging.getLogger(__name__)


def run(job: Job, progress: Progress) -> None:
    """Train the chosen variants on the shot's folder, then queue each one's chunked conversion."""
    shot, name = job.shot, job.params["name"]
    variants = tuple(job.params.get("variants") or ENGINE_VARIANTS)
    layout = ShotLayout(engine_folder(shot, name))
    if not layout.shot_file.is_file() and name not in list_presets():
        raise InputError(f"{layout.shot_file}: no such file; put the shot's folder (with its shot.toml) there, or "
                         f"run one of the synthetic presets ({', '.join(list_presets())})")
    if ShotStatus.TRAINING in allowed_transitions(shot) and shot.status != ShotStatus.TRAINING:
        shot_move(shot=shot, to=ShotStatus.TRAINING, actor=job.requested_by, reason=f"engine run {job.id} started")
    if name in list_presets():  # a synthetic shot at the site shot's frames and rate, at the demo's small budget
        budget = (SyntheticBudget.quick if job.params.get("quick") else SyntheticBudget)(
            frames=shot.frame_count, first_frame=shot.frame_start, fps=str(shot.fps))
        config = RunConfig.synthetic(name, budget, last="train", models=variants)
    else:
        config = RunConfig(last="train", models=variants)
    result = run_shot(layout.root, config, progress=progress)
    logger.info("%s: %s; reused %s", shot, ", ".join(result.ran) or "nothing to run",
                ", ".join(result.reused) or "nothing")
    for variant in variants:
        try:
            convert = convert_queue_for_engine_run(shot=shot, actor=job.requested_by, name=name, variant=variant)
        except Conflict as exc:  # a retried engine run: its first attempt queued this one
            logger.info("%s", exc)
            continue
        logger.info("queued the conversion of %s as job %s, in chunks any gpu worker takes", variant, convert.id)
    progress(1.0, f"trained {', '.join(variants)}; conversions queued")


SPEC = JobKindSpec(queue="gpu", retry_action=Action.ENGINE_RUN, run=run)
