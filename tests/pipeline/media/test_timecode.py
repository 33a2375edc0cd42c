"""Timecode as editorial counts it, drop-frame included; the player is checked against the same fixture
(tests/fixtures/timecodes.json, frontend/test/timecode.test.ts) so a typed label seeks where the render counts."""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.errors import MediaError
from pipeline.media.timecode import (
    check_timecode, count_to_timecode, frame_to_timecode, timecode_to_count, timecode_to_frame,
)

FIXTURE = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "timecodes.json").read_text())


@pytest.mark.parametrize("case", FIXTURE["counts"], ids=lambda c: f"{c['fps']}-{c['label']}")
def test_a_frame_count_and_its_label_convert_both_ways(case):
    fps = Fraction(case["fps"])
    assert count_to_timecode(case["count"], fps, drop=case["drop"]) == case["label"]
    assert timecode_to_count(case["label"], fps) == case["count"]


@pytest.mark.parametrize("case", FIXTURE["shots"], ids=lambda c: f"{c['fps']}-{c['start']}-{c['frame']}")
def test_a_shot_frame_shows_its_label_and_the_label_finds_the_frame(case):
    fps, first, start = Fraction(case["fps"]), case["first"], case["start"]
    assert frame_to_timecode(case["frame"], first=first, start=start, fps=fps) == case["label"]
    assert timecode_to_frame(case["label"], first=first, start=start, fps=fps) == case["frame"]


@pytest.mark.parametrize("case", FIXTURE["typed"], ids=lambda c: f"{c['fps']}-{c['text']}")
def test_a_typed_label_finds_its_frame_whichever_separator(case):
    frame = timecode_to_frame(case["text"], first=case["first"], start=case["start"], fps=Fraction(case["fps"]))
    assert frame == case["frame"]


@pytest.mark.parametrize("case", FIXTURE["invalid"], ids=lambda c: f"{c['fps']}-{c['text']}")
def test_a_label_that_cannot_exist_is_refused_with_a_reason(case):
    with pytest.raises(MediaError, match="timecode|out of range|does not exist"):
        timecode_to_count(case["text"], Fraction(case["fps"]))


def test_every_drop_frame_label_of_a_day_round_trips_and_skips_only_the_dropped_labels():
    fps = Fraction(30000, 1001)
    labels = [count_to_timecode(n, fps, drop=True) for n in range(0, 107892 * 2)]
    assert len(set(labels)) == len(labels)
    assert all(timecode_to_count(label, fps) == n for n, label in enumerate(labels))
    skipped = {f"00:{m:02d}:00;0{f}" for m in range(60) if m % 10 for f in (0, 1)}
    assert not skipped & set(labels)


def test_timecode_wraps_at_midnight():
    fps = Fraction(30000, 1001)
    assert count_to_timecode(timecode_to_count("23:59:59;29", fps) + 1, fps, drop=True) == "00:00:00;00"


def test_a_stored_start_timecode_is_canonical_and_checked_against_the_rate():
    assert check_timecode("1:00:00.00", Fraction(30000, 1001)) == "01:00:00;00"
    assert check_timecode("01:00:00:00", Fraction(24000, 1001)) == "01:00:00:00"
    with pytest.raises(MediaError, match="shot.toml: drop-frame"):
        check_timecode("01:00:00;00", Fraction(25), source="shot.toml")


def _exr_plate(folder: Path, *, hours: int, seconds: int, frame: int, drop: bool, fps: str) -> Path:
    """Three EXR frames whose first header carries a timeCode, as cameras, Resolve and Nuke write it."""
    import numpy as np
    import OpenEXR

    tc = OpenEXR.TimeCode()
    tc.hours, tc.seconds, tc.frame, tc.dropFrame = hours, seconds, frame, drop
    for n in (1001, 1002, 1003):
        header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage,
                  "framesPerSecond": Fraction(fps)}
        if n == 1001:
            header["timeCode"] = tc
        channels = {c: OpenEXR.Channel(np.full((8, 8), 0.18, np.float32)) for c in "RGB"}
        OpenEXR.File(header, channels).write(str(folder / f"plate.{n:04d}.exr"))
    return folder / "plate.%04d.exr"


@pytest.mark.parametrize("fps, drop, expected", [("24000/1001", False, "01:00:10:12"),
                                                 ("30000/1001", True, "01:00:10;12")])
def test_an_exr_plates_header_timecode_is_its_start_timecode(tmp_path, fps, drop, expected):
    from pipeline.media.clip import open_clip
    from pipeline.media.probe import probe

    plate = _exr_plate(tmp_path, hours=1, seconds=10, frame=12, drop=drop, fps=fps)
    with open_clip(plate) as clip:
        assert clip.timecode == expected
    assert probe(plate)["timecode"] == expected


def test_an_exr_timecode_that_cannot_exist_at_the_plates_rate_is_left_out(tmp_path, caplog):
    from pipeline.media.clip import open_clip

    plate = _exr_plate(tmp_path, hours=1, seconds=0, frame=27, drop=False, fps="24")  # no frame 27 at 24 fps
    with open_clip(plate) as clip:
        assert clip.timecode == ""
    assert "timecode is ignored" in caplog.text
