"""ResNet generator (Johnson et al. 2016; the CycleGAN generator, Zhu et al. 2017, appendix 7.2)
sized for 28 px: cks1-w, two stride-2 downsamples (28 -> 14 -> 7), `n_blocks` residual blocks at
7 x 7, two fractional-strided convs (convT3 s2, the paper's u-k; the PyTorch-GAN zoo's current
nearest x2 + conv3 costs 4x the multiply-adds at full size), cks1 to the image channels, tanh.

The end convs are k x k with reflection padding k // 2, k = `end_kernel`: 3 by default at 28 px,
where a 7 x 7 kernel spans a quarter of the image and the two full-size 7 x 7 convs cost about a
third of a CPU step of this small net (CycleGAN's c7s1 is at 256 px; the zoo pads its 7 x 7 by the
channel count, right only for 3 channels: a 1-channel 28 px input comes out 20 x 20). CycleGAN
used 9 blocks at 256 px and 6 at 128 px; 28 px digits need far fewer (`n_blocks`), and widths of
8-16 instead of 64 keep a CPU step short. `ResidualBlock` is shared with UNIT's encoders and
decoders (ganbench/nets/shared_latent.py).
"""

from __future__ import annotations

import torch
from torch import nn

from ganbench.nets.norms import norm2d


class ResidualBlock(nn.Module):
    """x + (pad-conv3-norm-ReLU-pad-conv3-norm)(x): same channels, same size."""

    def __init__(self, channels: int, norm: str = "instance") -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            norm2d(norm, channels),
            nn.ReLU(),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            norm2d(norm, channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """(N, in_channels, H, W) -> (N, out_channels, H, W) in [-1, 1]; H, W divisible by 4."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        width: int = 16,
        n_blocks: int = 3,
        norm: str = "instance",
        end_kernel: int = 3,
    ) -> None:
        super().__init__()
        pad = end_kernel // 2
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(pad),
            nn.Conv2d(in_channels, width, end_kernel),
            norm2d(norm, width),
            nn.ReLU(),
        ]
        c = width
        for _ in range(2):
            layers += [nn.Conv2d(c, 2 * c, 3, 2, 1), norm2d(norm, 2 * c), nn.ReLU()]
            c *= 2
        layers += [ResidualBlock(c, norm) for _ in range(n_blocks)]
        for _ in range(2):
            layers += [
                nn.ConvTranspose2d(c, c // 2, 3, 2, 1, output_padding=1),
                norm2d(norm, c // 2),
                nn.ReLU(),
            ]
            c //= 2
        layers += [nn.ReflectionPad2d(pad), nn.Conv2d(c, out_channels, end_kernel), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
