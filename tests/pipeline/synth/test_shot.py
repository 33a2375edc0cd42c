"""shot.toml: paths resolved from the shot folder, clear errors for what is missing or wrong."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.shot import SourceSync, frame_path, load_shot

SHOT = """
schema_version = 1
[shot]
name = "t"
first_frame = 1001
last_frame = 1003
fps = "24000/1001"
plate = "plate/plate.%04d.png"
head_track = "tracks/plate.chan"
camera = "tracks/camera.json"

[cameras]
witness = "tracks/witness.json"

[[sources]]
name = "walk"
identity = "actor"
kind = "walkthrough"
camera = "witness"
clip = "walk/walk.%04d.png"
track = "tracks/walk.chan"
tags = ["serious"]

[truth]
pose = "truth/pose.json"

[train]
steps = 10
"""


def _folder(tmp_path: Path, text: str = SHOT) -> Path:
    for name in ("plate/plate.1001.png", "tracks/plate.chan", "tracks/camera.json", "tracks/witness.json",
                 "walk/walk.1001.png", "tracks/walk.chan", "truth/pose.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / "shot.toml").write_text(text)
    return tmp_path


def test_load_resolves_paths_and_parses_the_stage_tables(tmp_path):
    shot = load_shot(_folder(tmp_path))
    assert shot.fps == Fraction(24000, 1001) and list(shot.frames) == [1001, 1002, 1003]
    assert shot.plate == tmp_path.resolve() / "plate/plate.%04d.png"
    assert frame_path(shot.plate, 1002).name == "plate.1002.png"
    (walk,) = shot.sources_of(identity="actor")
    assert walk.camera == "witness" and walk.tags == ("serious",) and walk.track.is_file()
    assert set(shot.cameras) == {"main", "witness"}
    assert shot.config.train.steps == 10 and shot.truth.pose.is_file() and shot.rotation_order == "ZXY"
    assert shot.config.convert.erode_px == 2 and shot.config.variants == ()  # defaults where a table is absent
    assert shot.audio is None and shot.sound == shot.plate  # a plate's own sound, if it has any


def test_a_sequence_plate_takes_its_sound_from_a_separate_file(tmp_path):
    folder = _folder(tmp_path, SHOT.replace('plate = "plate/plate.%04d.png"\n',
                                            'plate = "plate/plate.%04d.png"\naudio = "plate/music.wav"\n'))
    with pytest.raises(InputError, match="music.wav"):
        load_shot(folder)
    (folder / "plate/music.wav").write_text("x")
    assert load_shot(folder).sound == folder.resolve() / "plate/music.wav"


@pytest.mark.parametrize("table, message", [
    ('[convert]\nerode_px = "two"', r"shot\.toml \[convert\]\.erode_px: expected int"),
    ("[train.loss]\nmouth = true", r"shot\.toml \[train\]\.loss\.mouth: expected float"),
    ('[stabilize]\nmethod = "mtcnn"', r"shot\.toml \[stabilize\]: unknown method 'mtcnn'"),
    ("[fit]\nsize = 0", r"shot\.toml \[fit\]: size and neighbours must be at least 1"),
    ("[dataset]\nsizes = 64", r"shot\.toml \[dataset\]: unknown setting\(s\) sizes"),
    ('[[variants]]\nname = "a"\nmodel = "rigid"\nperformance = 2.0', r"\[\[variants\]\] #1: performance 2\.0"),
    ('[[variants]]\nname = "a"\nmodel = "rigid"\n[[variants]]\nname = "a"\nmodel = "loose"', "'a' defined twice"),
])
def test_a_bad_setting_names_its_table_and_key_when_the_shot_is_read(tmp_path, table, message):
    with pytest.raises(InputError, match=message):
        load_shot(_folder(tmp_path, SHOT + "\n" + table + "\n"))


def test_settings_laid_over_a_table_are_checked_as_the_table_is(tmp_path):
    shot = load_shot(_folder(tmp_path))
    smaller = shot.with_settings(dataset={"size": 64}, train={"fit_steps": None})
    assert smaller.config.dataset.size == 64 and smaller.config.train == shot.config.train
    with pytest.raises(InputError, match=r"\[dataset\].*from 64 to 1024"):
        shot.with_settings(dataset={"size": 3})


@pytest.mark.parametrize("written", ['"23.976"', "23.976", '"24000/1001"'])
def test_shot_fps_is_read_as_clips_read_it(tmp_path, written):
    """One parser for every fps: a shot.toml's 23.976 is the exact NTSC rate, as a clip's would be."""
    from pipeline.media.fps import parse_fps

    shot = load_shot(_folder(tmp_path, SHOT.replace('fps = "24000/1001"', f"fps = {written}")))
    assert shot.fps == Fraction(24000, 1001) == parse_fps("23.976")


def test_a_source_says_when_its_frames_happen_on_the_plate(tmp_path):
    text = SHOT.replace('tags = ["serious"]', 'sync = {frame = 1, plate_frame = 1001, rate = 0.5}')
    (walk,) = load_shot(_folder(tmp_path, text)).sources
    assert walk.sync == SourceSync(frame=1, plate_frame=1001, rate=0.5)
    assert walk.sync.plate_time(1) == 1001 and walk.sync.plate_time(4) == 1002.5  # half speed
    (plain,) = load_shot(_folder(tmp_path)).sources
    assert plain.sync is None


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('head_track = "tracks/plate.chan"\n', ""), "missing key 'head_track'"),
    (lambda t: t.replace("plate/plate.%04d.png", "plate/other.%04d.png"), "no frame of this sequence"),
    (lambda t: t.replace("tracks/walk.chan", "tracks/walk.txt"), "a head track is a .chan or a head_track .json"),
    (lambda t: t.replace('identity = "actor"', 'identity = "stunt"'), "identity 'stunt'"),
    (lambda t: t.replace('camera = "witness"', 'camera = "crane"'), "camera 'crane'"),
    (lambda t: t.replace('fps = "24000/1001"', 'fps = "fast"'), "fps 'fast' is not a number"),
    (lambda t: t + "\n[extra]\n", "unknown table(s) extra"),
    (lambda t: t.replace('tags = ["serious"]', 'sync = {frame = 1001, plate_frame = "start"}'),
     "'plate_frame' must be a frame number"),
    (lambda t: t.replace('tags = ["serious"]', 'sync = {frame = 1001, plate_frame = 1001, rate = 0}'),
     "0.5 for a half-speed walkthrough"),
    (lambda t: t.replace('tags = ["serious"]', 'sync = {frame = 1001, plate_frame = 1001, speed = 2}'),
     "unknown key(s) speed"),
    (lambda t: t.replace('tags = ["serious"]', 'sync = 1001'), "expected a table"),
])
def test_errors_name_the_problem(tmp_path, edit, message):
    folder = _folder(tmp_path, edit(SHOT))
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_shot(folder)


def test_missing_shot_file(tmp_path):
    with pytest.raises(InputError, match="no such shot file"):
        load_shot(tmp_path)
