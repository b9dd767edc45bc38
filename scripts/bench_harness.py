"""How much does the harness add per step? Times ganbench.harness.train.train against a bare loop that runs
the same variant's losses and optimizer steps with nothing else (no logging, no divergence checks).

    .venv/bin/python scripts/bench_harness.py [--steps 300] [--variants dcgan wgan-gp]
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import torch

from ganbench.core.config import Budget
from ganbench.core.seeding import resolve_device, seed_everything
from ganbench.data import get_dataset
from ganbench.harness.train import BatchStream, train
from ganbench.registry import get_variant


def bare_loop(variant, data, budget: Budget, device, gen) -> None:
    batches = BatchStream(data.train.to(device), None, budget.batch_size, gen)
    opt_d = variant.d_optim.build(variant.d_parameters())
    opt_g = variant.g_optim.build(variant.g_parameters())
    for _ in range(budget.steps):
        for _ in range(variant.n_critic):
            real, _ = batches.next()
            loss_d = variant.d_loss(real, variant.noise(len(real), device, gen), None)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            variant.after_d_step()
        loss_g = variant.g_loss(variant.noise(budget.batch_size, device, gen), None)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()


def timed(fn) -> float:
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    t = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--variants", nargs="+", default=["dcgan", "wgan-gp"])
    ap.add_argument("--datasets", nargs="+", default=["ring8", "mnist"])
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()
    device = resolve_device(args.device)
    print(
        f"device {device}, torch threads {torch.get_num_threads()}, {args.steps} steps per timing"
    )
    print(
        f"{'variant':<10} {'dataset':<8} {'bare ms/step':>12} {'harness ms/step':>16} {'overhead':>9}"
    )
    for name in args.variants:
        for ds in args.datasets:
            data = get_dataset(ds)
            budget = Budget(args.steps, 256 if data.spec.kind == "points" else 64)
            results = {}
            for kind in ("bare", "harness", "bare2", "harness2"):  # interleaved, best of two
                seed_everything(0)
                v = get_variant(name).cls(data.spec).to(device)
                gen = torch.Generator(device=device).manual_seed(0)
                if kind.startswith("bare"):
                    results[kind] = timed(partial(bare_loop, v, data, budget, device, gen))
                else:
                    results[kind] = timed(partial(train, v, data, budget, device, gen, 50))
            bare = min(results["bare"], results["bare2"]) / args.steps * 1e3
            harness = min(results["harness"], results["harness2"]) / args.steps * 1e3
            print(f"{name:<10} {ds:<8} {bare:>12.2f} {harness:>16.2f} {harness / bare - 1:>+8.1%}")


if __name__ == "__main__":
    main()
