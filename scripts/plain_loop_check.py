"""Hold a reproduction cell's trials trained by ganbench against the same cell trained by a plain
loop of the paper's algorithm (scripts/plain_loops.py), same seeds, same initial networks, same
budget, both scored by ganbench's mixture coverage on 2,500 samples (G in eval mode). Prints each
trial, the mean ± standard error of each arm, and whether the two arms' means are within two
combined standard errors (the test the issue asks of the protocol cell).

    .venv/bin/python scripts/plain_loop_check.py --protocol pacgan-table1 --cell GAN \
        --dataset ring8 --trials 3 --steps 2000
    .venv/bin/python scripts/plain_loop_check.py --protocol veegan-table1 --cell GAN \
        --dataset ring8 --trials 5 --steps 25000 --fresh-data     # GDPP samples every batch

Only cells whose variant is a plain GAN stepped simultaneously (gan, pacgan with
update=simultaneous) have a plain loop here. One thread, as every CPU run of the suite.
"""

from __future__ import annotations

import argparse
import copy
import math
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from plain_loops import fixed_points, fresh_mixture, simultaneous_loop  # noqa: E402

from ganbench.core.config import Budget  # noqa: E402
from ganbench.core.seeding import make_generator, seed_everything  # noqa: E402
from ganbench.data import get_dataset  # noqa: E402
from ganbench.harness.train import train  # noqa: E402
from ganbench.metrics.modes import mixture_coverage  # noqa: E402
from ganbench.registry import get_variant  # noqa: E402
from ganbench.reproduce.protocols import get_protocol  # noqa: E402

N_EVAL = 2500


def score(G: torch.nn.Module, latent_dim: int, data, seed: int) -> dict[str, float]:
    was = G.training
    G.eval()
    with torch.no_grad():
        x = G(torch.randn(N_EVAL, latent_dim, generator=make_generator(seed + 1_000_003)))
    G.train(was)
    m = data.mixture
    return mixture_coverage(x, m.centres, m.sigma)


def mean_se(xs: list[float]) -> tuple[float, float]:
    if len(xs) < 2:
        return xs[0], float("nan")
    return statistics.mean(xs), statistics.stdev(xs) / math.sqrt(len(xs))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--protocol", default="pacgan-table1")
    ap.add_argument("--cell", default="GAN")
    ap.add_argument("--dataset", default="ring8")
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--fresh-data", action="store_true", help="a new mixture sample per batch")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    protocol = get_protocol(args.protocol)
    cell = next(c for c in protocol.cells if c.label == args.cell and c.dataset == args.dataset)
    hp = dict(cell.hp)
    if hp.get("update") != "simultaneous" or cell.variant not in ("gan", "pacgan"):
        raise SystemExit(f"{cell.label}: no plain loop for {cell.variant} with {hp}")
    data = get_dataset(cell.dataset)
    cls = get_variant(cell.variant).cls
    print(
        f"{protocol.name} v{protocol.version} cell {cell.label} on {cell.dataset}: {cell.variant} "
        f"{hp}, batch {cell.batch_size}, {args.steps} steps, {args.trials} trials, "
        f"data {'fresh mixture samples' if args.fresh_data else 'the fixed training points'}"
    )
    arms: dict[str, list[dict[str, float]]] = {"ganbench": [], "plain": []}
    seconds = {"ganbench": 0.0, "plain": 0.0}
    for seed in range(args.trials):
        seed_everything(seed)
        v = cls(data.spec, **hp)
        nets = copy.deepcopy({"G": v.G, "D": v.D})  # the plain arm starts from the same weights
        t = time.perf_counter()
        train(v, data, Budget(args.steps, cell.batch_size), torch.device("cpu"), make_generator(seed))
        seconds["ganbench"] += time.perf_counter() - t
        arms["ganbench"].append(score(v.G, v.latent_dim, data, seed))
        g = make_generator(seed)
        draw = (
            fresh_mixture(data.mixture, cell.batch_size, g)
            if args.fresh_data
            else fixed_points(data.train, cell.batch_size, g)
        )
        d_opt = v.d_optim.build(nets["D"].parameters())
        g_opt = v.g_optim.build(nets["G"].parameters())
        t = time.perf_counter()
        simultaneous_loop(nets["G"], nets["D"], draw, v.latent_dim, args.steps, d_opt, g_opt, g)
        seconds["plain"] += time.perf_counter() - t
        arms["plain"].append(score(nets["G"], v.latent_dim, data, seed))
        print(
            f"  trial {seed}: ganbench modes {arms['ganbench'][-1]['modes_covered']} hq "
            f"{arms['ganbench'][-1]['hq_fraction']:.3f} | plain modes "
            f"{arms['plain'][-1]['modes_covered']} hq {arms['plain'][-1]['hq_fraction']:.3f}",
            flush=True,
        )
    for metric in ("modes_covered", "hq_fraction", "reverse_kl"):
        (ma, sa), (mb, sb) = (mean_se([r[metric] for r in arms[k]]) for k in ("ganbench", "plain"))
        within = abs(ma - mb) <= 2 * math.sqrt(sa**2 + sb**2) if args.trials > 1 else None
        print(
            f"{metric:>14}: ganbench {ma:.4g} ± {sa:.2g}   plain {mb:.4g} ± {sb:.2g}   "
            f"within two combined s.e.: {within}"
        )
    per_step = {k: 1000 * s / (args.trials * args.steps) for k, s in seconds.items()}
    print(
        f"ms/step: ganbench {per_step['ganbench']:.2f}, plain {per_step['plain']:.2f} "
        f"(ratio {per_step['ganbench'] / per_step['plain']:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
