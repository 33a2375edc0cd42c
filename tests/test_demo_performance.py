"""The production lesson, measured: the demo's own steps (pipeline.demo.run_shot) on a synthetic close-up, rigid and
loose trained base then fit, converted and scored by `facereplace eval` against the synthetic truth. The rigid
variant's mouth opens when the actor's walkthrough does (it takes her expression from the synced moment of her
walkthrough); the loose one's, encoded from the dancer's face and tied to no moment of the walkthrough, opens when
the dancer's does.

Why this size: eval reads mouth-open from the converted plate. On the quick demo's 64² plates a mouth is two
pixels and an opening cannot be told from a shadow; the 256² close-up puts it near ten pixels. The crops stay 64²
(fast on a CPU), and at this training budget both models draw a mouth that opens at all: with fewer steps (600 +
300) an output's mouth stays shut on most seeds, its correlation is undefined or noise, and the test would measure
nothing. Training is deterministic on the CPU for a seed on one machine (not across machines: float rounding
differs); the test uses the demo's seed (7), on which the two performances are independent (their truths correlate
0.02), and asserts margins that held on two machines. Figures for other seeds are in the README; at three times
this budget `python -m tests.bench performance` measures how far apart the two variants' performances are.
"""
from __future__ import annotations

import json

import pytest

from pipeline.demo import DemoConfig, run_shot
from pipeline.run import SyntheticBudget

# Six minutes of training on this 2-core machine, where the suite's per-test limit is ten: room for a slower CI.
pytestmark = pytest.mark.timeout(1200)

PRESET = "closeup"
BUDGET = {"size": 256, "frames": 48, "crop_size": 64, "fit_size": 60, "base_steps": 1000, "fit_steps": 500}


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """Each variant's published eval table (as the site shows it) and its record, by variant name."""
    config = DemoConfig(project_dir=tmp_path_factory.mktemp("performance"), presets=(PRESET,),
                        models=("rigid", "loose"), budget=SyntheticBudget(**BUDGET))
    result = run_shot(config, PRESET)
    return {path.parent.name: json.loads(path.read_text()) for path in result.variants}  # variants/NAME/variant.json


def _all(published, name):
    return published[name]["metrics"]["eval"]["all"]


def test_every_plate_frame_has_an_output_with_a_mouth_to_read(scored):
    for name in ("rigid", "loose"):
        row = _all(scored, name)
        assert row["frames"] == 48 and row["share"] == 1.0, (name, row)
        assert row["mouth_frames"] >= 40, (name, row)  # a close-up: the mouth faces the lens on nearly every frame


def test_rigid_follows_the_actors_walkthrough_more_than_loose_does(scored):
    rigid, loose = _all(scored, "rigid"), _all(scored, "loose")
    detail = {"rigid": rigid, "loose": loose}
    assert rigid["mouth_corr_actor"] is not None and loose["mouth_corr_actor"] is not None, detail
    # the measure: the rigid result's mouth-open correlates with the actor's more than the loose one's
    assert rigid["mouth_corr_actor"] >= 0.4, detail
    assert rigid["mouth_corr_actor"] > loose["mouth_corr_actor"] + 0.1, detail
    # and it is the actor's line it follows, not the dancer's (who speaks on her own timing)
    assert rigid["mouth_corr_actor"] > rigid["mouth_corr_dancer"] + 0.3, detail


def test_loose_follows_the_dancers_performance_more_than_rigid_does(scored):
    rigid, loose = _all(scored, "rigid"), _all(scored, "loose")
    detail = {"rigid": rigid, "loose": loose}
    assert loose["mouth_corr_dancer"] is not None and rigid["mouth_corr_dancer"] is not None, detail
    # the other half: the loose result's mouth-open follows the dancer's, clearly more than the rigid
    # result's does (the dancer's openings come through the loose model only). Whether loose also follows her
    # more than the actor's line is not asserted: at this budget that turns on float rounding (the same commit
    # gave 0.45 with the dancer / 0.35 with the actor on one machine, 0.33 / 0.51 on another), see the README.
    assert loose["mouth_corr_dancer"] >= 0.25, detail
    assert loose["mouth_corr_dancer"] > rigid["mouth_corr_dancer"] + 0.1, detail


def test_the_rigid_variant_says_its_expressions_came_from_the_synced_walkthrough(scored):
    sync = scored["rigid"]["performance"]["sync"]
    assert sync["synced_frames"] >= 36, sync  # the rest fall back to the whole fit set, and say so
    assert scored["loose"]["performance"].get("sync") is None
