"""Files that must never be half-written: write to a temporary file beside the target, then rename."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from ganbench.errors import GanbenchError, OutputError


class CorruptFileError(GanbenchError):
    pass


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, obj: Any) -> None:
    data = json.dumps(obj, indent=2, sort_keys=False, default=_json_default).encode()
    _atomic(Path(path), lambda f: f.write(data))


def write_text_atomic(path: Path, text: str) -> None:
    _atomic(Path(path), lambda f: f.write(text.encode()))


def save_torch_atomic(path: Path, obj: Any) -> None:
    _atomic(Path(path), lambda f: torch.save(obj, f))


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
    from ganbench.log import warn

    path = Path(folder) / "result.json"
    if not path.exists():
        return None
    try:
        row = read_json(path)
    except CorruptFileError as exc:
        aside = path.with_suffix(".json.corrupt")
        path.replace(aside)
        warn(f"{exc} (moved to {aside.name}; {redo})")
        return None
    return row if isinstance(row, dict) else None
