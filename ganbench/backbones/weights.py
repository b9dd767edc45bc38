"""Shipped weights and their json: the SHA-256 check every frozen network goes through at load.

The json beside each `.pt` holds sha256, held-out accuracy, seed and the command that wrote it
(`scripts/train_feature_net.py`). A missing or altered file is one GanbenchError naming the
command that recreates it; never a silently different network.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

from ganbench.core.errors import GanbenchError

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_meta(meta_file: Path, retrain: str) -> dict:
    """The json beside a weights file; `retrain` is the command that recreates both."""
    meta_file = Path(meta_file)
    if not meta_file.exists():
        raise GanbenchError(f"{meta_file} is missing; reinstall ganbench or run {retrain}")
    return json.loads(meta_file.read_text())


def load_verified(
    path: Path,
    expected_sha256: str,
    what: str,
    retrain: str,
    source: str = "their json",
    otherwise: str = "",
) -> dict:
    """The state dict at `path`, after checking its SHA-256 against `expected_sha256` (read from
    `source`); `otherwise` ends the missing-file message with another way out."""
    path = Path(path)
    if not path.exists():
        raise GanbenchError(
            f"{what} weights {path} are missing; run {retrain} to recreate them{otherwise}"
        )
    got = sha256_file(path)
    if got != expected_sha256:
        raise GanbenchError(
            f"{what} weights {path} have SHA-256 {got[:12]}..., expected "
            f"{expected_sha256[:12]}... from {source}; restore the file (git checkout) or "
            f"rerun {retrain}"
        )
    return torch.load(path, map_location="cpu", weights_only=True)
