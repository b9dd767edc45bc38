"""Files that must never be half-written: write to a temporary file beside the target, then rename."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from ganbench.core.errors import GanbenchError, OutputError


class CorruptFileError(GanbenchError):
    pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_temp(path: Path, write) -> Path:
    """A complete file with a unique name beside `path` (so that two processes writing the same
    target never share a temporary file), readable as any file the user writes (mkstemp: 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o666 & ~_umask())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _atomic(path: Path, write) -> None:
    """The one way ganbench writes a file: a unique temporary file beside it, then a rename, so a
    reader (or a kill) sees the old file or the new one, never half of one."""
    path = Path(path)
    tmp = _write_temp(path, write)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def create_exclusive(path: Path, data: bytes) -> bool:
    """Create `path` holding `data` unless it exists; True when this call created it.

    The content is written first and then hard-linked into place (link fails when the name
    exists), so the file is never seen empty or half-written, even on NFS. Where the filesystem
    has no hard links, O_CREAT | O_EXCL creates it and then writes it (a reader may then briefly
    see it empty; claims.py allows for that)."""
    path = Path(path)
    tmp = _write_temp(path, lambda f: f.write(data))
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    except OSError:  # no hard links here (some FUSE / SMB mounts)
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return True
    finally:
        tmp.unlink(missing_ok=True)


def write_json_atomic(path: Path, obj: Any) -> None:
    data = json.dumps(obj, indent=2, sort_keys=False, default=_json_default).encode()
    _atomic(Path(path), lambda f: f.write(data))


def write_text_atomic(path: Path, text: str) -> None:
    _atomic(Path(path), lambda f: f.write(text.encode()))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    _atomic(Path(path), lambda f: f.write(data))


def save_torch_atomic(path: Path, obj: Any) -> None:
    _atomic(Path(path), lambda f: torch.save(obj, f))


def save_figure_atomic(fig: Any, path: Path, **savefig_kwargs: Any) -> Path:
    """A matplotlib figure saved through the atomic writer (format from the suffix: `.png`)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".") or "png"
    _atomic(path, lambda f: fig.savefig(f, format=fmt, **savefig_kwargs))
    return path


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"cannot store {type(o).__name__} in JSON")


def read_json(path: Path) -> Any:
    """Read a JSON file; a corrupt one is a clear error naming the file and the fix."""
    try:
        return json.loads(Path(path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptFileError(
            f"{path} is corrupt ({exc}); delete it and re-run the same command to recompute it"
        ) from None


def check_output_folder(out: Path) -> None:
    """Refuse an --out that exists as a file, before anything is written."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"output folder {out} exists and is a file; pass --out a folder path")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise OutputError(f"output folder {out}: {parent} is a file; pass --out a folder path")


def read_result(folder: Path, redo: str) -> dict[str, Any] | None:
    """`folder`/result.json, or None when there is none. A corrupt one is moved aside (kept, never
    deleted) with a warning that says what happens next (`redo`), and None is returned."""
    from ganbench.core.log import warn

    path = Path(folder) / "result.json"
    try:
        row = read_json(path)
    except FileNotFoundError:
        return None
    except CorruptFileError as exc:
        aside = path.with_suffix(".json.corrupt")
        try:
            path.replace(aside)
        except FileNotFoundError:  # another process moved it aside first
            return None
        warn(f"{exc} (moved to {aside.name}; {redo})")
        return None
    return row if isinstance(row, dict) else None
