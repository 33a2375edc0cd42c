"""Multi-layer EXR passes: ours read back; a studio's, with its own channel names, replace them; a file
missing passes is an error listing every missing one."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.cg.passes import read_passes, write_passes
from pipeline.cg.render import PASSES, STANDARD_PASSES
from pipeline.errors import InputError
from pipeline.media.image import write_exr


def _passes(h=6, w=5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {name: rng.uniform(0, 2, (h, w) if len(ch) == 1 else (h, w, len(ch))).astype(np.float32)
            for name, ch in PASSES.items()}


def test_round_trip_float_and_half(tmp_path):
    passes = _passes()
    write_passes(tmp_path / "full.exr", passes, half=False)
    back = read_passes(tmp_path / "full.exr", tuple(PASSES))
    for name in PASSES:
        np.testing.assert_array_equal(back[name], passes[name])
    write_passes(tmp_path / "half.exr", passes)
    back = read_passes(tmp_path / "half.exr")
    assert set(back) == set(STANDARD_PASSES)
    for name in STANDARD_PASSES:
        np.testing.assert_allclose(back[name], passes[name], rtol=1e-3)


def test_studio_layers_with_other_channel_names(tmp_path):
    passes = _passes()
    channels = {}
    for name in STANDARD_PASSES:
        a = passes[name]
        if a.ndim == 2:
            channels[f"{name}.{'V' if name == 'shadow' else PASSES[name][0]}"] = a
        else:  # Nuke-style: every vector pass as R, G, B
            for i, c in enumerate("RGB"):
                channels[f"{name}.{c}"] = a[..., i]
    write_exr(tmp_path / "studio.exr", channels, half=False)
    back = read_passes(tmp_path / "studio.exr")
    np.testing.assert_array_equal(back["normals"], passes["normals"])
    np.testing.assert_array_equal(back["shadow"], passes["shadow"])


def test_missing_layers_are_listed(tmp_path):
    passes = _passes()
    write_passes(tmp_path / "partial.exr", {k: passes[k] for k in ("beauty", "matte", "depth")})
    with pytest.raises(InputError) as err:
        read_passes(tmp_path / "partial.exr")
    message = str(err.value)
    assert "partial.exr" in message
    for name in ("key", "shadow", "spot", "rim", "normals", "head_local"):
        assert name in message.split("(layers")[0]
    assert "beauty" not in message.split("(layers")[0]


def test_obj_head_rendered_along_a_track_with_motion_blur(tmp_path):
    from pipeline.cg.head import ACTOR, build_head
    from pipeline.cg.mesh import save_obj
    from pipeline.cg.passes import render_track_passes
    from pipeline.cg.scene import obj_head_drawable
    from pipeline.geometry import Intrinsics, compose, rotation_from_yaw_pitch_roll

    head = build_head(ACTOR)
    save_obj(tmp_path / "actor_bald.obj", head.bald)
    drawable = obj_head_drawable(tmp_path / "actor_bald.obj", texture=head.texture)
    poses = np.array([compose(rotation_from_yaw_pitch_roll([yaw, 0, 0]), [x, 0.0, -2.0])
                      for yaw, x in ((0, -0.1), (30, 0.0), (60, 0.1))])
    intrinsics = Intrinsics(96, 96).with_vfov(14.0)
    written = render_track_passes(drawable, [1001, 1002, 1003], poses, intrinsics, tmp_path / "cg" / "head.%04d.exr",
                                  shutter=0.5, samples=3)
    assert [p.name for p in written] == ["head.1001.exr", "head.1002.exr", "head.1003.exr"]
    centroids = []
    for path in written:
        passes = read_passes(path)
        matte = passes["matte"]
        assert matte.max() > 0.99 and 0 < ((matte > 0.02) & (matte < 0.98)).sum()  # blurred edges
        centroids.append((np.arange(96) * matte.sum(0)).sum() / matte.sum())
    assert centroids[0] < centroids[1] < centroids[2]  # follows the track to image right
    with pytest.raises(InputError, match="2 frames but 3 head poses"):
        render_track_passes(drawable, [1, 2], poses, intrinsics, tmp_path / "x.%04d.exr")
