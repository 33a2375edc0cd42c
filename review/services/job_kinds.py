"""The kinds of job the site runs: each is glue between a site object and one engine function.

- review_clip (cpu): an uploaded variant clip normalised into a review clip (seekable H.264, thumbnail,
  filmstrip) that replaces the upload.
- engine (gpu): the engine's stages on the shot's folder up to training the chosen variants' models
  (`pipeline.run.run_shot`, the shot runner, to its train stage: a synthetic preset is made at the site shot's
  frames and rate, at the demo's small budget), then one `convert` job per chosen variant, queued for the engine
  run's requester.
- render (cpu, chunked): the approved edit's final render; the shot becomes final. When the shot's engine
  folder holds every variant of the edit converted (`render_engine_source`), the real comp
  (`pipeline.comp.stage.render_edit`: EXR frames, review clip, Nuke script, OTIO) runs as one chunk over the
  whole shot and its review clip is the render's output; otherwise (variants published as clips only) the
  preview comp `pipeline.comp.preview` (the pick cut and dissolved from the variants' review clips, accepted
  fixes over their frames) runs in frame chunks any worker takes, then joined.
- convert (gpu, chunked): one variant of an engine shot (the shot's folder `name`) converted in chunks of
  FACEREPLACE_CONVERT_CHUNK_FRAMES frames (`pipeline.convert.shot.run_shot(frames=)`), so several
  workers share one shot, then joined (`join_shot`) into SHOT/convert/VARIANT and its reviewable variant,
  scored against the synthetic truth when the shot has one (`pipeline.eval.shot.evaluate_converted`) and published
  to the site's shot in-process (`variant_converted_publish`: converted again, the variant is replaced in
  place), where it plays with its QC and eval table and the engine's comp can render it.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from pipeline.errors import FacereplaceError, InputError
from pipeline.models.registry import list_models
from review.choices import JOB_STATE_ACTIVE, FrameFixState, JobKind, ShotStatus
from review.errors import Conflict
from review.models import FrameFixImage, Job, Render, Shot, Variant
from review.paths import path_inside
from review.permissions import Action, require
from review.services.activity import activity_record
from review.services.jobs import JobKindSpec, JobLost, job_create, work_dir
from review.services.media import deleted_on_error
from review.services.renders import render_complete, render_fail, render_queue, render_requeue_for_fix, render_start
from review.services.shots import allowed_transitions, shot_move

logger = logging.getLogger(__name__)

ENGINE_VARIANTS = tuple(list_models())  # what an engine run trains and converts: a variant of each model

Progress = Callable[[float, str], None]


# --- review clip -------------------------------------------------------------------------------------------

def review_clip_run(job: Job, progress: Progress) -> None:
    from pipeline.media.review import make_review_clip

    variant, shot = job.variant, job.shot
    made = make_review_clip(Path(variant.clip.path), work_dir(job) / "review.mp4", first_frame=shot.frame_start,
                            fps=shot.fps, progress=progress)
    variant_review_media_attach(variant=variant, mp4=made.mp4, thumbnail=made.thumbnail,
                                filmstrip=made.filmstrip, layout=made.filmstrip_layout)
    shutil.rmtree(work_dir(job), ignore_errors=True)


@transaction.atomic
def variant_review_media_attach(*, variant: Variant, mp4: Path, thumbnail: Path, filmstrip: Path,
                                layout: Path) -> Variant:
    """The normalised review clip, thumbnail and filmstrip replace the variant's uploaded media."""
    from pipeline.media.review import read_filmstrip_layout

    locked = Variant.objects.select_for_update().select_related("shot__sequence").get(pk=variant.pk)
    old = [name for name in (locked.clip.name, locked.thumbnail.name, locked.filmstrip.name) if name]
    with deleted_on_error() as stored:
        for field, path, name in (("clip", mp4, "clip.mp4"), ("thumbnail", thumbnail, "thumbnail.png"),
                                  ("filmstrip", filmstrip, "filmstrip.png")):
            with path.open("rb") as f:
                getattr(locked, field).save(name, File(f), save=False)
            stored.append(getattr(locked, field).name)
        locked.filmstrip_layout = read_filmstrip_layout(layout)
        locked.clip_bytes = mp4.stat().st_size
        locked.clip_sha256 = hashlib.sha256(mp4.read_bytes()).hexdigest()
        locked.full_clean(validate_constraints=False)
        locked.save()
    storage = locked.clip.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in old])
    shot = locked.shot
    activity_record(shot=shot, actor=None, verb="variant.review_clip",
                    summary=f"{shot}: variant {locked.label} has its review clip, thumbnail and filmstrip",
                    data={"variant": locked.id}, message={"type": "variant.updated", "variant": locked.id})
    return locked


def review_clip_queue(*, variant: Variant, actor: Any) -> Job:
    """Normalise a published clip that came without its review media (no role check: the publish did it)."""
    return job_create(shot=variant.shot, kind=JobKind.REVIEW_CLIP, variant=variant, actor=actor)


# --- engine ------------------------------------------------------------------------------------------------

FOLDER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def engine_folder(shot: Shot, *names: str) -> Path:
    """The shot's folder on the engine's storage (FACEREPLACE_ENGINE_ROOT/project/sequence/shot), or a folder
    `names` inside it; refused (ValidationError) unless it stays inside FACEREPLACE_ENGINE_ROOT."""
    sequence = shot.sequence
    return path_inside(settings.FACEREPLACE_ENGINE_ROOT, sequence.project.code, sequence.code, shot.code, *names,
                       setting="FACEREPLACE_ENGINE_ROOT")


def engine_run(job: Job, progress: Progress) -> None:
    """Train the chosen variants on the shot's folder, then queue each one's chunked conversion."""
    from pipeline.run import RunConfig, SyntheticBudget, run_shot
    from pipeline.shot import ShotLayout
    from pipeline.synth.choreography import list_presets

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
            convert = _convert_create(shot=shot, actor=job.requested_by, name=name, variant=variant)
        except Conflict as exc:  # a retried engine run: its first attempt queued this one
            logger.info("%s", exc)
            continue
        logger.info("queued the conversion of %s as job %s, in chunks any gpu worker takes", variant, convert.id)
    progress(1.0, f"trained {', '.join(variants)}; conversions queued")


@transaction.atomic
def engine_run_queue(*, shot: Shot, actor: Any, name: str, quick: bool = False,
                     variants: list[str] | tuple[str, ...] = ENGINE_VARIANTS) -> Job:
    """Run the engine on the shot's folder `name` (a synthetic preset is made when the folder is empty):
    train `variants` (some of rigid, loose, cg), then convert each in chunks."""
    require(actor, shot.sequence.project_id, Action.SHOT_TRAINING)
    if not FOLDER_NAME.match(name or ""):
        raise ValidationError({"name": f"{name!r} is not a folder name (letters, digits, '_', '.', '-'; no slashes)"})
    unknown = ", ".join(repr(v) for v in variants if v not in ENGINE_VARIANTS)
    if unknown or not variants:
        raise ValidationError({"variants": (f"no such variant {unknown}; " if unknown else "no variant chosen; ")
                                           + f"choose one or more of {', '.join(ENGINE_VARIANTS)}"})
    chosen = [v for v in ENGINE_VARIANTS if v in variants]
    engine_folder(shot, name)  # refuses codes that would lead outside FACEREPLACE_ENGINE_ROOT, before queueing
    return job_create(shot=shot, kind=JobKind.ENGINE, actor=actor, params={"name": name, "quick": bool(quick),
                                                                          "variants": chosen})


# --- conversion in chunks ----------------------------------------------------------------------------------

def _convert_shot(job: Job) -> Any:
    """The engine shot a conversion job converts (engine_folder(shot)/name)."""
    from pipeline.shot import ShotLayout, load_shot

    layout = ShotLayout(engine_folder(job.shot, job.params["name"]))
    if not layout.shot_file.is_file():
        raise InputError(f"{layout.shot_file}: no such file; run the engine on the shot (or put its folder "
                         "there) before converting")
    return load_shot(layout.root)


def convert_plan(job: Job) -> list[tuple[int, int]]:
    """The engine shot's frames in chunks of FACEREPLACE_CONVERT_CHUNK_FRAMES, after checking the variant and
    its checkpoint exist (so a missing model fails the job once, not in every chunk)."""
    from pipeline.convert.shot import variant_checkpoint

    shot, site = _convert_shot(job), job.shot
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


def convert_chunk(parent: Job, chunk: Job, progress: Progress) -> None:
    from pipeline.convert.shot import run_shot

    result = run_shot(_convert_shot(parent), parent.params["variant"], out=_chunk_dir(parent, chunk.chunk_index),
                          frames=(chunk.frame_start, chunk.frame_end), progress=progress)
    logger.info("chunk %d-%d: %d frames swapped, %d without a crop", chunk.frame_start, chunk.frame_end,
                result.swapped, len(result.unswapped))


def convert_join(job: Job, progress: Progress) -> None:
    """Join the chunks, score the variant against the synthetic truth (if any) and publish it to the shot.

    Only the joined variant is scored, into SHOT/eval/VARIANT: the shot's other variants may be joining on
    other workers right now, and each one's join scores and publishes its own."""
    from pipeline.convert.shot import join_shot
    from pipeline.eval.shot import evaluate_converted
    from pipeline.shot import ShotLayout

    shot, variant = _convert_shot(job), job.params["variant"]
    count = Job.objects.filter(parent=job).count()
    result = join_shot(shot, variant, [_chunk_dir(job, i) for i in range(count)], progress=progress)
    logger.info("joined %d chunk(s) into %s: %d frames swapped, %d flagged by QC; reviewable variant %s", count,
                result.manifest.parent, result.swapped, len(result.anomalies), result.review_variant)
    evaluate_converted(shot, (variant,), out=ShotLayout(shot.root).eval(variant))
    published, created = converted_variant_publish(job=job, manifest=result.review_variant)
    logger.info("%s variant %s (site id %s) of %s", "published" if created else "updated", published.label,
                published.id, job.shot)
    shutil.rmtree(work_dir(job), ignore_errors=True)


def converted_variant_publish(*, job: Job, manifest: Path) -> tuple[Variant, bool]:
    """The reviewable variant (review/variants/NAME/variant.json) a conversion job made, on the job's shot
    as `facereplace publish` would send it: clip, thumbnail, filmstrip, QC, metrics, model and checkpoint."""
    from pipeline.publish.variant import read_variant
    from review.services.variants import variant_converted_publish

    made = read_variant(manifest)
    shot = Shot.objects.select_related("sequence__project").get(pk=job.shot_id)  # as it is now, not at the claim
    with contextlib.ExitStack() as stack:
        files = {field: File(stack.enter_context(path.open("rb")), name=path.name)
                 for field, path in made.files.items()}
        return variant_converted_publish(shot=shot, actor=job.requested_by, kind=made.kind, label=made.label,
                                         **files, **made.fields)


@transaction.atomic
def convert_queue(*, shot: Shot, actor: Any, name: str, variant: str) -> Job:
    """Convert `variant` of the engine shot folder `name` in frame chunks any gpu worker takes, then join and
    publish it to the shot."""
    require(actor, shot.sequence.project_id, Action.SHOT_TRAINING)
    for field, value in (("name", name), ("variant", variant)):
        if not FOLDER_NAME.match(value or ""):
            raise ValidationError({field: f"{value!r} is not a folder name (letters, digits, '_', '.', '-'; "
                                          "no slashes)"})
    engine_folder(shot, name, "convert", variant)  # refuses codes that would lead outside the engine's root
    return _convert_create(shot=shot, actor=actor, name=name, variant=variant)


def _active_conversion(*, shot: Shot, name: str, variant: str) -> Job | None:
    """The queued or running conversion of `variant` in the engine folder `name`, if there is one."""
    return Job.objects.filter(shot=shot, kind=JobKind.CONVERT, parent__isnull=True, state__in=JOB_STATE_ACTIVE,
                              params__name=name, params__variant=variant).first()


def _convert_create(*, shot: Shot, actor: Any, name: str, variant: str) -> Job:
    """Queue the conversion (the caller checked the role); a second one of the same variant while the first
    is queued or running is refused (409), as both would write SHOT/convert/VARIANT."""
    active = _active_conversion(shot=shot, name=name, variant=variant)
    if active is not None:
        raise Conflict(f"the conversion of {variant} in {name} is already {active.get_state_display().lower()} "
                       f"(job {active.id}); wait for it, or retry it if it fails")
    # under a race both requests pass the look above: the database's constraint lets one in, job_create says 409
    return job_create(shot=shot, kind=JobKind.CONVERT, actor=actor, params={"name": name, "variant": variant})


# --- final render ------------------------------------------------------------------------------------------

def _chunk_frames() -> int:
    return int(settings.FACEREPLACE_RENDER_CHUNK_FRAMES)


def render_plan(job: Job) -> list[tuple[int, int]]:
    """The render starts (the shot is rendering) and picks its comp: the engine's over the whole shot in one
    chunk (render_edit has no frame sub-ranges), else the preview in chunks of FACEREPLACE_RENDER_CHUNK_FRAMES.
    The pick is kept in the job's params so its chunk and join run the same comp."""
    render = Render.objects.select_related("edit", "shot__sequence__project").get(pk=job.render_id)
    render_start(render=render)
    shot = render.shot
    source, why = render_engine_source(render)
    comp = {"engine": source} if source else {"preview": why}
    if not Job.objects.filter(pk=job.id, attempt=job.attempt).update(params={**job.params, **comp}):
        raise JobLost(f"{job} attempt {job.attempt} was taken over while planning")
    job.params = {**job.params, **comp}
    if source:
        logger.info("%s: the comp renders edit v%s from the engine shot %s", shot, render.edit.version, source["shot"])
        return [(shot.frame_start, shot.frame_end)]
    logger.info("%s: preview render from the variants' review clips (%s)", shot, why)
    size = max(1, _chunk_frames())
    return [(start, min(start + size - 1, shot.frame_end)) for start in range(shot.frame_start, shot.frame_end + 1, size)]


def render_engine_source(render: Render) -> tuple[dict[str, Any] | None, str]:
    """The engine shot whose converted variants the render's edit uses, as {"shot": folder, "variants": {site
    variant id: engine variant name}}, or None and why not (the render then previews the review clips).

    A site variant is the converted variant SHOT/convert/LABEL (publish labels a converted variant with its
    name: `pipeline.publish.variant.write_review_variant`) when it was converted with the model and checkpoint
    it was published with, for the site shot's frames. The shot folders are engine_folder(shot) itself and
    its sub-folders (one per `engine_run`), each with a shot.toml; the first that holds them all is used."""
    from pipeline.shot import ShotLayout

    shot = render.shot
    variants = list(Variant.objects.filter(id__in={s["variant"] for s in render.edit.segments}).order_by("id"))
    try:
        root = engine_folder(shot)
    except ValidationError as exc:
        return None, "; ".join(exc.messages)
    folders = [root, *sorted(p for p in root.iterdir() if p.is_dir())] if root.is_dir() else []
    folders = [f for f in folders if ShotLayout(f).shot_file.is_file()]
    if not folders:
        return None, f"no engine shot (a folder with a shot.toml) in {root}"
    why = []
    for folder in folders:
        missing = [reason for v in variants if (reason := _not_converted(folder, v, shot))]
        if not missing:
            return {"shot": str(folder), "variants": {str(v.id): v.label for v in variants}}, ""
        why.append(f"{folder}: {'; '.join(missing)}")
    return None, " | ".join(why)


def _not_converted(folder: Path, variant: Variant, shot: Shot) -> str:
    """Why `variant` is not the converted variant folder/convert/LABEL ("" when it is)."""
    from pipeline.convert.converted import converted_variants, read_converted

    path = converted_variants(folder).get(variant.label)  # only a folder of that exact name: no path in a label
    if path is None:
        return f"variant {variant.label!r} is not converted there"
    try:
        data = read_converted(path)
    except FacereplaceError as exc:
        return f"variant {variant.label!r}: {exc}"
    record = data.record
    converted = (record.get("model") or "", record.get("checkpoint") or "")
    if converted != (variant.model_name, variant.checkpoint):
        return (f"variant {variant.label!r} was converted with model {converted[0]!r} checkpoint {converted[1]!r}, "
                f"published with {variant.model_name!r} {variant.checkpoint!r}")
    if (data["first_frame"], data["last_frame"]) != (shot.frame_start, shot.frame_end):
        return (f"variant {variant.label!r} was converted for frames {data['first_frame']}-"
                f"{data['last_frame']}, the shot is {shot.frame_start}-{shot.frame_end}")
    return ""


def _chunk_dir(parent: Job, index: int) -> Path:
    return work_dir(parent) / f"chunk{index:04d}"


def engine_render_dir(shot_dir: Path, render: Render) -> Path:
    """Where the comp of a site render lands, beside the engine shot's other outputs (kept: the EXR frames,
    Nuke script and OTIO are the hand-off to compositing)."""
    from pipeline.shot import ShotLayout

    return ShotLayout(Path(shot_dir)).render(render.id)


def render_inputs(render: Render) -> dict[str, Any]:
    """What the comp needs from the site: the edit's segments, each variant's clip, accepted fixes by frame."""
    segments = render.edit.segments
    variants = Variant.objects.filter(id__in={s["variant"] for s in segments})
    fixes = {image.frame: Path(image.file.path) for image in FrameFixImage.objects.filter(
        fix__shot_id=render.shot_id, fix__state=FrameFixState.ACCEPTED).order_by("fix_id", "frame")}
    shot = render.shot
    return {"segments": segments, "clips": {v.id: Path(v.clip.path) for v in variants}, "fixes": fixes,
            "first_frame": shot.frame_start, "fps": shot.fps}


def render_chunk(parent: Job, chunk: Job, progress: Progress) -> None:
    render = Render.objects.select_related("edit", "shot").get(pk=parent.render_id)
    if parent.params.get("engine"):
        render_engine_comp(parent, render, progress)
        return
    from pipeline.comp.preview import render_edit_frames

    inputs = render_inputs(render)
    render_edit_frames(inputs["segments"], inputs["clips"], _chunk_dir(parent, chunk.chunk_index),
                       first_frame=inputs["first_frame"], fps=inputs["fps"], frame_start=chunk.frame_start,
                       frame_end=chunk.frame_end, fixes=inputs["fixes"], progress=progress)


def render_engine_comp(parent: Job, render: Render, progress: Progress) -> Any:
    """The engine's comp of the render's edit (site variant ids mapped to engine names), with the accepted
    fixes laid out as a fixes folder (fix.FRAME.ext), into engine_render_dir: returns its RenderResult."""
    from pipeline.comp.edit import edit_from_dict
    from pipeline.comp.stage import render_edit
    from pipeline.shot import load_shot

    source = parent.params["engine"]
    inputs = render_inputs(render)
    segments = [{**s, "variant": source["variants"][str(s["variant"])]} for s in inputs["segments"]]
    edit = edit_from_dict(segments, where=f"{render.shot} edit v{render.edit.version}")
    fixes_dir = work_dir(parent) / "fixes"
    shutil.rmtree(fixes_dir, ignore_errors=True)
    fixes_dir.mkdir(parents=True)
    for frame, path in inputs["fixes"].items():
        shutil.copyfile(path, fixes_dir / f"fix.{frame}{path.suffix.lower()}")
    shot = load_shot(source["shot"])
    return render_edit(shot, edit, fixes_dir=fixes_dir if inputs["fixes"] else None,
                       out_dir=engine_render_dir(shot.root, render), progress=progress)


def render_join(job: Job, progress: Progress) -> None:
    if job.params.get("engine"):
        _engine_join(job)
        return
    from pipeline.comp.preview import join_frames

    count = Job.objects.filter(parent=job).count()
    out = work_dir(job) / "final.mp4"
    join_frames([_chunk_dir(job, i) for i in range(count)], out, fps=job.shot.fps, progress=progress)
    render_complete(render=job.render, output=out, log=f"preview of the variants' review clips ("
                                                       f"{job.params.get('preview', 'no engine shot')}), "
                                                       f"rendered in {count} chunk(s) by job {job.id}")
    shutil.rmtree(work_dir(job), ignore_errors=True)


def _engine_join(job: Job) -> None:
    """The comp's review clip becomes the render's output; its log names the hand-off files."""
    from pipeline.comp.stage import RENDER, read_render

    out = engine_render_dir(Path(job.params["engine"]["shot"]), job.render)
    manifest = read_render(out)
    lines = [f"comp of engine shot {job.params['engine']['shot']} by job {job.id}",
             f"manifest: {RENDER.path(out)}", f"frames (linear EXR): {out / manifest['frames']}",
             f"nuke: {out / manifest['nuke']}", f"otio: {out / manifest['otio']}",
             f"review clip: {out / manifest['review_clip']}"]
    render_complete(render=job.render, output=out / manifest["review_clip"], log="\n".join(lines))
    shutil.rmtree(work_dir(job), ignore_errors=True)


def render_failed(job: Job, error: str) -> None:
    render_fail(render=job.render, error=error)


def render_done(job: Job) -> None:
    if job.followup:
        render_requeue_for_fix(shot=Shot.objects.select_related("sequence").get(pk=job.shot_id), actor=None)


def render_retry(job: Job, actor: Any) -> Job:
    """A failed render stays failed (its record is history): retrying queues a new render of the shot."""
    render = render_queue(shot=job.shot, actor=actor)
    return Job.objects.get(render=render, parent__isnull=True)


JOB_KINDS: dict[str, JobKindSpec] = {
    JobKind.REVIEW_CLIP: JobKindSpec(queue="cpu", retry_action=Action.VARIANT_PUBLISH, run=review_clip_run),
    JobKind.ENGINE: JobKindSpec(queue="gpu", retry_action=Action.SHOT_TRAINING, run=engine_run),
    JobKind.RENDER: JobKindSpec(queue="cpu", retry_action=Action.RENDER_QUEUE, plan=render_plan,
                                run_chunk=render_chunk, join=render_join, on_failed=render_failed,
                                on_done=render_done, retry=render_retry),
    JobKind.CONVERT: JobKindSpec(queue="gpu", retry_action=Action.SHOT_TRAINING, plan=convert_plan,
                                 run_chunk=convert_chunk, join=convert_join),
}
