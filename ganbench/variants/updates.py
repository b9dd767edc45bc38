"""What one training step is made of: a variant's ordered updates, and what each update's loss sees.

A variant declares `updates()`: e.g. GAN is [Update("D", self.d_step, repeat=self.n_critic),
Update("G", self.g_step)]; CycleGAN is [Update("G", ...), Update("D_A", ...), Update("D_B", ...)].
The harness (ganbench.harness.train) runs them in order, every step: for each active update it calls
its loss with a StepContext, then zero_grad / backward / step on that player's optimizer.

A `Joint` update takes one loss per player from one shared forward pass and steps them together:
every player's gradient is taken at the same parameters before any of them moves (the
simultaneous update of GDPP's and PacGAN's released code, `--hp update=simultaneous`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch


def in_window(step: int, total: int, every: int, start: float, stop: float) -> bool:
    """On the steps where step % every == 0, inside start < step / total <= stop (fractions of
    the budget; ESRGAN's L1-only warm-up is an update with stop=w, adversarial ones start=w)."""
    if step % every:
        return False
    return start < step / total <= stop


@dataclass(frozen=True)
class Update:
    """One entry of a step.

    player: the name of the optimizer it steps (a key of the variant's `players()`).
    loss:   (ctx: StepContext) -> scalar loss tensor, usually a bound method of the variant.
    repeat: how many times per step (a critic's n_critic).
    every, start, stop: when it runs (in_window).
    log:    the loss's column in losses.csv (default: the loss function's name).
    lazy:   a regulariser run every `every` steps in its own optimizer step (StyleGAN2's lazy R1):
            the harness scales its loss by `every` and corrects the player's optimizer
            (OptimSpec.lazy: lr and betas to the power every / (every + 1)).
    """

    player: str
    loss: Callable[[StepContext], torch.Tensor]
    repeat: int = 1
    every: int = 1
    start: float = 0.0
    stop: float = 1.0
    log: str = ""
    lazy: bool = False

    def __post_init__(self) -> None:
        if not callable(self.loss):
            raise TypeError(f"Update({self.player!r}, ...): loss must be callable, not {self.loss!r}")
        if int(self.every) < 1 or int(self.repeat) < 1:
            raise ValueError(f"Update({self.player!r}, ...): every and repeat must be >= 1")

    @property
    def column(self) -> str:
        return self.log or getattr(self.loss, "__name__", "loss")

    @property
    def players(self) -> tuple[str, ...]:
        return (self.player,)

    def active(self, step: int, total: int) -> bool:
        return in_window(step, total, self.every, self.start, self.stop)


@dataclass(frozen=True)
class Joint:
    """One shared pass gives each player its loss; gradients at the same parameters, then every
    player steps. losses(ctx) -> {player: loss}; `log` is (player, column) in stepping order."""

    losses: Callable[[StepContext], dict[str, torch.Tensor]]
    log: tuple[tuple[str, str], ...]
    every: int = 1
    start: float = 0.0
    stop: float = 1.0

    @property
    def players(self) -> tuple[str, ...]:
        return tuple(p for p, _ in self.log)

    def active(self, step: int, total: int) -> bool:
        return in_window(step, total, self.every, self.start, self.stop)


class Stepper:
    """What a custom step (`Custom`) steps its players with: the harness's own zero_grad /
    backward / step / after-update sequence, so that logging and divergence checks stay in one
    place."""

    def __init__(self, variant: Any, optimizers: dict[str, Any]) -> None:
        self._variant, self._optimizers = variant, optimizers

    def step(self, player: str, loss: torch.Tensor) -> None:
        opt = self._optimizers[player]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        self._variant.after_update(player)


@dataclass(frozen=True)
class Custom:
    """A step that one loss per optimizer cannot express (BicycleGAN's latent regression, which
    steps the generator twice with different losses from one pass): fn(ctx, stepper) steps the
    players through `stepper.step(player, loss)` and returns the losses to log by column."""

    fn: Callable[[StepContext, Stepper], dict[str, torch.Tensor]]
    players: tuple[str, ...]
    every: int = 1
    start: float = 0.0
    stop: float = 1.0

    def active(self, step: int, total: int) -> bool:
        return in_window(step, total, self.every, self.start, self.stop)


@dataclass
class StepContext:
    """What a loss may use: the data stream, the step, the device and the run's generator.
    `cache` is per-step scratch that updates of the same step share (e.g. fakes made by G and
    judged by both discriminators)."""

    stream: Any  # ganbench.data.streams.BatchStream | PairStream
    step: int
    total: int
    device: torch.device
    generator: torch.Generator
    batch_size: int
    cache: dict[str, Any] = field(default_factory=dict)
