"""Choreographies of the synthetic shots: where the body, the head and the camera are at any time.

Time `t` is in plate frames from the first frame (0 .. frames-1), continuous, so motion blur can sample
between frames. A preset is registered by name; `create_choreography(name, frames, seed)` builds one.
The dancer's performance (talking, smiles, blinks) is drawn from the seed beside the motion.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from pipeline.cg.head import Expression
from pipeline.cg.render import look_at
from pipeline.cg.scene import NECK_PIVOT
from pipeline.errors import InputError
from pipeline.geometry import axis_rotation, compose

NECK_HEIGHT = 1.50  # world height of the neck pivot when standing, metres


@dataclasses.dataclass(frozen=True)
class Choreography:
    """A preset's motion and the dancer's performance over `frames` plate frames."""

    name: str
    frames: int
    seed: int
    body_yaw: Callable[[float], float]  # degrees
    body_position: Callable[[float], np.ndarray]  # neck pivot in world, metres
    body_bend: Callable[[float], float]  # forward bend of the torso about the hips, degrees
    head_relative: Callable[[float], tuple[float, float, float]]  # yaw, pitch, roll to the body, degrees
    camera_position: Callable[[float], np.ndarray]
    camera_target: Callable[[float], np.ndarray]
    vfov_deg: float
    shutter: float  # in frames: 0.5 = 180°
    samples: int  # motion blur sub-samples per frame: odd, so the middle one is the frame's own time, where
    # the head and camera tracks are sampled (an even count would put the track half a sub-sample late)
    strands: bool  # loose hair that can fall across the face
    expressions: tuple[Expression, ...]  # the dancer's, one per frame

    def __post_init__(self) -> None:
        if self.samples < 1 or self.samples % 2 == 0:
            raise ValueError(f"{self.name}: motion blur samples must be odd (got {self.samples}), so the middle "
                             "sub-sample is the frame's own time")

    def body(self, t: float) -> np.ndarray:
        """Body-to-world (4, 4): body frame origin at the neck pivot."""
        hip = np.array([0.0, -0.55, 0.0])  # hips below the neck pivot
        bend = axis_rotation(0, self.body_bend(t))  # bending forward: the chest turns towards +Z, down
        yaw = axis_rotation(1, self.body_yaw(t))
        return compose(yaw @ bend, self.body_position(t) + yaw @ (hip - bend @ hip))

    def head(self, t: float) -> np.ndarray:
        """Head-to-world (4, 4): skull centre origin, turning about the neck pivot."""
        yaw, pitch, roll = self.head_relative(t)
        rel = axis_rotation(1, yaw) @ axis_rotation(0, pitch) @ axis_rotation(2, roll)
        head_in_body = compose(rel, -rel @ NECK_PIVOT)
        return self.body(t) @ head_in_body

    def camera(self, t: float) -> np.ndarray:
        """Camera-to-world (4, 4)."""
        return look_at(self.camera_position(t), self.camera_target(t))


def _ease(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3 - 2 * x)


def _spotting(body_yaw: float, amount: float = 0.7) -> float:
    """Head yaw relative to the body while turning: it lags facing front, then whips round ahead."""
    return -math.degrees(amount * math.sin(math.radians(body_yaw)))


def dancer_performance(frames: int, seed: int, *, smiles: int = 2) -> tuple[Expression, ...]:
    """Talking with the mouth moving, blinks, and a few wide toothy smiles, from the seed."""
    rng = np.random.default_rng(seed + 101)
    t = np.arange(frames)
    syllables = np.zeros(frames)
    k = 0.0
    while k < frames:
        length = rng.uniform(3, 7)
        syllables += rng.uniform(0.3, 1.0) * np.clip(np.sin(np.pi * (t - k) / length), 0, None) * ((t >= k) & (t < k + length))
        k += length + rng.uniform(0, 3)
    smile = np.zeros(frames)
    for i in range(smiles):
        centre = (i + 0.5) * frames / smiles + rng.uniform(-0.1, 0.1) * frames / smiles
        smile = np.maximum(smile, np.clip(1.6 - np.abs(t - centre) / max(3.0, frames / 16), 0, 1))
    blink = np.zeros(frames)
    for start in rng.choice(frames, size=max(1, frames // 30), replace=False):
        blink[start:start + 3] = (1.0, 0.6, 0.2)[: len(blink[start:start + 3])]
    return tuple(Expression(mouth_open=float(syllables[i] * (1 - smile[i]) + 0.25 * smile[i]), smile=float(smile[i]),
                            teeth_visible=bool(smile[i] > 0.5 or syllables[i] > 0.75), blink=float(blink[i]))
                 for i in range(frames))


def walkthrough_performance(frames: int, seed: int) -> tuple[Expression, ...]:
    """The actor's walkthrough (at half speed): a serious face in character, no smile, no teeth; she says her line
    (a few phrases of slow syllables, the mouth never wide) on her own timing, not the dancer's, and blinks.

    Her mouth stays below what the shot's "no open mouth" rule prunes, so her line survives into the fit set."""
    rng = np.random.default_rng(seed + 202)
    t = np.arange(frames)
    line = np.zeros(frames)
    k = rng.uniform(0.05, 0.15) * frames
    while k < frames:
        phrase_end = k + rng.uniform(0.15, 0.3) * frames
        while k < min(phrase_end, frames):  # syllables of 8-16 walkthrough frames (4-8 plate frames)
            length = rng.uniform(8, 16)
            line = np.maximum(line, rng.uniform(0.45, 0.7) * np.clip(np.sin(np.pi * (t - k) / length), 0, None)
                              * ((t >= k) & (t < k + length)))
            k += length + rng.uniform(0, 4)
        k += rng.uniform(0.1, 0.25) * frames  # a pause between phrases
    blink = np.zeros(frames)
    for start in rng.choice(frames, size=max(1, frames // 40), replace=False):
        blink[start:start + 2] = (1.0, 0.5)[: len(blink[start:start + 2])]
    return tuple(Expression(mouth_open=float(m), blink=float(b)) for m, b in zip(line, blink))


_REGISTRY: dict[str, Callable[[int, int], Choreography]] = {}


def register_preset(name: str):
    def wrap(fn: Callable[[int, int], Choreography]):
        _REGISTRY[name] = fn
        return fn
    return wrap


def list_presets() -> list[str]:
    return sorted(_REGISTRY)


def create_choreography(name: str, frames: int, seed: int) -> Choreography:
    if name not in _REGISTRY:
        raise InputError(f"unknown preset {name!r}; choose one of {', '.join(list_presets())}")
    if frames < 8:
        raise InputError(f"{name}: at least 8 frames are needed, got {frames}")
    return _REGISTRY[name](frames, seed)


def _wobble(seed: int, scale: float) -> Callable[[float], float]:
    """A smooth, seeded small motion (a sum of slow sines)."""
    rng = np.random.default_rng(seed)
    amps, freqs, phases = rng.uniform(0.3, 1, 3) * scale, rng.uniform(0.01, 0.05, 3), rng.uniform(0, 2 * np.pi, 3)
    return lambda t: float(np.sum(amps * np.sin(freqs * 2 * np.pi * t + phases)))


@register_preset("pirouette")
def pirouette(frames: int, seed: int) -> Choreography:
    """Two full turns across the stage, the head spotting, a camera tracking sideways and easing in."""
    n = frames - 1
    turn = lambda t: 720.0 * _ease((t / n - 0.08) / 0.84)  # noqa: E731
    drift = lambda t: np.array([-0.35 + 0.7 * _ease(t / n), NECK_HEIGHT + 0.04 * math.sin(math.pi * _ease(t / n)),  # noqa: E731
                                0.1 * math.sin(2 * math.pi * t / n)])
    pitch, roll = _wobble(seed + 1, 4.0), _wobble(seed + 2, 3.0)
    head = lambda t: (_spotting(turn(t)), 4.0 + pitch(t), roll(t))  # noqa: E731
    cam = lambda t: np.array([-0.2 + 0.5 * _ease(t / n), NECK_HEIGHT + 0.12, 2.7 - 0.3 * _ease(t / n)])  # noqa: E731
    target = lambda t: drift(t) + np.array([0.0, 0.1, 0.0])  # noqa: E731
    return Choreography("pirouette", frames, seed, turn, drift, lambda t: 0.0, head, cam, target, vfov_deg=12.0,
                        shutter=0.5, samples=3, strands=False, expressions=dancer_performance(frames, seed))


@register_preset("fouette")
def fouette(frames: int, seed: int) -> Choreography:
    """Fast whipping turns on the spot (a turn every 24 frames), heavy motion blur from a wide shutter."""
    turns = max(2.0, frames / 24)
    n = frames - 1
    turn = lambda t: 360.0 * turns * t / n  # noqa: E731
    place = lambda t: np.array([0.0, NECK_HEIGHT + 0.03 * math.sin(2 * math.pi * turns * t / n), 0.0])  # noqa: E731
    pitch, roll = _wobble(seed + 1, 3.0), _wobble(seed + 2, 4.0)
    head = lambda t: (_spotting(turn(t), 0.85), 3.0 + pitch(t), roll(t))  # noqa: E731
    cam = lambda t: np.array([0.15 * math.sin(t / n * math.pi), NECK_HEIGHT + 0.1, 2.5])  # noqa: E731
    target = lambda t: np.array([0.0, NECK_HEIGHT + 0.1, 0.0])  # noqa: E731
    return Choreography("fouette", frames, seed, turn, place, lambda t: 0.0, head, cam, target, vfov_deg=14.0,
                        shutter=0.75, samples=9, strands=False, expressions=dancer_performance(frames, seed))


@register_preset("closeup")
def closeup(frames: int, seed: int) -> Choreography:
    """A talking close-up: the dancer faces the lens, looks left and right and nods while she talks and smiles;
    the face fills the frame, so the performance (what the mouth does) is what the shot is about."""
    n = frames - 1
    look = lambda t: 38.0 * math.sin(2 * math.pi * t / n)  # noqa: E731  one look to each side
    nod, roll = _wobble(seed + 1, 5.0), _wobble(seed + 2, 3.0)
    head = lambda t: (look(t), 3.0 + nod(t), roll(t))  # noqa: E731
    place = lambda t: np.array([0.0, NECK_HEIGHT, 0.0])  # noqa: E731
    cam = lambda t: np.array([0.05, NECK_HEIGHT + 0.08, 2.4 - 0.1 * _ease(t / n)])  # noqa: E731
    target = lambda t: np.array([0.0, NECK_HEIGHT + 0.1, 0.0])  # noqa: E731
    return Choreography("closeup", frames, seed, lambda t: 0.0, place, lambda t: 0.0, head, cam, target, vfov_deg=7.5,
                        shutter=0.5, samples=3, strands=False, expressions=dancer_performance(frames, seed, smiles=1))


@register_preset("bow")
def bow(frames: int, seed: int) -> Choreography:
    """A deep bow: the torso bends, the head drops, loose strands fall across the face, then back up."""
    n = frames - 1

    def depth(t: float) -> float:
        x = t / n
        return _ease(x / 0.4) if x < 0.6 else 1.0 - _ease((x - 0.6) / 0.35)

    sway = _wobble(seed + 1, 6.0)
    head = lambda t: (sway(t), 50.0 * depth(t), 0.5 * sway(t))  # noqa: E731  rx > 0 lowers the nose
    bend = lambda t: 35.0 * depth(t)  # noqa: E731
    place = lambda t: np.array([0.0, NECK_HEIGHT, 0.0])  # noqa: E731
    cam = lambda t: np.array([0.1, NECK_HEIGHT - 0.05, 2.6])  # noqa: E731
    target = lambda t: np.array([0.0, NECK_HEIGHT - 0.15 * depth(t), 0.25 * depth(t)])  # noqa: E731
    return Choreography("bow", frames, seed, lambda t: 0.0, place, bend, head, cam, target, vfov_deg=16.0,
                        shutter=0.5, samples=5, strands=True, expressions=dancer_performance(frames, seed, smiles=1))
