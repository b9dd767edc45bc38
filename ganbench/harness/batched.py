"""K seeds of one variant trained as one batched model (issue 9: many small runs at once).

Member k is built exactly as a separate run builds it (ganbench/harness/suite.py run_one:
`seed_everything(seed_k)`, then the variant's constructor), so it starts from the same weights.
The members' G and D parameters are stacked (`torch.func.stack_module_state`, a leading K axis)
and every update is one `torch.func.vmap` call of the variant's own `d_loss` / `g_loss`, run
through `torch.func.functional_call` with member k's slice of the parameters. Each member keeps
its own data stream and generator (`make_generator(seed_k)`) and draws through the variant's own
`d_step` / `g_step`, in the order a separate run draws, so member k sees the same real batches
and noise as the separate run of seed k; it then differs from it only by float rounding (vmap
batches the matmuls, which may change the reduction order).

One optimizer over the stacked tensors is K independent optimizers: we step on the SUM of the K
members' losses, and since member j's loss does not depend on member k's parameters, the sum's
gradient with respect to member k's slice is member k's own gradient. Adam, RMSprop and SGD (with
momentum) update every element from that element's gradient and state alone, so each slice gets
exactly the update its own optimizer would give. (The step counter is shared, but all members step
together.) A member that diverges cannot disturb the others for the same reason; it is frozen at
the log step where a separate run would have stopped.

Supported (`supports_batched` says why not): two-player `Variant`s on 2-D `points` data whose
networks have no batch norm or parametrizations (spectral norm updates buffers in place), whose
step is the base class's (players / updates / d_step / g_step not overridden), whose state lives
in G and D only, whose after-critic hook is none or vetted element-wise (WGAN's weight clipping),
and whose losses run under vmap (a probe step says; e.g. SGAN's `nonzero` does not; the gradient
penalties take the input gradient with torch.func.grad, which does). A loss that draws from
the global RNG (not the run's generator) runs with vmap's randomness="different": such members
match separate runs in distribution only.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from ganbench.core.config import Budget
from ganbench.core.errors import GanbenchError
from ganbench.core.precision import autocast
from ganbench.core.precision import configure as configure_precision
from ganbench.core.seeding import make_generator, rng_untouched, seed_everything
from ganbench.data.base import Dataset, DataSpec
from ganbench.data.streams import make_stream
from ganbench.harness.train import ProgressFn, TrainResult, append_log_row, isolated_call, train
from ganbench.registry import VariantInfo, get_variant
from ganbench.variants.base import Translator, Variant
from ganbench.variants.updates import Custom, Joint, StepContext

# The methods a batched step replaces or replays; a variant that overrides one has its own step.
_BASE_STEP = (
    "players",
    "updates",
    "d_step",
    "g_step",
    "after_update",
    "d_parameters",
    "g_parameters",
    "modules",
)


def _elementwise_hook(cls: type) -> bool:
    """Whether cls's after_d_step acts element-wise on D's parameters, so that running it once on
    the stacked tensors is running it on each member (WGAN's clamp_): the class that defines the
    hook says so with `after_d_step_elementwise = True` beside it."""
    owner = next(c for c in cls.__mro__ if "after_d_step" in vars(c))
    return owner is Variant or bool(vars(owner).get("after_d_step_elementwise", False))


class BatchedUnsupported(GanbenchError):
    """The variant (or data) cannot be trained batched; run its seeds separately."""

    def __init__(self, variant: str, reason: str) -> None:
        super().__init__(f"variant {variant!r} cannot be trained batched: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class Support:
    ok: bool
    reason: str = ""  # why not, when not ok; when ok but not exact, why not exact
    # True: member k draws exactly what the separate run of seed k draws (equal up to rounding);
    # False when ok: a loss draws from the global RNG, so members match separate runs in
    # distribution only
    exact: bool = False


@dataclass
class MemberRun:
    """One member of a batched run: its seed, its variant with the trained weights loaded back
    (evaluate it like a separate run's), and its training result."""

    seed: int
    variant: Variant
    result: TrainResult


def _static_reason(cls: type, spec: DataSpec) -> str:
    """Why `cls` cannot be batched on `spec` from its class alone ('' when nothing is known)."""
    if isinstance(cls, type) and issubclass(cls, Translator):
        return "translation variants (Translator) have their own players and updates"
    if not isinstance(cls, type) or not issubclass(cls, Variant):
        return f"{cls!r} is not a Variant class"
    if spec.kind != "points":
        return f"only 2-D points data are batched, not {spec.kind} data like {spec.name!r}"
    for name in _BASE_STEP:
        if getattr(cls, name) is not getattr(Variant, name):
            return f"it overrides {name}(), so its step is not the two-player one batching replays"
    if not _elementwise_hook(cls):
        return "its after_d_step() hook is not known to act element-wise on stacked parameters"
    return ""


def _instance_reason(v: Variant) -> str:
    """Why this built variant cannot be batched ('' when nothing is found)."""
    if set(v.nets) != {"G", "D"} or v.g_nets != ("G",):
        return f"it has networks besides G and D ({', '.join(sorted(v.nets))})"
    if v.hp.get("ema_half_life"):
        return "it keeps an EMA of its generator, which batched training does not keep"
    if v.schedule() is not None:
        return "its step changes with a schedule (phases)"
    for net_name, net in (("G", v.G), ("D", v.D)):
        for m in net.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                return (
                    f"its {net_name} has batch norm ({type(m).__name__}), whose running "
                    "statistics update in place, which vmap cannot batch"
                )
            if torch.nn.utils.parametrize.is_parametrized(m):
                return (
                    f"its {net_name} has parametrizations (e.g. spectral norm), whose "
                    "power-iteration buffers update in place"
                )
    for key, value in vars(v).items():  # state the stacked networks would not carry
        if key in ("G", "D", "logs", "oracle", "nets", "averaged"):
            continue
        if isinstance(value, (torch.Tensor, nn.Module)):
            return f"it keeps state outside G and D ({key!r})"
    return ""


def supports_batched(
    variant: str | type | VariantInfo, spec: DataSpec, hp: dict[str, Any] | None = None
) -> Support:
    """Whether `variant` (with hyper-parameters `hp`) can be trained batched on data of `spec`;
    a runner falls back to separate runs when not. Static checks first, then one probe step of
    two members under vmap (global RNGs untouched), which finds losses that vmap cannot run and
    losses that draw from the global RNG (then `exact` is False)."""
    cls = _variant_class(variant)
    reason = _static_reason(cls, spec)
    if reason:
        return Support(False, reason)
    x = torch.zeros(8, *spec.shape)
    labels = torch.zeros(8, dtype=torch.long) if spec.num_classes else None
    probe_data = Dataset(spec, x, x, labels)

    def probe(randomness: str) -> None:
        with rng_untouched():
            members = [cls(spec, **(hp or {})) for _ in range(2)]
            gens = [make_generator(s) for s in range(2)]
            cpu = torch.device("cpu")
            train_members(members, probe_data, Budget(1, 4), cpu, gens, randomness=randomness)

    try:
        probe("error")  # vmap refuses global-RNG draws in this mode
        return Support(True, exact=True)
    except BatchedUnsupported as exc:
        if "randomness" not in str(exc):
            return Support(False, exc.reason)
    try:
        probe("different")
    except BatchedUnsupported as exc:
        return Support(False, exc.reason)
    why = "a loss draws from the global RNG: members match separate runs in distribution only"
    return Support(True, why, exact=False)


def _variant_class(variant: str | type | VariantInfo) -> type:
    if isinstance(variant, str):
        return get_variant(variant).cls
    if isinstance(variant, VariantInfo):
        return variant.cls
    return variant


class _Bound:
    """A network called with one member's parameters: what the variant's losses see as self.G /
    self.D inside vmap."""

    def __init__(self, base: nn.Module, state: tuple[dict[str, Any], dict[str, Any]]) -> None:
        self.base, self.state = base, state

    def __call__(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        return functional_call(self.base, self.state, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"its losses use {type(self.base).__name__}.{name}, not only the network's forward"
        )


class _Stacked:
    """The K members' G and D as stacked tensors, with one optimizer per player over them."""

    def __init__(self, members: Sequence[Variant]) -> None:
        self.members = list(members)
        self.params: dict[str, dict[str, torch.Tensor]] = {}
        self.buffers: dict[str, dict[str, torch.Tensor]] = {}
        self.base: dict[str, nn.Module] = {}
        for net in ("G", "D"):
            mods = [getattr(m, net) for m in self.members]
            self.params[net], self.buffers[net] = stack_module_state(mods)
            # A skeleton on the meta device: functional_call supplies every tensor.
            self.base[net] = copy.deepcopy(mods[0]).to("meta")
        first = self.members[0]
        self.optimizers = {
            "D": first.d_optim.build(self.params["D"].values()),
            "G": first.g_optim.build(self.params["G"].values()),
        }
        # The variant whose loss methods run inside vmap, its G / D swapped for _Bound ones.
        self.template = copy.copy(first)
        self._d_view: nn.Module | None = None

    def d_view(self) -> nn.Module:
        """D's skeleton whose parameters are the stacked tensors themselves (for hooks that act
        in place on D.parameters())."""
        if self._d_view is None:
            view = copy.deepcopy(self.base["D"])
            for name, p in self.params["D"].items():
                *path, leaf = name.split(".")
                view.get_submodule(".".join(path))._parameters[leaf] = p
            self._d_view = view
        return self._d_view

    def loss_fn(self, loss: str) -> Callable[..., tuple[torch.Tensor, dict[str, torch.Tensor]]]:
        """(G params, G buffers, D params, D buffers, *loss args) -> (loss, logs) of one member."""
        t = self.template

        def member(gp, gb, dp, db, *args):
            t.G, t.D = _Bound(self.base["G"], (gp, gb)), _Bound(self.base["D"], (dp, db))
            t.logs = {}
            value = getattr(t, loss)(*args)
            return value, dict(t.logs)

        return member

    def load_into(self, k: int) -> Variant:
        """Copy member k's slice back into its own variant's networks; returns the variant."""
        v = self.members[k]
        with torch.no_grad():
            for net in ("G", "D"):
                mod = getattr(v, net)
                for name, p in mod.named_parameters():
                    p.copy_(self.params[net][name][k])
                for name, b in mod.named_buffers():
                    b.copy_(self.buffers[net][name][k])
        return v


class _Draws:
    """Replays a member's own d_step / g_step to record what it draws (real batch, noise,
    labels) from its stream and generator, without running its loss."""

    def __init__(self, member: Variant) -> None:
        self.recorder = copy.copy(member)
        self.args: tuple[Any, ...] = ()

        def record(*args: Any) -> torch.Tensor:
            self.args = args
            return torch.zeros(())

        self.recorder.d_loss = record  # instance attributes shadow the class's methods
        self.recorder.g_loss = record

    def draw(self, step: str, ctx: StepContext) -> tuple[Any, ...]:
        getattr(self.recorder, step)(ctx)
        return self.args


def _stack_args(per_member: list[tuple[Any, ...]]) -> tuple[list[Any], list[int | None]]:
    """Stack each loss argument over the members (None stays None, not batched)."""
    out, dims = [], []
    for column in zip(*per_member, strict=True):
        if column[0] is None:
            out.append(None)
            dims.append(None)
        else:
            out.append(torch.stack(column))
            dims.append(0)
    return out, dims


def train_members(
    members: Sequence[Variant],
    data: Dataset,
    budget: Budget,
    device: torch.device,
    generators: Sequence[torch.Generator],
    log_every: int = 50,
    checkpoints: Sequence[int] = (),
    on_checkpoint: Callable[[int, int], None] | None = None,
    progress: ProgressFn | None = None,
    randomness: str = "different",
    precision: str = "fp32",
) -> list[TrainResult]:
    """Train the already built `members` (one variant class, one hyper-parameter set) together,
    member k drawing from generators[k] as ganbench.harness.train.train would; afterwards each
    member's networks hold its trained weights. Returns one TrainResult per member.

    on_checkpoint(k, step) runs after the generator update of each step in `checkpoints` with
    member k's current weights loaded into members[k], isolated like train's. A `max_seconds` cap
    applies to the batch as a whole; each member's wall_seconds is its 1/K share. `randomness` is
    vmap's, for draws from the global RNG inside a loss ("different": each member its own)."""
    if not members or len(members) != len(generators):
        raise ValueError("train_members needs one generator per member, and at least one member")
    cls = type(members[0])
    if any(type(m) is not cls or m.hp != members[0].hp for m in members):
        raise BatchedUnsupported(cls.name, "batched members must share one class and its hp")
    reason = _static_reason(cls, data.spec) or _instance_reason(members[0])
    if reason:
        raise BatchedUnsupported(cls.name, reason)
    for m in members:
        m.to(device)
        for mod in m.modules().values():
            mod.train()
    K = len(members)
    configure_precision(precision, device)
    # the data on the device once (make_stream's .to is then a no-op), not once per member
    labels = None if data.train_labels is None else data.train_labels.to(device)
    data = dataclasses.replace(data, train=data.train.to(device), train_labels=labels)
    streams = [make_stream(data, budget.batch_size, g, device) for g in generators]
    ctxs = [
        StepContext(s, 0, budget.steps, device, g, s.batch_size)
        for s, g in zip(streams, generators, strict=True)
    ]
    draws = [_Draws(m) for m in members]
    stacked = _Stacked(members)
    updates = members[0].updates()
    if any(isinstance(u, Joint | Custom) for u in updates):
        raise BatchedUnsupported(cls.name, "a simultaneous or custom step is not batched")
    loss_of = {"d_step": "d_loss", "g_step": "g_loss"}
    batched: dict[tuple[str, tuple], Callable] = {}  # (loss, in_dims) -> the vmapped function

    results = [TrainResult(0, 0.0, history={"step": []}) for _ in members]
    live = list(range(K))  # members still training (not diverged)
    pending: dict[str, list[tuple[int, torch.Tensor]]] = {}  # column -> [(step, (K,) losses)]
    logs: dict[str, torch.Tensor] = {}
    at = set(checkpoints) if on_checkpoint is not None else set()
    checkpoint_seconds = 0.0
    start = time.perf_counter()

    def run_update(u) -> torch.Tensor:
        step_name = u.loss.__name__  # the base class's d_step / g_step (_static_reason)
        loss = loss_of[step_name]
        args, dims = _stack_args([d.draw(step_name, c) for d, c in zip(draws, ctxs, strict=True)])
        key = (loss, tuple(dims))
        if key not in batched:
            batched[key] = vmap(
                stacked.loss_fn(loss), in_dims=(0, 0, 0, 0, *dims), randomness=randomness
            )
        state = (
            stacked.params["G"],
            stacked.buffers["G"],
            stacked.params["D"],
            stacked.buffers["D"],
        )
        try:
            with autocast(precision, device):
                values, member_logs = batched[key](*state, *args)
        except Exception as exc:  # a loss vmap cannot run: say which and why
            first_line = (str(exc).splitlines() or [""])[0]
            raise BatchedUnsupported(
                cls.name,
                f"its {loss} does not run under torch.func.vmap "
                f"({type(exc).__name__}: {first_line})",
            ) from exc
        opt = stacked.optimizers[u.player]
        opt.zero_grad(set_to_none=True)
        values.sum().backward()  # the sum's gradient w.r.t. member k's slice is member k's own
        opt.step()
        if u.player == "D":
            _after_d_step(stacked)
        logs.update(member_logs)
        return values.detach()

    for step in range(1, budget.steps + 1):
        step_losses: dict[str, torch.Tensor] = {}
        for c in ctxs:
            c.step = step
            c.cache.clear()
        for u in updates:
            if not u.active(step, budget.steps):
                continue
            for _ in range(u.repeat):
                step_losses[u.column] = run_update(u)
        if step in at:
            t = time.perf_counter()
            for k in live:
                member = stacked.load_into(k)
                isolated_call(member, lambda k=k: on_checkpoint(k, step))  # noqa: B023
            checkpoint_seconds += time.perf_counter() - t
        for key, v in {**step_losses, **logs}.items():
            pending.setdefault(key, []).append((step, v.detach()))
        for k in live:
            results[k].steps_done = step

        if step % log_every == 0 or step == budget.steps:
            for k in _flush(pending, results, live, step):
                stacked.load_into(k)  # frozen where its separate run would have stopped
                live.remove(k)
            pending.clear()
            if progress is not None:
                progress(step, budget.steps)
            elapsed = time.perf_counter() - start - checkpoint_seconds
            over_time = budget.max_seconds is not None and elapsed > budget.max_seconds
            if not live:
                break
            if over_time and step < budget.steps:
                for k in live:
                    results[k].stopped_by_time = True
                break
    for k in live:
        stacked.load_into(k)
    wall = time.perf_counter() - start - checkpoint_seconds
    for r in results:
        r.wall_seconds = wall / K
        r.checkpoint_seconds = checkpoint_seconds / K
    return results


@torch.no_grad()
def _after_d_step(stacked: _Stacked) -> None:
    """The variant's after-critic hook, run once on the stacked D parameters (only element-wise
    hooks are admitted, so this is the hook run on every member)."""
    t = stacked.template
    if type(t).after_d_step is Variant.after_d_step:
        return
    t.D = stacked.d_view()
    t.after_d_step()


def _flush(
    pending: dict[str, list[tuple[int, torch.Tensor]]],
    results: list[TrainResult],
    live: list[int],
    upto_step: int,
) -> list[int]:
    """Add one history row per live member, as ganbench.harness.train's flush does for one run;
    returns the members whose losses were not finite (their diverged_step is set)."""
    if not pending:
        return []
    diverged = []
    steps = {k: torch.tensor([t for t, _ in v]) for k, v in pending.items()}
    values = {k: torch.stack([x for _, x in v]).float().cpu() for k, v in pending.items()}
    for m in live:
        column_of = {k: v[:, m] for k, v in values.items()}
        bad = append_log_row(results[m].history, steps, column_of, upto_step)
        if bad:
            results[m].diverged_step = bad[0]
            diverged.append(m)
    return diverged


def build_members(
    variant: str | type | VariantInfo,
    data: Dataset,
    seeds: Sequence[int],
    hp: dict[str, Any] | None = None,
) -> list[Variant]:
    """One variant per seed, each built as run_one builds a separate run's: seed_everything(seed),
    then the constructor, so member k starts from seed k's initial weights."""
    cls = _variant_class(variant)
    members = []
    for s in seeds:
        seed_everything(int(s))
        members.append(cls(data.spec, **(hp or {})))
    return members


def train_batched(
    variant: str | type | VariantInfo,
    data: Dataset,
    seeds: Sequence[int],
    budget: Budget,
    device: torch.device | str = "cpu",
    hp: dict[str, Any] | None = None,
    log_every: int = 50,
    checkpoints: Sequence[int] = (),
    on_checkpoint: Callable[[int, int], None] | None = None,
    progress: ProgressFn | None = None,
) -> list[MemberRun]:
    """Train `variant` on `data` for every seed in `seeds` as one batched model; returns one
    MemberRun per seed (in order) whose variant holds that seed's trained weights, to evaluate
    with ganbench.metrics.evaluate like a separate run. Raises BatchedUnsupported (naming why)
    when the variant cannot be batched; see supports_batched. One seed runs the plain loop
    (ganbench.harness.train.train), which the batched one equals up to rounding."""
    device = torch.device(device)
    cls = _variant_class(variant)
    reason = _static_reason(cls, data.spec)
    if reason:
        raise BatchedUnsupported(cls.name, reason)
    members = build_members(cls, data, seeds, hp)
    gens = [make_generator(int(s), device) for s in seeds]
    reason = _instance_reason(members[0])  # the same verdict for one seed as for many
    if reason:
        raise BatchedUnsupported(cls.name, reason)
    if len(members) == 1:  # nothing to batch: the plain loop, without vmap's overhead
        hook = None if on_checkpoint is None else (lambda step: on_checkpoint(0, step))
        res = train(
            members[0], data, budget, device, gens[0], log_every, progress, checkpoints, hook
        )
        return [MemberRun(int(seeds[0]), members[0], res)]
    results = train_members(
        members, data, budget, device, gens, log_every, checkpoints, on_checkpoint, progress
    )
    return [MemberRun(int(s), m, r) for s, m, r in zip(seeds, members, results, strict=True)]
