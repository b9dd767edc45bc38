"""The players-and-updates loop (ganbench/harness/train.py, ganbench/variants/updates.py) trains every
generation variant exactly as the two-loss loop it replaced: the loss history of each, at the smoke
budget on ring8 and mnist, equals the one the old loop wrote (tests/golden/contract_losses.json,
written by tests/_contract_golden.py at commit 237291b). Variants whose step order was meant to
change are listed with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _contract_golden import histories

GOLDEN = Path(__file__).parent / "golden" / "contract_losses.json"
CHANGED: dict[str, str] = {}  # variant -> why its step order changed on purpose


@pytest.fixture(scope="module")
def now() -> dict[str, dict[str, list[float]]]:
    return histories()


def test_every_golden_variant_still_trains(now):
    golden = json.loads(GOLDEN.read_text())
    assert set(golden) <= set(now), sorted(set(golden) - set(now))
    assert len(golden) >= 50  # 25 variants x ring8 and mnist, cogan on mnist only


def test_loss_histories_are_identical(now):
    golden = json.loads(GOLDEN.read_text())
    differ = [
        key
        for key in golden
        if key.split("/")[0] not in CHANGED and now[key] != golden[key]
    ]
    assert not differ, f"loss histories changed: {differ}"
