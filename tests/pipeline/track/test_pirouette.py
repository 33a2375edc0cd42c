"""The head track and its crops on the synthetic pirouette: two full turns, the back of the head, a moving camera."""
from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.geometry import project
from pipeline.media.clip import open_clip
from pipeline.media.image import read_image
from pipeline.shot import frame_path, load_shot
from pipeline.stabilize import StabilizeConfig, StabilizeInputs, read_stabilized, run, stabilize_frame
from pipeline.track.chan import ChanTrack, read_chan, write_chan
from pipeline.track.load import load_head_track
from pipeline.track.solve import SolveConfig, solve


@pytest.fixture(scope="module")
def shot(pirouette_shot):
    return load_shot(pirouette_shot)


@pytest.fixture(scope="module")
def truth(shot):
    return load_head_track(shot.head_track, intrinsics=shot.camera, rotation_order=shot.rotation_order)


@pytest.fixture(scope="module")
def truth_yaw(shot):
    frames = json.loads(shot.truth.pose.read_text())["frames"]
    return np.degrees(np.unwrap(np.radians([f["yaw"] for f in frames])))


@pytest.fixture(scope="module")
def solved(shot, truth):
    with open_clip(shot.plate, fps=str(shot.fps)) as clip:
        return solve(clip, truth.intrinsics[0], SolveConfig())


def test_world_space_head_through_the_moving_camera_is_the_camera_relative_truth(shot, truth, truth_yaw, tmp_path):
    # The head placed in the world through the synthetic shot's own moving camera, as a matchmove exports it.
    camera = read_chan(shot.root / "tracks" / "camera.chan", kind="camera")
    write_chan(tmp_path / "head_world.chan", ChanTrack.from_matrices(truth.frames,
                                                                     camera.matrices() @ truth.transforms()))
    world = load_head_track(tmp_path / "head_world.chan", intrinsics=shot.camera,
                            camera=shot.root / "tracks" / "camera.chan")
    assert np.abs(world.rotation - truth.rotation).max() < 1e-4
    assert np.abs(world.translation - truth.translation).max() < 1e-4
    assert world.intrinsics[0].focal_mm == pytest.approx(truth.intrinsics[0].focal_mm, rel=1e-4)  # from vfov
    yaw = world.yaw_pitch_roll()[:, 0]
    assert np.abs(yaw - truth_yaw).max() < 0.01
    assert yaw[-1] - yaw[0] > 700  # two full turns, read continuously


def test_crops_hold_the_head_through_two_full_turns(shot, truth, tmp_path):
    size = 128
    out = run(StabilizeConfig(size=size), StabilizeInputs(plate=shot.plate, track=truth, out_dir=tmp_path / "crops",
                                                          fps=str(shot.fps)))
    assert len(out.cropped) == len(truth) and not out.flagged  # every frame, the back of the head included
    records = read_stabilized(out.manifest)["frames"]
    # The true skull (a 10 cm sphere at the truth's skull centre) keeps its size and place in every crop.
    radii, centres = [], []
    for record, t, cam in zip(records, truth.translation, truth.intrinsics):
        m = record["transform"]
        radii.append(cam.focal_px * 0.1 / -t[2] * np.sqrt(np.linalg.det(m[:2, :2])))
        centres.append((m @ [*project(t, cam), 1.0])[:2])
    assert np.std(radii) / np.mean(radii) < 0.005
    assert np.abs(np.array(centres) - (size - 1) / 2).max() < 0.5
    # And in the pixels: the head's matte, cut by the same transforms, keeps its crown on one row whether
    # the face, a profile or the back of the head is seen (a 2D aligner's crop would slide and scale).
    tops = []
    for record in records:
        matte = read_image(frame_path(shot.truth.matte, record["frame"]))[..., 0]
        tops.append(np.flatnonzero((stabilize_frame(matte, record["transform"], size) > 0.5).any(axis=1))[0])
    assert np.ptp(tops) <= 0.02 * size


def test_builtin_tracker_recovers_yaw_and_turns_through_the_back_of_the_head(solved, truth_yaw):
    track = solved.track
    measured = track.status == "measured"
    assert 0.4 < measured.mean() < 0.95  # the face is seen on most frames, not on the back of the head
    yaw = track.yaw_pitch_roll()[:, 0]
    yaw -= 360.0 * np.round((yaw[0] - truth_yaw[0]) / 360.0)
    error = np.abs(yaw - truth_yaw)
    # Within a few degrees where the face is seen; the worst frames are those nearest a profile.
    assert np.median(error[measured]) < 3.0 and error[measured].mean() < 5.0 and error[measured].max() < 15.0
    # Continuous through both turns: never jumps, never goes back the short way, ends two turns on.
    assert np.abs(np.diff(yaw)).max() < 45.0
    assert np.all(np.diff(yaw) > -3.0)
    assert abs((yaw[-1] - yaw[0]) - (truth_yaw[-1] - truth_yaw[0])) < 15.0
    assert np.all(track.confidence[~measured] < track.confidence[measured].min())


def test_solve_on_a_shot_uses_its_plate_camera_and_track_table(shot, solved, tmp_path, capsys):
    """`facereplace track solve SHOT OUT`: the shot's plate, camera and frames, and its [track] settings (here a
    tracker that trusts landmarks only up to 20 degrees of yaw, so it measures fewer frames than the default)."""
    from pipeline.cli import main
    from tests.pipeline.convert.conftest import shot_with

    strict = shot_with(shot.root, tmp_path / "strict", "[track]\nmax_abs_yaw = 20.0\n")
    assert main(["track", "solve", str(strict.root), str(tmp_path / "track.json")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["frames"] == len(shot.frames)
    assert 0 < summary["measured"] < int(np.sum(solved.track.status == "measured"))
    assert list(load_head_track(tmp_path / "track.json").frames) == list(shot.frames)

    bad = tmp_path / "bad"  # written, not loaded: reading the shot is what refuses it
    bad.mkdir()
    (bad / "shot.toml").write_text((strict.root / "shot.toml").read_text().replace("= 20.0", "= 120.0"))
    assert main(["track", "solve", str(bad), str(tmp_path / "bad.json")]) == 1
    assert "max_abs_yaw" in capsys.readouterr().err and not (tmp_path / "bad.json").exists()
    assert main(["track", "solve", str(shot.plate), str(tmp_path / "plate.json")]) == 1
    assert "--intrinsics" in capsys.readouterr().err
