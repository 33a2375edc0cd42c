"""Augmentation that makes training crops look like plate crops, on the whole batch in torch.

Geometry (small rotation, scale and shift) and colour (per-channel gain and offset) change the input and its
target together, so the model learns to keep a slightly off crop or grade; motion blur and noise degrade the
input only, so the model learns to give a clean head from a blurred, noisy plate (conversion adds the plate's
blur back). Every random draw comes from the generator passed in, so a step is reproducible from its seed.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from pipeline.train.config import AugmentConfig


def _uniform(n: int, amount: float, g: torch.Generator) -> torch.Tensor:
    return (torch.rand(n, generator=g) * 2 - 1) * amount


def geometry_and_colour(images: torch.Tensor, masks: torch.Tensor, cfg: AugmentConfig, g: torch.Generator, *,
                        colour: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Warp images (B, C, H, W) and masks (B, 1, H, W) alike, then grade the images."""
    b = images.shape[0]
    angle = _uniform(b, math.radians(cfg.rotate_degrees), g)
    zoom = 1.0 + _uniform(b, cfg.scale, g)
    tx, ty = _uniform(b, 2 * cfg.shift, g), _uniform(b, 2 * cfg.shift, g)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1).to(images)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    both = F.grid_sample(torch.cat([images, masks], 1), grid, mode="bilinear", padding_mode="border",
                         align_corners=False)
    images, masks = both[:, :-1], both[:, -1:]
    if colour:
        images = grade(images, cfg, g)
    return images, masks


def grade(images: torch.Tensor, cfg: AugmentConfig, g: torch.Generator) -> torch.Tensor:
    """Per-crop, per-channel gain and offset."""
    b, c = images.shape[:2]
    gain = 1.0 + (torch.rand(b, c, 1, 1, generator=g) * 2 - 1) * cfg.colour
    offset = (torch.rand(b, c, 1, 1, generator=g) * 2 - 1) * cfg.colour / 2
    return (images * gain.to(images) + offset.to(images)).clamp(0, 1)


def motion_blur_kernels(lengths: torch.Tensor, angles: torch.Tensor, size: int) -> torch.Tensor:
    """Line kernels (B, size, size), each summing to 1; length 0 is the identity."""
    r = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    v, u = torch.meshgrid(r, r, indexing="ij")
    cos, sin = torch.cos(angles)[:, None, None], torch.sin(angles)[:, None, None]
    along = u * cos + v * sin
    across = -u * sin + v * cos
    k = (1 - across.abs()).clamp_min(0) * (along.abs() <= lengths[:, None, None] / 2 + 1e-6)
    return k / k.sum(dim=(1, 2), keepdim=True)


def degrade(images: torch.Tensor, cfg: AugmentConfig, g: torch.Generator) -> torch.Tensor:
    """Motion blur (on a `blur_probability` share of the batch) and Gaussian noise."""
    b, c, h, _ = images.shape
    size = max(3, 2 * round(cfg.blur_length * h / 2) + 1)
    blurred = torch.rand(b, generator=g) < cfg.blur_probability
    lengths = torch.rand(b, generator=g) * (size - 1) * blurred
    angles = torch.rand(b, generator=g) * math.pi
    sigma = torch.rand(b, 1, 1, 1, generator=g) * cfg.noise
    noise = _gaussian_noise(images, g) * sigma.to(images.device)
    chosen = blurred.nonzero().flatten().tolist()
    if chosen:
        kernels = motion_blur_kernels(lengths[chosen], angles[chosen], size).to(images)
        sub = images[chosen].reshape(1, len(chosen) * c, h, -1)
        sub = F.conv2d(F.pad(sub, [size // 2] * 4, mode="replicate"),
                       kernels.repeat_interleave(c, 0)[:, None], groups=len(chosen) * c)
        images = images.clone()
        images[chosen] = sub.reshape(len(chosen), c, h, -1)
    return (images + noise.to(images)).clamp(0, 1)


def _gaussian_noise(images: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Standard normal noise shaped like `images`, on their device: drawn from `g` on the CPU; on a GPU from a
    generator there seeded from `g` (drawing millions of numbers on the CPU and copying them would starve it)."""
    if images.device.type == "cpu":
        return torch.randn(images.shape, generator=g)
    seed = int(torch.randint(1 << 62, (1,), generator=g))
    device_g = torch.Generator(images.device).manual_seed(seed)
    return torch.randn(images.shape, generator=device_g, device=images.device)
