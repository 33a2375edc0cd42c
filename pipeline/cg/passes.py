"""CG passes as multi-layer EXR files: one file per frame, one layer per pass (`beauty.R`, `depth.Z`...).

The same reader takes a studio's own renders, so they can replace the built-in ones: a layer is found by
its pass name whatever its channel names (`normals.X/Y/Z` or `normals.R/G/B`), and a file missing passes
is an error that lists them all.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from pipeline.cg.render import PASSES, STANDARD_PASSES
from pipeline.errors import InputError
from pipeline.media.image import read_exr, write_exr

# the channels that may hold a pass's components, in order, when they are not the built-in names
_ALIASES = (("R", "G", "B"), ("X", "Y", "Z"), ("r", "g", "b"), ("x", "y", "z"), ("red", "green", "blue"))
_SINGLE = ("Y", "A", "Z", "R", "V", "y", "a", "z", "r", "v")


def passes_to_channels(passes: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """{pass: HxW or HxWxC} -> EXR channels `pass.C` named by PASSES (unknown passes get R, G, B...)."""
    channels: dict[str, np.ndarray] = {}
    for name, array in passes.items():
        a = np.asarray(array, np.float32)
        a = a[..., None] if a.ndim == 2 else a
        names = PASSES.get(name) or (("Y",) if a.shape[-1] == 1 else ("R", "G", "B", "A")[:a.shape[-1]])
        if len(names) != a.shape[-1]:
            raise ValueError(f"pass {name!r} has {a.shape[-1]} channels, expected {len(names)} ({', '.join(names)})")
        for i, c in enumerate(names):
            channels[f"{name}.{c}"] = a[..., i]
    return channels


def write_passes(path: str | os.PathLike, passes: Mapping[str, np.ndarray], *, half: bool = True) -> Path:
    """One multi-layer EXR holding every pass (half floats by default, `half=False` for float32)."""
    return write_exr(path, passes_to_channels(passes), half=half)


def passes_from_channels(channels: Mapping[str, np.ndarray], required: Iterable[str], *,
                         where: str) -> dict[str, np.ndarray]:
    """Pick `required` passes out of EXR channels; HxW arrays for one-channel passes, else HxWxC."""
    by_layer: dict[str, dict[str, np.ndarray]] = {}
    for full, array in channels.items():
        layer, _, channel = full.rpartition(".")
        by_layer.setdefault(layer or full, {})[channel if layer else ""] = array
    out: dict[str, np.ndarray] = {}
    missing: list[str] = []
    for name in required:
        wanted = PASSES.get(name, ("R", "G", "B"))
        found = by_layer.get(name, {})
        picked = None
        if len(wanted) == 1:
            for c in (wanted[0], "", *_SINGLE):
                if c in found:
                    picked = [found[c]]
                    break
        else:
            for names in (wanted, *_ALIASES):
                if all(c in found for c in names[:len(wanted)]):
                    picked = [found[c] for c in names[:len(wanted)]]
                    break
        if picked is None:
            missing.append(name)
            continue
        out[name] = picked[0].astype(np.float32) if len(picked) == 1 else np.stack(picked, -1).astype(np.float32)
    if missing:
        have = ", ".join(sorted(by_layer)) or "none"
        raise InputError(f"{where}: missing pass layer(s) {', '.join(missing)} (layers in the file: {have}); "
                         f"render them with layer names such as {missing[0]}.{'.'.join(PASSES.get(missing[0], ('R',))[:1])}")
    return out


def read_passes(path: str | os.PathLike, required: Iterable[str] = STANDARD_PASSES) -> dict[str, np.ndarray]:
    """Read the `required` passes of a multi-layer EXR (the built-in renderer's or a studio's)."""
    return passes_from_channels(read_exr(path), required, where=str(path))
