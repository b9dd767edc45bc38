"""PatchGAN discriminator (pix2pix, Isola et al. 2017, section 3.2.2): a fully convolutional
stack whose output is a grid of real/fake scores, one per overlapping patch, so D judges local
texture and leaves global structure to the L1 / cycle terms. Raw scores (no sigmoid): the variant
applies its own criterion (LSGAN's MSE, WGAN's mean).

Sized for 28 px: `n_layers` stride-2 convs (k4, no norm on the first, LeakyReLU 0.2), then a
stride-1 conv3 to one channel. n_layers=2 gives a 7x7 grid of 18x18 px patches at 28 px
(pix2pix's 70x70 of 256 px used 3 stride-2 + 2 stride-1 layers; at 28 px that would see the
whole image).

Conditional use (pix2pix): `in_channels` = source + target channels, forward(b, cond=a)
concatenates them on channels, as the paper's D sees (x, y)."""

from __future__ import annotations

import torch
from torch import nn

from ganbench.nets.norms import norm2d


class PatchDiscriminator(nn.Module):
    """(N, in_channels, H, W) [+ cond, concatenated on channels] -> (N, 1, H / 2**n_layers, W / ...).

    width: channels of the first conv, doubled per layer. norm: "instance" (the zoo), "batch",
    "layer" or "none" (use none or layer under a gradient penalty)."""

    def __init__(
        self, in_channels: int, width: int = 32, n_layers: int = 2, norm: str = "instance"
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = in_channels
        for i in range(n_layers):
            c = width * 2**i
            layers.append(nn.Conv2d(c_in, c, 4, 2, 1))
            if i > 0:
                layers.append(norm2d(norm, c))
            layers.append(nn.LeakyReLU(0.2))
            c_in = c
        layers.append(nn.Conv2d(c_in, 1, 3, 1, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x if cond is None else torch.cat([cond, x], 1))
