"""Colour match of the swap to the plate inside the swap's mask: a small explicit registry of methods.

A method takes the swap and the plate over the same pixels (HxWx3, display-encoded 0..1), a boolean region
and, for the methods in NEEDS_REFERENCE, a reference: the model's reconstruction of the plate's own person
from the same crop. It returns the swap regraded:
- lab_mean_std, histogram: the swap's statistics in the region set to the plate's. This also carries the
  plate person's hair and skin colour over, so it suits material shot in another light than the plate;
- reconstruction: the grade that takes the model's reconstruction of the plate's person to the plate (the
  light and grade the model did not reproduce) applied to the swap, so the actor keeps her own colours;
- none: the swap as the model made it (its material was shot in the scene's light).
"""
from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from pipeline.errors import InputError

ColourMatch = Callable[..., np.ndarray]
_METHODS: dict[str, ColourMatch] = {}
NEEDS_REFERENCE = frozenset({"reconstruction"})
_MIN_PIXELS = 16  # fewer pixels than this in the region: nothing to measure, the swap is kept as it is


def register_colour_match(name: str) -> Callable[[ColourMatch], ColourMatch]:
    def wrap(fn: ColourMatch) -> ColourMatch:
        _METHODS[name] = fn
        return fn
    return wrap


def list_colour_matches() -> list[str]:
    return sorted(_METHODS)


def colour_match(name: str, swap: np.ndarray, plate: np.ndarray, region: np.ndarray,
                 reference: np.ndarray | None = None) -> np.ndarray:
    """Regrade `swap` to `plate` inside `region` with method `name` (`reference` for NEEDS_REFERENCE)."""
    if name not in _METHODS:
        raise InputError(f"unknown colour match {name!r}; known: {', '.join(list_colour_matches())}")
    if name in NEEDS_REFERENCE and reference is None:
        raise InputError(f"colour match {name!r} needs the model's reconstruction of the plate's person; use a "
                         "model with a decoder for that person, or another colour match")
    if int(region.sum()) < _MIN_PIXELS:
        return swap
    if name in NEEDS_REFERENCE:
        return _METHODS[name](swap.astype(np.float32), plate.astype(np.float32), region, reference.astype(np.float32))
    return _METHODS[name](swap.astype(np.float32), plate.astype(np.float32), region)


@register_colour_match("none")
def _none(swap: np.ndarray, plate: np.ndarray, region: np.ndarray) -> np.ndarray:
    return swap


def _lab(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.clip(image, 0, 1), cv2.COLOR_RGB2Lab)


def _lab_transfer(image: np.ndarray, source: np.ndarray, target: np.ndarray, region: np.ndarray) -> np.ndarray:
    """`image` moved by the Lab mean/deviation transfer that takes `source` to `target` inside `region`."""
    s, t = _lab(source)[region], _lab(target)[region]
    scale = t.std(0) / np.maximum(s.std(0), 1e-3)
    out = (_lab(image) - s.mean(0)) * scale + t.mean(0)
    return np.clip(cv2.cvtColor(out.astype(np.float32), cv2.COLOR_Lab2RGB), 0, 1)


@register_colour_match("lab_mean_std")
def lab_mean_std(swap: np.ndarray, plate: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Mean and deviation of each Lab channel of the swap set to the plate's (Reinhard's transfer)."""
    return _lab_transfer(swap, swap, plate, region)


@register_colour_match("reconstruction")
def reconstruction(swap: np.ndarray, plate: np.ndarray, region: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The Lab transfer that takes the model's reconstruction of the plate's person to the plate, applied to the
    swap: the plate's light and grade, not its person's colours."""
    return _lab_transfer(swap, reference, plate, region)


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
