"""Generators for the plug-in tests: good ones of every accepted kind, and a corpus of bad ones.
Copied into a temporary folder and loaded as path/to/plugin_gens.py:ATTR."""

import time

import numpy as np
import torch
from torch import nn


def _ring(n):
    k = torch.randint(8, (n,))
    a = 2 * torch.pi * k / 8
    return torch.stack([a.cos(), a.sin()], 1) + 0.01 * torch.randn(n, 2)


class Ring(nn.Module):
    """An nn.Module taking noise, with its noise size as an attribute."""

    latent_dim = 3

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))

    def forward(self, z):
        assert z.shape[1] == self.latent_dim
        return _ring(len(z)).to(z.device) * self.w


class NoLatent(nn.Module):
    def forward(self, z):
        return z[:, :2]


class CondRing(nn.Module):
    """Conditional: G(z, labels) puts each sample on its label's centre."""

    conditional = True
    z_dim = 2

    def forward(self, z, labels):
        a = 2 * torch.pi * labels.float() / 8
        return torch.stack([a.cos(), a.sin()], 1) + 0.01 * z


ring_module = Ring()
no_latent = NoLatent()
cond_module = CondRing()


def ring_sample(n, device):
    return _ring(n).to(device)


def cond_sample(n, device, labels):
    a = 2 * torch.pi * labels.float() / 8
    return torch.stack([a.cos(), a.sin()], 1)


def numpy_sample(n, device):
    return _ring(n).numpy().astype(np.float64)


def make_sampler():
    return ring_sample


def make_for(spec):
    assert spec.name == "ring8"
    return Ring()


def digits_uint8(n, device):
    return torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8)


# --- the bad corpus ---------------------------------------------------------------------------


def wrong_shape(n, device):
    return torch.zeros(n, 3)


def wrong_count(n, device):
    return torch.zeros(n - 1, 2)


def wrong_dtype(n, device):
    return torch.zeros(n, 2, dtype=torch.int64)


def out_of_range(n, device):
    return torch.rand(n, 1, 28, 28) * 255


def nan(n, device):
    x = _ring(n)
    x[0, 0] = float("nan")
    return x


def infinite(n, device):
    return torch.full((n, 2), float("inf"))


def raises(n, device):
    raise RuntimeError("boom")


def hangs(n, device):
    time.sleep(20)
    # No global-RNG draw once awake: the abandoned thread wakes during later tests, and a draw
    # there shifted test_batched's seeded global-RNG run (a flake, serial runs only).
    return torch.zeros(n, 2)


def not_a_tensor(n, device):
    return [[0.0, 0.0]] * n


def factory_raises():
    raise ValueError("no weights found")


not_callable = 42
