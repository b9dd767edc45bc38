"""scripts/budget_from_curves.py: the settling step, the budget the rule needs, and the projection
of training time that docs/budgets.md quotes."""

import importlib.util
import math
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "budget_from_curves.py"
spec = importlib.util.spec_from_file_location("budget_from_curves", SCRIPT)
bfc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bfc)


def _points(hqs, modes=8):
    return [
        {"step": 100.0 * (i + 1), "hq_fraction": h, "modes_covered": modes, "modes_total": 8}
        for i, h in enumerate(hqs)
    ]


def test_settled_at_is_the_first_step_from_which_the_curve_stays_steady():
    rows = _points([0.0, 0.2, 0.5, 0.80, 0.82, 0.81, 0.83])
    assert bfc.settled_at(rows, "points") == 400
    assert bfc.needed_budget(400) == 800


def test_a_curve_still_rising_at_the_end_never_settles():
    rows = _points([0.1, 0.3, 0.5, 0.7, 0.9])
    assert bfc.settled_at(rows, "points") is None
    assert bfc.needed_budget(None) is None


def test_a_late_mode_drop_unsettles():
    rows = _points([0.9] * 4) + [{**_points([0.9])[0], "step": 500.0, "modes_covered": 6}]
    assert bfc.settled_at(rows, "points") is None


def test_projection_spreads_the_measured_time_over_the_jobs():
    # 10 ms + 30 ms per step, 6,000 steps: 240 s of training; two side by side: 2 minutes
    assert bfc.projected_minutes([10.0, 30.0], 6000, 2) == pytest.approx(2.0)
    assert bfc.projected_minutes([10.0, math.nan], 6000, 1) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="jobs"):
        bfc.projected_minutes([10.0], 100, 0)
