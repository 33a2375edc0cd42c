"""Issue 23's figures for the built-in tracker on synthetic truth, with no lens given (estimated from the face):
mean yaw error <= 3 degrees on measured frames and <= 8 on filled ones, on the pirouette (two full turns with the
head spotting, a camera easing in), rendered plate-only at 192 px over 96 frames (the turn's speed of the
benchmark's 256 px shot; the 128 px / 48 frame shot of the other tests whips round too fast and too small for
the face mesh near profile: 3.0 / 18 degrees even with the true lens)."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.media.clip import open_clip
from pipeline.track.load import load_head_track, read_intrinsics
from pipeline.track.solve import SolveConfig, solve


@pytest.fixture(scope="module")
def pirouette_plate(tmp_path_factory):
    from pipeline.synth.stage import SynthConfig, render_plate

    root = render_plate(SynthConfig(preset="pirouette", size=192, frames=96), tmp_path_factory.mktemp("plate") / "p")
    truth = load_head_track(root / "tracks" / "plate.chan", intrinsics=read_intrinsics(root / "tracks" / "camera.json"))
    return root / "plate" / "plate.%04d.png", truth


def test_tracker_reaches_the_yaw_goals_with_an_estimated_lens(pirouette_plate):
    pattern, truth = pirouette_plate
    with open_clip(pattern, fps="24") as clip:
        track = solve(clip, None, SolveConfig()).track
    assert track.lens == "estimated"
    # The synthetic head's landmarks fit every wider lens better (the face mesh's bias, not perspective): the
    # estimate takes the long fallback lens, within a quarter of the true 12 degree one, not the widest tried.
    assert track.intrinsics[0].focal_px == pytest.approx(truth.intrinsics[0].focal_px, rel=0.25)
    solved, true = track.yaw_pitch_roll()[:, 0], truth.yaw_pitch_roll()[:, 0]
    measured = track.status == "measured"
    first = int(np.argmax(measured))
    error = np.abs(solved - 360.0 * np.round((solved[first] - true[first]) / 360.0) - true)
    assert 0.4 < measured.mean() < 0.9  # the back of the head is filled, not measured
    assert error[measured].mean() <= 3.0
    assert error[~measured].mean() <= 8.0
    assert np.ptp(solved) > 700  # both turns, read continuously
