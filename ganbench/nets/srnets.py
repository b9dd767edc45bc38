"""Super-resolution nets, sized for 28 px digits: SRResNet (SRGAN's G, Ledig et al. 2017), the
RRDB net (ESRGAN's G, Wang et al. 2018) and the VGG-style discriminator both papers use.

Both generators work at the source resolution and end in log2(factor) pixel-shuffle x2 stages,
the factor read from the data (7 px -> 28 px: two stages; 14 px -> 28 px: one). The papers' sizes
are 64 channels with 16 residual blocks (SRGAN) or 23 RRDBs (ESRGAN) at 96-128 px crops; at 7 px a
digit needs far less, and the variants' defaults (width 32, 4 residual blocks / 1 RRDB, D 16 wide)
keep a quick-preset run on a 2-core CPU inside the demo budget. PyTorch's default
initialisation, as the other nets here.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def upscale_stages(source_shape: tuple[int, ...], shape: tuple[int, ...]) -> int:
    """How many x2 pixel-shuffle stages take `source_shape` (C, h, w) to `shape` (C, H, W)."""
    factor = shape[-1] // source_shape[-1]
    stages = int(round(math.log2(factor))) if factor >= 1 else -1
    if (
        shape[-1] != source_shape[-1] * factor
        or shape[-2] != source_shape[-2] * factor
        or stages < 1
        or 2**stages != factor
    ):
        raise ValueError(
            f"super-resolution nets upscale by a power of 2 >= 2 in both sides; "
            f"{tuple(source_shape)} -> {tuple(shape)} is not that"
        )
    return stages


def _upsampler(width: int, stages: int, batch_norm: bool) -> tuple[nn.Sequential, int]:
    """`stages` x2 pixel-shuffle stages (conv3 to 4 x the channels out, shuffle) and the channels
    they end with. Channels halve at each stage, as in a DCGAN decoder (the papers keep 64): the
    convs at 14 and 28 px are most of a step's cost, and a 28 px digit needs few channels there.
    SRGAN: conv, BN, shuffle, PReLU; ESRGAN: conv, LeakyReLU, shuffle (no BN), as the zoo."""
    layers: list[nn.Module] = []
    c = width
    for _ in range(stages):
        out = max(c // 2, 4)
        layers.append(nn.Conv2d(c, 4 * out, 3, 1, 1))
        if batch_norm:
            layers += [nn.BatchNorm2d(4 * out), nn.PixelShuffle(2), nn.PReLU()]
        else:
            layers += [nn.LeakyReLU(0.2), nn.PixelShuffle(2)]
        c = out
    return nn.Sequential(*layers), c


class _ResidualBlock(nn.Module):
    """SRResNet block: conv3-BN-PReLU-conv3-BN, plus the input."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(width, width, 3, 1, 1),
            nn.BatchNorm2d(width),
            nn.PReLU(),
            nn.Conv2d(width, width, 3, 1, 1),
            nn.BatchNorm2d(width),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class SRResNet(nn.Module):
    """SRGAN's generator (paper, fig. 4): conv9-PReLU, `blocks` residual blocks, conv3-BN plus
    the long skip, then the x2 stages (conv3, BN, pixel shuffle, PReLU; see _upsampler) and a
    conv3 (paper: conv9, 5 x the cost at 28 px) with tanh."""

    def __init__(
        self,
        source_shape: tuple[int, ...],
        shape: tuple[int, ...],
        width: int = 32,
        blocks: int = 4,
    ) -> None:
        super().__init__()
        c = shape[0]
        self.head = nn.Sequential(nn.Conv2d(source_shape[0], width, 9, 1, 4), nn.PReLU())
        self.body = nn.Sequential(
            *[_ResidualBlock(width) for _ in range(blocks)],
            nn.Conv2d(width, width, 3, 1, 1),
            nn.BatchNorm2d(width),
        )
        self.up, out = _upsampler(width, upscale_stages(source_shape, shape), batch_norm=True)
        self.tail = nn.Sequential(nn.Conv2d(out, c, 3, 1, 1), nn.Tanh())  # paper: 9 x 9

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x)
        return self.tail(self.up(h + self.body(h)))


class _DenseBlock(nn.Module):
    """ESRGAN's residual dense block: 5 convs, each fed every earlier output (growth `growth`),
    LeakyReLU(0.2) but after the last; the block's output is scaled by `res_scale` and added."""

    def __init__(self, width: int, growth: int, res_scale: float) -> None:
        super().__init__()
        self.res_scale = res_scale
        self.convs = nn.ModuleList(
            nn.Conv2d(width + i * growth, growth if i < 4 else width, 3, 1, 1) for i in range(5)
        )
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x]
        for i, conv in enumerate(self.convs):
            out = conv(torch.cat(feats, 1))
            if i < 4:
                feats.append(self.act(out))
        return x + self.res_scale * out


class _RRDB(nn.Module):
    """Residual-in-residual dense block: three dense blocks, their result scaled and added."""

    def __init__(self, width: int, growth: int, res_scale: float) -> None:
        super().__init__()
        self.res_scale = res_scale
        self.blocks = nn.Sequential(*[_DenseBlock(width, growth, res_scale) for _ in range(3)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.res_scale * self.blocks(x)


class RRDBNet(nn.Module):
    """ESRGAN's generator (paper, fig. 4): no batch norm anywhere (the paper removes it: it brings
    artefacts); conv3, `blocks` RRDBs, conv3 plus the long skip, the x2 stages (conv3, LeakyReLU,
    pixel shuffle, as the PyTorch-GAN zoo; see _upsampler), then conv3-LeakyReLU-conv3. No output
    activation, as the paper: the output is linear (the variant clamps it when translating)."""

    def __init__(
        self,
        source_shape: tuple[int, ...],
        shape: tuple[int, ...],
        width: int = 32,
        blocks: int = 2,
        growth: int = 16,
        res_scale: float = 0.2,
    ) -> None:
        super().__init__()
        self.head = nn.Conv2d(source_shape[0], width, 3, 1, 1)
        self.body = nn.Sequential(
            *[_RRDB(width, growth, res_scale) for _ in range(blocks)],
            nn.Conv2d(width, width, 3, 1, 1),
        )
        self.up, out = _upsampler(width, upscale_stages(source_shape, shape), batch_norm=False)
        self.tail = nn.Sequential(
            nn.Conv2d(out, out, 3, 1, 1), nn.LeakyReLU(0.2), nn.Conv2d(out, shape[0], 3, 1, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x)
        return self.tail(self.up(h + self.body(h)))


class VGGDiscriminator(nn.Module):
    """SRGAN's discriminator (paper, fig. 4), shortened for 28 px: a conv3 stride 2 (no BN, as the
    paper's first layer) takes 28 px to 14, then per stage conv3 stride 1 and conv3 stride 2, each
    with BN and LeakyReLU(0.2), widths doubling from `width` (14 -> 7 -> 4 px); then the paper's
    dense head (1024 units there, 8 x width here), LeakyReLU, one logit per image. The paper's
    stride-1 conv at full resolution is dropped: at 28 px it was most of a training step's time."""

    def __init__(self, shape: tuple[int, ...], width: int = 16, stages: int = 2) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(shape[0], width, 3, 2, 1), nn.LeakyReLU(0.2)]
        c_in, size = width, (shape[-1] + 1) // 2
        for i in range(1, stages + 1):
            c = width * 2**i
            layers += [
                nn.Conv2d(c_in, c, 3, 1, 1),
                nn.BatchNorm2d(c),
                nn.LeakyReLU(0.2),
                nn.Conv2d(c, c, 3, 2, 1),
                nn.BatchNorm2d(c),
                nn.LeakyReLU(0.2),
            ]
            c_in, size = c, (size + 1) // 2
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Sequential(
            nn.Linear(c_in * size * size, 8 * width), nn.LeakyReLU(0.2), nn.Linear(8 * width, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).squeeze(1)
