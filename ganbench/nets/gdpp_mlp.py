"""GDPP's 2-D networks (Elfeki et al. 2019), as in their released synthetic script
(M-Elfeki/GDPP, gdppgan_Synthetic.py: `generator`, `discriminator`, the slim arg_scope):

  G: z (256) -> 2 x [Linear 128 -> tanh] -> Linear 2
  D: x (2)   -> Linear 128 -> tanh -> Linear 128 -> tanh -> Linear 1
  every weight orthogonal with gain 1.4 (tf.orthogonal_initializer(gain=1.4)), biases 0 (slim's
  default). No normalisation anywhere.
"""

from __future__ import annotations

import torch
from torch import nn

HIDDEN = 128
ORTHOGONAL_GAIN = 1.4


def _linear(d_in: int, d_out: int) -> nn.Linear:
    layer = nn.Linear(d_in, d_out)
    nn.init.orthogonal_(layer.weight, gain=ORTHOGONAL_GAIN)
    nn.init.zeros_(layer.bias)
    return layer


def _tanh_stack(d_in: int, hidden: int, depth: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [_linear(d_in, hidden), nn.Tanh()]
        d_in = hidden
    return nn.Sequential(*layers)


class GDPP2DGenerator(nn.Module):
    def __init__(self, latent_dim: int, out_dim: int = 2, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.net = nn.Sequential(_tanh_stack(latent_dim, hidden, 2), _linear(hidden, out_dim))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class GDPP2DDiscriminator(nn.Module):
    """(N, in_dim) -> (N,) logits; `features` is the last tanh layer (GDPP's h)."""

    def __init__(self, in_dim: int = 2, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.features = _tanh_stack(in_dim, hidden, 2)
        self.head = _linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x.flatten(1))).squeeze(1)
