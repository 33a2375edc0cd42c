"""Performance sync: which of the actor's fit-set latents happened at the same moment as a plate frame.

The actor's walkthrough follows the plate's action in time (a `sync` on its [[sources]] table says how), so the
expression she had at plate frame f is in the walkthrough frames synced near f. A model that snaps to the actor's
latents (rigid, performance < 1) then snaps, for plate frame f, only to latents synced within `window` plate frames
of f (from any camera of the walkthrough): the dancer's crop still picks the nearest view among them, but the
mouth is the actor's at that moment, not the one nearest the dancer's. Frames with no synced latent that near
(material the rules pruned, a walkthrough shorter than the plate) snap to the whole fit set as before.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.shot import SourceSync


@dataclass(frozen=True)
class PerformanceSync:
    """The plate time of each latent of a bank (NaN when its source has no sync) and the snapping window."""

    times: np.ndarray  # (N,) plate frames, fractional
    window: float      # plate frames either side

    @classmethod
    def of(cls, origins: Sequence[tuple[str, int] | None], syncs: Mapping[str, SourceSync], window: float
           ) -> PerformanceSync | None:
        """From a bank's origins and the shot's synced sources; None when no latent is synced or window <= 0."""
        if window <= 0:
            return None
        times = np.array([syncs[o[0]].plate_time(o[1]) if o is not None and o[0] in syncs else np.nan
                          for o in origins], np.float64)
        if not np.isfinite(times).any():
            return None
        return cls(times=times, window=float(window))

    @property
    def synced(self) -> int:
        """How many latents have a time on the plate."""
        return int(np.isfinite(self.times).sum())

    def allowed(self, frames: Sequence[int]) -> np.ndarray:
        """(len(frames), N) bool: the latents within the window of each plate frame."""
        f = np.asarray(frames, np.float64)[:, None]
        with np.errstate(invalid="ignore"):
            return np.abs(self.times[None, :] - f) <= self.window + 1e-9
