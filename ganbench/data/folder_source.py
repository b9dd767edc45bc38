"""Folder sources (`folder:PATH`): list a folder's images (flat, or one level of class
sub-folders), key its content, decode the images into uint8 arrays and cache them in
$GANBENCH_CACHE/datasets/ (ganbench/data/sources.py describes the format).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import torch

from ganbench.core.errors import GanbenchError
from ganbench.core.log import info, warn
from ganbench.data.images import GREY_MODES, luma, resize_centre_crop, slug

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
CACHE_FORMAT = 1


def list_images(root: Path) -> tuple[list[Path], list[str] | None, int]:
    """(image files, class names or None, other files ignored). One level of class sub-folders
    (ImageFolder) when any sub-folder holds images; else the images directly in `root`."""
    if not root.exists():
        raise GanbenchError(f"folder {root} does not exist; give the path of a folder of images")
    if not root.is_dir():
        raise GanbenchError(
            f"{root} is a file, not a folder; give a folder of images (or npz:{root} for arrays)"
        )

    def images_in(folder: Path) -> tuple[list[Path], int]:
        files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
        imgs = sorted(p for p in files if p.suffix.lower() in IMAGE_SUFFIXES)
        return imgs, len(files) - len(imgs)

    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    per_class = [(d.name, *images_in(d)) for d in subdirs]
    per_class = [(n, imgs, other) for n, imgs, other in per_class if imgs]
    if per_class:
        files = [p for _, imgs, _ in per_class for p in imgs]
        top_imgs, top_other = images_in(root)
        return files, [n for n, _, _ in per_class], sum(o for *_, o in per_class) + len(
            top_imgs
        ) + top_other
    files, other = images_in(root)
    if not files:
        what = f"{other} file(s), none of them an image" if other else "nothing"
        raise GanbenchError(
            f"folder {root} holds {what} ({', '.join(IMAGE_SUFFIXES)} are read, directly in it "
            "or one level of class sub-folders down); point --dataset/--samples at a folder of "
            "images"
        )
    return files, None, other


def folder_key(root: Path, files: list[Path], resolution: int | None) -> str:
    """Hash of the folder's content as the file system lists it: every image's relative path,
    size and mtime, plus the resolution and the cache format."""
    h = hashlib.sha256(f"v{CACHE_FORMAT}\0{resolution}\0".encode())
    for p in files:
        st = p.stat()
        h.update(f"{p.relative_to(root).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:24]


def _cache_root() -> Path:
    return Path(os.environ.get("GANBENCH_CACHE") or Path.home() / ".cache" / "ganbench")


def load_folder(
    path: str | Path, resolution: int | None = None
) -> tuple[np.ndarray, np.ndarray | None, list[str] | None, str]:
    """(uint8 (N, C, R, R), labels or None, class names or None, a note for the source text),
    from the cache when the folder is unchanged."""
    from ganbench.core.io import save_torch_atomic

    root = Path(path)
    files, classes, other = list_images(root)
    key = folder_key(root, files, resolution)
    cache_file = _cache_root() / "datasets" / f"{slug('folder', str(root))}-{key}.pt"
    if cache_file.is_file():
        try:
            d = torch.load(cache_file, map_location="cpu", weights_only=True)
            info(f"folder {root}: {len(d['images']):,} images from the cache ({cache_file.name})")
            y = None if d["labels"] is None else d["labels"].numpy()
            return d["images"].numpy(), y, d["classes"] or None, d["note"]
        except Exception as exc:  # corrupt: re-read the folder
            warn(f"cache file {cache_file} is corrupt ({type(exc).__name__}); re-reading {root}")
    x, keep, note = decode_images(files, resolution, str(root))
    labels = None
    if classes is not None:
        index = {f: classes.index(f.parent.name) for f in files}
        labels = np.array([index[files[i]] for i in keep], dtype=np.int64)
    if other:
        note += f"; {other} other file(s) ignored"
    obj = {
        "images": torch.from_numpy(x),
        "labels": None if labels is None else torch.from_numpy(labels),
        "classes": classes or [],
        "note": note,
    }
    try:
        save_torch_atomic(cache_file, obj)
    except OSError as exc:
        warn(f"could not write the dataset cache {cache_file} ({exc}); going on without it")
    return x, labels, classes, note


def decode_images(
    files: list[Path], resolution: int | None, where: str
) -> tuple[np.ndarray, list[int], str]:
    """(uint8 (N, C, R, R), indices of the files kept, note). Unreadable files are skipped and
    counted; sizes must agree unless `resolution` is given; grey / colour by the majority."""
    from PIL import Image

    arrays: list[np.ndarray] = []
    grey: list[bool] = []
    keep: list[int] = []
    bad: list[str] = []
    size0 = None
    for i, f in enumerate(files):
        try:
            with Image.open(f) as img:
                if resolution is None:
                    if size0 is None:
                        size0 = img.size
                    elif img.size != size0:
                        raise GanbenchError(
                            f"{where}: images have different sizes ({f.name} is "
                            f"{img.size[0]}x{img.size[1]}, {files[keep[0]].name if keep else ''}"
                            f" is {size0[0]}x{size0[1]}); give --resolution R to resize and "
                            "centre-crop them all to R x R"
                        )
                img.load()
                is_grey = img.mode in GREY_MODES
                if is_grey:
                    im = img.convert("L")
                else:
                    im = img.convert("RGB")
                if resolution is not None:
                    im = resize_centre_crop(im, resolution)
                a = np.asarray(im)
        except GanbenchError:
            raise
        except Exception as exc:  # truncated, corrupt, not really an image
            bad.append(f"{f.name} ({type(exc).__name__})")
            continue
        if not is_grey and (a[..., 0] == a[..., 1]).all() and (a[..., 1] == a[..., 2]).all():
            is_grey, a = True, a[..., 0]
        arrays.append(a)
        grey.append(is_grey)
        keep.append(i)
    if not arrays:
        raise GanbenchError(
            f"{where}: none of its {len(files)} image file(s) could be read (e.g. "
            f"{bad[0] if bad else '?'}); check the files or point at another folder"
        )
    h, w = arrays[0].shape[:2]
    if resolution is None and h != w:
        raise GanbenchError(
            f"{where}: the images are {w}x{h}, not square; give --resolution R to resize and "
            "centre-crop them to R x R"
        )
    n_grey = sum(grey)
    to_grey = n_grey * 2 >= len(grey)
    note = ""
    if 0 < n_grey < len(grey):
        note = (
            f"; mixed: {n_grey} grey, {len(grey) - n_grey} colour, converted to "
            f"{'grey (ITU-R 601 luma)' if to_grey else 'colour (grey repeated)'}"
        )
        info(f"{where}{note[1:]}")
    c = 1 if to_grey else 3
    x = np.empty((len(arrays), c, h, w), dtype=np.uint8)
    for j, (a, g) in enumerate(zip(arrays, grey, strict=True)):
        if c == 1:
            x[j, 0] = a if g else luma(a)
        else:
            x[j] = a[None] if g else a.transpose(2, 0, 1)
    if bad:
        shown = ", ".join(bad[:5]) + (", ..." if len(bad) > 5 else "")
        note += f"; {len(bad)} unreadable file(s) skipped: {shown}"
        warn(f"{where}: {len(bad)} unreadable image file(s) skipped: {shown}")
    return x, keep, note
