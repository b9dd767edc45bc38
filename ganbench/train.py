"""The harness loop shared by every variant: batches, critic schedule, optimizers, budget, logging.

Per step it only launches the math: losses stay on the device in a buffer and come to the host once
every `log_every` steps, where divergence (a non-finite loss) is located to its exact step.

`checkpoints` / `on_checkpoint`: a callback (e.g. the convergence curve, ganbench/curves.py) run
after the generator update of the listed steps. It cannot change training: it runs under no_grad
with the global RNGs (Python, NumPy, torch CPU and CUDA) saved and restored, every module's
train/eval flag and buffers (batch-norm running statistics) restored, and its time kept off the
training clock (so a `max_seconds` cap stops at the same step with or without it).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from ganbench.config import Budget
from ganbench.data.base import Dataset
from ganbench.variants.base import Variant


class BatchStream:
    """Endless shuffled mini-batches from tensors already on the device (no DataLoader, no decoding)."""

    def __init__(
        self, x: torch.Tensor, y: torch.Tensor | None, batch_size: int, generator: torch.Generator
    ) -> None:
        if batch_size > len(x):
            batch_size = len(x)
        self.x, self.y, self.batch_size, self.g = x, y, batch_size, generator
        self._order = torch.empty(0, dtype=torch.long, device=x.device)
        self._pos = 0

    def next(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self._pos + self.batch_size > len(self._order):
            self._order = torch.randperm(len(self.x), generator=self.g, device=self.x.device)
            self._pos = 0
        idx = self._order[self._pos : self._pos + self.batch_size]
        self._pos += self.batch_size
        return self.x[idx], (None if self.y is None else self.y[idx])


@dataclass
class TrainResult:
    steps_done: int
    wall_seconds: float
    diverged_step: int | None = None  # first generator step whose losses were not finite
    stopped_by_time: bool = False
    history: dict[str, list[float]] = field(default_factory=dict)  # "step" + one list per loss
    checkpoint_seconds: float = 0.0  # time spent in on_checkpoint (not in wall_seconds)


ProgressFn = Callable[[int, int], None]


def isolated_call(variant: Variant, fn: Callable[[], None]) -> None:
    """Run fn() so that the training that follows cannot tell it ran: no autograd, RNG states,
    module modes and buffers (BN running stats, which a module left in train mode would update)
    put back as they were."""
    modules = list(variant.modules().values())
    modes = [[m.training for m in mod.modules()] for mod in modules]
    buffers = [{k: b.clone() for k, b in mod.named_buffers()} for mod in modules]
    py_state, np_state = random.getstate(), np.random.get_state()
    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    try:
        with torch.random.fork_rng(devices=cuda), torch.no_grad():
            fn()
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        for mod, flags, bufs in zip(modules, modes, buffers, strict=True):
            for m, flag in zip(mod.modules(), flags, strict=True):
                m.train(flag)
            for k, b in mod.named_buffers():
                b.copy_(bufs[k])


def train(
    variant: Variant,
    data: Dataset,
    budget: Budget,
    device: torch.device,
    generator: torch.Generator,
    log_every: int = 50,
    progress: ProgressFn | None = None,
    checkpoints: Sequence[int] = (),
    on_checkpoint: Callable[[int], None] | None = None,
) -> TrainResult:
    """Train `variant` on `data.train` for `budget`; returns the loss history and what stopped it.

    on_checkpoint(step) runs after the generator update of every step in `checkpoints`, isolated
    from training (see isolated_call); its time is in `checkpoint_seconds`, not `wall_seconds`."""
    variant.to(device)
    for m in variant.modules().values():
        m.train()
    labels = data.train_labels.to(device) if data.train_labels is not None else None
    conditional = getattr(variant, "conditional", False)
    batches = BatchStream(data.train.to(device), labels, budget.batch_size, generator)
    opt_d = variant.d_optim.build(variant.d_parameters())
    opt_g = variant.g_optim.build(variant.g_parameters())
    n_classes = data.spec.num_classes

    pending: dict[str, list[torch.Tensor]] = {}
    history: dict[str, list[float]] = {"step": []}
    result = TrainResult(0, 0.0, history=history)
    at = set(checkpoints) if on_checkpoint is not None else set()
    start = time.perf_counter()

    def flush(upto_step: int) -> bool:
        """Bring the pending losses to the host; True when a non-finite loss was found."""
        if not pending:
            return False
        stacked = {k: torch.stack(v).float().cpu() for k, v in pending.items()}
        n = len(next(iter(stacked.values())))
        first_step = upto_step - n + 1
        bad = torch.zeros(n, dtype=torch.bool)
        for v in stacked.values():
            bad |= ~torch.isfinite(v)
        history["step"].append(upto_step)
        for k, v in stacked.items():
            history.setdefault(k, []).append(
                float(v[~bad].mean()) if (~bad).any() else float("nan")
            )
        pending.clear()
        if bad.any():
            result.diverged_step = first_step + int(bad.nonzero()[0])
            return True
        return False

    for step in range(1, budget.steps + 1):
        for _ in range(variant.n_critic):
            real, y = batches.next()
            z = variant.noise(real.shape[0], device, generator)
            loss_d = variant.d_loss(real, z, y if conditional else None)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            variant.after_d_step()
        n = budget.batch_size if budget.batch_size <= len(data.train) else len(data.train)
        z = variant.noise(n, device, generator)
        y_fake = (
            torch.randint(n_classes, (n,), device=device, generator=generator)
            if conditional
            else None
        )
        loss_g = variant.g_loss(z, y_fake)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        if step in at:
            t = time.perf_counter()
            isolated_call(variant, lambda: on_checkpoint(step))  # noqa: B023 (called at once)
            result.checkpoint_seconds += time.perf_counter() - t

        pending.setdefault("d_loss", []).append(loss_d.detach())
        pending.setdefault("g_loss", []).append(loss_g.detach())
        for k, v in variant.logs.items():
            pending.setdefault(k, []).append(v.detach())
        result.steps_done = step

        if step % log_every == 0 or step == budget.steps:
            if flush(step):
                break
            if progress is not None:
                progress(step, budget.steps)
            elapsed = time.perf_counter() - start - result.checkpoint_seconds
            # the cap "bites" only when it stops training before the budget's last step
            if budget.max_seconds is not None and elapsed > budget.max_seconds and step < budget.steps:
                result.stopped_by_time = True
                break
    result.wall_seconds = time.perf_counter() - start - result.checkpoint_seconds
    return result
