"""A run trained straight through, or trained to a saved step and resumed from that state under
another global RNG state (so the resume must restore everything itself): shared by the tests of
mid-fade / mid-phase resumes."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ganbench.core.config import Budget
from ganbench.core.seeding import make_generator, seed_everything
from ganbench.harness.train import train

CPU = torch.device("cpu")


def trained_or_resumed(
    build: Callable[[], object],
    data,
    steps: int,
    batch: int,
    resume_at: int | None,
    on_resumed_build: Callable[[object], None] | None = None,
):
    """(variant, TrainResult): straight when resume_at is None, else resumed at step resume_at.
    `on_resumed_build(w)` runs on the resumed variant before it trains (to observe it)."""
    seed_everything(0)
    v = build()
    saved: list[dict] = []
    res = train(
        v, data, Budget(steps, batch), CPU, make_generator(0), 5,
        save_state=saved.append, save_every=resume_at or 10**9,
    )  # fmt: skip
    if resume_at is None:
        return v, res
    state = next(s for s in saved if s["step"] == resume_at)
    seed_everything(123)
    w = build()
    if on_resumed_build is not None:
        on_resumed_build(w)
    return w, train(w, data, Budget(steps, batch), CPU, make_generator(99), 5, resume=state)
