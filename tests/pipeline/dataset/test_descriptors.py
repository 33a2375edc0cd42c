from __future__ import annotations

import numpy as np
import pytest

from pipeline.dataset.descriptors import DESCRIPTORS, light_measures, sharpness


def test_teeth_visible_agrees_with_the_truth_where_the_mouth_can_be_seen(photographs, truth_of):
    seen = [e for e in photographs if e["descriptors"]["mouth_visible"]]
    truth = np.array([truth_of(e)["teeth_visible"] for e in seen])
    found = np.array([e["descriptors"]["teeth_visible"] for e in seen])
    assert truth.sum() >= 8, "the shot must show teeth on enough frames to measure recall"
    precision = (truth & found).sum() / max(found.sum(), 1)
    recall = (truth & found).sum() / truth.sum()
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)
    # frames whose mouth faces away are unmeasured, not guessed
    away = [e for e in photographs if not e["descriptors"]["mouth_visible"]]
    assert away and all(e["descriptors"]["teeth_visible"] is None for e in away)


def test_mouth_open_follows_the_truth(photographs, truth_of):
    near_frontal = [e for e in photographs if e["descriptors"]["mouth_visible"] and abs(e["yaw"]) < 45]
    truth = np.array([truth_of(e)["mouth_open"] for e in near_frontal])
    measured = np.array([e["descriptors"]["mouth_open"] for e in near_frontal])
    assert np.corrcoef(truth, measured)[0, 1] >= 0.7
    assert measured[truth == 0].mean() < 0.1 < measured[truth >= 0.45].mean()


def test_every_crop_carries_every_descriptor(photographs):
    for entry in photographs:
        assert set(DESCRIPTORS) - {"yaw", "pitch", "roll"} <= set(entry["descriptors"])
        assert -180 < entry["yaw"] <= 180


def test_sharpness_falls_with_blur_and_key_light_points_at_the_lit_side():
    import cv2

    rng = np.random.default_rng(0)
    image = rng.random((128, 128, 3)).astype(np.float32)
    assert sharpness(cv2.GaussianBlur(image, (0, 0), 2)) < 0.1 * sharpness(image)
    ramp = np.tile(np.linspace(1.0, 0.2, 128, dtype=np.float32), (128, 1))  # bright on the image's left
    light = light_measures(np.repeat(ramp[..., None], 3, axis=2))
    assert abs(abs(light["key_light_deg"]) - 180) < 5 and light["key_contrast"] > 0.3
    lit_from_above = light_measures(np.repeat(ramp.T[..., None], 3, axis=2))
    assert lit_from_above["key_light_deg"] == pytest.approx(90, abs=5)


def test_motion_blur_is_larger_on_the_plate_than_on_its_half_speed_walkthrough(photographs):
    plate = [e["descriptors"]["motion_blur"] for e in photographs if e["source"] == "plate"]
    walk = [e["descriptors"]["motion_blur"] for e in photographs if e["source_name"] == "walkthrough_main"]
    assert np.mean(plate) > 1.5 * np.mean(walk) > 0


def test_eyes_closed_follows_the_blinks(photographs, truth_of):
    measured = [e for e in photographs if e["descriptors"]["eyes_closed"] is not None]
    blink = np.array([truth_of(e)["blink"] for e in measured])
    closed = np.array([e["descriptors"]["eyes_closed"] for e in measured])
    assert (blink == 1).sum() >= 2 and (blink == 0).sum() >= 20
    assert closed[blink == 1].min() > 0.8 and closed[blink == 0].mean() < 0.25
