"""review_clip (cpu): an uploaded variant clip normalised into a review clip (seekable H.264, thumbnail,
filmstrip) that replaces the upload. Queued by `review.services.variants` when a publish came without them."""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

from pipeline.media.review import make_review_clip
from review.jobs.registry import JobKindSpec, Progress
from review.jobs.runner import work_dir
from review.models import Job
from review.permissions import Action
from review.services.variants import variant_review_media_attach

logger = logging.getLogger(__name__)


def run(job: Job, progress: Progress) -> None:
    variant, shot = job.variant, job.shot
    made = make_review_clip(Path(variant.clip.path), work_dir(job) / "review.mp4", first_frame=shot.frame_start,
                            fps=shot.fps, progress=progress)
    variant_review_media_attach(variant=variant, mp4=made.mp4, thumbnail=made.thumbnail,
                                filmstrip=made.filmstrip, layout=made.filmstrip_layout)
    logger.info("%s: variant %s has its review clip", shot, variant.label)
    shutil.rmtree(work_dir(job), ignore_errors=True)


SPEC = JobKindSpec(queue="cpu", retry_action=Action.VARIANT_PUBLISH, run=run)
