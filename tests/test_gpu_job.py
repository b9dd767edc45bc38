"""The prepared GPU job (ganbench/jobs/gpu.py) runs end to end on the CPU with --dry-run (the same
code paths at tiny budgets), and resumes after a stop without redoing finished work."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ganbench.cli import main
from ganbench.jobs.gpu import STEPS, choose_precision, run_gpu_job


def mtimes(folder: Path, pattern: str) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in folder.glob(pattern)}


@pytest.fixture(scope="module")
def job(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gpu") / "job"
    # a first call stopped at once by its deadline: the first unit of work only
    state = run_gpu_job(out, "cpu", max_minutes=1e-9, dry_run=True)
    assert state["steps"]["smoke"]["status"] == "partial"
    assert len(list((out / "smoke").glob("*.json"))) == 1
    return out


def test_the_dry_run_resumes_and_finishes_every_step(job):
    first = mtimes(job, "smoke/*.json")
    assert main(["gpu-job", "--dry-run", "--device", "cpu", "--out", str(job)]) == 0
    state = json.loads((job / "job.json").read_text())
    assert [state["steps"][s]["status"] for s in STEPS] == ["done"] * len(STEPS)
    assert len(state["calls"]) == 2 and state["calls"][0]["device"]["device_name"]
    assert {k: v for k, v in mtimes(job, "smoke/*.json").items() if k in first} == first
    rows = list(csv.DictReader((job / "smoke" / "smoke.csv").open()))
    assert len(rows) >= 35 and all(r["status"] == "ok" for r in rows), [
        (r["variant"], r["error"]) for r in rows if r["status"] != "ok"
    ]
    choice = json.loads((job / "precision" / "choice.json").read_text())
    assert set(choice) == {"points", "image", "modern", "translation"}
    assert "ganbench steps/s" in (job / "bench" / "bench_train.md").read_text()
    for protocol in ("veegan-table1", "pacgan-table1"):
        assert (job / "reproductions" / protocol / "reproduction.csv").exists()
    board = list(csv.DictReader((job / "standard" / "leaderboard.csv").open()))
    assert {r["variant"] for r in board} >= {"gan", "wgan-gp", "dcgan", "real"}
    assert all(r["status"] == "ok" for r in board)
    assert {r["train_precision"] for r in board if r["variant"] != "real"} <= {
        "fp32", "tf32", "bf16", "bf16-cl"
    }


def test_a_finished_job_redoes_nothing(job):
    before = mtimes(job, "**/result.json") | mtimes(job, "smoke/*.json")
    assert main(["gpu-job", "--dry-run", "--device", "cpu", "--out", str(job)]) == 0
    assert mtimes(job, "**/result.json") | mtimes(job, "smoke/*.json") == before


def test_precision_choice():
    t = {
        "fp32": {"steps_per_second": 10.0, "finite": True},
        "tf32": {"steps_per_second": 10.2, "finite": True},  # not 5% faster: stays fp32
        "bf16": {"steps_per_second": 30.0, "finite": False},  # diverged: never chosen
        "bf16-cl": {"error": "RuntimeError: no"},
    }
    assert choose_precision(t) == "fp32"
    t["tf32"]["steps_per_second"] = 12.0
    assert choose_precision(t) == "tf32"
    assert choose_precision({"error": "x"}) == "fp32"


def test_unknown_step_is_a_usage_error(tmp_path, capsys):
    assert main(["gpu-job", "--dry-run", "--steps", "nope", "--out", str(tmp_path / "x")]) == 2
    assert "unknown step" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
