"""The runner's stabilize step frames heads as the shot's [stabilize] table says (the quality benchmark runs the
demo's stages on a shot set to the 2D landmark baseline)."""
from __future__ import annotations

import dataclasses

from pipeline.demo import DemoConfig
from pipeline.run import run_shot
from pipeline.shot import SHOT_FILE, ShotLayout
from pipeline.stabilize import read_stabilized


def test_demo_stabilizes_with_the_shots_method(tmp_path):
    config = DemoConfig.quick(tmp_path)
    shot, run = tmp_path / "pirouette", config.run_config("pirouette")
    run_shot(shot, dataclasses.replace(run, last="synth"))
    with open(shot / SHOT_FILE, "a", encoding="utf-8") as f:
        f.write('\n[stabilize]\nmethod = "landmarks2d"\nradius = 0.2\n')
    ran = run_shot(shot, dataclasses.replace(run, first="track", last="stabilize"))
    assert ran.ran == ("pirouette: track import", "pirouette: stabilize")
    data = read_stabilized(ShotLayout(shot).stabilize)
    assert data["config"]["method"] == "landmarks2d" and data["config"]["radius"] == 0.2
    assert data["config"]["size"] == config.budget.crop_size  # the demo's crop size still wins
    assert any(record["flag"] == "no_face" for record in data["frames"])  # the back of the head has no crop
