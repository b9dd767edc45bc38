"""A finished run is reused only by a command that would compute the same thing: another budget,
preset or feature space over an existing --out is refused before anything runs or is written
(exit 2, a one-line error naming the settings that differ); and hyper-parameter values are checked
against what each one takes before anything runs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ganbench.cli import main
from ganbench.core.errors import GanbenchError
from ganbench.harness.suite import check_resume, plan_runs

BASE = ["run", "--variant", "gan", "--dataset", "ring8", "--preset", "smoke", "--no-report",
        "--quiet", "--seeds", "0"]


def snapshot(out: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("resume") / "out"
    assert main([*BASE, "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--steps", "60"], "steps=40 (this command: 60)"),
        (["--batch-size", "32"], "batch_size=64 (this command: 32)"),
        (["--max-seconds", "100"], "max_seconds=None (this command: 100.0)"),
        (["--precision", "bf16"], "precision='fp32' (this command: 'bf16')"),
    ],
)
def test_another_budget_is_refused_before_anything_is_written(finished, extra, named, capsys):
    before = snapshot(finished)
    assert main([*BASE, "--out", str(finished), *extra]) == 2
    err = capsys.readouterr().err
    assert named in err and "another --out" in err
    assert snapshot(finished) == before


def test_another_preset_is_refused(finished, capsys):
    args = [a if a != "smoke" else "quick" for a in BASE]
    assert main([*args, "--out", str(finished), "--steps", "40", "--batch-size", "64"]) == 2
    assert "preset='smoke' (this command: 'quick')" in capsys.readouterr().err


def test_another_feature_space_is_refused(finished):
    spec = plan_runs(["gan"], ["ring8"], [0], "smoke")[0]
    with pytest.raises(GanbenchError, match="features='auto' \\(this command: 'inception'\\)"):
        check_resume([dataclasses.replace(spec, features="inception")], finished)
    check_resume([spec], finished)  # the same settings: reused


def test_the_same_command_resumes(finished):
    result = finished / "runs" / "gan" / "ring8" / "seed0" / "result.json"
    before = result.stat().st_mtime_ns
    assert main([*BASE, "--out", str(finished)]) == 0
    assert result.stat().st_mtime_ns == before  # reused, not retrained
    assert (finished / "leaderboard.csv").read_text().count("\ngan,") == 1


@pytest.mark.parametrize(
    ("hp", "says"),
    [
        ("d_lr=fast", "d_lr takes a positive number"),
        ("d_lr=-0.1", "d_lr takes a positive number"),
        ("n_critic=0", "n_critic takes a positive integer"),
        ("latent_dim=2.5", "latent_dim takes a positive integer"),
        ("d_betas=(0.5,)", "d_betas takes two numbers in [0, 1)"),
        ("arch=nope", "arch takes one of 'default'"),
        ("update=sometimes", "update takes one of 'alternating', 'simultaneous'"),
    ],
)
def test_bad_hyper_parameter_values_stop_before_anything_runs(tmp_path, hp, says, capsys):
    out = tmp_path / "out"
    assert main([*BASE, "--out", str(out), "--hp", hp]) == 2
    assert says in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("variant", "dataset", "hp", "says"),
    [
        ("gan", "mnist", "arch=gdpp-2d", "built for points data, not image data"),
        ("acgan", "ring8", "arch=gdpp-2d", "builds networks of its own"),
        ("wgan", "ring8", "update=simultaneous", "needs n_critic 1 (has 5)"),
    ],
)
def test_hyper_parameters_that_do_not_fit_the_variant_are_refused(
    tmp_path, variant, dataset, hp, says, capsys
):
    out = tmp_path / "out"
    args = ["run", "--variant", variant, "--dataset", dataset, "--preset", "smoke", "--hp", hp]
    assert main([*args, "--out", str(out), "--quiet"]) == 2
    assert says in capsys.readouterr().err
    assert not out.exists()


def test_the_row_records_the_precision_and_the_device(finished):
    import json

    row = json.loads((finished / "runs" / "gan" / "ring8" / "seed0" / "result.json").read_text())
    assert row["train_precision"] == "fp32" and row["device_name"]
    assert row["platform"]["torch"] and "cpu_capability" in row["platform"]
    assert row["spec"]["precision"] == "fp32"


def test_a_bf16_run_trains_and_says_so(tmp_path):
    out = tmp_path / "bf16"
    assert main([*BASE, "--out", str(out), "--precision", "bf16"]) == 0
    text = (out / "leaderboard.csv").read_text()
    assert ",bf16," in text


def test_an_unknown_precision_is_a_usage_error(tmp_path, capsys):
    out = tmp_path / "x"
    assert main([*BASE, "--out", str(out), "--precision", "fp8"]) == 2
    assert "unknown --precision 'fp8'" in capsys.readouterr().err
    assert not out.exists()
