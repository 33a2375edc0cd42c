"""Probe: what an input is, judged from its content; broken files get one clear error naming them."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from pipeline.errors import MediaError
from pipeline.media.clip import open_clip
from pipeline.media.image import write_image
from pipeline.media.probe import probe

from .conftest import ffmpeg


def test_probe_sequence_video_and_image(exr_plate, videos, tmp_path):
    assert probe(exr_plate.with_name("plate.1003.exr")) == {
        "path": str(exr_plate), "kind": "sequence", "codec": "exr", "width": 64, "height": 48,
        "pixel_aspect": "1/1", "fps": "24000/1001", "first_frame": 1001, "last_frame": 1024, "frame_count": 24,
        "timecode": None}
    assert probe(videos["prores"], first_frame=1) == {
        "path": str(videos["prores"]), "kind": "video", "codec": "prores", "width": 64, "height": 48,
        "pixel_aspect": "1/1", "fps": "24000/1001", "first_frame": 1, "last_frame": 24, "frame_count": 24,
        "timecode": None}
    still = write_image(tmp_path / "still.png", np.zeros((5, 7, 3), np.float32))
    assert probe(still) | {"path": None} == {
        "path": None, "kind": "image", "codec": "png", "width": 7, "height": 5, "pixel_aspect": "1/1",
        "fps": None, "first_frame": 1001, "last_frame": 1001, "frame_count": 1, "timecode": None}


def test_probe_judges_content_not_extension(videos, tmp_path):
    disguised = tmp_path / "plate.png"
    shutil.copy(videos["h264"], disguised)
    info = probe(disguised)
    assert (info["kind"], info["codec"], info["frame_count"]) == ("video", "h264", 48)
    text = tmp_path / "plate.mp4"
    text.write_text("shot notes, not a video\n" * 20)
    with pytest.raises(MediaError, match=r"plate\.mp4: not a video or image .* judged from its content"):
        probe(text)


def test_truncated_video_is_caught_on_open_and_names_the_frames(videos, tmp_path):
    data = videos["h264"].read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(MediaError, match=r"cut\.mp4: truncated video, .* promises 48 frames but only \d+ are in the "
                                         r"file \(frames from 10\d\d on are missing\)"):
        open_clip(cut, first_frame=1001)
    data = videos["prores"].read_bytes()  # its index is at the end: cutting loses it
    cut_mov = tmp_path / "cut.mov"
    cut_mov.write_bytes(data[:len(data) * 3 // 4])
    with pytest.raises(MediaError, match=r"cut\.mov: not a video .* damaged, truncated or misnamed"):
        probe(cut_mov)


def test_corrupt_video_data_names_the_frame(videos, tmp_path):
    data = bytearray(videos["h264"].read_bytes())
    start = data.index(b"mdat") + 8  # after the index (faststart)
    data[start:start + 3000] = bytes(3000)  # the first frames' data wiped, the container intact
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    with open_clip(damaged, first_frame=1001) as clip:
        with pytest.raises(MediaError, match=r"damaged\.mp4: frame 100\d cannot be decoded"):
            for frame in clip.frame_range:
                clip.read(frame)
    header_gone = tmp_path / "header.mp4"
    header_gone.write_bytes(bytes(64) + bytes(data[64:]))
    with pytest.raises(MediaError, match=r"header\.mp4: not a video or image"):
        probe(header_gone)


def test_zero_frame_video_and_audio_only_file(tmp_path):
    empty = tmp_path / "empty.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=24", "-frames:v", "0", "-c:v", "libx264", str(empty))
    with pytest.raises(MediaError, match=r"empty\.mp4: has zero video frames"):
        probe(empty)
    audio = tmp_path / "sound.mov"
    ffmpeg("-f", "lavfi", "-i", "sine=duration=0.2", "-c:a", "aac", str(audio))
    with pytest.raises(MediaError, match=r"sound\.mov: has zero video frames \(no video stream; it holds 1"):
        open_clip(audio)


def test_probe_sequence_without_rate_reports_none(tmp_path):
    for f in (5, 6):
        write_image(tmp_path / f"a_{f:03d}.jpg", np.zeros((4, 4, 3), np.float32))
    info = probe(tmp_path / "a_%03d.jpg")
    assert (info["fps"], info["codec"], info["frame_count"], info["first_frame"]) == (None, "jpeg", 2, 5)


@pytest.mark.parametrize(("rate", "tag", "suffix", "expected"), [
    ("24000/1001", "01:00:00:00", ".mov", "01:00:00:00"),
    ("30000/1001", "00:59:59;28", ".mov", "00:59:59;28"),
    ("30000/1001", "10:00:00;00", ".mp4", "10:00:00;00"),
])
def test_probe_reads_the_plates_start_timecode(tmp_path, rate, tag, suffix, expected):
    plate = tmp_path / f"plate{suffix}"
    ffmpeg("-f", "lavfi", "-i", f"testsrc=size=64x48:rate={rate}:duration=0.2", "-c:v", "libx264",
           "-timecode", tag, str(plate))
    assert probe(plate)["timecode"] == expected


def test_a_plate_timecode_that_cannot_exist_at_its_rate_is_left_out(tmp_path, caplog):
    plate = tmp_path / "plate.mkv"  # Matroska keeps any tag, so a wrong one can reach us
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=25:duration=0.2", "-c:v", "libx264",
           "-metadata", "timecode=01:00:00;00", str(plate))
    assert probe(plate)["timecode"] is None
    assert "plate.mkv: drop-frame timecode" in caplog.text
