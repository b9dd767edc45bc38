"""The `real` reference row: held-out real data scored as a generator, in every leaderboard that
`run` and `eval` write, never ranked, never marked best, refused by `compare`, not recomputed on
resume."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import torch
from report_helpers import fake_out, write_run

from ganbench.cli import main
from ganbench.core.errors import GanbenchError
from ganbench.data import get_dataset
from ganbench.harness.reference import (
    REFERENCE_LABEL,
    ensure_reference_rows,
    reference_folder,
    reference_sampler,
)
from ganbench.harness.suite import plan_runs, run_suite
from ganbench.metrics.image_suite import real_subset
from ganbench.plugins import evaluate_generator
from ganbench.results.compare import compare
from ganbench.results.leaderboard import write_leaderboards
from ganbench.results.report import write_report


def _is_real(board: pd.DataFrame) -> pd.Series:
    return (board["variant"] == "real") & (board["origin"] == "reference")


# --- the sampler -----------------------------------------------------------------------------------


def test_image_sampler_draws_the_held_out_split_without_replacement_first():
    data = get_dataset("mnist")
    n = len(data.test)
    flat = data.test.reshape(n, -1)

    def indices(x):  # row of data.test each sample is (the held-out digits are distinct)
        return torch.cdist(x.reshape(len(x), -1), flat).argmin(1)

    ref = set(real_subset(n, 200).tolist())
    s = reference_sampler(data, 3, n_real=200)
    first = indices(torch.cat([s(300), s(500)]))  # in chunks, as evaluate draws
    assert len(set(first.tolist())) == 800  # no repeats while the split lasts
    assert not set(first.tolist()) & ref  # images outside the metrics' reference come first
    rest = indices(s(200))
    assert set(rest.tolist()) == ref  # then the reference subset, still without replacement
    extra = s(50)  # the split is used up: with replacement from now on
    assert extra.shape == (50, *data.spec.shape)
    # shuffled by the seed: same seed, same order; another seed, another order
    assert torch.equal(reference_sampler(data, 3, 200)(64), reference_sampler(data, 3, 200)(64))
    assert not torch.equal(reference_sampler(data, 3, 200)(64), reference_sampler(data, 4, 200)(64))
    whole = reference_sampler(data, 0, None)(n)  # reference = whole split: a permutation of it
    assert len(set(indices(whole).tolist())) == n


def test_points_sampler_draws_fresh_mixture_samples():
    data = get_dataset("ring8")
    x = reference_sampler(data, 0)(2500)
    d = torch.cdist(x, data.mixture.centres).min(1).values
    assert (d < 5 * data.mixture.sigma).all()  # on the true mixture
    same = (x[:, None, :] == data.test[None, :, :]).all(-1)
    assert not same.any()  # fresh points, not the stored test set
    assert torch.equal(reference_sampler(data, 0)(10), reference_sampler(data, 0)(10))
    assert not torch.equal(reference_sampler(data, 0)(10), reference_sampler(data, 1)(10))


# --- run: a real suite, smoke preset ---------------------------------------------------------------


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "out"
    specs = plan_runs(["gan"], ["ring8", "mnist"], [0], "smoke", device="cpu")
    run_suite(specs, out)
    write_report(out)
    return out, specs


def test_run_leaderboards_carry_the_reference_row(suite):
    out, _ = suite
    board = pd.read_csv(out / "leaderboard.csv")
    real = board[_is_real(board)]
    assert sorted(real["dataset"]) == ["mnist", "ring8"] and (real["status"] == "ok").all()
    assert set(real["seed"]) == {0} and set(real["preset"]) == {"smoke"}
    gan = board[board["variant"] == "gan"].set_index("dataset")
    real = real.set_index("dataset")
    # the same sample counts and feature space as the variants
    for d in ("ring8", "mnist"):
        assert real.loc[d, "n_gen"] == gan.loc[d, "n_gen"]
        assert real.loc[d, "n_real"] == gan.loc[d, "n_real"]
    assert real.loc["mnist", "features"] == gan.loc["mnist", "features"]
    # what real data gets: every mode, and held-out digits are not training copies
    assert real.loc["ring8", "modes_covered"] == 8 and real.loc["ring8", "hq_fraction"] > 0.95
    assert real.loc["mnist", "modes_significant"] == 10
    assert (
        real.loc["mnist", "precision"] > gan.loc["mnist", "precision"]
        and real.loc["mnist", "fid"] < gan.loc["mnist", "fid"]
    )
    assert 0.8 < real.loc["mnist", "nn_ratio"] < 1.25
    summary = pd.read_csv(out / "leaderboard_summary.csv")
    assert set(summary.loc[summary["variant"] == "real", "dataset"]) == {"ring8", "mnist"}
    assert (out / "runs" / "real" / "mnist" / "seed0" / "samples.png").exists()


def _table_rows(html: str, dataset: str) -> list[str]:
    part = html.split(f'id="ds-{dataset}"')[1].split('id="ds-')[0]
    body = part.split("<tbody>")[1].split("</tbody>")[0]  # the leaderboard: the first table
    return re.findall(r"<tr>.*?</tr>", body, flags=re.S)


def _has_best(row_html: str) -> bool:
    return re.search(r'class="?[a-z ]*\bbest\b', row_html) is not None


def test_report_shows_the_reference_as_a_labelled_unranked_last_line(suite):
    out, _ = suite
    html = (out / "report.html").read_text()
    for d in ("ring8", "mnist"):
        rows = _table_rows(html, d)
        labelled = [r for r in rows if REFERENCE_LABEL in r]
        assert len(labelled) == 1 and rows[-1] == labelled[0]
        assert not _has_best(labelled[0])
        assert re.match(r"<tr><td>\s*</td>", labelled[0])  # no rank number
    md = (out / "report.md").read_text()
    assert md.count(REFERENCE_LABEL) >= 2


def test_resume_does_not_recompute_the_reference(suite):
    out, specs = suite
    paths = sorted(out.glob("runs/real/*/seed*/result.json"))
    before = {p: p.read_bytes() for p in paths}
    outcome = run_suite(specs, out)
    assert outcome.ran == 0
    assert {p: p.read_bytes() for p in paths} == before
    board = pd.read_csv(out / "leaderboard.csv")
    assert _is_real(board).sum() == 2 and not board.duplicated(["variant", "dataset", "seed"]).any()


def test_reference_is_rescored_for_another_preset(tmp_path):
    ensure_reference_rows(tmp_path, [("ring8", 1)], "smoke")
    path = reference_folder(tmp_path, "ring8", 1) / "result.json"
    first = path.read_bytes()
    ensure_reference_rows(tmp_path, [("ring8", 1)], "smoke")
    assert path.read_bytes() == first
    ensure_reference_rows(tmp_path, [("ring8", 1)], "quick")
    assert '"preset": "quick"' in path.read_text()


# --- eval ------------------------------------------------------------------------------------------


def test_eval_leaderboard_carries_the_reference_row(tmp_path):
    gens = tmp_path / "plugin_gens.py"
    shutil.copy(Path(__file__).with_name("plugin_gens.py"), gens)
    out = tmp_path / "out"
    res = evaluate_generator(
        f"{gens}:ring_sample", "ring8", out, seeds=[0, 2], preset="smoke", device="cpu"
    )
    assert res.failed == 0
    write_leaderboards(out)
    board = pd.read_csv(out / "leaderboard.csv")
    real = board[_is_real(board)]
    assert sorted(real["seed"]) == [0, 2] and set(real["dataset"]) == {"ring8"}
    assert (real["n_gen"] == board.loc[~_is_real(board), "n_gen"].iloc[0]).all()


def test_eval_refuses_the_reference_name(tmp_path, capsys):
    args = ["eval", "--generator", "m:a", "--name", "real", "--dataset", "ring8"]
    assert main([*args, "--out", str(tmp_path / "out")]) == 2
    assert "reference row" in capsys.readouterr().err


# --- never ranked: best marks and compare ----------------------------------------------------------


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    """good/mid/bad variants, plus a reference row that beats all of them on every metric."""
    out = fake_out(tmp_path_factory.mktemp("fake") / "out", pictures=False)
    for s in (0, 1, 2):
        write_run(
            out,
            "real",
            "mnist",
            s,
            {"fid": 0.01, "kid_mean": 0.0, "precision": 1.0, "recall": 1.0, "modes_covered": 10},
            origin="reference",
            pictures=False,
        )
    write_report(out)
    return out


def test_best_marks_and_ranks_skip_the_reference(tmp_path):
    """Two converged variants and a reference row that beats both on every metric: the ranks and
    the best marks go to the variants; the reference is the unnumbered last line."""
    out = tmp_path / "out"
    for s in (0, 1):
        for v, fid in (("good", 20.0 + s), ("bad", 80.0 + s)):
            m = {"fid": fid, "precision": 100 / fid, "modes_covered": 9, "converged": True}
            write_run(out, v, "mnist", s, m, pictures=False)
        m = {"fid": 0.01, "precision": 10.0, "modes_covered": 10}
        write_run(out, "real", "mnist", s, m, origin="reference", pictures=False)
    write_report(out)
    rows = _table_rows((out / "report.html").read_text(), "mnist")
    assert len(rows) == 3
    assert REFERENCE_LABEL in rows[-1] and not _has_best(rows[-1])
    assert re.match(r"<tr><td>\s*</td>", rows[-1])  # no rank number
    assert re.match(r"<tr><td>1</td><td>good", rows[0]) and _has_best(rows[0])
    assert re.match(r"<tr><td>2</td><td>bad", rows[1])


def test_compare_refuses_the_reference_and_ignores_it(fake, capsys):
    with pytest.raises(GanbenchError, match="not a variant"):
        compare(fake, "real", "good")
    assert main(["compare", str(fake), "--variants", "good", "real"]) == 2
    err = capsys.readouterr().err.strip()
    assert "not a variant" in err and len(err.splitlines()) == 1
    with pytest.raises(GanbenchError) as exc:
        compare(fake, "good", "nope")
    assert "real" not in str(exc.value).split("it has:")[1]
    assert compare(fake, "good", "bad", "mnist")  # the variants still compare
