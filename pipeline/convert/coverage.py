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

What to shoot names every view a run needs (a turn through the back of the head needs the profiles too) and,
where the material's poses are known, what it holds nearest the run: on the real talking clip the plate's level,
frontal face sat 28-31° from all of the actor's material, as the only frontal camera of his clips looked up at
him from about 30° below (on the 360° turn's walk-in, 35°); "shoot the face from the front" alone would send the
TD to film again what he had.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

UNCOVERED_POLICIES = ("plate", "swap", "cg")
LOOKING_DEG = 30.0     # a run's pitch past this asks for the actor looking up or down
CAMERA_HEIGHT_DEG = 15.0  # the nearest material's pitch this far from the run's (and farther than its yaw) is a
                          # camera set higher or lower than the plate's (the dataset's coverage_deg: where a swap
                          # starts to soften)


@dataclass(frozen=True)
class MissingView:
    """A run of consecutive uncovered plate frames, the span of views it shows, and what to capture."""

    frames: tuple[int, int]                 # first, last (inclusive)
    yaw_deg: tuple[float, float]            # the arc of yaw the run sweeps, low to high (high may pass 180)
    pitch_deg: tuple[float, float]
    capture: str                            # what the actor material needs, in words
    # the pose (yaw, pitch, degrees as the camera sees the head) of the actor's material nearest the run's most
    # frontal frame, where the material's poses are known
    nearest_deg: tuple[float, float] | None = None

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


def _wrapped(angle: float | np.ndarray) -> float | np.ndarray:
    return (angle + 180.0) % 360.0 - 180.0


VIEWS = ("the face from the front", "three-quarter views", "the head in profile", "the back of the head")
VIEW_EDGES_DEG = (30.0, 60.0, 120.0)  # |yaw| where each view of VIEWS gives way to the next
MIN_VIEW_FRAMES = 4    # a view holding fewer of a run's frames (and under a quarter of them) is not asked for: a
                       # yaw wavering about an edge does not add the next view


def view_of(yaw: float | np.ndarray) -> np.ndarray:
    """Index into VIEWS of each yaw (degrees, as the camera sees the head)."""
    return np.searchsorted(VIEW_EDGES_DEG, np.abs(_wrapped(np.asarray(yaw, np.float64))), side="left")


def views_to_shoot(yaws: float | np.ndarray) -> list[str]:
    """The VIEWS a run of frames shows (their yaws), front to back: a turn through the back of the head asks for
    the profiles too, not only for whatever its middle shows."""
    seen = np.atleast_1d(view_of(yaws))
    least = min(MIN_VIEW_FRAMES, int(np.ceil(len(seen) / 4)))
    counts = np.bincount(seen, minlength=len(VIEWS))
    return [view for view, n in zip(VIEWS, counts) if n >= least] or [VIEWS[int(np.argmax(counts))]]


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass(frozen=True)
class Nearest:
    """A run's most frontal frame (the view a camera set too high or low spoils first) and the actor's material
    nearest it: (yaw, pitch) each, degrees as the camera sees the head."""

    frame: tuple[float, float]
    material: tuple[float, float]


def capture_advice(yaws: float | np.ndarray, pitch: float, nearest: Nearest | None = None) -> str:
    """What to shoot for a run of frames: the views its yaws show (degrees as the camera sees the head: yaw 0 faces
    the camera, positive pitch tips the nose down, pipeline.geometry), looking up or down past LOOKING_DEG of its
    (median) pitch; given `nearest`, what the actor's material holds nearest the run, and where that is seen from
    a camera far below or above the frame's view (more than CAMERA_HEIGHT_DEG, and more than it is turned away),
    the advice to film level with the face."""
    views = views_to_shoot(yaws)
    looking = f", looking {'down' if pitch > 0 else 'up'}" if abs(pitch) > LOOKING_DEG else ""
    if nearest is None:
        return f"shoot {_listed(views)}{looking}"
    (yaw, own_pitch), (near_yaw, near_pitch) = nearest.frame, nearest.material
    rise = near_pitch - own_pitch  # negative: the material shows the face from below (its nose higher than the view's)
    height = abs(rise) >= CAMERA_HEIGHT_DEG and abs(rise) >= abs(_wrapped(near_yaw - yaw))
    level = ", level with the face" if height and not looking else ""
    seen = f", seen from {abs(rise):.0f}° {'below' if rise < 0 else 'above'}" if height else ""
    return (f"shoot {_listed(views)}{looking}{level} (the actor's material nearest it is at yaw "
            f"{_wrapped(near_yaw):.0f}°, pitch {near_pitch:.0f}°{seen})")


def missing_views(frames: np.ndarray, ypr: np.ndarray, uncovered: np.ndarray,
                  nearest: np.ndarray | None = None) -> list[MissingView]:
    """The uncovered frames as runs of consecutive plate frames, each with the views it needs; `nearest` (N, 2+),
    the yaw and pitch of the actor's material nearest each frame, adds what she has closest to the run's most
    frontal frame (the view a camera set too high or low spoils first)."""
    frames, ypr, uncovered = np.asarray(frames), np.asarray(ypr, np.float64), np.asarray(uncovered, bool)
    runs: list[MissingView] = []
    index = np.flatnonzero(uncovered)
    if len(index) == 0:
        return runs
    breaks = np.flatnonzero(np.diff(frames[index]) != 1) + 1
    for run in np.split(index, breaks):
        yaw, pitch = ypr[run, 0], ypr[run, 1]
        low, high = yaw_arc(yaw)
        near = None
        if nearest is not None:
            front = run[int(np.argmin(np.abs(_wrapped(yaw))))]
            near = Nearest(frame=(float(ypr[front, 0]), float(ypr[front, 1])),
                           material=(float(nearest[front, 0]), float(nearest[front, 1])))
        runs.append(MissingView(frames=(int(frames[run[0]]), int(frames[run[-1]])), yaw_deg=(low, high),
                                pitch_deg=(float(pitch.min()), float(pitch.max())),
                                nearest_deg=None if near is None else near.material,
                                capture=capture_advice(yaw, float(np.median(pitch)), near)))
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
                     policy: str, nearest: np.ndarray | None = None) -> dict[str, Any]:
    """converted.json's "coverage": the limit and policy, the uncovered frames (as conversion decided them,
    `steady_uncovered`) and the views they need (plain data), with the actor's material nearest each (`nearest`,
    (N, 2+) yaw and pitch per frame) where known. Without `uncovered` (no training poses known) nothing is
    uncovered, and `measured` says so."""
    measured = uncovered is not None
    uncovered = np.zeros(len(frames), bool) if uncovered is None else np.asarray(uncovered, bool)
    views = missing_views(frames, ypr, uncovered, nearest)
    return {"limit_deg": limit_deg, "policy": policy, "measured": measured,
            "uncovered_frames": [int(f) for f in np.asarray(frames)[uncovered]],
            "missing": [{**asdict(v), "text": v.text} for v in views]}
