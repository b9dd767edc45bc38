"""scripts/bench_train.py (issue 9): its table has a row per representative with every column, the
projection has a row per data kind of `run --all --preset standard` plus the total, and its plain
loop runs the same updates as the harness. Timing values are never checked."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from ganbench.core.config import Budget
from ganbench.core.seeding import make_generator

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_train.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_train", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_train"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("bench_train", None)


def _cells(line: str) -> list[str]:
    return line.split()


def test_table_has_the_rows_and_columns(bench, capsys):
    argv = ["--quick", "--eval", "--reps", "gan:ring8", "--steps", "2", "--repeats", "1"]
    assert bench.main([*argv, "--device", "cpu"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("device cpu") and "1 thread(s)" in lines[0]
    head = next(i for i, ln in enumerate(lines) if ln.startswith("family"))
    cols = [c.strip() for c in lines[head].split("  ") if c.strip()]
    assert tuple(cols) == bench.COLUMNS
    (row,) = [ln for ln in lines[head + 2 :] if ln.startswith("loss")]
    cells = _cells(row)
    assert cells[:6] == ["loss", "gan", "ring8", "cpu", "256", "2"]  # the standard batch size
    assert cells[-1] == "n/a"  # no GPU utilisation on a CPU
    assert any("training and evaluation" in ln for ln in lines)

    proj = next(i for i, ln in enumerate(lines) if ln.startswith("kind "))
    assert _cells(lines[proj]) == [
        "kind", "runs", "steps/run", "kind", "median", "training", "evaluation", "total"
    ]  # fmt: skip
    kinds = {_cells(ln)[0]: ln for ln in lines[proj + 2 :] if ln.strip()}
    assert set(kinds) == {"points", "image", "translation", "all"}
    assert _cells(kinds["points"])[2] == "20,000"  # the standard budget's steps
    assert "no representative" in kinds["image"]  # measured nothing on images: says so
    runs = {k: int(_cells(v)[1]) for k, v in kinds.items()}
    assert runs["all"] == runs["points"] + runs["image"] + runs["translation"] > 0


@pytest.mark.parametrize("rep", ["wgan-gp:ring8", "pix2pix:edges2mnist"])
def test_plain_loop_runs_the_same_updates_as_the_harness(bench, rep):
    """Two-player (n_critic = 5 critic updates per step) and own-updates (a translator) loops:
    each loss is computed as often per step as in ganbench's loop."""
    name, dataset = rep.split(":")
    device = torch.device("cpu")
    counts = {}
    for loop in (bench.plain_loop, bench.harness_loop):
        v, data = bench._build(name, dataset, device)
        calls: list[str] = []
        losses = ["d_loss", "g_loss"] if bench._two_player(v) else [u.loss.__name__ for u in v.updates()]
        for loss in losses:
            real = getattr(v, loss)
            setattr(
                v, loss, lambda *a, _f=real, _n=loss, _c=calls, **k: _c.append(_n) or _f(*a, **k)
            )
        loop(v, data, Budget(2, 8), device, make_generator(0, device))
        counts[loop.__name__] = sorted(calls)
    assert counts["plain_loop"] == counts["harness_loop"]
    assert len(counts["plain_loop"]) >= 4
    if name == "wgan-gp":  # 5 critic updates and 1 generator update per step, 2 steps
        assert counts["plain_loop"] == ["d_loss"] * 10 + ["g_loss"] * 2


def test_reps_need_a_dataset(bench):
    with pytest.raises(SystemExit, match="give VARIANT:DATASET"):
        bench.main(["--reps", "gan", "--device", "cpu"])
