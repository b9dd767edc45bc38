"""report.html / report.md: contents per dataset, self-containment, discovery of metric columns,
and the report written at the end of `ganbench run`."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from report_helpers import fake_out, write_run

from ganbench.cli import main
from ganbench.core.directions import DIRECTIONS, arrow, badness
from ganbench.results.report import summary_metrics, write_report

IMG_SRC = re.compile(r'<img src="([^"]+)"')


@pytest.fixture(scope="module")
def fake(tmp_path_factory) -> Path:
    out = fake_out(tmp_path_factory.mktemp("fake") / "out")
    write_report(out)
    return out


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> Path:
    """Real smoke runs: gan and wgan-gp on ring8 and mnist, seeds 0 and 1."""
    from ganbench.harness.suite import plan_runs, run_suite

    out = tmp_path_factory.mktemp("smoke") / "out"
    specs = plan_runs(["gan", "wgan-gp"], ["ring8", "mnist"], [0, 1], "smoke", "cpu")
    outcome = run_suite(specs, out)
    assert outcome.failed == 0, [r.get("error") for r in outcome.rows]
    write_report(out)
    return out


def test_html_is_self_contained(fake):
    html = (fake / "report.html").read_text()
    srcs = IMG_SRC.findall(html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    # nothing fetched from anywhere: no external URL in src/href, no linked CSS or scripts
    assert not re.search(r'(src|href)="(https?:|//|file:)', html)
    assert "<link" not in html and "<script" not in html
    assert "<style>" in html


def test_sections_per_dataset(fake):
    html = (fake / "report.html").read_text()
    for ds in ("mnist", "ring8"):
        assert f'id="ds-{ds}"' in html
    for title in (
        "Metrics with 95% confidence intervals",
        "Quality against cost",
        "Samples",
        "Memorization: closest generated/train pairs",
        "Loss curves",
        "Failed and diverged runs",
        "Run metadata",
    ):
        assert title in html, title
    # sample pictures of every variant on both datasets + bar, cost and loss charts + pairs
    assert len(IMG_SRC.findall(html)) >= 2 * 3 + 2 * 3 + 3
    assert "sampler returned NaN or inf values" in html  # the failed run and its reason
    for meta in ("smoke", "budget_steps=40", "mnist-cnn@0123456789ab", "torch", "cpu"):
        assert meta in html


def test_leaderboard_marks_best_and_ci(fake):
    md = (fake / "report.md").read_text()
    mnist = md.split("## Dataset: mnist")[1].split("## Dataset:")[0]
    table = mnist.split("\n\n|")[1]  # the leaderboard: the first table of the section
    rows = ["|" + ln if i == 0 else ln for i, ln in enumerate(table.split("\n\n")[0].splitlines())]
    header, body = rows[0], rows[2:]
    assert "fid ↓" in header and "precision ↑" in header and "ct_z →0" in header
    assert "sharpness_score" in header  # a column nobody told the report about
    first = [ln for ln in body if ln.startswith("| 1 |")][0]
    assert "good" in first and first.count("★") >= 5  # ranked by fid; best everywhere it is
    assert "±" in first
    assert "bad" in body[-1] and "3/4 (1 failed)" in body[-1]


def test_markdown_images_resolve(fake):
    md = (fake / "report.md").read_text()
    paths = re.findall(r"\]\(([^)]+\.png)\)", md) + re.findall(r'<img src="([^"]+)"', md)
    assert paths
    for p in paths:
        assert not p.startswith("/") and (fake / p).exists(), p


def test_memorization_shows_worst_offenders_first(fake):
    html = (fake / "report.html").read_text()
    mem = html.split("Memorization: closest generated/train pairs")[1].split("<h3")[0]
    caps = re.findall(r"<figcaption>([^<]+)</figcaption>", mem)
    assert [c.split(" ·")[0] for c in caps] == ["bad", "mid", "good"]  # nn_ratio, lowest first


def test_single_seed_and_missing_metrics(tmp_path):
    out = tmp_path / "out"
    write_run(out, "a", "ring8", 0, {"modes_covered": 3, "modes_total": 8, "reverse_kl": 0.4})
    write_run(out, "b", "ring8", 0, {"modes_covered": 5, "modes_total": 8}, pictures=False)
    html_path, md_path = write_report(out)
    md = md_path.read_text()
    assert "No samples for: b" in md
    row_b = [ln for ln in md.splitlines() if ln.startswith("| 1 | b")][0]
    assert "**5** ★" in row_b and "–" in row_b  # single seed: no ±; missing metric: a dash


def test_direction_table():
    assert badness("fid", 10) < badness("fid", 20)
    assert badness("precision", 0.9) < badness("precision", 0.1)
    assert badness("ct_z", -0.5) < badness("ct_z", 3)
    assert arrow("msssim_real") == "" and arrow("made_up_accuracy") == "↑"
    for m in (
        "fid",
        "kid_mean",
        "precision",
        "recall",
        "density",
        "coverage",
        "nn_ratio",
        "authenticity",
        "ct_z",
        "modes_covered",
        "reverse_kl",
        "is_mean",
    ):
        assert DIRECTIONS[m] is not None, m


def test_summary_metrics_discovered_from_columns():
    cols = [
        "variant",
        "dataset",
        "n_seeds",
        "wall_seconds_mean",
        "fid_mean",
        "fid_std",
        "fid_ci95",
        "kid_mean_mean",
        "kid_mean_std",
        "kid_mean_ci95",
        "zzz_mean",
        "zzz_std",
        "zzz_ci95",
    ]
    assert summary_metrics(pd.DataFrame(columns=cols)) == ["fid", "kid_mean", "zzz"]


def test_report_cli(fake, tmp_path, capsys):
    assert main(["report", str(fake)]) == 0
    assert "report.html" in capsys.readouterr().out
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty)]) == 2
    assert "no results under" in capsys.readouterr().err


def test_smoke_runs_report(smoke):
    html = (smoke / "report.html").read_text()
    board = pd.read_csv(smoke / "leaderboard.csv")
    assert set(board["variant"]) == {"gan", "wgan-gp", "real"} and (board["status"] == "ok").all()
    mnist = html.split('id="ds-mnist"')[1].split('id="ds-ring8"')[0]
    ring8 = html.split('id="ds-ring8"')[1]
    for v in ("gan", "wgan-gp"):
        assert f"{v} · seed 0" in mnist and f"{v} · seed 0" in ring8
    assert "fid ↓" in mnist
    # best marks go to converged rows only (a smoke budget rarely converges)
    conv = board[(board["dataset"] == "mnist") & (board["variant"] != "real")]["converged"]
    assert ("class=best" in mnist) == bool(conv.map(str).eq("True").any())
    assert "modes_covered ↑" in html.split('id="ds-ring8"')[1]
    if list(smoke.glob("runs/*/mnist/seed*/closest_pairs.png")):
        assert "Memorization: closest generated/train pairs" in mnist


def test_run_writes_report(tmp_path):
    out = tmp_path / "out"
    rc = main(
        [
            "run",
            "--variant",
            "gan",
            "--dataset",
            "ring8",
            "--preset",
            "smoke",
            "--device",
            "cpu",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert rc == 0
    assert (out / "report.html").exists() and (out / "report.md").exists()
    assert "data:image/png;base64," in (out / "report.html").read_text()


def test_runs_with_hp_overrides_get_their_own_pictures(tmp_path):
    """A --hp run sits in seed<k>-hp<key>: its samples, curves and losses are found there and
    labelled with its overrides, beside the default run of the same variant."""
    metrics = {"modes_covered": 8, "modes_total": 8, "hq_fraction": 0.9, "reverse_kl": 0.1}
    write_run(tmp_path, "good", "ring8", 0, metrics)
    folder = write_run(tmp_path, "good", "ring8", 0, metrics, hp="gp_weight=1.0")
    assert folder.name.startswith("seed0-hp")
    write_report(tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "good [gp_weight=1.0] · seed 0" in md
    assert "No samples for" not in md


def test_metric_bars_draw_no_empty_panel(tmp_path):
    """A metric no variant of the dataset has (all NaN) gets no panel, not an empty one."""
    import warnings

    from ganbench.results.report.plots import metric_bars

    summ = pd.DataFrame(
        {
            "variant": ["a", "b"],
            **{f"{m}_mean": [0.5, 0.6] for m in ("fid", "precision", "recall")},
            **{f"{m}_ci95": [0.1, 0.1] for m in ("fid", "precision", "recall")},
            "recon_error_mean": [float("nan")] * 2,
            "recon_error_ci95": [float("nan")] * 2,
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns on the singular limits of an empty panel
        # three panels fill the first row: the empty one would be alone in the second
        path = metric_bars(summ, ["fid", "precision", "recall", "recon_error"], tmp_path / "b.png")
    assert path.exists()
