"""The final render mixes an edit's variants with the weights the review player shows: both are checked
against one fixture (tests/fixtures/dissolve_weights.json; the player's side is frontend/test/edit.test.ts)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.comp.preview import edit_mix_at

FIXTURE = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "dissolve_weights.json").read_text())


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda case: case["name"])
def test_the_render_mixes_each_frame_as_the_player_shows_it(case):
    for frame, expected in case["frames"].items():
        mix = edit_mix_at(case["segments"], int(frame))
        assert [variant for variant, _ in mix] == [variant for variant, _ in expected], (frame, mix)
        assert [weight for _, weight in mix] == pytest.approx([weight for _, weight in expected], abs=1e-9), (frame, mix)
