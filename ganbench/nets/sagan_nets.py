"""SAGAN's building blocks (Zhang, Goodfellow, Metaxas & Odena 2019, arXiv:1805.08318) and its
32 px residual generator / discriminator; BigGAN (ganbench/nets/biggan_nets.py) builds on the
blocks, with the authors' residual 32 px stages instead of the cheap ones below.

* `SelfAttention`: the paper's section 3 on a feature map x (C channels, N = H·W locations):
      f(x) = W_f x,  g(x) = W_g x,  h(x) = W_h x            (1x1 convolutions, C -> C̄ = C/8)
      s_ij = f(x_i)ᵀ g(x_j),   β_{j,i} = exp(s_ij) / Σ_i exp(s_ij)
      o_j = v(Σ_i β_{j,i} h(x_i)),   v(·) = W_v ·             (1x1 convolution, C̄ -> C)
      y_i = γ o_i + x_i,  γ a learned scalar initialised at 0
  so the block is the identity at initialisation and the network "first relies on the cues in
  the local neighbourhood" before it learns to weigh the non-local evidence.
* `GBlock` / `DBlock`: the residual blocks of the SN-GAN / projection-discriminator ResNets SAGAN
  starts from (pre-activation; nearest-neighbour 2x upsampling in G, 2x2 average pooling in D,
  a 1x1 convolution on the shortcut where the shape changes). `GBlock` takes its normalisation
  as a factory, so BigGAN swaps in class-conditional batch norm without another block.
* `SAGANGenerator`: linear -> 4x4 -> GBlock 8 -> GBlock 16 -> self-attention -> 32 px by one
  4x4 stride-2 transposed convolution (`ImageOut`); `DiscriminatorBody`: one 4x4 stride-2
  convolution to 16 px (`DStem`) -> self-attention -> DBlocks 8, 4, 4 -> ReLU -> sum over
  locations (φ(x)); `SAGANDiscriminator` = body + one linear output. `width` channels at every
  stage. The 32 px stage is DCGAN's first / last layer instead of a residual block of two
  width x width 3x3 convolutions: at 32 px those cost four times a 16 px block, and a 3x3
  convolution to or from one channel at 32 px costs as much as a 16 px block on this CPU.
* `attention_pool` = 2 max-pools the attended locations i (keys f and values h) 2x2, so the map is
  N x N/4: what the authors' released code does (brain-research/self-attention-gan, non_local.py,
  `sn_non_local_block_sim`); 1 is the paper's equations exactly (a full N x N map).
Spectral normalisation: `spectral_norm_generator` / ganbench.nets.spectral.spectral_norm_all
(every Linear / Conv, the attention's 1x1 convolutions too), applied by the variants. The
generator's output layer is left out unless asked (`output=True`): with one output channel (the
digit sets) its weight is a one-row matrix, whose spectral norm is its L2 norm, so SN there holds
the whole output filter to a unit vector; measured (seed 0, 300 steps of 64 on mnist32, width
32): SN on every G layer collapses SAGAN to one pattern (per-pixel std across samples 0.03, the
hinge D loss at 0), SN on every G layer but the output one draws digits (std 0.23), as does G
without SN (0.28). SAGAN's and BigGAN's code normalise their 3-channel output convolution too
(BigGAN-PyTorch's carries the note "Consider using a non-spectral conv here").
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ganbench.nets.spectral import spectral_norm_all

Norm = Callable[[int], nn.Module]


class SelfAttention(nn.Module):
    """y = γ o + x with o the attention output above; `attend(x)` also returns the attention map
    β (B, N, N) with β[b, j, i] = β_{j,i} (each row j sums to 1 over the locations i)."""

    def __init__(self, channels: int, reduction: int = 8, pool: int = 1) -> None:
        super().__init__()
        inner = max(1, channels // reduction)  # C̄ = C/8 in the paper
        self.pool = pool  # > 1: the attended locations i are max-pooled pool x pool
        self.f = nn.Conv2d(channels, inner, 1, bias=False)
        self.g = nn.Conv2d(channels, inner, 1, bias=False)
        self.h = nn.Conv2d(channels, inner, 1, bias=False)
        self.v = nn.Conv2d(inner, channels, 1, bias=False)
        self.gamma = nn.Parameter(torch.zeros(()))  # the residual gate, 0 at initialisation

    def attend(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(o, β): the attention output (B, C, H, W) before the gate, and the map (B, N, N)."""
        b, _, height, width = x.shape
        f, h = self.f(x), self.h(x)  # over the attended locations i
        if self.pool > 1:
            f, h = F.max_pool2d(f, self.pool), F.max_pool2d(h, self.pool)
        f, g, h = f.flatten(2), self.g(x).flatten(2), h.flatten(2)  # (B, C̄, N_i), (B, C̄, N)
        s = torch.bmm(f.transpose(1, 2), g)  # s[b, i, j] = f(x_i)ᵀ g(x_j)
        beta = F.softmax(s, dim=1).transpose(1, 2)  # softmax over i; beta[b, j, i] = β_{j,i}
        o = torch.bmm(h, beta.transpose(1, 2))  # o[b, :, j] = Σ_i β_{j,i} h(x_i)
        return self.v(o.view(b, -1, height, width)), beta

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        o, _ = self.attend(x)
        return self.gamma * o + x


def _up(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="nearest")


class GBlock(nn.Module):
    """norm -> ReLU -> 2x up -> conv3x3 -> norm -> ReLU -> conv3x3, plus 2x up -> conv1x1 on the
    shortcut. `norm(channels)` builds each normalisation; forward(x, *cond) hands `cond` to both
    (none for batch norm, the conditioning vector for BigGAN's conditional batch norm)."""

    def __init__(self, in_ch: int, out_ch: int, norm: Norm = nn.BatchNorm2d) -> None:
        super().__init__()
        self.norm1, self.norm2 = norm(in_ch), norm(out_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, 1, 1)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1)
        self.shortcut = nn.Conv2d(in_ch, out_ch, 1)

    def forward(self, x: torch.Tensor, *cond: torch.Tensor) -> torch.Tensor:
        h = self.conv1(_up(F.relu(self.norm1(x, *cond))))
        h = self.conv2(F.relu(self.norm2(h, *cond)))
        return h + self.shortcut(_up(x))


class DBlock(nn.Module):
    """ReLU -> conv3x3 -> ReLU -> conv3x3, plus the input (through a 1x1 convolution where the
    channels change or the block pools), then a 2x2 average pool when `down`. Pooling once after
    the sum is the SN-GAN block's pool on each path: average pooling commutes with the 1x1
    convolution and is linear. `preactivation=False` drops the first ReLU: the block that reads
    the image itself (the SN-GAN / BigGAN discriminators' first block)."""

    def __init__(
        self, in_ch: int, out_ch: int, down: bool = True, preactivation: bool = True
    ) -> None:
        super().__init__()
        self.down, self.preactivation = down, preactivation
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, 1, 1)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1)
        self.shortcut = nn.Conv2d(in_ch, out_ch, 1) if (in_ch != out_ch or down) else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv2(F.relu(self.conv1(F.relu(x) if self.preactivation else x)))
        h = h + (x if self.shortcut is None else self.shortcut(x))
        return F.avg_pool2d(h, 2) if self.down else h


def check_32px(shape: tuple[int, ...], who: str) -> int:
    """The channel count of a (C, 32, 32) image shape; a ValueError otherwise."""
    if len(shape) != 3 or tuple(shape[1:]) != (32, 32):
        raise ValueError(f"{who} builds 32x32 images (4 -> 8 -> 16 -> 32), not {tuple(shape)}")
    return int(shape[0])


class SAGANGenerator(nn.Module):
    """z -> linear -> 4x4 -> GBlock 8 -> GBlock 16 -> self-attention -> BN -> ReLU -> 2x up ->
    conv3x3 -> tanh (32 px)."""

    def __init__(
        self, latent_dim: int, out_shape: tuple[int, int, int], width: int, attention_pool: int = 1
    ) -> None:
        super().__init__()
        channels = check_32px(out_shape, "SAGANGenerator")
        self.width = width
        self.fc = nn.Linear(latent_dim, width * 4 * 4)
        self.block8, self.block16 = GBlock(width, width), GBlock(width, width)
        self.attention = SelfAttention(width, pool=attention_pool)  # at the 16 px stage
        self.out = ImageOut(width, channels)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.fc(z).view(z.shape[0], self.width, 4, 4)
        return self.out(self.attention(self.block16(self.block8(h))))


class ImageOut(nn.Module):
    """The generator's last stage, 16 -> 32 px: BN -> ReLU -> 4x4 stride-2 transposed convolution
    to the image's channels -> tanh (DCGAN's last layer rather than a residual block at 32 px:
    the CPU budget). `upsample=False`: a 3x3 convolution at the input's size instead, after a
    residual block that reached 32 px (BigGAN-PyTorch's `output_layer`)."""

    def __init__(self, width: int, channels: int, upsample: bool = True) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(width)
        if upsample:
            self.conv: nn.Module = nn.ConvTranspose2d(width, channels, 4, 2, 1)
        else:
            self.conv = nn.Conv2d(width, channels, 3, 1, 1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.conv(F.relu(self.norm(h))))


class DStem(nn.Module):
    """The discriminator's first stage, 32 -> 16 px: a 4x4 stride-2 convolution from the image's
    channels -> ReLU (DCGAN's first layer; the mirror of ImageOut)."""

    def __init__(self, channels: int, width: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, width, 4, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv(x))


class DiscriminatorBody(nn.Module):
    """x -> stem (16 px) -> self-attention -> DBlock 8 -> DBlock 4 -> DBlock 4 -> ReLU -> sum over
    locations: φ(x), `width` features per image (SAGAN's D head reads it)."""

    def __init__(self, in_shape: tuple[int, int, int], width: int, attention_pool: int = 1) -> None:
        super().__init__()
        channels = check_32px(in_shape, "the SAGAN discriminator")
        self.stem = DStem(channels, width)
        self.attention = SelfAttention(width, pool=attention_pool)  # at the 16 px stage
        self.blocks = nn.Sequential(
            DBlock(width, width), DBlock(width, width), DBlock(width, width, down=False)
        )
        self.feature_dim = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.attention(self.stem(x)))
        return F.relu(h).sum(dim=(2, 3))  # sum pooling, as in the SN-GAN / BigGAN ResNets


class SAGANDiscriminator(nn.Module):
    """D(x) = ψ(φ(x)): the body's features, then one linear output (a score per image, (N,))."""

    def __init__(self, in_shape: tuple[int, int, int], width: int, attention_pool: int = 1) -> None:
        super().__init__()
        self.features = DiscriminatorBody(in_shape, width, attention_pool)
        self.head = nn.Linear(width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).squeeze(1)


def spectral_norm_generator(net: nn.Module, output: bool = False) -> nn.Module:
    """SN on every Linear / Conv of a generator whose last stage is `net.out` (an ImageOut); that
    stage's convolution too only when `output` (see the module docstring). In place; returned."""
    out = net.out
    net.out = nn.Identity()  # hidden from spectral_norm_all while it walks the rest
    try:
        spectral_norm_all(net)
    finally:
        net.out = out
    if output:
        spectral_norm_all(out)
    return net
