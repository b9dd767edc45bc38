"""The 28 px digit sets padded to 32 px, for the architectures that build 4 -> 8 -> 16 -> 32
(SAGAN, BigGAN, StyleGAN2, ProGAN, R3GAN at small scale):

`mnist32`          : `mnist` with a 2-pixel border of background (-1) on every side; the same
                     4,000 / 1,000 split and labels.
`stacked-mnist32`  : `stacked-mnist` padded the same way (1,000 modes, 10,000 / 2,000).
`stacked-mnist32-full`: `stacked-mnist-full` padded (128,000 / 10,000 from the official MNIST;
                     1.6 GB of float32): R3GAN's Stacked-MNIST setting is 32 px.

Padding rather than resizing keeps every digit pixel as it is, so the feature network sees the
very images of the 28 px sets: the metrics crop the centre 28 px back (ganbench/metrics/
classifier.py `to_digit_size`) and a 32 px row is comparable with its 28 px set's rows. The border
of generated images is not scored (a generator gains nothing by drawing there)."""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F

from ganbench.data.base import Dataset
from ganbench.data.registry import get_dataset, register_dataset

PAD = 2
BACKGROUND = -1.0  # MNIST's background in [-1, 1]


def pad32(images: torch.Tensor | None) -> torch.Tensor | None:
    return None if images is None else F.pad(images, (PAD,) * 4, value=BACKGROUND)


def padded(base: str, name: str) -> Dataset:
    data = get_dataset(base)
    size = data.spec.shape[-1] + 2 * PAD
    spec = dataclasses.replace(data.spec, name=name, shape=(data.spec.shape[0], size, size))
    return dataclasses.replace(
        data,
        spec=spec,
        train=pad32(data.train),
        test=pad32(data.test),
        source=f"{base} padded with {PAD} background pixels to {size} px ({data.source})",
    )


@register_dataset("mnist32", default=False)
def mnist32() -> Dataset:
    return padded("mnist", "mnist32")


@register_dataset("stacked-mnist32", default=False)
def stacked_mnist32() -> Dataset:
    return padded("stacked-mnist", "stacked-mnist32")


@register_dataset("stacked-mnist32-full", default=False)
def stacked_mnist32_full() -> Dataset:
    return padded("stacked-mnist-full", "stacked-mnist32-full")
