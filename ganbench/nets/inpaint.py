"""The Context Encoder's encoder-decoder (Pathak et al. 2016), sized for 28 px digits: three
stride-2 levels, 28 -> 14 -> 7 -> 4 px, widths `width`, 2 x, 4 x (width 32 by default; the paper
works at 128 px with 64-512 channels). PyTorch's default initialisation, as the other nets here.
CCGAN uses the shared U-Net (ganbench.nets.unet) and both use the PatchGAN D (nets.patchgan).
"""

from __future__ import annotations

import torch
from torch import nn


def _down(conv: nn.Conv2d) -> nn.Sequential:
    return nn.Sequential(conv, nn.BatchNorm2d(conv.out_channels), nn.LeakyReLU(0.2))


def _up(conv: nn.ConvTranspose2d) -> nn.Sequential:
    return nn.Sequential(conv, nn.BatchNorm2d(conv.out_channels), nn.ReLU())


class ContextEncoder(nn.Module):
    """Encoder (conv4 s2, conv4 s2, conv3 s2: 28 -> 4 px, LeakyReLU 0.2, BN but on the first),
    the paper's fully connected bottleneck (a 4 x 4 valid conv to `bottleneck` channels at 1 x 1,
    so every output pixel sees the whole context; the paper uses a channel-wise FC for the same
    reason), then a decoder of transposed convs (BN, ReLU) back to the full frame, tanh.

    It outputs a whole 28 px frame; the variant uses only its hole region (see the variant)."""

    def __init__(self, shape: tuple[int, ...], width: int = 32, bottleneck: int = 256) -> None:
        super().__init__()
        c, h, w = shape
        if (h, w) != (28, 28):
            raise ValueError(f"ContextEncoder is built for 28 x 28 images, not {h} x {w}")
        w1, w2, w3 = width, 2 * width, 4 * width
        self.encoder = nn.Sequential(
            nn.Sequential(nn.Conv2d(c, w1, 4, 2, 1), nn.LeakyReLU(0.2)),  # 28 -> 14
            _down(nn.Conv2d(w1, w2, 4, 2, 1)),  # -> 7
            _down(nn.Conv2d(w2, w3, 3, 2, 1)),  # -> 4
            _down(nn.Conv2d(w3, bottleneck, 4)),  # -> 1: the fully connected bottleneck
        )
        self.decoder = nn.Sequential(
            _up(nn.ConvTranspose2d(bottleneck, w3, 4)),  # 1 -> 4
            _up(nn.ConvTranspose2d(w3, w2, 3, 2, 1)),  # -> 7
            _up(nn.ConvTranspose2d(w2, w1, 4, 2, 1)),  # -> 14
            nn.Sequential(nn.ConvTranspose2d(w1, c, 4, 2, 1), nn.Tanh()),  # -> 28
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))
