"""ProGAN's networks (Karras et al. 2018, arXiv:1710.10196, section 4 and appendix A), built at
full size once and run at the resolution of the current phase.

- Equalized learning rate (section 4.1): every weight is drawn N(0, 1) and multiplied at runtime by
  He's constant gain / sqrt(fan_in) (gain sqrt(2) for the hidden layers; 1 for toRGB and the
  critic's output layer, as in the authors' code, which has linear outputs there); biases start
  at 0. Adam then sees every weight at one scale, so each layer learns at the same speed.
- Pixelwise feature normalization (section 4.2) in G after every convolution (and on the latent):
  b = a / sqrt(mean_c(a^2) + 1e-8).
- Minibatch standard deviation (section 3) at the start of the critic's last (4x4) block: the
  standard deviation of every feature at every pixel over a group of the batch, averaged to one
  number per group and appended as a constant feature map (group 4 in the authors' code; the
  paper's text takes the whole batch, `group=0`).
- Growing (section 2): stage i works at 4 << i px. G: block 0 maps the latent to 4x4; block i
  doubles the resolution (nearest-neighbour upsampling, two 3x3 convolutions); toRGB[i] is a 1x1
  convolution. While stage i fades in with alpha, G's image is
  (1 - alpha) * upsample(toRGB[i-1](h_{i-1})) + alpha * toRGB[i](h_i). The critic mirrors it:
  fromRGB[i] (1x1) then blocks down to 4x4 (two 3x3 convolutions, 2x2 average pooling), and while
  stage i fades in its first block's output is blended with fromRGB[i-1] of the 2x average-pooled
  input. Leaky ReLU 0.2 everywhere but the outputs.
- As in the authors' default code (fused_scale), G's upsampling and the convolution after it run
  as one stride-2 transposed convolution, and D's second convolution and the pooling after it as
  one stride-2 convolution (pooling before the activation, as that code does): the same linear
  maps at a quarter of the positions, with the 3x3 weights as the parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

HE_GAIN = math.sqrt(2.0)
PIXEL_NORM_EPS = 1e-8
MBSTD_EPS = 1e-8
SLOPE = 0.2  # leaky ReLU
# Feature maps are kept channels-last: with a few channels at 16 and 32 px, CPU convolutions (and
# their double backward in the gradient penalty) run 2-3x faster than in the default layout.
FAST_LAYOUT = torch.channels_last


def pixel_norm(x: torch.Tensor, eps: float = PIXEL_NORM_EPS) -> torch.Tensor:
    """Each pixel's feature vector (dim 1) scaled to unit mean square."""
    return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + eps)


def minibatch_stddev(x: torch.Tensor, group: int = 4, eps: float = MBSTD_EPS) -> torch.Tensor:
    """x (N, C, H, W) with one feature map more: for each group of samples, the standard deviation
    (over the group, biased) of every feature at every pixel, averaged over features and pixels,
    given to every member of the group at every pixel. Sample k belongs to group k mod (N / g).
    group 0 or >= N: the whole batch is one group; a group that does not divide N shrinks to the
    largest size that does."""
    n, _, h, w = x.shape
    g = n if group <= 0 else min(group, n)
    while n % g:
        g -= 1
    m = n // g
    y = x.contiguous().view(g, m, *x.shape[1:])
    std = (y.var(dim=0, unbiased=False) + eps).sqrt()  # (m, C, H, W)
    per_group = std.mean(dim=(1, 2, 3))  # (m,)
    stat = per_group.repeat(g).view(n, 1, 1, 1).expand(n, 1, h, w)
    return torch.cat([x, stat], dim=1)


class EqualizedConv2d(nn.Module):
    """A k x k convolution (same padding) whose weight is N(0, 1) scaled at runtime by
    gain / sqrt(fan_in), fan_in = in_channels * k * k."""

    def __init__(self, cin: int, cout: int, kernel: int, gain: float = HE_GAIN) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.fan_in = cin * kernel * kernel
        self.scale = gain / math.sqrt(self.fan_in)
        self.padding = kernel // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)

    def conv_downsample(self, x: torch.Tensor) -> torch.Tensor:
        """downsample(conv(x)) + bias as one stride-2 convolution: a 2x2 mean of 3x3 outputs is
        one output of the 4x4 kernel that sums the 3x3 kernel's four 1-pixel shifts, x 1/4
        (the authors' fused form; a quarter of the positions)."""
        w4 = _shift_sum(self.weight * self.scale) * 0.25
        return F.conv2d(x, w4, self.bias, stride=2, padding=1)

    def upsample_conv(self, x: torch.Tensor) -> torch.Tensor:
        """conv(upsample(x)) + bias as one stride-2 transposed convolution, whose kernel sums the
        four 1-pixel shifts of the flipped 3x3 kernel (the authors' fused form)."""
        k = _shift_sum((self.weight * self.scale).flip(2, 3))
        return F.conv_transpose2d(x, k.transpose(0, 1), self.bias, stride=2, padding=1)


def _shift_sum(w: torch.Tensor) -> torch.Tensor:
    """(O, I, 3, 3) -> (O, I, 4, 4): w4[p, q] = sum over a, b in {0, 1} of w[p - a, q - b]."""
    w = F.pad(w, (1, 1, 1, 1))
    return w[..., 1:, 1:] + w[..., :-1, 1:] + w[..., 1:, :-1] + w[..., :-1, :-1]


class EqualizedLinear(nn.Module):
    """A dense layer with the weight N(0, 1) scaled at runtime by gain / sqrt(in_features)."""

    def __init__(self, fin: int, fout: int, gain: float = HE_GAIN) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(fout, fin))
        self.bias = nn.Parameter(torch.zeros(fout))
        self.fan_in = fin
        self.scale = gain / math.sqrt(fin)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.scale, self.bias)


def _act(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, SLOPE)


def upsample(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Nearest-neighbour upsampling (each pixel repeated factor x factor times)."""
    return x if factor == 1 else F.interpolate(x, scale_factor=factor, mode="nearest")


def downsample(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Box-filter downsampling (the mean of each factor x factor square)."""
    return x if factor == 1 else F.avg_pool2d(x, factor)


def fade(old: torch.Tensor, new: torch.Tensor, alpha: float) -> torch.Tensor:
    """(1 - alpha) * old + alpha * new: exactly `old` at alpha 0 and `new` at alpha 1."""
    if alpha >= 1.0:
        return new
    return (1.0 - alpha) * old + alpha * new


class _GBlock(nn.Module):
    """Double the resolution: upsample, then two 3x3 convolutions, each followed by leaky ReLU and
    pixel norm (the upsampling and the first convolution run fused: the same function)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = EqualizedConv2d(cin, cout, 3)
        self.conv2 = EqualizedConv2d(cout, cout, 3)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        h = pixel_norm(_act(self.conv1.upsample_conv(h)))  # = conv1(upsample(h))
        return pixel_norm(_act(self.conv2(h)))


class ProGenerator(nn.Module):
    """z -> image at 4 << stage px. `channels[i]` is the width of the block at 4 << i px."""

    def __init__(self, latent_dim: int, channels: Sequence[int], out_channels: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.channels = tuple(channels)
        self.stages = len(self.channels)
        c0 = self.channels[0]
        # The paper's 4x4 convolution of the 1x1 latent is a dense layer to 4 x 4 x c0.
        self.dense = EqualizedLinear(latent_dim, c0 * 16)
        self.conv0 = EqualizedConv2d(c0, c0, 3)
        self.blocks = nn.ModuleList(
            _GBlock(self.channels[i - 1], self.channels[i]) for i in range(1, self.stages)
        )
        self.to_rgb = nn.ModuleList(EqualizedConv2d(c, out_channels, 1, gain=1.0) for c in channels)

    def features(self, z: torch.Tensor, stage: int) -> list[torch.Tensor]:
        """The feature maps of blocks 0..stage (4 px, 8 px, ...)."""
        h = self.dense(pixel_norm(z)).view(z.shape[0], self.channels[0], 4, 4)
        h = pixel_norm(_act(h)).contiguous(memory_format=FAST_LAYOUT)
        h = pixel_norm(_act(self.conv0(h)))
        out = [h]
        for block in self.blocks[:stage]:
            h = block(h)
            out.append(h)
        return out

    def forward(
        self, z: torch.Tensor, stage: int | None = None, alpha: float = 1.0
    ) -> torch.Tensor:
        stage = self.stages - 1 if stage is None else stage
        feats = self.features(z, stage)
        img = self.to_rgb[stage](feats[stage])
        if stage > 0 and alpha < 1.0:
            img = fade(upsample(self.to_rgb[stage - 1](feats[stage - 1])), img, alpha)
        return img


class _DBlock(nn.Module):
    """Halve the resolution: a 3x3 convolution, leaky ReLU, a 3x3 convolution averaged over 2x2
    squares (run fused, as the authors' default code, which also pools before the activation),
    leaky ReLU."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = EqualizedConv2d(cin, cin, 3)
        self.conv2 = EqualizedConv2d(cin, cout, 3)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return _act(self.conv2.conv_downsample(_act(self.conv1(h))))  # pool(conv2(.)) + bias


class ProCritic(nn.Module):
    """image at 4 << stage px -> one score per sample (WGAN critic, no normalisation)."""

    def __init__(self, channels: Sequence[int], in_channels: int, mbstd_group: int = 4) -> None:
        super().__init__()
        self.channels = tuple(channels)
        self.stages = len(self.channels)
        self.mbstd_group = mbstd_group
        c0 = self.channels[0]
        self.from_rgb = nn.ModuleList(EqualizedConv2d(in_channels, c, 1) for c in channels)
        # blocks[i - 1] takes stage i's maps (4 << i px) to stage i - 1's
        self.blocks = nn.ModuleList(
            _DBlock(self.channels[i], self.channels[i - 1]) for i in range(1, self.stages)
        )
        self.conv = EqualizedConv2d(c0 + 1, c0, 3)  # + the minibatch stddev map
        self.dense = EqualizedLinear(c0 * 16, c0)  # the paper's 4x4 convolution to 1x1
        self.out = EqualizedLinear(c0, 1, gain=1.0)

    def forward(
        self, x: torch.Tensor, stage: int | None = None, alpha: float = 1.0
    ) -> torch.Tensor:
        stage = self.stages - 1 if stage is None else stage
        if x.shape[-1] != 4 << stage:
            raise ValueError(f"stage {stage} takes {4 << stage} px images, got {x.shape[-1]} px")
        x = x.contiguous(memory_format=FAST_LAYOUT)
        h = _act(self.from_rgb[stage](x))
        if stage > 0:
            h = self.blocks[stage - 1](h)
            if alpha < 1.0:
                h = fade(_act(self.from_rgb[stage - 1](downsample(x))), h, alpha)
            for i in range(stage - 1, 0, -1):
                h = self.blocks[i - 1](h)
        h = minibatch_stddev(h, self.mbstd_group)
        h = _act(self.conv(h))
        h = _act(self.dense(h.flatten(1)))
        return self.out(h).squeeze(1)


def stage_channels(width: int, stages: int) -> tuple[int, ...]:
    """The width of each stage's block: `width` at 4 and 8 px, halved at every doubling after
    (ProGAN's fmap_decay 1: fewer feature maps at higher resolution), at least 4."""
    return tuple(max(4, width >> max(0, i - 1)) for i in range(stages))
