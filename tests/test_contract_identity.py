"""The variant contract holds on any CPU.

1. Every variant's losses, computed on its initial networks before any optimizer step in float64,
   equal the golden (tests/golden/contract_losses.json, written by tests/_contract_golden.py)
   to 1e-9 of their size: a changed loss fails, a CPU's rounding does not.
2. The harness trains every generation variant exactly as the plain two-player loop kept in
   tests/_reference_loop.py (the loop before the players-and-updates contract), run on the same
   machine from the same seed: a changed step order, batch order or noise draw fails, and no
   golden of whole histories is needed (an optimizer step amplifies a CPU's rounding, so a
   history written on one machine does not hold on another).
Variants whose step order was meant to change are listed in CHANGED with the reason."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from _contract_golden import first_losses, harness_histories
from _reference_loop import reference_history

from ganbench.core.config import get_preset
from ganbench.core.seeding import make_generator, seed_everything

GOLDEN = Path(__file__).parent / "golden" / "contract_losses.json"
CHANGED: dict[str, str] = {}  # variant -> why its step order changed on purpose
FIRST_LOSS_TOLERANCE = 1e-9  # relative and absolute, float64 (seen: 2e-11 between AVX512 and no SIMD)
HISTORY_TOLERANCE = 1e-6  # of the series' largest |loss|: same machine, same ops


def same_history(now: dict[str, list[float]], ref: dict[str, list[float]]) -> bool:
    """Same logged steps and loss names; every value within HISTORY_TOLERANCE of its series'
    scale (+1e-3, so near-zero series are not held to 0)."""
    if now.keys() != ref.keys() or now["step"] != ref["step"]:
        return False
    for name, values in ref.items():
        scale = max(abs(v) for v in values) + 1e-3
        if len(now[name]) != len(values):
            return False
        if any(abs(a - b) > HISTORY_TOLERANCE * scale for a, b in zip(now[name], values, strict=True)):
            return False
    return True


def same_losses(now: list[float], golden: list[float]) -> bool:
    return len(now) == len(golden) and all(
        math.isclose(a, b, rel_tol=FIRST_LOSS_TOLERANCE, abs_tol=FIRST_LOSS_TOLERANCE)
        for a, b in zip(now, golden, strict=True)
    )


@pytest.fixture(scope="module")
def golden() -> dict[str, list[float]]:
    return json.loads(GOLDEN.read_text())["first_losses"]


def test_first_losses_equal_the_golden(golden):
    now = first_losses()
    assert set(golden) <= set(now), f"variants no longer built: {sorted(set(golden) - set(now))}"
    assert len(golden) >= 60  # 25 variants x ring8 and mnist, cogan, the nine translators
    differ = {k: (now[k], golden[k]) for k in golden if not same_losses(now[k], golden[k])}
    assert not differ, f"losses changed: {differ}"


def test_harness_trains_as_the_reference_loop():
    preset = get_preset("smoke")
    runs = harness_histories()
    assert len(runs) >= 50
    differ = []
    for key, (info, data, history) in runs.items():
        if info.name in CHANGED:
            continue
        seed_everything(0)
        variant = info.cls(data.spec)
        budget = preset.budget_for(data.spec.kind)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            ref = reference_history(
                variant, data, budget.steps, budget.batch_size, make_generator(0), preset.log_every
            )
        finally:
            torch.set_num_threads(threads)
        if not same_history(history, ref):
            differ.append(key)
    assert not differ, f"the harness trains these otherwise than the reference loop: {differ}"


def test_the_comparisons_tell_a_change_from_rounding(golden):
    history = {"step": [10, 20], "d_loss": [1.3, 1.2], "g_loss": [0.7, 0.8]}
    rounding = {k: v if k == "step" else [x * (1 + 1e-10) for x in v] for k, v in history.items()}
    changed = {k: v if k == "step" else [v[0] * (1 + 1e-4), *v[1:]] for k, v in history.items()}
    assert same_history(rounding, history)
    assert not same_history(changed, history)
    assert not same_history({**history, "step": history["step"][1:]}, history)
    losses = golden["gan/ring8"]
    assert same_losses([x * (1 + 1e-13) for x in losses], losses)
    assert not same_losses([losses[0] * (1 + 1e-6), *losses[1:]], losses)
