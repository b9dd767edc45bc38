"""Shared by the conditional and encoder variant tests: tiny deterministic stand-in networks and
a smoke run through the real suite (plan_runs -> run_one) that checks samples and the row."""

from __future__ import annotations

import math

import torch
from torch import nn

from ganbench.data import DEFAULT_DATASETS, get_dataset
from ganbench.harness.run import trained_variant
from ganbench.harness.suite import plan_runs, run_one
from ganbench.registry import get_variant
from ganbench.results.leaderboard import BASE_COLUMNS


def sp(x: float) -> float:
    """softplus, log(1 + e^x): -log(1 - sigmoid(x)); sp(-x) = -log sigmoid(x)."""
    return math.log1p(math.exp(x))


def lse(*xs: float) -> float:
    return math.log(sum(math.exp(x) for x in xs))


def ce(logits: list[float], k: int) -> float:
    """Cross-entropy of class k under softmax(logits)."""
    return lse(*logits) - logits[k]


class Fn(nn.Module):
    """A parameter-free network given as a function (the equation stays visible in the test)."""

    def __init__(self, fn, **attrs) -> None:
        super().__init__()
        self.fn = fn
        for k, v in attrs.items():
            setattr(self, k, v)

    def forward(self, *args):
        return self.fn(*args)


# float64 so the hand-computed values can be held to 1e-6 whatever their size
REAL = torch.tensor([[0.1, 0.2], [0.3, -0.4]], dtype=torch.float64)
Z = torch.tensor([[0.5, 0.0], [-0.2, 0.1]], dtype=torch.float64)


def supported_datasets(name: str) -> list[str]:
    info = get_variant(name)
    out = []
    for d in DEFAULT_DATASETS:
        spec = get_dataset(d).spec
        if info.supports_data(spec.kind, spec.num_classes):
            out.append(d)
    return out


def smoke_run(
    name: str, dataset: str, tmp_path, extra_columns: tuple[str, ...], points_steps: int = 6
) -> dict:
    """A few training steps through the real suite; checks the row and samples from the saved
    checkpoint (finite, right shape, right range)."""
    data = get_dataset(dataset)
    steps = points_steps if data.spec.kind == "points" else None
    (spec,) = plan_runs([name], [dataset], [0], "smoke", device="cpu", steps=steps)
    row = run_one(spec, tmp_path, log_every=2)
    assert row["status"] == "ok", row.get("error")
    for col in BASE_COLUMNS:
        assert col in row, col
    for col in extra_columns:
        assert col in row, (col, sorted(row))
        assert math.isfinite(row[col]), (col, row[col])
    folder = spec.folder(tmp_path)
    assert (folder / "samples.png").exists()
    state = torch.load(folder / "checkpoint.pt")
    variant = trained_variant(folder)  # built as the run built it (preset width, --hp)
    assert set(state) == set(variant.modules())
    g = torch.Generator().manual_seed(0)
    labels = (
        torch.randint(data.spec.num_classes, (16,), generator=g) if variant.conditional else None
    )
    x = variant.sample(16, "cpu", g, labels)
    assert x.shape == (16, *data.spec.shape)
    assert torch.isfinite(x).all()
    if data.spec.value_range is not None:
        lo, hi = data.spec.value_range
        assert x.min() >= lo and x.max() <= hi
    return row
