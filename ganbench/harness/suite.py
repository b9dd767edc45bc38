"""Plan and run a suite of (variant, dataset, seed) runs; each finished run leaves its own folder
(ganbench/harness/run.py). A re-run skips every run whose result.json says ok or diverged, so an
interrupted suite loses nothing; failed runs are retried. Runs execute on an executor
(ganbench/harness/executor.py: this process, or a pool of worker processes).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganbench.core.config import Preset, get_preset, override_budget
from ganbench.core.errors import GanbenchError
from ganbench.core.hparams import freeze
from ganbench.core.io import read_result
from ganbench.core.log import info, notice, warn
from ganbench.core.runrecord import RESUME_SETTINGS, RunSpec, run_settings
from ganbench.core.seeding import resolve_device
from ganbench.data import DEFAULT_DATASETS, get_dataset
from ganbench.data.registry import check_dataset_name
from ganbench.harness.executor import WorkerLost, local_executor
from ganbench.harness.run import DONE, load_done, run_one, run_seed_group, tag, worker_died
from ganbench.registry import get_variant, list_variants

__all__ = ["RunSpec", "check_resume", "load_done", "plan_runs", "run_one", "run_suite"]


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
            problem = getattr(vinfo.cls, "data_problem", lambda spec: "")(ds)
            if problem:
                if datasets and variants is not None:
                    raise GanbenchError(f"variant {vinfo.name!r} on {d!r}: {problem}")
                continue
            budget = override_budget(p.budget_for(ds.kind), steps, batch_size, max_seconds)
            if hp:
                vinfo.cls.check_hparams(ds.kind, hp)
            frozen = freeze(hp or {})
            planned += 1
            for s in seeds:
                specs.append(RunSpec(vinfo.name, d, int(s), preset, budget, dev, features, frozen))
    from ganbench.metrics.features import check_feature_space  # fail fast, before any training

    check_feature_space(features, sorted({spec.dataset for spec in specs}))
    return specs


def check_resume(specs: list[RunSpec], out: Path) -> None:
    """Refuse, before anything runs or is written, a command whose runs are already finished in
    `out` with other settings (budget, preset, features): reusing them would give a leaderboard
    of another budget than the one asked for. The error names the settings that differ."""
    for spec in specs:
        done = load_done(spec.folder(out))
        if done is None or "spec" not in done:
            continue
        was, now = run_settings(done["spec"]), run_settings(spec.as_dict())
        differ = [k for k in RESUME_SETTINGS if was[k] != now[k]]
        if differ:
            what = ", ".join(f"{k}={was[k]!r} (this command: {now[k]!r})" for k in differ)
            raise GanbenchError(
                f"{spec.folder(out)} already holds this run finished with {what}; give another "
                "--out for these settings, or run with the ones it was run with"
            )


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
    out = Path(out)
    check_resume(specs, out)
    deadline = _Deadline(max_minutes)
    rows: list[dict[str, Any]] = []
    todo: list[tuple[str, RunSpec]] = []
    skipped = ran = failed = by_others = 0
    for i, spec in enumerate(specs, 1):
        label = f"[{i}/{len(specs)}] {tag(spec)}"
        done = load_done(spec.folder(out))
        if done is not None:
            skipped += 1
            rows.append(done)
            info(f"{label}: done earlier ({done['status']}), skipped")
        else:
            todo.append((label, spec))

    def report(label: str, row: dict[str, Any], where: str = "") -> None:
        nonlocal failed
        rows.append(row)
        if row["status"] == "failed":  # errors print under --quiet too
            failed += 1
            warn(f"{label}: failed{where} - {row.get('error', 'no error recorded')}")
        else:
            info(f"{label}: {row['status']}{where} in {row['wall_seconds']:.1f}s {_headline(row)}")

    def elsewhere() -> None:
        nonlocal by_others
        for (label, _), row in queue.drain_elsewhere():
            by_others += 1
            report(label, {k: v for k, v in row.items() if k != "spec"}, " in another process")

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
    executor = local_executor(1 if len(todo) <= 1 else jobs)
    try:
        ran = _drive(executor, queue, out, report, elsewhere, deadline, ran)
    finally:
        executor.close()
    not_run = len(queue.pending) if executor.broken else 0
    if executor.broken:
        warn(
            f"a worker process died ({executor.broken}); the runs it was doing are recorded failed "
            f"and {not_run} run(s) were not started; finished runs are kept: re-run the same "
            "command to do the rest"
        )
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
        got = acquire(spec.folder(out), tag(spec))
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
    labels = {spec: label for label, spec in todo}
    for spec, row in zip(members, rows, strict=True):
        report(labels[spec], row, f" (batched x{len(members)})")
    todo[:] = [(label, spec) for label, spec in todo if spec not in claims]
    return len(members)


def _drive(
    executor: Any, queue: Any, out: Path, report: Any, elsewhere: Any, deadline: _Deadline, ran: int
) -> int:
    """Keep the executor's slots busy with claimed runs (none started after the deadline; those
    in flight finish); report each row as it comes back. Returns the runs started so far."""
    from ganbench.harness.claims import POLL_SECONDS

    while (queue.pending and not executor.broken and not deadline.hit) or executor.in_flight:
        while (
            not executor.broken
            and executor.in_flight < executor.slots
            and queue.pending
            and deadline.may_start(ran)
        ):
            got = queue.take()
            if got is None:
                break
            (tag_, spec), claim = got
            log_every = get_preset(spec.preset).log_every
            if not executor.submit((tag_, spec, claim), run_one, spec, out, log_every):
                claim.release()
                queue.pending.insert(0, (tag_, spec))
                break
            ran += 1
        elsewhere()
        if not executor.in_flight:
            if queue.pending and not executor.broken and not deadline.hit:
                queue.wait()
            continue
        for (tag_, spec, claim), result in executor.collect(POLL_SECONDS):
            try:
                row = worker_died(spec, out, result.why) if isinstance(result, WorkerLost) else result
            finally:
                claim.release()
            report(tag_, row)
    elsewhere()
    return ran


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


def _headline(row: dict[str, Any]) -> str:
    if row["status"] == "failed":
        return f"- {row.get('error', '')}"
    if row["status"] == "diverged":
        return f"at step {row.get('diverged_step')}"
    if "modes_total" in row and "hq_fraction" in row:
        return f"modes {row['modes_covered']}/{row['modes_total']} hq {row['hq_fraction']:.2f}"
    return f"fid {row['fid']:.2f}" if "fid" in row else ""
