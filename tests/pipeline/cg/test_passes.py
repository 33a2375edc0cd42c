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
