"""U-Net generator (Ronneberger et al. 2015; the pix2pix generator, Isola et al. 2017, section
3.2.1) sized for 28 px: `depth` stride-2 down blocks, a bottleneck at the coarsest size, and as many
up blocks, each concatenating the mirrored down block's output (the skip that lets low-level detail
such as edge positions bypass the bottleneck).

28 px halves only twice (28 -> 14 -> 7), so depth is 2 by default, against pix2pix's 8 at 256 px:
the 8-level net needs >= 256 px (its 1x1 bottleneck), the 28 px net keeps the same shape of skips
at every level that exists. Down: conv4 s2 -> norm -> LeakyReLU(0.2) (no norm on the first, as
pix2pix); bottleneck: conv3 -> norm -> ReLU, with dropout (pix2pix's noise source, in its deepest
blocks); up: convT4 s2 -> norm -> ReLU; out: conv3 -> tanh.

`skips=False` drops the skips: a plain encoder-decoder of the same shape (DiscoGAN's generator).
`extra_channels`: a tensor of that many channels at the bottleneck's size may be passed to forward
(`extra=`) and is concatenated there (CCGAN injects a low-resolution copy of the image this way).
"""

from __future__ import annotations

import torch
from torch import nn

from ganbench.nets.norms import norm2d


class UNet(nn.Module):
    """(N, in_channels, H, W) -> (N, out_channels, H, W) in [-1, 1]; H, W divisible by 2**depth.

    width: channels of the first down block, doubled at each level (width * 2**(depth-1) at the
    bottleneck). norm: "instance" (the zoo), "batch", "layer" or "none"."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        width: int = 32,
        depth: int = 2,
        norm: str = "instance",
        dropout: float = 0.5,
        extra_channels: int = 0,
        skips: bool = True,
    ) -> None:
        super().__init__()
        if depth < 1:
            raise ValueError("a U-Net needs at least one level")
        self.depth, self.extra_channels, self.skips = depth, extra_channels, skips
        chans = [width * 2**i for i in range(depth)]
        self.downs = nn.ModuleList()
        c_in = in_channels
        for i, c in enumerate(chans):
            layers: list[nn.Module] = [nn.Conv2d(c_in, c, 4, 2, 1)]
            if i > 0:
                layers.append(norm2d(norm, c))
            layers.append(nn.LeakyReLU(0.2))
            self.downs.append(nn.Sequential(*layers))
            c_in = c
        deep = chans[-1]
        self.bottleneck = nn.Sequential(
            nn.Conv2d(deep + extra_channels, deep, 3, 1, 1),
            norm2d(norm, deep),
            nn.ReLU(),
            nn.Dropout(dropout) if dropout > 0 else nn.Identity(),
        )
        self.ups = nn.ModuleList()
        c_in = deep
        for i in reversed(range(depth)):
            c_out = chans[i - 1] if i > 0 else width
            # input: the level below's output concatenated with this level's skip
            self.ups.append(
                nn.Sequential(
                    nn.ConvTranspose2d(c_in + (chans[i] if skips else 0), c_out, 4, 2, 1),
                    norm2d(norm, c_out),
                    nn.ReLU(),
                )
            )
            c_in = c_out
        self.out = nn.Sequential(nn.Conv2d(width, out_channels, 3, 1, 1), nn.Tanh())

    def forward(self, x: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        f = 2**self.depth
        if x.shape[-1] % f or x.shape[-2] % f:
            raise ValueError(
                f"a depth-{self.depth} U-Net needs sides divisible by {f}, got {tuple(x.shape[-2:])}"
            )
        skips = []
        h = x
        for down in self.downs:
            h = down(h)
            skips.append(h)
        if self.extra_channels:
            if extra is None:
                raise ValueError(
                    f"this U-Net takes {self.extra_channels} extra bottleneck channels"
                )
            h = torch.cat([h, extra], 1)
        h = self.bottleneck(h)
        for up, skip in zip(self.ups, reversed(skips), strict=True):
            h = up(torch.cat([h, skip], 1) if self.skips else h)
        return self.out(h)
