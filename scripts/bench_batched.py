"""K seeds trained separately (K calls of ganbench.harness.train.train, one after another) against
one batched run of the same K (ganbench.harness.batched.train_members). Prints member-steps per
second (K x steps / seconds) of both, medians over repeats, and batched / separate.

    .venv/bin/python scripts/bench_batched.py [--variant gan] [--dataset ring8] [--k 1 4 16]
        [--steps 100] [--repeats 3] [--device cpu]

On the CPU the script runs single-threaded (as run_one does). Evaluation is not timed; the
weights and draws are the same in both arms (see batched.py), so only the step's cost differs.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from ganbench.core.config import Budget
from ganbench.core.seeding import make_generator, resolve_device, seed_everything
from ganbench.data import get_dataset
from ganbench.harness.batched import build_members, train_members
from ganbench.harness.train import train
from ganbench.registry import get_variant


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def separate_seconds(name, data, seeds, budget, device) -> float:
    cls = get_variant(name).cls
    total = 0.0
    for s in seeds:
        seed_everything(s)
        v = cls(data.spec)
        sync(device)
        t = time.perf_counter()
        train(v, data, budget, device, make_generator(s, device), log_every=50)
        sync(device)
        total += time.perf_counter() - t
    return total


def batched_seconds(name, data, seeds, budget, device) -> float:
    members = build_members(name, data, seeds)
    gens = [make_generator(s, device) for s in seeds]
    sync(device)
    t = time.perf_counter()
    train_members(members, data, budget, device, gens, log_every=50)
    sync(device)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--variant", default="gan")
    ap.add_argument("--dataset", default="ring8")
    ap.add_argument("--k", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    device = resolve_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(1)
    data = get_dataset(args.dataset)
    budget = Budget(args.steps, args.batch_size)
    print(
        f"{args.variant} on {args.dataset}, device {device}, torch {torch.__version__}, "
        f"threads {torch.get_num_threads()}, {args.steps} steps x batch {args.batch_size}, "
        f"median of {args.repeats}"
    )
    batched_seconds(args.variant, data, [0], Budget(5, args.batch_size), device)  # warm-up
    print(f"{'K':>4} {'separate steps/s':>17} {'batched steps/s':>16} {'batched/separate':>17}")
    for k in args.k:
        seeds = list(range(k))
        sep, bat = [], []
        for _ in range(args.repeats):
            sep.append(separate_seconds(args.variant, data, seeds, budget, device))
            bat.append(batched_seconds(args.variant, data, seeds, budget, device))
        rate_sep = k * args.steps / statistics.median(sep)
        rate_bat = k * args.steps / statistics.median(bat)
        print(f"{k:>4} {rate_sep:>17.0f} {rate_bat:>16.0f} {rate_bat / rate_sep:>16.2f}x")


if __name__ == "__main__":
    main()
