"""`stacked-mnist`: three independent MNIST digits stacked as the R, G and B channels (28x28x3),
so 10³ = 1,000 modes (Metz et al. 2017; VEEGAN; PacGAN).

Built from the `mnist` dataset here: the train set stacks digits drawn from the `mnist` *train*
split only, the held-out set stacks digits from the `mnist` *test* split, each channel drawn
independently and uniformly with a fixed seed (the data never depend on the run seed). PacGAN
used 128,000 training images; 10,000 keep memory and feature caches small on a CPU while every
mode still appears about 10 times. There are no conditioning labels (num_classes = 0); the digit
triplets of every image are kept for the oracle tests: `stacked_mnist_triplets(split)` returns
(N, 3) digits, mode = 100 d1 + 10 d2 + d3.
"""

from __future__ import annotations

from functools import cache

import torch

from ganbench.data.base import Dataset, DataSpec
from ganbench.data.registry import get_dataset, register_dataset

N_TRAIN = 10_000
N_TEST = 2_000
STACK_SEED = 20180101


def _stack(
    images: torch.Tensor, labels: torch.Tensor, n: int, g: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    idx = torch.randint(len(images), (n, 3), generator=g)
    stacked = images[idx, 0]  # (n, 3, 28, 28): channel c is digit idx[:, c]
    return stacked.contiguous(), labels[idx]


@cache
def _build() -> tuple[Dataset, torch.Tensor, torch.Tensor]:
    base = get_dataset("mnist")
    g = torch.Generator().manual_seed(STACK_SEED)
    train, train_triplets = _stack(base.train, base.train_labels, N_TRAIN, g)
    test, test_triplets = _stack(base.test, base.test_labels, N_TEST, g)
    spec = DataSpec(
        name="stacked-mnist",
        kind="image",
        shape=(3, 28, 28),
        num_classes=0,
        n_modes=1000,
        value_range=(-1.0, 1.0),
    )
    ds = Dataset(
        spec,
        train,
        test,
        source="mnist digits stacked as RGB (train from train, test from test; fixed seed)",
    )
    return ds, train_triplets, test_triplets


def stacked_mnist_triplets(split: str = "train") -> torch.Tensor:
    """(N, 3) digits of each stacked image of `split` ("train" or "test")."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    _, tr, te = _build()
    return tr if split == "train" else te


@register_dataset("stacked-mnist")
def stacked_mnist() -> Dataset:
    return _build()[0]
