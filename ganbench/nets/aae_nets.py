"""The adversarial auto-encoder's image networks as its canonical implementation builds them (the
PyTorch-GAN zoo, `implementations/aae/aae.py`; the paper's authors released no code): fully
connected, two hidden layers of 512 with LeakyReLU(0.2), batch norm on the second.

* `AAEImageEncoder`: flattened image -> 512 -> 512 -> code (linear).
* `AAEImageDecoder`: code -> 512 -> 512 -> image, tanh (the data's [-1, 1]).

The zoo's encoder draws a reparameterised code from a mean and a log-variance head; ganbench's
AAE keeps the deterministic encoder (the paper's first posterior choice, section 2.1), measured
level with it (issue 23's audit, docs/variants.md).
"""

from __future__ import annotations

import torch
from torch import nn

HIDDEN = 512


def _body(d_in: int, hidden: int) -> list[nn.Module]:
    return [
        nn.Linear(d_in, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, hidden),
        nn.BatchNorm1d(hidden),
        nn.LeakyReLU(0.2),
    ]


class AAEImageEncoder(nn.Module):
    def __init__(self, in_shape: tuple[int, ...], code_dim: int, hidden: int = HIDDEN) -> None:
        super().__init__()
        d = int(torch.Size(in_shape).numel())
        self.net = nn.Sequential(*_body(d, hidden), nn.Linear(hidden, code_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))


class AAEImageDecoder(nn.Module):
    def __init__(self, code_dim: int, out_shape: tuple[int, ...], hidden: int = HIDDEN) -> None:
        super().__init__()
        self.out_shape = tuple(out_shape)
        d = int(torch.Size(out_shape).numel())
        self.net = nn.Sequential(*_body(code_dim, hidden), nn.Linear(hidden, d), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(z.shape[0], *self.out_shape)
