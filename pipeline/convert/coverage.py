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
    edges = np.flatnonzero(np.diff(np.concatenate([[0], filled.astype(np.int8), [0]])))
    for start, stop in zip(edges[::2], edges[1::2]):  # each gap: filled[start:stop]
        bounded = start > 0 and stop < len(filled) and covered[start - 1] and covered[stop]
        guessed[start:stop] = not bounded
    return guessed


def coverage_summary(frames: np.ndarray, ypr: np.ndarray, distance: np.ndarray | None, *, limit_deg: float,
                     policy: str, guessed: np.ndarray | None = None) -> dict[str, Any]:
    """converted.json's "coverage": the limit and policy, the uncovered frames and the views they need (plain
    data). Without a distance (no training poses known) nothing is uncovered, and `measured` says so; `guessed`
    (N,) marks frames uncovered whatever their distance (`guessed_poses`, as conversion found them)."""
    uncovered = np.zeros(len(frames), bool) if distance is None else np.asarray(distance) > limit_deg
    if distance is not None and guessed is not None:
        uncovered = uncovered | np.asarray(guessed, bool)
    views = missing_views(frames, ypr, uncovered)
    return {"limit_deg": limit_deg, "policy": policy, "measured": distance is not None,
            "uncovered_frames": [int(f) for f in np.asarray(frames)[uncovered]],
            "missing": [{**asdict(v), "text": v.text} for v in views]}
