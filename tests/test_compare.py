"""`ganbench compare`: Welch's t-test across seeds, the difference's CI, verdicts by direction."""

from __future__ import annotations

import math

import pytest
from report_helpers import fake_out, write_run
from scipy import stats

from ganbench.cli import main
from ganbench.results.compare import compare, format_comparison, welch


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "out"
    fake_out(out, pictures=False)  # rows only: fast
    return out


def by_metric(results, dataset):
    return {r.metric: r for r in results if r.dataset == dataset}


def test_welch_matches_scipy():
    a, b = [1.0, 2.0, 3.5, 2.2], [2.5, 3.1, 4.0]
    diff, lo, hi, p = welch(a, b)
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert p == pytest.approx(ref.pvalue)
    assert diff == pytest.approx(sum(a) / 4 - sum(b) / 3)
    ci = ref.confidence_interval(0.95)
    assert (lo, hi) == (pytest.approx(ci.low), pytest.approx(ci.high))


def test_verdicts_use_direction(fake):
    r = by_metric(compare(fake, "good", "bad", "mnist"), "mnist")
    assert r["fid"].verdict == "better" and r["fid"].diff < 0  # lower fid is better
    assert r["precision"].verdict == "better" and r["precision"].diff > 0
    assert r["ct_z"].verdict == "better"  # closer to 0
    assert r["msssim_real"].verdict == "no significant difference"  # identical reference
    assert r["fid"].ci_high < 0 and r["fid"].p_value < 0.05
    worse = by_metric(compare(fake, "bad", "good", "mnist"), "mnist")
    assert worse["fid"].verdict == "worse" and worse["recall"].verdict == "worse"
    assert r["fid"].n_b == 3  # the failed seed of 'bad' is left out


def test_no_difference_and_too_few_seeds(tmp_path):
    out = tmp_path / "out"
    for v, vals in {"a": [1.0, 1.2, 0.9], "b": [1.1, 0.95, 1.05]}.items():
        for s, x in enumerate(vals):
            write_run(out, v, "ring8", s, {"reverse_kl": x}, pictures=False)
    write_run(out, "c", "ring8", 0, {"reverse_kl": 0.1}, pictures=False)
    r = by_metric(compare(out, "a", "b"), "ring8")["reverse_kl"]
    assert r.verdict == "no significant difference" and r.ci_low < 0 < r.ci_high
    r = by_metric(compare(out, "a", "c"), "ring8")["reverse_kl"]
    assert r.verdict == "not enough seeds" and math.isnan(r.p_value)


def test_text_output_and_cli(fake, capsys):
    text = format_comparison(compare(fake, "good", "mid"), "good", "mid")
    assert "Welch" in text and "95% CI" in text
    assert "fid: good is better than mid" in text
    assert main(["compare", str(fake), "--variants", "good", "bad", "--dataset", "ring8"]) == 0
    out = capsys.readouterr().out
    assert "on ring8" in out and "on mnist" not in out
    assert "reverse_kl: good is better than bad" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--variants", "good", "nope"], "has no results"),
        (["--variants", "good", "good"], "two different variants"),
        (["--variants", "good", "bad", "--dataset", "grid25"], "not both run on it"),
    ],
)
def test_bad_requests(fake, capsys, argv, message):
    assert main(["compare", str(fake), *argv]) == 2
    assert message in capsys.readouterr().err
