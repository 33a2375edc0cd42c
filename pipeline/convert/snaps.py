"""Which actor frame a snapping (rigid) variant takes, chosen over neighbouring plate frames.

Snapped frame by frame, a plate frame takes the actor latent nearest its own, and where two actor frames are
about as near (one expression filmed by two cameras, two moments alike) the choice alternates from frame to frame:
each change is a pop in the swap. On the real talking clip the rigid variant changed actor frame 22 times over
139 swapped frames and flickered 1.38 times as much as the plate (pipeline.eval.truthfree), on the 360° turn 16
times over 51, 4.73 times the plate's flicker, with 31 % of its frames flagged by QC's anomaly score. Choosing for
each frame the actor latent nearest on average over the plate frames within `[convert] snap_window` of it keeps a
choice while it stays about as good and takes the next when it is clearly better. With 8 (a third of a second at
24 fps): 12 changes, 1.26 and 2.9 % flagged (3.6 % before) on the talking clip; 12 changes, 3.67 and 12 % flagged
on the turn, with the identity margins as before (tests/bench/bench_real_eval's shots and trained models). With
24 the talking clip's three-quarter frames hold an actor frame past the turn (margin +0.26 -> +0.23, pose error
14° -> 17°); with 4 the turn keeps most of its pops (4.56, 28 % flagged).

The choice of a frame depends on its neighbours only, never on where a chunk of the shot starts, so a shot
converted in chunks on several workers equals the one converted whole (each chunk reads `snap_window` frames
past its edges). Frames snapped to their synced moment of the actor's walkthrough keep that moment: the sync
already says which actor frame goes with the plate frame.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def windowed_snaps(distances: Mapping[int, np.ndarray], window: int,
                   matches: Mapping[int, np.ndarray] | None = None) -> dict[int, int]:
    """Per plate frame of `distances` ({frame: (N,) latent distance to each actor latent, infinite where the frame
    may not snap to it}): the actor latent nearest on average over the frames of `distances` within `window` of it
    (each latent averaged over the neighbours that allow it), among those the frame itself allows and, with
    `matches` ({frame: (N,) bool, the latents whose mouth matches the frame's}), those whose mouth matches on more
    than half the frames within `window` (else those matching on the frame itself)."""
    return {frame: windowed_snap(distances, frame, window, matches) for frame in distances}


def windowed_snap(distances: Mapping[int, np.ndarray], frame: int, window: int,
                  matches: Mapping[int, np.ndarray] | None = None) -> int:
    """`windowed_snaps` of one frame of `distances`: it needs the frames within `window` of it, no others (so
    conversion measures them as it goes, pipeline.convert.stage.SnapChoices).

    The mouth decides by the window's majority, not frame by frame: on the real talking clip a plate mouth wavering
    about where a talking actor frame's tolerance begins (0.23, 0.24, 0.25 over four frames) flipped the choice
    between it and a calm one each frame, 24 changes of actor frame over 139 frames where 12 had been."""
    own = distances[frame]
    around = [f for f in range(frame - window, frame + window + 1) if f in distances]
    rows = np.stack([distances[f] for f in around])
    finite = np.isfinite(rows)
    with np.errstate(invalid="ignore"):
        mean = np.where(finite, rows, 0.0).sum(axis=0) / np.maximum(finite.sum(axis=0), 1)
    eligible = np.isfinite(own)
    if matches is not None and frame in matches:
        votes = np.stack([matches[f] for f in around if f in matches]).mean(axis=0)
        held = eligible & (votes > 0.5)
        held = held if held.any() else eligible & matches[frame]
        eligible = held if held.any() else eligible
    mean = np.where(eligible, mean, np.inf)
    return int(np.argmin(mean)) if np.isfinite(mean).any() else int(np.argmin(own))


class PlateMouths:
    """The plate's mouth_open on the model's crops, measured as the actor's faceset measured his (the refined face
    mesh of the crop, pipeline.dataset.descriptors.crop_landmarks, read by mesh_measures), so a snapping model
    holds its actor frames to the plate's mouth (TrainedSwapper.match_mouths). NaN where the mesh finds no face."""

    def __init__(self, *, linear: bool):
        from pipeline.track.solve import Landmarker

        self.linear = linear
        self._mesh = Landmarker(mode="static", min_detection_confidence=0.3, refine=True)

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        """(B, 2) mouth_open and mouth_inside of crops (B, S, S, 3) in the plate's encoding."""
        from pipeline.dataset.descriptors import crop_landmarks, mesh_measures
        from pipeline.media.image import linear_to_srgb

        mouths = np.full((len(crops), 2), np.nan)
        for k, crop in enumerate(crops):
            display = np.clip(linear_to_srgb(np.clip(crop, 0.0, None)) if self.linear else crop, 0.0, 1.0)
            points = crop_landmarks(self._mesh, display)
            if points is not None:
                measured = mesh_measures(display, points)
                mouths[k] = measured["mouth_open"], measured["mouth_inside"]
        return mouths

    def close(self) -> None:
        self._mesh.close()
