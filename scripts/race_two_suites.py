"""Two identical `ganbench run` processes on one --out folder, started together, repeated.

    python scripts/race_two_suites.py --reps 10

Prints, per repetition and in total: the exit codes, how many processes exited 1 with no output
(silent failure), how many result rows say `failed`, how many runs were trained more than once
(double-trained) and how many reference rows were scored more than once, and how many results
differ from a single-process run apart from timing fields.

Training is counted from outside the code under test: a `sitecustomize.py` put on PYTHONPATH (so
spawned --jobs workers load it too) wraps `ganbench.harness.train.train` and `ganbench.harness.reference.
score_reference` and appends one line per call to a log file. The script therefore measures the
same thing before and after a change to the suite (run it with PYTHONPATH pointing at an older
copy of the package to measure that one).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

RUN = [
    "run", "--preset", "smoke", "--variant", "gan", "lsgan", "wgan", "--dataset", "ring8",
    "--seeds", "0", "1", "--device", "cpu", "--quiet",
]  # fmt: skip
TIMING = {"wall_seconds", "train_seconds", "eval_seconds", "curve_eval_seconds"}

HOOK = """
import os, torch
_log = os.environ["GANBENCH_RACE_LOG"]
def _note(what):
    with open(_log, "a") as f:
        f.write(f"{os.getpid()} {what}\\n")
import ganbench.harness.train as _t
_train = _t.train
def train(variant, data, *a, **k):
    _note(f"train {type(variant).__name__} {data.spec.name} {torch.initial_seed()}")
    return _train(variant, data, *a, **k)
_t.train = train
import ganbench.harness.reference as _r
_score = _r.score_reference
def score_reference(dataset, seed, *a, **k):
    _note(f"reference {dataset} {seed}")
    return _score(dataset, seed, *a, **k)
_r.score_reference = score_reference
"""


def _stable(path: Path) -> dict:
    row = json.loads(path.read_text())
    return {k: v for k, v in row.items() if k not in TIMING}


def _results(out: Path) -> dict[str, Path]:
    return {str(p.relative_to(out)): p for p in sorted(out.glob("runs/*/*/seed*/result.json"))}


def _cmd(out: Path) -> list[str]:
    return [sys.executable, "-m", "ganbench.cli", *RUN, "--out", str(out)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--work", type=Path, help="folder for the outputs (default: a temporary one)")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="ganbench-race-"))
    work.mkdir(parents=True, exist_ok=True)
    hook = work / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(HOOK)
    base_env = {**os.environ, "OMP_NUM_THREADS": "1"}
    path = os.pathsep.join([str(hook), *filter(None, [os.environ.get("PYTHONPATH")])])

    base = work / "single"
    env = {**base_env, "PYTHONPATH": path, "GANBENCH_RACE_LOG": str(work / "single.log")}
    r = subprocess.run(_cmd(base), env=env, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"single-process baseline failed (exit {r.returncode}):\n{r.stderr}")
        return 1
    expected = {k: _stable(p) for k, p in _results(base).items()}
    print(f"baseline: {len(expected)} result rows from one process ({work / 'single'})")

    totals = Counter()
    for rep in range(1, args.reps + 1):
        out, log = work / f"rep{rep}", work / f"rep{rep}.log"
        env = {**base_env, "PYTHONPATH": path, "GANBENCH_RACE_LOG": str(log)}
        t = time.time()
        procs = [
            subprocess.Popen(_cmd(out), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        outs = [p.communicate() for p in procs]
        codes = [p.returncode for p in procs]
        silent = sum(c != 0 and not (o + e).strip() for c, (o, e) in zip(codes, outs, strict=True))
        calls = Counter(line.split(" ", 1)[1] for line in log.read_text().splitlines())
        double_train = sum(n > 1 for k, n in calls.items() if k.startswith("train"))
        double_ref = sum(n > 1 for k, n in calls.items() if k.startswith("reference"))
        got = _results(out)
        failed = sum(json.loads(p.read_text()).get("status") == "failed" for p in got.values())
        differ = sum(k not in got or _stable(got[k]) != v for k, v in expected.items())
        leftovers = [p.name for p in out.rglob("*") if p.is_file() and ".tmp" in p.name]
        totals.update(
            reps=1, nonzero_exit=sum(c != 0 for c in codes), silent=silent, failed_rows=failed,
            double_trained=double_train, double_reference=double_ref, differ=differ,
            leftover_tmp=len(leftovers),
        )  # fmt: skip
        print(
            f"rep {rep}: exit {codes}, silent {silent}, failed rows {failed}, "
            f"double-trained {double_train}/{sum(k.startswith('train') for k in calls)}, "
            f"reference scored twice {double_ref}, results differing {differ}, "
            f"temporary files left {len(leftovers)} ({time.time() - t:.0f}s)"
        )
        for c, (_, e) in zip(codes, outs, strict=True):
            if c != 0 and e.strip():
                print("   " + e.strip().replace("\n", "\n   "))
    print(
        f"total over {totals['reps']} repetitions: non-zero exits {totals['nonzero_exit']}, "
        f"silent failures {totals['silent']}, failed rows {totals['failed_rows']}, "
        f"double-trained runs {totals['double_trained']}, reference rows scored twice "
        f"{totals['double_reference']}, results differing from one process {totals['differ']}, "
        f"temporary files left {totals['leftover_tmp']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
