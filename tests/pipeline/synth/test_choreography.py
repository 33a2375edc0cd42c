"""The presets do what the mission's hard cases need: full turns, fast whips under a wide shutter, a bow that
throws hair across the face; the dancer talks and smiles, the actor's walkthrough stays serious while she says her line on her own timing."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.cg.head import DANCER
from pipeline.cg.scene import strands_drawable
from pipeline.errors import InputError
from pipeline.geometry import invert_rigid, yaw_pitch_roll
from pipeline.synth.choreography import create_choreography, list_presets, walkthrough_performance


def _head_yaw(chor, step=1.0):
    times = np.arange(0, chor.frames - 1 + 1e-9, step)
    rel = [invert_rigid(chor.camera(t)) @ chor.head(t) for t in times]
    return np.degrees(np.unwrap(np.radians([yaw_pitch_roll(r[:3, :3])[0] for r in rel])))


def test_presets_are_registered():
    assert list_presets() == ["bow", "closeup", "fouette", "pirouette"]
    from pipeline.synth.cli import PRESETS  # the CLI lists them by hand so --help stays instant
    assert sorted(PRESETS) == list_presets()
    with pytest.raises(InputError, match="unknown preset 'jete'"):
        create_choreography("jete", 96, 0)


def test_pirouette_turns_twice_and_the_head_spots():
    chor = create_choreography("pirouette", 96, 0)
    yaw = _head_yaw(chor)
    assert 700 < yaw[-1] - yaw[0] < 740
    speed = np.abs(np.diff(yaw))
    assert speed.max() > 2 * np.median(speed[speed > 1])  # whips round behind, lingers facing the lens
    assert np.ptp([chor.body(t)[0, 3] for t in range(96)]) > 0.5  # travels across the stage
    assert np.ptp([chor.camera(t)[0, 3] for t in range(96)]) > 0.3  # and the camera follows


def test_fouette_whips_fast_under_a_wide_shutter():
    chor = create_choreography("fouette", 96, 0)
    speed = np.abs(np.diff(_head_yaw(chor)))
    assert speed.max() > 25 and chor.shutter >= 0.5 and chor.samples >= 8  # degrees a frame: heavy blur


def test_bow_drops_the_head_and_hair_falls_across_the_face():
    chor = create_choreography("bow", 48, 0)
    deepest = max(range(48), key=lambda t: chor.head(t)[:3, :3].T[2] @ [0.0, -1.0, 0.0])  # nose most downward
    head = chor.head(deepest)
    strands = strands_drawable(DANCER, head[:3, :3].T @ [0.0, -1.0, 0.0], seed=0)
    assert strands is not None
    tips = strands.mesh.positions
    assert (tips[:, 2] > 0.1).mean() > 0.3  # in front of the face (head-local +Z), between it and the floor
    assert strands_drawable(DANCER, chor.head(0)[:3, :3].T @ [0.0, -1.0, 0.0], seed=0) is None  # upright: none


def test_dancer_talks_and_smiles_actor_stays_serious_saying_her_line():
    chor = create_choreography("pirouette", 96, 0)
    mouth = np.array([e.mouth_open for e in chor.expressions])
    assert mouth.max() > 0.6 and (mouth < 0.05).any()
    assert any(e.smile > 0.9 and e.teeth_visible for e in chor.expressions)
    walk = walkthrough_performance(192, 0)
    line = np.array([e.mouth_open for e in walk])
    assert all(e.smile == 0 and not e.teeth_visible for e in walk)  # in character: no smile, never the teeth
    assert 0.45 < line.max() <= 0.7 and (line == 0).mean() > 0.3  # she talks, never wide, with pauses
    # her own timing: at the plate's pace (every other walkthrough frame) it does not follow the dancer's talk
    assert abs(np.corrcoef(line[::2], mouth)[0, 1]) < 0.3
    assert any(e.blink > 0 for e in walk)
