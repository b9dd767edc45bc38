"""DCGAN-style conv pair (Radford et al. 2016) sized for 28 or 32 px images: strided convolutions,
batch norm in G, LeakyReLU(0.2) in D, tanh output. D's normalisation is selectable because
gradient penalties are invalid with batch norm (WGAN-GP paper, section 4: use layer norm or none).
Width 32 (DCGAN used 128) keeps a whole-zoo run on a 2-core CPU in minutes; MNIST needs no more."""

from __future__ import annotations

import torch
from torch import nn


class ConvGenerator(nn.Module):
    def __init__(self, latent_dim: int, out_shape: tuple[int, int, int], width: int = 32) -> None:
        super().__init__()
        c, h, w = out_shape
        if h != w or h not in (28, 32):
            raise ValueError(f"ConvGenerator builds 28 or 32 px square images, not {h}x{w}")
        self.out_shape = tuple(out_shape)
        self.base = h // 4  # 7 or 8
        self.fc = nn.Sequential(
            nn.Linear(latent_dim, 2 * width * self.base * self.base),
            nn.BatchNorm1d(2 * width * self.base * self.base),
            nn.ReLU(),
        )
        self.net = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.ConvTranspose2d(width, c, 4, 2, 1),
            nn.Tanh(),
        )
        self.width = width

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.fc(z).view(z.shape[0], 2 * self.width, self.base, self.base)
        return self.net(h)


def _norm2d(kind: str, channels: int, size: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)  # layer norm over (C, H, W)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}; use batch, layer or none")


class ConvDiscriminator(nn.Module):
    """image -> two strided convs -> `features` (penultimate, for heads) -> `out_dim` scores."""

    def __init__(
        self, in_shape: tuple[int, int, int], width: int = 32, norm: str = "batch", out_dim: int = 1
    ) -> None:
        super().__init__()
        c, h, _ = in_shape
        self.features = nn.Sequential(
            nn.Conv2d(c, width, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1),
            _norm2d(norm, 2 * width, h // 4),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
        )
        self.feature_dim = 2 * width * (h // 4) * (h // 4)
        self.head = nn.Linear(self.feature_dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.head(self.features(x))
        return out.squeeze(1) if out.shape[1] == 1 else out
