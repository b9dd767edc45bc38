"""The short version of scripts/fault_injection.py (its figures: docs/reliability.md): a `--jobs 2`
suite's driver SIGKILLed while a pool worker writes a row, the same command re-run, a corrupted
result.json; no row lost or duplicated, results equal to an uninterrupted run's, no half-written
file readable, the corruption detected, and no process of the killed driver left behind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "fault_injection.py"


def test_fault_injection_short(tmp_path):
    r = subprocess.run(
        [sys.executable, str(SCRIPT), "--short", "--json", "--work", str(tmp_path / "fi")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["kills_done"] == 1 and summary["kill_points_covered"] == ["local:driver@row"]
    assert summary["rows_lost"] == 0 and summary["duplicates"] == 0
    assert summary["results_differing"] == 0 and summary["half_written_readable"] == 0
    assert summary["corruptions_detected"] == summary["corruptions_tried"] == 1
    assert summary["leftover_processes"] == 0
