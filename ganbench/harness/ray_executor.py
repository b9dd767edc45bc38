"""Runs as Ray tasks (`ganbench run ... --executor ray [--ray-address auto|HOST:PORT]`): the same
jobs as the local pool (ganbench.harness.executor.Job: one run, or one batched seed group), each a
Ray task that declares one CPU and, for a CUDA run, a GPU fraction. Needs the `ray` extra
(`pip install 'ganbench[ray]'`). docs/scale-out.md says how to use it on a cluster.

Where results land. The driver (the `ganbench` process) claims every run before it submits it
and writes every run folder, leaderboard and report itself, exactly as with the local pool:

- default, no shared disk assumed: the task trains in a scratch folder on its node, and returns
  each row with the run folder's files as bytes through Ray's object store; the driver writes
  them under its claims (result.json last, never over a finished one) and the scratch folder is
  deleted. Nothing but the object store links the nodes: a cluster of machines that share no
  filesystem works, and a node that dies takes nothing half-written with it.
- shared_fs=True (`--ray-shared-fs`): the task writes the run folder itself, straight under
  `--out`, which every node must mount at the same path (NFS). Less traffic through the object
  store (large checkpoints), but a dead node can leave temporary files behind and the folder
  must be writable from every node.

Faults. A worker process or a node that dies is a system failure: Ray retries the task up to
`max_retries` times (RAY_MAX_RETRIES = 3, Ray's own default for tasks), then the run is recorded
`failed` with the reason and the suite goes on; a re-run of the same command retries it. An
application error (a run that raises) is a `failed` row at once, never retried
(retry_exceptions=False; run_one turns the error into the row). GPU tasks run in their own worker
process each (max_calls=1): a worker that imported torch for a CPU task can leave CUDA unusable
to a later GPU task on the same worker (Ray issue 22504).

Processes. Without an address this process starts a local Ray instance sized to the machine
(Ray's own detection of CPUs, GPUs and memory) and stops it at the end; killed, its Ray
processes end with it (Ray's fate sharing: the workers at once, Ray's agents within about a
minute). With an address it connects to the cluster as a driver; when the driver dies, Ray
kills the tasks it owns (ownership) and the cluster stays up.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from ganbench.core.errors import GanbenchError
from ganbench.core.io import write_bytes_atomic
from ganbench.harness.executor import Job, JobError, Key, Result, WorkerLost
from ganbench.harness.run import kept_result, store_result, tag

RAY_MAX_RETRIES = 3  # system failures (a dead worker or node); application errors: never
EXTRA_HINT = "pip install 'ganbench[ray]'"
SCRATCH_PREFIX = "ganbench-ray-"


def require_ray() -> Any:
    """The `ray` module, or a one-line error naming the extra (before anything is written)."""
    try:
        import ray
    except ImportError:
        raise GanbenchError(
            f"--executor ray needs Ray, which is not installed: {EXTRA_HINT}"
        ) from None
    return ray


class RayExecutor:
    """Jobs as Ray tasks. `address`: None starts a local Ray instance (stopped by close()),
    "auto" or HOST:PORT connects to a running cluster; when Ray is already initialised in this
    process (a test, a notebook) that instance is used and left running. `jobs`: tasks in flight
    at once (None: what the cluster's CPUs, or GPUs for CUDA runs, hold)."""

    def __init__(
        self,
        address: str | None = None,
        jobs: int | None = None,
        gpus_per_run: float = 1.0,
        cpus_per_run: float = 1.0,
        max_retries: int = RAY_MAX_RETRIES,
        shared_fs: bool = False,
    ) -> None:
        ray = require_ray()
        if not gpus_per_run > 0 or (gpus_per_run > 1 and not float(gpus_per_run).is_integer()):
            raise GanbenchError(
                f"--ray-gpus-per-run {gpus_per_run:g}: give a fraction of one GPU (0.25, 0.5), 1, "
                "or a whole number of GPUs"
            )
        self._ray = ray
        self._owns = not ray.is_initialized()
        if self._owns:
            where = f"connect to the Ray cluster at {address}" if address else "start Ray"
            try:
                ray.init(
                    address=address or "local",  # "local": never a cluster found by chance
                    include_dashboard=None if address else False,
                    logging_level=logging.WARNING,
                )
            except Exception as exc:  # noqa: BLE001  Ray raises plain Exception on a slow start
                raise GanbenchError(f"could not {where}: {exc}") from None
        self._jobs = jobs
        self.gpus_per_run, self.cpus_per_run = float(gpus_per_run), float(cpus_per_run)
        self.max_retries, self.shared_fs = int(max_retries), bool(shared_fs)
        self.broken = ""
        self.device = "cpu"  # what resolve_device chose: sizes `slots`
        self._refs: dict[Any, tuple[Key, Job]] = {}
        self._task = ray.remote(_remote_job)

    # --- where runs go --------------------------------------------------------------------

    def resolve_device(self, name: str) -> Any:
        """The device runs will use, from the cluster's resources, not this machine's: `auto`
        is cuda when the cluster has a GPU; `cuda` without one is an error."""
        import torch

        gpus = self._ray.cluster_resources().get("GPU", 0)
        if name == "auto":
            name = "cuda" if gpus else "cpu"
        if name == "cuda" and not gpus:
            raise GanbenchError(
                "--device cuda was asked for but the Ray cluster has no GPU; use --device cpu or auto"
            )
        if name not in ("cpu", "cuda"):
            raise GanbenchError(f"unknown device {name!r}; use auto, cpu or cuda")
        self.device = name
        return torch.device(name)

    @property
    def slots(self) -> int:
        if self._jobs:
            return self._jobs
        res = self._ray.cluster_resources()
        if self.device == "cuda":
            return max(1, int(res.get("GPU", 0) / self.gpus_per_run + 1e-9))
        return max(1, int(res.get("CPU", 1) / self.cpus_per_run + 1e-9))

    def options(self, job: Job) -> dict[str, Any]:
        """The Ray task options of `job`: its resources and its retry rule."""
        gpu = str(job.device).startswith("cuda")
        opts: dict[str, Any] = {
            "num_cpus": self.cpus_per_run,
            "num_gpus": self.gpus_per_run if gpu else 0,
            "max_retries": self.max_retries,
            "retry_exceptions": False,
            "name": f"ganbench {tag(job.specs[0])}" + "".join(f",{s.seed}" for s in job.specs[1:]),
        }
        if gpu:
            opts["max_calls"] = 1  # a fresh worker process per GPU task (Ray issue 22504)
        return opts

    # --- the Executor interface -----------------------------------------------------------

    def submit(self, key: Key, job: Job) -> bool:
        ref = self._task.options(**self.options(job)).remote(job, self.shared_fs)
        self._refs[ref] = (key, job)
        return True

    def collect(self, timeout: float) -> list[tuple[Key, Result]]:
        if not self._refs:
            return []
        ray = self._ray
        refs = list(self._refs)
        ready, rest = ray.wait(refs, num_returns=1, timeout=timeout)
        if ready and rest:
            more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
            ready += more
        out: list[tuple[Key, Result]] = []
        for ref in ready:
            key, job = self._refs.pop(ref)
            out.append((key, self._outcome(ref, job)))
        return out

    @property
    def in_flight(self) -> int:
        return len(self._refs)

    def close(self) -> None:
        for ref in list(self._refs):
            try:
                self._ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001  finished or gone meanwhile
                pass
        self._refs.clear()
        if self._owns and self._ray.is_initialized():
            self._ray.shutdown()
        self._owns = False

    # --- results --------------------------------------------------------------------------

    def _outcome(self, ref: Any, job: Job) -> Result:
        from ray.exceptions import RayError, RayTaskError

        try:
            value = self._ray.get(ref)
        except RayTaskError as exc:  # raised by the job itself: an application error
            return JobError(_first_line(exc))
        except RayError as exc:  # the worker or its node died, more often than retried
            what = _first_line(exc)
            return WorkerLost(f"Ray: {type(exc).__name__} after {self.max_retries} retries: {what}")
        if isinstance(value, str):  # the job raised outside run_one's own handling
            return JobError(value)
        if self.shared_fs:
            return [row for row, _ in value]
        return [
            land_files(spec, job.out, files, row)
            for spec, (row, files) in zip(job.specs, value, strict=True)
        ]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return next((ln.strip() for ln in reversed(text) if ln.strip()), type(exc).__name__)[:500]


# --- on the worker ------------------------------------------------------------------------


def _remote_job(job: Job, shared_fs: bool) -> list[tuple[dict[str, Any], dict[str, bytes]]] | str:
    """The Ray task: train `job` on this node; each row with its run folder's files (as bytes,
    unless `shared_fs`: then the folders are written under job.out directly). A string is an
    error raised outside run_one's own handling (an application error: not retried)."""
    from ganbench.core.log import set_quiet

    set_quiet(True)  # progress lines of many workers would interleave; the driver prints rows
    try:
        if shared_fs:
            return [(row, {}) for row in job.run()]
        _clear_dead_scratch()
        scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
        try:
            rows = job.run(scratch)
            return [
                (row, pack_folder(spec.folder(scratch)))
                for spec, row in zip(job.specs, rows, strict=True)
            ]
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    except Exception as exc:  # noqa: BLE001  returned, so that Ray never retries it
        return f"{type(exc).__name__}: {exc}"


def _clear_dead_scratch() -> None:
    """Scratch folders left by workers killed mid-run (their pid no longer runs)."""
    for p in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        try:
            pid = int(p.name[len(SCRATCH_PREFIX) :].split("-", 1)[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(p, ignore_errors=True)
        except (ValueError, PermissionError, OSError):
            continue


def pack_folder(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative POSIX path -> bytes), result.json included."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith(".tmp")
    }


# --- on the driver ------------------------------------------------------------------------


def land_files(
    spec: Any, out: Path, files: dict[str, bytes], row: dict[str, Any]
) -> dict[str, Any]:
    """Write the run folder of `spec` that came back from a worker, under the driver's claim:
    every file atomically, result.json last, and nothing at all when a finished result is
    already there (that one stands, as ganbench.harness.run.store_result decides). Returns the
    row that stands."""
    folder = spec.folder(out)
    if "result.json" not in files:  # nothing came back but the row: store it as run_one would
        return store_result(folder, row, spec.as_dict())
    kept = kept_result(folder, row)
    if kept is not None:
        return kept
    for name in sorted(files, key=lambda n: n == "result.json"):  # result.json last
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts:
            raise GanbenchError(f"a Ray worker returned a file outside its run folder: {name!r}")
        write_bytes_atomic(folder.joinpath(*rel.parts), files[name])
    return row
