"""The stacked-mnist dataset: shape, spec, train digits from train, fixed, 1,000 modes present."""

import torch

from ganbench.data import get_dataset
from ganbench.data.stacked_mnist import stacked_mnist_triplets


def test_spec_and_shapes():
    d = get_dataset("stacked-mnist")
    assert d.spec.kind == "image" and d.spec.shape == (3, 28, 28)
    assert d.spec.num_classes == 0 and d.spec.n_modes == 1000
    assert d.train.shape[1:] == (3, 28, 28) and d.train.dtype == torch.float32
    assert d.train.min() >= -1 and d.train.max() <= 1
    assert stacked_mnist_triplets("train").shape == (len(d.train), 3)


def test_channels_come_from_the_matching_mnist_split():
    d, base = get_dataset("stacked-mnist"), get_dataset("mnist")
    train_set = {bytes(x.numpy()) for x in base.train[:, 0]}
    test_set = {bytes(x.numpy()) for x in base.test[:, 0]}
    for c in range(3):
        assert all(bytes(x.numpy()) in train_set for x in d.train[:200, c])
        assert all(bytes(x.numpy()) in test_set for x in d.test[:200, c])


def test_all_modes_present_and_labels_match_digits():
    base = get_dataset("mnist")
    ids = stacked_mnist_triplets("train")
    modes = 100 * ids[:, 0] + 10 * ids[:, 1] + ids[:, 2]
    assert len(torch.unique(modes)) == 1000
    assert set(ids.flatten().tolist()) == set(base.train_labels.tolist())
