"""BEGAN's image networks as the paper draws them (Berthelot et al. 2017, section 3.5 and
Figure 1), at 28 / 32 px:

* `BeganDecoder`: h -> fully connected (no non-linearity) -> n x s x s with s = size / 4, then
  two blocks of [3x3 conv, ELU, 3x3 conv, ELU, 2x nearest-neighbour upsampling], then
  [3x3 conv, ELU, 3x3 conv, ELU] and a 3x3 conv to the image's channels with no activation.
* `BeganAutoEncoder`: the discriminator. Encoder: 3x3 conv, ELU, then per scale [3x3 conv, ELU,
  3x3 conv, ELU] with a stride-2 3x3 conv between scales whose width grows by n each time
  (n, 2n, 3n), then fully connected to the code h, no non-linearity; decoder: a `BeganDecoder`.
* The generator is a `BeganDecoder` of its own ("the same architecture, though not the same
  weights, as the discriminator decoder").

The paper's faces are 64 px with n = 64 and four scales; here two upsamplings (7 -> 28 or
8 -> 32) and n = the run's width. No batch norm anywhere, PyTorch's default initialisation
(the paper names none).

The canonical implementation's networks (the authors released no code; the PyTorch-GAN zoo's
implementations/began/began.py), BEGAN's default on images (docs/variants.md, issue 23: at 2,500
steps the paper's networks above drew only 1s on MNIST where these draw all ten digits):

* `ZooBeganGenerator`: z -> linear -> 128 x s x s -> BN -> [2x up, 3x3 conv 128, BN, LeakyReLU 0.2]
  -> [2x up, 3x3 conv 64, BN, LeakyReLU 0.2] -> 3x3 conv to the channels -> tanh.
* `ZooBeganAutoEncoder`: 3x3 stride-2 conv to 64, ReLU -> linear to a 32-unit code, BN, ReLU ->
  linear back, BN, ReLU -> 2x up -> 3x3 conv to the channels (a linear output).

Conv weights N(0, 0.02) and 2-D batch-norm scales N(1, 0.02) (the zoo's `weights_init_normal`,
which leaves linear layers and 1-D batch norm at PyTorch's initialisation); the batch norms after
G's convs and in the code have the zoo's eps of 0.8.
"""

from __future__ import annotations

import torch
from torch import nn


def _conv_elu(c_in: int, c_out: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, stride, 1), nn.ELU()]


class BeganDecoder(nn.Module):
    """h -> (channels, size, size), size 28 or 32."""

    def __init__(self, code_dim: int, out_shape: tuple[int, int, int], width: int) -> None:
        super().__init__()
        c, size, _ = out_shape
        if size not in (28, 32) or out_shape[1] != out_shape[2]:
            raise ValueError(f"BeganDecoder builds 28 or 32 px square images, not {out_shape}")
        self.width, self.base = width, size // 4
        self.fc = nn.Linear(code_dim, width * self.base * self.base)
        self.net = nn.Sequential(
            *_conv_elu(width, width), *_conv_elu(width, width), nn.Upsample(scale_factor=2),
            *_conv_elu(width, width), *_conv_elu(width, width), nn.Upsample(scale_factor=2),
            *_conv_elu(width, width), *_conv_elu(width, width),
            nn.Conv2d(width, c, 3, 1, 1),
        )  # fmt: skip

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.net(self.fc(h).view(h.shape[0], self.width, self.base, self.base))


class BeganAutoEncoder(nn.Module):
    """image -> code h -> reconstruction (BEGAN's discriminator); `encode` gives h."""

    def __init__(self, in_shape: tuple[int, int, int], width: int, code_dim: int = 64) -> None:
        super().__init__()
        c, size, _ = in_shape
        n = width
        self.encoder = nn.Sequential(
            *_conv_elu(c, n),
            *_conv_elu(n, n), *_conv_elu(n, n), *_conv_elu(n, 2 * n, stride=2),
            *_conv_elu(2 * n, 2 * n), *_conv_elu(2 * n, 2 * n), *_conv_elu(2 * n, 3 * n, stride=2),
            *_conv_elu(3 * n, 3 * n), *_conv_elu(3 * n, 3 * n),
            nn.Flatten(),
            nn.Linear(3 * n * (size // 4) ** 2, code_dim),
        )  # fmt: skip
        self.decoder = BeganDecoder(code_dim, tuple(in_shape), width)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(x))


def _zoo_init(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class ZooBeganGenerator(nn.Module):
    """z -> (channels, size, size), size a multiple of 4 (28, 32, 64)."""

    def __init__(self, latent_dim: int, out_shape: tuple[int, int, int]) -> None:
        super().__init__()
        c, size, _ = out_shape
        if size % 4 or out_shape[1] != out_shape[2]:
            raise ValueError(f"ZooBeganGenerator builds square images of a multiple of 4 px, not {out_shape}")
        self.base = size // 4
        self.fc = nn.Linear(latent_dim, 128 * self.base * self.base)
        self.net = nn.Sequential(
            nn.BatchNorm2d(128),
            nn.Upsample(scale_factor=2), nn.Conv2d(128, 128, 3, 1, 1), nn.BatchNorm2d(128, 0.8),
            nn.LeakyReLU(0.2),
            nn.Upsample(scale_factor=2), nn.Conv2d(128, 64, 3, 1, 1), nn.BatchNorm2d(64, 0.8),
            nn.LeakyReLU(0.2),
            nn.Conv2d(64, c, 3, 1, 1), nn.Tanh(),
        )  # fmt: skip
        _zoo_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.fc(z).view(z.shape[0], 128, self.base, self.base))


class ZooBeganAutoEncoder(nn.Module):
    """image -> a 32-unit code -> reconstruction (BEGAN's discriminator); `encode` gives the code."""

    def __init__(self, in_shape: tuple[int, int, int], code_dim: int = 32) -> None:
        super().__init__()
        c, size, _ = in_shape
        self.half = size // 2
        flat = 64 * self.half * self.half
        self.encoder = nn.Sequential(
            nn.Conv2d(c, 64, 3, 2, 1), nn.ReLU(), nn.Flatten(),
            nn.Linear(flat, code_dim), nn.BatchNorm1d(code_dim, 0.8), nn.ReLU(),
        )  # fmt: skip
        self.fc = nn.Sequential(nn.Linear(code_dim, flat), nn.BatchNorm1d(flat), nn.ReLU())
        self.up = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(64, c, 3, 1, 1))
        _zoo_init(self)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc(self.encode(x)).view(x.shape[0], 64, self.half, self.half)
        return self.up(h)
