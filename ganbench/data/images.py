"""What every image source shares: the held-out split, the stated resize, uint8 storage and the
dataset names that are safe in folder and file names.

- `heldout_split`: a fixed-seed held-out split (SPLIT_SEED, independent of the run seed),
  stratified by label when there are labels: HELD_OUT_FRACTION of every class (at least one image
  of every class with two or more) is held out, the rest is train.
- `resize_centre_crop`: the shorter side to R with PIL's bicubic filter (antialiased when it
  shrinks: PIL widens the filter support by the scale factor), then the centre R x R crop with
  torchvision's CenterCrop offsets (round((h - R) / 2)). An image already R x R is left as it is.
- Pixels are stored as uint8 (N, C, H, W) and become float32 in [-1, 1] as x / 127.5 - 1, the
  scale of the bundled datasets.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import torch

SPLIT_SEED = 1234  # the bundled `mnist` split's seed
HELD_OUT_FRACTION = 0.1
GREY_MODES = ("1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "F")


def heldout_split(
    n: int, labels: np.ndarray | None = None, fraction: float = HELD_OUT_FRACTION,
    seed: int = SPLIT_SEED,
) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) index arrays, sorted: `fraction` of the n items held out (at least one, and
    at least one left for training), per class when `labels` are given."""
    if n < 2:
        raise ValueError(f"a held-out split needs at least 2 images, got {n}")
    rng = np.random.default_rng(seed)
    groups = [np.arange(n)] if labels is None else [
        np.flatnonzero(labels == c) for c in np.unique(labels)
    ]
    train, test = [], []
    for idx in groups:
        idx = rng.permutation(idx)
        k = min(max(int(round(len(idx) * fraction)), 1), len(idx) - 1) if len(idx) >= 2 else 0
        test.append(idx[:k])
        train.append(idx[k:])
    tr, te = np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
    if len(te) == 0:  # every class a singleton: hold out one image anyway
        te, tr = tr[:1], tr[1:]
    return tr, te


def uint8_to_unit(pixels: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 pixels in [0, 255] -> float32 in [-1, 1]."""
    if isinstance(pixels, np.ndarray):
        return torch.from_numpy(pixels.astype(np.float32) / 127.5 - 1.0)
    return pixels.float().div_(127.5).sub_(1.0)


def resize_centre_crop(img, size: int):
    """A PIL image with its shorter side scaled to `size` (bicubic, antialiased) and the centre
    size x size crop taken (torchvision CenterCrop offsets)."""
    from PIL import Image

    w, h = img.size
    if (w, h) == (size, size):
        return img
    if min(w, h) != size:
        scale = size / min(w, h)
        nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
        img = img.resize((nw, nh), Image.Resampling.BICUBIC)
        w, h = nw, nh
    top, left = int(round((h - size) / 2.0)), int(round((w - size) / 2.0))
    return img.crop((left, top, left + size, top + size))


def luma(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 RGB -> (...) uint8 grey, ITU-R 601-2 as PIL's convert("L") does it."""
    r, g, b = (rgb[..., i].astype(np.uint32) for i in range(3))
    return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8)


def resize_array(pixels: np.ndarray, size: int) -> np.ndarray:
    """uint8 (N, C, H, W) -> uint8 (N, C, size, size) by resize_centre_crop, image by image."""
    from PIL import Image

    n, c, h, w = pixels.shape
    if (h, w) == (size, size):
        return pixels
    out = np.empty((n, c, size, size), dtype=np.uint8)
    for i in range(n):
        if c == 1:
            img = Image.fromarray(pixels[i, 0], mode="L")
            out[i, 0] = np.asarray(resize_centre_crop(img, size))
        else:
            img = Image.fromarray(np.ascontiguousarray(pixels[i].transpose(1, 2, 0)), mode="RGB")
            out[i] = np.asarray(resize_centre_crop(img, size)).transpose(2, 0, 1)
    return out


def slug(kind: str, path: str, *parts: object, hidden: str = "") -> str:
    """A dataset name safe in folder and file names: `<kind>-<basename>[-<part>...]-<hash>`
    (lower-case letters, digits, '-', '_', '.'), the hash over everything that makes the data
    (`hidden`: a part hashed but not shown, e.g. a torchvision root)."""
    base = re.sub(r"[^a-z0-9_.-]+", "_", path.rstrip("/\\").split("/")[-1].lower()).strip("._-")
    base = re.sub(r"\.(npz|npy)$", "", base)[:40] or "data"
    extra = "".join(f"-{re.sub(r'[^a-z0-9_.]+', '_', str(p).lower())}" for p in parts if p)
    h = hashlib.sha256("\0".join([kind, path, *map(str, parts), hidden]).encode()).hexdigest()[:8]
    return f"{kind}-{base}{extra}-{h}"
