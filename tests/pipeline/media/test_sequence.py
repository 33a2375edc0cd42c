"""Sequences: the four ways frames are named, frames found on disk, gaps and mixed sizes caught, atomic writes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import MediaError
from pipeline.media.image import read_image, write_image
from pipeline.media.sequence import find_sequence, parse_sequence_path, write_sequence


@pytest.mark.parametrize("name", ["plate.1001.exr", "plate.%04d.exr", "plate.####.exr", "plate.@@@@.exr"])
def test_every_naming_means_the_same_sequence(name):
    pattern = parse_sequence_path(Path("/shots/a") / name)
    assert (pattern.prefix, pattern.suffix, pattern.padding) == ("plate.", ".exr", 4)
    assert pattern.path(1001) == Path("/shots/a/plate.1001.exr")
    assert pattern.path(7) == Path("/shots/a/plate.0007.exr")
    assert str(pattern) == "/shots/a/plate.####.exr"


def test_underscore_and_unpadded_names():
    assert parse_sequence_path("plate_%04d.png").path(12).name == "plate_0012.png"
    unpadded = parse_sequence_path("render.%d.png")
    assert unpadded.path(7).name == "render.7.png" and unpadded.frame_of("render.0007.png") is None
    assert parse_sequence_path("v2_take3.0950.jpg").prefix == "v2_take3."
    with pytest.raises(MediaError, match="still.png: not a numbered frame"):
        parse_sequence_path("still.png")


def _frames(folder: Path, numbers, size=(6, 8), name="plate.{:04d}.png") -> None:
    for n in numbers:
        write_image(folder / name.format(n), np.full((*size, 3), 0.5, np.float32))


def test_frames_are_found_with_their_own_numbering(tmp_path):
    _frames(tmp_path, range(1001, 1011))
    _frames(tmp_path, [1, 2], name="other.{:04d}.png")  # a neighbour sequence in the same folder is not mixed in
    (tmp_path / "plate.1001.png.bak").write_text("x")
    seq = find_sequence(tmp_path / "plate.1005.png")
    assert (seq.first_frame, seq.last_frame, len(seq.frames)) == (1001, 1010, 10)
    assert (seq.width, seq.height) == (8, 6)


def test_a_gap_names_the_missing_frames(tmp_path):
    _frames(tmp_path, [*range(1001, 1005), 1006, *range(1009, 1012)])
    with pytest.raises(MediaError, match=r"plate\.####\.png: gap .* 3 frame\(s\) missing .*: 1005, 1007-1008"):
        find_sequence(tmp_path / "plate.####.png")


def test_mixed_resolutions_name_the_odd_frame(tmp_path):
    _frames(tmp_path, range(1001, 1006))
    write_image(tmp_path / "plate.1003.png", np.zeros((6, 10, 3), np.float32))
    with pytest.raises(MediaError, match=r"plate\.1003\.png: frame 1003 is 10x6 .* 8x6"):
        find_sequence(tmp_path / "plate.%04d.png")


def test_zero_frames_is_an_error(tmp_path):
    with pytest.raises(MediaError, match=r"plate\.####\.exr: no frames found"):
        find_sequence(tmp_path / "plate.####.exr")


def test_a_damaged_frame_is_named(tmp_path):
    _frames(tmp_path, range(1, 4))
    (tmp_path / "plate.0002.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    with pytest.raises(MediaError, match=r"plate\.0002\.png"):
        find_sequence(tmp_path / "plate.0001.png")


def test_write_sequence_replaces_the_old_sequence_whole(tmp_path):
    pattern = tmp_path / "out" / "plate.####.png"
    write_sequence(pattern, ((f, np.zeros((4, 4), np.float32)) for f in range(1, 11)))
    seq = write_sequence(pattern, ((f, np.ones((4, 4), np.float32)) for f in range(1, 6)), bits=16)
    assert seq.frames == (1, 2, 3, 4, 5)
    found = find_sequence(pattern)
    assert found.frames == (1, 2, 3, 4, 5)
    assert read_image(found.path(3)).max() == 1.0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"plate.{f:04d}.png" for f in range(1, 6)]


def test_a_failed_write_leaves_no_partial_sequence(tmp_path):
    pattern = tmp_path / "out" / "plate.####.exr"
    write_sequence(pattern, ((f, np.zeros((4, 4, 3), np.float32)) for f in (1, 2)))

    def frames():
        yield 1, np.ones((4, 4, 3), np.float32)
        yield 2, np.ones((4, 4, 3), np.float32)
        yield 3, np.ones((5, 4, 3), np.float32)  # another size: the write fails here

    with pytest.raises(MediaError, match=r"plate\.0003\.exr: frame 3 is 4x5"):
        write_sequence(pattern, frames())
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["plate.0001.exr", "plate.0002.exr"]
    assert read_image(tmp_path / "out" / "plate.0001.exr").max() == 0.0  # the previous sequence is intact
    with pytest.raises(MediaError, match=r"plate\.####\.exr: frame 2 given twice"):
        write_sequence(pattern, [(2, np.ones((4, 4), np.float32))] * 2)
    with pytest.raises(MediaError, match="zero frames"):
        write_sequence(tmp_path / "empty" / "e.####.png", [])
    assert list((tmp_path / "empty").iterdir()) == []


def test_write_sequence_takes_named_exr_channels(tmp_path):
    frames = ((f, {"R": np.full((3, 5), f, np.float32), "mask": np.ones((3, 5), np.float32)}) for f in (8, 9))
    seq = write_sequence(tmp_path / "m.%04d.exr", frames, half=False)
    from pipeline.media.image import read_exr

    assert list(read_exr(seq.path(9))) == ["R", "mask"] and read_exr(seq.path(9))["R"][0, 0] == 9


def test_one_unpadded_frame_name_finds_the_whole_unpadded_sequence(tmp_path):
    _frames(tmp_path, range(1, 13), name="shot-{}.png")
    seq = find_sequence(tmp_path / "shot-10.png")
    assert (seq.first_frame, seq.last_frame, seq.pattern.padding) == (1, 12, 0)
    assert parse_sequence_path("plate-1001.exr").path(1002).name == "plate-1002.exr"  # a dash is not a minus
