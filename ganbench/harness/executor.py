"""Where runs execute. The suite (ganbench.harness.suite) decides what to run, claims it and
writes the leaderboards; an executor only runs the jobs it is given and hands their rows back.

A job (`Job`) is one run or one batched seed group: its RunSpecs, the output folder and the log
interval. `Job.run(out)` trains and scores it where it executes and returns one row per spec; the
device is chosen there too (ganbench.harness.run.run_device reads the spec's device on the worker,
never on the driver).

The interface is small (`Executor`): submit(key, job) -> bool, collect(timeout) -> finished
(key, rows | WorkerLost | JobError), in_flight, close() (cancel what has not finished, end the
workers), plus `slots` (jobs at once) and `broken` (why it takes no more jobs).

- InlineExecutor: in this process, one job at a time (--jobs 1).
- ProcessExecutor: a pool of spawned worker processes (--jobs N): spawn, not fork (forking a
  process whose OpenMP pool is running can deadlock); each worker dies with the process that
  started it (a parent-death signal, or a watchdog on the parent's pid where there is none), so
  a driver killed with SIGKILL leaves no worker behind; a worker that dies (the OOM killer,
  kill -9) breaks the pool: the jobs it held come back as WorkerLost, the executor takes no new
  job, and the suite records them failed and leaves the rest for a re-run.
- RayExecutor (ganbench.harness.ray_executor, the `ray` extra): each job a Ray task.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

Key = Any  # the suite's handle for a job (its labels, job and claims)


@dataclass(frozen=True)
class Job:
    """One unit of work: a run (one spec) or a batched seed group (two or more specs that differ
    only in their seed), whose run folders go under `out`."""

    specs: tuple[Any, ...]  # RunSpec
    out: Path
    log_every: int

    @property
    def device(self) -> str:
        return self.specs[0].device

    def run(self, out: Path | None = None) -> list[dict[str, Any]]:
        """Train and score it here, writing its run folders under `out` (default: self.out);
        one row per spec, in order. Never raises for a run that breaks (that is a failed row)."""
        from ganbench.harness.run import run_one, run_seed_group

        where = self.out if out is None else Path(out)
        if len(self.specs) == 1:
            return [run_one(self.specs[0], where, self.log_every)]
        return run_seed_group(list(self.specs), where, self.log_every)


@dataclass(frozen=True)
class WorkerLost:
    """A job whose worker process (or machine) died before returning its rows, after whatever
    retries the executor makes for such failures."""

    why: str


@dataclass(frozen=True)
class JobError:
    """A job that raised outside the run's own error handling (e.g. its variant cannot be
    imported where it runs): an application error, recorded failed at once, never retried."""

    why: str


Result = list[dict[str, Any]] | WorkerLost | JobError


class Executor(Protocol):
    slots: int  # jobs at once
    broken: str  # why it takes no more jobs ("" while it does)

    def submit(self, key: Key, job: Job) -> bool:
        """Start `job` for `key`; False (and `broken` set) when it cannot take jobs."""
        ...

    def collect(self, timeout: float) -> list[tuple[Key, Result]]:
        """The jobs finished within `timeout` seconds: (key, rows, WorkerLost or JobError)."""
        ...

    @property
    def in_flight(self) -> int: ...

    def close(self) -> None:
        """Stop: cancel what has not finished, end the workers. Safe to call twice."""
        ...


class InlineExecutor:
    """Runs each job at once, in this process."""

    slots = 1
    broken = ""

    def __init__(self) -> None:
        self._done: list[tuple[Key, Result]] = []

    def submit(self, key: Key, job: Job) -> bool:
        self._done.append((key, job.run()))
        return True

    def collect(self, timeout: float) -> list[tuple[Key, Result]]:
        done, self._done = self._done, []
        return done

    @property
    def in_flight(self) -> int:
        return len(self._done)

    def close(self) -> None:
        self._done = []


class ProcessExecutor:
    """Jobs in `slots` spawned worker processes that end with this process."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.broken = ""
        self._pool = ProcessPoolExecutor(
            slots,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(os.getpid(),),
        )
        self._futures: dict[Future, Key] = {}

    def submit(self, key: Key, job: Job) -> bool:
        if self.broken:
            return False
        try:
            self._futures[self._pool.submit(job.run)] = key
        except BrokenProcessPool as exc:
            self.broken = str(exc) or type(exc).__name__
            return False
        return True

    def collect(self, timeout: float) -> list[tuple[Key, Result]]:
        if not self._futures:
            return []
        finished, _ = wait(list(self._futures), timeout, return_when=FIRST_COMPLETED)
        out: list[tuple[Key, Result]] = []
        for fut in finished:
            key = self._futures.pop(fut)
            try:
                out.append((key, fut.result()))
            except BrokenProcessPool as exc:  # a worker was killed (OOM killer, kill -9)
                self.broken = str(exc) or type(exc).__name__
                out.append((key, WorkerLost(self.broken)))
            except Exception as exc:  # noqa: BLE001  raised outside run_one's own handling
                out.append((key, JobError(f"{type(exc).__name__}: {exc}")))
        return out

    @property
    def in_flight(self) -> int:
        return len(self._futures)

    def close(self) -> None:
        self._pool.shutdown(wait=not self.broken, cancel_futures=True)
        self._futures.clear()


def local_executor(jobs: int) -> InlineExecutor | ProcessExecutor:
    """The default: this process for one job at a time, else a pool of `jobs` workers."""
    return InlineExecutor() if jobs <= 1 else ProcessExecutor(jobs)


def _worker_init(parent: int) -> None:
    """In each pool worker: die with the parent, and print no progress bars (they would
    interleave; the parent prints a line per run)."""
    from ganbench.core.log import set_quiet

    die_with_parent(parent)
    set_quiet(True)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent: int, poll_seconds: float = 1.0) -> str:
    """Make this process end when `parent` does (SIGKILL, the OOM killer, a crash): on Linux the
    kernel's parent-death signal (prctl PR_SET_PDEATHSIG, SIGKILL), elsewhere a daemon thread
    that polls the parent's pid. If the parent is already gone, exit now. Returns the mechanism
    used ("prctl" or "watchdog")."""
    how = "watchdog"
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0:
                how = "prctl"
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # it died before the signal was armed
        os._exit(1)
    if how == "watchdog":

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(poll_seconds)
            os._exit(1)

        threading.Thread(target=watch, name="ganbench-parent-watchdog", daemon=True).start()
    return how


__all__ = [
    "Executor",
    "InlineExecutor",
    "Job",
    "JobError",
    "ProcessExecutor",
    "WorkerLost",
    "die_with_parent",
    "local_executor",
]
