"""Read the convergence curves of a finished suite and print, per run, the step from which its
headline metrics stay within the `converged` tolerances to the end ("settled at"), its final
metrics, and its training time per step: the evidence the presets' budgets are chosen from
(docs/budgets.md). `needs` is the budget the `converged` rule asks for, twice the settling step
(the rule looks at the final half of training).

With `--project N` it also prints how long training every listed run for N steps would take with
`--jobs J` runs side by side, from each run's own measured time per step (training only: the
curve checkpoints and the final evaluation come on top): the figure behind "a demo that converges
does not fit 15 minutes here" in docs/budgets.md.

    python scripts/budget_from_curves.py runs/x10 [--markdown] [--dataset ring8] [--project 7000 --jobs 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path

from ganbench.harness.curves import FID_REL_TOL, FID_SQRT_TOL, HQ_TOL, MODES_REL_TOL


def _within(rows: list[dict[str, float]], kind: str) -> bool:
    if kind == "points":
        hq = [r["hq_fraction"] for r in rows]
        modes = [r["modes_covered"] for r in rows]
        tol = max(1, math.floor(MODES_REL_TOL * rows[-1]["modes_total"]))
        return max(hq) - min(hq) <= HQ_TOL + 1e-12 and max(modes) - min(modes) <= tol
    f = [r["fid"] for r in rows]
    final = max(f[-1], 0.0)
    return max(f) - min(f) <= max(FID_REL_TOL * final, FID_SQRT_TOL * math.sqrt(final))


def settled_at(rows: list[dict[str, float]], kind: str) -> int | None:
    """Smallest evaluated step from which every later evaluation is within tolerance; None when
    only the last evaluation is (nothing to compare with)."""
    for i in range(len(rows) - 1):
        if _within(rows[i:], kind):
            return int(rows[i]["step"])
    return None


def needed_budget(settled: int | None) -> int | None:
    """The budget at which the rule's final half starts at the settling step."""
    return None if settled is None else 2 * settled


def projected_minutes(ms_per_step: list[float], steps: int, jobs: int) -> float:
    """Wall minutes of training runs with these per-step times for `steps` steps each, `jobs` side
    by side (the total spread evenly: a lower bound when one run is much longer than the rest)."""
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    total = sum(ms for ms in ms_per_step if math.isfinite(ms)) * steps / 1000.0
    return total / jobs / 60.0


def read_curve(path: Path) -> list[dict[str, float]]:
    with path.open() as f:
        return [{k: float(v) for k, v in r.items() if v != ""} for r in csv.DictReader(f)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="the --out folder of a finished `ganbench run`")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    ap.add_argument("--project", type=int, metavar="N", help="project training all runs N steps")
    ap.add_argument("--jobs", type=int, default=2, help="runs side by side for --project")
    ap.add_argument("--dataset", nargs="+", help="only the runs on these datasets")
    args = ap.parse_args()
    header = ["variant", "dataset", "modes", "hq", "reverse_kl", "converged", "settled_at",
              "needs", "steps", "ms_per_step", "stopped_by_time"]
    lines, per_step = [], []
    for curve_path in sorted(args.out.glob("runs/*/*/seed*/curve.csv")):
        row = json.loads((curve_path.parent / "result.json").read_text())
        if args.dataset and row["dataset"] not in args.dataset:
            continue
        rows = read_curve(curve_path)
        kind = "points" if "hq_fraction" in rows[0] else "image"
        s = settled_at(rows, kind)
        steps = row.get("steps") or 0
        ms = 1000 * row.get("train_seconds", 0) / steps if steps else float("nan")
        per_step.append(ms)
        need = needed_budget(s)
        lines.append([
            row["variant"], row["dataset"],
            f"{row.get('modes_covered', '')}/{row.get('modes_total', '')}",
            f"{row.get('hq_fraction', float('nan')):.3f}",
            f"{row.get('reverse_kl', float('nan')):.3f}",
            str(row.get("converged", "")), "-" if s is None else str(s),
            "-" if need is None else str(need), str(steps),
            f"{ms:.0f}", str(row.get("stopped_by_time", "")),
        ])
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        print("\t".join(header))
        for line in lines:
            print("\t".join(line))
    if args.project:
        minutes = projected_minutes(per_step, args.project, args.jobs)
        print(f"training these {len(per_step)} runs for {args.project} steps each, {args.jobs} "
              f"side by side: {minutes:.1f} min (measured ms/step; evaluation not included)")


if __name__ == "__main__":
    main()
