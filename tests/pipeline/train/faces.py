"""Tiny procedural faces for training tests: two identities whose mouth opening and head pose are parameters.

The dancer and the actor differ in skin, eyes and brows, so a swap is visible; `mouth_open` measures how open
the mouth of any crop (a model's output included) is, so tests can check whose performance a model follows.
"""
from __future__ import annotations

import numpy as np

SIZE = 64
IDENTITIES = {
    "dancer": {"skin": (0.85, 0.66, 0.52), "eye": (0.10, 0.20, 0.55), "eye_r": 0.08, "brow": 0.0},
    "actor": {"skin": (0.52, 0.38, 0.28), "eye": (0.15, 0.45, 0.15), "eye_r": 0.12, "brow": 1.0},
}
BACKGROUND = (0.55, 0.62, 0.70)
MOUTH = (0.22, 0.02, 0.03)


def face(identity: str, mouth: float, yaw: float, pitch: float, roll: float, *, size: int = SIZE,
         flat: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """One crop (H, W, 3) and head mask (H, W) in 0..1. `flat` renders a grey CG-like head (no colour)."""
    look = IDENTITIES[identity]
    r = (np.arange(size) + 0.5) / size * 2 - 1
    v, u = np.meshgrid(r, r, indexing="ij")
    a = np.radians(roll)
    u, v = np.cos(a) * u + np.sin(a) * v, -np.sin(a) * u + np.cos(a) * v
    u, v = u - yaw / 90 * 0.35, v - pitch / 90 * 0.35
    img = np.empty((size, size, 3), np.float32)
    img[:] = BACKGROUND
    head = np.clip((1 - (u / 0.68) ** 2 - (v / 0.85) ** 2) * 8, 0, 1)
    skin = np.array((0.6, 0.6, 0.6) if flat else look["skin"], np.float32)
    shade = 1 - 0.25 * np.clip(u * np.sign(yaw or 1), 0, 1)
    img = img * (1 - head[..., None]) + (skin * shade[..., None]) * head[..., None]

    def paint(region: np.ndarray, colour: tuple[float, float, float]) -> None:
        nonlocal img
        w = np.clip(region, 0, 1)[..., None] * head[..., None]
        img = img * (1 - w) + np.array(colour, np.float32) * w

    for side in (-1, 1):
        paint((1 - ((u - side * 0.3) / look["eye_r"]) ** 2 - ((v + 0.2) / look["eye_r"]) ** 2) * 6,
              (0.2, 0.2, 0.2) if flat else look["eye"])
        if look["brow"]:
            paint((1 - ((u - side * 0.3) / 0.18) ** 2 - ((v + 0.42) / 0.04) ** 2) * 6, (0.15, 0.1, 0.08))
    height = 0.025 + 0.3 * mouth
    paint((1 - (u / 0.32) ** 2 - ((v - 0.38) / height) ** 2) * 6, (0.1, 0.1, 0.1) if flat else MOUTH)
    return img.astype(np.float32), head.astype(np.float32)


def face_set(identity: str, mouths: np.ndarray, poses: np.ndarray, *, flat: bool = False
             ) -> tuple[np.ndarray, np.ndarray]:
    """Crops (N, H, W, 3) and masks (N, H, W) for per-crop mouth openings and poses (N, 3)."""
    made = [face(identity, m, *p, flat=flat) for m, p in zip(mouths, poses)]
    return np.stack([c for c, _ in made]), np.stack([m for _, m in made])


def random_poses(n: int, rng: np.random.Generator) -> np.ndarray:
    return np.stack([rng.uniform(-20, 20, n), rng.uniform(-10, 10, n), rng.uniform(-5, 5, n)], 1).astype(np.float32)


def mouth_open(crops: np.ndarray) -> np.ndarray:
    """How open each crop's mouth is: the amount of very dark pixels in the lower middle of the crop."""
    size = crops.shape[1]
    lum = crops[..., 0] * 0.3 + crops[..., 1] * 0.59 + crops[..., 2] * 0.11
    region = lum[:, int(size * 0.55):int(size * 0.92), int(size * 0.15):int(size * 0.85)]
    return np.clip((0.3 - region) / 0.15, 0, 1).mean(axis=(1, 2))
