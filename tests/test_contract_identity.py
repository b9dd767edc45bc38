"""The players-and-updates loop (ganbench/harness/train.py, ganbench/variants/updates.py) trains every
generation variant exactly as the two-loss loop it replaced: the loss history of each, at the smoke
budget on ring8 and mnist in float64, equals the one the old loop wrote (tests/golden/
contract_losses.json, written by tests/_contract_golden.py from commit 237291b) to within
TOLERANCE of the loss's scale (histories are logged in float32: a few ulp of float64 drift
between machines' kernels), far below what any change to a step moves.
Variants whose step order was meant to change are listed with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _contract_golden import histories

GOLDEN = Path(__file__).parent / "golden" / "contract_losses.json"
CHANGED: dict[str, str] = {}  # variant -> why its step order changed on purpose
TOLERANCE = 1e-6  # of the series' largest |loss| (+1e-3, so near-zero series are not held to 0)


def same_history(now: dict[str, list[float]], golden: dict[str, list[float]]) -> bool:
    """Same logged steps and loss names; every value within TOLERANCE of its series' scale."""
    if now.keys() != golden.keys() or now["step"] != golden["step"]:
        return False
    for name, values in golden.items():
        scale = max(abs(v) for v in values) + 1e-3
        if len(now[name]) != len(values):
            return False
        if any(abs(a - b) > TOLERANCE * scale for a, b in zip(now[name], values, strict=True)):
            return False
    return True


@pytest.fixture(scope="module")
def golden() -> dict[str, dict[str, list[float]]]:
    return json.loads(GOLDEN.read_text())["histories"]


@pytest.fixture(scope="module")
def now() -> dict[str, dict[str, list[float]]]:
    return histories()


def test_every_golden_variant_still_trains(now, golden):
    assert set(golden) <= set(now), sorted(set(golden) - set(now))
    assert len(golden) >= 50  # 25 variants x ring8 and mnist, cogan on mnist only


def test_loss_histories_are_identical(now, golden):
    differ = [
        key
        for key in golden
        if key.split("/")[0] not in CHANGED and not same_history(now[key], golden[key])
    ]
    assert not differ, f"loss histories changed: {differ}"


def test_the_comparison_tells_a_changed_step_from_rounding(golden):
    history = golden["gan/ring8"]
    rounding = {k: v if k == "step" else [x * (1 + 1e-10) for x in v] for k, v in history.items()}
    changed = {k: v if k == "step" else [v[0] * (1 + 1e-4), *v[1:]] for k, v in history.items()}
    assert same_history(rounding, history)
    assert not same_history(changed, history)
    assert not same_history({**history, "step": history["step"][1:]}, history)
