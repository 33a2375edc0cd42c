"""Colour management: known linear patches land on the display code values computed independently of OCIO, a show
config from a file is used when set, and review clips record (and apply) the transform they were made with."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import InputError
from pipeline.media.colour import ColourConfig, display_transform
from pipeline.media.image import write_exr
from pipeline.media.review import make_review_clip, read_filmstrip_layout

from .test_review import decode_all


def srgb_code(linear: float) -> int:
    """IEC 61966-2-1 encoding of a display-linear value, as an 8-bit code value (written out, not OCIO's)."""
    encoded = 12.92 * linear if linear <= 0.0031308 else 1.055 * linear ** (1 / 2.4) - 0.055
    return round(encoded * 255)


def patch(value: float) -> np.ndarray:
    return np.full((4, 4, 3), value, np.float32)


@pytest.fixture(autouse=True)
def no_show_config(monkeypatch):
    monkeypatch.delenv("OCIO", raising=False)


def test_default_is_the_builtin_aces_config_un_tone_mapped_on_srgb():
    record = display_transform().record()
    assert record["config"] == "ocio://default" and "aces" in record["config_name"]
    assert (record["colour_space"], record["display"], record["view"]) == (
        "Linear Rec.709 (sRGB)", "sRGB - Display", "Un-tone-mapped")


@pytest.mark.parametrize("value", [0.0, 0.0025, 0.18, 0.5, 1.0])
def test_linear_rec709_patches_land_on_the_srgb_code_values(value):
    # Un-tone-mapped on sRGB is the plain sRGB encode: 0.18 grey is code 118, as the clips were before OCIO.
    assert (display_transform().to_display8(patch(value)) == srgb_code(value)).all()


def test_mid_grey_in_acescg_is_still_mid_grey():
    # A neutral stays neutral through the AP1 -> Rec.709 matrices (white points adapted), so the code is the same
    # as from Rec.709; this transform has channel crosstalk, so it runs the float processor, not the table.
    out = display_transform(ColourConfig(colour_space="ACEScg")).to_display8(patch(0.18))
    assert np.abs(out.astype(int) - srgb_code(0.18)).max() <= 1


def test_aces2_sdr_view_puts_mid_grey_at_10_nits():
    # ACES 2.0's SDR output maps scene 0.18 to 10 cd/m2 of 100: display-linear 0.1, sRGB code 89 (+/-1 for the
    # output transform's fitted curve).
    view = ColourConfig(colour_space="ACEScg", view="ACES 2.0 - SDR 100 nits (Rec.709)")
    out = display_transform(view).to_display8(patch(0.18))
    assert np.abs(out.astype(int) - srgb_code(0.1)).max() <= 1


SHOW_CONFIG = """\
ocio_profile_version: 2
roles:
  default: show_linear
  scene_linear: show_linear
displays:
  Show Monitor:
    - !<View> {name: Square Root, colorspace: show_display}
    - !<View> {name: Raw, colorspace: show_linear}
colorspaces:
  - !<ColorSpace>
    name: show_linear
  - !<ColorSpace>
    name: show_display
    from_scene_reference: !<ExponentTransform> {value: 2.0, direction: inverse}
"""


def test_show_config_from_a_file_relative_to_the_shot_is_used(tmp_path):
    (tmp_path / "show.ocio").write_text(SHOW_CONFIG)
    transform = display_transform(ColourConfig(config="show.ocio"), root=tmp_path)
    assert (transform.colour_space, transform.display, transform.view) == ("show_linear", "Show Monitor",
                                                                            "Square Root")
    assert (transform.to_display8(patch(0.18)) == round(0.18 ** 0.5 * 255)).all()  # 108, not sRGB's 118


def test_show_config_from_the_ocio_environment_variable(tmp_path, monkeypatch):
    (tmp_path / "show.ocio").write_text(SHOW_CONFIG)
    monkeypatch.setenv("OCIO", str(tmp_path / "show.ocio"))
    assert display_transform(ColourConfig(view="Raw")).to_display8(patch(0.18)).max() == round(0.18 * 255)


@pytest.mark.parametrize("settings, message", [
    (ColourConfig(config="missing.ocio"), "no such OCIO config file"),
    (ColourConfig(view="Film"), "has no view 'Film'; set [colour] view to one of"),
    (ColourConfig(display="CRT"), "no display 'CRT'"),
    (ColourConfig(colour_space="sepia"), "no colour space 'sepia'"),
])
def test_bad_settings_say_what_to_set(settings, message, tmp_path):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        display_transform(settings, root=tmp_path)


def test_review_clip_of_linear_frames_applies_and_records_the_transform(tmp_path):
    for frame in (1001, 1002):
        write_exr(tmp_path / f"grey.{frame}.exr", {c: np.full((48, 64), 0.18, np.float32) for c in "RGB"})
    (tmp_path / "show.ocio").write_text(SHOW_CONFIG)
    show = display_transform(ColourConfig(config="show.ocio"), root=tmp_path)
    made = make_review_clip(tmp_path / "grey.####.exr", tmp_path / "grey.mp4", fps="24", colour=show)
    assert made.colour == show.record() == read_filmstrip_layout(made.filmstrip_layout)["colour"]
    _, frames, _ = decode_all(made.mp4)
    assert abs(float(np.median(frames[0])) - 108) <= 2  # through the show's view; H.264 4:2:0 rounding


def test_review_clip_of_display_encoded_frames_records_no_transform(tmp_path):
    from pipeline.media.image import write_image

    for frame in (1001, 1002):
        write_image(tmp_path / f"plate.{frame}.png", np.full((48, 64, 3), 0.5, np.float32))
    made = make_review_clip(tmp_path / "plate.####.png", tmp_path / "plate.mp4", fps="24")
    assert made.colour is None and read_filmstrip_layout(made.filmstrip_layout)["colour"] is None


def test_the_colour_table_of_shot_toml_is_read_and_checked():
    from pipeline.shot import shot_config

    assert shot_config({"colour": {"view": "Raw", "config": "show.ocio"}}, where="shot.toml").colour == ColourConfig(
        config="show.ocio", view="Raw")
    assert shot_config({}, where="shot.toml").colour == ColourConfig()
    with pytest.raises(InputError, match=r"shot.toml \[colour\]: unknown setting\(s\) look"):
        shot_config({"colour": {"look": "warm"}}, where="shot.toml")
