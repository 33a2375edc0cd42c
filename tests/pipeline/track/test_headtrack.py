from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.errors import InputError
from pipeline.geometry import compose, rotation_from_yaw_pitch_roll
from pipeline.track.chan import ChanTrack, read_chan, write_chan
from pipeline.track.headtrack import HeadTrack, camera_chan, conform, read_track, to_chan, write_track
from pipeline.track.load import load_head_track, write_intrinsics
from tests.pipeline.track.helpers import (CAMERA, FRAMES, moving_camera, pirouette_translation, pirouette_ypr,
                                          relative_pose)


def _track(frames=FRAMES, ypr=None, translation=None) -> HeadTrack:
    ypr = pirouette_ypr(frames) if ypr is None else ypr
    translation = pirouette_translation(frames) if translation is None else translation
    n = len(frames)
    return HeadTrack(frames, rotation_from_yaw_pitch_roll(ypr), translation, (CAMERA,) * n, np.ones(n),
                     np.full(n, "measured", dtype=object))


@pytest.fixture
def intrinsics_json(tmp_path):
    return write_intrinsics(tmp_path / "camera.json", CAMERA)


def test_world_head_through_a_moving_camera_gives_the_camera_relative_truth(tmp_path, intrinsics_json):
    truth = relative_pose()
    camera = moving_camera()
    vfov = np.linspace(CAMERA.vfov_deg, CAMERA.vfov_deg * 0.8, len(FRAMES))  # a slow zoom in
    write_chan(tmp_path / "head.chan", ChanTrack.from_matrices(FRAMES, camera @ truth))
    write_chan(tmp_path / "cam.chan", ChanTrack.from_matrices(FRAMES, camera, vfov_deg=vfov))

    track = load_head_track(tmp_path / "head.chan", intrinsics=intrinsics_json, camera=tmp_path / "cam.chan")
    assert np.abs(track.rotation - truth[:, :3, :3]).max() < 1e-5
    assert np.abs(track.translation - truth[:, :3, 3]).max() < 1e-5
    # Yaw reads 0..720 through the two turns, whatever the camera did.
    assert np.abs(track.yaw_pitch_roll() - pirouette_ypr()).max() < 1e-3
    assert track.intrinsics[-1].vfov_deg == pytest.approx(vfov[-1], abs=1e-4)
    assert track.intrinsics[-1].focal_mm > CAMERA.focal_mm

    # And back: exported through the same camera, the head is where it was in the world.
    world = to_chan(track, camera=read_chan(tmp_path / "cam.chan", kind="camera"))
    assert np.abs(world.matrices() - camera @ truth).max() < 1e-4


def test_camera_track_missing_head_frames_is_reported(tmp_path, intrinsics_json):
    write_chan(tmp_path / "head.chan", ChanTrack.from_matrices(FRAMES, relative_pose()))
    write_chan(tmp_path / "cam.chan", ChanTrack.from_matrices(FRAMES[:50], moving_camera()[:50]))
    with pytest.raises(InputError, match="camera track has no frame.*1051-1096"):
        load_head_track(tmp_path / "head.chan", intrinsics=intrinsics_json, camera=tmp_path / "cam.chan")


def test_json_round_trip_keeps_pose_status_confidence_and_zoom(tmp_path):
    track = _track()
    track.status[10:20] = "filled"
    track.confidence[10:20] = 0.25
    track.intrinsics = tuple(CAMERA.with_vfov(CAMERA.vfov_deg - i * 0.05) for i in range(len(FRAMES)))
    write_track(tmp_path / "t.json", track)
    back = read_track(tmp_path / "t.json")
    assert np.array_equal(back.frames, track.frames)
    assert np.abs(back.rotation - track.rotation).max() < 1e-9
    assert np.allclose(back.translation, track.translation)
    assert list(back.status) == list(track.status) and np.allclose(back.confidence, track.confidence)
    assert back.intrinsics == track.intrinsics
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["kind"] == "head_track" and data["schema_version"] == 2
    assert data["frames"][-1]["rotation_deg"][1] == pytest.approx(720.0)  # continuous yaw in the file


def test_an_estimated_lens_and_the_jumps_survive_the_file_and_a_version_1_file_reads_as_given(tmp_path):
    import dataclasses

    track = dataclasses.replace(_track(), lens="estimated", jumps=(1020, 1005))
    write_track(tmp_path / "t.json", track)
    back = read_track(tmp_path / "t.json")
    assert back.lens == "estimated" and back.jumps == (1005, 1020)
    assert back.subset(back.frames < 1010).jumps == (1005,)
    data = json.loads((tmp_path / "t.json").read_text())
    data["schema_version"] = 1
    del data["lens"], data["jumps"]
    (tmp_path / "v1.json").write_text(json.dumps(data))
    old = read_track(tmp_path / "v1.json")
    assert old.lens == "given" and old.jumps == () and np.allclose(old.rotation, track.rotation)
    with pytest.raises(InputError, match="unknown lens"):
        dataclasses.replace(track, lens="guessed")


def test_json_with_nan_is_refused_naming_the_frame(tmp_path):
    write_track(tmp_path / "t.json", _track())
    data = json.loads((tmp_path / "t.json").read_text())
    data["frames"][5]["translation"][2] = float("nan")
    (tmp_path / "t.json").write_text(json.dumps(data))
    with pytest.raises(InputError, match="NaN or infinite pose at frame.*1006"):
        read_track(tmp_path / "t.json")
    with pytest.raises(InputError, match="NaN or infinite translation at frame.*1003"):
        _track(translation=np.where(FRAMES[:, None] == 1003, np.inf, pirouette_translation()))


def test_missing_frames_are_reported_and_filled_only_when_asked():
    short = _track().subset((FRAMES < 1040) | (FRAMES > 1060))  # a gap through the back of the head
    plate = range(1001, 1101)  # and four frames longer than the track
    with pytest.raises(InputError, match=r"no pose for 25 of the plate's 100 frames \(1040-1060, 1097-1100\)"):
        conform(short, plate)
    filled = conform(short, plate, fill=True)
    assert list(filled.frames) == list(plate)
    assert set(filled.status[(filled.frames >= 1040) & (filled.frames <= 1060)]) == {"filled"}
    assert np.all(filled.confidence[filled.status == "filled"] < 0.5)
    truth = pirouette_ypr(np.arange(1001, 1097))
    yaw = filled.yaw_pitch_roll()[:96, 0]
    assert np.all(np.diff(yaw) > 0)  # the turn goes on through the gap, never back the short way
    assert np.abs(yaw - truth[:, 0]).max() < 3.0


def test_head_behind_the_camera_or_out_of_frame_is_flagged():
    translation = pirouette_translation()
    translation[3] = [0.0, 0.0, 2.0]  # behind
    translation[4] = [50.0, 0.0, -3.0]  # far outside the image
    flags = _track(translation=translation).frame_flags()
    assert flags == {1004: "behind_camera", 1005: "out_of_frame"}


def test_export_camera_chan_carries_vfov(tmp_path):
    track = _track()
    write_chan(tmp_path / "cam.chan", camera_chan(track))
    cam = read_chan(tmp_path / "cam.chan", kind="camera")
    assert np.allclose(cam.vfov_deg, CAMERA.vfov_deg, atol=1e-5)
    write_chan(tmp_path / "head.chan", to_chan(track))
    exported = read_chan(tmp_path / "head.chan").matrices()
    assert np.abs(exported - compose(track.rotation, track.translation)).max() < 1e-5


def test_cli_import_reports_frames_behind_the_camera(tmp_path, intrinsics_json, capsys):
    from pipeline.cli import main

    poses = relative_pose()
    poses[10, 2, 3] = 0.5  # the head passes behind the camera on one frame
    write_chan(tmp_path / "head.chan", ChanTrack.from_matrices(FRAMES, poses))
    assert main(["track", "import", str(tmp_path / "head.chan"), str(tmp_path / "t.json"),
                 "--intrinsics", str(intrinsics_json)]) == 0
    assert json.loads(capsys.readouterr().out)["flagged"] == {"1011": "behind_camera"}
    assert len(read_track(tmp_path / "t.json")) == len(FRAMES)
