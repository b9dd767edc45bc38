"""The full-scale reproduction trials are the longest thing the suite runs on a CPU. For each cell
of pacgan-table1 and veegan-table1 at the protocol's real sizes (GDPP's nets at batch 512, PacGAN's
nets at 100 packs), this prints:

- ganbench's trial step (ganbench.harness.train.train, the cell's hyper-parameters) against a plain
  loop of the same algorithm and nets (the simultaneous loop of scripts/plain_loops.py where the
  cell steps simultaneously, else scripts/bench_train.py's plain alternating loop): ms/step of
  each, median of `--repeats` interleaved timings, and their ratio (the issue's target: <= 1.05);
- where the cell's variant can be batched (ganbench.harness.batched), `--k` trials trained as one
  batched model against K separate trials: member-steps per second of each, median of repeats.

    .venv/bin/python scripts/bench_protocol_step.py [--steps 200] [--repeats 3] [--k 5]
        [--cells veegan-table1:GAN:ring8 pacgan-table1:GAN:ring8 ...]

One thread (as every CPU run of the suite). Timings depend on the machine's load: run it on a
quiet machine and read the ratios, not the absolute figures.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_train import plain_loop  # noqa: E402
from plain_loops import fixed_points, simultaneous_loop  # noqa: E402

from ganbench.core.config import Budget  # noqa: E402
from ganbench.core.seeding import make_generator, seed_everything  # noqa: E402
from ganbench.data import get_dataset  # noqa: E402
from ganbench.harness.batched import supports_batched, train_batched  # noqa: E402
from ganbench.harness.train import train  # noqa: E402
from ganbench.registry import get_variant  # noqa: E402
from ganbench.reproduce.protocols import get_protocol  # noqa: E402

DEFAULT_CELLS = (
    "veegan-table1:GAN:ring8",
    "veegan-table1:Unrolled GAN:ring8",
    "veegan-table1:WGAN-GP:ring8",
    "pacgan-table1:GAN:ring8",
    "pacgan-table1:PacGAN4:ring8",
)


def find_cell(text: str):
    name, label, dataset = text.split(":")
    protocol = get_protocol(name)
    return protocol, next(c for c in protocol.cells if c.label == label and c.dataset == dataset)


def time_ganbench(cell, data, steps: int) -> float:
    seed_everything(0)
    v = get_variant(cell.variant).cls(data.spec, **dict(cell.hp))
    t = time.perf_counter()
    train(v, data, Budget(steps, cell.batch_size), torch.device("cpu"), make_generator(0), 50)
    return (time.perf_counter() - t) / steps


def time_plain(cell, data, steps: int) -> float:
    seed_everything(0)
    v = get_variant(cell.variant).cls(data.spec, **dict(cell.hp))
    if dict(cell.hp).get("update") == "simultaneous":
        g = make_generator(0)
        G, D = copy.deepcopy(v.G), copy.deepcopy(v.D)
        d_opt, g_opt = v.d_optim.build(D.parameters()), v.g_optim.build(G.parameters())
        draw = fixed_points(data.train, cell.batch_size, g)
        t = time.perf_counter()
        simultaneous_loop(G, D, draw, v.latent_dim, steps, d_opt, g_opt, g)
        return (time.perf_counter() - t) / steps
    t = time.perf_counter()
    plain_loop(v, data, Budget(steps, cell.batch_size), torch.device("cpu"), make_generator(0))
    return (time.perf_counter() - t) / steps


def batched_rates(cell, data, steps: int, k: int) -> tuple[float, float]:
    """(separate, batched) member-steps per second of k trials."""
    hp = dict(cell.hp)
    budget = Budget(steps, cell.batch_size)
    t = time.perf_counter()
    for s in range(k):
        seed_everything(s)
        v = get_variant(cell.variant).cls(data.spec, **hp)
        train(v, data, budget, torch.device("cpu"), make_generator(s), 50)
    separate = k * steps / (time.perf_counter() - t)
    t = time.perf_counter()
    train_batched(cell.variant, data, list(range(k)), budget, "cpu", hp=hp)
    batched = k * steps / (time.perf_counter() - t)
    return separate, batched


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", nargs="+", default=list(DEFAULT_CELLS))
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--k", type=int, default=5, help="trials batched together")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, {args.steps} steps, median of {args.repeats}")
    print(
        f"{'cell':<36} {'batch':>5} {'ganbench ms':>11} {'plain ms':>9} {'ratio':>6}  "
        f"{'separate m-steps/s':>18} {'batched m-steps/s':>17} {'batched/sep':>11}"
    )
    for text in args.cells:
        protocol, cell = find_cell(text)
        data = get_dataset(cell.dataset)
        time_ganbench(cell, data, 5)  # warm-up
        time_plain(cell, data, 5)
        ours, plain = [], []
        for _ in range(args.repeats):  # interleaved: a load change hits both arms alike
            ours.append(time_ganbench(cell, data, args.steps))
            plain.append(time_plain(cell, data, args.steps))
        o, p = statistics.median(ours), statistics.median(plain)
        line = f"{text:<36} {cell.batch_size:>5} {1e3 * o:>11.2f} {1e3 * p:>9.2f} {o / p:>6.2f}  "
        support = supports_batched(cell.variant, data.spec, dict(cell.hp))
        if support.ok:
            sep, bat = zip(
                *(batched_rates(cell, data, args.steps, args.k) for _ in range(args.repeats)),
                strict=True,
            )
            s, b = statistics.median(sep), statistics.median(bat)
            line += f"{s:>18.0f} {b:>17.0f} {b / s:>10.2f}x"
        else:
            line += f"not batched: {support.reason[:60]}"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
