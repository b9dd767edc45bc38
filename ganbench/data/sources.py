"""Your own data as a dataset: `--dataset folder:PATH`, `npz:PATH[:KEY[:LABELS]]` (also `.npy`)
and `torchvision:NAME:ROOT`.

A source text is resolved once, where the command starts (`resolve_source`), into a dataset
name that is safe in folder and file names (`folder-<basename>-<hash>`, ganbench.data.images.slug)
and registered under it; the full path stays in the dataset's `source`, which every row carries
(`dataset_source`). The name -> source record is also written to $GANBENCH_CACHE/sources/, so
spawned workers (`--jobs N`) and later commands find the same data by name.

folder:PATH   images (PNG, JPEG, WebP, BMP) directly in PATH, or one level of class sub-folders
              (torchvision's ImageFolder: sorted folder names are the labels, files beside them
              are ignored). `--resolution R`, or else the images' own size when they all share one
              square size; resize_centre_crop otherwise. Grey or colour by the data: an image is
              grey when its mode is ("L", "1", "I", ...) or its three channels are equal; a mixed
              folder is converted to the majority (colour images to grey by ITU-R 601 luma, grey
              ones repeated to RGB), said in the log. An unreadable or truncated image among good
              ones is skipped, counted and named in the log (a folder with no readable image is an
              error). Decoded once into a uint8 tensor file in $GANBENCH_CACHE/datasets/ keyed by
              the folder's content (every file's relative path, size and mtime, and R): a changed
              folder is re-read, an unchanged one is not.
npz:PATH...   arrays (N, H, W), (N, H, W, C) or (N, C, H, W) with C in {1, 3}; uint8 (or integers
              in [0, 255]) or float in [-1, 1], [0, 1] or [0, 255]; the layout and range are
              detected where unambiguous and refused with a message where not. KEY picks the
              array of an .npz holding several; labels come from LABELS, else from a key named
              y / labels / label / targets when one is there.
torchvision:NAME:ROOT
              a torchvision dataset read from the local ROOT (MNIST, FashionMNIST, KMNIST, CIFAR10,
              CIFAR100, SVHN, CelebA, LSUN), its own train / test split; nothing is downloaded
              unless `--download` is given: without the files, an error naming them and the flag.

Splits: torchvision's own train / test; every other source a fixed-seed held-out split, stratified
when labelled (ganbench.data.images.heldout_split).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ganbench.core.errors import GanbenchError
from ganbench.core.log import warn

# the loaders of each kind; their names are re-exported here, where they lived before
from ganbench.data.array_source import (  # noqa: F401
    LABEL_KEYS,
    _check_square,
    detect_layout,
    detect_range,
    load_array,
    to_nchw_uint8,
)
from ganbench.data.base import Dataset, DataSpec
from ganbench.data.folder_source import (  # noqa: F401
    CACHE_FORMAT,
    IMAGE_SUFFIXES,
    _cache_root,
    decode_images,
    folder_key,
    list_images,
    load_folder,
)
from ganbench.data.images import heldout_split, resize_array, slug, uint8_to_unit
from ganbench.data.torchvision_source import (  # noqa: F401
    TV_SPLITS,
    _lsun_classes,
    _tv_arrays,
    _tv_name,
    load_torchvision,
    tv_missing,
)

PREFIXES = ("folder:", "npz:", "npy:", "torchvision:")
MIN_IMAGES = 2  # one to train on, one held out


@dataclass(frozen=True)
class Source:
    """Everything that makes a user dataset; its slug is its name."""

    kind: str  # "folder" | "array" | "torchvision"
    path: str  # absolute path (folder, array file, torchvision root)
    key: str = ""  # array: the images' key in an .npz
    label_key: str = ""  # array: the labels' key
    tv_name: str = ""  # torchvision: the class name
    resolution: int | None = None
    download: bool = False  # torchvision only; not part of the name
    # "reference": `eval --reference`: every image is held out (the reference), no train split
    role: str = ""

    @property
    def name(self) -> str:
        res = f"{self.resolution}px" if self.resolution else ""
        if self.kind == "torchvision":
            return slug("tv", self.tv_name, res, hidden=self.path)
        kind = "folder" if self.kind == "folder" else "npz"
        if self.role == "reference":
            return slug("ref", self.path, self.key, res, hidden=kind)
        return slug(kind, self.path, self.key, res)

    @property
    def text(self) -> str:
        """The full source, as the row records it."""
        if self.kind == "folder":
            t = f"folder:{self.path}"
        elif self.kind == "array":
            t = f"npz:{self.path}" + (f":{self.key}" if self.key else "")
            t += f":{self.label_key}" if self.label_key else ""
        else:
            t = f"torchvision:{self.tv_name}:{self.path}"
        return t + (f" @ {self.resolution}px" if self.resolution else "")


def is_source_text(text: str) -> bool:
    return text.startswith(PREFIXES) or text.lower().endswith((".npz", ".npy"))


def parse_source(text: str, resolution: int | None = None, download: bool = False) -> Source:
    """A Source from `--dataset` text; a GanbenchError naming the fix when it is malformed."""
    if resolution is not None and not (isinstance(resolution, int) and 4 <= resolution <= 1024):
        raise GanbenchError(f"--resolution {resolution}: give a side in pixels from 4 to 1024")
    if text.startswith("folder:"):
        path = Path(text[len("folder:") :]).expanduser()
        if not text[len("folder:") :]:
            raise GanbenchError("folder: needs a path, e.g. --dataset folder:~/data/faces")
        return Source("folder", str(path.resolve()), resolution=resolution)
    if text.startswith("torchvision:"):
        parts = text[len("torchvision:") :].split(":", 1)
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise GanbenchError(
                f"{text!r}: write torchvision:NAME:ROOT, e.g. torchvision:CIFAR10:~/data"
            )
        name = _tv_name(parts[0])
        root = Path(parts[1]).expanduser().resolve()
        return Source("torchvision", str(root), tv_name=name, resolution=resolution,
                      download=download)  # fmt: skip
    body = text.split(":", 1)[1] if text.startswith(("npz:", "npy:")) else text
    path, key, label_key = _split_array_text(body)
    return Source("array", str(Path(path).expanduser().resolve()), key, label_key, "", resolution)


def parse_path(text: str, flag: str, resolution: int | None = None) -> Source:
    """A Source for a plain path (a folder of images, an .npz / .npy file) or a folder: / npz:
    text: what `eval --samples` and `--reference` take."""
    if text.startswith(("folder:", "npz:", "npy:")):
        return parse_source(text, resolution)
    if text.startswith("torchvision:"):
        raise GanbenchError(f"{flag} takes a folder of images or an .npz/.npy file, not {text}")
    path = Path(text).expanduser()
    if path.is_dir():
        return Source("folder", str(path.resolve()), resolution=resolution)
    if path.is_file() or text.lower().endswith((".npz", ".npy")) or ":" in text:
        return parse_source(f"npz:{text}", resolution)
    raise GanbenchError(
        f"{flag} {text}: no such folder or file; give a folder of images or an .npz/.npy file"
    )


def _split_array_text(body: str) -> tuple[str, str, str]:
    """PATH[:KEY[:LABELS]] where PATH may itself hold ':' (the longest existing prefix wins)."""
    if Path(body).expanduser().exists() or ":" not in body:
        return body, "", ""
    parts = body.split(":")
    for cut in range(len(parts) - 1, 0, -1):
        path = ":".join(parts[:cut])
        rest = parts[cut:]
        if Path(path).expanduser().exists() and len(rest) <= 2:
            return path, rest[0], rest[1] if len(rest) > 1 else ""
    if len(parts) > 3:
        raise GanbenchError(f"npz:{body}: write npz:PATH[:KEY[:LABELS]]")
    return parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""


# --- the name -> source record ------------------------------------------------------------------


def _records_dir() -> Path:
    return _cache_root() / "sources"


def save_record(src: Source) -> None:
    """Write the name -> source record, so other processes resolve the name (best effort)."""
    from ganbench.core.io import write_json_atomic

    try:
        write_json_atomic(_records_dir() / f"{src.name}.json", {**asdict(src), "download": False})
    except OSError as exc:
        warn(f"could not record dataset {src.name} ({exc}); --jobs workers may not find it")


def load_record(name: str) -> Source | None:
    path = _records_dir() / f"{name}.json"
    if not path.is_file():
        return None
    try:
        d = json.loads(path.read_text())
        return Source(**{k: d[k] for k in Source.__dataclass_fields__ if k in d})
    except (OSError, ValueError, TypeError):
        return None


# --- loading ------------------------------------------------------------------------------------


def load_source(src: Source) -> Dataset:
    if src.kind == "folder":
        x, y, classes, note = load_folder(src.path, src.resolution)
        return _split_dataset(src, x, y, classes, note)
    if src.kind == "array":
        x, y = load_array(src.path, src.key, src.label_key)
        if src.resolution:
            x = resize_array(x, src.resolution)
        _check_square(x, src)
        return _split_dataset(src, x, y, None, "")
    return load_torchvision(src)


def _labels_or_none(y: np.ndarray | None) -> tuple[np.ndarray | None, int]:
    if y is None:
        return None, 0
    values, inverse = np.unique(y, return_inverse=True)
    return (inverse.astype(np.int64), len(values)) if len(values) >= 2 else (None, 0)


def _split_dataset(
    src: Source, x: np.ndarray, y: np.ndarray | None, classes: list[str] | None, note: str
) -> Dataset:
    if len(x) < (1 if src.role == "reference" else MIN_IMAGES):
        raise GanbenchError(
            f"{src.text} holds {len(x)} image(s); a dataset needs at least {MIN_IMAGES} (one to "
            "train on, one held out): add images"
        )
    y, k = _labels_or_none(y)
    if src.role == "reference":  # eval --reference: the whole set is the reference
        y, k = None, 0
        tr, te = np.arange(0), np.arange(len(x))
    else:
        tr, te = heldout_split(len(x), y)
    c, h, w = x.shape[1:]
    spec = DataSpec(
        name=src.name, kind="image", shape=(int(c), int(h), int(w)), num_classes=k, n_modes=k,
        value_range=(-1.0, 1.0),
    )  # fmt: skip
    lab = "unlabelled" if y is None else f"{k} classes"
    split = (
        f"all {len(te):,} images as the reference" if src.role == "reference"
        else f"held-out split seed 1234: {len(tr):,} train / {len(te):,} test"
    )
    return Dataset(
        spec,
        uint8_to_unit(x[tr]),
        uint8_to_unit(x[te]),
        None if y is None else torch.from_numpy(y[tr]),
        None if y is None else torch.from_numpy(y[te]),
        source=f"{src.text} ({len(x):,} images, {lab}, {'grey' if c == 1 else 'colour'}, "
        f"{h}x{w}; {split}{note})",
    )
