"""Review clips: decoded again they have the input's frames, each showing its own burn-in; H.264 as browsers need."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
import pytest

import pipeline.cli
from pipeline.errors import MediaError
from pipeline.media.burnin import read_frame_code
from pipeline.media.image import linear_to_srgb, read_image, srgb8_from_linear, write_exr, write_image
from pipeline.media.review import frame_time, make_review_clip, read_filmstrip_layout

from .conftest import NTSC, PLATE_FRAMES, plate_frame


@dataclass
class Stream:
    codec: str
    pix_fmt: str
    average_rate: Fraction
    sample_aspect_ratio: Fraction | None


def decode_all(mp4) -> tuple[Stream, list[np.ndarray], list[bool]]:
    """Every frame of an MP4 as RGB uint8 (straight PyAV, not our reader), and the keyframe flag of each packet."""
    with av.open(str(mp4)) as container:
        s = container.streams.video[0]
        stream = Stream(s.codec_context.name, s.codec_context.pix_fmt, s.average_rate, s.sample_aspect_ratio)
        keyframes = [p.is_keyframe for p in container.demux(s) if p.size]
        container.seek(0)
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(s)]
    return stream, frames, keyframes


@pytest.fixture(scope="module")
def review(exr_plate, tmp_path_factory):
    calls: list[tuple[float, str]] = []
    out = tmp_path_factory.mktemp("review") / "shot010_v001.mp4"
    result = make_review_clip(exr_plate, out, burn_in="shot010", progress=lambda f, m: calls.append((f, m)))
    return result, calls


def test_review_clip_has_every_frame_each_showing_its_number(review):
    result, _ = review
    stream, frames, keyframes = decode_all(result.mp4)
    assert result.frame_count == len(frames) == len(PLATE_FRAMES)
    assert [read_frame_code(f) for f in frames] == list(PLATE_FRAMES)
    assert (result.first_frame, result.fps, result.width, result.height) == (1001, NTSC, 64, 48)


def test_review_clip_is_h264_yuv420p_exact_fps_keyint_2_faststart(review):
    result, _ = review
    stream, frames, keyframes = decode_all(result.mp4)
    assert stream.codec == "h264" and stream.pix_fmt == "yuv420p"
    assert stream.average_rate == Fraction(24000, 1001)
    assert keyframes == [i % 2 == 0 for i in range(len(keyframes))]
    data = result.mp4.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # the index first: plays while downloading


def test_linear_exr_is_encoded_to_srgb(review):
    result, _ = review
    _, frames, _ = decode_all(result.mp4)
    grey = frames[10][28:36, 20:40].reshape(-1, 3).mean(axis=0)  # the 0.18 linear half, clear of burn-ins
    assert grey == pytest.approx([255 * linear_to_srgb(np.float32(0.18))] * 3, abs=3)  # 118, not 46
    expected_red = 255 * linear_to_srgb(np.float32(plate_frame(1011)[0, 0, 0]))
    assert frames[10][14:20, 20:40, 0].mean() == pytest.approx(expected_red, abs=4)


def test_thumbnail_and_filmstrip_show_the_clip(review):
    result, calls = review
    layout = read_filmstrip_layout(result.filmstrip_layout)
    assert (layout["columns"], layout["rows"], layout["frames_per_tile"], layout["tile_count"]) == (10, 3, 1, 24)
    assert (layout["first_frame"], layout["fps"], layout["image"]) == (1001, "24000/1001", result.filmstrip.name)
    sprite = read_image(result.filmstrip)
    assert sprite.shape == (3 * layout["tile_height"], 10 * layout["tile_width"], 3)
    tile = sprite[0:48, 64 * 3:64 * 4]  # tile 3: frame 1004, unscaled at this size, without burn-in
    expected = srgb8_from_linear(plate_frame(1004).astype(np.float16))
    assert np.abs(tile * 255 - expected).max() <= 1
    assert read_image(result.thumbnail).shape == (48, 64, 3)
    assert calls[-1][0] == 1.0 and "1024" in calls[-1][1]


def test_odd_dimensions_are_padded_not_scaled(tmp_path):
    ramp = np.broadcast_to(np.linspace(0.2, 0.8, 63, dtype=np.float32)[None, :, None], (47, 63, 3))
    for f in (1, 2, 3, 4):
        write_image(tmp_path / f"odd.{f:04d}.png", ramp)
    result = make_review_clip(tmp_path / "odd.####.png", tmp_path / "odd.mp4", fps="25")
    stream, frames, _ = decode_all(result.mp4)
    assert (result.width, result.height) == (64, 48) and frames[0].shape == (48, 64, 3)
    assert stream.average_rate == 25 and len(frames) == 4
    assert np.abs(frames[0][4:40, 4:60].astype(float) - ramp[4:40, 4:60] * 255).max() <= 4  # same place, same scale
    assert frames[0][:, 63].mean() < 20 and frames[0][47, :60].mean() < 20  # the pad is black


def test_pixel_aspect_is_kept_as_sample_aspect(tmp_path):
    for f in (1, 2):
        write_exr(tmp_path / f"ana.{f:04d}.exr", {c: np.full((8, 16), 0.5, np.float32) for c in "RGB"},
                  fps=Fraction(24), pixel_aspect=2.0)
    result = make_review_clip(tmp_path / "ana.0001.exr", tmp_path / "ana.mp4")
    stream, _, _ = decode_all(result.mp4)
    assert stream.sample_aspect_ratio == 2
    assert read_image(result.thumbnail).shape == (4, 16, 3)  # shown at its display aspect


def test_video_input_is_numbered_from_first_frame(videos, tmp_path):
    result = make_review_clip(videos["prores"], tmp_path / "p.mp4", burn_in="", first_frame=1)
    _, frames, _ = decode_all(result.mp4)
    assert [read_frame_code(f) for f in frames] == list(range(1, 25))


def test_bad_input_leaves_no_output_and_keeps_the_previous_clip(videos, exr_plate, tmp_path):
    out = tmp_path / "out" / "clip.mp4"
    good = make_review_clip(exr_plate, out)
    before = out.read_bytes()
    data = bytearray(videos["h264"].read_bytes())
    start = data.index(b"mdat") + 8
    data[start + 20000:start + 26000] = bytes(6000)  # frames in the middle wiped
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    with pytest.raises(MediaError, match=r"damaged\.mp4: frame 10\d\d cannot be decoded"):
        make_review_clip(damaged, out)
    assert sorted(p.name for p in out.parent.iterdir()) == sorted(
        p.name for p in (good.mp4, good.thumbnail, good.filmstrip, good.filmstrip_layout))
    assert out.read_bytes() == before
    for f in (1, 2, 4):
        write_image(tmp_path / f"gap.{f:04d}.png", np.zeros((4, 4, 3), np.float32))
    with pytest.raises(MediaError, match=r"gap\.####\.png: gap .* 3"):
        make_review_clip(tmp_path / "gap.0001.png", tmp_path / "new" / "gap.mp4", fps=24)
    assert not (tmp_path / "new").exists() or not any((tmp_path / "new").iterdir())


def test_frame_time_is_the_middle_of_the_frame():
    assert frame_time(1001, 1001, NTSC) == pytest.approx(0.5 * 1001 / 24000)
    assert frame_time(1013, 1001, NTSC) == pytest.approx(12.5 * 1001 / 24000)


def run_cli(monkeypatch, capsys, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr(pipeline.cli, "VERB_MODULES", ("pipeline.media.cli",))
    code = pipeline.cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_probe_and_review_clip(monkeypatch, capsys, tmp_path, videos):
    import json

    code, out, _ = run_cli(monkeypatch, capsys, "media", "probe", str(videos["h264"]))
    assert code == 0 and json.loads(out)["frame_count"] == 48 and json.loads(out)["fps"] == "24000/1001"
    (tmp_path / "notes.mp4").write_text("not a video\n")
    code, out, err = run_cli(monkeypatch, capsys, "media", "probe", str(tmp_path / "notes.mp4"))
    assert code == 1 and out == "" and f"{tmp_path / 'notes.mp4'}: not a video" in err and "Traceback" not in err
    for f in (1, 2, 3):
        write_image(tmp_path / f"cli.{f:04d}.png", np.full((6, 8, 3), 0.5, np.float32))
    code, _, err = run_cli(monkeypatch, capsys, "media", "review-clip", str(tmp_path / "cli.####.png"),
                           str(tmp_path / "c.mp4"))
    assert code == 1 and "cli.####.png: the frames carry no frame rate" in err and "Traceback" not in err
    assert not (tmp_path / "c.mp4").exists()
    code, out, _ = run_cli(monkeypatch, capsys, "media", "review-clip", str(tmp_path / "cli.%04d.png"),
                           str(tmp_path / "c.mp4"), "--burn-in", "--fps", "24000/1001")
    assert code == 0 and "3 frames 8x6 at 24000/1001 fps" in out
    stream, frames, _ = decode_all(tmp_path / "c.mp4")
    assert stream.average_rate == NTSC and len(frames) == 3
    code, _, err = run_cli(monkeypatch, capsys, "media", "review-clip", str(videos["h264"]),
                           str(tmp_path / "z.mp4"), "--fps", "0")
    assert code == 1 and "h264.mp4: fps '0' must be positive" in err
