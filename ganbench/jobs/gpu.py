"""Everything a lent GPU should do, in the order of value, as one resumable job (`ganbench
gpu-job`, scripts/gpu_job.sh):

1. smoke      one training step and one sampling call of every registered variant on the device
              (a failure is a row of smoke/smoke.csv, not a stop)
2. bench      scripts/bench_train.py on the device: steps/s of ganbench against a plain loop,
              GPU utilisation (bench/bench_train.md)
3. precision  per variant family, N harness steps of its representative under each precision
              (fp32, tf32, bf16 autocast, bf16 + channels_last; ganbench/core/precision.py): the
              fastest whose losses stay finite is the family's choice (precision/choice.json)
4. reproduce  pacgan-table1 and veegan-table1 at scale 1, trials batched where the variant allows
              (reproductions/<protocol>/)
5. standard   the `standard` 2-D leaderboard (ring8, grid25; every 2-D variant; 3 seeds), then the
              image variants on mnist / mnist32 (standard/), each family at its chosen precision

Every step writes under one folder and is resumable: a finished step is marked in job.json and
skipped; a step cut by the deadline (`max_minutes`: no new unit of work after that many minutes
of this call) resumes where it stopped (per variant, per family, per trial, per run). job.json also
records the device (name, driver, CUDA, cuDNN) and each step's time. `dry_run` runs the same code
paths at tiny budgets on the CPU (a CI test), so that the first time the job meets a GPU only the
device can fail.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ganbench.core.config import Budget, get_preset
from ganbench.core.io import write_json_atomic, write_text_atomic
from ganbench.core.log import info, notice, warn
from ganbench.core.platform_info import device_info
from ganbench.core.precision import PRECISIONS
from ganbench.core.seeding import make_generator, resolve_device, seed_everything

STEPS = ("smoke", "bench", "precision", "reproduce", "standard")
# A representative (variant, dataset) per family for the precision choice.
FAMILY_REPS = {
    "points": ("wgan-gp", "ring8"),
    "image": ("dcgan", "mnist"),
    "modern": ("stylegan2", "mnist32"),
    "translation": ("pix2pix", "edges2mnist"),
}
CHECKOUT = Path(__file__).resolve().parents[2]  # the repository (scripts/ lives there)


@dataclass
class Settings:
    """What each step does at full size, and at the dry run's tiny size."""

    device: str
    dry_run: bool
    smoke_batch: int = 8
    bench_args: tuple[str, ...] = ()
    precision_steps: int = 20
    reproduce: tuple[tuple[str, float, int | None], ...] = (  # (protocol, scale, trials)
        ("veegan-table1", 1.0, None),
        ("pacgan-table1", 1.0, None),
    )
    preset: str = "standard"  # the leaderboard's budgets and sample counts
    standard_seeds: tuple[int, ...] = (0, 1, 2)
    standard_steps: int | None = None  # None: the preset's
    points_variants: tuple[str, ...] | None = None  # None: every 2-D variant
    image_variants: tuple[str, ...] | None = None  # None: every image variant

    @classmethod
    def make(cls, device: str, dry_run: bool) -> Settings:
        if not dry_run:
            return cls(device, False)
        return cls(
            "cpu",
            True,
            smoke_batch=4,
            bench_args=("--quick", "--reps", "gan:ring8", "--steps", "2", "--repeats", "1"),
            precision_steps=2,
            reproduce=(("veegan-table1", 1e-4, 1), ("pacgan-table1", 1e-5, 1)),
            preset="smoke",
            standard_seeds=(0,),
            standard_steps=2,
            points_variants=("gan", "wgan-gp"),
            image_variants=("dcgan",),
        )


@dataclass
class Job:
    out: Path
    settings: Settings
    deadline: float | None  # time.monotonic() after which no new unit of work starts
    state: dict[str, Any] = field(default_factory=dict)
    started: bool = False  # a unit of work has started in this call

    def time_left(self) -> float | None:
        """Minutes left before the deadline (None: no deadline)."""
        return None if self.deadline is None else (self.deadline - time.monotonic()) / 60

    def stopped(self) -> bool:
        """The deadline has passed after this call started some work."""
        left = self.time_left()
        return self.started and left is not None and left <= 0

    def may_start(self) -> bool:
        """Whether a new unit of work may start: always the first of a call (so every call makes
        progress), then only before the deadline."""
        if self.stopped():
            return False
        self.started = True
        return True

    def save(self) -> None:
        write_json_atomic(self.out / "job.json", self.state)


def run_gpu_job(
    out: Path,
    device: str = "cuda",
    max_minutes: float | None = None,
    dry_run: bool = False,
    steps: tuple[str, ...] = STEPS,
) -> dict[str, Any]:
    """Run (or resume) the job's steps in order until they are done or the deadline passes;
    returns job.json's state. The same call again continues."""
    settings = Settings.make(device, dry_run)
    dev = resolve_device(settings.device)
    settings.device = str(dev)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    state_path = out / "job.json"
    state = json.loads(state_path.read_text()) if state_path.exists() else {"steps": {}}
    state.setdefault("calls", []).append(
        {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "device": device_info(dev.type)}
    )
    state["dry_run"] = dry_run
    deadline = None if max_minutes is None else time.monotonic() + 60 * max_minutes
    job = Job(out, settings, deadline, state)
    for name in steps:
        record = state["steps"].setdefault(name, {"status": "pending", "seconds": 0.0})
        if record["status"] == "done":
            info(f"gpu-job: {name} done earlier, skipped")
            continue
        if job.stopped():
            notice(f"gpu-job: stopped before {name} (--max-minutes); run the same command again")
            break
        t = time.perf_counter()
        info(f"gpu-job: {name}")
        done = STEP_FUNCTIONS[name](job)
        record["seconds"] = round(record["seconds"] + time.perf_counter() - t, 1)
        record["status"] = "done" if done else "partial"
        job.save()
        if not done:
            notice(f"gpu-job: {name} stopped by the deadline; run the same command to go on")
            break
    job.save()
    return state


# --- 1. smoke -----------------------------------------------------------------------------------


SMOKE_COLUMNS = ("variant", "dataset", "status", "seconds", "error")


def step_smoke(job: Job) -> bool:
    """One training step and one sampling / translation call of every registered variant on its
    first default dataset, on the device. One row per variant; a failure is a row."""
    from ganbench.harness.plan import plan_runs

    folder = job.out / "smoke"
    folder.mkdir(exist_ok=True)
    planned = {s.variant: s for s in plan_runs(None, None, [0], "quick", job.settings.device)}
    for name, spec in planned.items():
        row_path = folder / f"{name}.json"
        if row_path.exists():
            continue
        if not job.may_start():
            return False
        write_json_atomic(row_path, smoke_one(name, spec.dataset, job.settings))
    rows = [json.loads((folder / f"{n}.json").read_text()) for n in planned]
    write_text_atomic(folder / "smoke.csv", _csv(rows, SMOKE_COLUMNS))
    failed = [r["variant"] for r in rows if r["status"] != "ok"]
    (warn if failed else info)(
        f"smoke: {len(rows) - len(failed)} of {len(rows)} variants ok"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return True


def smoke_one(name: str, dataset: str, settings: Settings) -> dict[str, Any]:
    from ganbench.data import get_dataset
    from ganbench.harness.train import train
    from ganbench.registry import get_variant

    row = {"variant": name, "dataset": dataset, "status": "failed", "seconds": 0.0, "error": ""}
    t = time.perf_counter()
    try:
        device = torch.device(settings.device)
        seed_everything(0)
        data = get_dataset(dataset)
        variant = get_variant(name).cls(data.spec)
        res = train(variant, data, Budget(1, settings.smoke_batch), device, make_generator(0, device), 1)
        if res.diverged_step is not None:
            raise RuntimeError(f"a non-finite loss at step {res.diverged_step}")
        heads = variant.typed_heads(device, make_generator(1, device))
        if data.spec.task == "translation":
            mask = None if data.test_mask is None else data.test_mask[:4].to(device)
            out = heads.translate(data.test_source[:4].to(device), mask)
        else:
            out = heads.generate(4)
        if not torch.isfinite(out).all():
            raise RuntimeError("the samples are not finite")
        row["status"] = "ok"
    except Exception as exc:  # a broken variant is a row
        row["error"] = f"{type(exc).__name__}: {exc}"
    row["seconds"] = round(time.perf_counter() - t, 3)
    return row


# --- 2. bench -----------------------------------------------------------------------------------


def step_bench(job: Job) -> bool:
    """scripts/bench_train.py on the device (a checkout's script; skipped with a note where the
    package runs without its checkout)."""
    script = CHECKOUT / "scripts" / "bench_train.py"
    folder = job.out / "bench"
    folder.mkdir(exist_ok=True)
    if not script.exists():
        write_text_atomic(folder / "bench_train.md", f"not run: {script} is not there\n")
        return True
    cmd = [sys.executable, str(script), "--device", job.settings.device, *job.settings.bench_args]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=CHECKOUT)
    write_text_atomic(folder / "bench_train.md", f"$ {' '.join(cmd)}\n\n{res.stdout}{res.stderr}")
    if res.returncode != 0:
        warn(f"bench: bench_train.py exited {res.returncode}; see {folder / 'bench_train.md'}")
    return True


# --- 3. precision -------------------------------------------------------------------------------


def step_precision(job: Job) -> bool:
    """Time N harness steps of each family's representative under every precision; choose per
    family the fastest whose losses stay finite (fp32 where nothing else is faster)."""
    folder = job.out / "precision"
    folder.mkdir(exist_ok=True)
    path = folder / "timings.json"
    timings = json.loads(path.read_text()) if path.exists() else {}
    for family, (name, dataset) in FAMILY_REPS.items():
        if family in timings:
            continue
        if not job.may_start():
            return False
        timings[family] = time_precisions(name, dataset, job.settings)
        write_json_atomic(path, timings)
    choice = {family: choose_precision(t) for family, t in timings.items()}
    write_json_atomic(folder / "choice.json", choice)
    info(f"precision: {choice}")
    return True


def time_precisions(name: str, dataset: str, settings: Settings) -> dict[str, Any]:
    from ganbench.data import get_dataset
    from ganbench.harness.train import train
    from ganbench.registry import get_variant

    device = torch.device(settings.device)
    out: dict[str, Any] = {"variant": name, "dataset": dataset}
    try:
        data = get_dataset(dataset)
        info_ = get_variant(name)
    except Exception as exc:  # e.g. a representative not registered in this checkout
        out["error"] = f"{type(exc).__name__}: {exc}"
        return out
    batch = get_preset("standard").budget_for(data.spec.kind).batch_size
    for precision in PRECISIONS:
        try:
            seed_everything(0)
            v = info_.cls(data.spec)
            warm = Budget(1, batch)
            train(v, data, warm, device, make_generator(0, device), 1, precision=precision)
            _sync(device)
            t = time.perf_counter()
            res = train(
                v, data, Budget(settings.precision_steps, batch), device, make_generator(1, device),
                settings.precision_steps, precision=precision,
            )  # fmt: skip
            _sync(device)
            seconds = time.perf_counter() - t
            finite = res.diverged_step is None
            out[precision] = {"steps_per_second": settings.precision_steps / seconds, "finite": finite}
        except Exception as exc:
            out[precision] = {"error": f"{type(exc).__name__}: {exc}"}
    return out


def choose_precision(timings: dict[str, Any]) -> str:
    ok = {
        p: t["steps_per_second"]
        for p, t in timings.items()
        if p in PRECISIONS and isinstance(t, dict) and t.get("finite")
    }
    if not ok:
        return "fp32"
    best = max(ok, key=ok.get)
    return best if ok[best] > 1.05 * ok.get("fp32", 0.0) else "fp32"  # 5%: worth the change


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# --- 4. reproduce -------------------------------------------------------------------------------


def step_reproduce(job: Job) -> bool:
    from ganbench.reproduce import reproduce

    for protocol, scale, trials in job.settings.reproduce:
        if not job.may_start():
            return False
        outcome = reproduce(
            protocol,
            job.out / "reproductions" / protocol,
            trials,
            scale,
            job.settings.device,
            _minutes(job),
            "auto",
            batch_trials=True,
        )
        if not outcome.complete:
            return False
    return True


def _minutes(job: Job) -> float | None:
    left = job.time_left()
    return None if left is None else max(left, 1e-3)


# --- 5. standard --------------------------------------------------------------------------------


def step_standard(job: Job) -> bool:
    """The standard 2-D leaderboard (every 2-D variant on ring8 and grid25, 3 seeds, batched
    where supported), then the image variants, at each family's chosen precision."""
    from ganbench.harness.plan import plan_runs
    from ganbench.harness.suite import run_suite
    from ganbench.registry import list_variants

    s = job.settings
    choice_path = job.out / "precision" / "choice.json"
    choice = json.loads(choice_path.read_text()) if choice_path.exists() else {}
    out = job.out / "standard"
    builtin = [v for v in list_variants() if not v.external]
    points = s.points_variants or [v.name for v in builtin if "points" in v.supports]
    specs = plan_runs(
        list(points), ["ring8", "grid25"], list(s.standard_seeds), s.preset, s.device,
        steps=s.standard_steps, precision=choice.get("points", "fp32"),
    )  # fmt: skip
    image = s.image_variants or [v.name for v in builtin if "image" in v.supports]
    for v in [x for x in builtin if x.name in image]:
        family = "modern" if "mnist32" in v.datasets else "image"
        planned = plan_runs(
            [v.name], None, list(s.standard_seeds), s.preset, s.device, steps=s.standard_steps,
            precision=choice.get(family, "fp32"),
        )  # fmt: skip
        specs += [x for x in planned if x.dataset in ("mnist", "mnist32")]
    if not job.may_start():
        return False
    outcome = run_suite(specs, out, 1, max_minutes=_minutes(job), batch_seeds=True)
    return outcome.deferred == 0 and outcome.not_run == 0


STEP_FUNCTIONS: dict[str, Callable[[Job], bool]] = {
    "smoke": step_smoke,
    "bench": step_bench,
    "precision": step_precision,
    "reproduce": step_reproduce,
    "standard": step_standard,
}


def _csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
