"""Plug-ins: `ganbench eval` on every accepted kind of generator, and a variant package installed
through the `ganbench.variants` entry point."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pandas as pd
import pytest

from ganbench.cli import main
from ganbench.plugins import evaluate_generator, parse_target

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "ganbench-example-plugin"


@pytest.fixture(scope="module")
def gens(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("gens")
    path = folder / "plugin_gens.py"
    shutil.copy(Path(__file__).with_name("plugin_gens.py"), path)
    return path


@pytest.mark.parametrize(
    "attr, extra",
    [
        ("ring_module", {}),  # nn.Module with latent_dim
        ("no_latent", {"latent_dim": 4}),  # nn.Module, noise size from --latent-dim
        ("cond_module", {}),  # conditional module: G(z, labels)
        ("ring_sample", {}),  # sample(n, device)
        ("cond_sample", {}),  # conditional sampler: labels=...
        ("numpy_sample", {}),  # NumPy float64 output is converted
        ("make_sampler", {}),  # factory returning a sampler
        ("make_for", {}),  # factory taking the DataSpec, returning a module
        ("Ring", {}),  # a class is a factory too
    ],
)
def test_eval_accepts_every_kind(gens, tmp_path, attr, extra):
    out = tmp_path / "out"
    res = evaluate_generator(
        f"{gens}:{attr}", "ring8", out, seeds=[0], preset="smoke", device="cpu", **extra
    )
    assert res.failed == 0, res.rows[0].get("error")
    row = json.loads(
        (out / "runs" / f"plugin_gens-{attr}" / "ring8" / "seed0" / "result.json").read_text()
    )
    assert row["status"] == "ok" and row["origin"] == "external"
    assert row["modes_total"] == 8
    if attr in ("cond_module", "cond_sample", "ring_module", "ring_sample"):
        assert row["modes_covered"] == 8  # really sampled from the ring


def test_eval_uint8_images_join_leaderboard_and_report(gens, tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(
        [
            "eval",
            "--generator",
            f"{gens}:digits_uint8",
            "--dataset",
            "mnist",
            "--name",
            "noise-digits",
            "--seeds",
            "0",
            "1",
            "--preset",
            "smoke",
            "--device",
            "cpu",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    board = pd.read_csv(out / "leaderboard.csv")
    assert list(board["origin"]) == ["external", "external", "reference", "reference"]
    assert (board["status"] == "ok").all() and board["fid"].notna().all()
    folder = out / "runs" / "noise-digits" / "mnist" / "seed0"
    assert (folder / "samples.png").exists()
    assert (folder / "closest_pairs.png").exists()
    html = (out / "report.html").read_text()
    assert "noise-digits (external)" in html


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--generator", "no_colon_here"], "expected MODULE:ATTR"),
        (["--generator", "m:a", "--name", "gan"], "is a registered variant"),
        (["--generator", "m:a", "--name", "bad/name"], "letters, digits"),
        (["--generator", "m:a", "--dataset", "nope"], "unknown dataset"),
        (["--generator", "m:a", "--timeout", "0"], "positive number"),
    ],
)
def test_eval_usage_errors_exit_2(tmp_path, capsys, argv, message):
    args = ["eval", "--dataset", "ring8", "--out", str(tmp_path / "out"), *argv]
    if args.count("--dataset") == 2:
        args = args[:1] + args[3:]
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out" / "runs").exists()  # nothing was written


def test_parse_target():
    t = parse_target("pkg.models:make_g")
    assert (t.source, t.attr, t.is_file, t.default_name) == (
        "pkg.models",
        "make_g",
        False,
        "models-make_g",
    )
    t = parse_target("./dir/my_gen.py:G")
    assert t.is_file and t.default_name == "my_gen-G"


def _cli(env, *args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "ganbench.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_example_plugin_package_installs_lists_and_trains(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    site = tmp_path / "site"
    pip = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "--target",
            str(site),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert pip.returncode == 0, pip.stderr
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}

    ls = _cli(env, "list", "hinge*")
    assert ls.returncode == 0, ls.stderr
    assert "hinge-gan" in ls.stdout and "[plug-in]" in ls.stdout

    # `run --all` plans it next to the built-in zoo
    code = (
        "from ganbench.harness.suite import plan_runs; "
        "print(sorted({s.variant for s in plan_runs(None, ['ring8'], [0], 'smoke')}))"
    )
    plan = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert "'hinge-gan'" in plan.stdout and "'gan'" in plan.stdout, plan.stderr

    out = tmp_path / "out"
    run = _cli(
        env,
        "run",
        "--variant",
        "hinge-gan",
        "--dataset",
        "ring8",
        "--preset",
        "smoke",
        "--device",
        "cpu",
        "--out",
        str(out),
        "--quiet",
        "--no-report",
    )
    assert run.returncode == 0, run.stderr
    row = json.loads((out / "runs" / "hinge-gan" / "ring8" / "seed0" / "result.json").read_text())
    assert row["status"] == "ok" and row["origin"] == "plugin"

    # installed into a throwaway target only: this interpreter never saw the entry point
    assert not any(ep.name == "hinge-gan" for ep in entry_points(group="ganbench.variants"))
    shutil.rmtree(site)
