"""What does Ray cost? The quick 2-D zoo (every variant that trains on 2-D points, on ring8, one
seed, the quick preset) through `--executor local` (the process pool) and through the Ray
executor with the same number of workers, one after the other on this machine. Prints the wall
time of each suite, their ratio, and each executor's overhead per task: the time from submitting
a run to its row standing on the driver, less the run's own wall_seconds (measured where it
ran), as a median over runs and as a fraction of the median run's time (the issue's target:
Ray's overhead per task under 5% of the median run's time). Ray's start-up is timed apart.

    .venv/bin/python scripts/bench_ray.py [--jobs 2] [--steps N] [--variants gan lsgan ...]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from ganbench.harness.executor import ProcessExecutor
from ganbench.harness.suite import plan_runs, run_suite
from ganbench.registry import list_variants


def timed(cls):
    """The executor class, recording (submitted, landed) per job."""

    class Timed(cls):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            self.times: dict[tuple, list[float]] = {}

        def submit(self, key, job):
            self.times[job.specs] = [time.perf_counter()]
            return super().submit(key, job)

        def collect(self, timeout):
            done = super().collect(timeout)
            for (_, _, job), _ in done:
                self.times[job.specs].append(time.perf_counter())
            return done

    return Timed


def measure(name: str, executor, specs, out: Path) -> dict:
    t = time.perf_counter()
    try:
        outcome = run_suite(specs, out, executor=executor)
    finally:
        executor.close()
    wall = time.perf_counter() - t
    runs = {(r["variant"], r["seed"]): r["wall_seconds"] for r in outcome.rows}
    over = [
        (landed - sent) - runs[(job[0].variant, job[0].seed)]
        for job, (sent, landed) in executor.times.items()
    ]
    med_run = statistics.median(runs.values())
    res = {
        "executor": name,
        "wall_s": round(wall, 1),
        "runs": len(runs),
        "failed": outcome.failed,
        "median_run_s": round(med_run, 2),
        "median_overhead_s": round(statistics.median(over), 3),
        "max_overhead_s": round(max(over), 3),
        "overhead_pct_of_median_run": round(100 * statistics.median(over) / med_run, 2),
    }
    print(res, flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--steps", type=int, help="override the quick preset's 1,000 steps")
    ap.add_argument("--variants", nargs="+", help="default: every 2-D variant")
    ap.add_argument("--dataset", default="ring8")
    args = ap.parse_args()
    variants = args.variants or [v.name for v in list_variants() if "points" in v.supports]
    specs = plan_runs(variants, [args.dataset], [0], "quick", "cpu", steps=args.steps)
    print(f"{len(specs)} runs ({args.dataset}, quick preset, steps {specs[0].budget.steps}), "
          f"{args.jobs} workers each", flush=True)  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="ganbench-bench-ray-"))
    local = measure("local", timed(ProcessExecutor)(args.jobs), specs, work / "local")

    import ray

    from ganbench.harness.ray_executor import RayExecutor

    t = time.perf_counter()
    ray.init(address="local", num_cpus=args.jobs, include_dashboard=False, logging_level="WARNING")
    startup = time.perf_counter() - t
    try:
        executor = timed(RayExecutor)(jobs=args.jobs)
        there = measure("ray", executor, specs, work / "ray")
    finally:
        ray.shutdown()
    print(f"Ray start-up: {startup:.1f} s (not in the suite's wall time)")
    print(f"wall time ray / local: {there['wall_s'] / local['wall_s']:.3f}")
    print(f"Ray overhead per task: median {there['median_overhead_s']} s = "
          f"{there['overhead_pct_of_median_run']}% of the median run ({there['median_run_s']} s); "
          f"the process pool's: {local['median_overhead_s']} s = "
          f"{local['overhead_pct_of_median_run']}%")  # fmt: skip


if __name__ == "__main__":
    main()
