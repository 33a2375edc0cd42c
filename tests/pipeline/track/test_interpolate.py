from __future__ import annotations

import numpy as np
import pytest

from pipeline.track.interpolate import fill_angle_channel, smooth


def _wrap(angle):
    return (angle + 180.0) % 360.0 - 180.0


@pytest.mark.parametrize("speed", [9.0, -9.0, 25.0])
def test_a_spin_continues_through_the_back_of_the_head(speed):
    t = np.arange(120.0)
    truth = speed * t + 10.0 * np.sin(t / 15.0)
    wrapped = _wrap(truth)
    visible = np.abs(wrapped) < 70.0  # the face is seen only within 70 degrees of frontal
    filled = fill_angle_channel(t, np.where(visible, wrapped, np.nan), visible, extrapolate=True)
    assert np.abs(filled - truth).max() < 12.0
    assert np.all(np.sign(np.diff(filled)) == np.sign(speed))


def test_a_head_that_turns_back_is_not_spun_round():
    t = np.arange(60.0)
    truth = 80.0 * np.sin(t / 60.0 * 2 * np.pi)  # looks right, then left, never round the back
    visible = np.abs(truth) < 60.0
    filled = fill_angle_channel(t, np.where(visible, truth, np.nan), visible)
    assert np.abs(filled - truth).max() < 25.0
    assert np.abs(filled).max() < 120.0


def test_smoothing_keeps_a_steady_spin_and_removes_jitter():
    t = np.arange(100.0)
    truth = 7.5 * t
    noisy = truth + np.random.default_rng(0).normal(0, 1.0, t.shape)
    smoothed = smooth(t, noisy[:, None], np.ones_like(t), sigma=2.0)[:, 0]
    assert np.abs(smoothed - truth).mean() < np.abs(noisy - truth).mean() * 0.7
    assert abs(smoothed[0] - truth[0]) < 2.0 and abs(smoothed[-1] - truth[-1]) < 2.0  # ends not pulled in


def test_a_spotting_dancer_whips_round_unseen_and_the_fill_goes_round_too():
    # The head holds to the front (slow) and whips round in a few frames while the face is not seen.
    t = np.arange(0.0, 60.0)
    phase = (t % 30.0) / 30.0
    truth = 360.0 * (t // 30.0) + np.where(phase < 0.7, 60.0 * phase / 0.7 - 30.0, 30.0 + 300.0 * (phase - 0.7) / 0.3)
    wrapped = _wrap(truth)
    visible = np.abs(wrapped) < 45.0
    filled = fill_angle_channel(t, np.where(visible, wrapped, np.nan), visible)
    assert np.allclose(filled[visible], truth[visible])  # the second turn is counted
    inside = slice(int(np.argmax(visible)), len(t) - int(np.argmax(visible[::-1])))
    assert np.all(np.diff(filled[inside]) > 0)


def test_pitch_and_roll_never_spin_round_even_when_both_sides_drift_the_same_way():
    from pipeline.track.interpolate import fill_angles

    t = np.arange(30.0)
    ypr = np.stack([12.0 * t, -0.8 * t, np.where(t < 10, -0.6 * t, 3.0 - 0.6 * (t - 20))], axis=1)
    known = (t < 10) | (t >= 20)
    filled = fill_angles(t, np.where(known[:, None], ypr, np.nan), known)
    assert np.abs(filled[:, 1:]).max() < 30.0  # a roll drifting down on both sides but ending higher: no turn
    assert np.all(np.diff(filled[:, 0]) > 0)


def test_a_long_unseen_end_spins_on_to_the_back_of_the_head_and_holds():
    t = np.arange(80.0)
    known = t < 20
    filled = fill_angle_channel(t, np.where(known, 10.0 * t - 60.0, np.nan), known, extrapolate=True)
    assert filled[25] == pytest.approx(190.0)  # still turning
    assert filled[-1] == pytest.approx(130.0 + 180.0)  # half a turn past the last seen frame, no more
