"""Losses suited to faces: L1 and SSIM weighted by the head mask, plus a loss on the predicted mask.

The background keeps a small weight so the colour outside the head stays sensible in previews, while the
head, which conversion composites, dominates.
"""
from __future__ import annotations

import functools

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


def masked_l1(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Mean absolute error weighted by `weight` (B, 1, H, W)."""
    return ((pred - target).abs() * weight).sum() / (weight.sum() * pred.shape[1]).clamp_min(1e-8)


def face_loss(rgb: torch.Tensor, mask: torch.Tensor, target: torch.Tensor, target_mask: torch.Tensor, *,
              l1: float, ssim_weight: float, mask_weight: float) -> torch.Tensor:
    """l1·masked L1 + ssim_weight·(1 − masked SSIM) + mask_weight·L1 of the mask, all in float32."""
    rgb, mask, target, target_mask = rgb.float(), mask.float(), target.float(), target_mask.float()
    weight = target_mask + BACKGROUND_WEIGHT
    loss = l1 * masked_l1(rgb, target, weight)
    if ssim_weight:
        loss = loss + ssim_weight * (1.0 - ssim(rgb, target, weight))
    if mask_weight:
        loss = loss + mask_weight * (mask - target_mask).abs().mean()
    return loss
