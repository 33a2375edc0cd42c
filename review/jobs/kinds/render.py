"""render (cpu, chunked): the approved edit's final render; the shot becomes final. When the shot's engine folder
holds every variant of the edit converted (`render_engine_source`), the real comp (`pipeline.comp.stage.render_edit`:
EXR frames, review clip, Nuke script, OTIO) runs as one chunk over the whole shot and its review clip is the
render's output; otherwise (variants published as clips only) the preview comp `pipeline.comp.preview` (the pick cut
and dissolved from the variants' review clips, accepted fixes over their frames) runs in frame chunks any worker
takes, then joined. The render's record (`review.models.Render`) is kept in step by `review.services.renders`, which
also queues it."""
from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from pipeline.comp.edit import edit_from_dict
from pipeline.comp.preview import join_frames, render_edit_frames
from pipeline.comp.stage import RENDER, RenderResult, read_render, render_edit
from pipeline.convert.converted import converted_variants, read_converted
from pipeline.errors import FacereplaceError
from pipeline.shot import ShotLayout, load_shot
from review.choices import FrameFixState
from review.jobs.engine_paths import engine_folder
from review.jobs.registry import JobKindSpec, Progress
from review.jobs.runner import JobLost, chunk_dir, work_dir
from review.models import FrameFixImage, Job, Render, Shot, Variant
from review.permissions import Action
from review.services.renders import render_complete, render_fail, render_queue, render_requeue_for_fix, render_start

logger = logging.getLogger(__name__)


def plan(job: Job) -> list[tuple[int, int]]:
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
    size = max(1, int(settings.FACEREPLACE_RENDER_CHUNK_FRAMES))
    return [(start, min(start + size - 1, shot.frame_end))
            for start in range(shot.frame_start, shot.frame_end + 1, size)]


def render_engine_source(render: Render) -> tuple[dict[str, Any] | None, str]:
    """The engine shot whose converted variants the render's edit uses, as {"shot": folder, "variants": {site
    variant id: engine variant name}}, or None and why not (the render then previews the review clips).

    A site variant is the converted variant SHOT/convert/LABEL (publish labels a converted variant with its
    name: `pipeline.publish.variant.write_review_variant`) when it was converted with the model and checkpoint
    it was published with, for the site shot's frames, and is its label's latest version (the folder holds the
    latest conversion: an earlier version the edit pins is rendered from its own review clip). The shot folders are engine_folder(shot) itself and
    its sub-folders (one per engine run), each with a shot.toml; the first that holds them all is used."""
    shot = render.shot
    variants = list(Variant.objects.filter(id__in={s["variant"] for s in render.edit.segments}).order_by("id"))
    superseded = [f"{v.label} {v.version_name}" for v in variants
                  if Variant.objects.filter(shot=shot, label=v.label, version__gt=v.version).exists()]
    if superseded:
        return None, (f"the edit pins {', '.join(superseded)}, converted again since: the engine folders hold "
                      "the latest conversion only")
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


def engine_render_dir(shot_dir: Path, render: Render) -> Path:
    """Where the comp of a site render lands, beside the engine shot's other outputs (kept: the EXR frames,
    Nuke script and OTIO are the hand-off to compositing)."""
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


def run_chunk(parent: Job, chunk: Job, progress: Progress) -> None:
    render = Render.objects.select_related("edit", "shot").get(pk=parent.render_id)
    if parent.params.get("engine"):
        _engine_comp(parent, render, progress)
        return
    inputs = render_inputs(render)
    render_edit_frames(inputs["segments"], inputs["clips"], chunk_dir(parent, chunk.chunk_index),
                       first_frame=inputs["first_frame"], fps=inputs["fps"], frame_start=chunk.frame_start,
                       frame_end=chunk.frame_end, fixes=inputs["fixes"], progress=progress)


def _engine_comp(parent: Job, render: Render, progress: Progress) -> RenderResult:
    """The engine's comp of the render's edit (site variant ids mapped to engine names), with the accepted
    fixes laid out as a fixes folder (fix.FRAME.ext), into engine_render_dir."""
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


def join(job: Job, progress: Progress) -> None:
    if job.params.get("engine"):
        _engine_join(job)
        return
    count = Job.objects.filter(parent=job).count()
    out = work_dir(job) / "final.mp4"
    join_frames([chunk_dir(job, i) for i in range(count)], out, fps=job.shot.fps, progress=progress)
    render_complete(render=job.render, output=out, log=f"preview of the variants' review clips ("
                                                       f"{job.params.get('preview', 'no engine shot')}), "
                                                       f"rendered in {count} chunk(s) by job {job.id}")
    shutil.rmtree(work_dir(job), ignore_errors=True)


def _engine_join(job: Job) -> None:
    """The comp's review clip becomes the render's output; its log names the hand-off files."""
    out = engine_render_dir(Path(job.params["engine"]["shot"]), job.render)
    manifest = read_render(out)
    lines = [f"comp of engine shot {job.params['engine']['shot']} by job {job.id}",
             f"manifest: {RENDER.path(out)}", f"frames (linear EXR): {out / manifest['frames']}",
             f"nuke: {out / manifest['nuke']}", f"otio: {out / manifest['otio']}",
             f"review clip: {out / manifest['review_clip']}"]
    render_complete(render=job.render, output=out / manifest["review_clip"], log="\n".join(lines))
    shutil.rmtree(work_dir(job), ignore_errors=True)


def on_failed(job: Job, error: str) -> None:
    """The job failed: so does its render (the shot goes back to approved)."""
    render_fail(render=job.render, error=error)


def on_done(job: Job) -> None:
    """A fix accepted while the render ran: render again, so the final carries it."""
    if job.followup:
        render_requeue_for_fix(shot=Shot.objects.select_related("sequence").get(pk=job.shot_id), actor=None)


def retry(job: Job, actor: Any) -> Job:
    """A failed render stays failed (its record is history): retrying queues a new render of the shot."""
    render = render_queue(shot=job.shot, actor=actor)
    return Job.objects.get(render=render, parent__isnull=True)


SPEC = JobKindSpec(queue="cpu", retry_action=Action.RENDER_QUEUE, plan=plan, run_chunk=run_chunk, join=join,
                   on_failed=on_failed, on_done=on_done, retry=retry)
