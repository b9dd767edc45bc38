"""PacGAN's 2-D networks (Lin et al. 2018), as in their released code
(fjxmlzn/PacGAN, synthetic_data_experiments/2DRing_GAN&PacGAN/config.py and pacgan_task.py):

  G: z (2) -> 4 x [Linear 400 (no bias: batch norm follows) -> BatchNorm -> ReLU] -> Linear 2
  D: x (2m, m samples packed) -> 3 x [Linear maxout 200 units, 5 pieces] -> Linear 1
  weights N(0, 0.02), biases 0; D has no normalisation. Blocks' population statistics update
  with weight 0.05 per batch (their bn_updates), i.e. BatchNorm momentum 0.05.
"""

from __future__ import annotations

import torch
from torch import nn

INIT_STD = 0.02  # config weights_init_std
BN_MOMENTUM = 0.05  # pacgan_task.py: population stat <- 0.05 * batch + 0.95 * population


def _init_linear(m: nn.Linear) -> None:
    nn.init.normal_(m.weight, 0.0, INIT_STD)
    if m.bias is not None:
        nn.init.zeros_(m.bias)


class Maxout(nn.Module):
    """Linear to units * pieces, then the max over each unit's pieces (Goodfellow et al. 2013)."""

    def __init__(self, in_dim: int, units: int, pieces: int) -> None:
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(in_dim, units * pieces)
        _init_linear(self.linear)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).view(x.shape[0], self.units, self.pieces).amax(-1)


class PacGAN2DGenerator(nn.Module):
    def __init__(
        self, latent_dim: int = 2, out_dim: int = 2, hidden: int = 400, depth: int = 4
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        d = latent_dim
        for _ in range(depth):
            lin = nn.Linear(d, hidden, bias=False)
            _init_linear(lin)
            layers += [lin, nn.BatchNorm1d(hidden, momentum=BN_MOMENTUM), nn.ReLU()]
            d = hidden
        out = nn.Linear(d, out_dim)  # the output layer keeps its bias (use_bias = True there)
        _init_linear(out)
        layers.append(out)
        self.net = nn.Sequential(*layers)
        self.out_dim = out_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class PacGAN2DDiscriminator(nn.Module):
    """(N, in_dim) -> (N,) logits; in_dim = 2m for m packed 2-D samples."""

    def __init__(self, in_dim: int, hidden: int = 200, depth: int = 3, pieces: int = 5) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        d = in_dim
        for _ in range(depth):
            layers.append(Maxout(d, hidden, pieces))
            d = hidden
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(d, 1)
        _init_linear(self.head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x.flatten(1))).squeeze(1)
