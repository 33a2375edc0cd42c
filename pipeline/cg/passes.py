"""CG passes as multi-layer EXR files: one file per frame, one layer per pass (`beauty.R`, `depth.Z`...),
rendered along a head track (`render_track_passes`) or read back from a studio's own renders.

The same reader takes a studio's own renders, so they can replace the built-in ones: a layer is found by
its pass name whatever its channel names (`normals.X/Y/Z` or `normals.R/G/B`), and a file missing passes
is an error that lists them all.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from pipeline.cg.render import (PASSES, STANDARD_PASSES, Drawable, Instance, Lighting, Renderer, SceneState,
                                shutter_times)
from pipeline.errors import InputError
from pipeline.geometry import Intrinsics
from pipeline.media.image import linear_to_srgb, read_exr, write_exr
from pipeline.progress import ProgressCallback, progress_bar
from pipeline.shot import frame_path

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


def pass_display_rgb(layer: np.ndarray) -> np.ndarray:
    """A pass layer (linear light, HxW or HxWxC) as the display-encoded RGB in 0..1 the cg model learns from and
    converts: the faceset's CG crops and conversion's CG inputs both go through here, so the model never meets
    a pass encoded differently from the ones it was trained on."""
    rgb = layer if layer.ndim == 3 else np.repeat(layer[..., None], 3, axis=2)
    return np.clip(linear_to_srgb(np.clip(rgb[..., :3], 0.0, None)), 0.0, 1.0).astype(np.float32)


def interpolate_pose(a: np.ndarray, b: np.ndarray, f: float) -> np.ndarray:
    """The rigid transform a fraction `f` of the way from `a` to `b` (rotation along the shortest arc)."""
    import cv2

    relative, _ = cv2.Rodrigues(np.ascontiguousarray(a[:3, :3].T @ b[:3, :3]))
    step, _ = cv2.Rodrigues(relative * f)
    out = np.eye(4)
    out[:3, :3] = a[:3, :3] @ step
    out[:3, 3] = (1 - f) * a[:3, 3] + f * b[:3, 3]
    return out


def render_track_passes(head: Drawable, frames: Sequence[int], head_in_camera: np.ndarray,
                        intrinsics: Intrinsics, out_pattern: str | os.PathLike, *, lighting: Lighting = Lighting(),
                        shutter: float = 0.0, samples: int = 1, half: bool = True,
                        progress: ProgressCallback | None = None) -> list[Path]:
    """Render every pass of `head` posed by a camera-relative head track, one multi-layer EXR per frame.

    The camera sits at the origin (lights are given in its frame). With a shutter, sub-samples pose the head
    between neighbouring frames of the track. `out_pattern` is a printf pattern such as `cg/head.%04d.exr`.
    """
    poses = np.asarray(head_in_camera, dtype=np.float64)
    if len(frames) != len(poses) or len(frames) == 0:
        raise InputError(f"{out_pattern}: {len(frames)} frames but {len(poses)} head poses; give one pose a frame")

    def pose_at(t: float) -> np.ndarray:  # t in track indices
        i = int(np.clip(np.floor(t), 0, len(poses) - 1))
        j = min(i + 1, len(poses) - 1)
        if t < 0:
            return interpolate_pose(poses[0], poses[min(1, len(poses) - 1)], t) if len(poses) > 1 else poses[0]
        return interpolate_pose(poses[i], poses[j], t - i) if j > i else poses[i]

    written = []
    with Renderer(intrinsics.width, intrinsics.height) as renderer, \
            progress_bar(len(frames), "cg passes", callback=progress) as bar:
        for index, frame in enumerate(frames):
            states = [SceneState(camera=np.eye(4), intrinsics=intrinsics, head=pose_at(t),
                                 instances=(Instance(head, pose_at(t)),), lighting=lighting)
                      for t in shutter_times(index, shutter, samples)]
            path = frame_path(out_pattern, int(frame))
            written.append(write_passes(path, {k: v for k, v in renderer.render(states).items()
                                               if k in STANDARD_PASSES}, half=half))
            bar.update(1, f"frame {frame}")
    return written
