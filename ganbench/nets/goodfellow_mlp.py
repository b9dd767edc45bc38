"""The fully connected MNIST networks of the GAN paper (Goodfellow et al. 2014), as in its released
code (goodfeli/adversarial, mnist.yaml):

  G: z (100) -> Linear 1200 -> ReLU -> Linear 1200 -> ReLU -> Linear 784, weights U(-0.05, 0.05)
  D: x (784) -> dropout 0.2 -> maxout 240 units x 5 pieces -> dropout 0.5 -> maxout 240 x 5
     -> dropout 0.5 -> Linear 1, weights U(-0.005, 0.005)

Kept: widths, depth, maxout, the dropout rates (pylearn2's include probabilities 0.8 on the input,
0.5 elsewhere), the uniform init ranges. Changed: G ends in tanh (ganbench's images are in
[-1, 1]; the paper's sigmoid on [0, 1] is the same map up to an affine change), its output bias
starts at 0 (the paper sets it from the pixels' marginals), and D gives a logit (the losses apply
the sigmoid). pylearn2 scales the kept units by 1 / p at train time as PyTorch's Dropout does.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ganbench.nets.pacgan_mlp import Maxout

G_HIDDEN, G_RANGE = 1200, 0.05  # mnist.yaml: RectifiedLinear dim 1200, irange .05
D_UNITS, D_PIECES, D_RANGE = 240, 5, 0.005  # Maxout num_units 240, num_pieces 5, irange .005
D_INPUT_DROPOUT, D_DROPOUT = 0.2, 0.5  # input_include_probs h0 .8, default .5


def _uniform(module: nn.Module, bound: float) -> None:
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.uniform_(m.weight, -bound, bound)
            nn.init.zeros_(m.bias)


class GoodfellowGenerator(nn.Module):
    def __init__(self, latent_dim: int, out_shape: tuple[int, ...], hidden: int = G_HIDDEN) -> None:
        super().__init__()
        self.out_shape = tuple(out_shape)
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, math.prod(self.out_shape)),
            nn.Tanh(),
        )
        _uniform(self.net, G_RANGE)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(z.shape[0], *self.out_shape)


class GoodfellowDiscriminator(nn.Module):
    def __init__(self, in_shape: tuple[int, ...], units: int = D_UNITS, pieces: int = D_PIECES) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Dropout(D_INPUT_DROPOUT),
            Maxout(math.prod(in_shape), units, pieces),
            nn.Dropout(D_DROPOUT),
            Maxout(units, units, pieces),
            nn.Dropout(D_DROPOUT),
            nn.Linear(units, 1),
        )
        _uniform(self.net, D_RANGE)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1)).squeeze(1)
