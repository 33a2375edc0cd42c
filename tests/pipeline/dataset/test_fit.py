from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.dataset import fit
from pipeline.dataset.faceset import read_faceset
from pipeline.dataset.stage import plate
from pipeline.errors import InputError
from pipeline.shot import load_shot
from pipeline.train.data import load_faceset


def _entries(poses, *, source="rig", shot="other", brightness=0.5):
    return [{"id": f"{source}_{i}", "yaw": float(y), "pitch": float(p), "source": source, "shot": shot,
             "descriptors": {"brightness": brightness, "key_light_deg": 90.0}} for i, (y, p) in enumerate(poses)]


def _plate(yaws, pitch=0.0, **light):
    n = len(yaws)
    return fit.PlatePoses(frames=np.arange(1001, 1001 + n), yaw=np.asarray(yaws, float), pitch=np.full(n, pitch), **light)


def test_rare_angles_are_not_drowned_by_frontal_ones():
    rng = np.random.default_rng(0)
    frontal = _entries(np.c_[rng.uniform(-10, 10, 1000), rng.uniform(-5, 5, 1000)])
    profile = _entries(np.c_[rng.uniform(85, 95, 30), rng.uniform(-5, 5, 30)], source="walk")
    plate_poses = _plate([0.0] * 95 + [90.0] * 5)
    chosen = fit.select(fit.FitConfig(size=40, bin_deg=30), frontal + profile, plate_poses, shot_name="s").ids
    assert len(chosen) == len(set(chosen)) == 40
    assert sum(i.startswith("walk") for i in chosen) == 20  # half the set for 5% of the frames


def test_yaw_wraps_around_and_the_walkthrough_of_the_shot_is_preferred():
    entries = _entries([(-179.0, 0.0), (150.0, 0.0)]) + _entries([(-172.0, 0.0)], source="walkthrough", shot="s")
    selection = fit.select(fit.FitConfig(size=1, prefer_walkthrough_deg=10), entries, _plate([179.0]), shot_name="s")
    assert selection.ids == ["walkthrough_0"]  # 9 degrees away beats 2 degrees + 10 for other material
    selection = fit.select(fit.FitConfig(size=1, prefer_walkthrough_deg=5), entries, _plate([179.0]), shot_name="s")
    assert selection.ids == ["rig_0"] and selection.per_frame[0]["distance_deg"] == pytest.approx(2.0, abs=1e-3)


def test_lighting_breaks_ties_between_equal_poses():
    entries = _entries([(0.0, 0.0)], source="dark", brightness=0.1) + _entries([(1.0, 0.0)], source="lit", brightness=0.7)
    plate_poses = _plate([0.0], brightness=np.array([0.7]), key_light_deg=np.array([90.0]))
    assert fit.select(fit.FitConfig(size=1), entries, plate_poses, shot_name="s").ids == ["dark_0"]
    lit = fit.select(fit.FitConfig(size=1, light_weight_deg=20), entries, plate_poses, shot_name="s").ids
    assert lit == ["lit_0"]


def test_a_fit_set_that_cannot_be_filled_says_what_was_found_where(built, dataset_shot, tmp_path):
    shot = load_shot(dataset_shot)
    with pytest.raises(InputError) as info:
        fit.run(fit.FitConfig(size=100000), built.faceset("actor"), plate(shot, shot.config.dataset, lighting=False),
                tmp_path / "fit", shot_name=shot.name)
    message = str(info.value)
    found = len([e for e in read_faceset(built.faceset("actor"))["crops"] if e["source"] != "cg"])
    assert "cannot be filled" in message and f"100000 asked for" in message and "yaw " in message
    assert int(message.split("cannot be filled: ")[1].split()[0]) <= found
    assert not (tmp_path / "fit").exists()


def test_the_fit_set_of_the_shot_is_a_faceset_training_reads(built, dataset_shot, tmp_path):
    shot = load_shot(dataset_shot)
    manifest = fit.run(fit.FitConfig(size=60), built.faceset("actor"), plate(shot, shot.config.dataset, lighting=True),
                       tmp_path / "fit", shot_name=shot.name)
    report = json.loads((manifest.parent / "fit_report.json").read_text())
    assert report["kind"] == "fit_set" and report["selected"] == 60
    assert report["in_scene_walkthrough"] > 30
    assert sum(b["selected"] for b in report["bins"]) == 60 and all(b["selected"] > 0 for b in report["bins"])
    assert len(load_faceset(manifest.parent).material) == 60
