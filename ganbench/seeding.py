"""One seed fixes Python, NumPy and torch RNGs (and through them data order and evaluation noise)."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def make_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def resolve_device(name: str) -> torch.device:
    """`auto` picks CUDA when present; asking for `cuda` without one is a clear error."""
    from ganbench.errors import GanbenchError

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise GanbenchError(
            "--device cuda was asked for but no CUDA device is visible; use --device cpu or auto"
        )
    if name not in ("cpu", "cuda"):
        raise GanbenchError(f"unknown device {name!r}; use auto, cpu or cuda")
    return torch.device(name)
