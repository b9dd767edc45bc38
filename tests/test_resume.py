"""A suite killed part-way (SIGKILL, mid-run) and re-run completes with no duplicated or lost rows,
and the runs that had finished are neither redone nor changed."""

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd

CMD = [
    sys.executable,
    "-m",
    "ganbench.cli",
    "run",
    "--variant",
    "gan",
    "lsgan",
    "wgan",
    "--dataset",
    "ring8",
    "grid25",
    "--seeds",
    "0",
    "1",
    "--preset",
    "smoke",
    "--device",
    "cpu",
    "--quiet",
]
EXPECTED = 3 * 2 * 2
REFERENCE = 2 * 2  # the real reference row per (dataset, seed), written after the runs


def _results(out):
    return sorted(out.glob("runs/*/*/seed*/result.json"))


def test_killed_suite_resumes_without_duplicates_or_losses(tmp_out):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([*CMD, "--out", str(tmp_out)], env=env, start_new_session=True)
    deadline = time.time() + 120
    while len(_results(tmp_out)) < 3 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = {p: p.read_bytes() for p in _results(tmp_out)}
    assert 3 <= len(done_before) < EXPECTED, "the kill should land part-way through the suite"
    for content in done_before.values():  # a kill never leaves a half-written result
        assert json.loads(content)["status"] == "ok"

    r = subprocess.run([*CMD, "--out", str(tmp_out)], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    board = pd.read_csv(tmp_out / "leaderboard.csv")
    assert len(board) == EXPECTED + REFERENCE
    assert not board.duplicated(["variant", "dataset", "seed"]).any()
    assert set(board["status"]) == {"ok"}
    for path, content in done_before.items():
        assert path.read_bytes() == content, f"{path} was redone"
