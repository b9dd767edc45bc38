"""`ganbench eval --translator`: a plug-in translator of every accepted kind is scored by the
evaluator of trained translators (numbers checked against values computed here from the dataset),
and every broken one is a failed row or a usage error, never a crashed suite."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import torch

from ganbench.cli import main
from ganbench.core.config import get_preset
from ganbench.data import get_dataset
from ganbench.metrics.translation_suite import pair_indices

CMD = ["--preset", "smoke", "--device", "cpu"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("translators")
    shutil.copy(Path(__file__).with_name("plugin_translators.py"), folder / "tr.py")
    (folder / "broken.py").write_text("def T(a)\n    return a\n")
    return folder


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("suite") / "out"


def _eval(folder: Path, out: Path, attr: str, dataset: str, *extra: str) -> int:
    return main(
        ["eval", "--translator", f"{folder / 'tr.py'}:{attr}", "--dataset", dataset, *CMD]
        + ["--out", str(out), *extra]
    )


def _result(out: Path, name: str, dataset: str, seed: int = 0) -> dict:
    return json.loads((out / "runs" / name / dataset / f"seed{seed}" / "result.json").read_text())


def _scored_pairs(dataset: str, seed: int = 0):
    """The held-out pairs the evaluator scores for `seed` at the smoke preset."""
    data = get_dataset(dataset)
    sizes = get_preset("smoke").eval
    idx = pair_indices(len(data.test), sizes.n_gen_image, sizes.n_real_image, seed)
    mask = data.test_mask[idx].double() if data.test_mask is not None else None
    return data.test_source[idx].double(), data.test[idx].double(), mask


def _l1_psnr(x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """l1 and mean per-image PSNR on the [0, 1] scale, written out here from the definitions."""
    d = (x - y) / 2
    mse = (d**2).flatten(1).mean(1)
    return float(d.abs().mean()), float((10 * torch.log10(1 / mse)).mean())


def test_identity_on_inpainting_scores_the_known_numbers(folder, tmp_path):
    out = tmp_path / "out"
    assert _eval(folder, out, "identity", "mnist-inpaint-centre", "--name", "as-is") == 0
    row = _result(out, "as-is", "mnist-inpaint-centre")
    assert row["status"] == "ok" and row["origin"] == "external" and row["family"] == "external"
    src, truth, mask = _scored_pairs("mnist-inpaint-centre")
    l1, psnr = _l1_psnr(src, truth)
    assert l1 > 0.01  # the hole really differs from the truth
    assert row["l1"] == pytest.approx(l1, rel=1e-6)
    assert row["psnr"] == pytest.approx(psnr, rel=1e-6)
    hole = ((src - truth).abs() / 2 * mask).flatten(1).sum(1) / mask.flatten(1).sum(1)
    assert row["hole_l1"] == pytest.approx(float(hole.mean()), rel=1e-6)
    assert row["n_gen"] == len(src)
    # the triplet picture, the reference rows beside it, the leaderboard and the report
    assert (out / "runs" / "as-is" / "mnist-inpaint-centre" / "seed0" / "samples.png").exists()
    board = pd.read_csv(out / "leaderboard.csv")
    assert sorted(board["variant"]) == ["as-is", "mean-fill", "real"]
    real = board[board["variant"] == "real"].iloc[0]
    assert real["l1"] == 0 and row["l1"] > real["l1"]
    assert "as-is (external)" in (out / "report.html").read_text()


def test_module_gets_the_mask(folder, out):
    assert _eval(folder, out, "fill_background", "mnist-inpaint-centre", "--no-report") == 0
    row = _result(out, "tr-fill_background", "mnist-inpaint-centre")
    src, truth, mask = _scored_pairs("mnist-inpaint-centre")
    l1, psnr = _l1_psnr(src * (1 - mask) - mask, truth)  # the hole painted background
    assert row["l1"] == pytest.approx(l1, rel=1e-6)
    assert row["psnr"] == pytest.approx(psnr, rel=1e-6)


def test_super_resolution_gets_the_small_source(folder, out):
    assert _eval(folder, out, "upsample", "mnist-sr4", "--no-report") == 0
    row = _result(out, "tr-upsample", "mnist-sr4")
    src, truth, _ = _scored_pairs("mnist-sr4")
    assert src.shape[-2:] == (7, 7)
    l1, psnr = _l1_psnr(src.repeat_interleave(4, -2).repeat_interleave(4, -1), truth)
    assert row["l1"] == pytest.approx(l1, rel=1e-6)
    assert row["psnr"] == pytest.approx(psnr, rel=1e-6)
    # the wrong target shape for this dataset: the source's
    assert _eval(folder, out, "identity", "mnist-sr4", "--no-report") == 1
    assert "shape (1, 7, 7)" in _result(out, "tr-identity", "mnist-sr4")["error"]


@pytest.mark.parametrize(
    "attr",
    [
        "identity",  # translate(a, mask=None)
        "identity_one_arg",  # translate(a): called without the mask
        "identity_module",  # nn.Module T(a), two-way
        "Identity",  # a class is a factory
        "make_identity",  # factory taking the DataSpec
        "make_callable",  # factory without arguments, returning a callable
        "uint8_identity",  # uint8 pixels are converted
        "numpy_identity",  # a NumPy array is converted
    ],
)
def test_every_kind_is_accepted(folder, out, attr):
    assert _eval(folder, out, attr, "edges2mnist", "--no-report") == 0
    row = _result(out, f"tr-{attr}", "edges2mnist")
    assert row["status"] == "ok" and row["origin"] == "external"
    src, truth, _ = _scored_pairs("edges2mnist")
    l1, _ = _l1_psnr(src, truth)
    # uint8 rounds each pixel to 1/255 of the range
    assert row["l1"] == pytest.approx(l1, abs=2 / 255 if "uint8" in attr else 1e-9)
    if attr in ("identity_module", "Identity", "make_identity"):
        assert row["cycle_l1"] == 0  # translate_back is scored when there is one
    else:
        assert "cycle_l1" not in row


# (attr, problem, fix): each is a failed row naming both
BAD = [
    ("wrong_shape", "shape (1, 14, 14)", "reshape the output"),
    ("wrong_count", "199 samples", "return exactly n"),
    ("nan", "1 NaN/inf values", "finite"),
    ("out_of_range", "must be in [-1, 1]", "return uint8"),
    ("not_a_tensor", "returned a list", "return a tensor"),
    ("wrong_dtype", "dtype torch.int64", "float in [-1, 1] or uint8"),
    ("raises", "raised RuntimeError: boom", "fix the translator"),
    ("factory_raises", "raised ValueError: no weights", "fix the translator"),
    ("not_callable", "of type int, not something that translates", "nn.Module"),
    ("too_many_inputs", "needs more inputs than a translator gets", "translate(a, mask=None)"),
    ("hangs", "did not return within 0.5 s", "raise --timeout"),
]


@pytest.mark.parametrize("attr, problem, fix", BAD, ids=[b[0] for b in BAD])
def test_bad_translator_is_a_failed_row(folder, out, attr, problem, fix):
    before = {
        str(p): p.read_bytes()
        for p in out.glob("runs/*/*/seed*/result.json")
        if "/runs/real/" not in str(p)
    }
    argv = ["--name", f"bad-{attr}", "--timeout", "0.5", "--seeds", "0", "1", "--no-report"]
    assert _eval(folder, out, attr, "edges2mnist", *argv) == 1
    for seed in (0, 1):
        row = _result(out, f"bad-{attr}", "edges2mnist", seed)
        assert row["status"] == "failed" and row["origin"] == "external"
        if attr == "hangs" and seed == 1:  # not called again once it hung
            assert row["error"].startswith("not run: the translator hung on seed 0")
        else:
            assert problem in row["error"] and fix in row["error"], row["error"]
    if attr == "raises":
        tb = (out / "runs" / "bad-raises" / "edges2mnist" / "seed0" / "traceback.txt").read_text()
        assert "RuntimeError: boom" in tb
    after = {p: b for p, b in before.items() if Path(p).exists()}
    assert after == before  # every other result untouched


@pytest.mark.parametrize(
    "translator, says",
    [
        ("tr.py:nope", "has no attribute 'nope'"),
        ("nowhere/tr.py:identity", "translator file nowhere/tr.py does not exist"),
        ("broken.py:T", "not valid Python (line 1)"),
        ("no_such_module_xyz:T", "cannot import module 'no_such_module_xyz'"),
        ("no_colon", "--translator 'no_colon': expected MODULE:ATTR"),
    ],
    ids=["missing-attr", "missing-file", "invalid-python", "missing-module", "malformed"],
)
def test_unimportable_translator_exits_2_and_writes_nothing(
    folder, tmp_path, monkeypatch, capsys, translator, says
):
    monkeypatch.chdir(folder)
    out = tmp_path / "out"
    argv = ["eval", "--translator", translator, "--dataset", "edges2mnist", *CMD]
    assert main([*argv, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("ganbench: error: "), err
    assert says in err
    assert not out.exists()


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--translator", "tr.py:identity", "--dataset", "mnist"], "needs a translation dataset"),
        (["--generator", "tr.py:identity", "--dataset", "edges2mnist"], "with --translator"),
        (
            ["--translator", "tr.py:identity", "--dataset", "edges2mnist", "--latent-dim", "4"],
            "--latent-dim is for --generator",
        ),
    ],
    ids=["translator-on-generation", "generator-on-translation", "latent-dim"],
)
def test_wrong_task_is_a_usage_error(folder, tmp_path, monkeypatch, capsys, argv, says):
    monkeypatch.chdir(folder)
    out = tmp_path / "out"
    assert main(["eval", *argv, *CMD, "--out", str(out)]) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if "error" in ln]
    assert len(err) == 1 and says in err[0], err
    assert not out.exists()


def test_generator_and_translator_are_exclusive(capsys):
    for argv in (["--generator", "a:b", "--translator", "c:d"], []):
        with pytest.raises(SystemExit) as exc:
            main(["eval", *argv, "--dataset", "edges2mnist"])
        assert exc.value.code == 2
    assert "--generator" in capsys.readouterr().err
