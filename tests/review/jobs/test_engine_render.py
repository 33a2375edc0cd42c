"""The final render with the engine's comp: a shot whose engine folder holds the edit's converted variants is
rendered by `pipeline.comp.stage.render_edit` (EXR frames, Nuke script, OTIO kept beside the engine shot, its
review clip the render's output); variants published as clips only still get the preview of their clips."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from pipeline.media.clip import open_clip
from pipeline.publish.variant import variants_of
from review.choices import RenderState, ShotStatus
from review.models import Job, Render
from review.services.edits import decision_create, edit_create
from review.jobs.engine_paths import engine_folder
from review.jobs.kinds.render import engine_render_dir
from review.services.variants import variant_publish
from tests.pipeline.convert.conftest import IdentitySwapper
from tests.review.jobs.conftest import accept_white_fix, drain
from tests.review.media import uploaded

CONVERT = ('\n[convert]\nmotion_blur = false\ncolour_match = "none"\n\n[[variants]]\nname = "same"\nmodel = "identity"\n'
           '\n[[variants]]\nname = "graded"\nmodel = "identity"\n')


@pytest.fixture(scope="session")
def engine_root(tmp_path_factory) -> Path:
    """An engine root holding the world's shot (dance/SQ010/SH010) as the engine leaves it: a synthetic
    12-frame shot at the site shot's frames and fps, two variants converted (identity and graded) and their
    review/variants/NAME/variant.json for publish."""
    from pipeline.convert import ConvertInputs, run
    from pipeline.publish.variant import write_review_variant
    from pipeline.shot import load_shot
    from pipeline.synth.stage import SynthConfig
    from pipeline.synth.stage import run as synth

    root = tmp_path_factory.mktemp("engine")
    shot_dir = synth(SynthConfig(preset="pirouette", size=64, frames=12, first_frame=1001, fps="24"),
                     root / "dance" / "SQ010" / "SH010" / "pirouette")
    (shot_dir / "shot.toml").write_text((shot_dir / "shot.toml").read_text() + CONVERT)
    shot = load_shot(shot_dir)
    config = shot.config.convert
    for name, swapper in (("same", IdentitySwapper(64)), ("graded", IdentitySwapper(64, gain=(0.5, 0.5, 0.5)))):
        out = run(config, ConvertInputs(shot=shot, framing=shot.config.stabilize, variant=shot.variant(name),
                                        swapper=swapper, out_dir=shot_dir / "convert" / name))
        write_review_variant(shot_dir, out.manifest)
    return root


@pytest.fixture
def engine_world(world_tx, engine_root, settings, tmp_path):
    settings.FACEREPLACE_WORK_ROOT = tmp_path / "work"
    settings.FACEREPLACE_ENGINE_ROOT = engine_root
    settings.FACEREPLACE_RENDER_CHUNK_FRAMES = 5
    assert engine_folder(world_tx.shot) == engine_root / "dance" / "SQ010" / "SH010"
    return world_tx


def _publish_converted(world) -> dict[str, object]:
    """What `facereplace publish` sends for the engine's variants (review/variants/*/variant.json)."""
    shot_dir = engine_folder(world.shot) / "pirouette"
    published = {}
    for v in variants_of(shot_dir):
        fields = {k: v.fields[k] for k in ("model_name", "checkpoint", "faceset", "performance", "qc")}
        published[v.label] = variant_publish(shot=world.shot, actor=world.users["pipeline"], kind=v.kind,
                                             label=v.label, clip=uploaded(v.files["clip"]), **fields)[0]
    drain()
    return published


def _approve(world, first, second):
    edit = edit_create(shot=world.shot, actor=world.users["supervisor"], segments=[
        {"variant": first.id, "frame_start": 1001, "frame_end": 1006},
        {"variant": second.id, "frame_start": 1007, "frame_end": 1012, "transition": 2}])
    decision_create(edit=edit, actor=world.users["supervisor"], verdict="approve")
    drain()
    return Render.objects.get(shot=world.shot, edit=edit)


def _frames(path: Path) -> list[np.ndarray]:
    with open_clip(path, first_frame=1001, fps="24") as clip:
        return [clip.read_srgb8(f) for f in clip.frame_range]


def test_approval_renders_the_engine_comp_to_a_final_shot(engine_world, settings):
    variants = _publish_converted(engine_world)
    assert sorted(variants) == ["graded", "same"]
    render = _approve(engine_world, variants["same"], variants["graded"])
    engine_world.shot.refresh_from_db()
    assert render.state == RenderState.DONE and render.progress == 1.0
    assert engine_world.shot.status == ShotStatus.FINAL
    job = Job.objects.get(render=render, parent=None)
    assert job.queue == "cpu" and Job.objects.filter(parent=job).count() == 1  # the comp runs whole
    assert job.params["engine"]["variants"] == {str(variants["same"].id): "same", str(variants["graded"].id): "graded"}
    out = engine_render_dir(engine_folder(engine_world.shot) / "pirouette", render)
    # the render's clip is the comp's review clip, frame for frame the shot
    output = Path(render.output.path)
    assert hashlib.sha256(output.read_bytes()).digest() == hashlib.sha256((out / "review.mp4").read_bytes()).digest()
    frames = _frames(output)
    assert len(frames) == engine_world.shot.frame_count == 12
    variants["same"].refresh_from_db()
    same = _frames(Path(variants["same"].clip.path))  # the identity variant's review clip, as reviewed
    middle = np.s_[20:44]  # below the burn-ins
    assert abs(frames[0][middle].mean() - same[0][middle].mean()) < 2  # before the cut: the identity variant
    assert frames[11][middle].mean() < same[11][middle].mean() - 5  # after it: the darker graded variant
    # the hand-off is kept and named in the render's log, under the setting that locates it (not the server path)
    assert len(sorted((out / "comp").glob("comp.*.exr"))) == 12
    shown = Path("$FACEREPLACE_ENGINE_ROOT") / out.relative_to(Path(settings.FACEREPLACE_ENGINE_ROOT).resolve())
    for name in ("comp.nk", "edit.otio", "render.json"):
        assert (out / name).is_file() and str(shown / name) in render.log
    assert str(settings.FACEREPLACE_ENGINE_ROOT) not in render.log


def test_accepted_fix_renders_the_engine_comp_again_with_the_fix(engine_world, tmp_path):
    variants = _publish_converted(engine_world)
    _approve(engine_world, variants["same"], variants["graded"])
    accept_white_fix(engine_world, tmp_path, 1003, (64, 64))  # at the plate's size
    drain()
    renders = list(Render.objects.filter(shot=engine_world.shot).order_by("id"))
    assert [r.state for r in renders] == [RenderState.DONE, RenderState.DONE], renders[-1].log
    assert "engine" in Job.objects.get(render=renders[1], parent=None).params
    frames = [f[20:44, 8:56] for f in _frames(Path(renders[1].output.path))]  # below the comp's burn-in
    assert frames[2].min() > 245 and frames[1].mean() < 200


def test_clip_only_variants_still_get_the_preview(engine_world, clips):
    """Clips published from elsewhere: one labelled like a converted variant but from another model, one the
    engine never converted. The render previews their review clips in chunks and says why."""
    pipeline = engine_world.users["pipeline"]
    same = variant_publish(shot=engine_world.shot, actor=pipeline, kind="rigid", label="same",
                           clip=uploaded(clips["good"]), model_name="rigid")[0]
    loose = variant_publish(shot=engine_world.shot, actor=pipeline, kind="loose", label="loose",
                            clip=uploaded(clips["good2"]))[0]
    drain()
    render = _approve(engine_world, same, loose)
    engine_world.shot.refresh_from_db()
    assert render.state == RenderState.DONE and engine_world.shot.status == ShotStatus.FINAL
    job = Job.objects.get(render=render, parent=None)
    assert "engine" not in job.params and Job.objects.filter(parent=job).count() == 3
    assert "preview of the variants' review clips" in render.log
    assert "converted with model 'identity'" in render.log and "'loose' is not converted" in render.log
    assert len(_frames(Path(render.output.path))) == 12
    assert not (engine_folder(engine_world.shot) / "pirouette" / "renders" / f"render{render.id}").exists()


def test_an_edit_pinning_an_earlier_version_renders_that_versions_clip(engine_world, clips):
    """The engine folder holds a label's latest conversion: an edit that pins its v001 after a v002 (same
    model and checkpoint) is previewed from v001's own review clip, never comped from v002's frames."""
    variants = _publish_converted(engine_world)
    same = variants["same"]
    newer, created = variant_publish(shot=engine_world.shot, actor=engine_world.users["pipeline"], kind=same.kind,
                                     label="same", clip=uploaded(clips["good"]), model_name=same.model_name,
                                     checkpoint=same.checkpoint)
    assert created and newer.version == 2
    drain()
    render = _approve(engine_world, same, variants["graded"])
    assert render.state == RenderState.DONE, render.log
    assert "engine" not in Job.objects.get(render=render, parent=None).params
    assert "the edit pins same v001, converted again since" in render.log
