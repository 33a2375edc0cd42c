"""`facereplace synth`: a complete shot whose files agree with each other and with the truth, same bytes
for the same seed, and faces a face tracker finds where the truth says they face the lens."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.cg.passes import read_passes
from pipeline.cg.render import STANDARD_PASSES
from pipeline.cli import main
from pipeline.geometry import project, yaw_pitch_roll
from pipeline.media.image import read_image
from pipeline.shot import SourceSync, frame_path, load_shot
from pipeline.track.chan import read_chan
from pipeline.track.load import read_intrinsics

FRAMES = 48  # tests/pipeline/conftest.py SMALL


@pytest.fixture(scope="module")
def shot(pirouette_shot):
    return load_shot(pirouette_shot)


def _truth(path: Path) -> list[dict]:
    return json.loads(path.read_text())["frames"]


def test_shot_toml_describes_every_part(shot):
    assert list(shot.frames) == list(range(1001, 1001 + FRAMES)) and str(shot.fps) == "24000/1001"
    assert {s.name for s in shot.sources} == {"plate", "walkthrough_main", "walkthrough_witness_left",
                                              "walkthrough_witness_right", "rig"}
    assert {s.kind for s in shot.sources_of(identity="actor")} == {"walkthrough", "rig"}
    for source in shot.sources:
        track = read_chan(source.track)
        assert all(frame_path(source.clip, f).is_file() for f in track.frames), source.name
        assert shot.cameras[source.camera].is_file()
    walk = read_chan(shot.root / "tracks" / "walkthrough_main.chan")
    assert len(walk.frames) == 2 * FRAMES  # the same choreography at half speed
    assert (shot.root / "plate" / "plate.mp4").is_file()


def test_plate_track_is_two_full_turns_and_matches_the_truth(shot):
    track = read_chan(shot.head_track)
    truth = _truth(shot.truth.pose)
    yaw = yaw_pitch_roll(track.matrices()[:, :3, :3])[:, 0]
    np.testing.assert_allclose(np.cos(np.radians(yaw - [f["yaw"] for f in truth])), 1.0, atol=1e-6)
    assert track.rotation_deg[-1, 1] - track.rotation_deg[0, 1] > 700  # continuous ry over two turns
    assert [f["frame"] for f in truth] == list(track.frames)


def test_track_projects_onto_the_rendered_head(shot):
    track = read_chan(shot.head_track)
    intrinsics = read_intrinsics(shot.camera)
    for frame, transform in zip(track.frames[::6], track.matrices()[::6]):
        matte = read_image(frame_path(shot.truth.matte, frame))[..., 0]
        ys, xs = np.nonzero(matte > 0.5)
        u, v = project(transform[:3, 3], intrinsics)  # the skull centre
        assert xs.min() < u < xs.max() and ys.min() < v < ys.max()
        assert abs(u - xs.mean()) < 0.2 * (xs.max() - xs.min())


def test_performances_differ_as_the_mission_says(shot):
    plate = _truth(shot.truth.pose)
    assert max(f["mouth_open"] for f in plate) > 0.5 and min(f["mouth_open"] for f in plate) == 0
    seen = [f for f in plate if abs((f["yaw"] + 180) % 360 - 180) < 30]
    assert any(f["teeth_visible"] for f in seen) and not all(f["teeth_visible"] for f in seen)
    assert not any(f["teeth_visible"] for f in plate if abs(f["yaw"]) > 150)  # no teeth on the back of the head
    walk = _truth(shot.root / "truth" / "walkthrough_main.json")
    assert not any(f["teeth_shown"] or f["smile"] for f in walk)  # serious: no smile, no teeth
    assert 0.45 < max(f["mouth_open"] for f in walk) <= 0.7  # saying her line, the mouth never wide
    # the walkthroughs follow the plate at half speed, and shot.toml says so
    assert {s.name: s.sync for s in shot.sources if s.kind == "walkthrough"} == {
        f"walkthrough_{cam}": SourceSync(frame=shot.first_frame, plate_frame=shot.first_frame, rate=0.5)
        for cam in ("main", "witness_left", "witness_right")}
    assert all(s.sync is None for s in shot.sources if s.kind != "walkthrough")
    rig = _truth(shot.root / "truth" / "rig.json")
    assert {round(f["pitch"]) for f in rig} == {-20, 0, 20}
    assert any(f["teeth_visible"] and f["smile"] == 1 for f in rig)  # toothy smiles for curation to prune
    # the rig's talking range of motion: the actor's own open mouth, facing the camera, for the loose model
    assert sum(1 for f in rig if f["mouth_open"] >= 0.5 and abs(f["yaw"]) < 30 and abs(f["pitch"]) < 1) >= 3


def test_truth_images_and_cg_passes(shot):
    frame = shot.first_frame + 3
    rigid, loose, plate = (read_image(frame_path(p, frame)) for p in (shot.truth.rigid, shot.truth.loose, shot.plate))
    assert rigid.shape == loose.shape == plate.shape == (128, 128, 3)
    assert np.abs(rigid - plate).mean() > 0.01  # the actor's head, not the dancer's
    passes = read_passes(frame_path(shot.cg_passes, frame))
    assert set(passes) == set(STANDARD_PASSES)
    matte = passes["matte"] > 0.5
    assert matte.sum() > 500 and np.all(passes["beauty"][~(passes["matte"] > 0)] == 0)  # a bald head on black


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_and_noise_only_in_the_track(tmp_path, capsys):
    args = ["--preset", "bow", "--size", "64", "--frames", "8", "--seed", "3"]
    assert main(["synth", str(tmp_path / "a"), *args]) == 0
    assert main(["synth", str(tmp_path / "b"), *args]) == 0
    a, b = _hashes(tmp_path / "a"), _hashes(tmp_path / "b")
    assert a == b and len(a) > 100
    assert main(["synth", str(tmp_path / "n"), *args, "--noise", "2"]) == 0
    n = _hashes(tmp_path / "n")
    changed = {k for k in a if a[k] != n.get(k)}
    assert changed == {"tracks/plate.chan", "synth.json", "shot.toml"}
    exact, noisy = read_chan(tmp_path / "a/tracks/plate.chan"), read_chan(tmp_path / "n/tracks/plate.chan")
    assert 0.5 < np.std(noisy.rotation_deg - exact.rotation_deg) < 4


def test_bad_arguments_are_clear_errors(tmp_path, capsys):
    assert main(["synth", str(tmp_path / "x"), "--size", "16"]) == 1
    assert "--size 16" in capsys.readouterr().err
    assert main(["synth", str(tmp_path / "x"), "--frames", "3"]) == 1
    assert "at least 8 frames" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("preset", ["pirouette", "fouette", "bow", "closeup"])
def test_head_track_camera_and_world_track_describe_the_same_instant(synth_shot_factory, preset):
    """camera.chan @ plate.chan == plate_world.chan on every frame: all three are sampled at the frame's time."""
    from pipeline.track.chan import read_chan

    shot = synth_shot_factory(preset, size=64, frames=8)
    head = read_chan(shot / "tracks" / "plate.chan").matrices()
    camera = read_chan(shot / "tracks" / "camera.chan", kind="camera").matrices()
    world = read_chan(shot / "tracks" / "plate_world.chan").matrices()
    np.testing.assert_allclose(camera @ head, world, atol=1e-4)


def test_every_render_of_a_shot_is_finite(synth_shot_factory):
    """Seed 7 once rounded dot(N, V) above 1 on frame 1014, and the rim's pow() turned the CG beauty to NaN."""
    from pipeline.media.image import read_exr

    shot = synth_shot_factory("pirouette", seed=7)
    for path in sorted((shot / "cg").glob("*.exr")):
        bad = [name for name, channel in read_exr(path).items() if not np.isfinite(channel).all()]
        assert not bad, f"{path.name}: non-finite {bad}"


def test_the_closeup_is_about_the_face(synth_shot_factory):
    """The talking close-up: the face fills the frame and stays turned towards the lens while the mouth moves."""
    shot = synth_shot_factory("closeup", size=64, frames=8)
    plate = _truth(shot / "truth" / "pose.json")
    assert all(abs(f["yaw"]) < 45 for f in plate)
    assert len({f["mouth_open"] for f in plate}) > 2
    assert min(f["matte_area"] for f in plate) > 0.2 * 64 * 64
