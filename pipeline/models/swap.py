"""The swap model family: one shared encoder, one decoder per identity, each decoder predicting colour + mask.

Training teaches every decoder to rebuild its own identity from the shared latent; swapping encodes a crop of
one identity (the dancer, or a CG pass) and decodes it with another's decoder (the actor's). How much of the
dancer's performance comes through is set by `performance` in [0, 1]: 0 snaps each latent to the nearest actor
latent of the shot's fit set (`LatentBank`), so only expressions the actor really did come out; 1 uses the raw
latent, which follows the dancer. Values between blend the two. Snapping may be limited, per item, to some of
the bank's latents (`allowed`): conversion uses it to take the actor's expression from the same moment of her
walkthrough as the plate frame (pipeline.convert.sync).
"""
from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from pipeline.errors import InputError

log = logging.getLogger(__name__)

MIN_SIZE, MAX_SIZE = 64, 512
_BOTTLENECK_SIDE = 4  # the encoder downsamples until the map is 4x4, whatever the crop size
NETWORKS = ("plain", "residual")


@dataclass(frozen=True)
class SwapOutput:
    """A swapped batch and how it was made: `performance` used, and the fit-set latent each item snapped to."""
    rgb: torch.Tensor            # (B, 3, H, W) in 0..1
    mask: torch.Tensor           # (B, 1, H, W) in 0..1
    performance: float
    nearest: torch.Tensor | None  # (B,) index into the LatentBank, or None when no bank was used


class LatentBank:
    """The actor's latents over a shot's fit set, for snapping a latent to the nearest real actor expression;
    `origins` says where each came from (source name, clip frame), None where unknown."""

    def __init__(self, latents: torch.Tensor, ids: list[str], origins: list[tuple[str, int] | None] | None = None):
        if latents.ndim != 2 or latents.shape[0] != len(ids) or not ids:
            raise ValueError("a latent bank needs one latent (N, D) per id, and at least one")
        origins = [None] * len(ids) if origins is None else [None if o is None else (str(o[0]), int(o[1]))
                                                              for o in origins]
        if len(origins) != len(ids):
            raise ValueError("a latent bank needs one origin (or None) per id")
        self.latents = latents.detach().float().cpu()
        self.ids = list(ids)
        self.origins = origins

    def __len__(self) -> int:
        return len(self.ids)

    def distances(self, z: torch.Tensor, allowed: torch.Tensor | None = None) -> torch.Tensor:
        """(B, N) distance of each latent in `z` (B, D) to each bank latent, infinite where `allowed` (B, N bool)
        rules it out; a row allowing none may take any."""
        distance = torch.cdist(z.detach(), self.latents.to(z.device, z.dtype))
        if allowed is not None:
            allowed = allowed.to(z.device, torch.bool)
            if allowed.shape != distance.shape:
                raise ValueError(f"allowed is {tuple(allowed.shape)}, expected {tuple(distance.shape)}")
            allowed = allowed | ~allowed.any(dim=1, keepdim=True)
            distance = distance.masked_fill(~allowed, float("inf"))
        return distance

    def nearest(self, z: torch.Tensor, allowed: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """For each latent in `z` (B, D): the nearest bank latent (B, D) and its index (B,). `allowed` (B, N bool)
        limits each row to some bank latents; a row allowing none may take any."""
        index = self.distances(z, allowed).argmin(dim=1)
        return self.latents.to(z.device, z.dtype)[index], index

    @classmethod
    @torch.no_grad()
    def from_crops(cls, model: SwapModel, batches: Iterable[torch.Tensor], ids: list[str],
                   origins: list[tuple[str, int] | None] | None = None) -> LatentBank:
        """Encode the fit set's crops (batches of (B, 3, H, W)) with `model`."""
        was_training = model.training
        model.eval()
        latents = torch.cat([model.encode(b.to(model.device)).float().cpu() for b in batches])
        model.train(was_training)
        return cls(latents, ids, origins)

    def state_dict(self) -> dict[str, Any]:
        return {"latents": self.latents, "ids": self.ids,
                "origins": [None if o is None else [o[0], o[1]] for o in self.origins]}

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> LatentBank:
        return cls(state["latents"], list(state["ids"]), state.get("origins"))  # banks before origins have none


def _act() -> nn.Module:
    return nn.LeakyReLU(0.1, inplace=True)


class _ResBlock(nn.Module):
    """x + conv(act(conv(x))), then act: depth that keeps fine detail at 256² and more."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), _act(),
                                  nn.Conv2d(channels, channels, 3, padding=1))
        self.act = _act()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.body(x))


def icnr_(conv: nn.Conv2d, scale: int = 2) -> nn.Conv2d:
    """ICNR init (Aitken et al. 2017) of the conv before a pixel shuffle: the `scale`² sub-kernels start equal, so
    the upsampler starts as nearest-neighbour resizing of one conv, with no checkerboard to unlearn."""
    out, c_in, kh, kw = conv.weight.shape
    sub = torch.empty(out // scale ** 2, c_in, kh, kw)
    nn.init.kaiming_normal_(sub, a=0.1)
    with torch.no_grad():
        conv.weight.copy_(sub.repeat_interleave(scale ** 2, dim=0))
        if conv.bias is not None:
            conv.bias.copy_(torch.zeros(out // scale ** 2).repeat_interleave(scale ** 2))
    return conv


def _upsample(c_in: int, c_out: int, network: str) -> list[nn.Module]:
    conv = nn.Conv2d(c_in, c_out * 4, 3, padding=1)
    if network == "plain":
        return [conv, _act(), nn.PixelShuffle(2)]
    return [icnr_(conv), _act(), nn.PixelShuffle(2), _ResBlock(c_out)]


def _downsample(c_in: int, c_out: int, network: str) -> list[nn.Module]:
    if network == "plain":
        return [nn.Conv2d(c_in, c_out, 5, stride=2, padding=2), _act()]
    return [nn.Conv2d(c_in, c_out, 4, stride=2, padding=1), _act(), _ResBlock(c_out)]


class _Decoder(nn.Module):
    """Latent -> 4x4 map -> upscale blocks (conv + pixel shuffle) -> colour (3) and mask (1), both in 0..1."""

    def __init__(self, latent_dim: int, widths: list[int], out_width: int, network: str = "plain"):
        super().__init__()
        self.top = widths[-1]
        self.project = nn.Linear(latent_dim, self.top * _BOTTLENECK_SIDE ** 2)
        blocks: list[nn.Module] = []
        channels = [*reversed(widths[:-1]), out_width]
        c_in = self.top
        for c_out in channels:
            blocks += _upsample(c_in, c_out, network)
            c_in = c_out
        self.up = nn.Sequential(*blocks)
        self.out = nn.Conv2d(c_in, 4, 3, padding=1)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.project(z).view(-1, self.top, _BOTTLENECK_SIDE, _BOTTLENECK_SIDE)
        y = torch.sigmoid(self.out(self.up(x)))
        return y[:, :3], y[:, 3:]


class SwapModel(nn.Module):
    """Shared encoder + per-identity decoders for `size`² crops (a power of two from 64 to 512).

    `identities` names the decoders (e.g. "dancer", "actor"); `latent_dim` is the bottleneck width, the main
    knob between rigid (narrow: cannot hold in-betweens it never saw) and loose (wide). `network` is "plain"
    (strided convs and pixel shuffle: fast at 64² on a CPU) or "residual" (a residual block at every level and an
    ICNR-initialised pixel shuffle: the detail of 256² and 512² crops, pipeline.train.config.PRESETS).
    """

    def __init__(self, *, name: str, size: int, identities: tuple[str, ...] = ("dancer", "actor"),
                 width: int = 32, max_width: int = 512, latent_dim: int = 256, default_performance: float = 1.0,
                 network: str = "plain"):
        super().__init__()
        if size < MIN_SIZE or size > MAX_SIZE or size & (size - 1):
            raise InputError(f"crop size {size} is not supported: use a power of two from {MIN_SIZE} to {MAX_SIZE}")
        if network not in NETWORKS:
            raise InputError(f"network {network!r} is not one of {', '.join(NETWORKS)}")
        if not 0.0 <= default_performance <= 1.0:
            raise InputError(f"performance {default_performance} is outside [0, 1]")
        self.name, self.size, self.identities = name, size, tuple(identities)
        self.latent_dim, self.default_performance, self.network = latent_dim, default_performance, network
        n_down = int(math.log2(size // _BOTTLENECK_SIDE))
        widths = [min(width * 2 ** i, max_width) for i in range(n_down)]
        layers: list[nn.Module] = []
        c_in = 3
        for c_out in widths:
            layers += _downsample(c_in, c_out, network)
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.bottleneck = nn.Linear(widths[-1] * _BOTTLENECK_SIDE ** 2, latent_dim)
        self.decoders = nn.ModuleDict({who: _Decoder(latent_dim, widths, max(width // 2, 8), network)
                                       for who in identities})
        self.spec: dict[str, Any] = {}  # set by create_model: how to rebuild this model from a checkpoint

    @property
    def device(self) -> torch.device:
        return self.bottleneck.weight.device

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Crops (B, 3, H, W) in 0..1 -> latents (B, latent_dim)."""
        return self.bottleneck(self.features(x).flatten(1))  # flatten copies a channels-last map into NCHW order

    def decode(self, z: torch.Tensor, identity: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Latents -> (colour (B, 3, H, W), mask (B, 1, H, W)) of `identity`."""
        if identity not in self.decoders:
            raise InputError(f"model {self.name!r} has no decoder for {identity!r}; "
                             f"it has {', '.join(self.identities)}")
        return self.decoders[identity](z)

    def forward(self, x: torch.Tensor, identity: str) -> tuple[torch.Tensor, torch.Tensor]:
        return self.decode(self.encode(x), identity)

    @torch.no_grad()
    def swap(self, x: torch.Tensor, *, to: str = "actor", bank: LatentBank | None = None,
             performance: float | None = None, allowed: torch.Tensor | None = None,
             snap_to: torch.Tensor | None = None) -> SwapOutput:
        """Convert crops into `to`, with `performance` (default: the model's) between snapped (0) and raw (1);
        `allowed` (B, len(bank) bool) limits which bank latents each crop may snap to; `snap_to` (B,) names the
        bank latent an item snaps to where it is 0 or more (chosen over neighbouring frames by the caller), the
        nearest allowed one where it is -1."""
        p = self.default_performance if performance is None else float(performance)
        if not 0.0 <= p <= 1.0:
            raise InputError(f"performance {p} is outside [0, 1]")
        z = self.encode(x)
        nearest = None
        if p < 1.0:
            if bank is None:
                raise InputError(f"performance {p} < 1 snaps to the actor's fit-set latents, but model {self.name!r} "
                                 "has no latent bank: run the fit training stage first, or use performance 1")
            snapped, nearest = bank.nearest(z, allowed)
            if snap_to is not None:
                snap_to = snap_to.to(nearest.device, torch.long)
                nearest = torch.where(snap_to >= 0, snap_to, nearest)
                snapped = bank.latents.to(z.device, z.dtype)[nearest]
            z = snapped + p * (z - snapped)
        rgb, mask = self.decode(z, to)
        return SwapOutput(rgb=rgb, mask=mask, performance=p, nearest=nearest)
