"""torchvision sources (`torchvision:NAME:ROOT`): check that a local root holds a dataset's
files and read its own train / test split into uint8 arrays and a Dataset.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from ganbench.core.errors import GanbenchError
from ganbench.data.array_source import _check_square, to_nchw_uint8
from ganbench.data.base import Dataset, DataSpec
from ganbench.data.images import resize_array, resize_centre_crop, uint8_to_unit

if TYPE_CHECKING:
    from ganbench.data.sources import Source

TV_SPLITS = {  # name -> (how the split is asked for, files that must be under ROOT)
    "MNIST": ("train", ["MNIST/raw/train-images-idx3-ubyte", "MNIST/raw/train-labels-idx1-ubyte",
                        "MNIST/raw/t10k-images-idx3-ubyte", "MNIST/raw/t10k-labels-idx1-ubyte"]),
    "FashionMNIST": ("train", [
        "FashionMNIST/raw/train-images-idx3-ubyte", "FashionMNIST/raw/train-labels-idx1-ubyte",
        "FashionMNIST/raw/t10k-images-idx3-ubyte", "FashionMNIST/raw/t10k-labels-idx1-ubyte"]),
    "KMNIST": ("train", ["KMNIST/raw/train-images-idx3-ubyte", "KMNIST/raw/train-labels-idx1-ubyte",
                         "KMNIST/raw/t10k-images-idx3-ubyte", "KMNIST/raw/t10k-labels-idx1-ubyte"]),
    "CIFAR10": ("train", [f"cifar-10-batches-py/{f}" for f in (
        "data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5",
        "test_batch", "batches.meta")]),
    "CIFAR100": ("train", [f"cifar-100-python/{f}" for f in ("train", "test", "meta")]),
    "SVHN": ("split", ["train_32x32.mat", "test_32x32.mat"]),
    "CelebA": ("split", ["celeba/img_align_celeba", "celeba/list_eval_partition.txt",
                         "celeba/list_attr_celeba.txt", "celeba/identity_CelebA.txt",
                         "celeba/list_bbox_celeba.txt", "celeba/list_landmarks_align_celeba.txt"]),
    "LSUN": ("classes", []),  # ROOT/<category>_train_lmdb folders; checked by torchvision
}  # fmt: skip


def _tv_name(name: str) -> str:
    for known in TV_SPLITS:
        if known.lower() == name.lower():
            return known
    raise GanbenchError(
        f"torchvision dataset {name!r} is not supported; use one of: {', '.join(TV_SPLITS)}"
    )


def tv_missing(src: Source) -> list[str]:
    root = Path(src.path)
    _, files = TV_SPLITS[src.tv_name]
    if src.tv_name == "LSUN":
        found = list(root.glob("*_lmdb")) if root.is_dir() else []
        return [] if found else [f"{root}/<category>_train_lmdb (and _val_lmdb)"]
    return [str(root / f) for f in files if not (root / f).exists()]


def load_torchvision(src: Source) -> Dataset:
    import torchvision

    missing = tv_missing(src)
    if missing and not src.download:
        shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
        raise GanbenchError(
            f"torchvision:{src.tv_name}:{src.path} has no local copy: {shown} missing; put the "
            f"files there, or pass --download to let torchvision fetch them"
        )
    cls = getattr(torchvision.datasets, src.tv_name)
    how = TV_SPLITS[src.tv_name][0]
    parts = {}
    try:
        for split in ("train", "test"):
            if how == "train":
                ds = cls(src.path, train=split == "train", download=src.download)
            elif how == "split":
                ds = cls(src.path, split=split, download=src.download)
            else:
                ds = cls(src.path, classes=[f"{c}" for c in _lsun_classes(src.path, split)])
            parts[split] = _tv_arrays(ds, src)
    except GanbenchError:
        raise
    except Exception as exc:
        raise GanbenchError(
            f"torchvision:{src.tv_name}:{src.path} could not be read ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); check the files under the root"
            + ("" if src.download else ", or pass --download")
        ) from None
    (xtr, ytr), (xte, yte) = parts["train"], parts["test"]
    _check_square(xtr, src)
    c, h, w = xtr.shape[1:]
    k = 0 if ytr is None else int(max(ytr.max(), yte.max()) + 1)
    spec = DataSpec(
        name=src.name, kind="image", shape=(int(c), int(h), int(w)), num_classes=k, n_modes=k,
        value_range=(-1.0, 1.0),
    )  # fmt: skip
    return Dataset(
        spec,
        uint8_to_unit(xtr),
        uint8_to_unit(xte),
        None if ytr is None else torch.from_numpy(ytr),
        None if yte is None else torch.from_numpy(yte),
        source=f"{src.text} (torchvision {src.tv_name}, its own split: {len(xtr):,} train / "
        f"{len(xte):,} test)",
    )


def _lsun_classes(root: str, split: str) -> list[str]:
    names = sorted(p.name[: -len("_lmdb")] for p in Path(root).glob(f"*_{split}_lmdb"))
    if not names and split == "test":
        names = sorted(p.name[: -len("_lmdb")] for p in Path(root).glob("*_val_lmdb"))
    if not names:
        raise GanbenchError(f"torchvision:LSUN:{root}: no *_{split}_lmdb folder under the root")
    return names


def _tv_arrays(ds, src: Source) -> tuple[np.ndarray, np.ndarray | None]:
    """uint8 (N, C, H, W) and labels from a torchvision dataset: its `data` array when it has
    one, else image by image (PIL), resized when --resolution is given."""
    data = getattr(ds, "data", None)
    labels = getattr(ds, "targets", None)
    if labels is None:
        labels = getattr(ds, "labels", None)
    if isinstance(data, torch.Tensor | np.ndarray) and not src.tv_name == "CelebA":
        x = to_nchw_uint8(np.asarray(data), src.text)
        if src.resolution:
            x = resize_array(x, src.resolution)
        y = None if labels is None else np.asarray(labels, dtype=np.int64).reshape(-1)
        return x, y
    imgs, ys = [], []
    for i in range(len(ds)):
        img, target = ds[i]
        if src.resolution:
            img = resize_centre_crop(img, src.resolution)
        a = np.asarray(img.convert("RGB"))
        imgs.append(a.transpose(2, 0, 1))
        ys.append(target if isinstance(target, int) else 0)
    x = np.stack(imgs)
    y = np.asarray(ys, dtype=np.int64) if src.tv_name == "LSUN" else None
    return x, y
