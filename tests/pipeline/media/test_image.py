"""Image I/O round trips: EXR half/float with alpha and extra channels, PNG 8/16-bit, JPEG, sRGB curve."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import MediaError
from pipeline.media.image import (channels_from_layers, image_size, layers_from_channels, linear_to_srgb,
                                  linear_to_srgb8, read_exr, read_image, srgb_to_linear, write_exr, write_image)

H, W = 12, 20


def _channels(rng) -> dict[str, np.ndarray]:
    # HDR values above 1 and a negative one: EXR must keep both.
    return {name: (rng.random((H, W), dtype=np.float32) * 4 - 0.5) for name in ("R", "G", "B", "A", "mask", "depth.Z")}


@pytest.mark.parametrize("half", [True, False], ids=["half", "float"])
def test_exr_round_trip_keeps_alpha_extra_channels_and_order(tmp_path, half):
    channels = _channels(np.random.default_rng(1))
    path = write_exr(tmp_path / "frame.exr", channels, half=half)
    back = read_exr(path)
    assert list(back) == list(channels)
    for name, original in channels.items():
        assert back[name].dtype == np.float32 and back[name].shape == (H, W)
        expected = original.astype(np.float16).astype(np.float32) if half else original
        np.testing.assert_array_equal(back[name], expected)
    assert [p.name for p in tmp_path.iterdir()] == ["frame.exr"]  # no temporary left beside it


def test_half_exr_is_smaller_than_float(tmp_path):
    channels = _channels(np.random.default_rng(2))
    half = write_exr(tmp_path / "h.exr", channels, half=True).stat().st_size
    full = write_exr(tmp_path / "f.exr", channels, half=False).stat().st_size
    assert half < full * 0.7


def test_layers_group_and_ungroup_channels():
    rng = np.random.default_rng(3)
    channels = {**{c: rng.random((H, W), dtype=np.float32) for c in "RGBA"},
                **{f"beauty.{c}": rng.random((H, W), dtype=np.float32) for c in "RGB"},
                "mask": rng.random((H, W), dtype=np.float32)}
    layers = layers_from_channels(channels)
    assert {k: v.shape for k, v in layers.items()} == {"rgba": (H, W, 4), "beauty": (H, W, 3), "mask": (H, W, 1)}
    np.testing.assert_array_equal(layers["beauty"][..., 1], channels["beauty.G"])
    back = channels_from_layers(layers)
    assert set(back) == set(channels)
    for name in channels:
        np.testing.assert_array_equal(back[name], channels[name])


def test_png16_round_trip_is_exact_to_16_bits(tmp_path):
    rng = np.random.default_rng(4)
    image = rng.integers(0, 65536, (H, W, 4)).astype(np.float32) / 65535
    back = read_image(write_image(tmp_path / "a.png", image, bits=16))
    assert back.shape == (H, W, 4) and back.dtype == np.float32
    np.testing.assert_array_equal(back, image)


def test_png8_and_jpeg_round_trip(tmp_path):
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (H, W, 3)).astype(np.float32) / 255
    np.testing.assert_array_equal(read_image(write_image(tmp_path / "a.png", image)), image)
    smooth = np.broadcast_to(np.linspace(0, 1, W, dtype=np.float32)[None, :, None], (H, W, 3))
    jpeg = read_image(write_image(tmp_path / "a.jpg", smooth))
    assert np.abs(jpeg - smooth).max() < 0.05
    gray = read_image(write_image(tmp_path / "g.png", smooth[..., 0]))
    assert gray.shape == (H, W, 1)
    assert image_size(tmp_path / "a.png") == (W, H)


def test_srgb_encode_and_decode_are_inverse_through_a_png(tmp_path):
    linear = np.broadcast_to(np.linspace(0, 1, 256, dtype=np.float32)[None, :, None], (4, 256, 3))
    back = read_image(write_image(tmp_path / "s.png", linear, bits=16, srgb_encode=True), srgb_decode=True)
    np.testing.assert_allclose(back, linear, atol=2e-4)
    raw = read_image(tmp_path / "s.png")
    assert abs(raw[0, 128, 0] - linear_to_srgb(np.float32(128 / 255))) < 1e-4  # stored encoded, not linear


def test_exr_read_image_returns_linear_as_stored(tmp_path):
    image = np.full((H, W, 3), 2.5, np.float32)
    back = read_image(write_image(tmp_path / "hdr.exr", image, half=False), srgb_decode=True)
    np.testing.assert_array_equal(back, image)


def test_srgb_curve_matches_the_standard():
    # IEC 61966-2-1 reference points: the linear toe, the knee, mid grey, white.
    np.testing.assert_allclose(linear_to_srgb(np.array([0.0, 0.0031308, 0.18, 1.0])),
                               [0.0, 0.04045, 0.46135612, 1.0], atol=1e-5)
    x = np.linspace(0, 1, 1001, dtype=np.float32)
    np.testing.assert_allclose(srgb_to_linear(linear_to_srgb(x)), x, atol=1e-6)
    table = linear_to_srgb8(x)
    assert np.abs(table.astype(int) - np.round(linear_to_srgb(x) * 255).astype(int)).max() <= 1
    assert linear_to_srgb8(np.array([np.nan, -1.0, 7.0])).tolist() == [0, 0, 255]


def test_damaged_and_misnamed_files_are_named_in_the_error(tmp_path):
    good = write_exr(tmp_path / "good.exr", {"R": np.ones((64, 64), np.float32)}, half=False)
    cut = tmp_path / "cut.exr"
    cut.write_bytes(good.read_bytes()[:200])
    with pytest.raises(MediaError, match="cut.exr"):
        read_exr(cut)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(MediaError, match="notes.png.*not an EXR, PNG or JPEG"):
        read_image(text)
    with pytest.raises(MediaError, match="cannot write .tif"):
        write_image(tmp_path / "x.tif", np.zeros((2, 2), np.float32))


def test_exr_header_carries_fps_and_pixel_aspect(tmp_path):
    from fractions import Fraction

    from pipeline.media.image import exr_header_info

    path = write_exr(tmp_path / "f.exr", {"Y": np.zeros((4, 6), np.float32)}, fps=Fraction(24000, 1001),
                     pixel_aspect=2.0)
    info = exr_header_info(path)
    assert (info["width"], info["height"], info["fps"], info["pixel_aspect"]) == (6, 4, Fraction(24000, 1001), 2)


@pytest.mark.parametrize("half", [True, False], ids=["half", "float"])
def test_read_srgb8_matches_encoding_the_linear_image(tmp_path, half):
    from pipeline.media.image import read_srgb8, srgb8_from_linear

    channels = _channels(np.random.default_rng(6))
    path = write_exr(tmp_path / "f.exr", channels, half=half)
    fast = read_srgb8(path)
    assert fast.shape == (H, W, 3) and fast.dtype == np.uint8
    np.testing.assert_array_equal(fast, srgb8_from_linear(read_image(path)))
    grey = write_exr(tmp_path / "y.exr", {"Y": np.full((H, W), 0.18, np.float32)})
    assert read_srgb8(grey)[0, 0].tolist() == [118, 118, 118]  # 0.18 linear is sRGB 118
    png = write_image(tmp_path / "p.png", np.full((H, W, 4), 0.5, np.float32), bits=16)
    assert read_srgb8(png)[0, 0].tolist() == [128, 128, 128]


def test_exr_data_window_is_placed_in_the_display_window(tmp_path):
    import OpenEXR

    from pipeline.media.image import read_srgb8

    ones = np.ones((3, 4), np.float32)
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage,
              "dataWindow": (np.array([2, 1], np.int32), np.array([5, 3], np.int32)),
              "displayWindow": (np.array([0, 0], np.int32), np.array([7, 5], np.int32))}
    path = tmp_path / "crop.exr"
    OpenEXR.File(header, {"R": ones, "G": ones, "B": ones}).write(str(path))
    expected = np.zeros((6, 8), np.float32)
    expected[1:4, 2:6] = 1
    np.testing.assert_array_equal(read_exr(path)["R"], expected)
    assert image_size(path) == (8, 6)
    np.testing.assert_array_equal(read_srgb8(path)[..., 1], expected * 255)
