from __future__ import annotations

import argparse
import json

import cv2
import numpy as np
import pytest

from pipeline.errors import InputError
from pipeline.geometry import project
from pipeline.media.image import read_image
from pipeline.media.sequence import write_sequence
from pipeline.stabilize import StabilizeConfig, StabilizeInputs, read_stabilized, run, unstabilize
from pipeline.stabilize import cli as stabilize_cli
from pipeline.track import cli as track_cli
from pipeline.track.chan import ChanTrack, write_chan
from pipeline.track.headtrack import HeadTrack
from pipeline.track.load import write_intrinsics
from tests.pipeline.track.helpers import CAMERA, relative_pose

FRAMES = np.arange(1001, 1013)
HEAD_RADIUS = 0.1  # the drawn "head": a disk of this physical radius around the skull centre
SIZE = 64


def _poses() -> np.ndarray:
    return relative_pose()[::8][:len(FRAMES)]  # 12 poses spread over the two turns


def _draw(pose: np.ndarray) -> np.ndarray:
    image = np.zeros((CAMERA.height, CAMERA.width, 3), np.float32)
    centre = project(pose[:3, 3], CAMERA)
    radius = CAMERA.focal_px * HEAD_RADIUS / -pose[2, 3]
    cv2.circle(image, (int(round(centre[0] * 16)), int(round(centre[1] * 16))), int(round(radius * 16)),
               (0.9, 0.8, 0.7), -1, lineType=cv2.LINE_AA, shift=4)
    return image


@pytest.fixture(scope="module")
def plate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plate")
    write_sequence(folder / "plate.%04d.png", ((int(f), _draw(p)) for f, p in zip(FRAMES, _poses())))
    write_intrinsics(folder / "camera.json", CAMERA)
    write_chan(folder / "head.chan", ChanTrack.from_matrices(FRAMES, _poses()))
    return folder


def _track(poses=None) -> HeadTrack:
    poses = _poses() if poses is None else poses
    n = len(poses)
    return HeadTrack(FRAMES[:n], poses[:, :3, :3], poses[:, :3, 3], (CAMERA,) * n, np.ones(n),
                     np.full(n, "measured", dtype=object))


def test_crops_hold_the_head_at_one_size_and_place(plate, tmp_path):
    out = run(StabilizeConfig(size=SIZE, radius=0.16),
              StabilizeInputs(plate=plate / "plate.%04d.png", fps="24", track=_track(), out_dir=tmp_path / "crops"))
    assert out.cropped == tuple(int(f) for f in FRAMES) and out.flagged == {}
    data = read_stabilized(out.manifest)
    assert data["kind"] == "stabilized_crops" and data["schema_version"] == 1
    radii, centres = [], []
    for record in data["frames"]:
        crop = read_image(record["crop"])
        assert crop.shape[:2] == (SIZE, SIZE)
        mask = crop[..., 0] > 0.45
        radii.append(np.sqrt(mask.sum() / np.pi))
        centres.append(np.argwhere(mask).mean(axis=0))
        assert np.allclose(record["inverse"] @ record["transform"], np.eye(3))
    expected = SIZE / 2 * HEAD_RADIUS / 0.16
    radii = np.array(radii)
    assert radii.std() / radii.mean() < 0.02  # the head's size in the crop holds through the turns
    assert abs(radii.mean() / expected - 1) < 0.06
    assert np.abs(np.array(centres) - (SIZE - 1) / 2).max() < 0.6
    # The crop, put back, lands on the head in the plate.
    first = data["frames"][0]
    back = unstabilize(read_image(first["crop"]), first["transform"], (CAMERA.height, CAMERA.width))
    original = read_image(plate / "plate.1001.png")
    assert np.abs(back[..., 0] - original[..., 0])[original[..., 0] > 0.5].mean() < 0.05


def test_head_behind_the_camera_is_flagged_not_a_crash(plate, tmp_path):
    poses = _poses().copy()
    poses[3, 2, 3] = 1.0
    poses[5, 0, 3] = 40.0
    out = run(StabilizeConfig(size=SIZE), StabilizeInputs(plate=plate / "plate.%04d.png", fps="24", track=_track(poses),
                                                          out_dir=tmp_path / "c"))
    assert out.flagged == {1004: "behind_camera", 1006: "out_of_frame"}
    records = {r["frame"]: r for r in read_stabilized(out.manifest)["frames"]}
    assert records[1004]["crop"] is None and records[1004]["flag"] == "behind_camera"
    assert len(list((tmp_path / "c" / "crops").iterdir())) == len(FRAMES) - 2


def test_a_short_track_stops_with_the_missing_frames_and_writes_nothing(plate, tmp_path):
    inputs = StabilizeInputs(plate=plate / "plate.%04d.png", fps="24", track=_track(_poses()[:9]),
                             out_dir=tmp_path / "c")
    with pytest.raises(InputError, match=r"no pose for 3 of the plate's 12 frames \(1010-1012\).*--fill-missing"):
        run(StabilizeConfig(size=SIZE), inputs)
    assert not (tmp_path / "c").exists()
    out = run(StabilizeConfig(size=SIZE, fill_missing=True), inputs)
    records = read_stabilized(out.manifest)["frames"]
    assert [r["status"] for r in records[-3:]] == ["filled"] * 3 and records[-1]["crop"] is not None


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    verbs = parser.add_subparsers(dest="verb", required=True)
    track_cli.register(verbs)
    stabilize_cli.register(verbs)
    args = parser.parse_args([str(a) for a in argv])
    return args.func(args)


def test_cli_import_export_plot_and_stabilize(plate, tmp_path, capsys):
    assert _cli("track", "import", plate / "head.chan", tmp_path / "t.json", "--intrinsics", plate / "camera.json",
                "--plate", plate / "plate.%04d.png", "--fps", "24") == 0
    assert json.loads(capsys.readouterr().out)["frames"] == len(FRAMES)
    assert _cli("track", "export", tmp_path / "t.json", tmp_path / "head.chan", "--camera-out",
                tmp_path / "cam.chan", "--rotation-order", "yxz") == 0
    assert len((tmp_path / "cam.chan").read_text().splitlines()[0].split()) == 8
    assert _cli("track", "plot", tmp_path / "t.json", tmp_path / "plot.png") == 0
    plot = cv2.imread(str(tmp_path / "plot.png"))
    assert plot is not None and plot.shape[0] > 300
    assert _cli("stabilize", tmp_path / "out", "--plate", plate / "plate.%04d.png", "--track",
                tmp_path / "head.chan", "--intrinsics", plate / "camera.json", "--rotation-order", "YXZ",
                "--size", "96", "--fps", "24") == 0
    assert json.loads(capsys.readouterr().out)["cropped"] == len(FRAMES)
    assert read_image(tmp_path / "out" / "crops" / "crop.1001.png").shape[:2] == (96, 96)
    with pytest.raises(InputError, match="from 64 to 1024"):
        _cli("stabilize", tmp_path / "bad", "--plate", plate / "plate.%04d.png", "--track", tmp_path / "t.json",
             "--size", "2000", "--fps", "24")
    with pytest.raises(InputError, match="unknown setting"):
        from pipeline.config import config_from_dict

        config_from_dict(StabilizeConfig, {"sise": 64}, where="stabilize")


def test_2d_baseline_crops_only_where_a_face_is_found(plate, tmp_path):
    from skimage import data

    face = data.astronaut()[0:256, 96:352].astype(np.float32) / 255.0
    covered = face.copy()
    covered[40:190, 60:200] = 0.5
    frames = [(1001, face), (1002, np.fliplr(face).copy()), (1003, covered), (1004, face)]
    write_sequence(tmp_path / "faces" / "faces.%04d.png", frames)
    poses = _poses()[:4]
    inputs = StabilizeInputs(plate=tmp_path / "faces" / "faces.%04d.png", fps="24", track=_track(poses),
                             out_dir=tmp_path / "baseline")
    out = run(StabilizeConfig(size=SIZE, method="landmarks2d"), inputs)
    assert out.flagged == {1003: "no_face"} and out.cropped == (1001, 1002, 1004)
    records = {r["frame"]: r for r in read_stabilized(out.manifest)["frames"]}
    m = records[1001]["transform"]
    assert m[0, 0] == pytest.approx(m[1, 1]) and m[0, 1] == pytest.approx(-m[1, 0])
    assert records[1004]["transform"] == pytest.approx(m)  # the same face, the same framing
    # On the disk plate (no face anywhere) the baseline has nothing to crop; the 3D pose crops every frame.
    none = run(StabilizeConfig(size=SIZE, method="landmarks2d"),
               StabilizeInputs(plate=plate / "plate.%04d.png", fps="24", track=_track(), out_dir=tmp_path / "n"))
    assert none.cropped == () and set(none.flagged.values()) == {"no_face"}
    with pytest.raises(InputError, match="unknown method 'mtcnn'"):
        StabilizeConfig(method="mtcnn")
