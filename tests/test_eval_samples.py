"""`ganbench eval --samples`: saved samples scored against a dataset's held-out split (rows marked
external, leaderboard and report updated, too few samples for a metric leave it empty with the
reason) or against another set (`--reference`); every bad input a one-line error, exit 2, with
nothing written and nothing already computed lost."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from ganbench.cli import main
from ganbench.data import get_dataset

FEATS = '''
import torch
from torch import nn


class Tiny(nn.Module):
    """A fixed random projection: a feature module for tests (no logits)."""

    input_size = 16
    input_range = (0.0, 1.0)
    feature_dim = 24
    name = "tiny-proj"

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.w = nn.Parameter(torch.randn(24, 16 * 16, generator=g) / 16)

    def forward(self, x):
        return torch.tanh(x.mean(1).flatten(1) @ self.w.T)


class WrongShape(Tiny):
    def forward(self, x):
        return super().forward(x)[:, :5]


class NaNs(Tiny):
    def forward(self, x):
        return super().forward(x) * float("nan")


class Raises(Tiny):
    def forward(self, x):
        raise RuntimeError("boom")


class Undeclared(nn.Module):
    def forward(self, x):
        return x.flatten(1)
'''


@pytest.fixture
def feats(tmp_path) -> Path:
    p = tmp_path / "feats.py"
    p.write_text(FEATS)
    return p


def mnist_pngs(folder: Path, n: int, split: str = "train", start: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    images = getattr(get_dataset("mnist"), split)  # ordered by class: take a fixed shuffle
    order = np.random.default_rng(0).permutation(len(images))[start : start + n]
    x = images[order]
    u8 = ((x.clamp(-1, 1) + 1) * 127.5).round().byte().numpy()
    for i, a in enumerate(u8):
        Image.fromarray(a[0], mode="L").save(folder / f"{i:04d}.png")
    return folder


def run(*args: str) -> int:
    return main(["eval", *args, "--preset", "smoke", "--device", "cpu", "--quiet"])


def test_samples_folder_against_a_dataset_joins_leaderboard_and_report(tmp_path):
    samples = mnist_pngs(tmp_path / "mine", 250)
    out = tmp_path / "out"
    assert run("--samples", str(samples), "--dataset", "mnist", "--out", str(out)) == 0
    board = pd.read_csv(out / "leaderboard.csv").set_index("variant")
    row = board.loc["samples-mine"]
    assert row["origin"] == "external" and row["status"] == "ok"
    assert row["n_fake"] == 200 and row["n_real"] == 200  # the preset's counts
    assert row["ref_fidelity"] == "test[200 of 1000]"
    assert row["features"].startswith("mnist-cnn@") and np.isfinite(row["fid"])
    assert "folder:" in row["samples_source"] and "250 images" in row["samples_source"]
    assert "real" in board.index  # the dataset's reference row beside it
    # real training digits score about what the real row scores
    assert row["fid"] < 5 * board.loc["real", "fid"] + 1.0
    assert (out / "runs" / "samples-mine" / "mnist" / "seed0" / "samples.png").exists()
    assert "samples-mine (external)" in (out / "report.html").read_text()


def test_saved_held_out_images_are_not_the_references_own_subset(tmp_path):
    """The held-out digits themselves, saved in order and scored against the dataset, are a real
    sample, not the reference compared with itself: the subset eval takes of them is drawn from a
    stream of its own (with the reference's seed it was the very same 200 images: FID ~0,
    precision = recall = 1)."""
    test = get_dataset("mnist").test
    u8 = ((test.clamp(-1, 1) + 1) * 127.5).round().byte().numpy()
    np.save(tmp_path / "heldout.npy", u8)
    out = tmp_path / "out"
    assert run("--samples", str(tmp_path / "heldout.npy"), "--dataset", "mnist", "--out",
               str(out)) == 0  # fmt: skip
    row = pd.read_csv(out / "leaderboard.csv").set_index("variant").loc["samples-heldout"]
    assert row["fid"] > 1e-3 and row["precision"] < 1.0 and row["recall"] < 1.0


def test_too_few_samples_leave_those_metrics_empty_with_the_reason(tmp_path):
    x = get_dataset("mnist").train[:3]
    arr = tmp_path / "three.npy"
    np.save(arr, ((x[:, 0].numpy() + 1) * 127.5).round().astype(np.uint8))
    out = tmp_path / "out"
    assert run("--samples", str(arr), "--dataset", "mnist", "--out", str(out)) == 0
    row = json.loads((out / "runs" / "samples-three" / "mnist" / "seed0" / "result.json").read_text())
    assert row["status"] == "ok" and row["n_fake"] == 3
    assert np.isnan(row["is_mean"]) and np.isnan(row["precision"])
    assert "is_mean, is_std: need >= 10 scored samples, got 3" in row["metric_notes"]
    assert "precision, recall, density, coverage: need >= 4" in row["metric_notes"]
    assert np.isfinite(row["fid"]) and np.isfinite(row["kid_mean"])  # the others computed
    assert np.isfinite(row["nn_ratio"]) and row["modes_total"] == 10


def test_samples_against_a_reference_set_without_a_dataset(tmp_path, feats):
    a = mnist_pngs(tmp_path / "a", 60)
    b = tmp_path / "b.npz"
    x = get_dataset("mnist").test[:40]
    np.savez(b, x=(x[:, 0].numpy() + 1) / 2)  # float in [0, 1]
    out = tmp_path / "out"
    rc = run("--samples", str(a), "--reference", str(b), "--features", f"{feats}:Tiny",
             "--out", str(out))  # fmt: skip
    assert rc == 0
    board = pd.read_csv(out / "leaderboard.csv")
    assert list(board["variant"]) == ["samples-a"]  # no real row: there is no dataset
    row = board.iloc[0]
    assert row["dataset"].startswith("ref-b-") and row["n_fake"] == 60 and row["n_real"] == 40
    assert row["features"].startswith("tiny-proj@")  # the module by name and weights hash
    assert np.isfinite(row["fid"]) and np.isfinite(row["precision"])
    assert "no logits" in row["metric_notes"] and "no training set" in row["metric_notes"]


@pytest.mark.parametrize(
    "case, message",
    [
        ("resolution", r"are 1x16x16 images .* 'mnist' is 1x28x28; pass --resolution 28"),
        ("channels", r"are 3x28x28 images .* is 1x28x28; save them with the reference's channels"),
        ("missing", r"no such folder or file"),
        ("empty", r"holds nothing"),
        ("no_target", r"--dataset NAME .* or --reference PATH"),
        ("reference_alone", r"--reference goes with --samples"),
        ("rank", r"rank 2"),
    ],
)
def test_bad_samples_exit_2_with_nothing_written(tmp_path, capsys, case, message):
    out = tmp_path / "out"
    mnist_pngs(tmp_path / "ok", 20)
    args = ["--dataset", "mnist"]
    if case == "resolution":
        p = tmp_path / "small"
        p.mkdir()
        for i in range(5):
            Image.new("L", (16, 16), i).save(p / f"{i}.png")
        args = ["--samples", str(p), *args]
    elif case == "channels":
        p = tmp_path / "rgb.npy"
        np.save(p, np.zeros((5, 28, 28, 3), np.uint8))
        args = ["--samples", str(p), *args]
    elif case == "missing":
        args = ["--samples", str(tmp_path / "nowhere"), *args]
    elif case == "empty":
        (tmp_path / "empty").mkdir()
        args = ["--samples", str(tmp_path / "empty"), *args]
    elif case == "no_target":
        args = ["--samples", str(tmp_path / "ok")]
    elif case == "reference_alone":
        args = ["--generator", "x.py:G", "--reference", str(tmp_path / "ok")]
    elif case == "rank":
        p = tmp_path / "flat.npy"
        np.save(p, np.zeros((5, 784), np.uint8))
        args = ["--samples", str(p), *args]
    assert run(*args, "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


@pytest.mark.parametrize(
    "attr, message",
    [
        ("WrongShape", r"returned \(4, 5\) for a batch of 4, not \(4, 24\)"),
        ("NaNs", "NaN or inf features"),
        ("Raises", "raised RuntimeError: boom"),
        ("Undeclared", "does not declare input_size, input_range, feature_dim"),
        ("Missing", "has no attribute 'Missing'"),
    ],
)
def test_bad_feature_module_exits_2_before_scoring(tmp_path, capsys, feats, attr, message):
    out = tmp_path / "out"
    samples = mnist_pngs(tmp_path / "s", 10)
    rc = run("--samples", str(samples), "--dataset", "mnist", "--features", f"{feats}:{attr}",
             "--out", str(out))  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and re.search(message, err), err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


def test_a_second_eval_keeps_what_was_computed(tmp_path, capsys):
    out = tmp_path / "out"
    samples = mnist_pngs(tmp_path / "keep", 30)
    assert run("--samples", str(samples), "--dataset", "mnist", "--out", str(out)) == 0
    before = (out / "leaderboard.csv").read_text()
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((5, 3, 3, 3), np.uint8))  # ambiguous layout
    assert run("--samples", str(bad), "--dataset", "mnist", "--out", str(out)) == 2
    assert "ambiguous" in capsys.readouterr().err
    assert (out / "leaderboard.csv").read_text() == before  # nothing already computed lost

