"""Auto-encoder critics for the energy-based variants (EBGAN, Zhao et al. 2017; BEGAN, Berthelot et
al. 2017): D(x) is a reconstruction of x, and the variant turns the reconstruction error into an
energy. An MLP auto-encoder for 2-D points, a small strided-conv one for 28/32 px images; both kept
narrow for CPU budgets. `encode` exposes the code (EBGAN's pull-away term acts on it)."""

from __future__ import annotations

import torch
from torch import nn

from ganbench.data.base import DataSpec


class MLPAutoEncoder(nn.Module):
    """x -> ELU MLP -> code (code_dim) -> ELU MLP -> reconstruction of x's shape (no squashing)."""

    def __init__(self, in_shape: tuple[int, ...], hidden: int = 128, code_dim: int = 16) -> None:
        super().__init__()
        self.in_shape = tuple(in_shape)
        d = 1
        for s in self.in_shape:
            d *= s
        self.encoder = nn.Sequential(
            nn.Linear(d, hidden),
            nn.ELU(),
            nn.Linear(hidden, hidden),
            nn.ELU(),
            nn.Linear(hidden, code_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(code_dim, hidden),
            nn.ELU(),
            nn.Linear(hidden, hidden),
            nn.ELU(),
            nn.Linear(hidden, d),
        )
        self.code_dim = code_dim

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x.flatten(1))

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        return self.decoder(h).view(h.shape[0], *self.in_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class ConvAutoEncoder(nn.Module):
    """image -> two strided convs -> linear code -> linear -> two transposed convs -> tanh image.

    The encoder mirrors ConvDiscriminator (width, LeakyReLU -> ELU as in BEGAN), the decoder mirrors
    ConvGenerator, without batch norm (BEGAN uses none; EBGAN's energy is per sample)."""

    def __init__(self, in_shape: tuple[int, int, int], width: int = 32, code_dim: int = 64) -> None:
        super().__init__()
        c, h, w = in_shape
        if h != w or h not in (28, 32):
            raise ValueError(f"ConvAutoEncoder takes 28 or 32 px square images, not {h}x{w}")
        self.in_shape = tuple(in_shape)
        self.base, self.width, self.code_dim = h // 4, width, code_dim
        flat = 2 * width * self.base * self.base
        self.encoder = nn.Sequential(
            nn.Conv2d(c, width, 4, 2, 1),
            nn.ELU(),
            nn.Conv2d(width, 2 * width, 4, 2, 1),
            nn.ELU(),
            nn.Flatten(),
            nn.Linear(flat, code_dim),
        )
        self.fc = nn.Sequential(nn.Linear(code_dim, flat), nn.ELU())
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1),
            nn.ELU(),
            nn.ConvTranspose2d(width, c, 4, 2, 1),
            nn.Tanh(),
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.fc(h).view(h.shape[0], 2 * self.width, self.base, self.base))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def autoencoder_for(spec: DataSpec, code_dim: int | None = None) -> nn.Module:
    """The auto-encoder critic the data call for; `code_dim` defaults to 16 for points and 64
    (BEGAN's h) for images."""
    if spec.kind == "points":
        return MLPAutoEncoder(spec.shape, code_dim=code_dim or 16)
    return ConvAutoEncoder(spec.shape, code_dim=code_dim or 64)
