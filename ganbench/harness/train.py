"""The harness loop shared by every variant: batches, its updates in order, optimizers, budget,
logging. A step runs the variant's `updates()` (ganbench.variants.updates): for each active update,
`repeat` times, its loss method, then zero_grad / backward / step of that player's optimizer.

Per step it only launches the math: losses stay on the device in a buffer and come to the host once
every `log_every` steps, where divergence (a non-finite loss) is located to its exact step.

`checkpoints` / `on_checkpoint`: a callback (e.g. the convergence curve, ganbench/harness/curves.py) run
after the generator update of the listed steps. It cannot change training: it runs under no_grad
with the global RNGs (Python, NumPy, torch CPU and CUDA) saved and restored, every module's
train/eval flag and buffers (batch-norm running statistics) restored, and its time kept off the
training clock (so a `max_seconds` cap stops at the same step with or without it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from ganbench.core.config import Budget
from ganbench.core.seeding import rng_untouched
from ganbench.data.base import Dataset
from ganbench.data.streams import BatchStream, make_stream
from ganbench.variants.base import Variant
from ganbench.variants.updates import Joint, StepContext

__all__ = [
    "BatchStream", "TrainResult", "append_log_row", "isolated_call", "joint_update", "train"
]


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
    try:
        with rng_untouched(), torch.no_grad():
            fn()
    finally:
        for mod, flags, bufs in zip(modules, modes, buffers, strict=True):
            for m, flag in zip(mod.modules(), flags, strict=True):
                m.train(flag)
            for k, b in mod.named_buffers():
                b.copy_(bufs[k])


def joint_update(
    variant: Variant,
    u: Joint,
    ctx: StepContext,
    params: dict[str, list[torch.nn.Parameter]],
    optimizers: dict[str, torch.optim.Optimizer],
) -> dict[str, torch.Tensor]:
    """A simultaneous update: each player's gradient of its own loss, all taken before any
    player steps; then every player steps. Returns the losses by column."""
    losses = u.losses(ctx)
    players = u.players
    for i, player in enumerate(players):
        grads = torch.autograd.grad(
            losses[player], params[player], retain_graph=i < len(players) - 1, allow_unused=True
        )
        for p, g in zip(params[player], grads, strict=True):
            p.grad = g
    for player in players:
        optimizers[player].step()
        variant.after_update(player)
    return {column: losses[player].detach() for player, column in u.log}


def append_log_row(
    history: dict[str, list[float]],
    steps: dict[str, torch.Tensor],
    values: dict[str, torch.Tensor],
    upto_step: int,
) -> list[int]:
    """One losses.csv row at `upto_step`: per logged loss, the mean of its values since the last
    row (`values[k]` at `steps[k]`), leaving out every step where some loss was not finite.
    Returns those steps (sorted; the first is where the run diverged)."""
    bad_steps = sorted({int(t) for k in values for t in steps[k][~torch.isfinite(values[k])]})
    before = len(history["step"])
    history["step"].append(upto_step)
    for k, v in values.items():
        ok = ~torch.isin(steps[k], torch.tensor(bad_steps, dtype=torch.long))
        # a column that starts late (an update with a window) is NaN on the rows before
        column = history.setdefault(k, [float("nan")] * before)
        column.append(float(v[ok].mean()) if ok.any() else float("nan"))
    for column in history.values():  # and on the rows where its update was not active
        if len(column) < len(history["step"]):
            column.append(float("nan"))
    return bad_steps


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
    stream = make_stream(data, budget.batch_size, generator, device)
    params = {name: list(p) for name, (p, _) in variant.players().items()}
    optimizers = {name: spec.build(params[name]) for name, (_, spec) in variant.players().items()}
    updates = variant.updates()
    for u in updates:
        for player in u.players:
            if player not in optimizers:
                raise ValueError(
                    f"{variant.name}: an update steps player {player!r}, which is not one of "
                    f"its players ({', '.join(optimizers)})"
                )
    ctx = StepContext(stream, 0, budget.steps, device, generator, stream.batch_size)

    # column -> [(step, loss)]: an update outside its window logs nothing that step
    pending: dict[str, list[tuple[int, torch.Tensor]]] = {}
    step_losses: dict[str, torch.Tensor] = {}
    history: dict[str, list[float]] = {"step": []}
    result = TrainResult(0, 0.0, history=history)
    at = set(checkpoints) if on_checkpoint is not None else set()
    start = time.perf_counter()

    def flush(upto_step: int) -> bool:
        """Bring the pending losses to the host; True when a non-finite loss was found."""
        if not pending:
            return False
        steps = {k: torch.tensor([t for t, _ in v]) for k, v in pending.items()}
        values = {k: torch.stack([x for _, x in v]).float().cpu() for k, v in pending.items()}
        bad_steps = append_log_row(history, steps, values, upto_step)
        pending.clear()
        if bad_steps:
            result.diverged_step = bad_steps[0]
            return True
        return False

    for step in range(1, budget.steps + 1):
        ctx.step = step
        ctx.cache.clear()
        for u in updates:
            if not u.active(step, budget.steps):
                continue
            if isinstance(u, Joint):
                step_losses.update(joint_update(variant, u, ctx, params, optimizers))
                continue
            opt = optimizers[u.player]
            for _ in range(u.repeat):
                loss = u.loss(ctx)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                variant.after_update(u.player)
            step_losses[u.column] = loss.detach()
        if step in at:
            t = time.perf_counter()
            isolated_call(variant, lambda: on_checkpoint(step))  # noqa: B023 (called at once)
            result.checkpoint_seconds += time.perf_counter() - t

        for k, v in step_losses.items():
            pending.setdefault(k, []).append((step, v))
        for k, v in variant.logs.items():
            pending.setdefault(k, []).append((step, v.detach()))
        step_losses.clear()
        result.steps_done = step

        if step % log_every == 0 or step == budget.steps:
            if flush(step):
                break
            if progress is not None:
                progress(step, budget.steps)
            elapsed = time.perf_counter() - start - result.checkpoint_seconds
            # the cap "bites" only when it stops training before the budget's last step
            if (
                budget.max_seconds is not None
                and elapsed > budget.max_seconds
                and step < budget.steps
            ):
                result.stopped_by_time = True
                break
    result.wall_seconds = time.perf_counter() - start - result.checkpoint_seconds
    return result
