"""The networks of a small StyleGAN2 (Karras et al. 2020, arXiv:1912.04958) for 32 px images,
written from the paper's equations (nothing copied from NVIDIA's code).

Generator = mapping network f: z -> w, then the synthesis network g: w -> image.

- mapping: z normalised to unit second moment ("pixel norm", z / sqrt(mean(z^2) + 1e-8)), then
  `layers` fully connected layers with leaky ReLU; their learning rate is scaled by `lr_mul`
  (equalised learning rate: weights stored as N(0, 1) / lr_mul and multiplied by
  lr_mul / sqrt(fan_in) at run time, so Adam's step on them is lr_mul times as large in effect).
- synthesis: a learned constant 4x4 input; per resolution 4 -> 8 -> 16 -> 32 one (4x4) or two
  modulated 3x3 convolutions (the first of each later block on the 2x up-sampled map), each
  followed by a per-pixel noise input with learned per-channel strength, a bias and leaky ReLU;
  skip-style outputs: each resolution's to-RGB (a modulated 1x1 convolution, not demodulated) is
  added to the up-sampled image of the resolution below.
- modulation / demodulation (the paper's eq. 1-3): w'_{ijk} = s_i w_{ijk}, then
  w''_{ijk} = w'_{ijk} / sqrt(sum_{i,k} w'_{ijk}^2 + eps), j the output channel, i the input
  channel, k the kernel tap, s = A(w) a learned affine map of w (bias initialised to 1). It runs
  as scale-the-input, convolve, scale-the-output (`modulated_conv2d`), which is the same linear
  map as convolving with the per-sample weights w'' (tests/test_stylegan2.py holds that).
- up-sampling is bilinear x2 (align_corners=False), the separable [1, 3, 3, 1] / 4 filter the
  paper's resampling uses, with edges replicated rather than zero-padded.

The style vector w drives every layer through `ws` of shape (N, num_ws, w_dim): layer l reads
ws[:, l]. Convolutions read indices 0..6 and the to-RGB of a block reads the index after its last
convolution (as in the paper's 2 log2(res) - 2 = 8 styles at 32 px), so style mixing (the variant)
only has to switch rows of `ws` at a crossover index.

Discriminator: from-RGB (1x1) at 32 px, residual blocks 32 -> 16 -> 8 -> 4 (3x3 conv, 2x2 average
pool, 3x3 conv; skip = pool then 1x1 conv; sum / sqrt(2)), then the epilogue at 4x4: minibatch
standard deviation (group size 4, one feature), 3x3 conv, dense, dense -> one logit.

All layers use the equalised learning rate (ProGAN and StyleGAN): N(0, 1) weights scaled at run
time by 1 / sqrt(fan_in); leaky ReLU(0.2) outputs are multiplied by sqrt(2).
"""

from __future__ import annotations

import math
from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn

LRELU_GAIN = math.sqrt(2.0)
DEMOD_EPS = 1e-8


def lrelu(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, 0.2) * LRELU_GAIN


def pixel_norm(z: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """z / sqrt(mean(z^2) + eps) over the features: every z on the sphere of radius sqrt(dim)."""
    return z * torch.rsqrt(z.pow(2).mean(dim=1, keepdim=True) + eps)


def upsample2(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


class EqualLinear(nn.Module):
    """y = x (W * lr_mul / sqrt(in))^T + b * lr_mul, W stored as N(0, 1) / lr_mul; `act`: leaky
    ReLU x sqrt(2). `bias_init` is the effective initial bias."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias_init: float = 0.0,
        lr_mul: float = 1.0,
        act: bool = False,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init) / lr_mul))
        self.weight_gain = lr_mul / math.sqrt(in_features)
        self.lr_mul = lr_mul
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(x, self.weight * self.weight_gain, self.bias * self.lr_mul)
        return lrelu(y) if self.act else y


class EqualConv2d(nn.Module):
    """A plain convolution with the equalised learning rate (the discriminator's)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, bias: bool = True) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel * kernel)
        self.padding = kernel // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.weight_gain, self.bias, padding=self.padding)


# --- modulated convolution ----------------------------------------------------------------------


def modulated_weights(
    weight: torch.Tensor, styles: torch.Tensor, demodulate: bool = True, eps: float = DEMOD_EPS
) -> torch.Tensor:
    """The per-sample weights of the paper's eq. 1 and 3, (N, out, in, k, k): w' = s_i w_ijk,
    then (demodulate) w'' = w' / sqrt(sum over in and taps of w'^2 + eps) per output channel.
    The explicit form, for reading and testing; `modulated_conv2d` computes the same map
    without building it."""
    w = weight.unsqueeze(0) * styles[:, None, :, None, None]
    if demodulate:
        w = w * torch.rsqrt(w.pow(2).sum(dim=(2, 3, 4), keepdim=True) + eps)
    return w


def demodulation(
    weight: torch.Tensor, styles: torch.Tensor, eps: float = DEMOD_EPS
) -> torch.Tensor:
    """1 / sqrt(sum_{i,k} (s_i w_ijk)^2 + eps) per sample and output channel, (N, out):
    sum_{i,k} s_i^2 w_ijk^2 = s^2 . (sum_k w_ijk^2), one small matrix product."""
    return torch.rsqrt(styles.pow(2) @ weight.pow(2).sum(dim=(2, 3)).t() + eps)


def modulated_conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    styles: torch.Tensor,
    demodulate: bool = True,
    up: bool = False,
    eps: float = DEMOD_EPS,
) -> torch.Tensor:
    """x (N, in, H, W) convolved with the per-sample modulated (and demodulated) weights of
    `modulated_weights`, as one ordinary convolution: scaling input channel i by s_i and output
    channel j by the demodulation coefficient is the same linear map (and x2 up-sampling, linear
    and per channel, commutes with the input scaling)."""
    x = x * styles[:, :, None, None]
    if up:
        x = upsample2(x)
    y = F.conv2d(x, weight, padding=weight.shape[-1] // 2)
    if demodulate:
        y = y * demodulation(weight, styles, eps)[:, :, None, None]
    return y


class ModulatedConv2d(nn.Module):
    """A convolution whose weights each sample's style s = A(w) modulates (and demodulates)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: int,
        w_dim: int,
        demodulate: bool = True,
        up: bool = False,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel, kernel))
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel * kernel)
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)  # styles start at 1
        self.demodulate, self.up = demodulate, up

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w)
        return modulated_conv2d(
            x, self.weight * self.weight_gain, styles, demodulate=self.demodulate, up=self.up
        )


class SynthesisLayer(nn.Module):
    """Modulated 3x3 conv, + noise (N, 1, H, W) x per-channel strength, + bias, leaky ReLU.
    The strengths start at 0 (StyleGAN's own initialisation): G learns how much noise to use."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, up: bool = False) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, 3, w_dim, demodulate=True, up=up)
        self.noise_strength = nn.Parameter(torch.zeros(out_channels))
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(
        self, x: torch.Tensor, w: torch.Tensor, noise: torch.Tensor | None = None
    ) -> torch.Tensor:
        y = self.conv(x, w)
        if noise is None:
            noise = torch.randn(
                y.shape[0], 1, y.shape[2], y.shape[3], device=y.device, dtype=y.dtype
            )
        y = y + self.noise_strength[None, :, None, None] * noise
        return lrelu(y + self.bias[None, :, None, None])


class ToRGB(nn.Module):
    """Modulated 1x1 conv to image channels, not demodulated, + bias (no activation)."""

    def __init__(self, in_channels: int, img_channels: int, w_dim: int) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, img_channels, 1, w_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(img_channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return self.conv(x, w) + self.bias[None, :, None, None]


# --- generator ----------------------------------------------------------------------------------


def channels_at(width: int) -> dict[int, int]:
    """Feature maps per resolution: `width` at 4 and 8 px, halved at every doubling after that
    (16 px: width / 2, 32 px: width / 4). StyleGAN's own rule, channel_base / resolution capped at
    channel_max, with channel_base = 8 width and channel_max = width; the paper's 512 at every
    resolution up to 32 px is cut for a CPU."""
    return {res: max(min(width, 8 * width // res), 1) for res in (4, 8, 16, 32)}


class MappingNetwork(nn.Module):
    """z -> w: pixel norm, then `layers` dense layers (leaky ReLU), learning rate x lr_mul."""

    def __init__(self, z_dim: int, w_dim: int, layers: int, lr_mul: float) -> None:
        super().__init__()
        dims = [z_dim] + [w_dim] * layers
        self.net = nn.Sequential(
            *[EqualLinear(a, b, lr_mul=lr_mul, act=True) for a, b in pairwise(dims)]
        )
        self.z_dim, self.w_dim, self.layers = z_dim, w_dim, layers

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(pixel_norm(z))


class StyleGAN2Generator(nn.Module):
    """z (N, z_dim) -> image (N, C, 32, 32), linear output (no tanh, as the paper).

    `mapping(z)` -> w (N, w_dim); `broadcast(w)` -> ws (N, num_ws, w_dim); `synthesis(ws,
    noises=None)` -> image; `forward(z)` = synthesis(broadcast(mapping(z)))."""

    RESOLUTIONS = (4, 8, 16, 32)

    def __init__(
        self,
        z_dim: int,
        img_channels: int,
        width: int = 64,
        mapping_layers: int = 2,
        mapping_lr_mul: float = 0.01,
        w_dim: int | None = None,
    ) -> None:
        super().__init__()
        w_dim = w_dim or z_dim
        ch = channels_at(width)
        self.z_dim, self.w_dim, self.img_channels = z_dim, w_dim, img_channels
        self.mapping = MappingNetwork(z_dim, w_dim, mapping_layers, mapping_lr_mul)
        self.const = nn.Parameter(torch.randn(ch[4], 4, 4))
        self.convs = nn.ModuleList()
        self.to_rgbs = nn.ModuleList()
        # (index into convs, w index) of every conv and to-RGB, block by block
        self.conv_w: list[int] = []
        self.rgb_w: list[int] = []
        self.block_convs: list[list[int]] = []
        idx = 0
        prev = ch[4]
        for res in self.RESOLUTIONS:
            convs = []
            if res == 4:
                self.convs.append(SynthesisLayer(prev, ch[4], w_dim))
                convs.append(len(self.convs) - 1)
                self.conv_w.append(idx)
                idx += 1
            else:
                self.convs.append(SynthesisLayer(prev, ch[res], w_dim, up=True))
                self.convs.append(SynthesisLayer(ch[res], ch[res], w_dim))
                convs += [len(self.convs) - 2, len(self.convs) - 1]
                self.conv_w += [idx, idx + 1]
                idx += 2
            self.block_convs.append(convs)
            self.to_rgbs.append(ToRGB(ch[res], img_channels, w_dim))
            self.rgb_w.append(idx)  # the index after the block's last conv
            prev = ch[res]
        self.num_ws = idx + 1  # 8 at 32 px: 2 log2(32) - 2

    def broadcast(self, w: torch.Tensor) -> torch.Tensor:
        return w.unsqueeze(1).expand(-1, self.num_ws, -1)

    def synthesis(self, ws: torch.Tensor, noises: list[torch.Tensor] | None = None) -> torch.Tensor:
        """ws (N, num_ws, w_dim) -> image; `noises` (one (N, 1, H, W) per conv) or fresh N(0, 1)."""
        x = self.const.unsqueeze(0).expand(ws.shape[0], -1, -1, -1)
        img = None
        for b, convs in enumerate(self.block_convs):
            for c in convs:
                x = self.convs[c](x, ws[:, self.conv_w[c]], None if noises is None else noises[c])
            rgb = self.to_rgbs[b](x, ws[:, self.rgb_w[b]])
            img = rgb if img is None else upsample2(img) + rgb
        return img

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.synthesis(self.broadcast(self.mapping(z)))


# --- discriminator ------------------------------------------------------------------------------


def minibatch_stddev(x: torch.Tensor, group_size: int = 4) -> torch.Tensor:
    """x (N, C, H, W) -> (N, C + 1, H, W): the extra map is, for each sample's group, the standard
    deviation of every feature over the group's samples, averaged over C, H and W (ProGAN;
    StyleGAN2 with group size 4 and one feature). Samples n and n + N/G share a group (G the group
    size); G is the largest divisor of N not above group_size, so any batch works."""
    n = x.shape[0]
    g = max(d for d in range(1, min(group_size, n) + 1) if n % d == 0)
    y = x.reshape(g, n // g, *x.shape[1:])  # [group member, group, C, H, W]
    y = (y - y.mean(dim=0)).pow(2).mean(dim=0)  # the variance over a group's members
    y = torch.sqrt(y + 1e-8).mean(dim=(1, 2, 3))  # one number per group
    feature = y.repeat(g)  # sample n's group is n % (N / G)
    return torch.cat([x, feature[:, None, None, None].expand(-1, 1, *x.shape[2:])], dim=1)


class DBlock(nn.Module):
    """Residual: 3x3 conv, 2x2 average pool, 3x3 conv (leaky ReLU after each); skip: pool, 1x1
    conv (no bias); (main + skip) / sqrt(2)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv1 = EqualConv2d(in_channels, in_channels, 3)
        self.conv2 = EqualConv2d(in_channels, out_channels, 3)
        self.skip = EqualConv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.avg_pool2d(lrelu(self.conv1(x)), 2)
        y = lrelu(self.conv2(y))
        return (y + self.skip(F.avg_pool2d(x, 2))) / math.sqrt(2.0)


class StyleGAN2Discriminator(nn.Module):
    """image (N, C, 32, 32) -> logits (N,)."""

    def __init__(self, img_channels: int, width: int = 64, mbstd_group: int = 4) -> None:
        super().__init__()
        ch = channels_at(width)
        self.from_rgb = EqualConv2d(img_channels, ch[32], 1)
        self.blocks = nn.Sequential(
            DBlock(ch[32], ch[16]), DBlock(ch[16], ch[8]), DBlock(ch[8], ch[4])
        )
        self.mbstd_group = mbstd_group
        self.conv = EqualConv2d(ch[4] + 1, ch[4], 3)
        self.fc = EqualLinear(ch[4] * 16, ch[4], act=True)
        self.out = EqualLinear(ch[4], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(lrelu(self.from_rgb(x)))
        h = lrelu(self.conv(minibatch_stddev(h, self.mbstd_group)))
        return self.out(self.fc(h.flatten(1))).squeeze(1)
