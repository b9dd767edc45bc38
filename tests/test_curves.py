"""Convergence curves (ganbench/harness/curves.py): the schedule, the `converged` / `best_step` rule on
constructed curves, curve.csv from a real smoke run, training unchanged by the evaluation, and the
report's curve chart and not-converged marks."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest
import torch

from ganbench.core.io import write_text_atomic
from ganbench.core.seeding import make_generator, seed_everything
from ganbench.data import get_dataset
from ganbench.harness import curves
from ganbench.harness.curves import VERDICTS, best_step, converged, convergence, eval_schedule
from ganbench.harness.suite import plan_runs, run_one
from ganbench.harness.train import train
from ganbench.registry import get_variant
from ganbench.results.leaderboard import leaderboard_frame, summary_frame

# --- schedule ----------------------------------------------------------------------------------


@pytest.mark.parametrize("steps", [100, 350, 500, 3000, 20000])
def test_schedule_has_ten_log_points_and_the_final_half(steps):
    s = eval_schedule(steps)
    assert s == sorted(set(s)) and s[-1] == steps and s[0] >= 1
    assert s[0] <= max(1, round(steps / 100)) + 1  # starts at about steps/100
    early = [x for x in s if x < steps / 2]
    ratios = [b / a for a, b in zip(early, early[1:], strict=False)]
    assert len(early) >= 7 and min(ratios) > 1.2  # log-spaced, not linear
    for f in curves.FINAL_FRACTIONS:
        assert round(f * steps) in s
    assert len(s) >= 10 + 3


@pytest.mark.parametrize("steps", [1, 2, 6, 10, 40])
def test_schedule_for_tiny_budgets(steps):
    s = eval_schedule(steps)
    assert s == sorted(set(s)) and s[-1] == steps and all(1 <= x <= steps for x in s)
    assert len(s) >= min(10, steps)
    assert len([x for x in s if 2 * x >= steps]) >= min(3, steps)  # the rule has its points


# --- converged / best_step on constructed curves -----------------------------------------------

STEPS = eval_schedule(500)


def points_curve(hq, modes, total=8):
    return [
        {"step": s, "hq_fraction": h, "modes_covered": m, "modes_total": total}
        for s, h, m in zip(STEPS, hq, modes, strict=True)
    ]


def image_curve(fid):
    return [{"step": s, "fid": f} for s, f in zip(STEPS, fid, strict=True)]


N = len(STEPS)
RISING = [min(1.0, 0.05 + 0.9 * i / (N - 1)) for i in range(N)]  # still improving at the end


def test_points_flat_is_converged_and_best_is_the_peak():
    hq = [0.1 * i for i in range(N - 6)] + [0.95, 0.97, 0.96, 0.94, 0.96, 0.95]
    c = points_curve(hq, [8] * N)
    assert converged(c, "points")
    assert best_step(c, "points") == STEPS[N - 5]  # 0.97


def test_points_still_improving_is_not_converged():
    c = points_curve(RISING, [8] * N)
    assert not converged(c, "points")
    assert best_step(c, "points") == STEPS[-1]


def test_points_oscillating_is_not_converged():
    hq = [0.9 if i % 2 else 0.6 for i in range(N)]
    assert not converged(points_curve(hq, [8] * N), "points")
    modes = [8 if i % 2 else 5 for i in range(N)]  # hq steady, modes flip
    assert not converged(points_curve([0.9] * N, modes), "points")


def test_points_mode_tolerance_scales_with_modes_total():
    modes = [25 if i % 2 else 23 for i in range(N)]
    hq = [0.0] + [0.9] * (N - 1)  # learned early, then steady
    assert converged(points_curve(hq, modes, total=25), "points")  # 2 <= 10% of 25
    assert not converged(points_curve(hq, [m - 17 for m in modes], total=8), "points")


def test_a_flat_start_is_not_converged():
    """Steady because it never moved: a parked generator's number is not a result."""
    assert convergence(points_curve([0.0] * N, [0] * N), "points") == "flat"
    assert convergence(points_curve([0.6] * N, [5] * N), "points") == "flat"
    assert convergence(image_curve([250.0] * N), "image") == "flat"
    # a small gain inside the tolerance is still flat; one beyond it has learned
    assert convergence(points_curve([0.0] + [0.04] * (N - 1), [0] * N), "points") == "flat"
    assert convergence(points_curve([0.0] + [0.06] * (N - 1), [0] * N), "points") == "converged"
    # modes alone count as learning (hq_fraction can stay low while coverage grows)
    assert convergence(points_curve([0.01] * N, [1] + [8] * (N - 1)), "points") == "converged"
    # FID that got worse from the start and then sat still has not learned
    assert convergence(image_curve([100.0] + [200.0] * (N - 1)), "image") == "flat"


def test_verdicts_name_every_outcome():
    hq = [0.1 * i for i in range(N - 6)] + [0.95, 0.97, 0.96, 0.94, 0.96, 0.95]
    assert convergence(points_curve(hq, [8] * N), "points") == "converged"
    assert convergence(points_curve(RISING, [8] * N), "points") == "moving"
    assert convergence(points_curve([0.9] * N, [8] * N)[:2], "points") == "short"
    nan = points_curve([0.0] + [0.9] * (N - 2) + [math.nan], [8] * N)
    assert convergence(nan, "points") == "non-finite"
    assert set(VERDICTS) == {"converged", "moving", "flat", "short", "non-finite"}


def test_points_tie_breaks_by_modes_then_earlier_step():
    c = points_curve([0.5] * N, [3] * (N - 3) + [6, 6, 5])
    assert best_step(c, "points") == STEPS[N - 3]


def test_images_flat_improving_oscillating():
    flat = [400 / (i + 1) for i in range(N - 6)] + [30.0, 29.0, 31.0, 30.5, 29.5, 30.0]
    assert converged(image_curve(flat), "image")
    assert best_step(image_curve(flat), "image") == STEPS[N - 5]
    improving = [300.0 * 0.8**i for i in range(N)]
    assert not converged(image_curve(improving), "image")
    assert best_step(image_curve(improving), "image") == STEPS[-1]
    oscillating = [40.0 if i % 2 else 80.0 for i in range(N)]
    assert not converged(image_curve(oscillating), "image")


def test_images_tolerance_has_the_noise_floor():
    # near-real FID: 10% of 0.4 is inside the noise; the sqrt floor keeps it converged
    near = [5.0] * (N - 6) + [0.4, 0.7, 0.5, 0.3, 0.6, 0.45]
    assert converged(image_curve(near), "image")


def test_too_few_or_non_finite_points_are_not_converged():
    assert not converged([], "points") and best_step([], "image") == -1
    two = [{"step": 1, "fid": 5.0}, {"step": 2, "fid": 5.0}]
    assert not converged(two, "image")
    nan = [30.0] * (N - 1) + [math.nan]
    assert not converged(image_curve(nan), "image")
    assert best_step(image_curve(nan), "image") == STEPS[0]
    with pytest.raises(ValueError):
        converged(image_curve([1.0] * N), "audio")


# --- a real smoke run ----------------------------------------------------------------------------


def test_smoke_run_writes_curve_and_row(tmp_path):
    (spec,) = plan_runs(["gan"], ["ring8"], [0], "smoke", device="cpu")
    row = run_one(spec, tmp_path, log_every=10)
    assert row["status"] == "ok", row.get("error")
    assert isinstance(row["converged"], bool)
    assert row["best_step"] in eval_schedule(spec.budget.steps)
    assert row["curve_eval_seconds"] >= 0
    with open(spec.folder(tmp_path) / "curve.csv", newline="") as f:
        recs = list(csv.DictReader(f))
    assert list(recs[0]) == ["step", "seconds", *curves.COLUMNS["points"]]
    assert [int(r["step"]) for r in recs] == eval_schedule(spec.budget.steps)
    assert all(int(r["modes_total"]) == 8 for r in recs)
    # the curve's last point sees the trained generator: same data, same sample count as the row
    assert 0 <= float(recs[-1]["hq_fraction"]) <= 1


def _metrics_row(row):
    timing = {"wall_seconds", "train_seconds", "eval_seconds", "curve_eval_seconds"}
    return {k: v for k, v in row.items() if k not in timing | {"converged", "convergence", "best_step"}}


@pytest.mark.parametrize("variant,dataset", [("dragan", "ring8"), ("dcgan", "mnist")])
def test_final_row_identical_with_and_without_curves(tmp_path, variant, dataset):
    """dragan draws from the global torch RNG in its loss; dcgan's G has batch norm."""
    (spec,) = plan_runs([variant], [dataset], [0], "smoke", device="cpu")
    with_c = run_one(spec, tmp_path / "with", log_every=2)
    without = run_one(spec, tmp_path / "without", log_every=2, curves=False)
    assert with_c["status"] == without["status"] == "ok"
    assert "converged" in with_c and "converged" not in without
    assert repr(_metrics_row(with_c)) == repr(_metrics_row(without))
    a, b = spec.folder(tmp_path / "with"), spec.folder(tmp_path / "without")
    assert (a / "losses.csv").read_bytes() == (b / "losses.csv").read_bytes()
    assert (a / "curve.csv").exists() and not (b / "curve.csv").exists()
    ca, cb = (torch.load(p / "checkpoint.pt", weights_only=True) for p in (a, b))
    for net in ca:
        for k, t in ca[net].items():
            assert torch.equal(t, cb[net][k]), (net, k)


def _train_params(dataset: str, variant: str, callback) -> dict[str, torch.Tensor]:
    data = get_dataset(dataset)
    seed_everything(0)
    v = get_variant(variant).cls(data.spec)
    (spec,) = plan_runs([variant], [dataset], [0], "smoke", device="cpu")
    cpu = torch.device("cpu")
    train(
        v,
        data,
        spec.budget,
        cpu,
        make_generator(0),
        log_every=2,
        checkpoints=range(1, spec.budget.steps + 1),
        on_checkpoint=None if callback is None else (lambda step: callback(v)),
    )
    return {
        f"{n}.{k}": t.clone() for n, m in v.modules().items() for k, t in m.state_dict().items()
    }


def _rude(v) -> None:
    """Everything a careless callback could do: draw from the global RNGs, switch every module to
    train mode and run G forward in it (batch norm would update its running statistics)."""
    import random

    import numpy as np

    torch.rand(7)
    np.random.rand(3)
    random.random()
    for m in v.modules().values():
        m.train()
    v.G(v.noise(8, "cpu"))
    for m in v.modules().values():
        m.eval()


@pytest.mark.parametrize("variant,dataset", [("dragan", "ring8"), ("dcgan", "mnist")])
def test_a_careless_callback_cannot_change_training(variant, dataset):
    plain = _train_params(dataset, variant, None)
    rude = _train_params(dataset, variant, _rude)
    assert plain.keys() == rude.keys()
    for k in plain:
        assert torch.equal(plain[k], rude[k]), k


# --- leaderboard and report --------------------------------------------------------------------


def _board(tmp_path: Path) -> Path:
    from report_helpers import write_run

    out = tmp_path / "out"
    good = {"modes_covered": 8, "modes_total": 8, "hq_fraction": 0.90, "reverse_kl": 0.01}
    fast = {"modes_covered": 8, "modes_total": 8, "hq_fraction": 0.99, "reverse_kl": 0.001}
    steps = eval_schedule(40)
    for seed in (0, 1):
        for variant, metrics, conv in (("steady", good, True), ("moving", fast, False)):
            folder = write_run(out, variant, "ring8", seed, metrics)
            hq = [0.9] * len(steps) if conv else [0.1 + 0.06 * i for i in range(len(steps))]
            rows = [
                {"step": s, "seconds": 0.1 * s, "modes_covered": 8, "modes_total": 8,
                 "hq_fraction": h, "reverse_kl": 0.01}
                for s, h in zip(steps, hq, strict=True)
            ]  # fmt: skip
            cols = ["step", "seconds", *curves.COLUMNS["points"]]
            write_text_atomic(folder / "curve.csv", curves.curve_csv(rows, cols))
            import json

            res = json.loads((folder / "result.json").read_text())
            res.update(converged=conv, best_step=40, curve_eval_seconds=0.01)
            (folder / "result.json").write_text(json.dumps(res))
    return out


def test_summary_counts_converged_and_columns_are_meta(tmp_path):
    from ganbench.results.leaderboard import collect_rows, metric_columns

    df = leaderboard_frame(collect_rows(_board(tmp_path)))
    assert not {"converged", "best_step", "curve_eval_seconds"} & set(metric_columns(df))
    assert set(map(str, df["converged"])) == {"True", "False"}  # never 1/0
    s = summary_frame(df).set_index("variant")
    assert s.loc["steady", "n_converged"] == 2 and s.loc["moving", "n_converged"] == 0
    assert "converged_mean" not in s.columns and "best_step_mean" not in s.columns
    back = pd.read_csv(_write(tmp_path, df))
    assert back["converged"].map(str).isin(["True", "False"]).all()


def _write(tmp_path: Path, df: pd.DataFrame) -> Path:
    p = tmp_path / "board.csv"
    df.to_csv(p, index=False)
    return p


def test_report_draws_curves_and_marks_non_converged(tmp_path):
    from ganbench.results.report import NOT_CONVERGED, write_report

    out = _board(tmp_path)
    html_path, md_path = write_report(out)
    html, md = html_path.read_text(), md_path.read_text()
    assert "Convergence curves" in html and (out / "report_assets" / "ring8_curves.png").exists()
    assert "ring8_curves.png" in md
    assert "a non-converged number is not a result" in html
    assert "a non-converged number is not a result" in md
    table = md.split("## Dataset: ring8")[1].split("\n\n|")[1].split("\n\n")[0].splitlines()
    moving = [ln for ln in table if "moving" in ln][0]
    steady = [ln for ln in table if "steady" in ln][0]
    # moving has the better hq_fraction, but it is not a result: unranked, marked, no star
    assert NOT_CONVERGED in moving and "★" not in moving and moving.startswith("| – |")
    assert "★" in steady and steady.startswith("| 1 |")
    assert table.index(steady) < table.index(moving)
    assert "class=nc" in html
