"""Cost of the convergence curve against training, at a preset: one run per (variant, dataset),
curve_eval_seconds / train_seconds from the row (docs/metrics.md, "Convergence curves").

  .venv/bin/python scripts/curve_cost.py --preset quick gan:ring8 dcgan:mnist
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch

from ganbench.harness.suite import plan_runs, run_one


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="variant:dataset")
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    for pair in args.runs:
        variant, dataset = pair.split(":")
        (spec,) = plan_runs([variant], [dataset], [args.seed], args.preset, device="cpu")
        with tempfile.TemporaryDirectory() as out:
            row = run_one(spec, Path(out), 50)
        frac = row["curve_eval_seconds"] / row["train_seconds"]
        print(
            f"{variant} {dataset} {args.preset}: {row['steps']} steps, train "
            f"{row['train_seconds']:.1f} s, curve {row['curve_eval_seconds']:.1f} s "
            f"({frac:.1%} of training), final eval {row['eval_seconds']:.1f} s, "
            f"converged {row['converged']}, best_step {row['best_step']}"
        )


if __name__ == "__main__":
    main()
