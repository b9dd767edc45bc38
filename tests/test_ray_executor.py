"""Runs as Ray tasks, on a real Ray started inside this module (one local instance with 2 CPUs for
the whole module): the same rows as the local executor, resume across executors, application
errors never retried, a killed worker retried, the missing-extra error. The node-death test
(a two-node cluster) is tests/test_ray_cluster.py. docs/scale-out.md, docs/reliability.md."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import ray  # the `ray` extra is part of the dev install: a missing Ray fails, never skips
from _ray_hook import calls, control, install, one_ray_at_a_time, reset_calls, start_ray

import ganbench.harness.run as run_mod
from ganbench.cli import main
from ganbench.harness.suite import plan_runs, run_suite
from ganbench.registry import register, unregister
from ganbench.variants.gan import DCGAN

TIMING = {"wall_seconds", "train_seconds", "eval_seconds", "curve_eval_seconds"}
STEPS = 20
SPECS = dict(variants=["gan", "lsgan"], datasets=["ring8"], seeds=[0, 1], preset="smoke")
RUN = ["run", "--preset", "smoke", "--dataset", "ring8", "--steps", str(STEPS), "--device", "cpu"]
RUN += ["--no-report", "--quiet"]


def _specs(seeds=(0, 1), variants=("gan", "lsgan")):
    return plan_runs(list(variants), ["ring8"], list(seeds), "smoke", "cpu", steps=STEPS)


def _results(out: Path) -> dict[str, dict]:
    return {
        str(p.relative_to(out)): {k: v for k, v in json.loads(p.read_text()).items()
                                  if k not in TIMING}
        for p in sorted(out.glob("runs/*/*/seed*/result.json"))
    }  # fmt: skip


def _board(out: Path) -> pd.DataFrame:
    df = pd.read_csv(out / "leaderboard.csv")
    return df.drop(columns=[c for c in df.columns if c in TIMING]).reset_index(drop=True)


@pytest.fixture(scope="module")
def ray_env(tmp_path_factory):
    """One local Ray for the module, its workers with the fault-injection hook (tests/_ray_hook)."""
    with one_ray_at_a_time(tmp_path_factory):
        yield from _ray_env(tmp_path_factory)


def _ray_env(tmp_path_factory):
    env = install(tmp_path_factory.mktemp("rayhook"))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # Ray's processes inherit this process's environment
    try:
        start_ray(
            lambda: ray.init(
                address="local", num_cpus=2, include_dashboard=False, logging_level="WARNING"
            )
        )
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    yield env
    ray.shutdown()


@pytest.fixture
def executor(ray_env):
    from ganbench.harness.ray_executor import RayExecutor

    control(ray_env)
    reset_calls(ray_env)
    ex = RayExecutor(max_retries=1)
    yield ex
    ex.close()
    assert ray.is_initialized()  # an instance it did not start is left running


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> Path:
    """The suite run by the local executor (this process): what Ray must reproduce."""
    out = tmp_path_factory.mktemp("local") / "out"
    run_suite(_specs(), out)
    return out


def test_same_rows_under_local_and_ray(tmp_path, ray_env, local, capsys):
    """`ganbench run --executor ray` (through the CLI, on the module's Ray) leaves the same rows,
    run files and leaderboard as the local executor; the results came back through Ray (the
    workers trained in scratch folders) and the driver wrote them."""
    reset_calls(ray_env)
    control(ray_env)
    out = tmp_path / "ray"
    argv = [*RUN, "--variant", "gan", "lsgan", "--seeds", "0", "1", "--out", str(out)]
    assert main([*argv, "--executor", "ray"]) == 0
    assert _results(out) == _results(local)
    pd.testing.assert_frame_equal(_board(out), _board(local))
    for leaf in ("gan/ring8/seed0", "lsgan/ring8/seed1"):
        a, b = out / "runs" / leaf, local / "runs" / leaf
        assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())
        for name in ("losses.csv", "checkpoint.pt"):
            assert (a / name).read_bytes() == (b / name).read_bytes(), name
        curve = [pd.read_csv(f / "curve.csv").drop(columns="seconds") for f in (a, b)]
        pd.testing.assert_frame_equal(*curve)
    trained = calls(ray_env)
    assert len(trained) == 4 and os.getpid() not in {int(c[0]) for c in trained}
    assert not list(out.rglob("claim.json")) and not list(out.rglob("*.tmp"))


def test_batched_seed_groups_go_through_the_executor(tmp_path, executor, ray_env, monkeypatch):
    """--batch-seeds: the seed group is one job on the executor (a Ray task, never this
    process) and its rows are those of the same group trained by the local executor."""
    specs = _specs(variants=("gan",))
    here = run_suite(specs, tmp_path / "local", batch_seeds=True)

    def not_here(*a, **k):
        raise AssertionError("the batched group ran in the driver")

    monkeypatch.setattr(run_mod, "run_seed_group", not_here)
    there = run_suite(specs, tmp_path / "ray", batch_seeds=True, executor=executor)
    assert [r["batched"] for r in there.rows] == [2, 2] and there.failed == 0 == here.failed
    assert _results(tmp_path / "ray") == _results(tmp_path / "local")


def test_resume_across_executors(tmp_path, executor, ray_env, local, monkeypatch):
    """Started on one executor and stopped (--max-minutes: the first run, then none), finished
    on the other, both ways: every (variant, dataset, seed) trained exactly once, the results
    those of one uninterrupted local suite, one leaderboard row each."""
    specs = _specs()
    trained_here: list[int] = []
    real_train = run_mod.train
    monkeypatch.setattr(
        run_mod, "train", lambda *a, **k: trained_here.append(1) or real_train(*a, **k)
    )
    for first, then in (("local", "ray"), ("ray", "local")):
        out = tmp_path / f"{first}-then-{then}"
        reset_calls(ray_env)
        trained_here.clear()
        for i, where in enumerate((first, then)):
            outcome = run_suite(
                specs,
                out,
                max_minutes=1e-9 if i == 0 else None,  # the first start, then stop
                executor=executor if where == "ray" else None,
            )
            assert outcome.failed == 0
        assert len(calls(ray_env)) + len(trained_here) == len(specs)
        assert calls(ray_env) and trained_here  # both executors trained
        assert _results(out) == _results(local)
        board = _board(out)
        assert len(board[board.variant != "real"]) == len(specs)
        pd.testing.assert_frame_equal(board, _board(local))


def test_reproduce_resumes_on_ray(tmp_path, ray_env):
    """`reproduce` goes through the executor too: one trial locally, the rest on Ray."""
    from ganbench.reproduce import reproduce

    reset_calls(ray_env)
    control(ray_env)
    kw = dict(out=tmp_path, trials=1, scale=0.00001, device="cpu", jobs=1, datasets=["ring8"])
    assert reproduce("pacgan-table1", max_minutes=1e-9, **kw).ran == 1
    argv = ["reproduce", "pacgan-table1", "--trials", "1", "--scale", "0.00001", "--device", "cpu"]
    argv += ["--dataset", "ring8", "--out", str(tmp_path), "--quiet", "--executor", "ray"]
    assert main(argv) == 0
    assert len(calls(ray_env)) == 3
    rows = list(tmp_path.glob("runs/pacgan/*/*/result.json"))
    assert len(rows) == 4 and all(json.loads(p.read_text())["status"] == "ok" for p in rows)


class _NotOnWorkers(DCGAN):
    pass


def test_application_error_is_a_failed_row_never_retried(tmp_path, executor, ray_env):
    """A run that raises is `failed` at once with the error (trained once, though the executor
    retries system failures); a variant the workers cannot import is failed at once too; the
    others stand; a re-run finishes what failed."""
    control(ray_env, fail=[1])
    register("test-not-on-workers", family="test", paper="-", supports=("points",))(_NotOnWorkers)
    try:
        specs = _specs(variants=("gan",)) + _specs(seeds=(0,), variants=("test-not-on-workers",))
        outcome = run_suite(specs, tmp_path, executor=executor)
    finally:
        unregister("test-not-on-workers")
    rows = {(r["variant"], r["seed"]): r for r in outcome.rows}
    assert rows["gan", 0]["status"] == "ok"
    assert rows["gan", 1]["status"] == "failed"
    assert "RuntimeError: boom: deliberately broken" in rows["gan", 1]["error"]
    assert "unknown variant" in rows["test-not-on-workers", 0]["error"].lower()
    assert Counter(c[4] for c in calls(ray_env)) == {0: 1, 1: 1}  # never retried
    assert outcome.failed == 2

    control(ray_env)
    again = run_suite(specs[:2], tmp_path, executor=executor)
    assert again.ran == 1 and again.skipped == 1 and again.failed == 0


def test_killed_worker_is_retried_then_recorded_failed(tmp_path, executor, ray_env, local):
    """A worker killed mid-run (os._exit, as the OOM killer does) is a system failure: Ray runs
    the task again (max_retries=1 here) and the row is the uninterrupted run's. Killed more often
    than that, the run is `failed` with the reason, the suite completes, a re-run finishes it."""
    control(ray_env, die={"0": 1, "1": 5})
    specs = _specs(variants=("gan",))
    outcome = run_suite(specs, tmp_path, executor=executor)
    rows = {r["seed"]: r for r in outcome.rows}
    assert rows[0]["status"] == "ok"
    assert _results(tmp_path)["runs/gan/ring8/seed0/result.json"] == _results(local)[
        "runs/gan/ring8/seed0/result.json"
    ]
    assert rows[1]["status"] == "failed" and "worker process died (Ray:" in rows[1]["error"]
    assert "after 1 retries" in rows[1]["error"]
    assert Counter(c[4] for c in calls(ray_env)) == {0: 2, 1: 2}  # the try and one retry each
    assert outcome.failed == 1 and (tmp_path / "leaderboard.csv").exists()

    control(ray_env)
    again = run_suite(specs, tmp_path, executor=executor)
    assert again.ran == 1 and again.failed == 0
    gan = lambda results: {k: v for k, v in results.items() if "/gan/" in k}  # noqa: E731
    assert gan(_results(tmp_path)) == gan(_results(local))


def test_shared_filesystem_mode(tmp_path, ray_env, local):
    """--ray-shared-fs: the task writes its run folder under --out itself; same rows."""
    from ganbench.harness.ray_executor import RayExecutor

    control(ray_env)
    executor = RayExecutor(shared_fs=True)
    try:
        outcome = run_suite(_specs(seeds=(0,), variants=("gan",)), tmp_path, executor=executor)
    finally:
        executor.close()
    assert outcome.failed == 0
    key = "runs/gan/ring8/seed0/result.json"
    assert _results(tmp_path)[key] == _results(local)[key]


def test_device_is_resolved_against_the_cluster(executor):
    """`auto` and `cuda` are the cluster's devices, not the driver's: this Ray has no GPU."""
    from ganbench.core.errors import GanbenchError

    assert str(executor.resolve_device("auto")) == "cpu" and executor.slots == 2
    with pytest.raises(GanbenchError, match="the Ray cluster has no GPU"):
        executor.resolve_device("cuda")


def test_gpu_task_options(executor):
    """A CUDA run declares its GPU fraction and gets a worker of its own (Ray issue 22504);
    a CPU run declares one CPU and no GPU; both retry system failures only."""
    from dataclasses import replace

    from ganbench.harness.executor import Job

    (spec,) = _specs(seeds=(0,), variants=("gan",))
    cpu = executor.options(Job((spec,), Path("x"), 10))
    assert cpu["num_cpus"] == 1 and cpu["num_gpus"] == 0 and "max_calls" not in cpu
    assert cpu["retry_exceptions"] is False and cpu["max_retries"] == 1
    executor.gpus_per_run = 0.5
    gpu = executor.options(Job((replace(spec, device="cuda"),), Path("x"), 10))
    assert gpu["num_gpus"] == 0.5 and gpu["max_calls"] == 1


def test_without_ray_installed_is_one_line_exit_2_nothing_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails
    out = tmp_path / "out"
    for argv in (
        [*RUN, "--variant", "gan", "--out", str(out), "--executor", "ray"],
        ["reproduce", "pacgan-table1", "--out", str(out), "--executor", "ray"],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "pip install 'ganbench[ray]'" in err[0], err
        assert not out.exists()


def test_ray_options_need_the_ray_executor(tmp_path, capsys):
    rc = main([*RUN, "--variant", "gan", "--out", str(tmp_path / "o"), "--ray-address", "auto"])
    assert rc == 2 and "need --executor ray" in capsys.readouterr().err


def test_pool_workers_die_with_their_parent(tmp_path):
    """The local pool's workers arm a parent-death signal: a process that called
    die_with_parent(its parent) ends when that parent is SIGKILLed."""
    import subprocess
    import time

    code = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import os, time\\n"
        "from ganbench.harness.executor import die_with_parent\\n"
        "die_with_parent(os.getppid())\\nprint(os.getpid(), flush=True)\\ntime.sleep(600)'],"
        " stdout=subprocess.PIPE, text=True)\n"
        "print(child.stdout.readline().strip(), flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    assert _alive(child)
    parent.kill()
    parent.wait()
    deadline = time.time() + 10
    while _alive(child) and time.time() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
