"""Final comp: crossfades, fixes, head fit, bad input refused before any frame, Nuke and OTIO hand-off."""
from __future__ import annotations

import re

import numpy as np
import pytest

from pipeline.comp.edit import edit_from_dict
from pipeline.comp.stage import render_edit
from pipeline.errors import InputError
from pipeline.artifacts import read_manifest
from pipeline.media.image import exr_header_info, read_exr, read_image, srgb_to_linear, write_image
from pipeline.shot import frame_path


def _edit(shot, cut=1021, transition=3, **extra):
    return edit_from_dict({"segments": [
        {"frame_start": shot.first_frame, "frame_end": cut - 1, "variant": "same", "transition": 0},
        {"frame_start": cut, "frame_end": shot.last_frame, "variant": "graded", "transition": transition}], **extra})


def _rgb(path):
    channels = read_exr(path)
    return np.stack([channels[c] for c in "RGB"], axis=-1)


@pytest.fixture(scope="module")
def renders(identity_shot, converted, tmp_path_factory):
    converted("same"), converted("graded")
    out = tmp_path_factory.mktemp("renders")
    whole = {v: render_edit(identity_shot, edit_from_dict([{"frame_start": identity_shot.first_frame,
                                                             "frame_end": identity_shot.last_frame, "variant": v}]),
                            out_dir=out / v) for v in ("same", "graded")}
    fixes = out / "fixes"
    fixes.mkdir()
    plate = read_image(frame_path(identity_shot.plate, 1010))
    write_image(fixes / "paint.1010-1012.png", np.full_like(plate[..., :3], 0.25))
    patch = np.zeros((*plate.shape[:2], 4), np.float32)
    patch[10:30, 10:40] = (1.0, 0.0, 0.0, 1.0)
    write_image(fixes / "patch.1030.png", patch)
    edited = render_edit(identity_shot, _edit(identity_shot), fixes_dir=fixes, out_dir=out / "edit")
    return whole, edited


def test_crossfade_middle_frame_is_the_mean_of_its_two_variants(renders):
    whole, edited = renders
    f = lambda r, frame: _rgb(frame_path(r.frames, frame))  # noqa: E731
    np.testing.assert_allclose(f(edited, 1021), (f(whole["same"], 1021) + f(whole["graded"], 1021)) / 2, atol=2e-3)
    np.testing.assert_allclose(f(edited, 1019), f(whole["same"], 1019), atol=1e-3)  # before the crossfade
    np.testing.assert_allclose(f(edited, 1023), f(whole["graded"], 1023), atol=1e-3)  # after it
    assert np.abs(f(whole["same"], 1021) - f(whole["graded"], 1021)).max() > 0.05  # the variants differ


def test_fixes_replace_exactly_their_frames(renders):
    whole, edited = renders
    f = lambda r, frame: _rgb(frame_path(r.frames, frame))  # noqa: E731
    grey = srgb_to_linear(np.float32(round(0.25 * 255) / 255))
    for frame in (1010, 1011, 1012):
        np.testing.assert_allclose(f(edited, frame), grey, atol=1e-3)
    for frame in (1009, 1013):
        np.testing.assert_allclose(f(edited, frame), f(whole["same"], frame), atol=1e-3)
    patched, clean = f(edited, 1030), f(whole["graded"], 1030)
    np.testing.assert_allclose(patched[10:30, 10:40], np.broadcast_to([1.0, 0.0, 0.0], (20, 30, 3)), atol=1e-3)
    np.testing.assert_allclose(patched[40:], clean[40:], atol=1e-3)  # the patch goes over, the rest stays


def test_otio_reads_back_with_the_edit_segments(renders):
    import opentimelineio as otio

    _, edited = renders
    timeline = otio.adapters.read_from_file(str(edited.otio))
    clips = list(timeline.find_clips())
    assert [c.metadata["facereplace"]["variant"] for c in clips] == ["same", "graded"]
    assert [(c.source_range.start_time.value, c.source_range.duration.value) for c in clips] == [(1001, 20), (1021, 28)]
    (transition,) = [t for t in timeline.tracks[0] if isinstance(t, otio.schema.Transition)]
    assert transition.in_offset.value + transition.out_offset.value == 3


def test_nuke_script_names_every_pass_and_parses(renders, identity_shot):
    _, edited = renders
    text = edited.nuke.read_text()
    for variant in ("same", "graded"):
        swap = identity_shot.root / "convert" / variant / "passes" / "swap.####.exr"
        assert f'file "{swap}"' in text
    assert f'file "{str(identity_shot.plate).replace("%04d", "####")}"' in text
    classes = _parse_nuke(text)
    assert {"Read", "Axis2", "Shuffle", "Merge2", "Dissolve", "Write"} <= set(classes)
    for variant in ("same", "graded"):  # the plate's face painted out (the pass's paint layer) under each swap
        assert f" in paint\n name Paint_{variant}" in text and f" name Clean_{variant}" in text


def test_comp_exrs_and_nuke_script_name_the_review_clips_colour_space(renders):
    _, edited = renders
    colour = read_manifest(edited.manifest, kind="comp_render", versions=(1,))["colour"]
    assert colour["colour_space"] == "Linear Rec.709 (sRGB)" and colour["view"] == "Un-tone-mapped"
    assert exr_header_info(frame_path(str(edited.frames), edited.first_frame))["colour_space"] == colour["colour_space"]
    text = edited.nuke.read_text()
    assert text.count(f'colorspace "{colour["colour_space"]}"') >= 3  # the swap Reads and the Write
    assert f'workingSpaceLUT "{colour["colour_space"]}"' in text
    assert f'customOCIOConfigPath "{colour["config"]}"' in text
    assert f'monitorOutLUT "{colour["view"]} ({colour["display"]})"' in text


def _parse_nuke(text: str) -> list[str]:
    """Node classes of a .nk, checking it is made of known nodes with balanced braces and stack commands."""
    known = {"Root", "Read", "Axis2", "Shuffle", "Merge2", "Dissolve", "Write"}
    classes, depth = [], 0
    for line in text.splitlines():
        if depth == 0:
            if not line or line.startswith(("#", "version ", "push $", "set ")):
                continue
            match = re.fullmatch(r"(\w+) \{", line)
            assert match and match.group(1) in known, line
            classes.append(match.group(1))
        depth += line.count("{") - line.count("}")
        assert depth >= 0, line
    assert depth == 0
    return classes


def test_bad_input_is_refused_before_any_frame(identity_shot, converted, tmp_path):
    converted("same")
    first, last = identity_shot.first_frame, identity_shot.last_frame
    cases = {
        "gap, frames 1021-1024": [{"frame_start": first, "frame_end": 1020, "variant": "same"},
                                  {"frame_start": 1025, "frame_end": last, "variant": "same"}],
        "overlaps": [{"frame_start": first, "frame_end": 1030, "variant": "same"},
                     {"frame_start": 1025, "frame_end": last, "variant": "same"}],
        "unknown variant 'sepia'": [{"frame_start": first, "frame_end": last, "variant": "sepia"}],
        "outside the shot": [{"frame_start": first, "frame_end": last + 5, "variant": "same"}],
    }
    for message, segments in cases.items():
        with pytest.raises(InputError, match=message):
            render_edit(identity_shot, edit_from_dict(segments), out_dir=tmp_path / "out")
    fixes = tmp_path / "fixes"
    fixes.mkdir()
    write_image(fixes / "fix.1010.png", np.zeros((32, 48, 3), np.float32))
    whole = edit_from_dict([{"frame_start": first, "frame_end": last, "variant": "same"}])
    with pytest.raises(InputError, match="48x32, the plate is 128x128"):
        render_edit(identity_shot, whole, fixes_dir=fixes, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_missing_passes_are_refused(identity_shot, converted, tmp_path):
    import shutil

    source = converted("same")
    shot_copy = tmp_path / "convert" / "same"
    shutil.copytree(source, shot_copy)
    (shot_copy / "passes" / "swap.1030.exr").unlink()
    from dataclasses import replace

    shot = replace(identity_shot, root=tmp_path)
    whole = edit_from_dict([{"frame_start": shot.first_frame, "frame_end": shot.last_frame, "variant": "same"}])
    with pytest.raises(InputError, match="swap passes are missing.*same: frames 1030"):
        render_edit(shot, whole, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_head_fit_scales_the_head_about_its_centre(identity_shot, converted, tmp_path):
    from pipeline.comp.headfit import HeadFit, apply_head_fit
    from pipeline.convert.converted import read_converted

    data = read_converted(converted("same"))
    record = data.frames[10]
    alpha = read_exr(data.folder / frame_path(data["passes"]["swap"], record.frame))["A"]
    bigger = apply_head_fit(alpha, np.asarray(record.transform), data["crop_size"], HeadFit(scale=1.2))
    assert bigger.sum() == pytest.approx(alpha.sum() * 1.44, rel=0.1)
    lifted = apply_head_fit(alpha, np.asarray(record.transform), data["crop_size"], HeadFit(hairline_px=10))
    assert lifted.sum() > alpha.sum() * 1.02


def test_comp_verb_renders_an_edit_file_and_says_what_is_wrong(identity_shot, converted, tmp_path, capsys):
    import json

    from pipeline.cli import main

    converted("same")
    edit = tmp_path / "edit.json"
    edit.write_text(json.dumps({"kind": "comp_edit", "schema_version": 1, "segments": [
        {"frame_start": identity_shot.first_frame, "frame_end": identity_shot.last_frame, "variant": "same"}]}))
    out = tmp_path / "comp"
    assert main(["comp", str(identity_shot.root), "--edit", str(edit), "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["nuke"] == str(out / "comp.nk") and (out / "review.mp4").is_file()
    first = frame_path(out / "comp" / "comp.%04d.exr", identity_shot.first_frame)
    before = first.read_bytes()
    assert main(["comp", str(identity_shot.root), "--edit", str(edit), "--out", str(out)]) == 0
    assert first.read_bytes() == before  # the same inputs give the same frames

    edit.write_text(json.dumps([{"frame_start": identity_shot.first_frame, "frame_end": 1020, "variant": "same"}]))
    assert main(["comp", str(identity_shot.root), "--edit", str(edit), "--out", str(tmp_path / "bad")]) == 1
    assert "frames 1021-1048 at the end of the shot are in no segment" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
