from __future__ import annotations

import cv2
import numpy as np

from pipeline.dataset import coverage, rules
from pipeline.dataset.poses import plate_poses
from pipeline.shot import load_shot

THRESHOLD = 15.0


def test_a_complete_faceset_covers_the_whole_plate(built, dataset_shot, tmp_path):
    frames, ypr = plate_poses(load_shot(dataset_shot))
    out = coverage.run(built.faceset("actor"), frames, ypr[:, 0], ypr[:, 1], tmp_path / "coverage",
                       threshold_deg=THRESHOLD, shot_name="pirouette")
    assert out.flagged == () and max(out.distance_deg.values()) < THRESHOLD
    assert coverage.read_coverage(out.manifest) == out.distance_deg
    assert cv2.imread(str(out.heatmap)).shape[1] > 400


def test_coverage_flags_exactly_the_plate_angles_withheld_from_the_faceset(built, dataset_shot, tmp_path):
    low, high = 75.0, 135.0
    rules.run([{"drop": f"yaw > {low} and yaw < {high}"}], built.faceset("actor"), tmp_path / "withheld")
    frames, ypr = plate_poses(load_shot(dataset_shot))
    yaw = ypr[:, 0]
    inside = (yaw > low + THRESHOLD) & (yaw < high - THRESHOLD)
    outside = (yaw < low) | (yaw > high)
    assert inside.sum() >= 2 and np.all(inside | outside), "every plate frame is clearly inside or outside the gap"
    out = coverage.run(tmp_path / "withheld", frames, yaw, ypr[:, 1], tmp_path / "coverage", threshold_deg=THRESHOLD)
    assert set(out.flagged) == {int(f) for f in frames[inside]}
    assert all(out.distance_deg[int(f)] > THRESHOLD for f in frames[inside])
