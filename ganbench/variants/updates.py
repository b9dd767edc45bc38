"""What one training step is made of: a variant's ordered updates, and what each update's loss sees.

A variant declares `updates()`: e.g. GAN is [Update("D", "d_step", repeat="n_critic"),
Update("G", "g_step")]; CycleGAN is [Update("G", ...), Update("D_A", ...), Update("D_B", ...)].
The harness (ganbench.harness.train) runs them in order, every step: for each active update it calls the
named loss method with a StepContext, then zero_grad / backward / step on that player's optimizer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass(frozen=True)
class Update:
    """One entry of a step.

    player: the name of the optimizer it steps (a key of the variant's `players()`).
    loss:   the name of a variant method (ctx: StepContext) -> scalar loss tensor.
    repeat: how many times per step; an int or the name of a variant attribute ("n_critic").
    every:  runs on the steps where step % every == 0 (lazy updates).
    start, stop: active window as fractions of the budget, start < step / total <= stop
            (ESRGAN's L1-only warm-up is an update with stop=w and adversarial ones with start=w).
    log:    the loss's column in losses.csv (default: the loss method's name).
    """

    player: str
    loss: str
    repeat: int | str = 1
    every: int = 1
    start: float = 0.0
    stop: float = 1.0
    log: str = ""

    @property
    def column(self) -> str:
        return self.log or self.loss

    def active(self, step: int, total: int) -> bool:
        if step % self.every:
            return False
        return self.start < step / total <= self.stop

    def times(self, variant: Any) -> int:
        return int(getattr(variant, self.repeat)) if isinstance(self.repeat, str) else self.repeat


@dataclass
class StepContext:
    """What a loss method may use: the data stream, the step, the device and the run's generator.
    `cache` is per-step scratch that updates of the same step share (e.g. fakes made by G and
    judged by both discriminators)."""

    stream: Any  # ganbench.data.streams.BatchStream | PairStream
    step: int
    total: int
    device: torch.device
    generator: torch.Generator
    batch_size: int
    cache: dict[str, Any] = field(default_factory=dict)
