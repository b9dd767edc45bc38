"""Run a suite of planned (variant, dataset, seed) runs (planning them is
ganbench/harness/plan.py); each finished run leaves its own folder
(ganbench/harness/run.py). A re-run skips every run whose result.json says ok or diverged, so an
interrupted suite loses nothing; failed runs are retried. Runs (and batched seed groups) execute
on an executor (ganbench/harness/executor.py: this process, a pool of worker processes, or Ray
tasks: ganbench/harness/ray_executor.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganbench.core.config import get_preset
from ganbench.core.errors import GanbenchError
from ganbench.core.io import read_result
from ganbench.core.log import info, notice, warn
from ganbench.core.runrecord import RunSpec
from ganbench.data import get_dataset
from ganbench.harness.executor import Job, JobError, WorkerLost, local_executor

# planning moved to ganbench.harness.plan; its public names are re-exported here
from ganbench.harness.plan import check_resume, plan_runs, resolve_jobs  # noqa: F401
from ganbench.harness.run import DONE, job_failed, load_done, run_one, tag, worker_died

__all__ = ["RunSpec", "check_resume", "load_done", "plan_runs", "run_one", "run_suite"]


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
    executor: Any = None,
) -> SuiteOutcome:
    """Run every spec not already done under `out`, then rewrite the leaderboards from all results.

    batch_seeds: the seeds of one (variant, dataset, budget, hp) that ganbench.harness.batched
    supports train as one batched model (run_seed_group, one job on the executor; rows say
    `batched`), submitted first; everything else runs as usual. Same numbers in distribution,
    not bit for bit.

    executor: where jobs run (ganbench.harness.executor; e.g. a RayExecutor); the caller owns it
    and closes it. None: this process for one job, else a pool of `jobs` worker processes.

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

    groups = seed_groups([spec for _, spec in todo]) if batch_seeds else []
    queue = ClaimQueue(
        todo,
        folder_of=lambda item: item[1].folder(out),
        what_of=lambda item: item[0].split("] ", 1)[-1],
        read=lambda folder: read_result(folder, "re-running this run"),
        final=lambda row: row.get("status") in DONE,
    )
    own = executor is None
    if own:
        executor = local_executor(1 if len(todo) <= 1 else jobs)
    try:
        ran = _drive(executor, queue, groups, out, report, elsewhere, deadline, ran)
    finally:
        if own:
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
        key = (
            spec.variant, spec.dataset, spec.preset, spec.budget, spec.device, spec.features,
            spec.precision,
        )  # fmt: skip
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


def _claim_group(group: list[RunSpec], queue: Any, out: Path) -> tuple[list, list, Job] | None:
    """Claim what this process can of a batched seed group still pending in `queue`: two or more
    members make one job (labels, claims, Job), taken out of the queue; else every claim is
    released and the members stay in the queue, to run one by one."""
    from ganbench.harness.claims import Claim, acquire

    pending = {spec: (label, spec) for label, spec in queue.pending}
    claimed = []
    for spec in group:
        if spec not in pending:
            continue
        got = acquire(spec.folder(out), tag(spec))
        if isinstance(got, Claim):
            if load_done(spec.folder(out)) is None:
                claimed.append((pending[spec], got))
            else:  # finished by another process meanwhile: the queue reports it
                got.release()
    if len(claimed) < 2:
        for _, claim in claimed:
            claim.release()
        return None
    for item, _ in claimed:
        queue.pending.remove(item)
    members = tuple(item[1] for item, _ in claimed)
    job = Job(members, out, get_preset(members[0].preset).log_every)
    return [item[0] for item, _ in claimed], [claim for _, claim in claimed], job


def _next_job(groups: list, queue: Any, out: Path) -> tuple[list, list, Job] | None:
    """The next job this process may start now: a batched seed group first (while any can be
    claimed), else the next claimable run of the queue; None when none can start now."""
    while groups:
        got = _claim_group(groups.pop(0), queue, out)
        if got is not None:
            return got
    taken = queue.take()
    if taken is None:
        return None
    (label, spec), claim = taken
    return [label], [claim], Job((spec,), out, get_preset(spec.preset).log_every)


def _rows_of(job: Job, result: Any) -> list[dict[str, Any]]:
    """The rows of a finished job; a lost worker or a job that raised: a failed row per spec."""
    if isinstance(result, WorkerLost):
        return [worker_died(spec, job.out, result.why) for spec in job.specs]
    if isinstance(result, JobError):
        return [job_failed(spec, job.out, result.why) for spec in job.specs]
    return result


def _drive(
    executor: Any,
    queue: Any,
    groups: list,
    out: Path,
    report: Any,
    elsewhere: Any,
    deadline: _Deadline,
    ran: int,
) -> int:
    """Keep the executor's slots busy with claimed jobs (batched seed groups first, then runs;
    none started after the deadline; those in flight finish); report each row as it comes back.
    Returns the runs started so far."""
    from ganbench.harness.claims import POLL_SECONDS

    while (queue.pending and not executor.broken and not deadline.hit) or executor.in_flight:
        while (
            not executor.broken
            and executor.in_flight < executor.slots
            and queue.pending
            and deadline.may_start(ran)
        ):
            got = _next_job(groups, queue, out)
            if got is None:
                break
            labels, claims, job = got
            if not executor.submit((labels, claims, job), job):
                for claim in claims:
                    claim.release()
                queue.pending[:0] = list(zip(labels, job.specs, strict=True))
                break
            ran += len(job.specs)
        elsewhere()
        if not executor.in_flight:
            if queue.pending and not executor.broken and not deadline.hit:
                queue.wait()
            continue
        for (labels, claims, job), result in executor.collect(POLL_SECONDS):
            try:
                rows = _rows_of(job, result)
            finally:
                for claim in claims:
                    claim.release()
            where = f" (batched x{len(job.specs)})" if len(job.specs) > 1 else ""
            for label, row in zip(labels, rows, strict=True):
                report(label, row, where)
    elsewhere()
    return ran


def _headline(row: dict[str, Any]) -> str:
    if row["status"] == "failed":
        return f"- {row.get('error', '')}"
    if row["status"] == "diverged":
        return f"at step {row.get('diverged_step')}"
    if "modes_total" in row and "hq_fraction" in row:
        return f"modes {row['modes_covered']}/{row['modes_total']} hq {row['hq_fraction']:.2f}"
    return f"fid {row['fid']:.2f}" if "fid" in row else ""
