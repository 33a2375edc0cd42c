"""Where a conversion cannot work: plate frames whose pose lies farther from every pose of the actor's material
than the shot allows ([convert] coverage_limit_deg). A model asked for a view it never saw paints a blurred
face anyway (on a 360 turn, onto the back of the dancer's hair), so such a frame is handled by the shot's
[convert] uncovered policy ("plate": keep the plate, flagged; "swap": swap anyway, flagged; "cg": the actor's CG
head render), and the summary says which frames and which views the actor material is missing, so the TD
knows what to shoot.

A pose the tracker only filled (no face measured) is a guess, and the guess is trusted only where it
interpolates: in a gap bounded on both sides by measured frames that are covered. A gap the head leaves the
face mesh's reach through (a turn past profile, the shot's first or last frames) is extrapolated, and there
the fill falls short of the turn: on the real 360 turn (tests/bench/bench_real_eval) the track read -54° of yaw
with the head in profile, within reach of the actor's -53° material, and the model pasted a dark, blurred
frontal face over the profile. Such frames are uncovered too (`guessed_poses`).

Frame by frame, a pose wavering about the limit would switch the swap on and off: the real talking clip sits at
28-31° from the actor's material, and the swap dropped out for two frames at a time. As a compositor would not
cut a head in and out for a frame or two, such flicker is taken out (`steady_uncovered`): a drop-out shorter than
`coverage_min_run` frames no farther than `coverage_hysteresis_deg` past the limit is swapped, a swap shorter than
`coverage_min_run` frames between plate frames is not made, and the swap dissolves in from (and out to) the
plate over `coverage_fade` frames (`fade_weights`). A pose that stays past the limit keeps the plate.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

UNCOVERED_POLICIES = ("plate", "swap", "cg")


@dataclass(frozen=True)
class MissingView:
    """A run of consecutive uncovered plate frames, the span of views it shows, and what to capture."""

    frames: tuple[int, int]                 # first, last (inclusive)
    yaw_deg: tuple[float, float]            # the arc of yaw the run sweeps, low to high (high may pass 180)
    pitch_deg: tuple[float, float]
    capture: str                            # what the actor material needs, in words

    @property
    def text(self) -> str:
        a, b = self.frames
        frames = f"frame {a}" if a == b else f"frames {a}-{b}"
        return f"{frames}: yaw {self.yaw_deg[0]:.0f}°–{self.yaw_deg[1]:.0f}°: {self.capture}"


def yaw_arc(yaw: np.ndarray) -> tuple[float, float]:
    """The shortest arc (low, high in degrees, low in -180..180, high up to low + 360) holding every yaw: a run
    through the back of the head reads 120°–240°, not -180°–180°."""
    angles = np.sort(np.mod(np.asarray(yaw, np.float64) + 180.0, 360.0) - 180.0)
    if len(angles) == 1:
        return float(angles[0]), float(angles[0])
    gaps = np.diff(np.append(angles, angles[0] + 360.0))
    start = (int(np.argmax(gaps)) + 1) % len(angles)  # the arc begins after the widest empty gap
    low = float(angles[start])
    return low, low + float(360.0 - gaps.max())


def capture_advice(yaw: float, pitch: float) -> str:
    """What to shoot for a view (the run's middle yaw and pitch, degrees; yaw 0 faces the camera)."""
    turned = abs((yaw + 180.0) % 360.0 - 180.0)
    view = ("the back of the head" if turned > 120 else "the head in profile" if turned > 60
            else "three-quarter views" if turned > 30 else "the face from the front")
    if abs(pitch) > 30:
        view += ", looking " + ("up" if pitch > 0 else "down")
    return f"shoot {view}"


def missing_views(frames: np.ndarray, ypr: np.ndarray, uncovered: np.ndarray) -> list[MissingView]:
    """The uncovered frames as runs of consecutive plate frames, each with the views it needs."""
    frames, ypr, uncovered = np.asarray(frames), np.asarray(ypr, np.float64), np.asarray(uncovered, bool)
    runs: list[MissingView] = []
    index = np.flatnonzero(uncovered)
    if len(index) == 0:
        return runs
    breaks = np.flatnonzero(np.diff(frames[index]) != 1) + 1
    for run in np.split(index, breaks):
        yaw, pitch = ypr[run, 0], ypr[run, 1]
        low, high = yaw_arc(yaw)
        runs.append(MissingView(frames=(int(frames[run[0]]), int(frames[run[-1]])), yaw_deg=(low, high),
                                pitch_deg=(float(pitch.min()), float(pitch.max())),
                                capture=capture_advice((low + high) / 2.0, float(np.median(pitch)))))
    return runs


def guessed_poses(status: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """(N,) bool over a track's frames in order: the filled frames (`status` "filled") of every gap that is not
    bounded on both sides by a measured frame that is `covered` (within the coverage limit); their pose is an
    extrapolation, not known to be covered whatever its distance says (see the module's doc)."""
    filled = np.asarray(status).astype(str) == "filled"
    covered = np.asarray(covered, bool)
    guessed = np.zeros(len(filled), bool)
    for start, stop in _runs(filled):  # each gap: filled[start:stop]
        bounded = start > 0 and stop < len(filled) and covered[start - 1] and covered[stop]
        guessed[start:stop] = not bounded
    return guessed


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of every run of True in a 1-D bool array."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], np.asarray(mask, np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def steady_uncovered(distance: np.ndarray, guessed: np.ndarray, *, limit_deg: float, hysteresis_deg: float,
                     min_run: int) -> np.ndarray:
    """(N,) bool over a track's frames in order: which are uncovered, with the flicker taken out (the module's
    doc). A frame is covered within `limit_deg` (an unknown, NaN, distance counts as within) and never when its
    pose is `guessed`. Then a run of uncovered frames shorter than `min_run` between covered ones is covered when
    every frame of it is within `limit_deg + hysteresis_deg` (a pose wavering about the limit; a sustained one
    past it stays uncovered), and a covered run shorter than `min_run` with an uncovered frame on either side is
    uncovered (no flash of swap)."""
    distance = np.asarray(distance, np.float64)
    guessed = np.asarray(guessed, bool)
    with np.errstate(invalid="ignore"):
        uncovered = (distance > limit_deg) | guessed
        beyond = (distance > limit_deg + hysteresis_deg) | guessed
    n = len(uncovered)
    for start, stop in _runs(uncovered):
        if stop - start < min_run and start > 0 and stop < n and not beyond[start:stop].any():
            uncovered[start:stop] = False
    for start, stop in _runs(~uncovered):
        if stop - start < min_run and (start > 0 or stop < n):
            uncovered[start:stop] = True
    return uncovered


def fade_weights(uncovered: np.ndarray, frames: int) -> np.ndarray:
    """(N,) 0..1 per track frame: how much of the swap a covered frame shows, rising from the plate over `frames`
    frames after an uncovered run and falling before one (1/(frames+1), 2/(frames+1)...); 0 on uncovered frames."""
    uncovered = np.asarray(uncovered, bool)
    if not uncovered.any() or frames < 1:
        return (~uncovered).astype(np.float64)
    index = np.arange(len(uncovered))
    plate = np.flatnonzero(uncovered)
    nearest = np.abs(index[:, None] - plate[None, :]).min(axis=1)  # frames to the nearest uncovered one
    return np.clip(nearest / (frames + 1.0), 0.0, 1.0)


def coverage_summary(frames: np.ndarray, ypr: np.ndarray, uncovered: np.ndarray | None, *, limit_deg: float,
                     policy: str) -> dict[str, Any]:
    """converted.json's "coverage": the limit and policy, the uncovered frames (as conversion decided them,
    `steady_uncovered`) and the views they need (plain data). Without them (no training poses known) nothing is
    uncovered, and `measured` says so."""
    measured = uncovered is not None
    uncovered = np.zeros(len(frames), bool) if uncovered is None else np.asarray(uncovered, bool)
    views = missing_views(frames, ypr, uncovered)
    return {"limit_deg": limit_deg, "policy": policy, "measured": measured,
            "uncovered_frames": [int(f) for f in np.asarray(frames)[uncovered]],
            "missing": [{**asdict(v), "text": v.text} for v in views]}
