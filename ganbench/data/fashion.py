"""Two more offline image sets.

`fashion-mnist`: the full Fashion-MNIST (Xiao et al. 2017; 60,000 train / 10,000 test, the
official split, 10 classes of 28 x 28 grey clothing images) from Debian's `dataset-fashion-mnist`
package (`apt-get install dataset-fashion-mnist`, done by `make venv`): the idx files under
/usr/share/datasets/fashion-mnist/. Debian re-gzipped them, so the check is the MD5 of the
decompressed bytes (recorded below from the package). Its own feature network
(`fashion_mnist_cnn.pt`, trained by `scripts/train_feature_net.py --domain fashion-mnist`) scores
it; the MNIST network never does. Not a default dataset: `run --all` trains on it when asked.

`digits`: scikit-learn's 1,797 8 x 8 digits (`load_digits`, a copy of the UCI optdigits test
set), values 0..16 scaled to 0..255 (x * 255 / 16, rounded) and upsampled to 28 px with PIL's
bicubic filter (8 -> 28, no crop), clipped to [0, 255]; fixed-seed stratified held-out split
(ganbench.data.images.heldout_split: 10% of every class). These are not MNIST digits (other
writers, 4x4-block counts): no project feature network covers them (`--features inception` or
`--features module:ATTR`).
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import cache
from pathlib import Path

import numpy as np
import torch

from ganbench.core.errors import GanbenchError
from ganbench.data.base import Dataset, DataSpec
from ganbench.data.images import heldout_split, uint8_to_unit
from ganbench.data.mnist import parse_idx
from ganbench.data.registry import register_dataset

FASHION_DIR_ENV = "GANBENCH_FASHION_MNIST_DIR"  # another folder holding the same four files
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_INSTALL = "apt-get install dataset-fashion-mnist (or `make venv`)"
# file -> MD5 of its decompressed bytes (Debian 0.0~git20200523.55506a9-1)
FASHION_FILES = {
    "train_images": ("train-images-idx3-ubyte.gz", "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
    "train_labels": ("train-labels-idx1-ubyte.gz", "9018921c3c673c538a1fc5bad174d6f9"),
    "test_images": ("t10k-images-idx3-ubyte.gz", "8181f5470baa50b63fa0f6fddb340f0a"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "15d484375f8d13e6eb1aabb0c3f46965"),
}
FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
    "Ankle boot",
)  # fmt: skip
DIGITS_SIZE = 28


def fashion_dir() -> Path:
    return Path(os.environ.get(FASHION_DIR_ENV) or FASHION_DIR)


def read_idx_unpacked(path: Path, md5: str) -> np.ndarray:
    """An idx file (gzipped or not), checked by the MD5 of its decompressed bytes."""
    if not path.is_file():
        raise GanbenchError(
            f"dataset 'fashion-mnist' needs {path}, which is missing; install it with "
            f"`{FASHION_INSTALL}`"
        )
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if hashlib.md5(raw).hexdigest() != md5:
        raise GanbenchError(
            f"{path} is not the Fashion-MNIST file (its MD5 differs); reinstall it with "
            f"`{FASHION_INSTALL}`"
        )
    return parse_idx(raw)


@cache
def load_fashion_arrays() -> dict[str, np.ndarray]:
    """{"train_images": (60000, 1, 28, 28) uint8, "train_labels": (60000,) int64, test_...}."""
    folder = fashion_dir()
    out = {}
    for key, (fname, md5) in FASHION_FILES.items():
        a = read_idx_unpacked(folder / fname, md5)
        out[key] = a.reshape(-1, 1, 28, 28) if key.endswith("images") else a.astype(np.int64)
    return out


@register_dataset("fashion-mnist", default=False)
def fashion_mnist() -> Dataset:
    a = load_fashion_arrays()
    spec = DataSpec(
        name="fashion-mnist", kind="image", shape=(1, 28, 28), num_classes=10, n_modes=10,
        value_range=(-1.0, 1.0),
    )  # fmt: skip
    return Dataset(
        spec,
        uint8_to_unit(a["train_images"]),
        uint8_to_unit(a["test_images"]),
        torch.from_numpy(a["train_labels"]),
        torch.from_numpy(a["test_labels"]),
        source=f"Fashion-MNIST idx files from Debian dataset-fashion-mnist ({fashion_dir()}; "
        "official 60,000 train / 10,000 test)",
    )


def digits_pixels() -> tuple[np.ndarray, np.ndarray]:
    """(1797, 1, 28, 28) uint8 and (1797,) int64: sklearn's digits, upsampled as stated."""
    from PIL import Image
    from sklearn.datasets import load_digits

    d = load_digits()
    small = np.clip(np.round(d.images * 255.0 / 16.0), 0, 255).astype(np.uint8)
    big = np.empty((len(small), 1, DIGITS_SIZE, DIGITS_SIZE), dtype=np.uint8)
    for i, im in enumerate(small):
        up = Image.fromarray(im, mode="L").resize((DIGITS_SIZE,) * 2, Image.Resampling.BICUBIC)
        big[i, 0] = np.asarray(up)
    return big, d.target.astype(np.int64)


@register_dataset("digits", default=False)
def digits() -> Dataset:
    x, y = digits_pixels()
    tr, te = heldout_split(len(x), y)
    spec = DataSpec(
        name="digits", kind="image", shape=(1, 28, 28), num_classes=10, n_modes=10,
        value_range=(-1.0, 1.0),
    )  # fmt: skip
    return Dataset(
        spec,
        uint8_to_unit(x[tr]),
        uint8_to_unit(x[te]),
        torch.from_numpy(y[tr]),
        torch.from_numpy(y[te]),
        source="sklearn.datasets.load_digits (1,797 8x8 optdigits, x255/16, PIL bicubic to 28 px)",
    )
