"""`facereplace shot init` on generated clips of real photographs (scikit-image's astronaut, matplotlib's Grace
Hopper): a shot that loads and is tracked, frame numbers kept, and a clear error, with nothing left half-written,
for each kind of bad input."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.cli import main
from pipeline.media.sequence import write_sequence
from pipeline.shot import load_shot


def _photo(name: str) -> np.ndarray:
    if name == "astronaut":
        from skimage.data import astronaut

        image = astronaut()
    else:
        import matplotlib.cbook
        from PIL import Image

        image = np.asarray(Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    return image[:, :, :3].astype(np.float32) / 255.0


def _clip(folder: Path, name: str, photo: str, frames: range) -> Path:
    """A short sequence of a photograph drifting a few pixels a frame (a head that moves a little)."""
    image = _photo(photo)
    write_sequence(folder / f"{name}.%04d.png",
                   [(f, np.roll(image, 2 * (f - frames.start), axis=1)) for f in frames])
    return folder / f"{name}.%04d.png"


def _init(tmp_path, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["shot", "init", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def footage(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("footage")
    return {"plate": _clip(folder, "plate", "astronaut", range(1001, 1009)),
            "walk": _clip(folder, "walk", "astronaut", range(1, 5)),
            "close": _clip(folder, "close", "astronaut", range(11, 15)),
            "hopper": _clip(folder, "hopper", "hopper", range(1, 5))}


def test_init_makes_a_tracked_shot_that_keeps_the_plate_frame_numbers(tmp_path, capsys, footage):
    shot_dir = tmp_path / "sh010"
    code, out, err = _init(tmp_path, capsys, shot_dir, "--plate", footage["plate"], "--frames", "1003-1006", "--fps",
                           "25", "--lens", "35,36,24", "--actor-source", f"walk={footage['walk']}",
                           "--actor-source", f"close={footage['close']}", "--sync", "walk=1:1003:0.5")
    assert code == 0, err
    summary = json.loads(out)["sources"]
    assert set(summary) == {"plate", "walk", "close"}
    assert summary["plate"] == {**summary["plate"], "frames": 4, "first": 1003, "last": 1006, "lens": "given",
                                "flagged": 0}
    assert summary["plate"]["measured"] == 4 and summary["walk"]["measured"] == 4
    # no lens given for walk and nothing in a PNG's metadata: estimated from the face, and said so, never silent
    walk_camera = json.loads((shot_dir / "tracks" / "camera_walk.json").read_text())
    assert summary["walk"]["lens"] == walk_camera["lens"] == "estimated"
    assert summary["walk"]["focal_mm"] == round(walk_camera["focal_mm"], 2) and walk_camera["width"] == 512
    assert f"walk: lens estimated ({walk_camera['focal_mm']:.0f} mm on 36x36 mm)" in err
    assert json.loads((shot_dir / "tracks" / "walk.json").read_text())["lens"] == "estimated"
    shot = load_shot(shot_dir)
    assert (shot.first_frame, shot.last_frame) == (1003, 1006)
    assert sorted(p.name for p in (shot_dir / "plate").iterdir()) == [f"plate.{f}.png" for f in range(1003, 1007)]
    assert shot.head_track.is_file() and all(s.track.is_file() for s in shot.sources)
    assert (shot_dir / "work" / "track.json").is_file()
    walk = next(s for s in shot.sources if s.name == "walk")
    assert walk.identity == "actor" and walk.sync.plate_frame == 1003 and walk.sync.rate == 0.5
    assert json.loads(shot.camera.read_text())["focal_mm"] == 35.0
    text = (shot_dir / "shot.toml").read_text()
    assert "# [track]" in text and "# max_abs_yaw = 72.0" in text and "docs/settings.md" in text
    assert "walk = \"tracks/camera_walk.json\"  # lens ESTIMATED from the face" in text and "ASSUMED" not in text
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left beside it


def test_track_solve_makes_the_tracks_a_shot_names_but_lacks(tmp_path, capsys, footage):
    shot_dir = tmp_path / "sh"
    made = _init(tmp_path, capsys, shot_dir, "--plate", footage["plate"], "--fps", "25", "--frames", "1001-1004")
    assert made[0] == 0
    for track in ("tracks/plate.json", "work/track.json"):
        (shot_dir / track).unlink()
    assert main(["track", "solve", str(shot_dir)]) == 0
    solved = json.loads(capsys.readouterr().out)
    assert solved["solved"]["plate"]["measured"] == 4 and (shot_dir / "work" / "track.json").is_file()
    # solved again through the camera init estimated: the track still says the lens was estimated
    assert solved["solved"]["plate"]["lens"] == "estimated"


@pytest.mark.parametrize("args, message", [
    (["--frames", "990-1004"], r"plate\.%04d\.png: frames 990-1004 are outside the plate's 1001-1008; give --frames"),
    (["--lens", "35mm"], r"--lens '35mm': not a lens; give focal_mm,film_back_w,film_back_h"),
    (["--actor-source", "walk=WALK", "--sync", "walk=1"], r"--sync walk=1: give FRAME:PLATE_FRAME"),
    (["--actor-source", "walk=NOWHERE.mov"], r"nowhere\.mov: no such file"),
])
def test_bad_input_is_one_clear_error_and_no_folder(tmp_path, capsys, footage, args, message):
    import re

    args = [a.replace("WALK", str(footage["walk"])).replace("NOWHERE", str(tmp_path / "nowhere")) for a in args]
    code, _, err = _init(tmp_path, capsys, tmp_path / "sh", "--plate", footage["plate"], "--fps", "25", *args)
    assert code == 1 and re.search(message, err), err
    assert not (tmp_path / "sh").exists()


def test_an_unreadable_video_is_named(tmp_path, capsys):
    fake = tmp_path / "plate.mp4"
    fake.write_text("not a video")
    code, _, err = _init(tmp_path, capsys, tmp_path / "sh", "--plate", fake)
    assert code == 1 and str(fake) in err and not (tmp_path / "sh").exists()


def test_a_plate_with_no_face_keeps_the_previous_shot(tmp_path, capsys, footage):
    shot_dir = tmp_path / "sh"
    made = _init(tmp_path, capsys, shot_dir, "--plate", footage["plate"], "--fps", "25", "--frames", "1001-1003")
    assert made[0] == 0
    before = (shot_dir / "shot.toml").read_text()
    write_sequence(tmp_path / "empty.%04d.png", [(f, np.full((64, 64, 3), 0.5, np.float32)) for f in range(1, 4)])
    code, _, err = _init(tmp_path, capsys, shot_dir, "--plate", tmp_path / "empty.%04d.png", "--fps", "25",
                         "--replace")
    assert code == 1 and f"{tmp_path / 'empty.%04d.png'}: track solve: no face found in any of its 3 frames" in err, err
    assert "where the dancer's face is seen" in err
    assert (shot_dir / "shot.toml").read_text() == before
    code, _, err = _init(tmp_path, capsys, shot_dir, "--plate", footage["plate"], "--fps", "25")
    assert code == 1 and "already a shot" in err and "--replace" in err


def test_an_actor_source_of_another_person_is_named(tmp_path, capsys, footage):
    code, _, err = _init(tmp_path, capsys, tmp_path / "sh", "--plate", footage["plate"], "--fps", "25", "--frames",
                         "1001-1003", "--actor-source", f"walk={footage['walk']}", "--actor-source",
                         f"close={footage['close']}", "--actor-source", f"interview={footage['hopper']}")
    assert code == 1 and "actor source interview shows another person than close, walk" in err, err
    assert not (tmp_path / "sh").exists()


def test_a_video_plate_is_trimmed_into_frames_numbered_as_the_plate(tmp_path, capsys, footage):
    from pipeline.media.clip import open_clip
    from pipeline.media.review import make_review_clip

    video = tmp_path / "plate.mp4"
    make_review_clip(footage["plate"], video, first_frame=1001, fps="25")
    code, out, err = _init(tmp_path, capsys, tmp_path / "sh", "--plate", video, "--first-frame", "2001",
                           "--frames", "2003-2005", "--lens", "35,36,24")
    assert code == 0, err
    shot = load_shot(tmp_path / "sh")
    assert (shot.first_frame, shot.last_frame) == (2003, 2005) and shot.fps == 25
    with open_clip(shot.plate, fps=shot.fps) as plate, open_clip(video, first_frame=2001) as source:
        assert plate.frame_range == range(2003, 2006)
        assert np.abs(plate.read(2004) - source.read(2004)).max() < 2 / 255  # the same frame, by its number
    assert json.loads(out)["sources"]["plate"]["measured"] == 3
