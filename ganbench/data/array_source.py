"""Array sources (`npz:PATH[:KEY[:LABELS]]`, `.npy`): load images (and labels) from a NumPy file,
detecting the layout and value range, into uint8 (N, C, H, W) (ganbench/data/sources.py describes
what is accepted).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ganbench.core.errors import GanbenchError

if TYPE_CHECKING:
    from ganbench.data.sources import Source

LABEL_KEYS = ("y", "labels", "label", "targets")


def load_array(
    path: str | Path, key: str = "", label_key: str = ""
) -> tuple[np.ndarray, np.ndarray | None]:
    """(uint8 (N, C, H, W), labels (N,) or None) from an .npz / .npy file (module docstring)."""
    p = Path(path)
    if not p.is_file():
        raise GanbenchError(f"{p} is not a file; give the path of an .npz or .npy array file")
    try:
        obj = np.load(p, allow_pickle=False)
    except Exception as exc:
        raise GanbenchError(
            f"{p} cannot be read as a NumPy .npz/.npy file ({type(exc).__name__}: {exc}); save "
            "the images with numpy.savez / numpy.save"
        ) from None
    labels = None
    if isinstance(obj, np.ndarray):
        if key or label_key:
            raise GanbenchError(f"{p} is an .npy array: it has no keys; drop ':{key}'")
        images = obj
    else:
        with obj:
            keys = list(obj.files)
            if key:
                if key not in keys:
                    raise GanbenchError(
                        f"{p} has no array {key!r}; its keys: {', '.join(keys)}"
                    )
                img_key = key
            else:
                cands = [k for k in keys if k not in LABEL_KEYS]
                if len(cands) != 1:
                    raise GanbenchError(
                        f"{p} holds {len(cands)} candidate image arrays ({', '.join(cands)}); "
                        f"name one: npz:{p}:KEY"
                    )
                img_key = cands[0]
            images = obj[img_key]
            lk = label_key or next((k for k in LABEL_KEYS if k in keys and k != img_key), "")
            if label_key and label_key not in keys:
                raise GanbenchError(f"{p} has no labels array {label_key!r}; its keys: {keys}")
            if lk:
                labels = obj[lk]
    x = to_nchw_uint8(images, str(p))
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim != 1 or len(labels) != len(x):
            raise GanbenchError(
                f"{p}: the labels have shape {labels.shape} for {len(x)} images; give one "
                "integer label per image (shape (N,))"
            )
        if not np.issubdtype(labels.dtype, np.integer):
            raise GanbenchError(f"{p}: labels of dtype {labels.dtype}; give integer labels")
    return x, labels


def detect_layout(shape: tuple[int, ...], where: str = "") -> str:
    """"NHW", "NHWC" or "NCHW" for an image array's shape, or a GanbenchError."""
    if len(shape) == 3:
        return "NHW"
    if len(shape) != 4:
        raise GanbenchError(
            f"{where}: an image array of shape {shape} (rank {len(shape)}); give (N, H, W), "
            "(N, H, W, C) or (N, C, H, W)"
        )
    _, a, b, c = shape
    nhwc = c in (1, 3) and a == b
    nchw = a in (1, 3) and b == c
    if nhwc and nchw:
        raise GanbenchError(
            f"{where}: the layout of shape {shape} is ambiguous ((N, H, W, C) and (N, C, H, W) "
            "both fit); save the images as (N, H, W, C) with H, W larger than 3"
        )
    if nhwc or (c in (1, 3) and a not in (1, 3)):
        return "NHWC"
    if nchw or (a in (1, 3) and c not in (1, 3)):
        return "NCHW"
    raise GanbenchError(
        f"{where}: shape {shape} has no channel axis of size 1 or 3 (first or last); give "
        "(N, H, W), (N, H, W, C) or (N, C, H, W) with C = 1 (grey) or 3 (RGB)"
    )


def detect_range(x: np.ndarray, where: str = "") -> tuple[float, float]:
    """The value range of an image array: (0, 255) for uint8 and integers, and for floats
    whichever of (-1, 1), (0, 1), (0, 255) fits unambiguously; otherwise a GanbenchError."""
    if x.dtype == np.uint8:
        return 0.0, 255.0
    if x.dtype == np.bool_ or not (np.issubdtype(x.dtype, np.integer) or
                                   np.issubdtype(x.dtype, np.floating)):  # fmt: skip
        raise GanbenchError(
            f"{where}: images of dtype {x.dtype}; give uint8 (0..255) or float (in [-1, 1], "
            "[0, 1] or [0, 255])"
        )
    if x.size == 0:
        raise GanbenchError(f"{where}: the image array is empty")
    lo, hi = float(x.min()), float(x.max())
    if np.issubdtype(x.dtype, np.integer):
        if lo >= 0 and hi <= 255:
            return 0.0, 255.0
        raise GanbenchError(
            f"{where}: integer pixels in [{lo:g}, {hi:g}]; give uint8 values in [0, 255]"
        )
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise GanbenchError(f"{where}: the images hold NaN or inf values; remove or fix them")
    eps = 1e-3
    if lo >= -1 - eps and hi <= 1 + eps and lo < -eps:
        return -1.0, 1.0
    if lo >= -eps and hi <= 1 + eps:
        return 0.0, 1.0
    if lo >= -eps and 2.0 < hi <= 255 + eps:
        return 0.0, 255.0
    raise GanbenchError(
        f"{where}: float pixels in [{lo:g}, {hi:g}] fit none of [-1, 1], [0, 1], [0, 255] "
        "unambiguously; rescale them to one of these ranges (or save uint8)"
    )


def to_nchw_uint8(images: np.ndarray, where: str = "") -> np.ndarray:
    """An image array of any accepted layout / range -> uint8 (N, C, H, W)."""
    a = np.asarray(images)
    lo, hi = detect_range(a, where)
    layout = detect_layout(a.shape, where)
    if layout == "NHW":
        a = a[:, None]
    elif layout == "NHWC":
        a = a.transpose(0, 3, 1, 2)
    if a.dtype != np.uint8:
        a = np.clip(np.rint((a.astype(np.float64) - lo) * (255.0 / (hi - lo))), 0, 255)
        a = a.astype(np.uint8)
    return np.ascontiguousarray(a)


def _check_square(x: np.ndarray, src: Source) -> None:
    if x.shape[2] != x.shape[3]:
        raise GanbenchError(
            f"{src.text}: images are {x.shape[2]}x{x.shape[3]}, not square; give --resolution R "
            "to resize and centre-crop them to R x R"
        )
