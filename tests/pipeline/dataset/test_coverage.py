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


def test_a_head_high_at_the_edge_of_frame_looking_into_the_lens_is_covered_by_frontal_material(
        built, dataset_shot, tmp_path, monkeypatch):
    """Coverage (and fit selection, through plate_poses) compares the head as the camera sees it: relative to the
    line of sight, so a dancer high in a wide frame facing the lens matches actor crops filmed centred."""
    import pipeline.track.load
    from pipeline.geometry import line_of_sight, yaw_pitch_roll
    from pipeline.track.headtrack import HeadTrack
    from pipeline.track.load import read_intrinsics

    shot = load_shot(dataset_shot)
    frames = np.arange(shot.first_frame, shot.last_frame + 1)
    n = len(frames)
    corner = np.tile([1.0, 0.8, -2.5], (n, 1))  # high and right: about 22 and 18 degrees off the optical axis
    rotation = line_of_sight(corner)
    camera = read_intrinsics(shot.camera)
    track = HeadTrack(frames, rotation, corner, (camera,) * n, np.ones(n), np.full(n, "measured"))
    monkeypatch.setattr(pipeline.track.load, "load_head_track", lambda *a, **k: track)
    assert np.all(np.abs(yaw_pitch_roll(rotation)[:, :2]) > 15)  # on the optical axis' terms: far from frontal
    plate_frames, ypr = plate_poses(shot)
    assert np.abs(ypr).max() < 1e-6
    rules.run([{"drop": "yaw > 12"}, {"drop": "yaw < -12"}], built.faceset("actor"), tmp_path / "frontal")
    out = coverage.run(tmp_path / "frontal", plate_frames, ypr[:, 0], ypr[:, 1], tmp_path / "coverage",
                       threshold_deg=THRESHOLD)
    assert out.flagged == ()
