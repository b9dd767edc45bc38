"""A suite finished in pieces (issue 9): `max_minutes` / `--max-minutes M` starts no new run after
M minutes, lets the runs already going finish, writes the leaderboards of what is done, and the
same call again continues. Stopped and re-run, the suite ends with every run exactly once and the
same leaderboard (apart from timings) as a suite run in one go.

Time is faked: `suite._now` is replaced by a clock that advances one minute per result.json on
disk, so where a suite stops depends on how many runs finished, never on how fast they ran."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

import ganbench.harness.suite as suite
from ganbench.cli import main
from ganbench.core.errors import GanbenchError
from ganbench.harness.suite import plan_runs, run_suite

TIMING = {"wall_seconds", "train_seconds", "eval_seconds", "curve_eval_seconds"}
STEPS = 20
KEY = ["variant", "dataset", "seed"]


def _specs(seeds=(0, 1, 2)):
    return plan_runs(["gan", "lsgan"], ["ring8"], list(seeds), "smoke", "cpu", steps=STEPS)


def _board(out: Path) -> pd.DataFrame:
    df = pd.read_csv(out / "leaderboard.csv")
    df = df.drop(columns=[c for c in df.columns if c in TIMING])
    return df.sort_values(KEY).reset_index(drop=True)


def _runs(out: Path) -> set[tuple[str, str, int]]:
    df = pd.read_csv(out / "leaderboard.csv")
    df = df[df["variant"] != "real"]  # the held-out reference rows
    keys = list(df[KEY].itertuples(index=False, name=None))
    assert len(keys) == len(set(keys)), f"duplicated rows: {Counter(keys)}"
    return set(keys)


def _expected(specs) -> set[tuple[str, str, int]]:
    return {(s.variant, s.dataset, s.seed) for s in specs}


@pytest.fixture
def minute_per_run(tmp_out, monkeypatch):
    """The clock run_suite reads: one minute per finished run (result.json) under tmp_out."""
    monkeypatch.setattr(
        suite, "_now", lambda: 60.0 * sum(1 for _ in tmp_out.glob("runs/*/*/*/result.json"))
    )


@pytest.fixture
def trained(monkeypatch):
    """(variant, seed) of every call of the training loop in this process."""
    calls: list[tuple[str, int]] = []
    import ganbench.harness.run as run

    real = run.train

    def counting(variant, data, *a, **k):
        import torch

        calls.append((variant.name, torch.initial_seed()))
        return real(variant, data, *a, **k)

    monkeypatch.setattr(run, "train", counting)
    return calls


@pytest.fixture(scope="module")
def in_one_go(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("one_go") / "out"
    outcome = run_suite(_specs(), out)
    assert outcome.deferred == 0 and outcome.failed == 0
    return out


def test_stopped_suite_resumes_with_no_lost_or_duplicated_rows(
    tmp_out, minute_per_run, trained, capsys, in_one_go
):
    specs = _specs()  # 6 runs
    first = run_suite(specs, tmp_out, max_minutes=2.5)  # starts runs at minutes 0, 1, 2
    err = capsys.readouterr().err
    assert (first.ran, first.deferred, first.failed) == (3, 3, 0)
    assert "stopped by --max-minutes 2.5 after 3 of 6 runs (3 not started)" in err
    assert "run the same command again to continue" in err
    assert _runs(tmp_out) == _expected(specs[:3])  # the partial leaderboard: the finished runs

    second = run_suite(specs, tmp_out, max_minutes=1.5)  # minutes 3 and 4: two more runs
    assert (second.ran, second.skipped, second.deferred) == (2, 3, 1)
    assert "after 5 of 6 runs (1 not started)" in capsys.readouterr().err
    third = run_suite(specs, tmp_out, max_minutes=1.5)
    assert (third.ran, third.skipped, third.deferred, third.failed) == (1, 5, 0, 0)
    assert "stopped by" not in capsys.readouterr().err  # complete: no partial notice

    assert len(trained) == len(set(trained)) == len(specs)  # each run trained exactly once
    assert _runs(tmp_out) == _expected(specs)
    pd.testing.assert_frame_equal(_board(tmp_out), _board(in_one_go))
    assert not list(tmp_out.rglob("claim.json"))


def test_every_call_starts_at_least_one_run(tmp_out, minute_per_run, trained):
    """However small M is, each chunk makes progress (the deadline counts from the call's start)."""
    specs = _specs(seeds=(0,))
    for n in (1, 2):
        outcome = run_suite(specs, tmp_out, max_minutes=1e-6)
        assert (outcome.ran, outcome.deferred) == (1, len(specs) - n)
    assert _runs(tmp_out) == _expected(specs) and len(trained) == len(specs)


def test_jobs_2_stops_submitting_and_lets_started_runs_finish(
    tmp_out, minute_per_run, capsys, in_one_go
):
    """Worker processes: nothing is submitted after the deadline; what was submitted finishes
    (the clock only moves when a run finishes, so every started run is in the leaderboard)."""
    specs = _specs()
    first = run_suite(specs, tmp_out, jobs=2, max_minutes=1.5)
    assert first.failed == 0 and 2 <= first.ran < len(specs)
    assert first.deferred == len(specs) - first.ran
    assert len(_runs(tmp_out)) == first.ran  # started runs finished, none cut off
    assert "stopped by --max-minutes 1.5" in capsys.readouterr().err
    again = run_suite(specs, tmp_out)  # in this process: spawning workers again costs ~a minute
    assert again.ran == len(specs) - first.ran and again.deferred == 0 and again.failed == 0
    assert _runs(tmp_out) == _expected(specs)
    pd.testing.assert_frame_equal(_board(tmp_out), _board(in_one_go))


RUN = ["run", "--preset", "smoke", "--dataset", "ring8", "--steps", str(STEPS), "--device", "cpu"]
RUN += ["--variant", "gan", "--seeds", "0", "1", "--jobs", "1", "--no-report"]


def test_cli_max_minutes_end_to_end(tmp_out, minute_per_run, capsys):
    argv = [*RUN, "--out", str(tmp_out), "--max-minutes", "0.5", "--quiet"]
    assert main(argv) == 0  # stopped by the limit is not a failure
    err = capsys.readouterr().err
    assert "stopped by --max-minutes 0.5 after 1 of 2 runs" in err  # prints under --quiet
    assert _runs(tmp_out) == {("gan", "ring8", 0)}
    assert main(argv[:-1]) == 0
    err = capsys.readouterr().err
    assert "stopped by" not in err
    assert "1 run(s) done, 1 skipped (done earlier), 0 failed" in err
    assert _runs(tmp_out) == {("gan", "ring8", 0), ("gan", "ring8", 1)}


@pytest.mark.parametrize("minutes", ["0", "-5", "nan", "inf"])
def test_bad_max_minutes_is_one_line_and_writes_nothing(tmp_out, capsys, minutes):
    assert main([*RUN, "--out", str(tmp_out), "--max-minutes", minutes]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ganbench: error: --max-minutes"), err
    assert "positive number of minutes" in err[0] and "leave it out" in err[0]
    assert not tmp_out.exists()


def test_library_rejects_bad_max_minutes_before_writing(tmp_out):
    with pytest.raises(GanbenchError, match="positive number of minutes"):
        run_suite(_specs(seeds=(0,)), tmp_out, max_minutes=0)
    assert not tmp_out.exists()
