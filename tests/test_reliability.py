"""A finished result is never lost or hidden: two suites on one folder, a process killed while it
holds a claim, a killed worker process, failures under --quiet, plug-ins that cannot be imported.
docs/reliability.md lists the promises and which test here checks each one."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

import ganbench.harness.claims as claims
from ganbench.cli import main
from ganbench.harness.suite import plan_runs, run_one, run_suite
from ganbench.registry import register, unregister
from ganbench.variants.gan import DCGAN

TIMING = {"wall_seconds", "train_seconds", "eval_seconds", "curve_eval_seconds"}
STEPS = 20
RUN = ["run", "--preset", "smoke", "--dataset", "ring8", "--steps", str(STEPS), "--device", "cpu"]
RUN += ["--jobs", "1", "--no-report"]

# Loaded by every Python process started with this folder on PYTHONPATH (--jobs workers too):
# one line per call of the training loop, so "trained exactly once" is counted from outside the
# code under test.
HOOK = """
import os, torch
import ganbench.harness.train as _t
_train = _t.train
def train(variant, data, *a, **k):
    with open(os.environ["GANBENCH_TEST_TRAIN_LOG"], "a") as f:
        f.write(f"{os.getpid()} {type(variant).__name__} {data.spec.name} {torch.initial_seed()}\\n")
    if os.environ.get("GANBENCH_TEST_DIE_ON_SEED") == str(torch.initial_seed()):
        os._exit(9)  # as if the OOM killer took the worker
    return _train(variant, data, *a, **k)
_t.train = train
"""


def _stable(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in TIMING}


def _results(out: Path) -> dict[str, dict]:
    return {
        str(p.relative_to(out)): json.loads(p.read_text())
        for p in sorted(out.glob("runs/*/*/seed*/result.json"))
    }


def _board(out: Path) -> pd.DataFrame:
    df = pd.read_csv(out / "leaderboard.csv")
    return df.drop(columns=[c for c in df.columns if c in TIMING]).reset_index(drop=True)


@pytest.fixture
def hook_env(tmp_path):
    """Environment for subprocesses with the training-call counter installed."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOOK)
    log = tmp_path / "train.log"
    path = os.pathsep.join([str(hook), *filter(None, [os.environ.get("PYTHONPATH")])])
    env = {**os.environ, "PYTHONPATH": path, "GANBENCH_TEST_TRAIN_LOG": str(log)}
    env["OMP_NUM_THREADS"] = "1"
    return env, log


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "ganbench.cli", *args]


# --- two suites on one folder ------------------------------------------------------------------


@pytest.fixture(scope="module")
def single(tmp_path_factory) -> Path:
    """The same suite run by one process: what two processes together must reproduce."""
    out = tmp_path_factory.mktemp("single") / "out"
    run_suite(plan_runs(["gan", "lsgan"], ["ring8"], [0, 1], "smoke", "cpu", steps=STEPS), out)
    return out


def test_two_suites_on_one_folder_train_every_run_once(tmp_path, hook_env, single):
    """Two real `ganbench run` processes started together, three times. Each repetition must end
    with every run trained exactly once (counted by the hook), no failed row, and results equal
    to a single process's apart from timings. The claim is one atomic create, so the outcome does
    not depend on timing; the interleavings the race needs are also forced exactly in
    test_run_claimed_by_a_live_process_is_left_to_it below."""
    env, log = hook_env
    expected = {k: _stable(v) for k, v in _results(single).items()}
    for rep in range(3):
        out = tmp_path / f"rep{rep}"
        log.unlink(missing_ok=True)
        cmd = _cli(*RUN, "--variant", "gan", "lsgan", "--seeds", "0", "1", "--quiet")
        procs = [
            subprocess.Popen([*cmd, "--out", str(out)], env=env, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        errs = [p.communicate(timeout=600)[1] for p in procs]
        assert [p.returncode for p in procs] == [0, 0], errs
        calls = Counter(line.split(" ", 1)[1] for line in log.read_text().splitlines())
        assert len(calls) == 4 and set(calls.values()) == {1}, calls  # each run trained once
        got = _results(out)
        assert {k: _stable(v) for k, v in got.items()} == expected
        assert not any(v["status"] == "failed" for v in got.values())
        pd.testing.assert_frame_equal(_board(out), _board(single))
        assert not list(out.rglob("claim.json")) and not list(out.rglob("*.tmp"))


def test_run_claimed_by_a_live_process_is_left_to_it(tmp_path, monkeypatch, capsys, single):
    """The interleaving of the race, forced: another live process holds gan seed1's claim. The
    suite does the other run, says it waits, takes the other process's result when it lands,
    and trains nothing twice."""
    specs = plan_runs(["gan"], ["ring8"], [0, 1], "smoke", "cpu", steps=STEPS)
    out = tmp_path / "out"
    held = specs[1].folder(out)
    held.mkdir(parents=True)
    other = claims.Owner(os.getppid(), socket.gethostname(), "2026-01-01T00:00:00+00:00", "x" * 32)
    (held / claims.CLAIM).write_text(json.dumps(other.__dict__))

    trained = []
    import ganbench.harness.run as run

    real_train = run.train
    monkeypatch.setattr(run, "train", lambda *a, **k: trained.append(a[1].spec.name) or
                        real_train(*a, **k))  # fmt: skip
    monkeypatch.setattr(claims, "POLL_SECONDS", 0.01)
    waits = []
    real_wait = claims.ClaimQueue.wait

    def wait(self, seconds=0.01):  # the other process finishes while we wait
        real_wait(self, 0.01)
        waits.append(1)
        if len(waits) == 3:
            for name in ("result.json", "samples.png", "losses.csv"):
                shutil.copy(specs[1].folder(single) / name, held / name)
            (held / claims.CLAIM).unlink()

    monkeypatch.setattr(claims.ClaimQueue, "wait", wait)
    outcome = run_suite(specs, out)
    err = capsys.readouterr().err
    assert trained == ["ring8"]  # only seed 0, by us
    assert outcome.ran == 1 and outcome.by_others == 1 and outcome.failed == 0
    assert err.count(f"waiting for 1 run claimed by pid {other.pid} on host {other.host}") == 1
    assert (held / "result.json").read_bytes() == (
        specs[1].folder(single) / "result.json"
    ).read_bytes()
    assert {k: _stable(v) for k, v in _results(out).items()} == {
        k: _stable(v) for k, v in _results(single).items() if "lsgan" not in k
    }


def test_finished_result_is_never_overwritten(tmp_path, capsys, single):
    """Checked again just before writing: a finished result that appeared meanwhile stays."""
    (spec,) = plan_runs(["gan"], ["ring8"], [0], "smoke", "cpu", steps=STEPS)
    folder = spec.folder(tmp_path)
    folder.mkdir(parents=True)
    theirs = json.loads((spec.folder(single) / "result.json").read_text())
    theirs["marker"] = "written by the other process"
    (folder / "result.json").write_text(json.dumps(theirs))
    before = (folder / "result.json").read_bytes()
    row = run_one(spec, tmp_path, log_every=10)
    assert (folder / "result.json").read_bytes() == before
    assert row["marker"] == "written by the other process"
    assert "a finished result (ok) is already there and is kept" in capsys.readouterr().err


# --- stale claims ------------------------------------------------------------------------------


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_claim_is_taken_over_with_a_line(tmp_path, capsys):
    (spec,) = plan_runs(["gan"], ["ring8"], [0], "smoke", "cpu", steps=STEPS)
    folder = spec.folder(tmp_path)
    folder.mkdir(parents=True)
    gone = claims.Owner(_dead_pid(), socket.gethostname(), "2026-01-01T00:00:00+00:00", "y" * 32)
    (folder / claims.CLAIM).write_text(json.dumps(gone.__dict__))
    outcome = run_suite([spec], tmp_path)
    assert outcome.ran == 1 and outcome.failed == 0
    err = capsys.readouterr().err
    assert "stale claim taken over" in err and f"pid {gone.pid}" in err
    assert not (folder / claims.CLAIM).exists()


def test_claim_of_a_reused_pid_is_stale(tmp_path):
    """The pid runs again, but it is another process (started at another time)."""
    if claims._proc_start(os.getpid()) is None:
        pytest.skip("no /proc here")
    reused = claims.Owner(os.getppid(), socket.gethostname(), "", "z" * 32, pid_start="1")
    assert not reused.alive()
    assert claims.me().alive()
    elsewhere = claims.Owner(_dead_pid(), "some-other-host", "", "w" * 32)
    assert elsewhere.alive()  # cannot be checked from here: counts as live


def test_suite_killed_while_holding_a_claim_is_resumed(tmp_path, hook_env):
    """SIGKILL a real `ganbench run` while it holds a claim: the next run takes it over, says so,
    and completes; nothing is left behind."""
    env, log = hook_env
    out = tmp_path / "out"
    cmd = [*_cli(*RUN, "--variant", "gan", "--seeds", "0", "--quiet"), "--out", str(out)]
    cmd[cmd.index("--steps") + 1] = "500"  # long enough to be caught holding the claim
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    claim = out / "runs" / "gan" / "ring8" / "seed0" / claims.CLAIM
    deadline = time.time() + 300
    while not claim.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    assert claim.exists(), "the process should hold its claim while it trains"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert claim.exists() and not (claim.parent / "result.json").exists()

    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "stale claim taken over" in r.stderr and f"pid {proc.pid}" in r.stderr
    assert json.loads((claim.parent / "result.json").read_text())["status"] == "ok"
    assert not claim.exists()


# --- a killed worker process -------------------------------------------------------------------


def test_killed_worker_keeps_finished_runs(tmp_path, hook_env, monkeypatch, capsys):
    """--jobs 2, and the worker that starts seed 2 dies (os._exit, as under the OOM killer): no
    traceback, the finished runs stay, the rest are failed or left for a re-run, which then
    completes without touching the finished ones."""
    env, _ = hook_env
    for k in ("PYTHONPATH", "GANBENCH_TEST_TRAIN_LOG"):
        monkeypatch.setenv(k, env[k])
    monkeypatch.setenv("GANBENCH_TEST_DIE_ON_SEED", "2")
    specs = plan_runs(["gan"], ["ring8"], [0, 1, 2], "smoke", "cpu", steps=STEPS)
    out = tmp_path / "out"
    outcome = run_suite(specs, out, jobs=2)
    err = capsys.readouterr().err
    assert "a worker process died" in err and "re-run the same command" in err
    rows = {k: v for k, v in _results(out).items() if k.startswith("runs/gan/")}
    ok = {k: v for k, v in rows.items() if v["status"] == "ok"}
    assert ok, "the run that freed the slot for seed 2 had finished"
    died = rows["runs/gan/ring8/seed2/result.json"]
    assert died["status"] == "failed" and "worker process died" in died["error"]
    assert outcome.failed == len(specs) - len(ok)
    assert (out / "leaderboard.csv").exists()

    monkeypatch.delenv("GANBENCH_TEST_DIE_ON_SEED")
    kept = {k: (out / k).read_bytes() for k in ok}
    again = run_suite(specs, out, jobs=2)
    assert again.failed == 0 and again.skipped == len(ok)
    assert {k: (out / k).read_bytes() for k in ok} == kept


# --- --quiet never hides a failure -------------------------------------------------------------


class _Fails(DCGAN):
    def d_loss(self, real, z, labels):
        raise RuntimeError("boom: deliberately broken")


@pytest.fixture
def failing():
    register("test-fails", family="test", paper="-", supports=("points",))(_Fails)
    yield "test-fails"
    unregister("test-fails")


def test_quiet_still_prints_a_failed_run_and_the_summary(tmp_path, capsys, failing):
    rc = main([*RUN, "--variant", failing, "gan", "--quiet", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 1
    lines = err.strip().splitlines()
    assert any(
        "test-fails ring8 seed0: failed" in ln and "RuntimeError: boom: deliberately broken" in ln
        for ln in lines
    ), err
    assert any("1 failed" in ln for ln in lines), err  # the summary line
    assert not any("gan ring8 seed0: ok" in ln for ln in lines)  # progress stays quiet


# --- eval: a generator that cannot be imported is a usage error --------------------------------


@pytest.mark.parametrize(
    "generator, says",
    [
        ("no_such_module_xyz:G", "cannot import module 'no_such_module_xyz'"),
        ("os.path:nosuch", "has no attribute 'nosuch'"),
        ("broken.py:G", "is not valid Python (line 1)"),
        ("nowhere/gen.py:G", "does not exist"),
        ("needs_missing.py:G", "imports 'no_such_dependency_xyz', which is not installed"),
    ],
    ids=["missing-module", "missing-attribute", "syntax-error", "missing-file", "missing-dep"],
)
def test_eval_unimportable_generator_exits_2_and_writes_nothing(
    tmp_path, monkeypatch, capsys, generator, says
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.py").write_text("def G(n, device)\n    return 1\n")
    (tmp_path / "needs_missing.py").write_text("import no_such_dependency_xyz\n")
    out = tmp_path / "out"
    argv = ["eval", "--generator", generator, "--dataset", "ring8", "--preset", "smoke"]
    rc = main([*argv, "--device", "cpu", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("ganbench: error: "), err
    assert says in err
    assert not out.exists()
    assert main([*argv, "--device", "cpu", "--out", str(out)]) == 2  # with progress lines:
    errors = [ln for ln in capsys.readouterr().err.splitlines() if "error" in ln]
    assert len(errors) == 1 and errors[0].startswith("ganbench: error: ")  # still one error line
    assert not out.exists()

    out.mkdir()  # an existing folder is left exactly as it was
    (out / "keep.txt").write_text("mine")
    assert main([*argv, "--device", "cpu", "--out", str(out)]) == 2
    assert sorted(p.name for p in out.rglob("*")) == ["keep.txt"]
