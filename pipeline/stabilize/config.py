"""[stabilize] in shot.toml: how every crop of the shot is framed (this stage's, the facesets' and conversion's)."""
from __future__ import annotations

import dataclasses

import numpy as np

from pipeline.errors import InputError
from pipeline.stabilize.crop import check_size

# How a crop is framed: from the 3D pose (the point of this stage), or the 2D landmark baseline.
FRAMINGS = ("pose", "landmarks2d")


@dataclasses.dataclass(frozen=True)
class StabilizeConfig:
    """[stabilize] in shot.toml."""

    size: int = 256  # crop side in pixels, 64..1024
    radius: float = 0.16  # scene units around the skull centre spanning half the crop
    skull_centre: tuple[float, float, float] = (0.0, 0.0, 0.0)  # in the head track's local frame
    fill_missing: bool = False  # interpolate frames the track lacks instead of stopping with their list
    method: str = "pose"  # "pose": from the 3D head pose; "landmarks2d": the 2D landmark baseline, to compare

    def __post_init__(self) -> None:
        check_size(self.size)
        if self.method not in FRAMINGS:
            raise InputError(f"unknown method {self.method!r}; use one of {', '.join(FRAMINGS)}")
        if not (np.isfinite(self.radius) and self.radius > 0):
            raise InputError(f"radius must be a positive distance, got {self.radius!r}")
        if len(self.skull_centre) != 3 or not all(np.isfinite(self.skull_centre)):
            raise InputError(f"skull_centre needs 3 finite values, got {self.skull_centre!r}")
