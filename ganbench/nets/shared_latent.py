"""UNIT's shared-latent VAE pair (Liu, Breuel & Kautz 2017, section 2 and figure 1): one encoder
and one decoder per domain, with the encoders' last block and the decoders' first block shared
(the same module object in both), so both domains map to one latent space z and decode from it.

Sized for 28 px: encoder c3s1-w (LeakyReLU 0.2), two conv4 s2 downsamples (28 -> 14 -> 7,
instance norm, ReLU), `n_blocks` residual blocks, then the shared residual block, whose output is
the posterior mean mu (q(z|x) = N(mu, I)); decoder: the shared residual block, `n_blocks` residual
blocks, two convT4 s2 upsamples (instance norm, LeakyReLU 0.2), c3s1 to the image, tanh. This is
the PyTorch-GAN zoo's layout with its c7s1 ends made 3 x 3 at 28 px (see resnet_gen.py), 3 own
residual blocks each cut to `n_blocks` (1 by default) and width 64 to 8-16. The zoo's encoder
hard-codes InstanceNorm2d(64) after its first conv, right only for dim=64; here the norm follows
the width."""

from __future__ import annotations

import torch
from torch import nn

from ganbench.nets.norms import norm2d
from ganbench.nets.resnet_gen import ResidualBlock


class SharedLatentEncoder(nn.Module):
    """(N, C, H, W) -> mu (N, 4 * width, H / 4, W / 4); `shared` is the block both encoders own."""

    def __init__(
        self, in_channels: int, shared: nn.Module, width: int = 16, n_blocks: int = 1
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(1),
            nn.Conv2d(in_channels, width, 3),
            norm2d("instance", width),
            nn.LeakyReLU(0.2),
        ]
        c = width
        for _ in range(2):
            layers += [nn.Conv2d(c, 2 * c, 4, 2, 1), norm2d("instance", 2 * c), nn.ReLU()]
            c *= 2
        layers += [ResidualBlock(c) for _ in range(n_blocks)]
        self.own = nn.Sequential(*layers)
        self.shared = shared

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shared(self.own(x))


class SharedLatentDecoder(nn.Module):
    """z (N, 4 * width, H / 4, W / 4) -> image (N, C, H, W) in [-1, 1]; `shared` runs first."""

    def __init__(
        self, out_channels: int, shared: nn.Module, width: int = 16, n_blocks: int = 1
    ) -> None:
        super().__init__()
        c = 4 * width
        layers: list[nn.Module] = [ResidualBlock(c) for _ in range(n_blocks)]
        for _ in range(2):
            layers += [
                nn.ConvTranspose2d(c, c // 2, 4, 2, 1),
                norm2d("instance", c // 2),
                nn.LeakyReLU(0.2),
            ]
            c //= 2
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(c, out_channels, 3), nn.Tanh()]
        self.shared = shared
        self.own = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.own(self.shared(z))


def shared_latent_pair(
    channels: int, width: int = 16, n_blocks: int = 1
) -> tuple[SharedLatentEncoder, SharedLatentEncoder, SharedLatentDecoder, SharedLatentDecoder]:
    """(E_A, E_B, G_A, G_B): the encoders share their last block, the decoders their first."""
    shared_e, shared_g = ResidualBlock(4 * width), ResidualBlock(4 * width)
    return (
        SharedLatentEncoder(channels, shared_e, width, n_blocks),
        SharedLatentEncoder(channels, shared_e, width, n_blocks),
        SharedLatentDecoder(channels, shared_g, width, n_blocks),
        SharedLatentDecoder(channels, shared_g, width, n_blocks),
    )
