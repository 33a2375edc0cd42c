"""The preview comp: cuts and dissolves between variants frame-exactly, fixes replace frames, chunks join
into the same clip as one whole render."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from pipeline.comp.preview import edit_mix_at, join_frames, render_edit_frames, render_edit_preview
from pipeline.errors import InputError
from pipeline.media.clip import open_clip
from pipeline.media.image import write_image
from pipeline.media.review import make_review_clip
from pipeline.media.sequence import write_sequence

FIRST, LAST, FPS = 1001, 1012, Fraction(24)


def _variant_clip(root: Path, name: str, level: int) -> Path:
    """A 64x48 clip with a flat colour (level) and a frame-dependent stripe, so frames differ."""
    def frames():
        for f in range(FIRST, LAST + 1):
            img = np.full((48, 64, 3), level / 255.0, np.float32)
            img[:, (f - FIRST) * 4:(f - FIRST) * 4 + 4, 1] = 1.0
            yield f, img
    write_sequence(root / name / "v.####.png", frames())
    return make_review_clip(root / name / "v.####.png", root / f"{name}.mp4", fps=FPS).mp4


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[int, Path]:
    root = tmp_path_factory.mktemp("variants")
    return {1: _variant_clip(root, "dark", 40), 2: _variant_clip(root, "bright", 200)}


def _frames(mp4: Path) -> dict[int, np.ndarray]:
    with open_clip(mp4, first_frame=FIRST, fps=FPS) as clip:
        return {f: clip.read_srgb8(f).astype(int) for f in clip.frame_range}


SEGMENTS = [{"variant": 1, "frame_start": 1001, "frame_end": 1006, "transition": 0},
            {"variant": 2, "frame_start": 1007, "frame_end": 1012, "transition": 3}]


def test_mix_weights_follow_the_player():
    assert edit_mix_at(SEGMENTS, 1001) == [(1, 1.0)]
    assert edit_mix_at(SEGMENTS, 1006) == [(1, pytest.approx(5 / 6)), (2, pytest.approx(1 / 6))]
    assert edit_mix_at(SEGMENTS, 1007) == [(1, 0.5), (2, 0.5)]
    assert edit_mix_at(SEGMENTS, 1009) == [(2, 1.0)]
    with pytest.raises(InputError, match="frame 1013 is in no segment"):
        edit_mix_at(SEGMENTS, 1013)


def test_cut_and_crossfade_are_frame_exact(clips, tmp_path):
    out = render_edit_preview(SEGMENTS, clips, tmp_path / "final.mp4", first_frame=FIRST, fps=FPS)
    assert out.frame_count == 12 and out.thumbnail.exists() and out.filmstrip.exists()
    got, a, b = _frames(out.mp4), _frames(clips[1]), _frames(clips[2])
    for f in (1001, 1004, 1005):
        assert np.abs(got[f] - a[f]).mean() < 2, f
    for f in (1009, 1012):
        assert np.abs(got[f] - b[f]).mean() < 2, f
    middle = (a[1007] + b[1007]) / 2  # the middle frame of the 3-frame dissolve centred on the cut
    assert np.abs(got[1007] - middle).mean() < 2
    assert abs(got[1007].mean() - a[1007].mean()) > 40 and abs(got[1007].mean() - b[1007].mean()) > 40


def test_accepted_fix_replaces_its_frame(clips, tmp_path):
    fix = tmp_path / "fix.1003.png"
    write_image(fix, np.full((48, 64, 3), 1.0, np.float32))
    out = render_edit_preview(SEGMENTS, clips, tmp_path / "fixed.mp4", first_frame=FIRST, fps=FPS,
                              fixes={1003: fix})
    got = _frames(out.mp4)
    assert got[1003].mean() > 250 and got[1002].mean() < 100


def test_chunked_render_equals_the_whole_render(clips, tmp_path):
    whole = render_edit_preview(SEGMENTS, clips, tmp_path / "whole.mp4", first_frame=FIRST, fps=FPS)
    chunks = []
    for i, (start, end) in enumerate([(1008, 1012), (1001, 1004), (1005, 1007)]):
        chunks.append(render_edit_frames(SEGMENTS, clips, tmp_path / f"chunk{i}", first_frame=FIRST, fps=FPS,
                                         frame_start=start, frame_end=end))
    joined = join_frames(chunks, tmp_path / "joined.mp4", fps=FPS)
    a, b = _frames(whole.mp4), _frames(joined.mp4)
    assert sorted(a) == sorted(b) == list(range(FIRST, LAST + 1))
    assert all(np.array_equal(a[f], b[f]) for f in a)


def test_missing_chunk_is_named(clips, tmp_path):
    chunks = [render_edit_frames(SEGMENTS, clips, tmp_path / "c0", first_frame=FIRST, fps=FPS,
                                 frame_start=1001, frame_end=1004),
              render_edit_frames(SEGMENTS, clips, tmp_path / "c2", first_frame=FIRST, fps=FPS,
                                 frame_start=1008, frame_end=1012)]
    with pytest.raises(InputError, match="gap"):
        join_frames(chunks, tmp_path / "joined.mp4", fps=FPS)
    assert not (tmp_path / "joined.mp4").exists()


def test_edit_naming_a_variant_without_clip_is_refused(clips, tmp_path):
    segments = [{**SEGMENTS[0], "variant": 9}, SEGMENTS[1]]
    with pytest.raises(InputError, match=r"variant\(s\) \[9\]"):
        render_edit_preview(segments, clips, tmp_path / "x.mp4", first_frame=FIRST, fps=FPS)
