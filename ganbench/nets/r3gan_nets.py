"""R3GAN's generator and discriminator at 32 px (Huang, Gokaslan, Kuleshov, Tompkin, NeurIPS 2024,
arXiv:2501.05441), small enough for a CPU. Written from the paper's description and the structure
of its released networks (brownvc/R3GAN @ 19a7ddf, R3GAN/Networks.py, read only; no code taken).

What the networks are:

- no normalisation layers, no mapping network, no noise inputs, no style modulation;
- residual blocks of the ResNeXt kind: x + W3(act(W2(act(W1 x)))), with W1 a 1x1 convolution
  that expands `channels` to `expansion * channels`, W2 a grouped 3x3 convolution with
  `cardinality` groups, W3 a 1x1 convolution back to `channels`; nothing after the sum;
- the convolutions have no bias; every activation is LeakyReLU(0.2) with a learned bias before it
  (`BiasedLeakyReLU`), as the released networks' biased activation;
- fix-up initialisation: weights drawn N(0, (gain / sqrt(fan_in))^2) (He / "MSR" init), W3 of
  every block zero (so each block starts as the identity), and W1, W2 with their gain scaled by
  L^(-1/(2m-2)), L the number of residual blocks of the network, m = 3 the convolutions of a
  branch: L^(-1/4) (the released code: `VarianceScalingParameter ** (-1 / (2 * 3 - 2))`, with
  VarianceScalingParameter = sum of the blocks of every stage);
- resampling by the [1, 2, 1] filter the paper names, used "interpolatively" as in the released
  resamplers: the filter convolved with the 2-tap box gives the 4-tap [1, 3, 3, 1] (outer product,
  normalised to sum 1); up = zero insertion then that filter x 4, down = that filter then keeping
  every second pixel (the StyleGAN2 resampling filter). Away from the border this is exactly
  bilinear 2x upsampling (align_corners=False) and antialiased bilinear halving; at the border
  the filter sees zeros (as the released upfirdn2d padding) where bilinear repeats the edge;
- G: a learned 4x4 basis (width x 4 x 4, N(0, 1)) multiplied channel-wise by linear(z), then
  stages at 4, 8, 16, 32 px (upsampling between them), then a 1x1 convolution to the image
  channels; the released G ends there (linear), `tanh=True` adds a tanh (the variant's default,
  see ganbench/variants/r3gan.py);
- D: a 1x1 convolution from the image, stages at 32, 16, 8, 4 px (blocks, then downsampling), then
  the head: a depthwise 4x4 convolution over the 4x4 map and a linear layer to one score.

The width is the same at every stage (as the paper's CIFAR-10 preset: 768 at 4 / 8 / 16 / 32), so
no 1x1 transition convolutions are needed between stages. `blocks` is the residual blocks of every
stage, or one count per stage (4, 8, 16, 32 px; the released code's BlocksPerStage); D mirrors G.
A stage with no block is only its resampling: at 32 px, G's last stage is the upsampling and the
1x1 convolution to the image, D's first the 1x1 convolution from the image and the downsampling.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

SLOPE = 0.2
GAIN = math.sqrt(2 / (1 + SLOPE**2))  # LeakyReLU(0.2)'s He gain
BRANCH_CONVS = 3  # m: the convolutions of a residual branch
RESAMPLE_TAPS = (1, 2, 1)  # the paper's filter; interpolative use makes it [1, 3, 3, 1]
SIZES = (4, 8, 16, 32)


def msr_init_(weight: torch.Tensor, gain: float) -> torch.Tensor:
    """He ("MSR") init in place: N(0, (gain / sqrt(fan_in))^2); gain 0 gives zeros."""
    fan_in = weight[0].numel()
    with torch.no_grad():
        if gain == 0:
            return weight.zero_()
        return weight.normal_(0.0, gain / math.sqrt(fan_in))


def conv(cin: int, cout: int, kernel: int, groups: int = 1, gain: float = 1.0) -> nn.Conv2d:
    layer = nn.Conv2d(cin, cout, kernel, padding=(kernel - 1) // 2, groups=groups, bias=False)
    msr_init_(layer.weight, gain)
    return layer


def fixup_gain(total_blocks: int, convs: int = BRANCH_CONVS) -> float:
    """The gain of a branch's non-final convolutions: GAIN x L^(-1/(2m-2))."""
    return GAIN * total_blocks ** (-1 / (2 * convs - 2))


class BiasedLeakyReLU(nn.Module):
    """LeakyReLU(0.2) of x plus a learned per-channel bias (zero at init)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = (1, -1) + (1,) * (x.dim() - 2)
        return F.leaky_relu(x + self.bias.view(shape), SLOPE)


class ResidualBlock(nn.Module):
    """x + project(act(grouped(act(expand(x))))), fix-up initialised: `project` is zero."""

    def __init__(self, channels: int, cardinality: int, expansion: int, total_blocks: int) -> None:
        super().__init__()
        hidden = channels * expansion
        if hidden % cardinality:
            raise ValueError(
                f"cardinality {cardinality} must divide the expanded width {hidden} "
                f"({channels} x expansion {expansion})"
            )
        gain = fixup_gain(total_blocks)
        self.expand = conv(channels, hidden, 1, gain=gain)
        self.act1 = BiasedLeakyReLU(hidden)
        self.grouped = conv(hidden, hidden, 3, groups=cardinality, gain=gain)
        self.act2 = BiasedLeakyReLU(hidden)
        self.project = conv(hidden, channels, 1, gain=0.0)

    @property
    def convs(self) -> tuple[nn.Conv2d, nn.Conv2d, nn.Conv2d]:
        return self.expand, self.grouped, self.project

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.project(self.act2(self.grouped(self.act1(self.expand(x)))))


def lowpass_kernel(taps: tuple[int, ...] = RESAMPLE_TAPS) -> torch.Tensor:
    """The 2-D interpolation kernel of a filter: taps convolved with the box [1, 1] ([1, 2, 1]
    gives [1, 3, 3, 1]), its outer product with itself, normalised to sum 1."""
    one_d = torch.tensor([a + b for a, b in zip((0, *taps), (*taps, 0), strict=True)])
    k = torch.outer(one_d, one_d).float()
    return k / k.sum()


class _Resample(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("kernel", lowpass_kernel(), persistent=False)
        self.pad = (self.kernel.shape[-1] - 2) // 2  # 1 for the 4-tap kernel

    def weight(self, x: torch.Tensor, scale: float) -> torch.Tensor:
        k = (self.kernel * scale).to(x.dtype)
        return k.expand(x.shape[1], 1, *k.shape)


class Upsample(_Resample):
    """2x: zeros between pixels, then the low-pass kernel (x 4 to keep the mean), per channel."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv_transpose2d(
            x, self.weight(x, 4.0), stride=2, padding=self.pad, groups=x.shape[1]
        )


class Downsample(_Resample):
    """1/2: the low-pass kernel, then every second pixel, per channel."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight(x, 1.0), stride=2, padding=self.pad, groups=x.shape[1])


def _blocks(n: int, width: int, cardinality: int, expansion: int, total: int) -> list[nn.Module]:
    return [ResidualBlock(width, cardinality, expansion, total) for _ in range(n)]


def per_stage(blocks: int | tuple[int, ...]) -> tuple[int, ...]:
    """Residual blocks at 4, 8, 16, 32 px: one number for every stage, or one per stage."""
    out = (blocks,) * len(SIZES) if isinstance(blocks, int) else tuple(blocks)
    if len(out) != len(SIZES) or any(b < 0 for b in out):
        raise ValueError(f"blocks: one count >= 0 or {len(SIZES)} of them, got {blocks!r}")
    return out


def _check_shape(shape: tuple[int, ...]) -> None:
    if len(shape) != 3 or tuple(shape[1:]) != (SIZES[-1], SIZES[-1]):
        raise ValueError(
            f"the R3GAN networks build 4 -> 8 -> 16 -> 32 px images, not shape {tuple(shape)}"
        )


class R3Generator(nn.Module):
    """z -> (basis x linear(z)) at 4 px -> residual stages to 32 px -> 1x1 conv to the image."""

    def __init__(
        self,
        latent_dim: int,
        out_shape: tuple[int, ...],
        width: int = 32,
        cardinality: int = 4,
        blocks: int | tuple[int, ...] = 1,
        expansion: int = 2,
        tanh: bool = False,
    ) -> None:
        super().__init__()
        _check_shape(out_shape)
        self.out_shape = tuple(out_shape)
        self.tanh = tanh
        counts = per_stage(blocks)
        total = sum(counts)
        self.basis = nn.Parameter(torch.randn(width, 4, 4))
        self.embed = nn.Linear(latent_dim, width, bias=False)
        msr_init_(self.embed.weight, 1.0)
        self.stages = nn.ModuleList(
            nn.Sequential(
                *([Upsample()] if i else []),
                *_blocks(n, width, cardinality, expansion, total),
            )
            for i, n in enumerate(counts)
        )
        self.to_image = conv(width, out_shape[0], 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.basis.unsqueeze(0) * self.embed(z)[:, :, None, None]
        for stage in self.stages:
            x = stage(x)
        x = self.to_image(x)
        return torch.tanh(x) if self.tanh else x


class R3Discriminator(nn.Module):
    """image -> 1x1 conv -> residual stages 32 -> 4 px -> depthwise 4x4 conv -> linear -> score."""

    def __init__(
        self,
        in_shape: tuple[int, ...],
        width: int = 32,
        cardinality: int = 4,
        blocks: int | tuple[int, ...] = 1,
        expansion: int = 2,
    ) -> None:
        super().__init__()
        _check_shape(in_shape)
        counts = per_stage(blocks)[::-1]  # 32 px first
        total = sum(counts)
        self.from_image = conv(in_shape[0], width, 1)
        last = len(counts) - 1
        self.stages = nn.ModuleList(
            nn.Sequential(
                *_blocks(n, width, cardinality, expansion, total),
                *([Downsample()] if i < last else []),
            )
            for i, n in enumerate(counts)
        )
        self.head_conv = conv(width, width, 4, groups=width)  # depthwise, 4x4 -> 1x1
        self.head_conv.padding = (0, 0)
        self.head = nn.Linear(width, 1, bias=False)
        msr_init_(self.head.weight, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.from_image(x)
        for stage in self.stages:
            x = stage(x)
        return self.head(self.head_conv(x).flatten(1)).squeeze(1)


def residual_blocks(net: nn.Module) -> list[ResidualBlock]:
    return [m for m in net.modules() if isinstance(m, ResidualBlock)]
