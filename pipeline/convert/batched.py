"""Conversion batched on the device end to end: a batch of plate frames is cropped, swapped and put back without
leaving the GPU (torch `grid_sample` for both warps), the same steps as the per-frame path
(`pipeline.stabilize.crop.stabilize_frame`, the swapper, `pipeline.convert.composite.put_back` and
`composite_display`), to within interpolation rounding.

What runs per batch: the crops (pixels partly off the plate rescaled by how much plate they hold), the model,
the inverse warp of colour and matte into a head-sized region of each frame (one region size for the batch, the
largest), motion blur along each frame's head motion, mask erosion and feather, and the premultiplied composite
in linear light. On the CPU the same code runs, which is what the tests compare with the per-frame path.
Colour matches other than "none" measure the plate around each head with OpenCV and stay on the per-frame path.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from pipeline.convert.blur import line_kernel
from pipeline.convert.composite import STRAIGHT_BELOW, plate_roi
from pipeline.convert.config import ConvertConfig
from pipeline.convert.swapper import TrainedSwapper
from pipeline.errors import InputError


def srgb_to_linear(v: torch.Tensor) -> torch.Tensor:
    """pipeline.media.image.srgb_to_linear in torch."""
    return torch.where(v <= 0.04045, v / 12.92, ((v.clamp_min(0.04045) + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(v: torch.Tensor) -> torch.Tensor:
    """pipeline.media.image.linear_to_srgb in torch."""
    return torch.where(v <= 0.0031308, v * 12.92, 1.055 * v.clamp_min(0.0031308) ** (1 / 2.4) - 0.055)


def _normalised(points: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """Pixel coordinates (x, y; pixel centres on integers, as OpenCV's warps) -> grid_sample's -1..1."""
    scale = points.new_tensor([2.0 / max(width - 1, 1), 2.0 / max(height - 1, 1)])
    return points * scale - 1.0


def _affine_grid(matrices: torch.Tensor, height: int, width: int, source: tuple[int, int]) -> torch.Tensor:
    """(B, height, width, 2): where each output pixel samples a source of `source` (h, w) pixels, through affine
    `matrices` (B, 3, 3) from output pixels to source pixels."""
    ys, xs = torch.meshgrid(torch.arange(height, device=matrices.device, dtype=matrices.dtype),
                            torch.arange(width, device=matrices.device, dtype=matrices.dtype), indexing="ij")
    pixels = torch.stack([xs, ys, torch.ones_like(xs)], -1)                       # (h, w, 3)
    mapped = torch.einsum("bij,hwj->bhwi", matrices[:, :2], pixels)                # (B, h, w, 2)
    return _normalised(mapped, source[1], source[0])


def crop_batch(images: torch.Tensor, transforms: torch.Tensor, size: int) -> torch.Tensor:
    """The `size`² crops (B, C, S, S) of images (B, C, H, W) under plate -> crop `transforms` (B, 3, 3), pixels partly
    off the image rescaled by how much image they hold (no black rim), as conversion cuts them."""
    h, w = images.shape[-2:]
    grid = _affine_grid(torch.linalg.inv(transforms), size, size, (h, w))
    ones = torch.ones_like(images[:, :1])
    both = F.grid_sample(torch.cat([images, ones], 1), grid, mode="bilinear", padding_mode="zeros",
                         align_corners=True)
    return both[:, :-1] / both[:, -1:].clamp_min(1e-3)


@dataclass(frozen=True)
class Regions:
    """One head-sized region per frame, all of one size: top-left corners (B, 2: x0, y0) and (height, width)."""
    origins: np.ndarray
    height: int
    width: int

    @classmethod
    def of(cls, transforms: np.ndarray, size: int, shape: tuple[int, int], margin: int) -> Regions:
        boxes = np.array([plate_roi(t, size, shape, margin) for t in transforms])
        h, w = shape
        height = int(min(h, (boxes[:, 3] - boxes[:, 1]).max()))
        width = int(min(w, (boxes[:, 2] - boxes[:, 0]).max()))
        x0 = np.clip(boxes[:, 0], 0, w - width)
        y0 = np.clip(boxes[:, 1], 0, h - height)
        return cls(np.stack([x0, y0], 1), height, width)

    def take(self, plates: torch.Tensor) -> torch.Tensor:
        """The regions of plates (B, C, H, W): (B, C, height, width)."""
        return torch.stack([p[:, y:y + self.height, x:x + self.width] for p, (x, y) in zip(plates, self.origins)])

    def put(self, plates: torch.Tensor, regions: torch.Tensor) -> None:
        for p, r, (x, y) in zip(plates, regions, self.origins):
            p[:, y:y + self.height, x:x + self.width] = r


def _motion_blur(images: torch.Tensor, motions: np.ndarray) -> torch.Tensor:
    """Each image (B, C, h, w) blurred along its own motion vector, as pipeline.convert.blur.motion_blur (zero
    outside); images under half a pixel of motion are left as they are."""
    kernels = [line_kernel(m) for m in motions]
    if all(k is None for k in kernels):
        return images
    side = max(k.shape[0] for k in kernels if k is not None)
    stack = np.zeros((len(kernels), side, side), np.float32)
    for i, k in enumerate(kernels):
        if k is None:
            stack[i, side // 2, side // 2] = 1.0
        else:
            o = (side - k.shape[0]) // 2
            stack[i, o:o + k.shape[0], o:o + k.shape[1]] = k
    b, c, h, w = images.shape
    weight = torch.from_numpy(stack).to(images).repeat_interleave(c, 0)[:, None]
    out = F.conv2d(images.reshape(1, b * c, h, w), weight, padding=side // 2, groups=b * c)
    return out.reshape(b, c, h, w)


def _erode(alpha: torch.Tensor, px: int) -> torch.Tensor:
    """Erosion by OpenCV's elliptic structuring element of radius `px`; outside the image does not erode."""
    k = 2 * px + 1
    element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    padded = F.pad(alpha, [px] * 4, value=1.0)
    h, w = alpha.shape[-2:]
    shifted = [padded[..., dy:dy + h, dx:dx + w] for dy, dx in zip(*np.nonzero(element))]
    return torch.stack(shifted).amin(0)


def _feather(alpha: torch.Tensor, sigma: float) -> torch.Tensor:
    """OpenCV's GaussianBlur(alpha, (0, 0), sigma) on float images: its kernel size and mirrored border."""
    size = int(round(sigma * 4 * 2 + 1)) | 1
    g = torch.from_numpy(cv2.getGaussianKernel(size, sigma).astype(np.float32)[:, 0]).to(alpha)
    r = size // 2
    x = F.conv2d(F.pad(alpha, [r, r, 0, 0], mode="reflect"), g.view(1, 1, 1, size))
    return F.conv2d(F.pad(x, [0, 0, r, r], mode="reflect"), g.view(1, 1, size, 1))


@dataclass
class BatchResult:
    """A converted batch, on the device: composited frames (B, 3, H, W) in the plate's encoding, the model's
    raw colour (B, 3, S, S) and matte (B, 1, S, S), and the actor frames a snapping model took."""
    comp: torch.Tensor
    rgb: torch.Tensor
    mask: torch.Tensor
    actor_frames: list | None


class BatchedConversion:
    """Batches of plate frames through `swapper` and back into the frames, on the swapper's device."""

    def __init__(self, swapper: TrainedSwapper, config: ConvertConfig, *, linear: bool):
        if config.colour_match != "none":
            raise InputError(f"colour_match {config.colour_match!r} runs on the per-frame conversion path; batched "
                             "conversion on the device does colour_match = \"none\" (the default)")
        self.swapper, self.config, self.linear = swapper, config, linear
        self.device, self.size = swapper.device, swapper.size

    def __call__(self, plates: torch.Tensor, transforms: np.ndarray, motions: np.ndarray,
                 frames: Sequence[int] | None = None) -> BatchResult:
        """Plates (B, 3, H, W) on the device in their encoding (display 0..1, or linear), plate -> crop transforms
        (B, 3, 3) and head motions (B, 2, pixels): the composited frames."""
        cfg, size = self.config, self.size
        matrices = torch.as_tensor(np.asarray(transforms, np.float64), device=self.device).float()
        crops = crop_batch(plates, matrices, size)
        rgb, mask, actor_frames = self.swapper.swap_tensor(crops, frames)
        rgb, mask = rgb.float(), mask.float()
        blur = np.hypot(motions[:, 0], motions[:, 1]).max() if cfg.motion_blur and len(motions) else 0.0
        margin = int(math.ceil(cfg.erode_px + 3 * cfg.feather_px + blur)) + 2
        regions = Regions.of(np.asarray(transforms, np.float64), size, tuple(plates.shape[-2:]), margin)
        shift = np.zeros((len(transforms), 3, 3))
        shift[:, [0, 1, 2], [0, 1, 2]] = 1.0
        shift[:, :2, 2] = regions.origins
        local = torch.as_tensor(np.asarray(transforms, np.float64) @ shift, device=self.device).float()
        grid = _affine_grid(local, regions.height, regions.width, (size, size))
        # premultiplied by the matte, as put_back resamples (the actor's backdrop kept out of the head's edge)
        back = F.grid_sample(torch.cat([rgb * mask, rgb, mask], 1), grid, mode="bilinear", padding_mode="zeros",
                             align_corners=True)
        weight = back[:, 6:].clamp_min(0)
        colour, matte = (back[:, :3] + STRAIGHT_BELOW * back[:, 3:6]) / (weight + STRAIGHT_BELOW), weight.clamp(0, 1)
        if not self.linear:
            colour = srgb_to_linear(colour.clamp(0, 1))
        premult, alpha = colour * matte, matte
        if cfg.motion_blur:
            blurred = _motion_blur(torch.cat([premult, alpha], 1), np.asarray(motions, np.float64))
            premult, alpha = blurred[:, :3], blurred[:, 3:]
        final = alpha
        if cfg.erode_px > 0:
            final = _erode(final, cfg.erode_px)
        if cfg.feather_px > 0:
            final = _feather(final, cfg.feather_px)
        premult = premult / alpha.clamp_min(1e-6) * final
        comp = plates[:, :3].clone()
        under = regions.take(comp)
        mixed = (under if self.linear else srgb_to_linear(under)) * (1 - final) + premult
        regions.put(comp, mixed if self.linear else linear_to_srgb(mixed.clamp_min(0)))
        return BatchResult(comp=comp, rgb=rgb, mask=mask, actor_frames=actor_frames)
