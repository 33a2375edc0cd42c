"""Clips: frame numbers kept, fps exact, frames read on demand in any order, bad rates and ranges refused."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from pipeline.errors import MediaError
from pipeline.media.burnin import read_frame_code
from pipeline.media.clip import open_clip
from pipeline.media.fps import parse_fps
from pipeline.media.image import linear_to_srgb, write_image

from .conftest import NTSC, PLATE_SIZE, plate_frame


@pytest.mark.parametrize("text, expected", [
    ("24000/1001", NTSC), ("24", Fraction(24)), ("25.0", Fraction(25)), ("23.976", NTSC),
    ("29.97", Fraction(30000, 1001)), ("59.94", Fraction(60000, 1001)), ("12.5", Fraction(25, 2)),
    (NTSC, NTSC), (30, Fraction(30)),
])
def test_fps_is_an_exact_ratio(text, expected):
    assert parse_fps(text) == expected


@pytest.mark.parametrize("bad", ["0", "0/1001", "-24", "fast", "24/0"])
def test_zero_negative_or_unreadable_fps_names_its_source(bad):
    with pytest.raises(MediaError, match=r"plate\.mov: fps"):
        parse_fps(bad, source="plate.mov")


def test_exr_sequence_clip_keeps_numbering_rate_and_linear_values(exr_plate):
    with open_clip(exr_plate.with_name("plate.1010.exr"), first_frame=1) as clip:
        assert (clip.first_frame, clip.last_frame, clip.frame_count) == (1001, 1024, 24)
        assert clip.frame_range == range(1001, 1025)
        assert clip.fps == NTSC and isinstance(clip.fps, Fraction)
        assert (clip.width, clip.height, clip.pixel_aspect, clip.codec, clip.kind) == (64, 48, 1, "exr", "sequence")
        for frame in (1024, 1001, 1013):  # any order
            expected = plate_frame(frame).astype(np.float16).astype(np.float32)
            np.testing.assert_array_equal(clip.read(frame), expected)
        with pytest.raises(MediaError, match=r"frame 1025 is outside .* 1001-1024"):
            clip.read(1025)
        with pytest.raises(MediaError, match=r"frame 1000 is outside"):
            clip.read(1000)


def test_given_fps_overrides_the_header(exr_plate):
    assert open_clip(exr_plate, fps="25").fps == 25
    with pytest.raises(MediaError, match=r"plate\.####\.exr: fps '0' must be positive"):
        open_clip(exr_plate, fps="0")


def test_png_sequence_needs_an_fps_and_decodes_srgb_on_request(tmp_path):
    grey = np.full((4, 6, 3), 0.5, np.float32)
    for f in (1, 2, 3):
        write_image(tmp_path / f"p_{f:04d}.png", grey, bits=16)
    with pytest.raises(MediaError, match=r"p_####\.png: the frames carry no frame rate; give it"):
        open_clip(tmp_path / "p_%04d.png")
    clip = open_clip(tmp_path / "p_%04d.png", fps="24000/1001")
    assert clip.frame_range == range(1, 4) and clip.fps == NTSC and not clip.linear
    np.testing.assert_allclose(clip.read(2), grey, atol=1e-5)
    decoded = clip.read(2, srgb_decode=True)
    assert linear_to_srgb(decoded)[0, 0, 0] == pytest.approx(0.5, abs=1e-4) and decoded[0, 0, 0] < 0.22


@pytest.mark.parametrize("kind, codec, count", [("h264", "h264", 48), ("prores", "prores", 24)])
def test_video_clip_numbered_from_first_frame_reads_any_order(videos, kind, codec, count):
    with open_clip(videos[kind], first_frame=101) as clip:
        assert (clip.kind, clip.codec, clip.frame_count, clip.first_frame) == ("video", codec, count, 101)
        assert clip.fps == NTSC and (clip.width, clip.height) == (64, 48)
        in_order = [clip.read(f) for f in clip.frame_range]
        assert in_order[0].shape == (48, 64, 3) and in_order[0].dtype == np.float32
        assert [read_frame_code(image) for image in in_order] == list(range(count))
        for frame in (clip.last_frame, 105, 101, clip.last_frame - 3, 102):  # seeks back and forward
            np.testing.assert_array_equal(clip.read(frame), in_order[frame - 101])


def test_a_frame_of_another_size_inside_a_checked_sequence_is_named(tmp_path):
    h, w = PLATE_SIZE
    for f in (1, 2):
        write_image(tmp_path / f"s.{f:04d}.png", np.zeros((h, w, 3), np.float32))
    clip = open_clip(tmp_path / "s.0001.png", fps=24)
    write_image(tmp_path / "s.0002.png", np.zeros((h, w + 2, 3), np.float32))  # replaced after opening
    with pytest.raises(MediaError, match=r"s\.0002\.png: frame 2 is 66x48"):
        clip.read(2)


def test_a_folder_or_missing_file_is_named(tmp_path):
    with pytest.raises(MediaError, match=f"{tmp_path}: is a folder"):
        open_clip(tmp_path)
    with pytest.raises(MediaError, match="nothing.mov: no such file"):
        open_clip(tmp_path / "nothing.mov")
