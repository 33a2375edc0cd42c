"""The demo's stabilize step frames heads as the shot's [stabilize] table says (the quality benchmark runs the
demo's steps on a shot set to the 2D landmark baseline)."""
from __future__ import annotations

from pipeline.demo import DemoConfig, shot_steps
from pipeline.shot import SHOT_FILE
from pipeline.stabilize import read_stabilized


def test_demo_stabilizes_with_the_shots_method(tmp_path):
    config = DemoConfig.quick(tmp_path)
    steps = {step.name.split(": ", 1)[1]: step for step in shot_steps(config, "pirouette")}
    steps["synth"].make()
    with open(tmp_path / "pirouette" / SHOT_FILE, "a", encoding="utf-8") as f:
        f.write('\n[stabilize]\nmethod = "landmarks2d"\nradius = 0.2\n')
    steps["track import"].make()
    steps["stabilize"].make()
    data = read_stabilized(tmp_path / "pirouette" / "work" / "stabilize")
    assert data["config"]["method"] == "landmarks2d" and data["config"]["radius"] == 0.2
    assert data["config"]["size"] == config.crop_size  # the demo's crop size still wins
    assert any(record["flag"] == "no_face" for record in data["frames"])  # the back of the head has no crop
