"""MLP pair for 2-D mixtures and for flattened images (the original GAN paper's architecture).

Width 128 by default: the 2-D papers use 128-512 wide MLPs (Unrolled GAN 128, PacGAN 400/200,
WGAN-GP's toy script 512); at 128 the plain GAN reaches 8/8 ring8 modes in about the same number of
steps as at 256 (measured, docs/budgets.md) at half the CPU time per step.
"""

from __future__ import annotations

import torch
from torch import nn

HIDDEN = 128


def _prod(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


class MLPGenerator(nn.Module):
    """z -> hidden ReLU layers -> sample of `out_shape`; tanh when the data are images in [-1, 1]."""

    def __init__(
        self,
        latent_dim: int,
        out_shape: tuple[int, ...],
        hidden: int = HIDDEN,
        depth: int = 3,
        tanh: bool | None = None,
    ) -> None:
        super().__init__()
        self.out_shape = tuple(out_shape)
        tanh = len(self.out_shape) > 1 if tanh is None else tanh
        layers: list[nn.Module] = []
        d = latent_dim
        for _ in range(depth):
            layers += [nn.Linear(d, hidden), nn.ReLU()]
            d = hidden
        layers.append(nn.Linear(d, _prod(self.out_shape)))
        if tanh:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(z.shape[0], *self.out_shape)


class MLPDiscriminator(nn.Module):
    """sample -> hidden LeakyReLU layers -> `out_dim` scores (1 for a critic)."""

    def __init__(
        self, in_shape: tuple[int, ...], hidden: int = HIDDEN, depth: int = 3, out_dim: int = 1
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        d = _prod(tuple(in_shape))
        for _ in range(depth):
            layers += [nn.Linear(d, hidden), nn.LeakyReLU(0.2)]
            d = hidden
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(d, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.head(self.features(x.flatten(1)))
        return out.squeeze(1) if out.shape[1] == 1 else out
