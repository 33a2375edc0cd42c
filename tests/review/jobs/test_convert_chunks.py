"""A conversion job: one variant of the shot's engine folder converted in frame chunks (separate gpu jobs any
worker takes, so several workers share one shot), then joined into the variant folder publish reads."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from django.core.exceptions import PermissionDenied

from pipeline.convert.stage import read_converted
from pipeline.media.clip import open_clip
from review.choices import JobKind, JobState
from review.models import Job
from review.services.job_kinds import convert_queue, engine_folder
from review.services.jobs import work_dir
from tests.review.jobs.conftest import drain

CONVERT = ('\n[convert]\nmotion_blur = false\nreview_clip = true\n\n[[variants]]\nname = "tiny"\nmodel = "loose"\n'
           'checkpoint = "model"\n')


@pytest.fixture(scope="module")
def engine_root(tmp_path_factory) -> Path:
    """The world's shot (dance/SQ010/SH010) on the engine: a synthetic 12-frame shot and a small loose model
    (freshly initialised, seeded: a real network, just untrained) its variant "tiny" converts with."""
    from pipeline.models import create_model
    from pipeline.synth.make import SynthConfig
    from pipeline.synth.make import run as synth
    from pipeline.train.checkpoint import save_checkpoint

    root = tmp_path_factory.mktemp("engine")
    shot_dir = synth(SynthConfig(preset="pirouette", size=64, frames=12, first_frame=1001, fps="24"),
                     root / "dance" / "SQ010" / "SH010" / "pirouette")
    (shot_dir / "shot.toml").write_text((shot_dir / "shot.toml").read_text() + CONVERT)
    torch.manual_seed(0)
    model = create_model("loose", size=64)
    save_checkpoint(shot_dir / "model", {
        "variant": "loose", "stage": "fit", "step": 0, "complete": True, "model": model.spec, "config": {},
        "manifest_hash": "", "facesets": {}, "metrics": {"loss": None, "losses": []},
        "model_state": model.state_dict(), "optimizer_state": None, "scaler_state": None, "latent_bank": None})
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
    assert [r["frame"] for r in data["frames"]] == list(range(1001, 1013))
    assert [q["frame"] for q in data["qc"]] == list(range(1001, 1013))
    assert sorted(p.name for p in (shot_dir / "convert" / "tiny" / "comp").iterdir()) == \
        [f"comp.{f}.png" for f in range(1001, 1013)]
    with open_clip(shot_dir / "convert" / "tiny" / data["review_clip"]) as clip:
        assert clip.frame_count == 12
    assert (shot_dir / "review" / "variants" / "tiny" / "variant.json").is_file()  # ready for publish
    assert "joined 3 chunk(s)" in job.log
    assert not list(work_dir(job).glob("chunk*"))  # the chunk folders are gone once joined


def test_conversion_needs_the_training_role_and_a_model(engine_world):
    with pytest.raises(PermissionDenied):
        convert_queue(shot=engine_world.shot, actor=engine_world.users["artist"], name="pirouette", variant="tiny")
    job = convert_queue(shot=engine_world.shot, actor=engine_world.users["supervisor"], name="pirouette",
                        variant="nope")
    drain()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "tiny" in job.error  # names the variants there are
    assert not Job.objects.filter(parent=job).exists()
