"""A run's unfinished training, kept in its folder (partial.pt), so that a run cut off mid-way (a
killed process, a session's end, a worker that died) goes on from its last save on the next
attempt instead of from step 0.

run_one saves every SAVE_EVERY_SECONDS of training: the whole training state (harness/train.py:
nets, optimizers, EMA, the variant's own state, data order, the run's generator and the global
RNGs, the loss history), the convergence curve evaluated so far, the training seconds spent and
the steps it was resumed at. The next attempt at the same run (the same spec) resumes from it and
ends with the result an uninterrupted run gives. The file goes once the run has its result; a
save made under other settings is moved aside (kept, never deleted), as is an unreadable one.
Batched seed groups (--batch-seeds) are not saved: a cut-off group starts again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ganbench.core.io import save_torch_atomic
from ganbench.core.log import warn

PARTIAL = "partial.pt"
# A save costs a copy of the nets and optimizer states (milliseconds at CPU widths); five minutes
# bounds the work a kill loses without saving short runs at all.
SAVE_EVERY_SECONDS = 300.0

__all__ = ["PARTIAL", "SAVE_EVERY_SECONDS", "drop_partial", "load_partial", "save_partial"]


def save_partial(folder: Path, spec: dict[str, Any], saved: dict[str, Any]) -> None:
    """Write `saved` (train_state's dict plus curve / train_seconds / resumed_at) for `spec`."""
    folder.mkdir(parents=True, exist_ok=True)
    save_torch_atomic(folder / PARTIAL, {"spec": spec, **saved})


def _aside(path: Path, why: str) -> None:
    aside = path.with_name(f"{path.name}.{why}")
    try:
        path.replace(aside)
    except FileNotFoundError:  # another process moved it first
        return
    warn(f"{path}: {why.replace('-', ' ')} (moved to {aside.name}); the run starts from step 0")


def load_partial(folder: Path, spec: dict[str, Any]) -> dict[str, Any] | None:
    """The saved unfinished training of the run `spec` in `folder`, or None (start from step 0)."""
    path = folder / PARTIAL
    if not path.is_file():
        return None
    try:
        saved = torch.load(path, map_location="cpu", weights_only=False)
    except Exception:  # noqa: BLE001  a torn or foreign file: kept aside, the run starts over
        _aside(path, "unreadable")
        return None
    if not isinstance(saved, dict) or saved.get("spec") != spec:
        _aside(path, "saved-under-other-settings")
        return None
    return saved


def drop_partial(folder: Path) -> None:
    (folder / PARTIAL).unlink(missing_ok=True)
