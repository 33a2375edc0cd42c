"""Colour match of the swap to the plate inside the swap's mask: a small explicit registry of methods.

A method takes the swap and the plate over the same pixels (HxWx3, display-encoded 0..1) and a boolean
region, and returns the swap regraded so its statistics in the region match the plate's there.
"""
from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from pipeline.errors import InputError

ColourMatch = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
_METHODS: dict[str, ColourMatch] = {}
_MIN_PIXELS = 16  # fewer pixels than this in the region: nothing to measure, the swap is kept as it is


def register_colour_match(name: str) -> Callable[[ColourMatch], ColourMatch]:
    def wrap(fn: ColourMatch) -> ColourMatch:
        _METHODS[name] = fn
        return fn
    return wrap


def list_colour_matches() -> list[str]:
    return sorted(_METHODS)


def colour_match(name: str, swap: np.ndarray, plate: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Regrade `swap` to `plate` inside `region` with method `name`."""
    if name not in _METHODS:
        raise InputError(f"unknown colour match {name!r}; known: {', '.join(list_colour_matches())}")
    if int(region.sum()) < _MIN_PIXELS:
        return swap
    return _METHODS[name](swap.astype(np.float32), plate.astype(np.float32), region)


@register_colour_match("none")
def _none(swap: np.ndarray, plate: np.ndarray, region: np.ndarray) -> np.ndarray:
    return swap


@register_colour_match("lab_mean_std")
def lab_mean_std(swap: np.ndarray, plate: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Mean and deviation of each Lab channel of the swap set to the plate's (Reinhard's transfer)."""
    src = cv2.cvtColor(np.clip(swap, 0, 1), cv2.COLOR_RGB2Lab)
    ref = cv2.cvtColor(np.clip(plate, 0, 1), cv2.COLOR_RGB2Lab)
    s, r = src[region], ref[region]
    scale = r.std(0) / np.maximum(s.std(0), 1e-3)
    out = (src - s.mean(0)) * scale + r.mean(0)
    return np.clip(cv2.cvtColor(out.astype(np.float32), cv2.COLOR_Lab2RGB), 0, 1)


@register_colour_match("histogram")
def histogram(swap: np.ndarray, plate: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Each RGB channel's distribution in the region mapped onto the plate's (rank matching; tied values, such
    as clipped highlights, get the mean of the plate values their ranks span, so the mean is kept exactly)."""
    out = np.empty_like(swap)
    for c in range(3):
        src, ref = swap[..., c][region], np.sort(plate[..., c][region])
        values, counts = np.unique(src, return_counts=True)
        ends = np.cumsum(counts)
        sums = np.concatenate([[0.0], np.cumsum(ref, dtype=np.float64)])
        mapped = (sums[ends] - sums[ends - counts]) / counts
        out[..., c] = np.interp(swap[..., c], values, mapped) if len(values) > 1 else mapped[0]
    return out
