"""run --batch-seeds: the seeds of a supported variant train as one batched model inside the suite
(ganbench.harness.suite.run_seed_group), and every member is finished, scored and stored like a
separate run; unsupported variants and single seeds run as before."""

import pandas as pd
import torch

from ganbench.cli import main
from ganbench.harness.suite import plan_runs, run_suite, seed_groups

VOLATILE = {"wall_seconds", "train_seconds", "eval_seconds", "curve_eval_seconds"}


def _stable(row):
    return {k: v for k, v in row.items() if k not in VOLATILE}


def _by_seed(rows):
    return {(r["variant"], r["seed"]): r for r in rows}


def test_groups_are_the_supported_multi_seed_runs():
    specs = plan_runs(["gan", "sngan"], ["ring8"], [0, 1], "smoke", device="cpu")
    specs += plan_runs(["lsgan"], ["ring8"], [0], "smoke", device="cpu")
    groups = seed_groups(specs)
    # sngan's spectral norm cannot be batched; lsgan has a single seed
    assert [[(s.variant, s.seed) for s in g] for g in groups] == [[("gan", 0), ("gan", 1)]]


def test_batched_suite_finishes_every_member_like_a_run(tmp_path):
    specs = plan_runs(["gan"], ["ring8"], [0, 1, 2], "smoke", device="cpu")
    specs += plan_runs(["sngan"], ["ring8"], [0, 1], "smoke", device="cpu")
    outcome = run_suite(specs, tmp_path, jobs=1, batch_seeds=True)
    rows = _by_seed(outcome.rows)
    assert outcome.ran == 5 and outcome.failed == 0
    for seed in (0, 1, 2):
        r = rows[("gan", seed)]
        assert r["status"] == "ok" and r["batched"] == 3 and r["steps"] == specs[0].budget.steps
        folder = specs[seed].folder(tmp_path)
        for name in ("losses.csv", "curve.csv", "samples.png", "checkpoint.pt", "result.json"):
            assert (folder / name).exists(), name
        assert isinstance(r["converged"], bool) and "hq_fraction" in r
    assert all("batched" not in rows[("sngan", s)] for s in (0, 1))  # ran separately
    # the members are different runs (own seeds), not copies of one
    ck = [torch.load(specs[s].folder(tmp_path) / "checkpoint.pt") for s in (0, 1)]
    assert not torch.equal(ck[0]["G"]["net.0.weight"], ck[1]["G"]["net.0.weight"])
    board = pd.read_csv(tmp_path / "leaderboard.csv")
    assert "batched_mean" not in pd.read_csv(tmp_path / "leaderboard_summary.csv").columns
    assert set(board[board["variant"] == "gan"]["batched"]) == {3}
    again = run_suite(specs, tmp_path, jobs=1, batch_seeds=True)  # a resume trains nothing
    assert again.ran == 0 and again.skipped == 5


def test_batched_members_match_their_separate_runs(tmp_path):
    """Same draws as the separate run of each seed: only float rounding differs (float32), so at
    the smoke budget the loss histories agree closely and the same settings give the same rows."""
    specs = plan_runs(["gan"], ["ring8"], [0, 1], "smoke", device="cpu")
    batched = _by_seed(run_suite(specs, tmp_path / "b", jobs=1, batch_seeds=True).rows)
    separate = _by_seed(run_suite(specs, tmp_path / "s", jobs=1).rows)
    for s in specs:
        lb = pd.read_csv(s.folder(tmp_path / "b") / "losses.csv")
        ls = pd.read_csv(s.folder(tmp_path / "s") / "losses.csv")
        assert list(lb.columns) == list(ls.columns) and len(lb) == len(ls)
        for col in ("d_loss", "g_loss"):
            assert (lb[col] - ls[col]).abs().max() < 1e-2 * ls[col].abs().max(), col
        assert batched[("gan", s.seed)]["modes_total"] == separate[("gan", s.seed)]["modes_total"]
    twice = _by_seed(run_suite(specs, tmp_path / "b2", jobs=1, batch_seeds=True).rows)
    assert {k: _stable(v) for k, v in twice.items()} == {k: _stable(v) for k, v in batched.items()}


def test_cli_batch_seeds(tmp_path):
    out = tmp_path / "out"
    argv = ["run", "--variant", "gan", "--dataset", "ring8", "--seeds", "0", "1", "--preset",
            "smoke", "--device", "cpu", "--out", str(out), "--quiet", "--no-report",
            "--batch-seeds", "--jobs", "1"]  # fmt: skip
    assert main(argv) == 0
    board = pd.read_csv(out / "leaderboard.csv")
    assert set(board[board["variant"] == "gan"]["batched"]) == {2}
