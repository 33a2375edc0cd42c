from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import InputError
from pipeline.geometry import ROTATION_ORDERS
from pipeline.track.chan import ChanTrack, read_chan, write_chan
from tests.pipeline.track.helpers import FRAMES, moving_camera, relative_pose


@pytest.mark.parametrize("order", ROTATION_ORDERS)
def test_object_and_camera_round_trip_every_order(tmp_path, order):
    head = relative_pose()
    write_chan(tmp_path / "head.chan", ChanTrack.from_matrices(FRAMES, head, rotation_order=order))
    back = read_chan(tmp_path / "head.chan", rotation_order=order)
    assert list(back.frames) == list(FRAMES)
    assert np.abs(back.matrices() - head).max() < 1e-5
    if order[1] != "Y":  # a spin about the middle axis passes gimbal lock, where no Euler curve is smooth
        # Angles are continuous across the two turns, so Nuke's curves do not spin back between keys.
        assert np.abs(np.diff(back.rotation_deg, axis=0)).max() < 30.0

    camera = moving_camera()
    vfov = np.linspace(30.0, 40.0, len(FRAMES))
    write_chan(tmp_path / "cam.chan", ChanTrack.from_matrices(FRAMES, camera, rotation_order=order, vfov_deg=vfov))
    assert len((tmp_path / "cam.chan").read_text().splitlines()[0].split()) == 8
    cam = read_chan(tmp_path / "cam.chan", rotation_order=order, kind="camera")
    assert np.abs(cam.matrices() - camera).max() < 1e-5
    assert np.allclose(cam.vfov_deg, vfov, atol=1e-5)


def test_reading_with_another_order_gives_another_rotation(tmp_path):
    write_chan(tmp_path / "h.chan", ChanTrack.from_matrices(FRAMES[10:13], relative_pose()[10:13],
                                                            rotation_order="XYZ"))
    xyz = read_chan(tmp_path / "h.chan", rotation_order="XYZ").matrices()
    zxy = read_chan(tmp_path / "h.chan", rotation_order="ZXY").matrices()
    assert np.abs(xyz - zxy).max() > 0.01


@pytest.mark.parametrize("line, kind, message", [
    ("1001 0 0 0 0 0", "object", r"6 columns; an object .chan needs 7 \(frame tx ty tz rx ry rz\)"),
    ("1001 0 0 0 0 0 0 45", "object", r"8 columns; an object .chan needs 7 \(frame tx ty tz rx ry rz\)"),
    ("1001 0 0 0 0 0 0 45 1", "camera", r"9 columns; a camera .chan needs 7 .* or 8 \(frame tx ty tz rx ry rz vfov\)"),
    ("1001 0 0 nan 0 0 0", "object", "NaN or infinite value at frame 1001"),
    ("1001 0 0 0 inf 0 0", "object", "NaN or infinite value at frame 1001"),
    ("1001 0 0 zero 0 0 0", "object", "not numbers"),
    ("1001.5 0 0 0 0 0 0", "object", "not a whole frame"),
    ("1001 0 0 0 0 0 0 190", "camera", "vertical FOV outside"),
])
def test_bad_chan_lines_are_named(tmp_path, line, kind, message):
    path = tmp_path / "bad.chan"
    path.write_text(f"1000 0 0 0 0 0 0{' 40' if kind == 'camera' and len(line.split()) == 8 else ''}\n{line}\n")
    with pytest.raises(InputError, match=message) as info:
        read_chan(path, kind=kind)
    assert "bad.chan" in str(info.value)


def test_mixed_column_counts_duplicates_and_unknown_order(tmp_path):
    path = tmp_path / "cam.chan"
    path.write_text("1001 0 0 0 0 0 0 40\n1002 0 0 0 0 0 0\n")
    with pytest.raises(InputError, match=r"cam.chan:2: 7 columns where earlier lines have 8"):
        read_chan(path, kind="camera")
    path.write_text("1001 0 0 0 0 0 0\n1001 0 0 0 0 0 0\n")
    with pytest.raises(InputError, match="1001 appear more than once"):
        read_chan(path)
    with pytest.raises(InputError, match="unknown rotation order 'ZZY'"):
        read_chan(path, rotation_order="ZZY")
    path.write_text("# nothing\n\n")
    with pytest.raises(InputError, match="no frames"):
        read_chan(path)
