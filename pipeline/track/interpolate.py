"""Filling and smoothing per-frame pose channels.

Angles are filled on their unwrapped values: a gap is bridged with a cubic that leaves and joins the known
frames at their own angular velocities. How many whole turns the head made inside the gap comes from those
velocities: when the head leaves and comes back turning the same way, it went on round (the smallest turn in
that direction nearest the velocities' estimate), so a spinning head keeps spinning through the back of its
turn instead of going back the short way. A dancer "spotting" holds the head to the front and whips it
round unseen, so the edge velocities understate the turn: the direction decides, not the speed alone.
Where something else saw the head turn through the gap (a `guide`: the yaw of the line between the ears,
pipeline.track.body), the bridge follows it instead, turns included, its drift taken out by a ramp so it
leaves and joins the known frames exactly.
Pitch and roll are bridged in a straight line between the values either side of a gap (each the median of a
few frames, since the frames by a gap are near profile, where they are least sure): their edge velocities
would carry a nod on into a 30 degree tilt through the back of the head.
"""
from __future__ import annotations

import numpy as np

# Frames used at each side of a gap to estimate the angular velocity there.
EDGE_FRAMES = 5
# Below this speed (degrees per frame) a side of a gap says nothing about the direction of a turn.
MIN_TURN_SPEED = 0.5
MAX_TURNS = 4


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index ranges where `mask` is True."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2], edges[1::2]))


def _edge_velocity(t: np.ndarray, y: np.ndarray) -> float | None:
    """Slope of a least-squares line through the given samples, or None for a single sample."""
    if len(t) < 2:
        return None
    return float(np.polyfit(t - t.mean(), y, 1)[0])


def _hermite(t: np.ndarray, t0: float, y0: float, v0: float, t1: float, y1: float, v1: float) -> np.ndarray:
    h = t1 - t0
    s = (t - t0) / h
    h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
    h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
    return h00 * y0 + h10 * h * v0 + h01 * y1 + h11 * h * v1


def _turns(delta: float, span: float, velocities: list[float]) -> int:
    """Whole turns to add to `delta` (the wrapped change across a gap of `span` frames) given the angular
    velocities measured at its edges."""
    expected = float(np.mean(velocities)) * span if velocities else 0.0
    candidates = [delta + 360.0 * k for k in range(-MAX_TURNS, MAX_TURNS + 1)]
    signs = {np.sign(v) for v in velocities if abs(v) >= MIN_TURN_SPEED}
    if len(signs) == 1:  # leaving and coming back turning the same way: the turn went on that way
        direction = signs.pop()
        candidates = [d for d in candidates if d * direction > 0] or candidates
    best = min(candidates, key=lambda d: abs(d - expected))
    return int(round((best - delta) / 360.0))


def _guide_through(guide: np.ndarray | None, lo: int, hi: int) -> np.ndarray | None:
    """The guide unwrapped over indices lo..hi (both ends included), its holes interpolated; None unless it
    covers both ends and most of the frames between."""
    if guide is None:
        return None
    g = np.asarray(guide[lo:hi + 1], dtype=np.float64)
    have = np.isfinite(g)
    if not (have[0] and have[-1]) or have.mean() < 0.7:
        return None
    x = np.arange(len(g))
    unwrapped = np.degrees(np.unwrap(np.radians(g[have])))
    return np.interp(x, x[have], unwrapped)


def fill_angle_channel(t: np.ndarray, y: np.ndarray, known: np.ndarray, *, spin: bool = True,
                       extrapolate: bool = False, guide: np.ndarray | None = None) -> np.ndarray:
    """One angle channel in degrees: unwrap the known runs, bridge the gaps, return a continuous curve.

    `spin`: the angle can make whole turns inside a gap (yaw); otherwise (pitch, roll) a gap is bridged
    the short way. `extrapolate` continues the edge velocity before the first and after the last known
    frame for up to half a turn (a spin carries on to the back of the head); otherwise the end values are held.
    `guide` (spin channels only): the angle as something else saw it on every frame (NaN where nothing did),
    whose shape bridges a gap it covers, and which carries the ends on when `extrapolate`.
    """
    t = np.asarray(t, dtype=np.float64)
    out = np.asarray(y, dtype=np.float64).copy()
    known_runs = runs(np.asarray(known, dtype=bool))
    if not known_runs:
        raise ValueError("no known frame to fill from")
    offset = 0.0
    prev: tuple[float, float, float | None] | None = None  # t, y, velocity at the end of the previous run
    prev_start = prev_stop = 0
    for start, stop in known_runs:
        seg = np.degrees(np.unwrap(np.radians(out[start:stop])))
        seg += offset
        v_in = _edge_velocity(t[start:stop][:EDGE_FRAMES], seg[:EDGE_FRAMES])
        if prev is not None:
            t0, y0, v0 = prev
            t1 = t[start]
            span = t1 - t0
            gap = slice(prev_stop, start)
            path = _guide_through(guide, prev_stop - 1, start) if spin else None
            if path is not None:  # the guide's turn, anchored at the left and ramped onto the right
                path = path - path[0] + y0
                seg += 360.0 * np.round((path[-1] - seg[0]) / 360.0)
                ramp = (t[gap] - t0) / span * (seg[0] - path[-1])
                out[gap] = path[1:-1] + ramp
            elif spin:
                seg += 360.0 * _turns(seg[0] - y0, span, [v for v in (v0, v_in) if v is not None])
                chord = (seg[0] - y0) / span
                v_start, v_end = chord if v0 is None else v0, chord if v_in is None else v_in
                out[gap] = _hermite(t[gap], t0, y0, v_start, t1, seg[0], v_end)
            else:
                seg -= 360.0 * np.round((seg[0] - y0) / 360.0)
                left = float(np.median(out[max(prev_start, prev_stop - EDGE_FRAMES):prev_stop]))
                right = float(np.median(seg[:EDGE_FRAMES]))
                out[gap] = left + (t[gap] - t0) / span * (right - left)
        out[start:stop] = seg
        offset = seg[0] - np.degrees(np.unwrap(np.radians(y[start:stop])))[0]
        v_out = _edge_velocity(t[start:stop][-EDGE_FRAMES:], seg[-EDGE_FRAMES:])
        prev = (t[stop - 1], seg[-1], v_out)
        prev_start, prev_stop = start, stop
    first, last = known_runs[0][0], known_runs[-1][1] - 1
    first_stop = known_runs[0][1]
    v_first = _edge_velocity(t[first:first_stop][:EDGE_FRAMES], out[first:first_stop][:EDGE_FRAMES])
    v_last = prev[2]
    # Past the ends a spin carries on as the guide saw it, or round to the back of the head (half a turn at
    # most) at its edge velocity, then holds.
    lead = _guide_through(guide, 0, first) if extrapolate and spin else None
    trail = _guide_through(guide, last, len(t) - 1) if extrapolate and spin else None
    if lead is not None:
        out[:first] = (lead - lead[-1] + out[first])[:-1]
    elif extrapolate and v_first is not None:
        out[:first] = out[first] + np.clip((t[:first] - t[first]) * v_first, -180.0, 180.0)
    else:
        out[:first] = out[first]
    if trail is not None:
        out[last + 1:] = (trail - trail[0] + out[last])[1:]
    elif extrapolate and v_last is not None:
        out[last + 1:] = out[last] + np.clip((t[last + 1:] - t[last]) * v_last, -180.0, 180.0)
    else:
        out[last + 1:] = out[last]
    return out


def fill_angles(t: np.ndarray, ypr: np.ndarray, known: np.ndarray, *, extrapolate: bool = True,
                yaw_guide: np.ndarray | None = None) -> np.ndarray:
    """(N, 3) yaw, pitch, roll in degrees, filled by `fill_angle_channel`: yaw may spin through whole turns
    (following `yaw_guide` where it covers a gap; with `extrapolate`, carrying on spinning past the ends);
    pitch and roll take the short way, in a straight line."""
    ypr = np.asarray(ypr, dtype=np.float64)
    return np.stack([fill_angle_channel(t, ypr[:, c], known, spin=c == 0, extrapolate=extrapolate and c == 0,
                                        guide=yaw_guide if c == 0 else None) for c in range(3)], axis=1)


def fill_linear(t: np.ndarray, values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """(N, C) channels linearly interpolated over unknown frames, end values held."""
    values = np.asarray(values, dtype=np.float64)
    known = np.asarray(known, dtype=bool)
    return np.stack([np.interp(t, t[known], values[known, c]) for c in range(values.shape[1])], axis=1)


def smooth(t: np.ndarray, values: np.ndarray, weights: np.ndarray, *, sigma: float) -> np.ndarray:
    """(N, C) channels smoothed by a weighted local linear fit with a Gaussian window of `sigma` frames.

    Local linear (not a plain average) so constant-velocity motion such as a spin, and the clip's ends,
    are not pulled towards their neighbours. Frames with weight 0 take their value from the others.
    """
    values = np.asarray(values, dtype=np.float64)
    if sigma <= 0 or len(values) < 3:
        return values.copy()
    t = np.asarray(t, dtype=np.float64)
    w = np.clip(np.asarray(weights, dtype=np.float64), 1e-6, None)
    radius = int(np.ceil(3 * sigma))
    out = np.empty_like(values)
    for i in range(len(t)):
        lo, hi = max(0, i - radius), min(len(t), i + radius + 1)
        dt = t[lo:hi] - t[i]
        g = w[lo:hi] * np.exp(-0.5 * (dt / sigma) ** 2)
        s0, s1, s2 = g.sum(), (g * dt).sum(), (g * dt * dt).sum()
        det = s0 * s2 - s1 * s1
        for c in range(values.shape[1]):
            y = values[lo:hi, c]
            m0, m1 = (g * y).sum(), (g * dt * y).sum()
            out[i, c] = (s2 * m0 - s1 * m1) / det if det > 1e-9 * s0 * s0 else m0 / s0
    return out
