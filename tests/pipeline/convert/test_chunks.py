"""A conversion split into frame chunks (as site workers share one shot) and joined equals the unchunked one."""
from __future__ import annotations

import filecmp

import pytest

from pipeline.convert import ConvertConfig, ConvertInputs, read_converted, run
from pipeline.convert.stage import join_converted
from pipeline.errors import InputError
from pipeline.media.clip import open_clip
from tests.pipeline.convert.conftest import IdentitySwapper

CHUNKS = ((1001, 1016), (1017, 1032), (1033, 1048))


@pytest.fixture(scope="module")
def chunk_dirs(identity_shot, tmp_path_factory):
    config = identity_shot.config.convert
    variant = identity_shot.variant("same")
    root = tmp_path_factory.mktemp("chunks")
    dirs = []
    for index, frames in enumerate(CHUNKS[::-1]):  # any order: workers finish when they finish
        out = run(config, ConvertInputs(shot=identity_shot, framing=identity_shot.config.stabilize, variant=variant,
                                        swapper=IdentitySwapper(), frames=frames, out_dir=root / f"chunk{index}"))
        assert len(out.swapped) + len(out.unswapped) == frames[1] - frames[0] + 1
        dirs.append(root / f"chunk{index}")
    return dirs


def test_chunked_then_joined_equals_the_unchunked_conversion(identity_shot, converted, chunk_dirs, tmp_path):
    whole = converted("same")
    joined = tmp_path / "joined"
    join_converted(chunk_dirs, joined)
    a, b = read_converted(whole), read_converted(joined)
    assert b.frames == a.frames and b.qc == a.qc  # QC (anomaly compares neighbours) over all frames
    assert (b.header, b.review_clip) == (a.header, a.review_clip)
    for part in ("comp", "passes"):
        names = sorted(p.name for p in (whole / part).iterdir())
        assert names == sorted(p.name for p in (joined / part).iterdir()) and len(names) >= len(identity_shot.frames)
        match, mismatch, errors = filecmp.cmpfiles(whole / part, joined / part, names, shallow=False)
        assert not mismatch and not errors, (mismatch[:3], errors[:3])
    with open_clip(whole / a.review_clip) as clip_a, open_clip(joined / b.review_clip) as clip_b:
        assert clip_b.frame_count == clip_a.frame_count == len(identity_shot.frames)
    assert not (joined / "chunk.json").exists()


def test_a_gap_between_chunks_is_refused_before_writing(chunk_dirs, tmp_path):
    with pytest.raises(InputError, match="frames 1017-1032 are missing"):
        join_converted([chunk_dirs[0], chunk_dirs[2]], tmp_path / "joined")
    with pytest.raises(InputError, match="no conversion chunk here"):
        join_converted([chunk_dirs[0], tmp_path], tmp_path / "joined")
    assert not (tmp_path / "joined").exists()


def test_a_chunk_outside_the_shot_is_refused(identity_shot, tmp_path):
    variant = identity_shot.variant("same")
    with pytest.raises(InputError, match="chunk frames 1040-1060 are not inside the shot's 1001-1048"):
        run(ConvertConfig(), ConvertInputs(shot=identity_shot, framing=identity_shot.config.stabilize, variant=variant,
                                           swapper=IdentitySwapper(), frames=(1040, 1060), out_dir=tmp_path / "c"))
    assert not (tmp_path / "c").exists()
