"""convert (gpu, chunked): one variant of an engine shot (the shot's folder `name`) converted in chunks of
FACEREPLACE_CONVERT_CHUNK_FRAMES frames (`pipeline.convert.shot.run_shot(frames=)`), so several workers share one
shot, then joined (`join_shot`) into SHOT/convert/VARIANT and its reviewable variant, scored against the synthetic
truth when the shot has one (`pipeline.eval.shot.evaluate_converted`) and published to the site's shot in-process
(`review.services.variants.variant_converted_publish`: converted again, it is the next version of the variant), where it
plays with its QC and eval table and the engine's comp can render it. Queued by `review.services.engine`."""
from __future__ import annotations

import contextlib
import logging
import shutil
from pathlib import Path

from django.conf import settings
from django.core.files import File

from pipeline.convert.shot import join_shot, run_shot, variant_checkpoint
from pipeline.errors import InputError
from pipeline.eval.shot import evaluate_converted
from pipeline.publish.variant import read_variant
from pipeline.shot import Shot as EngineShot
from pipeline.shot import ShotLayout, load_shot
from review.jobs.engine_paths import engine_folder
from review.jobs.registry import JobKindSpec, Progress
from review.jobs.runner import chunk_dir, work_dir
from review.models import Job, Shot, Variant
from review.permissions import Action
from review.services.variants import variant_converted_publish

logger = logging.getLogger(__name__)


def _engine_shot(job: Job) -> EngineShot:
    """The engine shot a conversion job converts (engine_folder(shot)/name)."""
    layout = ShotLayout(engine_folder(job.shot, job.params["name"]))
    if not layout.shot_file.is_file():
        raise InputError(f"{layout.shot_file}: no such file; run the engine on the shot (or put its folder "
                         "there) before converting")
    return load_shot(layout.root)


def plan(job: Job) -> list[tuple[int, int]]:
    """The engine shot's frames in chunks of FACEREPLACE_CONVERT_CHUNK_FRAMES, after checking the variant and
    its checkpoint exist (so a missing model fails the job once, not in every chunk)."""
    shot, site = _engine_shot(job), job.shot
    variant_checkpoint(shot, job.params["variant"])
    if (shot.first_frame, shot.last_frame, shot.fps) != (site.frame_start, site.frame_end, site.fps):
        raise InputError(f"{shot.root}: frames {shot.first_frame}-{shot.last_frame} at {shot.fps} fps, but the site's "
                         f"shot {site} is {site.frame_start}-{site.frame_end} at {site.fps} fps; its converted "
                         "variant could not be published there")
    if not shot.config.convert.review_clip:
        raise InputError(f"{shot.root}: [convert] review_clip is off; the site needs the variant's review clip "
                         "(set review_clip = true)")
    size = max(1, int(settings.FACEREPLACE_CONVERT_CHUNK_FRAMES))
    ranges = [(start, min(start + size - 1, shot.last_frame)) for start in range(shot.first_frame, shot.last_frame + 1,
                                                                                 size)]
    logger.info("%s: converting %s of %s in %d chunk(s) of up to %d frames", job.shot, job.params["variant"],
                shot.root, len(ranges), size)
    return ranges


def run_chunk(parent: Job, chunk: Job, progress: Progress) -> None:
    result = run_shot(_engine_shot(parent), parent.params["variant"], out=chunk_dir(parent, chunk.chunk_index),
                      frames=(chunk.frame_start, chunk.frame_end), progress=progress)
    logger.info("chunk %d-%d: %d frames swapped, %d without a crop", chunk.frame_start, chunk.frame_end,
                result.swapped, len(result.unswapped))


def join(job: Job, progress: Progress) -> None:
    """Join the chunks, score the variant against the synthetic truth (if any) and publish it to the shot.

    Only the joined variant is scored, into SHOT/eval/VARIANT: the shot's other variants may be joining on
    other workers right now, and each one's join scores and publishes its own."""
    shot, variant = _engine_shot(job), job.params["variant"]
    count = Job.objects.filter(parent=job).count()
    result = join_shot(shot, variant, [chunk_dir(job, i) for i in range(count)], progress=progress)
    logger.info("joined %d chunk(s) into %s: %d frames swapped, %d flagged by QC; reviewable variant %s", count,
                result.manifest.parent, result.swapped, len(result.anomalies), result.review_variant)
    evaluate_converted(shot, (variant,), out=ShotLayout(shot.root).eval(variant))
    published, created = _publish(job, result.review_variant)
    logger.info("%s variant %s %s (site id %s) of %s", "published" if created else "unchanged:", published.label,
                published.version_name, published.id, job.shot)
    shutil.rmtree(work_dir(job), ignore_errors=True)


def _publish(job: Job, manifest: Path) -> tuple[Variant, bool]:
    """The reviewable variant (review/variants/NAME/variant.json) the job made, sent to the job's shot as
    `facereplace publish` would: clip, thumbnail, filmstrip, QC, metrics, model and checkpoint."""
    made = read_variant(manifest)
    shot = Shot.objects.select_related("sequence__project").get(pk=job.shot_id)  # as it is now, not at the claim
    with contextlib.ExitStack() as stack:
        files = {field: File(stack.enter_context(path.open("rb")), name=path.name)
                 for field, path in made.files.items()}
        return variant_converted_publish(shot=shot, actor=job.requested_by, kind=made.kind, label=made.label,
                                         **files, **made.fields)


SPEC = JobKindSpec(queue="gpu", retry_action=Action.ENGINE_RUN, plan=plan, run_chunk=run_chunk, join=join)
