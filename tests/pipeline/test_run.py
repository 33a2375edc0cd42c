"""The shot runner (`facereplace run`): any range of stages on a shot, in order, each reused when its output is
there, with progress; what the demo and the site's engine job run."""
from __future__ import annotations

import json

import pytest

from pipeline.cli import main
from pipeline.errors import InputError
from pipeline.run import STAGES, RunConfig, SyntheticBudget, plan, run_shot
from pipeline.shot import ShotLayout


def test_a_range_of_stages_runs_in_order_then_is_reused(tmp_path, capsys):
    shot = tmp_path / "pirouette"
    verb = ["run", str(shot), "--preset", "pirouette", "--quick", "--to", "stabilize"]
    assert main(verb) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["ran"] == ["pirouette: synth", "pirouette: track import", "pirouette: stabilize"]
    assert first["models"] == ["rigid", "loose", "cg"]  # the synthetic shot's [[variants]] use every model
    layout = ShotLayout(shot)
    assert layout.track.is_file() and (layout.stabilize / "stabilize.json").is_file()
    assert not layout.plate_clip.exists()  # the review stage is past the range

    assert main(verb) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["ran"] == [] and again["reused"] == first["ran"]
    assert main(["run", str(shot), "--from", "track", "--to", "track", "--redo"]) == 0
    assert json.loads(capsys.readouterr().out)["ran"] == ["pirouette: track import"]


def test_progress_covers_every_step_and_never_goes_back(tmp_path):
    heard: list[tuple[float, str]] = []
    config = RunConfig.synthetic("pirouette", SyntheticBudget.quick(), last="track")
    run_shot(tmp_path / "shot", config, progress=lambda fraction, message: heard.append((fraction, message)))
    fractions = [f for f, _ in heard]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(m.startswith("shot: synth: ") for _, m in heard) and heard[-1][1] == "shot: track import: done"


def test_the_plan_names_the_steps_of_each_model(tmp_path):
    config = RunConfig.synthetic("pirouette", SyntheticBudget.quick(), last="convert", models=("rigid", "cg"))
    steps = plan(tmp_path / "s", config)  # the shot is not made yet: planning writes nothing
    assert [s.stage for s in steps] == ["synth", "track", "stabilize", "review", "dataset", *["train"] * 4,
                                        "convert", "convert"]
    assert [s.name for s in steps if s.stage in ("train", "convert")] == [
        "s: train rigid base", "s: train rigid fit", "s: train cg base", "s: train cg fit", "s: convert rigid",
        "s: convert cg"]
    assert not (tmp_path / "s").exists()
    shared = RunConfig.synthetic("pirouette", SyntheticBudget.quick(), models=("loose",), base_from=tmp_path / "first")
    (fit,) = [s for s in plan(tmp_path / "s", shared) if s.stage == "train"]  # the base stage is the first shot's
    assert fit.name == "s: train loose fit"


@pytest.mark.parametrize("config, message", [
    (lambda: RunConfig(first="convert", last="track"), "convert comes after track"),
    (lambda: RunConfig(first="grade"), f"no stage 'grade'; the stages are, in order: {', '.join(STAGES)}"),
    (lambda: RunConfig(models=("wide",)), "no model 'wide'; known models: rigid, loose, cg"),
])
def test_a_bad_run_says_what_is_wrong(config, message):
    with pytest.raises(InputError, match=message):
        config()


def test_a_folder_without_a_shot_needs_a_preset(tmp_path, capsys):
    assert main(["run", str(tmp_path / "empty")]) == 1
    assert "shot.toml: no such file; put the shot's folder there, or give a synthetic preset" in capsys.readouterr().err
    with pytest.raises(InputError, match="run from the synth stage"):
        plan(tmp_path / "empty", RunConfig.synthetic("bow", SyntheticBudget.quick(), first="track"))
