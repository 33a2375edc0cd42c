"""A conversion job: one variant of the shot's engine folder converted in frame chunks (separate gpu jobs any
worker takes, so several workers share one shot), then joined into the variant folder publish reads, scored
against the synthetic truth and published to the site's shot; converted again, the next version."""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from pipeline.convert.converted import read_converted
from pipeline.media.clip import open_clip
from review.choices import JobKind, JobState, ShotStatus
from review.models import Activity, Job, Variant
from review.jobs.engine_paths import engine_folder
from review.jobs.runner import work_dir
from review.services.engine import convert_queue
from tests.review.jobs.conftest import drain
from tests.review.jobs.engine_shot import make_engine_shot, save_loose_model


@pytest.fixture(scope="module")
def engine_root(tmp_path_factory) -> Path:
    """The world's shot (dance/SQ010/SH010) on the engine: a synthetic 12-frame shot (with its truth) and small
    loose models its variants "tiny" and "retrained" convert with."""
    root = tmp_path_factory.mktemp("engine")
    make_engine_shot(root / "dance" / "SQ010" / "SH010" / "pirouette", frames=12)
    return root


@pytest.fixture
def engine_world(world_tx, engine_root, settings, tmp_path):
    settings.FACEREPLACE_WORK_ROOT = tmp_path / "work"
    settings.FACEREPLACE_ENGINE_ROOT = engine_root
    settings.FACEREPLACE_CONVERT_CHUNK_FRAMES = 5
    return world_tx


def test_a_conversion_runs_as_chunk_jobs_joined_into_the_whole_variant(engine_world):
    shot_dir = engine_folder(engine_world.shot) / "pirouette"
    job = convert_queue(shot=engine_world.shot, actor=engine_world.users["pipeline"], name="pirouette", variant="tiny")
    assert job.queue == "gpu" and job.kind == JobKind.CONVERT
    drain()
    job.refresh_from_db()
    assert job.state == JobState.DONE, (job.error, job.log[-2000:])
    chunks = list(Job.objects.filter(parent=job).order_by("chunk_index"))
    assert [(c.frame_start, c.frame_end) for c in chunks] == [(1001, 1005), (1006, 1010), (1011, 1012)]
    assert all(c.state == JobState.DONE and c.queue == "gpu" and "attempt 1 on" in c.log for c in chunks)
    data = read_converted(shot_dir / "convert" / "tiny")
    assert [r.frame for r in data.frames] == list(range(1001, 1013))
    assert [q.frame for q in data.qc] == list(range(1001, 1013))
    assert sorted(p.name for p in (shot_dir / "convert" / "tiny" / "comp").iterdir()) == \
        [f"comp.{f}.png" for f in range(1001, 1013)]
    with open_clip(shot_dir / "convert" / "tiny" / data.review_clip) as clip:
        assert clip.frame_count == 12
    assert (shot_dir / "review" / "variants" / "tiny" / "variant.json").is_file()  # ready for publish
    assert "joined 3 chunk(s)" in job.log
    assert not list(work_dir(job).glob("chunk*"))  # the chunk folders are gone once joined
    # on the shot page: a playable variant with its QC and the eval table, as the engine's comp recognises it
    variant = Variant.objects.get(shot=engine_world.shot)
    assert (variant.label, variant.kind, variant.clip_frames) == ("tiny", "loose", 12)
    assert (variant.model_name, variant.checkpoint) == (data.record["model"], data.record["checkpoint"])
    assert variant.thumbnail and variant.filmstrip and variant.filmstrip_layout["frame_count"] == 12
    assert [q["frame"] for q in variant.qc] == list(range(1001, 1013))
    bins = {row["bin"] for row in variant.metrics["eval"]["bins"]}
    assert {"frontal", "back"} <= bins and variant.metrics["eval"]["all"]["frames"] == 12
    engine_world.shot.refresh_from_db()
    assert engine_world.shot.status == ShotStatus.IN_REVIEW
    assert "published variant tiny" in job.log
    assert (shot_dir / "eval" / "tiny" / "eval.json").is_file()  # its own scores, apart from other variants'


def test_conversion_needs_the_training_role_and_a_model(engine_world):
    with pytest.raises(PermissionDenied):
        convert_queue(shot=engine_world.shot, actor=engine_world.users["artist"], name="pirouette", variant="tiny")
    job = convert_queue(shot=engine_world.shot, actor=engine_world.users["supervisor"], name="pirouette",
                        variant="nope")
    drain()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "tiny" in job.error  # names the variants there are
    assert not Job.objects.filter(parent=job).exists()


def _convert_through_the_api(world, variant: str) -> Job:
    answer = world.client("supervisor").post(f"/api/shots/{world.shot.id}/jobs/convert/",
                                             {"name": "pirouette", "variant": variant}, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["kind"] == "convert" and answer.json()["queue"] == "gpu"
    drain()
    job = Job.objects.get(pk=answer.json()["id"])
    assert job.state == JobState.DONE and job.chunks.count() == 3, (job.error, job.log[-2000:])
    return job


def test_api_conversion_publishes_once_and_a_new_model_adds_a_version(engine_world):
    world, shot = engine_world, engine_world.shot
    url = f"/api/shots/{shot.id}/jobs/convert/"
    assert "/api/shots/{shot_id}/jobs/convert/" in world.client("producer").get("/api/schema/").content.decode()
    assert world.client("artist").post(url, {"name": "pirouette", "variant": "tiny"}, format="json").status_code == 403
    bad = world.client("supervisor").post(url, {"name": "../pirouette", "variant": "tiny"}, format="json")
    assert bad.status_code == 400 and "not a folder name" in bad.json()["name"][0]
    queued = world.client("supervisor").post(url, {"name": "pirouette", "variant": "retrained"}, format="json")
    again = world.client("pipeline").post(url, {"name": "pirouette", "variant": "retrained"}, format="json")
    assert again.status_code == 409 and f"job {queued.json()['id']}" in again.json()["detail"]
    drain()

    first = Variant.objects.get(shot=shot, label="retrained")
    assert first.published_by == world.users["supervisor"] and first.metrics["eval"]["all"]["frames"] == 12
    _convert_through_the_api(world, "retrained")  # the same model again: nothing changes
    assert list(Variant.objects.filter(shot=shot)) == [first]
    assert Variant.objects.get(pk=first.pk).clip.name == first.clip.name

    save_loose_model(engine_folder(shot) / "pirouette" / "model2", seed=1)  # retrained: a new model
    job = _convert_through_the_api(world, "retrained")
    v1, v2 = Variant.objects.filter(shot=shot).order_by("version")
    assert (v1.pk, v1.version, v1.clip_sha256) == (first.pk, 1, first.clip_sha256)  # v001 is kept as it was
    assert Path(v1.clip.path).exists() and v2.version == 2 and v2.label == "retrained"
    assert v2.clip_sha256 != first.clip_sha256 and v2.clip.name != first.clip.name
    assert v2.metrics["eval"]["all"]["frames"] == 12 and "published variant retrained" in job.log
    assert Activity.objects.filter(shot=shot, verb="variant.published").count() == 2


def test_a_shot_without_the_synthetic_truth_is_scored_without_it(engine_root, tmp_path, caplog):
    """Real footage has no [truth]: the variant is scored by the truth-free measures, and its table says so."""
    from pipeline.convert.shot import run_shot as convert
    from pipeline.convert.stage import join_converted
    from pipeline.eval.inputs import converted_variant
    from pipeline.eval.shot import evaluate_converted, run_shot
    from pipeline.eval.stage import read_eval
    from pipeline.shot import load_shot

    shot = load_shot(engine_root / "dance" / "SQ010" / "SH010" / "pirouette")
    # converted apart from the site's jobs (its own folder), so this test needs none of theirs
    convert(shot, "tiny", out=tmp_path / "tiny", frames=(shot.first_frame, shot.last_frame))
    join_converted([tmp_path / "tiny"], tmp_path / "joined")
    result = run_shot(dataclasses.replace(shot, truth=None), [converted_variant(tmp_path / "joined")],
                      out=tmp_path / "eval")
    data = read_eval(result.manifest)
    assert data["mode"] == "truth_free" and data["variants"][0]["all"]["psnr_db"] is None
    assert data["variants"][0]["all"]["frames"] == 12
    with caplog.at_level(logging.INFO, logger="pipeline.eval.shot"):
        assert evaluate_converted(shot, ("unconverted",)) is None
    assert "none of unconverted is converted" in caplog.text


def test_the_database_refuses_two_active_conversions_of_one_variant(world, monkeypatch):
    """Two requests at the same instant both pass the service's look for an active conversion; the database's
    constraint still lets only one in, and the second request is told so (409), not given a second job."""
    from django.db import IntegrityError, transaction

    from review.errors import Conflict
    from review.services import engine

    def create(variant: str, state: str = JobState.QUEUED) -> Job:
        return Job.objects.create(shot=world.shot, kind=JobKind.CONVERT, state=state,
                                  params={"name": "pirouette", "variant": variant})

    create("tiny")
    with pytest.raises(IntegrityError), transaction.atomic():
        create("tiny", JobState.RUNNING)
    create("retrained")  # another variant of the shot may convert at the same time
    Job.objects.filter(params__variant="tiny").update(state=JobState.DONE)
    create("tiny")  # once the first is done, a new one may start

    # the service's look finds nothing, as when both requests look before either inserts
    monkeypatch.setattr(engine, "_active_conversion", lambda **kw: None)
    with pytest.raises(Conflict, match="already queued or running"):
        engine.convert_queue(shot=world.shot, actor=world.users["supervisor"], name="pirouette", variant="tiny")
