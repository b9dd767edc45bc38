"""Where runs execute. The suite (ganbench.harness.suite) decides what to run, claims it and
writes the leaderboards; an executor only runs the jobs it is given (a run, or a batched seed
group) and hands their rows back. Device selection happens where the job runs (run_one reads its
spec's device there), never on the driver.

- InlineExecutor: in this process, one job at a time (--jobs 1).
- ProcessExecutor: a pool of spawned worker processes (--jobs N): spawn, not fork (forking a
  process whose OpenMP pool is running can deadlock); a worker that dies (the OOM killer,
  kill -9) breaks the pool: the jobs it held come back as WorkerLost, the executor takes no new
  job, and the suite records them failed and leaves the rest for a re-run.
Other executors (Ray: ganbench.harness.ray_executor) implement the same four methods.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol

Key = Any  # the suite's handle for a job (its tag, spec and claim)


@dataclass(frozen=True)
class WorkerLost:
    """A job whose worker process died before returning its row."""

    why: str


class Executor(Protocol):
    slots: int  # jobs at once
    broken: str  # why it takes no more jobs ("" while it does)

    def submit(self, key: Key, fn: Callable[..., Any], *args: Any) -> bool:
        """Start fn(*args) for `key`; False (and `broken` set) when it cannot take jobs."""
        ...

    def collect(self, timeout: float) -> list[tuple[Key, Any]]:
        """The jobs finished within `timeout` seconds: (key, result or WorkerLost)."""
        ...

    @property
    def in_flight(self) -> int: ...

    def close(self) -> None:
        """Stop: cancel what has not started, end the workers."""
        ...


class InlineExecutor:
    """Runs each job at once, in this process."""

    slots = 1
    broken = ""

    def __init__(self) -> None:
        self._done: list[tuple[Key, Any]] = []

    def submit(self, key: Key, fn: Callable[..., Any], *args: Any) -> bool:
        self._done.append((key, fn(*args)))
        return True

    def collect(self, timeout: float) -> list[tuple[Key, Any]]:
        done, self._done = self._done, []
        return done

    @property
    def in_flight(self) -> int:
        return len(self._done)

    def close(self) -> None:
        self._done = []


class ProcessExecutor:
    """Jobs in `slots` spawned worker processes, each initialised by `initializer`."""

    def __init__(self, slots: int, initializer: Callable[[], None] | None = None) -> None:
        self.slots = slots
        self.broken = ""
        self._pool = ProcessPoolExecutor(
            slots, mp_context=multiprocessing.get_context("spawn"), initializer=initializer
        )
        self._futures: dict[Future, Key] = {}

    def submit(self, key: Key, fn: Callable[..., Any], *args: Any) -> bool:
        if self.broken:
            return False
        try:
            self._futures[self._pool.submit(fn, *args)] = key
        except BrokenProcessPool as exc:
            self.broken = str(exc) or type(exc).__name__
            return False
        return True

    def collect(self, timeout: float) -> list[tuple[Key, Any]]:
        if not self._futures:
            return []
        finished, _ = wait(list(self._futures), timeout, return_when=FIRST_COMPLETED)
        out = []
        for fut in finished:
            key = self._futures.pop(fut)
            try:
                out.append((key, fut.result()))
            except BrokenProcessPool as exc:  # a worker was killed (OOM killer, kill -9)
                self.broken = str(exc) or type(exc).__name__
                out.append((key, WorkerLost(self.broken)))
        return out

    @property
    def in_flight(self) -> int:
        return len(self._futures)

    def close(self) -> None:
        self._pool.shutdown(wait=not self.broken, cancel_futures=True)
        self._futures.clear()


def local_executor(jobs: int) -> InlineExecutor | ProcessExecutor:
    """The default: this process for one job at a time, else a pool of `jobs` workers."""
    return InlineExecutor() if jobs <= 1 else ProcessExecutor(jobs, _worker_init)


def _worker_init() -> None:
    """Workers print no progress bars (they would interleave); the parent prints a line per run."""
    from ganbench.core.log import set_quiet

    set_quiet(True)
