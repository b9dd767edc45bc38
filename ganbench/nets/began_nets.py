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
