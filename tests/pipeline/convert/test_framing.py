"""Conversion of a shot framed by the 2D landmark baseline ([stabilize] method = "landmarks2d"): frames where
no face is found keep the plate and say why, the others are cut the baseline's way."""
from __future__ import annotations

import json

import numpy as np

from pipeline.convert import ConvertInputs, read_converted, run
from pipeline.media.image import read_image
from pipeline.shot import frame_path
from pipeline.stabilize.crop import crop_transform
from pipeline.track.load import load_head_track
from tests.pipeline.convert.conftest import IdentitySwapper, shot_with


def test_2d_baseline_swaps_only_frames_with_a_face(pirouette_shot, tmp_path):
    shot = shot_with(pirouette_shot, tmp_path / "shot", '[stabilize]\nmethod = "landmarks2d"\n\n[convert]\n'
                     'motion_blur = false\n\n[[variants]]\nname = "same"\nmodel = "identity"\n')
    config = shot.config.convert
    out = tmp_path / "convert"
    run(config, ConvertInputs(shot=shot, framing=shot.config.stabilize, variant=shot.variant("same"),
                              swapper=IdentitySwapper(64), out_dir=out))
    data = read_converted(out)
    yaw = {r["frame"]: abs(r["yaw"]) for r in json.loads(shot.truth.pose.read_text())["frames"]}
    status = {r.frame: r.status for r in data.frames}

    back = [f for f in shot.frames if yaw[f] > 120]
    assert back and all(status[f] == "no_face" for f in back)
    swapped = [f for f in shot.frames if status[f] == "swapped"]
    assert swapped and all(yaw[f] < 120 for f in swapped)
    for frame in back[:3]:  # the plate, untouched
        comp = read_image(out / frame_path(data["comp"], frame))[..., :3]
        plate = read_image(frame_path(shot.plate, frame))[..., :3]
        assert np.abs(comp - plate).max() < 1e-3
    # a swapped frame's crop is the baseline's, not the pose's
    track = load_head_track(shot.head_track, intrinsics=shot.camera, rotation_order=shot.rotation_order)
    i = track.index(swapped[0])
    pose = crop_transform(track.transforms()[i], track.intrinsics[i], size=64, radius=0.16)
    record = data.by_frame[swapped[0]]
    assert np.abs(np.asarray(record.transform) - pose).max() > 1.0
