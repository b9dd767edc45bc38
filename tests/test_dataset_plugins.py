"""Datasets from plug-ins: a package registers a dataset through the entry-point group
`ganbench.datasets`; `ganbench list --datasets` shows it and `ganbench run --jobs 2` trains on it
(the spawned workers find it through the entry point, as the parent did)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PLUGIN = '''
"""A tiny 2-D mixture, registered as a ganbench dataset by entry point."""
import math

import torch

from ganbench.data import Dataset, DataSpec, Mixture


def triangle() -> Dataset:
    centres = torch.tensor([[math.cos(a), math.sin(a)] for a in (0.0, 2.1, 4.2)])
    g = torch.Generator().manual_seed(0)
    def draw(n):
        k = torch.randint(3, (n,), generator=g)
        return centres[k] + 0.02 * torch.randn(n, 2, generator=g), k
    tr, ytr = draw(3000)
    te, yte = draw(1000)
    spec = DataSpec(name="plugin-triangle", kind="points", shape=(2,), n_modes=3)
    return Dataset(spec, tr, te, mixture=Mixture(centres, 0.02), source="plug-in triangle")
'''


def install(site: Path) -> None:
    """The package and its dist-info (entry point) in a folder put on PYTHONPATH."""
    pkg = site / "ganbench_triangle"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(PLUGIN)
    info = site / "ganbench_triangle-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ganbench-triangle\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[ganbench.datasets]\nplugin-triangle = ganbench_triangle:triangle\n"
    )


def cli(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "ganbench.cli", *args],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_plugin_dataset_lists_and_trains_under_two_jobs(tmp_path):
    site = tmp_path / "site"
    install(site)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]),
        "GANBENCH_CACHE": str(tmp_path / "cache"),
    }
    ls = cli(env, "list", "--datasets", "plugin-*")
    assert ls.returncode == 0 and "plugin-triangle" in ls.stdout, ls.stderr
    out = tmp_path / "out"
    run = cli(env, "run", "--variant", "gan", "--dataset", "plugin-triangle", "--seeds", "0", "1",
              "--preset", "smoke", "--device", "cpu", "--jobs", "2", "--out", str(out),
              "--quiet", "--no-report")  # fmt: skip
    assert run.returncode == 0, run.stderr
    for seed in (0, 1):
        row = json.loads(
            (out / "runs" / "gan" / "plugin-triangle" / f"seed{seed}" / "result.json").read_text()
        )
        assert row["status"] == "ok" and row["modes_total"] == 3 and row["n_train"] == 3000
    real = json.loads((out / "runs" / "real" / "plugin-triangle" / "seed0" / "result.json").read_text())
    assert real["modes_covered"] == 3


def test_folder_dataset_trains_under_two_jobs(tmp_path):
    """A folder: dataset is found by its name in the spawned workers (the recorded source)."""
    from PIL import Image

    from ganbench.data import get_dataset

    folder = tmp_path / "my digits"
    folder.mkdir()
    for i, x in enumerate(get_dataset("mnist").test[:60]):
        a = ((x[0] + 1) * 127.5).round().byte().numpy()
        Image.fromarray(a, mode="L").save(folder / f"{i}.png")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GANBENCH_CACHE": str(tmp_path / "cache")}
    out = tmp_path / "out"
    run = cli(env, "run", "--variant", "gan", "--dataset", f"folder:{folder}", "--seeds", "0", "1",
              "--features", "mnist-cnn", "--preset", "smoke", "--device", "cpu", "--jobs", "2",
              "--out", str(out), "--quiet", "--no-report")  # fmt: skip
    assert run.returncode == 0, run.stderr
    rows = [json.loads(p.read_text()) for p in sorted(out.glob("runs/gan/*/seed*/result.json"))]
    assert len(rows) == 2 and all(r["status"] == "ok" for r in rows), rows
    name = rows[0]["dataset"]
    assert name.startswith("folder-my_digits-") and " " not in name
    assert str(folder) in rows[0]["dataset_source"] and rows[0]["n_test"] == 6
