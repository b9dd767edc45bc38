"""Translators for the plug-in translator tests: good ones of every accepted kind, and a corpus of
bad ones. Copied into a temporary folder and loaded as path/to/plugin_translators.py:ATTR."""

import time

import numpy as np
import torch
from torch import nn


def identity(a, mask=None):
    """A callable: the source unchanged (for inpainting: the hole stays at the source's fill)."""
    return a.clone()


def identity_one_arg(a):
    """A callable that takes no mask: called as f(a)."""
    return a.clone()


class FillBackground(nn.Module):
    """An nn.Module T(a, mask): the hole filled with -1 (background), the rest the input."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))  # moved to the device with the module

    def forward(self, a, mask):
        assert mask is not None, "inpainting translators get the mask"
        return (a * (1 - mask) - mask) * self.w


class Identity(nn.Module):
    """An nn.Module T(a), two-way: translate_back is the identity too (cycle_l1 0)."""

    def forward(self, a):
        return a.clone()

    def translate_back(self, b):
        return b.clone()


fill_background = FillBackground()
identity_module = Identity()


def upsample(a, mask=None):
    """Super-resolution by nearest-neighbour upsampling to 28 x 28."""
    return torch.nn.functional.interpolate(a, size=(28, 28), mode="nearest")


def make_identity(spec):
    """A factory taking the DataSpec, returning a module."""
    assert spec.task == "translation" and spec.shape == (1, 28, 28)
    return Identity()


def make_callable():
    """A factory with no arguments, returning a callable."""
    return identity


def uint8_identity(a, mask=None):
    """uint8 pixels 0..255 are accepted and converted."""
    return ((a.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def numpy_identity(a, mask=None):
    return a.cpu().numpy().astype(np.float64)


# --- the bad corpus ---------------------------------------------------------------------------


def wrong_shape(a, mask=None):
    return a[:, :, :14, :14]


def wrong_count(a, mask=None):
    return a[1:]


def nan(a, mask=None):
    y = a.clone()
    y[0, 0, 0, 0] = float("nan")
    return y


def out_of_range(a, mask=None):
    return (a + 1) * 127.5  # 0..255 as float


def not_a_tensor(a, mask=None):
    return a.tolist()


def wrong_dtype(a, mask=None):
    return a.long()


def raises(a, mask=None):
    raise RuntimeError("boom")


def hangs(a, mask=None):
    time.sleep(20)
    return a


def factory_raises():
    raise ValueError("no weights found")


def too_many_inputs(a, mask, labels):
    return a


not_callable = 42
