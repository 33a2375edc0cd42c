"""Losses suited to faces: L1 and SSIM weighted by the head mask, a loss on the predicted mask, and an L1 on
the mouth alone.

The background keeps a small weight so the colour outside the head stays sensible in previews, while the
head, which conversion composites, dominates. The mouth is a few percent of the head's pixels, so head-wide
losses let a model learn an average, closed mouth long before it learns the opening; the performance is in
those pixels, so they get a term of their own (`mouth_weights` finds them from each crop's head pose).
At 256² and more, SSIM's 11-pixel window sees only fine texture; `multiscale_ssim` adds the same masked SSIM at
half, quarter and eighth size, so the shape of eyes, nose and mouth weighs as much as their texture.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import torch
import torch.nn.functional as F

BACKGROUND_WEIGHT = 0.05
_C1, _C2 = 0.01 ** 2, 0.03 ** 2


@functools.lru_cache(maxsize=8)
def _gaussian(size: int, sigma: float) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(x ** 2) / (2 * sigma ** 2))
    return (g / g.sum()).float()


def ssim_map(x: torch.Tensor, y: torch.Tensor, *, window: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Per-pixel SSIM (Wang et al. 2004) of images (B, C, H, W) in 0..1, over the valid region (H-w+1, W-w+1).

    The Gaussian window is separable, and the five local moments are filtered in one pass.
    """
    c = x.shape[1]
    g = _gaussian(window, sigma).to(x.device, x.dtype)
    moments = torch.cat([x, y, x * x, y * y, x * y], 1)
    n = moments.shape[1]
    moments = F.conv2d(moments, g.view(1, 1, window, 1).expand(n, 1, window, 1), groups=n)
    moments = F.conv2d(moments, g.view(1, 1, 1, window).expand(n, 1, 1, window), groups=n)
    mu_x, mu_y, xx, yy, xy = moments.split(c, dim=1)
    var_x, var_y, cov = xx - mu_x ** 2, yy - mu_y ** 2, xy - mu_x * mu_y
    return ((2 * mu_x * mu_y + _C1) * (2 * cov + _C2)) / ((mu_x ** 2 + mu_y ** 2 + _C1) * (var_x + var_y + _C2))


def ssim(x: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None = None, *, window: int = 11) -> torch.Tensor:
    """Mean SSIM, optionally weighted by `weight` (B, 1, H, W), e.g. a mask."""
    s = ssim_map(x, y, window=window)
    if weight is None:
        return s.mean()
    m = weight[..., window // 2: weight.shape[-2] - window // 2, window // 2: weight.shape[-1] - window // 2]
    return (s * m).sum() / (m.sum() * s.shape[1]).clamp_min(1e-8)


MULTISCALE_FACTORS = (2, 4, 8)


def multiscale_ssim(x: torch.Tensor, y: torch.Tensor, weight: torch.Tensor, *, window: int = 11) -> torch.Tensor:
    """Mean of (1 − masked SSIM) at half, quarter and eighth size (average pooled), skipping sizes under two
    windows; zero when every size is too small."""
    terms = []
    for factor in MULTISCALE_FACTORS:
        if x.shape[-1] // factor < 2 * window:
            break
        terms.append(1.0 - ssim(F.avg_pool2d(x, factor), F.avg_pool2d(y, factor), F.avg_pool2d(weight, factor),
                                window=window))
    return torch.stack(terms).mean() if terms else x.new_zeros(())


def masked_l1(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Mean absolute error weighted by `weight` (B, 1, H, W)."""
    return ((pred - target).abs() * weight).sum() / (weight.sum() * pred.shape[1]).clamp_min(1e-8)


def mouth_weights(poses: np.ndarray, size: int, *, radius: float, sigma_m: float = 0.018,
                  device: torch.device | str = "cpu") -> torch.Tensor:
    """(B, 1, size, size) in 0..1: a soft spot on the mouth of each crop, from its head pose (B, 3: yaw, pitch,
    roll in degrees, camera-relative) and the crop's framing (`radius` metres around the skull centre span half
    the crop, the head's up axis up, as pipeline.stabilize cuts it); zero where the mouth faces away.
    An orthographic approximation of the crop's projection: a weight map needs the spot, not the pixel. The spot
    is drawn on `device` (the centres are computed on the CPU: a few numbers per crop)."""
    from pipeline.dataset.descriptors import FACING_LIMIT_DEG, MOUTH_CENTRE, MOUTH_Z
    from pipeline.geometry import rotation_from_yaw_pitch_roll

    rotation = rotation_from_yaw_pitch_roll(np.asarray(poses, np.float64).reshape(-1, 3))  # (B, 3, 3)
    mouth = rotation @ np.array([*MOUTH_CENTRE, MOUTH_Z])
    facing = (rotation @ np.array([0.0, -0.3, 1.0]))[:, 2] / math.hypot(0.3, 1.0)  # the mouth's normal vs the lens
    up = rotation[:, :, 1]
    angle = np.arctan2(up[:, 0], up[:, 1])  # the head's up axis in the image, which the crop turns upright
    c, s = np.cos(angle), np.sin(angle)
    x, y = mouth[:, 0], -mouth[:, 1]  # image axes: y down
    scale = (size / 2.0) / radius
    half = (size - 1) / 2.0
    u, v = half + scale * (c * x + s * y), half + scale * (-s * x + c * y)
    grid = torch.arange(size, dtype=torch.float32, device=device)
    sigma_px = sigma_m * scale
    u, v = torch.from_numpy(u).float().to(device), torch.from_numpy(v).float().to(device)
    spot_u = torch.exp(-((grid[None, :] - u[:, None]) ** 2) / (2 * sigma_px ** 2))
    spot_v = torch.exp(-((grid[None, :] - v[:, None]) ** 2) / (2 * sigma_px ** 2))
    seen = torch.from_numpy(facing > math.cos(math.radians(FACING_LIMIT_DEG))).float().to(device)
    return (spot_v[:, :, None] * spot_u[:, None, :] * seen[:, None, None])[:, None]


def face_loss(rgb: torch.Tensor, mask: torch.Tensor, target: torch.Tensor, target_mask: torch.Tensor, *,
              l1: float, ssim_weight: float, mask_weight: float, mouth: torch.Tensor | None = None,
              mouth_weight: float = 0.0, multiscale: float = 0.0) -> torch.Tensor:
    """l1·masked L1 + ssim_weight·(1 − masked SSIM) + mask_weight·L1 of the mask + mouth_weight·L1 inside the
    `mouth` weights (B, 1, H, W) + multiscale·`multiscale_ssim`, all in float32."""
    rgb, mask, target, target_mask = rgb.float(), mask.float(), target.float(), target_mask.float()
    weight = target_mask + BACKGROUND_WEIGHT
    loss = l1 * masked_l1(rgb, target, weight)
    if ssim_weight:
        loss = loss + ssim_weight * (1.0 - ssim(rgb, target, weight))
    if mask_weight:
        loss = loss + mask_weight * (mask - target_mask).abs().mean()
    if mouth_weight and mouth is not None:
        loss = loss + mouth_weight * masked_l1(rgb, target, mouth.float())
    if multiscale:
        loss = loss + multiscale * multiscale_ssim(rgb, target, weight)
    return loss
