"""The head's edge after put-back: a swap crop is a few times coarser than the plate (a 64² crop over a head of
250 plate pixels on the real talking clip), and what the model paints outside its matte (the actor's own
backdrop) must not show as a ring around the head."""
from __future__ import annotations

import numpy as np

from pipeline.convert.composite import composite_display, put_back
from pipeline.convert.config import ConvertConfig

RED, GREEN, BLUE = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)


def _swap(size: int = 64, radius: float = 20.0) -> tuple[np.ndarray, np.ndarray]:
    """A red head (disc, its edge anti-aliased over a crop pixel) on the actor's green backdrop."""
    y, x = np.mgrid[:size, :size] + 0.5
    mask = np.clip(radius + 0.5 - np.hypot(x - size / 2, y - size / 2), 0.0, 1.0).astype(np.float32)
    rgb = np.where(mask[..., None] > 0, np.float32(RED), np.float32(GREEN)).astype(np.float32)
    return rgb, mask


def test_the_actors_backdrop_never_shows_at_the_heads_edge():
    rgb, mask = _swap()
    plate = np.broadcast_to(np.float32(BLUE), (300, 300, 3)).copy()
    scale = 4.0  # plate pixels per crop pixel
    transform = np.array([[1 / scale, 0, -20 / scale], [0, 1 / scale, -20 / scale], [0, 0, 1]], np.float64)
    for erode, feather in ((2, 3.0), (0, 0.0)):
        config = ConvertConfig(motion_blur=False, erode_px=erode, feather_px=feather)
        back = put_back(plate, rgb, mask, transform, config=config, motion=np.zeros(2), linear=False)
        out = composite_display(plate, back, linear=False)
        # a mix of the head (red) and the plate (blue), the backdrop (green) held to a trace at the very edge where
        # the matte barely reaches (composite.STRAIGHT_BELOW): 0.33 of it with the crop resampled as it is
        assert out[..., 1].max() < 0.15, (erode, feather, float(out[..., 1].max()))
        inside = out[150, 150]
        np.testing.assert_allclose(inside, RED, atol=1e-3)
        np.testing.assert_allclose(out[5, 5], BLUE, atol=1e-6)
