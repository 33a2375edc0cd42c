"""Frame fixes: images artists paint for frames the edit gets wrong, named by frame, that replace or go over.

A fixes folder holds images named `anything.FRAME.ext` (one frame) or `anything.FIRST-LAST.ext` (one image
for a range), PNG, JPEG or EXR, at the plate's size. An image without alpha replaces the frame; one with
alpha is a patch that goes over it. PNG/JPEG are display-encoded, EXR linear, as everywhere.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.errors import InputError
from pipeline.media.image import image_size, read_image, srgb_to_linear

_NAME = re.compile(r"\.(\d+)(?:-(\d+))?\.(png|jpe?g|exr)$", re.IGNORECASE)


@dataclass(frozen=True)
class Fix:
    path: Path
    first_frame: int
    last_frame: int

    @property
    def frames(self) -> range:
        return range(self.first_frame, self.last_frame + 1)


def find_fixes(folder: str | os.PathLike, *, first_frame: int, last_frame: int,
               size: tuple[int, int]) -> dict[int, Fix]:
    """Fix of each frame, every image checked (name, range, size) before any frame is rendered.

    `size` is the plate's (width, height)."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"{root}: no such fixes folder")
    by_frame: dict[int, Fix] = {}
    for path in sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith(".")):
        match = _NAME.search(path.name)
        if match is None:
            raise InputError(f"{path}: a fix is named by its frame (fix.1012.png) or range (fix.1010-1014.png), "
                             "as PNG, JPEG or EXR")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if last < first or first < first_frame or last > last_frame:
            raise InputError(f"{path}: frames {first}-{last} are not inside the shot ({first_frame}-{last_frame})")
        found = image_size(path)
        if found != tuple(size):
            raise InputError(f"{path}: the fix is {found[0]}x{found[1]}, the plate is {size[0]}x{size[1]}; paint fixes "
                             "at the plate's size")
        for frame in range(first, last + 1):
            if frame in by_frame:
                raise InputError(f"{path}: frame {frame} is fixed twice (also by {by_frame[frame].path.name})")
            by_frame[frame] = Fix(path, first, last)
    return by_frame


def apply_fix(frame_linear: np.ndarray, fix: Fix) -> np.ndarray:
    """The frame (linear RGB) with `fix` in it: replaced by an opaque image, a patch with alpha over it."""
    image = read_image(fix.path)
    if fix.path.suffix.lower() != ".exr":
        image = np.concatenate([srgb_to_linear(image[..., :3]), image[..., 3:]], axis=-1)
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    if image.shape[-1] < 4:
        return image[..., :3].astype(np.float32)
    alpha = image[..., 3:4]
    return (image[..., :3] * alpha + frame_linear * (1.0 - alpha)).astype(np.float32)
