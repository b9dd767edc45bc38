"""Your own data at scale: load and cache a folder of 50,000 32 px PNGs (made here), then score
10,000 samples against it with the default metrics (the samples' row: `eval --samples` without
the `real` row beside it), each phase in its own process with its wall
time and peak memory (PSS of the process tree, scripts/peak_memory.py); then torch-fidelity
called directly on the same two folders, for the time ratio.

    .venv/bin/python scripts/bench_data.py                       # all phases, in /tmp/ganbench-bench
    .venv/bin/python scripts/bench_data.py --n-real 5000 --n-fake 1000    # a smaller run

The feature space is `BenchFeatures` below (a fixed-seed random conv net, 32 px RGB -> 128-d; no
logits, so IS is empty and said so), given to ganbench as `--features scripts/bench_data.py:
BenchFeatures` and to torch-fidelity as a registered extractor: the same network on both sides
(Inception's weights cannot be downloaded here, and the project networks score only their own
datasets). ganbench scores at the `standard` preset: the 10,000 samples against the whole
held-out split (5,000 of the 50,000, fixed seed), plus memorization against the 45,000 train
images; torch-fidelity computes FID, KID and precision / recall of the 10,000 against all 50,000.
The images go through the feature network in batches of 64 (as uint8 until then), never all as
float on the device; the decoded folder is one uint8 tensor file in $GANBENCH_CACHE/datasets.
Each phase reports `seconds` (wall, after its imports), `cpu_seconds` (user + system, children
included) and the whole process's wall time and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
LIMIT_GB = 4.0


class BenchFeatures(nn.Module):
    """A fixed random conv net: 3 x 32 x 32 in [0, 1] -> 128 features (ganbench's feature-module
    contract: input_size, input_range, feature_dim)."""

    input_size = 32
    input_range = (0.0, 1.0)
    feature_dim = 128
    input_channels = 3
    name = "bench-randconv"

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)  # the loader restores the caller's RNG afterwards
        self.body = nn.Sequential(
            nn.Conv2d(3, 32, 3, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(64, 128, 3, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def make_folder(folder: Path, n: int, seed: int, shift: float = 0.0) -> None:
    """n 32 px RGB PNGs in 10 class folders: smooth random colour fields (8 x 8 noise upsampled),
    so that PNG compression and decoding cost what real photos of this size do."""
    import numpy as np
    from PIL import Image

    if folder.is_dir() and sum(1 for _ in folder.rglob("*.png")) == n:
        return
    rng = np.random.default_rng(seed)
    for c in range(10):
        (folder / f"class{c}").mkdir(parents=True, exist_ok=True)
    for i in range(n):
        c = i % 10
        small = rng.normal(c * 20 + 40 + shift, 50, (8, 8, 3)).clip(0, 255).astype(np.uint8)
        img = Image.fromarray(small).resize((32, 32), Image.Resampling.BICUBIC)
        img.save(folder / f"class{c}" / f"{i:06d}.png")


def phase(args: argparse.Namespace) -> dict:
    """One measured phase, in this (child) process: `seconds` is the work after the imports
    (torch and ganbench take seconds to import on a busy machine; `wall` below includes them)."""
    import resource

    import torch_fidelity  # noqa: F401  (imported before the clock starts, as the others)

    from ganbench.data import get_dataset
    from ganbench.data.registry import resolve_dataset_name
    from ganbench.plugins.samples import evaluate_samples

    def cpu() -> float:  # user + system seconds of this process and its reaped children
        a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

    c0 = cpu()
    t = time.perf_counter()
    out: dict = {}
    if args.phase in ("load-first", "load-cached"):
        name = resolve_dataset_name(f"folder:{args.real}")
        d = get_dataset(name)
        out = {"dataset": name, "train": len(d.train), "test": len(d.test)}
    elif args.phase.startswith("score"):
        res = evaluate_samples(
            str(args.fake), Path(args.out) / args.phase, dataset=f"folder:{args.real}",
            preset="standard", device="cpu", features=f"{HERE}:BenchFeatures", real_row=False,
        )  # fmt: skip
        row = res.rows[0]
        keys = ("status", "fid", "kid_mean", "precision", "recall", "density", "coverage",
                "n_fake", "n_real", "nn_ratio", "eval_seconds", "error")  # fmt: skip
        out = {k: row.get(k) for k in keys if k in row}
    elif args.phase == "torch-fidelity":
        import torch_fidelity
        from torch_fidelity import FeatureExtractorBase

        class Wrapped(FeatureExtractorBase):
            def __init__(self, name, features_list, **kwargs):
                super().__init__(name, features_list)
                self.net = BenchFeatures().eval()

            @staticmethod
            def get_provided_features_list():
                return ("feat",)

            @staticmethod
            def get_default_feature_layer_for_metric(metric):
                return "feat"

            @staticmethod
            def can_be_compiled():
                return False

            @staticmethod
            def get_dummy_input_for_compile():
                return torch.zeros(1, 3, 32, 32, dtype=torch.uint8)

            def forward(self, x):
                with torch.no_grad():  # uint8 -> [0, 1], as ganbench quantises and maps it
                    return (self.net(x.float() / 255.0),)

        torch_fidelity.register_feature_extractor("ganbench-bench-randconv", Wrapped)
        m = torch_fidelity.calculate_metrics(
            input1=str(args.fake), input2=str(args.real), cuda=False, fid=True, kid=True,
            prc=True, feature_extractor="ganbench-bench-randconv", samples_find_deep=True,
            cache=False, verbose=False, kid_subset_size=1000,
        )  # fmt: skip
        out = {k: float(v) for k, v in m.items()}
    out["seconds"] = round(time.perf_counter() - t, 2)
    out["cpu_seconds"] = round(cpu() - c0, 2)
    return out


def measured(argv: list[str], env: dict) -> tuple[dict, float, float]:
    """(the phase's JSON, wall seconds, peak PSS in GB) of a child process."""
    sys.path.insert(0, str(HERE.parent))
    from peak_memory import tree_memory_bytes

    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_memory_bytes(proc.pid)[1])
        time.sleep(0.2)
    wall = time.perf_counter() - start
    text = proc.stdout.read()
    if proc.returncode != 0:
        raise SystemExit(f"phase failed ({proc.returncode}): {argv}\n{text}")
    return json.loads(text.strip().splitlines()[-1]), wall, peak / 1e9


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "ganbench-bench")
    p.add_argument("--n-real", type=int, default=50_000)
    p.add_argument("--n-fake", type=int, default=10_000)
    p.add_argument("--phase", help=argparse.SUPPRESS)
    p.add_argument("--real", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--fake", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--skip-torch-fidelity", action="store_true")
    p.add_argument(
        "--cached-score", action="store_true", help="score a second time, real features cached"
    )
    args = p.parse_args(argv)
    if args.phase:  # a child: one phase, its result as the last line
        print(json.dumps(phase(args)))
        return 0
    real, fake = args.dir / f"real{args.n_real}", args.dir / f"fake{args.n_fake}"
    t = time.perf_counter()
    make_folder(real, args.n_real, seed=1)
    make_folder(fake, args.n_fake, seed=2, shift=8.0)
    print(f"folders ready in {time.perf_counter() - t:.0f}s: {real} ({args.n_real:,} PNGs), "
          f"{fake} ({args.n_fake:,})", flush=True)  # fmt: skip
    cache = args.dir / "cache"
    if cache.exists():
        import shutil

        shutil.rmtree(cache)
    env = {**os.environ, "GANBENCH_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    base = [sys.executable, str(HERE), "--real", str(real), "--fake", str(fake),
            "--out", str(args.dir / "out")]  # fmt: skip
    phases = ["load-first", "load-cached", "score-first"] + (
        ["score-cached"] if args.cached_score else []
    )
    if not args.skip_torch_fidelity:
        phases.append("torch-fidelity")
    results = {}
    for ph in phases:
        res, wall, peak = measured([*base, "--phase", ph], env)
        results[ph] = (res, wall, peak)
        flag = "" if peak < LIMIT_GB else f"  OVER the {LIMIT_GB:g} GB limit"
        print(f"{ph:15s} wall {wall:7.1f}s  peak {peak:5.2f} GB{flag}  {json.dumps(res)}",
              flush=True)  # fmt: skip
    if "torch-fidelity" in results:
        # the samples' row alone (eval_seconds); the command also scores the `real` row beside it
        ours = results["score-first"][0]["eval_seconds"]
        whole = results["score-first"][0]["seconds"]
        theirs = results["torch-fidelity"][0]["seconds"]
        cpu_ratio = results["score-first"][0]["cpu_seconds"] / results["torch-fidelity"][0][
            "cpu_seconds"
        ]
        print(f"CPU-time ratio, the eval command / torch-fidelity: {cpu_ratio:.2f} "
              "(on a shared machine CPU time moves less than wall time)")
        print(f"time ratio ganbench (scoring the 10,000, first time: all metrics, memorization's "
              f"train features, NN distances and cells included) / torch-fidelity (FID, KID, "
              f"P/R), work after imports: {ours / theirs:.2f}; the whole eval command: "
              f"{whole / theirs:.2f}")  # fmt: skip
        if "score-cached" in results:
            again = results["score-cached"][0]["eval_seconds"]
            print(f"with the real features cached: {again / theirs:.2f}")
    worst = max(r[2] for r in results.values())
    print(f"peak memory of any phase: {worst:.2f} GB ({'under' if worst < LIMIT_GB else 'OVER'} "
          f"{LIMIT_GB:g} GB)")  # fmt: skip
    return 0 if worst < LIMIT_GB else 1


if __name__ == "__main__":
    sys.exit(main())
