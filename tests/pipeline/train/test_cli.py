"""`facereplace train`: trains from a shot's [train] table and faceset folders; a kill -9 loses at most one
checkpoint interval and --resume redoes the lost steps exactly."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pipeline.cli import main
from pipeline.dataset.faceset import write_crops
from pipeline.train import load_checkpoint
from tests.pipeline.train.faces import face_set, random_poses

TRAIN = """
[train]
steps = 400
fit_steps = 4
width = 8
batch_size = 4
checkpoint_every = 5
preview_every = 0
"""


@pytest.fixture
def shot(tmp_path: Path) -> Path:
    for name in ("plate/plate.1001.png", "tracks/plate.chan", "tracks/camera.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / "shot.toml").write_text(
        'schema_version = 1\n[shot]\nname = "t"\nfirst_frame = 1001\nlast_frame = 1001\nfps = 24\n'
        'plate = "plate/plate.%04d.png"\nhead_track = "tracks/plate.chan"\ncamera = "tracks/camera.json"\n' + TRAIN)
    rng = np.random.default_rng(6)
    for identity, folder in (("dancer", "dancer"), ("actor", "actor"), ("actor", "fit")):
        poses = random_poses(8, rng)
        crops, masks = face_set(identity, rng.uniform(0, 1, 8), poses)
        write_crops(tmp_path / "dataset" / folder, identity=identity, crops=crops, masks=masks, poses=poses)
    return tmp_path


def _args(shot: Path, *more: str) -> list[str]:
    return ["train", str(shot / "shot.toml"), "--model", "loose", "--faceset", f"dancer={shot}/dataset/dancer",
            "--faceset", f"actor={shot}/dataset/actor", *more]


def test_train_base_then_fit_on_the_shots_facesets(shot: Path, capsys: pytest.CaptureFixture[str]) -> None:
    verb = ["train", str(shot), "--model", "loose"]
    assert main([*verb, "--steps", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["step"] == 3 and Path(out["checkpoint"]) == shot / "train/loose/base/checkpoint.pt"
    assert main([*verb, "--stage", "fit"]) == 0
    state = load_checkpoint(shot / "train/loose/fit")
    assert state["facesets"] == {"dancer": str(shot / "dataset/dancer"), "actor": str(shot / "dataset/fit")}
    base = str(shot / "train/loose/base/checkpoint.pt")
    assert (state["stage"], state["step"], state["init_from"]) == ("fit", 4, base)
    assert state["config"]["width"] == 8 and state["config"]["fit_steps"] == 4


def test_rigid_learns_the_actor_after_the_rules_loose_everything_she_did(shot: Path) -> None:
    """The dataset rules prune the actor's open mouths and toothy smiles: rigid's base learns what they kept, so it
    cannot draw what was pruned; loose's learns all of the actor's material (the in-betweens it generalises over)."""
    from pipeline.shot import load_shot
    from pipeline.train import shot_facesets

    rng = np.random.default_rng(8)
    poses = random_poses(4, rng)
    crops, masks = face_set("actor", np.zeros(4), poses)
    write_crops(shot / "dataset" / "actor_kept", identity="actor", crops=crops, masks=masks, poses=poses)
    loaded = load_shot(shot / "shot.toml")
    assert shot_facesets(loaded, model="rigid", stage="base")["actor"] == shot / "dataset/actor_kept"
    assert shot_facesets(loaded, model="cg", stage="base")["actor"] == shot / "dataset/actor_kept"
    assert shot_facesets(loaded, model="loose", stage="base")["actor"] == shot / "dataset/actor"
    assert {shot_facesets(loaded, model=m, stage="fit")["actor"] for m in ("rigid", "loose")} == {shot / "dataset/fit"}


def test_cli_errors_name_the_problem(shot: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_args(shot, "--stage", "fit")) == 1
    assert "no base checkpoint" in capsys.readouterr().err
    assert main(["train", str(shot), "--variant", "rigid", "--faceset", f"dancer={shot}/nowhere"]) == 1
    err = capsys.readouterr().err  # the old spelling still works, and says which to use
    assert "--variant is deprecated, use --model rigid" in err
    assert "no dancer faceset; run `facereplace dataset build" in err
    (shot / "shot.toml").write_text((shot / "shot.toml").read_text().replace("width = 8", "widht = 8"))
    assert main(_args(shot)) == 1
    assert "unknown setting(s) widht" in capsys.readouterr().err
    assert not (shot / "train").exists()


def test_kill_9_loses_at_most_one_checkpoint_interval_and_resume_redoes_it_exactly(shot: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", *_args(shot), "--debug"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    info = shot / "train/loose/base/checkpoint.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if info.exists() and json.loads(info.read_text())["step"] >= 10:
            break
        time.sleep(0.05)
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    logged = {int(n): float(v) for n, v in re.findall(r"step (\d+) loss ([0-9.]+)", proc.communicate()[1])}
    assert proc.returncode == -signal.SIGKILL and logged
    kept = load_checkpoint(shot / "train/loose/base")["step"]
    assert max(logged) - kept < 5 + 1  # at most one interval (5 steps) lost, counting the step under way
    total = max(logged) + 3
    assert main(_args(shot, "--resume", "--steps", str(total))) == 0
    losses = load_checkpoint(shot / "train/loose/base")["metrics"]["losses"]
    assert len(losses) == total
    assert all(abs(losses[n - 1] - v) < 1e-5 for n, v in logged.items())  # the lost steps, redone exactly
