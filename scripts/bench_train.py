"""Training speed per variant family and device (issue 9): ganbench's training loop against a plain
eager loop over the same networks, and the projected wall time of `ganbench run --all --preset
standard` (the whole zoo x its default datasets x 3 seeds, one run at a time).

For each representative (variant, dataset) it times, at the standard preset's batch size for the
data kind, N steps of ganbench.harness.train.train (the harness: updates, loss buffer, host sync
every log_every steps, divergence check) and N steps of a plain loop written here: for the
two-player variants `d_loss(real, z, labels)` / `g_loss(z, labels)` with zero_grad / backward /
step and nothing else; for variants with their own players and updates (translators, VAE-GAN,
...) their update list run in order with the same StepContext, still without logging or checks.
Each is timed `--repeats` times, interleaved, after one warm-up call; the table shows the medians.

Columns: steps/s of each loop; `time ratio` = ganbench's time per step / the plain loop's (1.00:
no overhead; the issue's GPU target is <= 0.67, i.e. a batched or graphed step beating the naive
one); GFLOP per step (torch.utils.flop_counter over one plain step: matmuls and convolutions,
forward and backward) and the GFLOP/s ganbench achieves with it; GPU utilisation as
torch.cuda.utilization() (or nvidia-smi) reads it at the end of the timed harness loop, "n/a" on
a CPU. The CUDA branches are written but were not run where this script was written (no GPU).

The projection plans `run --all --preset standard --seeds 0 1 2` with ganbench.harness.suite.plan_runs
(the real run list), and gives each run its budget's steps times the measured ganbench time per
step of the same (variant, dataset), else of the same variant on data of the same kind, else the
median of the representatives of that data kind (counted as `kind median` in the table).
Evaluation (the final scoring at the standard preset's sample counts and the convergence curve's
checkpoints) is excluded unless `--eval` measures it once per representative.

    .venv/bin/python scripts/bench_train.py              # a minute or two on a CPU
    .venv/bin/python scripts/bench_train.py --quick      # seconds: 1 repeat of a few steps
    .venv/bin/python scripts/bench_train.py --eval       # + one evaluation per representative
    .venv/bin/python scripts/bench_train.py --reps gan:ring8 cgan:mnist --device cuda
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from ganbench.core.config import Budget, get_preset  # noqa: E402
from ganbench.core.seeding import make_generator, resolve_device, seed_everything  # noqa: E402
from ganbench.data import get_dataset  # noqa: E402
from ganbench.data.streams import make_stream  # noqa: E402
from ganbench.harness.train import train  # noqa: E402
from ganbench.registry import get_variant  # noqa: E402
from ganbench.variants.base import Variant  # noqa: E402
from ganbench.variants.updates import StepContext  # noqa: E402

PRESET = "standard"
SEEDS = (0, 1, 2)
# One per kind of loop: a 2-D MLP GAN, a critic with n_critic = 5 and a gradient penalty, the
# DCGAN conv pair on 28 px, a translator with its own players and updates.
DEFAULT_REPS = ("gan:ring8", "wgan-gp:ring8", "dcgan:mnist", "pix2pix:edges2mnist")
STEPS = {"points": 100, "image": 15, "translation": 8}
QUICK_STEPS = {"points": 10, "image": 2, "translation": 2}
COLUMNS = (
    "family",
    "variant",
    "dataset",
    "device",
    "batch",
    "steps",
    "ganbench steps/s",
    "plain steps/s",
    "time ratio",
    "GFLOP/step",
    "GFLOP/s",
    "GPU util",
)


@dataclass
class Measured:
    family: str
    variant: str
    dataset: str
    kind: str
    batch: int
    steps: int
    harness_sps: float  # steps per second, median over repeats
    plain_sps: float
    gflop_step: float | None
    gpu_util: str
    eval_seconds: float | None = None  # final evaluation + the curve's checkpoints, standard sizes


# --- the two loops ------------------------------------------------------------------------------


def _two_player(v: Variant) -> bool:
    """True when the variant steps as the first contract: n_critic d_loss updates, one g_loss."""
    cls = type(v)
    return all(
        getattr(cls, m) is getattr(Variant, m) for m in ("players", "updates", "d_step", "g_step")
    )


def plain_loop(v: Variant, data, budget: Budget, device: torch.device, gen: torch.Generator):
    """The loop a user writes by hand: no loss history, no host sync, no divergence check."""
    v.to(device)
    if not _two_player(v):  # own players/updates: run them in order, nothing else
        stream = make_stream(data, budget.batch_size, gen, device)
        opts = {name: p.optim.build(v.parameters_of(name)) for name, p in v.players().items()}
        ctx = StepContext(stream, 0, budget.steps, device, gen, stream.batch_size)
        updates = v.updates()
        for step in range(1, budget.steps + 1):
            ctx.step = step
            ctx.cache.clear()
            for u in updates:
                if u.active(step, budget.steps):
                    for _ in range(u.repeat):
                        loss = u.loss(ctx)
                        opts[u.player].zero_grad(set_to_none=True)
                        loss.backward()
                        opts[u.player].step()
                        v.after_update(u.player)
        return
    x = data.train.to(device)
    y = data.train_labels.to(device) if v.conditional else None
    n, bs = len(x), min(budget.batch_size, len(x))
    opt_d, opt_g = v.d_optim.build(v.d_parameters()), v.g_optim.build(v.g_parameters())
    for _ in range(budget.steps):
        for _ in range(v.n_critic):
            idx = torch.randint(n, (bs,), device=device, generator=gen)
            loss_d = v.d_loss(x[idx], v.noise(bs, device, gen), None if y is None else y[idx])
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            v.after_d_step()
        labels = (
            torch.randint(v.spec.num_classes, (bs,), device=device, generator=gen)
            if v.conditional
            else None
        )
        loss_g = v.g_loss(v.noise(bs, device, gen), labels)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()


def harness_loop(v: Variant, data, budget: Budget, device: torch.device, gen: torch.Generator):
    return train(v, data, budget, device, gen, get_preset(PRESET).log_every).steps_done


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], object], device: torch.device) -> float:
    return timed_result(fn, device)[1]


def timed_result(fn: Callable[[], object], device: torch.device) -> tuple[object, float]:
    _sync(device)
    t = time.perf_counter()
    result = fn()
    _sync(device)
    return result, time.perf_counter() - t


def gpu_utilisation(device: torch.device) -> str:
    """Percent of the last sample period the GPU ran kernels; "n/a" where it cannot be read."""
    if device.type != "cuda":
        return "n/a"
    try:
        return f"{torch.cuda.utilization(device)}%"  # needs pynvml
    except Exception:  # noqa: BLE001  fall back to nvidia-smi
        pass
    try:
        index = device.index if device.index is not None else torch.cuda.current_device()
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits",
             f"--id={index}"],
            capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
        return f"{out.stdout.strip()}%"
    except (OSError, subprocess.SubprocessError):
        return "n/a"


def flops_per_step(v: Variant, data, batch: int, device: torch.device) -> float | None:
    """GFLOP of one plain step (forward and backward of matmuls / convolutions)."""
    try:
        from torch.utils.flop_counter import FlopCounterMode
    except ImportError:
        return None
    counter = FlopCounterMode(display=False)
    try:
        with counter:
            plain_loop(v, data, Budget(1, batch), device, make_generator(1, device))
    except (RuntimeError, AssertionError):  # the counter cannot follow autograd.grad (gradient
        return None  # penalties) nor a module called under no_grad inside a step (StyleGAN2)
    return counter.get_total_flops() / 1e9


def _build(name: str, dataset: str, device: torch.device, seed: int = 0):
    seed_everything(seed)
    data = get_dataset(dataset)
    return get_variant(name).cls(data.spec).to(device), data


def measure(
    name: str, dataset: str, device: torch.device, steps: dict[str, int], repeats: int
) -> Measured:
    info = get_variant(name)
    v, data = _build(name, dataset, device)
    kind = data.spec.kind
    batch = get_preset(PRESET).budget_for(kind).batch_size
    budget = Budget(steps[kind], batch)
    gflop = flops_per_step(v, data, batch, device)
    gen = make_generator(0, device)
    plain_loop(v, data, Budget(1, batch), device, gen)  # warm-up: allocations, lazy inits
    harness_loop(v, data, Budget(1, batch), device, gen)
    plain, harness, util = [], [], "n/a"
    for _ in range(repeats):  # interleaved, so drifting machine load hits both alike
        plain.append(budget.steps / timed(lambda: plain_loop(v, data, budget, device, gen), device))
        done, seconds = timed_result(lambda: harness_loop(v, data, budget, device, gen), device)
        harness.append(int(done) / seconds)  # a diverged run stops early: count its steps only
        util = gpu_utilisation(device)
    return Measured(
        info.family, name, dataset, kind, batch, budget.steps,
        statistics.median(harness), statistics.median(plain), gflop, util,
    )  # fmt: skip


def measure_eval(name: str, dataset: str, device: torch.device) -> float:
    """Seconds of what a standard run spends scoring: the curve (set-up + one checkpoint x the
    schedule's length) and one final evaluation, at the standard preset's sample counts."""
    from ganbench.core.config import get_preset
    from ganbench.harness.curves import eval_schedule
    from ganbench.harness.run import curve_recorder
    from ganbench.harness.suite import plan_runs
    from ganbench.metrics.score import score

    (spec,) = plan_runs([name], [dataset], [0], PRESET, str(device))
    v, data = _build(name, dataset, device)
    t = time.perf_counter()
    recorder = curve_recorder(spec, v, data, device)
    setup = time.perf_counter() - t
    checkpoint = timed(lambda: recorder(1), device)
    sizes = get_preset(spec.preset).eval
    heads = v.typed_heads(device, make_generator(1, device))
    final = timed(lambda: score(heads, data, sizes, 0, spec.features, device), device)
    return setup + checkpoint * len(eval_schedule(spec.budget.steps)) + final


# --- the projection -------------------------------------------------------------------------------


@dataclass
class Projection:
    kind: str
    runs: int
    steps: int  # per run (the standard budget)
    by_kind_median: int  # runs whose rate came from the median of their kind's representatives
    train_seconds: float
    eval_seconds: float | None


def project(measured: list[Measured], device: torch.device) -> list[Projection]:
    """`run --all --preset standard --seeds 0 1 2`, one run at a time, from the measured rates."""
    from ganbench.data import get_dataset as dataset_of
    from ganbench.harness.suite import plan_runs

    specs = plan_runs(None, None, list(SEEDS), PRESET, str(device))
    sec_step = {(m.variant, m.dataset): 1 / m.harness_sps for m in measured}
    by_variant_kind = {(m.variant, m.kind): 1 / m.harness_sps for m in measured}
    kinds: dict[str, list[Measured]] = {}
    for m in measured:
        kinds.setdefault(m.kind, []).append(m)
    out: dict[str, Projection] = {}
    for s in specs:
        kind = dataset_of(s.dataset).spec.kind
        reps = kinds.get(kind, [])
        p = out.setdefault(kind, Projection(kind, 0, s.budget.steps, 0, 0.0, 0.0))
        p.runs += 1
        rate = sec_step.get((s.variant, s.dataset), by_variant_kind.get((s.variant, kind)))
        if rate is None:
            p.by_kind_median += 1
            rate = statistics.median(1 / m.harness_sps for m in reps) if reps else float("nan")
        p.train_seconds += s.budget.steps * rate
        evals = [m.eval_seconds for m in reps if m.eval_seconds is not None]
        if p.eval_seconds is not None:
            p.eval_seconds = p.eval_seconds + statistics.median(evals) if evals else None
    return list(out.values())


# --- printing -------------------------------------------------------------------------------------


def _fmt(v: float | None, digits: int = 3) -> str:
    return "n/a" if v is None else f"{v:.{digits}g}"


def _hours(seconds: float | None) -> str:
    if seconds is None:
        return "not measured"
    if math.isnan(seconds):
        return "no representative"
    return f"{seconds / 3600:.2f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


def table(rows: list[list[str]], head: tuple[str, ...] | list[str]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows, strict=True)]
    line = lambda r: "  ".join(f"{c:<{w}}" for c, w in zip(r, widths, strict=True))  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, rows)])


def report(measured: list[Measured], projection: list[Projection], device: torch.device) -> str:
    rows = []
    for m in measured:
        gflops = None if m.gflop_step is None else m.gflop_step * m.harness_sps
        rows.append([
            m.family, m.variant, m.dataset, str(device), str(m.batch), str(m.steps),
            f"{m.harness_sps:.1f}", f"{m.plain_sps:.1f}", f"{m.plain_sps / m.harness_sps:.2f}",
            _fmt(m.gflop_step), _fmt(gflops), m.gpu_util,
        ])  # fmt: skip
    threads = f", {torch.get_num_threads()} thread(s)" if device.type == "cpu" else ""
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    lines = [f"device {device} ({name}), torch {torch.__version__}{threads}", ""]
    lines += [table(rows, COLUMNS), ""]
    with_eval = all(m.eval_seconds is not None for m in measured)
    lines.append(
        f"projected `ganbench run --all --preset {PRESET} --seeds {' '.join(map(str, SEEDS))}`"
        f" on {device}, one run at a time; training "
        + ("and evaluation (measured once per representative)" if with_eval
           else "only: evaluation excluded (measure it with --eval)")
    )  # fmt: skip
    prow = []
    for p in projection:
        total = p.train_seconds + (p.eval_seconds or 0.0)
        prow.append([
            p.kind, str(p.runs), f"{p.steps:,}", str(p.by_kind_median), _hours(p.train_seconds),
            _hours(p.eval_seconds if with_eval else None), _hours(total if with_eval else None),
        ])  # fmt: skip
    train_all = sum(p.train_seconds for p in projection)
    eval_all = sum(p.eval_seconds or 0.0 for p in projection) if with_eval else None
    prow.append([
        "all", str(sum(p.runs for p in projection)), "", str(sum(p.by_kind_median for p in projection)),
        _hours(train_all), _hours(eval_all), _hours(train_all + eval_all if with_eval else None),
    ])  # fmt: skip
    head = ("kind", "runs", "steps/run", "kind median", "training", "evaluation", "total")
    lines += ["", table(prow, head)]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--reps", nargs="+", default=list(DEFAULT_REPS), metavar="VARIANT:DATASET")
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda")
    ap.add_argument("--repeats", type=int, help="timed repeats per loop (default 3, --quick 1)")
    ap.add_argument("--steps", type=int, help="steps per timing for every kind (default per kind)")
    ap.add_argument("--quick", action="store_true", help="a few steps, one repeat: seconds")
    ap.add_argument("--eval", action="store_true", help="also time one standard evaluation each")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = resolve_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(1)  # as every CPU run of the suite (ganbench.harness.suite.run_one)
    steps = dict(QUICK_STEPS if args.quick else STEPS)
    if args.steps is not None:
        steps = {k: args.steps for k in steps}
    repeats = args.repeats or (1 if args.quick else 3)
    measured = []
    for rep in args.reps:
        name, _, dataset = rep.partition(":")
        if not dataset:
            raise SystemExit(f"bench_train: --reps {rep!r}: give VARIANT:DATASET, e.g. gan:ring8")
        m = measure(name, dataset, device, steps, repeats)
        if args.eval:
            m.eval_seconds = measure_eval(name, dataset, device)
        measured.append(m)
    print(report(measured, project(measured, device), device), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
