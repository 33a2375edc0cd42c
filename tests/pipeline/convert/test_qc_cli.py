"""QC's anomaly score on deliberately broken frames, pose distance, and the convert verb on a real checkpoint."""
from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.convert.qc import anomaly_scores, pose_distance


@pytest.fixture(scope="module")
def pirouette_crops(identity_shot):
    """The plate's head crops (64²) and their poses over the two turns."""
    from pipeline.media.clip import open_clip
    from pipeline.stabilize.crop import crop_transform, stabilize_frame
    from pipeline.track.load import load_head_track

    track = load_head_track(identity_shot.head_track, intrinsics=identity_shot.camera)
    poses = track.transforms()
    with open_clip(identity_shot.plate, fps=identity_shot.fps) as clip:
        crops = np.stack([stabilize_frame(clip.read(int(f)), crop_transform(poses[i], track.intrinsics[i], size=64,
                                                                             radius=0.16), 64)
                          for i, f in enumerate(track.frames)])
    return crops, track.yaw_pitch_roll()


def test_anomaly_ranks_broken_frames_above_intact_ones(pirouette_crops):
    crops, ypr = pirouette_crops
    rng = np.random.default_rng(0)
    hits, total = 0, 0
    for _ in range(4):
        broken = crops.copy()
        bad = rng.choice(np.arange(2, len(crops) - 2), 6, replace=False)
        for n, i in enumerate(bad):
            if n % 3 == 0:  # the face where the pose shows the back of the head (the crop half a turn away)
                j = int(np.argmin(np.abs((ypr[:, 0] - ypr[i, 0]) % 360 - 180)))
                broken[i] = crops[j]
            elif n % 3 == 1:  # a dark hole where features should be
                broken[i, 24:40, 22:42] *= 0.25
            else:  # the head flipped and shifted
                broken[i] = np.roll(crops[i][:, ::-1], 6, axis=0)
        scores = anomaly_scores(broken, ypr)
        top = np.argsort(scores)[-len(bad):]
        hits, total = hits + len(set(top.tolist()) & set(bad.tolist())), total + len(bad)
    assert hits / total >= 0.8, hits / total
    intact = anomaly_scores(crops, ypr)
    assert intact.max() < 4.0  # nothing flagged on the clean shot at the default threshold


def test_anomaly_is_on_a_fixed_scale_that_a_still_shot_does_not_blow_up():
    """A locked-off head whose swap barely changes (the talking head that once read a maximum of 999236): an
    invisible change stays well under the threshold, a real break reaches the cap, nothing leaves 0..10."""
    from pipeline.convert.qc import ANOMALY_CAP

    rng = np.random.default_rng(1)
    face = rng.uniform(0.2, 0.8, (1, 64, 64, 3)).astype(np.float32)
    still = np.repeat(face, 40, axis=0) + rng.normal(0, 0.002, (40, 64, 64, 3)).astype(np.float32)
    ypr = np.zeros((40, 3))
    assert anomaly_scores(still, ypr).max() < 1.0
    blip = np.repeat(face, 40, axis=0)
    blip[20] += 0.01  # 2.5 of 255 levels, for one frame
    assert anomaly_scores(blip, ypr).max() < 4.0
    broken = still.copy()
    broken[20, 16:40, 16:40] = 0.0
    scores = anomaly_scores(broken, ypr)
    assert scores[20] == ANOMALY_CAP and np.argmax(scores) == 20
    assert 0.0 <= scores.min() and scores.max() <= ANOMALY_CAP


def test_a_snapping_models_runs_of_one_face_flag_nothing():
    """The rigid model draws one actor frame for runs of plate frames, then the next (the real talking clip): most
    residuals are exactly 0, and an ordinary change from one actor frame to another is not a broken frame."""
    rng = np.random.default_rng(2)
    faces = rng.uniform(0.2, 0.8, (1, 64, 64, 3)).astype(np.float32) + np.linspace(0, 0.3, 4)[:, None, None, None]
    runs = np.repeat(faces, 10, axis=0)  # four actor frames, ten plate frames each
    ypr = np.stack([np.linspace(0, 40, 40), np.zeros(40), np.zeros(40)], axis=1)
    assert anomaly_scores(runs, ypr).max() < 4.0


def test_pose_distance_is_the_angle_to_the_nearest_training_pose():
    training = np.array([[0.0, 0.0, 0.0], [90.0, 0.0, 0.0]])
    d = pose_distance(np.array([[10.0, 0.0, 0.0], [60.0, 0.0, 0.0], [180.0, 0.0, 0.0], [0.0, 20.0, 0.0]]), training)
    np.testing.assert_allclose(d, [10.0, 30.0, 90.0, 20.0], atol=1e-6)


def test_convert_verb_runs_a_trained_checkpoint(identity_shot, tmp_path, capsys):
    from pipeline.cli import main
    from pipeline.convert.converted import read_converted
    from pipeline.models import create_model
    from pipeline.train.checkpoint import save_checkpoint
    from tests.pipeline.convert.conftest import shot_with

    model = create_model("loose", size=64, width=8, latent_dim=16)
    save_checkpoint(tmp_path / "ckpt", {"stage": "fit", "step": 0, "complete": True,
                                        "model": model.spec, "config": {}, "manifest_hash": "f00d", "facesets": {},
                                        "metrics": {"losses": []}, "model_state": model.state_dict()})
    shot = shot_with(identity_shot.plate.parent.parent, tmp_path / "shot",
                     f'[convert]\nreview_clip = true\n\n[[variants]]\nname = "loose_a"\nmodel = "loose"\n'
                     f'checkpoint = "{tmp_path / "ckpt"}"\n')
    assert main(["convert", str(shot.root), "--variant", "loose_a"]) == 0
    printed = json.loads(capsys.readouterr().out)
    data = read_converted(printed["manifest"])
    assert data.record["faceset_hash"] == "f00d" and data.record["model"] == "loose"
    assert len(data.qc) == len(shot.frames) and printed["review_variant"]

    assert main(["convert", str(shot.root), "--variant", "tight"]) == 1
    assert "no [[variants]] table named 'tight'" in capsys.readouterr().err

