"""One seed fixes Python, NumPy and torch RNGs (and through them data order and evaluation noise)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@contextmanager
def rng_untouched() -> Iterator[None]:
    """Run the body so that the global Python, NumPy and torch (CPU and initialised CUDA) RNGs
    are as they were afterwards. Building a pretrained net draws its throw-away initial weights
    from the global RNG; without this a cold feature cache would change the training after it."""
    py_state, np_state = random.getstate(), np.random.get_state()
    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    try:
        with torch.random.fork_rng(devices=cuda):
            yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


def global_rng_state() -> dict:
    """The global Python, NumPy and torch CPU (and initialised CUDA) RNG states."""
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else [],
    }


def set_global_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if state["cuda"]:
        torch.cuda.set_rng_state_all(state["cuda"])


def make_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def resolve_device(name: str) -> torch.device:
    """`auto` picks CUDA when present; asking for `cuda` without one is a clear error."""
    from ganbench.core.errors import GanbenchError

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise GanbenchError(
            "--device cuda was asked for but no CUDA device is visible; use --device cpu or auto"
        )
    if name not in ("cpu", "cuda"):
        raise GanbenchError(f"unknown device {name!r}; use auto, cpu or cuda")
    return torch.device(name)
