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
from ganbench.core.config import Budget, Preset, get_preset, override_budget
from ganbench.core.errors import GanbenchError
from ganbench.core.hparams import HP, check_hp, freeze, hp_text, run_leaf
from ganbench.core.io import (
    read_result,
    save_torch_atomic,
    write_json_atomic,
    write_text_atomic,
)
from ganbench.core.log import info, notice, progress, stage, warn
from ganbench.core.seeding import make_generator, resolve_device, rng_untouched, seed_everything
from ganbench.data import DEFAULT_DATASETS, get_dataset
from ganbench.data.registry import check_dataset_name
from ganbench.harness.train import train
from ganbench.metrics.evaluate import evaluate
from ganbench.metrics.oracle import project_oracle
from ganbench.registry import VariantInfo, get_variant, list_variants
from ganbench.results.pictures import save_samples_picture, translation_strip

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
    for budget in p.budgets.values():
        override_budget(budget, steps, batch_size, max_seconds)
    specs = []
    for vinfo in infos:
        targets = datasets or vinfo.datasets or p.datasets or DEFAULT_DATASETS
        planned = 0
        for d in targets:
            ds = get_dataset(d).spec
            if not datasets and p.first_dataset_only and planned:
                break  # the preset trains each variant on the first of its datasets it supports
            if not vinfo.supports_data(ds.kind, ds.num_classes, ds.relation):
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


def make_translator(variant):
    """(a, mask) -> b and, for two-way variants, b -> a: the variant's heads in eval mode."""

    def translate(a: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return variant.heads_eval(variant.translate, a, mask)

    def back(b: torch.Tensor) -> torch.Tensor:
        return variant.heads_eval(variant.translate_back, b)

    return translate, (back if variant.two_way else None)


def score_variant(variant, data, spec: RunSpec, device: torch.device, eval_gen: torch.Generator):
    """The final evaluation of a trained variant with the evaluator of its data's task."""
    sizes = get_preset(spec.preset).eval
    if data.spec.task == "translation":
        from ganbench.metrics.translation_suite import evaluate_translation

        translate, back = make_translator(variant)
        return evaluate_translation(
            translate, data, sizes, spec.seed, spec.features, device, translate_back=back
        )
    return evaluate(
        make_sampler(variant, device, eval_gen), data, sizes, spec.seed, spec.features, device
    )


def history_csv(history: dict[str, list[float]]) -> str:
    buf = io.StringIO()
    keys = list(history)
    w = csv.writer(buf)
    w.writerow(keys)
    for i in range(len(history["step"])):
        w.writerow([history[k][i] if i < len(history[k]) else "" for k in keys])
    return buf.getvalue()


def _curve_recorder(spec: RunSpec, variant: Any, data: Any, device: torch.device):
    """The convergence curve's on_checkpoint callback for one run (ganbench/harness/curves.py): its own
    evaluation noise, re-seeded identically at every checkpoint so the curve sees the same z."""
    from ganbench.harness.curves import EVAL_SEED_OFFSET, CurveEvaluator, CurveRecorder

    t = time.perf_counter()
    evaluator = CurveEvaluator(data, spec.features, device)  # real features: once per run
    eval_gen = make_generator(spec.seed + EVAL_SEED_OFFSET, device)

    def fresh_sampler():
        if data.spec.task == "translation":  # the curve scores the translate head
            return make_translator(variant)[0]
        eval_gen.manual_seed(spec.seed + EVAL_SEED_OFFSET)
        return make_sampler(variant, device, eval_gen)

    recorder = CurveRecorder(evaluator, fresh_sampler)
    recorder.eval_seconds = time.perf_counter() - t  # the set-up is part of the curve's cost
    return recorder


def run_one(spec: RunSpec, out: Path, log_every: int, curves: bool = True) -> dict[str, Any]:
    """Train and score one run; always returns a row (status ok / diverged / failed).

    curves: evaluate the generator on eval_schedule(budget steps) during training, write
    curve.csv and add converged / best_step / curve_eval_seconds to the row
    (ganbench/harness/curves.py); the final row's metrics are the same either way."""
    from ganbench.harness.curves import eval_schedule

    info = get_variant(spec.variant)
    row = base_row(spec, info)
    start = time.perf_counter()
    try:
        device = _run_device(spec)
        seed_everything(spec.seed)
        data = get_dataset(spec.dataset)
        variant = _build(spec, info, data, row)
        gen = make_generator(spec.seed, device)
        with rng_untouched():  # a cold feature cache loads nets: training must not see it
            recorder = _curve_recorder(spec, variant, data, device) if curves else None
        with progress(f"{_tag(spec)} training", spec.budget.steps) as bar:
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
        _finish(spec, out, variant, data, res, recorder, row, device)
    except Exception as exc:  # a broken run is a row, not a crashed suite
        _failed(spec, out, row, exc)
    row["wall_seconds"] = round(time.perf_counter() - start, 3)
    return store_result(spec.folder(out), row, _spec_dict(spec))


def run_seed_group(specs: list[RunSpec], out: Path, log_every: int) -> list[dict[str, Any]]:
    """Train the seeds of one (variant, dataset, budget, hp) as one batched model
    (ganbench/harness/batched.py), then finish and store every member like a separate run; rows
    gain `batched` (the number of members). Every member is built, scored and written as run_one
    does it; a member that fails its evaluation is a failed row, the others stand."""
    from ganbench.harness.batched import train_members
    from ganbench.harness.curves import eval_schedule

    first = specs[0]
    info = get_variant(first.variant)
    rows = [{**base_row(s, info), "batched": len(specs)} for s in specs]
    start = time.perf_counter()
    try:
        device = _run_device(first)
        data = get_dataset(first.dataset)
        members = []
        for s, row in zip(specs, rows, strict=True):
            seed_everything(s.seed)
            members.append(_build(s, info, data, row))
        with rng_untouched():
            recorders = [
                _curve_recorder(s, v, data, device) for s, v in zip(specs, members, strict=True)
            ]
        seeds = ", ".join(str(s.seed) for s in specs)
        with progress(f"{_tag(first)} (seeds {seeds}) batched training", first.budget.steps) as bar:
            results = train_members(
                members,
                data,
                first.budget,
                device,
                [make_generator(s.seed, device) for s in specs],
                log_every,
                checkpoints=eval_schedule(first.budget.steps),
                on_checkpoint=lambda k, step: recorders[k](step),
                progress=bar,
            )
    except Exception as exc:  # the batched training broke: every member is a failed row
        for s, row in zip(specs, rows, strict=True):
            _failed(s, out, row, exc)
        results = None
    trained = time.perf_counter() - start
    stored = []
    for k, (s, row) in enumerate(zip(specs, rows, strict=True)):
        t = time.perf_counter()
        if results is not None:
            try:
                _finish(s, out, members[k], data, results[k], recorders[k], row, device)
            except Exception as exc:
                _failed(s, out, row, exc)
        row["wall_seconds"] = round(trained / len(specs) + time.perf_counter() - t, 3)
        stored.append(store_result(s.folder(out), row, _spec_dict(s)))
    return stored


def _tag(spec: RunSpec) -> str:
    return f"{spec.variant} {spec.dataset} seed{spec.seed}"


def _run_device(spec: RunSpec) -> torch.device:
    device = torch.device(spec.device)
    if device.type == "cpu":
        torch.set_num_threads(1)  # results must not depend on --jobs; see run_suite
    return device


def _build(spec: RunSpec, info: VariantInfo, data: Any, row: dict[str, Any]) -> Any:
    """The run's variant (after seed_everything(spec.seed)); its settings go into the row."""
    variant = info.cls(data.spec, **dict(spec.hp))
    row["hp_effective"] = hp_text(variant.hp)
    row["generator_conditioned"] = variant.generator_conditioned()
    return variant


def _failed(spec: RunSpec, out: Path, row: dict[str, Any], exc: Exception) -> None:
    """A run that raised: a failed row with the reason (and the traceback beside it when the error
    is not a user error)."""
    if isinstance(exc, GanbenchError):
        row.update(status="failed", error=str(exc))
        return
    row.update(status="failed", error=f"{type(exc).__name__}: {exc}")
    folder = spec.folder(out)
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / "traceback.txt", traceback.format_exc())


def _finish(
    spec: RunSpec,
    out: Path,
    variant: Any,
    data: Any,
    res: Any,
    recorder: Any,
    row: dict[str, Any],
    device: torch.device,
) -> None:
    """After training: losses.csv, curve.csv and the convergence columns, the final evaluation
    (unless it diverged), the samples picture, the closest pairs and the checkpoint."""
    from ganbench.harness.curves import best_step, convergence, curve_csv, kind_of

    folder = spec.folder(out)
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
        verdict = "diverged" if res.diverged_step is not None else None
        verdict = verdict or convergence(recorder.rows, kind)
        row.update(
            converged=verdict == "converged",
            convergence=verdict,
            best_step=best_step(recorder.rows, kind),
            curve_eval_seconds=round(recorder.eval_seconds, 3),
        )
    if res.diverged_step is not None:
        row.update(status="diverged", diverged_step=res.diverged_step)
        return
    eval_gen = make_generator(spec.seed + 1_000_003, device)  # fixed evaluation noise
    t = time.perf_counter()
    stage(f"{_tag(spec)}: evaluating ({data.spec.kind} metrics)")
    ev = score_variant(variant, data, spec, device, eval_gen)
    row.update(ev.metrics, features=ev.features, n_gen=ev.n_gen, n_real=ev.n_real)
    variant.oracle = project_oracle  # injected: variants never import metrics
    row.update(variant.extra_metrics(data, device, eval_gen))
    from ganbench.metrics.heads import score_heads  # classify / encode heads

    row.update(score_heads(variant.head_fns(), data, device))
    row.update(eval_seconds=round(time.perf_counter() - t, 3), status="ok")
    title = f"{spec.variant} · {spec.dataset} · seed {spec.seed}"
    if "triplets" in ev.artifacts:  # translation: input / output / ground truth rows
        picture = translation_strip(*ev.artifacts["triplets"])
        title += " · input / output / truth"
    else:
        picture = ev.artifacts["samples"][:2500]
    save_samples_picture(picture, data, folder / "samples.png", title)
    if "closest_pairs" in ev.artifacts:  # for the report: generated next to nearest train
        from ganbench.metrics.image_suite import save_closest_pairs

        save_closest_pairs(ev.artifacts["closest_pairs"], folder)
    save_torch_atomic(
        folder / "checkpoint.pt", {k: m.state_dict() for k, m in variant.modules().items()}
    )


def store_result(folder: Path, row: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Write `row` (+ its spec) as folder/result.json, unless a finished (ok / diverged) result is
    already there: that one is never overwritten. Checked just before writing, under the run's
    claim (run_suite), so no other process can write in between. Returns the row that stands."""
    kept = load_done(folder)
    if kept is not None:
        warn(
            f"{folder}: a finished result ({kept['status']}) is already there and is kept; this "
            f"attempt's {row['status']} row is not written"
        )
        return {k: v for k, v in kept.items() if k != "spec"}
    write_json_atomic(folder / "result.json", {**row, "spec": spec})
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
    by_others: int = 0  # finished by another process working on the same --out meanwhile
    not_run: int = 0  # left undone (a worker process died); a re-run does them
    deferred: int = 0  # not started because max_minutes had passed; a re-run does them (not failed)


def _now() -> float:
    """The clock max_minutes is measured on (a function, so tests can move time forward)."""
    return time.monotonic()


def check_max_minutes(max_minutes: float | None) -> None:
    """None (no limit) or a positive, finite number of minutes."""
    if max_minutes is not None and not (0 < max_minutes < float("inf")):
        raise GanbenchError(
            f"--max-minutes {max_minutes:g} must be a positive number of minutes (e.g. "
            "--max-minutes 9 for 10-minute chunks); leave it out to run the whole suite"
        )


class _Deadline:
    """max_minutes as a rule for starting runs: none after the deadline, except that every suite
    call starts at least one run (so each chunk makes progress however small M is)."""

    def __init__(self, max_minutes: float | None) -> None:
        self.minutes = max_minutes
        self.at = None if max_minutes is None else _now() + 60.0 * max_minutes
        self.hit = False

    def may_start(self, started: int) -> bool:
        if self.at is not None and started > 0 and _now() >= self.at:
            self.hit = True
        return not self.hit


def run_suite(
    specs: list[RunSpec],
    out: Path,
    jobs: int = 1,
    max_minutes: float | None = None,
    batch_seeds: bool = False,
) -> SuiteOutcome:
    """Run every spec not already done under `out`, then rewrite the leaderboards from all results.

    batch_seeds: the seeds of one (variant, dataset, budget, hp) that ganbench.harness.batched
    supports train as one batched model in this process first (run_seed_group; rows say
    `batched`); everything else runs as usual. Same numbers in distribution, not bit for bit.

    max_minutes: start no new run once that many minutes have passed since this call began (the
    first run always starts); runs already started finish, the leaderboards are written from what
    is finished, `deferred` counts the runs left, and the same call again continues. A run is never
    cut short by it (that is the budget's max_seconds).

    jobs > 1 runs that many runs side by side in worker processes (each CPU run uses one thread, so
    results do not depend on `jobs`). Workers find variants through the registry and entry points.

    Several processes may work on one `out` at once (ganbench/harness/claims.py): each run is trained by
    whichever process claims it first; the others skip it, wait for it at the end, and then every
    process rebuilds the leaderboards from all run folders. A killed worker process loses no
    finished run: the runs it was doing are recorded failed (a re-run retries them), the runs not
    started yet are left for a re-run, and the suite still writes its leaderboards.
    """
    from ganbench.harness.claims import ClaimQueue
    from ganbench.harness.reference import ensure_reference_for_specs  # held-out real data, scored
    from ganbench.results.leaderboard import write_leaderboards

    check_max_minutes(max_minutes)
    deadline = _Deadline(max_minutes)
    out = Path(out)
    rows: list[dict[str, Any]] = []
    todo: list[tuple[str, RunSpec]] = []
    skipped = ran = failed = by_others = 0
    for i, spec in enumerate(specs, 1):
        tag = f"[{i}/{len(specs)}] {spec.variant} {spec.dataset} seed{spec.seed}"
        done = load_done(spec.folder(out))
        if done is not None:
            skipped += 1
            rows.append(done)
            info(f"{tag}: done earlier ({done['status']}), skipped")
        else:
            todo.append((tag, spec))

    def report(tag: str, row: dict[str, Any], where: str = "") -> None:
        nonlocal failed
        rows.append(row)
        if row["status"] == "failed":  # errors print under --quiet too
            failed += 1
            warn(f"{tag}: failed{where} - {row.get('error', 'no error recorded')}")
        else:
            info(f"{tag}: {row['status']}{where} in {row['wall_seconds']:.1f}s {_headline(row)}")

    def elsewhere() -> None:
        nonlocal by_others
        for (tag, _), row in queue.drain_elsewhere():
            by_others += 1
            report(tag, {k: v for k, v in row.items() if k != "spec"}, " in another process")

    if batch_seeds:
        for group in seed_groups([spec for _, spec in todo]):
            if not deadline.may_start(ran):
                break
            ran += _run_group(group, todo, out, report)
    queue = ClaimQueue(
        todo,
        folder_of=lambda item: item[1].folder(out),
        what_of=lambda item: item[0].split("] ", 1)[-1],
        read=lambda folder: read_result(folder, "re-running this run"),
        final=lambda row: row.get("status") in DONE,
    )
    not_run = 0
    if jobs <= 1 or len(todo) <= 1:
        while queue.pending and deadline.may_start(ran):
            got = queue.take()
            elsewhere()
            if got is None:
                if queue.pending:
                    queue.wait()
                continue
            (tag, spec), claim = got
            with claim:
                ran += 1
                report(tag, run_one(spec, out, get_preset(spec.preset).log_every))
        elsewhere()
    else:
        ran, not_run = _run_pool(queue, out, jobs, report, elsewhere, deadline)
    deferred = len(queue.pending) if deadline.hit and not not_run else 0
    ensure_reference_for_specs(out, specs)
    write_leaderboards(out)
    if deferred:  # a notice: --quiet must not hide that the leaderboards are partial
        notice(
            f"stopped by --max-minutes {deadline.minutes:g} after {len(specs) - deferred} of "
            f"{len(specs)} runs ({deferred} not started); the leaderboards hold the finished "
            "runs only: run the same command again to continue"
        )
    return SuiteOutcome(rows, ran, skipped, failed + not_run, by_others, not_run, deferred)


def seed_groups(specs: list[RunSpec]) -> list[list[RunSpec]]:
    """The specs that differ only in their seed, in groups of two or more whose variant
    ganbench.harness.batched supports on their data (a probe step decides; the rest: none)."""
    from ganbench.harness.batched import supports_batched

    by_key: dict[tuple, list[RunSpec]] = {}
    for spec in specs:
        key = (spec.variant, spec.dataset, spec.preset, spec.budget, spec.device, spec.features)
        by_key.setdefault((*key, spec.hp), []).append(spec)
    groups = []
    for group in by_key.values():
        if len(group) < 2:
            continue
        spec = group[0]
        data = get_dataset(spec.dataset)
        if supports_batched(spec.variant, data.spec, dict(spec.hp)).ok:
            groups.append(group)
    return groups


def _run_group(group: list[RunSpec], todo: list, out: Path, report: Any) -> int:
    """Claim what this process can of `group` and train it batched (two or more members), else
    leave the group to the ordinary queue. Returns the number of runs started."""
    from ganbench.harness.claims import Claim, acquire

    claims = {}
    for spec in group:
        got = acquire(spec.folder(out), _tag(spec))
        if isinstance(got, Claim):
            if load_done(spec.folder(out)) is None:
                claims[spec] = got
            else:  # finished by another process meanwhile: the queue reports it
                got.release()
    if len(claims) < 2:
        for claim in claims.values():
            claim.release()
        return 0
    members = list(claims)
    try:
        rows = run_seed_group(members, out, get_preset(members[0].preset).log_every)
    finally:
        for claim in claims.values():
            claim.release()
    tags = {spec: tag for tag, spec in todo}
    for spec, row in zip(members, rows, strict=True):
        report(tags[spec], row, f" (batched x{len(members)})")
    todo[:] = [(tag, spec) for tag, spec in todo if spec not in claims]
    return len(members)


def _run_pool(
    queue: Any, out: Path, jobs: int, report: Any, elsewhere: Any, deadline: _Deadline
) -> tuple[int, int]:
    """run_suite's --jobs > 1 loop: keep `jobs` claimed runs in worker processes (none submitted
    after the deadline; those in flight finish). Returns (runs started, runs left undone because a
    worker process died)."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    from ganbench.harness.claims import POLL_SECONDS

    ran, broken = 0, ""
    in_flight: dict[Any, tuple[str, RunSpec, Any]] = {}
    # spawn, not fork: forking a process whose OpenMP pool is running can deadlock
    pool = ProcessPoolExecutor(
        jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init
    )
    try:
        while (queue.pending and not broken and not deadline.hit) or in_flight:
            while (
                not broken and len(in_flight) < jobs and queue.pending and deadline.may_start(ran)
            ):
                got = queue.take()
                if got is None:
                    break
                (tag, spec), claim = got
                try:
                    fut = pool.submit(run_one, spec, out, get_preset(spec.preset).log_every)
                except BrokenProcessPool as exc:
                    claim.release()
                    queue.pending.insert(0, (tag, spec))
                    broken = str(exc) or type(exc).__name__
                    break
                in_flight[fut] = (tag, spec, claim)
                ran += 1
            elsewhere()
            if not in_flight:
                if queue.pending and not broken and not deadline.hit:
                    queue.wait()
                continue
            finished, _ = wait(list(in_flight), POLL_SECONDS, return_when=FIRST_COMPLETED)
            for fut in finished:
                tag, spec, claim = in_flight.pop(fut)
                try:
                    row = fut.result()
                except BrokenProcessPool as exc:  # a worker was killed (OOM killer, kill -9)
                    broken = str(exc) or type(exc).__name__
                    row = _worker_died(spec, out, broken)
                finally:
                    claim.release()
                report(tag, row)
    finally:
        for _, _, claim in in_flight.values():
            claim.release()
        pool.shutdown(wait=not broken, cancel_futures=True)
    left = len(queue.pending) if broken else 0
    if broken:
        warn(
            f"a worker process died ({broken}); the runs it was doing are recorded failed and "
            f"{left} run(s) were not started; finished runs are kept: re-run the same command to "
            "do the rest"
        )
    return ran, left


def _worker_died(spec: RunSpec, out: Path, why: str) -> dict[str, Any]:
    """The failed row for a run whose worker process died (unless it finished before dying)."""
    row = base_row(spec, get_variant(spec.variant))
    row["error"] = f"its worker process died ({why}); re-run the same command to retry it"
    return store_result(spec.folder(out), row, _spec_dict(spec))


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
    from ganbench.core.log import set_quiet

    set_quiet(True)


def _headline(row: dict[str, Any]) -> str:
    if row["status"] == "failed":
        return f"- {row.get('error', '')}"
    if row["status"] == "diverged":
        return f"at step {row.get('diverged_step')}"
    if "modes_total" in row and "hq_fraction" in row:
        return f"modes {row['modes_covered']}/{row['modes_total']} hq {row['hq_fraction']:.2f}"
    return f"fid {row['fid']:.2f}" if "fid" in row else ""
