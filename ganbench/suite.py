"""Plan and run a suite of (variant, dataset, seed) runs; each finished run leaves its own folder.

A run folder holds result.json (written last, atomically), the samples picture, losses.csv and the
checkpoint. A re-run skips every run whose result.json says ok or diverged, so an interrupted suite
loses nothing; failed runs are retried.
"""

from __future__ import annotations

import csv
import io
import os
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from ganbench import __version__
from ganbench.config import Budget, Preset, get_preset, override_budget
from ganbench.data import DEFAULT_DATASETS, get_dataset
from ganbench.data.registry import check_dataset_name
from ganbench.errors import GanbenchError
from ganbench.evaluate import evaluate
from ganbench.hparams import HP, check_hp, freeze, hp_text, run_leaf
from ganbench.io import (
    read_result,
    save_torch_atomic,
    write_json_atomic,
    write_text_atomic,
)
from ganbench.log import info, progress, stage
from ganbench.pictures import save_samples_picture
from ganbench.registry import VariantInfo, get_variant, list_variants
from ganbench.seeding import make_generator, resolve_device, seed_everything
from ganbench.train import train

DONE = ("ok", "diverged")
# Folders under which resume keys live: <out>/runs/<variant>/<dataset>/seed<k>/
RUNS_DIR = "runs"


@dataclass(frozen=True)
class RunSpec:
    variant: str
    dataset: str
    seed: int
    preset: str
    budget: Budget
    device: str
    features: str = "auto"
    hp: HP = ()  # --hp overrides of the variant's defaults, sorted (key, value) pairs

    def folder(self, out: Path) -> Path:
        """runs/<variant>/<dataset>/seed<k>, with -hp<key> when hyper-parameters are overridden."""
        return Path(out) / RUNS_DIR / self.variant / self.dataset / run_leaf(self.seed, self.hp)


def plan_runs(
    variants: list[str] | None,
    datasets: list[str] | None,
    seeds: list[int],
    preset: str,
    device: str = "auto",
    steps: int | None = None,
    batch_size: int | None = None,
    max_seconds: float | None = None,
    features: str = "auto",
    hp: dict[str, Any] | None = None,
) -> list[RunSpec]:
    """Every run to do, validated (names, budget, device, hyper-parameters) before anything is
    written.

    variants=None means all registered; datasets=None means each variant's default datasets.
    `hp` overrides hyper-parameters of every variant planned; a key a variant does not know is an
    error naming the keys it knows.
    """
    p: Preset = get_preset(preset)
    dev = str(resolve_device(device))
    infos = list_variants() if variants is None else [get_variant(v) for v in variants]
    for d in datasets or []:
        check_dataset_name(d)
    if not seeds:
        raise GanbenchError("no seeds given; pass --seeds with at least one integer")
    for kind in ("points", "image"):
        override_budget(p.budget_for(kind), steps, batch_size, max_seconds)
    specs = []
    for vinfo in infos:
        targets = datasets or p.datasets or DEFAULT_DATASETS
        planned = 0
        for d in targets:
            ds = get_dataset(d).spec
            if not datasets and p.first_dataset_only and planned:
                break  # the preset trains each variant on the first of its datasets it supports
            if not vinfo.supports_data(ds.kind, ds.num_classes):
                if datasets and variants is not None:
                    raise GanbenchError(
                        f"variant {vinfo.name!r} does not train on {d!r} (it supports "
                        f"{', '.join(sorted(vinfo.supports))}); pick another --dataset"
                    )
                continue
            budget = override_budget(p.budget_for(ds.kind), steps, batch_size, max_seconds)
            if hp:
                check_hp(vinfo.name, vinfo.cls.known_hparams(ds.kind), hp)
            frozen = freeze(hp or {})
            planned += 1
            for s in seeds:
                specs.append(RunSpec(vinfo.name, d, int(s), preset, budget, dev, features, frozen))
    from ganbench.metrics.features import check_feature_space  # fail fast, before any training

    check_feature_space(features, sorted({spec.dataset for spec in specs}))
    return specs


def base_row(spec: RunSpec, info: VariantInfo | None = None) -> dict[str, Any]:
    return {
        "variant": spec.variant,
        "dataset": spec.dataset,
        "seed": spec.seed,
        "preset": spec.preset,
        "steps": 0,
        "batch_size": spec.budget.batch_size,
        "wall_seconds": 0.0,
        "device": spec.device,
        "status": "failed",
        "features": "",
        "ganbench_version": __version__,
        "budget_steps": spec.budget.steps,
        "family": info.family if info else "",
        "origin": "plugin" if info and info.external else "builtin",
        "hp": hp_text(spec.hp),
    }


def load_done(folder: Path) -> dict[str, Any] | None:
    """The finished result in `folder`, or None when the run must (re)run. A corrupt result is
    moved aside (kept, never deleted) with a warning, and the run is redone."""
    row = read_result(folder, "re-running this run")
    return row if row is not None and row.get("status") in DONE else None


def make_sampler(variant, device: torch.device, generator: torch.Generator):
    """n -> samples; conditional variants draw uniform labels (as every metric assumes)."""
    n_classes = variant.spec.num_classes

    def sample(n: int) -> torch.Tensor:
        labels = (
            torch.randint(n_classes, (n,), device=device, generator=generator)
            if variant.conditional
            else None
        )
        return variant.sample(n, device, generator, labels)

    return sample


def history_csv(history: dict[str, list[float]]) -> str:
    buf = io.StringIO()
    keys = list(history)
    w = csv.writer(buf)
    w.writerow(keys)
    for i in range(len(history["step"])):
        w.writerow([history[k][i] if i < len(history[k]) else "" for k in keys])
    return buf.getvalue()


def _curve_recorder(spec: RunSpec, variant: Any, data: Any, device: torch.device):
    """The convergence curve's on_checkpoint callback for one run (ganbench/curves.py): its own
    evaluation noise, re-seeded identically at every checkpoint so the curve sees the same z."""
    from ganbench.curves import EVAL_SEED_OFFSET, CurveEvaluator, CurveRecorder

    t = time.perf_counter()
    evaluator = CurveEvaluator(data, spec.features, device)  # real features: once per run
    eval_gen = make_generator(spec.seed + EVAL_SEED_OFFSET, device)

    def fresh_sampler():
        eval_gen.manual_seed(spec.seed + EVAL_SEED_OFFSET)
        return make_sampler(variant, device, eval_gen)

    recorder = CurveRecorder(evaluator, fresh_sampler)
    recorder.eval_seconds = time.perf_counter() - t  # the set-up is part of the curve's cost
    return recorder


def run_one(spec: RunSpec, out: Path, log_every: int, curves: bool = True) -> dict[str, Any]:
    """Train and score one run; always returns a row (status ok / diverged / failed).

    curves: evaluate the generator on eval_schedule(budget steps) during training, write
    curve.csv and add converged / best_step / curve_eval_seconds to the row (ganbench/curves.py);
    the final row's metrics are the same either way."""
    from ganbench.curves import best_step, converged, curve_csv, eval_schedule, kind_of

    folder = spec.folder(out)
    info = get_variant(spec.variant)
    row = base_row(spec, info)
    start = time.perf_counter()
    try:
        device = torch.device(spec.device)
        if device.type == "cpu":
            torch.set_num_threads(1)  # results must not depend on --jobs; see run_suite
        seed_everything(spec.seed)
        data = get_dataset(spec.dataset)
        variant = info.cls(data.spec, **dict(spec.hp))
        row["hp_effective"] = hp_text(variant.hp)
        row["generator_conditioned"] = variant.generator_conditioned()
        gen = make_generator(spec.seed, device)
        tag = f"{spec.variant} {spec.dataset} seed{spec.seed}"
        recorder = _curve_recorder(spec, variant, data, device) if curves else None
        with progress(f"{tag} training", spec.budget.steps) as bar:
            res = train(
                variant,
                data,
                spec.budget,
                device,
                gen,
                log_every,
                progress=bar,
                checkpoints=eval_schedule(spec.budget.steps) if recorder else (),
                on_checkpoint=recorder,
            )
        row.update(
            steps=res.steps_done,
            train_seconds=round(res.wall_seconds, 3),
            stopped_by_time=res.stopped_by_time,
        )
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(folder / "losses.csv", history_csv(res.history))
        if recorder is not None:
            kind = kind_of(data)
            write_text_atomic(folder / "curve.csv", curve_csv(recorder.rows, recorder.columns))
            row.update(
                converged=res.diverged_step is None and converged(recorder.rows, kind),
                best_step=best_step(recorder.rows, kind),
                curve_eval_seconds=round(recorder.eval_seconds, 3),
            )
        if res.diverged_step is not None:
            row.update(status="diverged", diverged_step=res.diverged_step)
        else:
            eval_gen = make_generator(spec.seed + 1_000_003, device)  # fixed evaluation noise
            t = time.perf_counter()
            stage(f"{tag}: evaluating ({data.spec.kind} metrics)")
            ev = evaluate(
                make_sampler(variant, device, eval_gen),
                data,
                get_preset(spec.preset).eval,
                spec.seed,
                spec.features,
                device,
            )
            row.update(ev.metrics, features=ev.features, n_gen=ev.n_gen, n_real=ev.n_real)
            row.update(variant.extra_metrics(data, device, eval_gen))
            row.update(eval_seconds=round(time.perf_counter() - t, 3), status="ok")
            save_samples_picture(
                ev.artifacts["samples"][:2500],
                data,
                folder / "samples.png",
                f"{spec.variant} · {spec.dataset} · seed {spec.seed}",
            )
            if "closest_pairs" in ev.artifacts:  # for the report: generated next to nearest train
                from ganbench.metrics.image_suite import save_closest_pairs

                save_closest_pairs(ev.artifacts["closest_pairs"], folder)
            save_torch_atomic(
                folder / "checkpoint.pt", {k: m.state_dict() for k, m in variant.modules().items()}
            )
    except GanbenchError as exc:
        row.update(status="failed", error=str(exc))
    except Exception as exc:  # a broken run is a row, not a crashed suite
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}")
        (folder).mkdir(parents=True, exist_ok=True)
        write_text_atomic(folder / "traceback.txt", traceback.format_exc())
    row["wall_seconds"] = round(time.perf_counter() - start, 3)
    write_json_atomic(folder / "result.json", {**row, "spec": _spec_dict(spec)})
    return row


def _spec_dict(spec: RunSpec) -> dict[str, Any]:
    d = asdict(spec)
    d["budget"] = asdict(spec.budget)
    return d


@dataclass
class SuiteOutcome:
    rows: list[dict[str, Any]]
    ran: int
    skipped: int
    failed: int


def run_suite(specs: list[RunSpec], out: Path, jobs: int = 1) -> SuiteOutcome:
    """Run every spec not already done under `out`, then rewrite the leaderboards from all results.

    jobs > 1 runs that many runs side by side in worker processes (each CPU run uses one thread, so
    results do not depend on `jobs`). Workers find variants through the registry and entry points.
    """
    from ganbench.leaderboard import write_leaderboards

    out = Path(out)
    rows: list[dict[str, Any]] = []
    todo: list[tuple[str, RunSpec]] = []
    skipped = 0
    for i, spec in enumerate(specs, 1):
        tag = f"[{i}/{len(specs)}] {spec.variant} {spec.dataset} seed{spec.seed}"
        done = load_done(spec.folder(out))
        if done is not None:
            skipped += 1
            rows.append(done)
            info(f"{tag}: done earlier ({done['status']}), skipped")
        else:
            todo.append((tag, spec))

    def report(tag: str, row: dict[str, Any]) -> None:
        rows.append(row)
        info(f"{tag}: {row['status']} in {row['wall_seconds']:.1f}s {_headline(row)}")

    if jobs <= 1 or len(todo) <= 1:
        for tag, spec in todo:
            report(tag, run_one(spec, out, get_preset(spec.preset).log_every))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # spawn, not fork: forking a process whose OpenMP pool is running can deadlock
        with ProcessPoolExecutor(
            jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init
        ) as pool:
            futures = {
                pool.submit(run_one, spec, out, get_preset(spec.preset).log_every): tag
                for tag, spec in todo
            }
            for fut in as_completed(futures):
                report(futures[fut], fut.result())
    from ganbench.reference import ensure_reference_for_specs  # held-out real data, scored

    ensure_reference_for_specs(out, specs)
    write_leaderboards(out)
    failed = sum(r["status"] == "failed" for r in rows[skipped:])
    return SuiteOutcome(rows, len(todo), skipped, failed)


def resolve_jobs(jobs: str | int, device: str) -> int:
    """`auto`: one run per core on the CPU (each single-threaded), one at a time on a GPU."""
    if jobs == "auto":
        return 1 if device != "cpu" else max(1, min(os.cpu_count() or 1, 8))
    try:
        n = int(jobs)
    except ValueError:
        n = 0
    if n < 1:
        raise GanbenchError(f"--jobs {jobs!r} is not a positive integer; give a number or auto")
    return n


def _worker_init() -> None:
    """Workers print no progress bars (they would interleave); the parent prints a line per run."""
    from ganbench.log import set_quiet

    set_quiet(True)


def _headline(row: dict[str, Any]) -> str:
    if row["status"] == "failed":
        return f"- {row.get('error', '')}"
    if row["status"] == "diverged":
        return f"at step {row.get('diverged_step')}"
    if "modes_total" in row and "hq_fraction" in row:
        return f"modes {row['modes_covered']}/{row['modes_total']} hq {row['hq_fraction']:.2f}"
    return f"fid {row['fid']:.2f}" if "fid" in row else ""
