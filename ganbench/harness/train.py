"""The harness loop shared by every variant: batches, its updates in order, optimizers, budget,
logging. A step runs the variant's `updates()` (ganbench.variants.updates): for each active update,
`repeat` times, its loss, then zero_grad / backward / step of that player's optimizer (a Joint
update: every player's gradient first, then every step; a Custom step: the variant's own sequence
through the same stepping). The harness also keeps what variants only declare: the EMA of their
`ema_nets` (ganbench/harness/ema.py), the lazy regularisers' loss scale and optimizer correction,
and the phase of each step (`schedule()` -> `on_phase`). `save_state` / `resume` stop and continue
a run exactly where it was.

Per step it only launches the math: losses stay on the device in a buffer and come to the host once
every `log_every` steps, where divergence (a non-finite loss) is located to its exact step.

`checkpoints` / `on_checkpoint`: a callback (e.g. the convergence curve, ganbench/harness/curves.py) run
after the generator update of the listed steps. It cannot change training: it runs under no_grad
with the global RNGs (Python, NumPy, torch CPU and CUDA) saved and restored, every module's
train/eval flag and buffers (batch-norm running statistics) restored, and its time kept off the
training clock (so a `max_seconds` cap stops at the same step with or without it).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from ganbench.core.config import Budget
from ganbench.core.precision import autocast
from ganbench.core.precision import configure as configure_precision
from ganbench.core.precision import prepare as prepare_precision
from ganbench.core.seeding import global_rng_state, rng_untouched, set_global_rng_state
from ganbench.data.base import Dataset
from ganbench.data.streams import BatchStream, make_stream
from ganbench.harness.ema import Averager
from ganbench.variants.base import Model
from ganbench.variants.updates import Custom, Joint, StepContext, Stepper, Update

__all__ = [
    "BatchStream",
    "TrainResult",
    "append_log_row",
    "build_optimizers",
    "isolated_call",
    "joint_update",
    "train",
    "train_state",
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


def isolated_call(variant: Model, fn: Callable[[], None]) -> None:
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
    variant: Model, u: Joint, ctx: StepContext, optimizers: dict[str, torch.optim.Optimizer]
) -> dict[str, torch.Tensor]:
    """A simultaneous update: each player's gradient of its own loss, all taken before any
    player steps; then every player steps. Returns the losses by column."""
    losses = u.losses(ctx)
    players = u.players
    for i, player in enumerate(players):
        params = variant.parameters_of(player)
        grads = torch.autograd.grad(
            losses[player], params, retain_graph=i < len(players) - 1, allow_unused=True
        )
        for p, g in zip(params, grads, strict=True):
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


def build_optimizers(variant: Model, updates: list) -> dict[str, torch.optim.Optimizer]:
    """One optimizer per player over its nets' parameters; a player with a lazy update gets the
    StyleGAN2 correction of its optimizer (OptimSpec.lazy)."""
    players = variant.players()
    for u in updates:
        for player in u.players:
            if player not in players:
                raise ValueError(
                    f"{variant.name}: an update steps player {player!r}, which is not one of "
                    f"its players ({', '.join(players)})"
                )
    lazy = {u.player: u.every for u in updates if isinstance(u, Update) and u.lazy}
    optimizers = {}
    for name, player in players.items():
        spec = player.optim.lazy(lazy[name]) if name in lazy else player.optim
        optimizers[name] = spec.build(variant.parameters_of(name))
    return optimizers


def make_averager(variant: Model) -> Averager | None:
    """The EMA of the variant's ema_nets when its ema_half_life > 0 (ganbench/harness/ema.py)."""
    half_life = variant.hp.get("ema_half_life") or 0
    if not half_life or not variant.ema_nets:
        return None
    nets = {k: variant.nets[k] for k in variant.ema_nets}
    return Averager(nets, half_life, variant.hp.get("ema_rampup"))


def train(
    variant: Model,
    data: Dataset,
    budget: Budget,
    device: torch.device,
    generator: torch.Generator,
    log_every: int = 50,
    progress: ProgressFn | None = None,
    checkpoints: Sequence[int] = (),
    on_checkpoint: Callable[[int], None] | None = None,
    resume: dict[str, Any] | None = None,
    save_state: Callable[[dict[str, Any]], None] | None = None,
    save_every: int | None = None,
    precision: str = "fp32",
    save_every_seconds: float | None = None,
) -> TrainResult:
    """Train `variant` on `data.train` for `budget`; returns the loss history and what stopped it.

    on_checkpoint(step) runs after the updates of every step in `checkpoints`, isolated from
    training (see isolated_call); its time is in `checkpoint_seconds`, not `wall_seconds`.
    save_state(state) is called at the first log row after every `save_every` steps (or
    `save_every_seconds` of this call's training) with the whole training state (TrainState);
    `resume=state` continues from it exactly as the run would have gone on (the same networks,
    optimizers, EMA, RNGs and data order).
    precision: ganbench.core.precision (the losses' forward passes under autocast for bf16)."""
    variant.to(device)
    configure_precision(precision, device)
    prepare_precision(precision, variant.modules().values())
    for m in variant.modules().values():
        m.train()
    stream = make_stream(data, budget.batch_size, generator, device)
    updates = variant.updates()
    optimizers = build_optimizers(variant, updates)
    averager = make_averager(variant)
    variant.averaged = averager.copies if averager else {}
    schedule = variant.schedule()
    ctx = StepContext(stream, 0, budget.steps, device, generator, stream.batch_size)

    # column -> [(step, loss)]: an update outside its window logs nothing that step
    pending: dict[str, list[tuple[int, torch.Tensor]]] = {}
    step_losses: dict[str, torch.Tensor] = {}
    history: dict[str, list[float]] = {"step": []}
    result = TrainResult(0, 0.0, history=history)
    first = 1
    if resume is not None:
        first = load_train_state(resume, variant, optimizers, averager, stream, generator) + 1
        history.update({k: list(v) for k, v in resume["history"].items()})
        result.steps_done = first - 1
    at = set(checkpoints) if on_checkpoint is not None else set()
    last_saved = first - 1
    start = time.perf_counter()
    last_saved_at = start

    def save_due(step: int) -> bool:
        if save_state is None:
            return False
        by_steps = bool(save_every) and step - last_saved >= save_every
        by_time = (save_every_seconds is not None
                   and time.perf_counter() - last_saved_at >= save_every_seconds)  # fmt: skip
        return by_steps or by_time

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

    for step in range(first, budget.steps + 1):
        ctx.step = step
        ctx.cache.clear()
        if schedule is not None:
            variant.on_phase(schedule.at(step, budget.steps))
        for u in updates:
            if not u.active(step, budget.steps):
                continue
            if isinstance(u, Joint):
                with autocast(precision, device):
                    step_losses.update(joint_update(variant, u, ctx, optimizers))
                continue
            if isinstance(u, Custom):
                with autocast(precision, device):
                    losses = u.fn(ctx, Stepper(variant, optimizers))
                step_losses.update({k: v.detach() for k, v in losses.items()})
                continue
            opt = optimizers[u.player]
            for _ in range(u.repeat):
                with autocast(precision, device):
                    loss = u.loss(ctx)
                opt.zero_grad(set_to_none=True)
                (loss * u.every if u.lazy else loss).backward()
                opt.step()
                variant.after_update(u.player)
            step_losses[u.column] = loss.detach()
        if averager is not None:
            averager.update(stream.batch_size)
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
            if save_due(step) and step < budget.steps:
                state = train_state(step, variant, optimizers, averager, stream, generator, history)
                # this call's training seconds so far, for a resumed run's clock
                state["seconds"] = time.perf_counter() - start - result.checkpoint_seconds
                save_state(state)
                last_saved, last_saved_at = step, time.perf_counter()
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


def train_state(
    step: int,
    variant: Model,
    optimizers: dict[str, torch.optim.Optimizer],
    averager: Averager | None,
    stream: Any,
    generator: torch.Generator,
    history: dict[str, list[float]],
) -> dict[str, Any]:
    """Everything a run needs to go on after `step` as if it had never stopped (saved at a log
    row, so no loss is pending): nets, optimizers, EMA, the variant's own state, the data order,
    the run's generator and the global RNGs (some losses draw from them)."""
    state = {
        "step": step,
        "nets": {k: m.state_dict() for k, m in variant.nets.items()},
        "optimizers": {k: o.state_dict() for k, o in optimizers.items()},
        "ema": averager.state_dict() if averager else None,
        "variant": variant.extra_state(),
        "stream": stream.state_dict(),
        "generator": generator.get_state(),
        "rng": global_rng_state(),
        "history": {k: list(v) for k, v in history.items()},
    }
    return copy.deepcopy(state)  # a snapshot: state_dicts share storage with the live tensors


def load_train_state(
    state: dict[str, Any],
    variant: Model,
    optimizers: dict[str, torch.optim.Optimizer],
    averager: Averager | None,
    stream: Any,
    generator: torch.Generator,
) -> int:
    """Put a run back where train_state left it; returns the step it had done."""
    for k, sd in state["nets"].items():
        variant.nets[k].load_state_dict(sd)
    for k, sd in state["optimizers"].items():
        optimizers[k].load_state_dict(sd)
    if averager is not None and state["ema"] is not None:
        averager.load_state_dict(state["ema"])
    variant.load_extra_state(state["variant"])
    stream.load_state_dict(state["stream"])
    generator.set_state(state["generator"])
    set_global_rng_state(state["rng"])
    return int(state["step"])
