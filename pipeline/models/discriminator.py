"""A patch discriminator (pix2pix's PatchGAN, Isola et al. 2017) for the optional adversarial training term.

It scores overlapping patches of a crop (about 70 pixels each at three stride-2 levels) as the actor's real
material or a decoder's output, so the decoders are pushed towards real skin and hair texture where L1 and SSIM
settle for a blur. Trained from scratch with the swap model (no pretrained weights are available offline); no
normalisation layers, so a batch of 2 or 64 behaves alike.
"""
from __future__ import annotations

import torch
from torch import nn


class PatchDiscriminator(nn.Module):
    """(B, 3, H, W) in 0..1 -> (B, 1, H/8 - 2, W/8 - 2) patch scores (hinge: > 0 real, < 0 made)."""

    def __init__(self, width: int = 32, levels: int = 3):
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 3
        for i in range(levels):
            c_out = width * 2 ** i
            layers += [nn.Conv2d(c_in, c_out, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True)]
            c_in = c_out
        layers += [nn.Conv2d(c_in, c_in * 2, 3, padding=1), nn.LeakyReLU(0.2, inplace=True),
                   nn.Conv2d(c_in * 2, 1, 3)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x * 2 - 1)


def discriminator_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Hinge loss of the discriminator on its scores of real and made crops."""
    return torch.relu(1 - real.float()).mean() + torch.relu(1 + fake.float()).mean()


def generator_loss(fake: torch.Tensor) -> torch.Tensor:
    """Hinge loss of the decoders: raise the discriminator's score of what they made."""
    return -fake.float().mean()
