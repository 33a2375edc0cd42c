"""The measures of `facereplace eval`, each a plain function on arrays: masked PSNR and SSIM, identity margin,
performance adherence, flicker, and the yaw bins the table is cut into.

Images are display-encoded RGB in 0..1 (what a supervisor looks at); weights are the head matte in 0..1.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# Yaw bins on |yaw| wrapped to 0..180 degrees: (name, lower bound included, upper bound excluded).
YAW_BINS: tuple[tuple[str, float, float], ...] = (
    ("frontal", 0.0, 30.0), ("three_quarter", 30.0, 60.0), ("profile", 60.0, 120.0), ("back", 120.0, 180.0))
BIN_NAMES: tuple[str, ...] = tuple(name for name, _, _ in YAW_BINS)
PSNR_CAP_DB = 100.0  # an exact match (zero error) reads as this, so JSON never holds infinity


def yaw_bin(yaw_deg: float) -> str:
    """The bin of a head yaw in degrees (any range; 0 is the face towards the lens, 180 the back of the head)."""
    a = abs(180.0 - (180.0 - float(yaw_deg)) % 360.0)  # |yaw| wrapped to 0..180
    for name, low, high in YAW_BINS[:-1]:
        if low <= a < high:
            return name
    return YAW_BINS[-1][0]


def masked_mse(a: np.ndarray, b: np.ndarray, weight: np.ndarray) -> float | None:
    """Mean squared error over the colour channels, weighted by the matte; None where the matte is empty."""
    total = float(weight.sum())
    if total <= 0:
        return None
    err = ((np.asarray(a, np.float64) - b) ** 2).mean(axis=2)
    return float((err * weight).sum() / total)


def psnr_db(mse: float | None, *, cap: float = PSNR_CAP_DB) -> float | None:
    """PSNR of a 0..1 image from its mean squared error, capped (a perfect match reads `cap`)."""
    if mse is None:
        return None
    return cap if mse <= 10.0 ** (-cap / 10.0) else min(cap, -10.0 * math.log10(mse))


def masked_ssim(a: np.ndarray, b: np.ndarray, inside: np.ndarray) -> float | None:
    """Mean SSIM (Gaussian window, per channel) over the pixels inside the matte; None if none are inside."""
    from skimage.metrics import structural_similarity

    if not inside.any():
        return None
    if min(a.shape[:2]) < 7:
        return None
    _, full = structural_similarity(np.asarray(a, np.float64), np.asarray(b, np.float64), data_range=1.0,
                                    channel_axis=2, gaussian_weights=True, sigma=1.5, full=True)
    return float(full.mean(axis=2)[inside].mean())


def identity_margin(error_to_truth: float | None, error_to_plate: float | None) -> float | None:
    """How much nearer the output is to the actor's truth than to the dancer's plate, -1..1 from RMS errors:
    1 the actor exactly, -1 the dancer's plate exactly, 0 halfway."""
    if error_to_truth is None or error_to_plate is None:
        return None
    t, p = math.sqrt(error_to_truth), math.sqrt(error_to_plate)
    return None if t + p <= 0 else (p - t) / (p + t)


def performance_position(output: Sequence[float], actor: Sequence[float], dancer: Sequence[float],
                         *, min_frames: int = 3) -> float | None:
    """Where the output's mouth-open lies between the two performances over frames, by least squares:
    0 it does what the actor did, 1 what the dancer did (0.5 halfway; can pass either end).

    A regression on the difference rather than a correlation with each, because an actor's walkthrough often
    holds one expression (a constant has no correlation with anything). None when the two performances do not
    differ on these frames, or fewer than `min_frames` frames were measured."""
    o, a, d = (np.asarray(x, np.float64) for x in (output, actor, dancer))
    if len(o) < min_frames:
        return None
    spread = d - a
    denominator = float(spread @ spread)
    if denominator < 1e-6:
        return None
    return float((o - a) @ spread / denominator)


def correlation(x: Sequence[float], y: Sequence[float], *, min_frames: int = 3) -> float | None:
    """Pearson correlation; None with fewer than `min_frames` values or when either series is constant."""
    a, b = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if len(a) < min_frames or a.std() < 1e-9 or b.std() < 1e-9:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def temporal_change(current: np.ndarray, previous: np.ndarray, weight: np.ndarray) -> float | None:
    """Mean absolute frame-to-frame change (over colour channels) weighted by the matte of both frames."""
    total = float(weight.sum())
    if total <= 0:
        return None
    return float((np.abs(np.asarray(current, np.float64) - previous).mean(axis=2) * weight).sum() / total)


def mean(values: Sequence[float | None]) -> float | None:
    """Mean of the measured values (None ignored); None when nothing was measured."""
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None
