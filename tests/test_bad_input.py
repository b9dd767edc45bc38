"""Bad input never hurts the suite: a corpus of broken plug-ins and corrupted files. Each gets one
clear message naming the problem and the fix, a `failed` row with the reason, and leaves every
other result intact; the CLI exit code says something failed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from report_helpers import write_run

from ganbench.cli import main
from ganbench.harness.suite import load_done
from ganbench.plugins import PluginImportError, evaluate_generator
from ganbench.results.leaderboard import collect_rows, write_leaderboards
from ganbench.results.report import write_report


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    shutil.copy(Path(__file__).with_name("plugin_gens.py"), folder / "gens.py")
    (folder / "notes.txt").write_text("def gen(n, device): ...\n")
    (folder / "broken.py").write_text("def gen(n, device)\n    return 1\n")
    (folder / "binary.py").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (folder / "package_dir").mkdir()
    return folder


# (case, --generator relative to the corpus folder, dataset, what the message must say: problem,
# then fix)
CASES = [
    ("wrong-shape", "gens.py:wrong_shape", "ring8", "shape (3,)", "reshape the output"),
    ("wrong-count", "gens.py:wrong_count", "ring8", "499 samples", "return exactly n"),
    ("wrong-dtype", "gens.py:wrong_dtype", "ring8", "dtype torch.int64", "return float"),
    ("out-of-range", "gens.py:out_of_range", "mnist", "must be in [-1, 1]", "return uint8"),
    ("nan", "gens.py:nan", "ring8", "1 NaN/inf values", "finite"),
    ("inf", "gens.py:infinite", "ring8", "NaN/inf values", "finite"),
    ("raises", "gens.py:raises", "ring8", "raised RuntimeError: boom", "fix the generator"),
    (
        "factory-raises",
        "gens.py:factory_raises",
        "ring8",
        "raised ValueError: no weights",
        "fix the generator",
    ),
    ("hangs", "gens.py:hangs", "ring8", "did not return within 0.5 s", "raise --timeout"),
    ("not-a-tensor", "gens.py:not_a_tensor", "ring8", "returned a list", "return a tensor"),
    ("not-callable", "gens.py:not_callable", "ring8", "of type int, not something", "nn.Module"),
    ("no-latent-size", "gens.py:no_latent", "ring8", "cannot tell how much noise", "--latent-dim"),
]
# --generator names something that cannot be imported: a usage error (issue 15), raised before
# anything is written (the CLI exits 2; tests/test_reliability.py checks that end to end)
IMPORT_CASES = [
    ("missing-attr", "gens.py:nope", "ring8", "has no attribute 'nope'", "pass one of its names"),
    ("missing-module", "no_such_module_xyz.sub:gen", "ring8", "cannot import module", "PYTHONPATH"),
    ("missing-file", "nowhere/gen.py:gen", "ring8", "does not exist", "check the path"),
    ("not-python-file", "notes.txt:gen", "ring8", "not a Python file", "pass a .py file"),
    ("invalid-python", "broken.py:gen", "ring8", "not valid Python (line 1)", "fix the file"),
    ("binary-file", "binary.py:gen", "ring8", "not valid Python", "fix the file"),
    ("folder", "package_dir/:gen", "ring8", "is a folder", "MODULE:ATTR"),
]


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("suite") / "out"
    write_run(out, "gan", "ring8", 0, {"modes_covered": 7, "modes_total": 8}, pictures=False)
    write_run(out, "gan", "mnist", 0, {"fid": 50.0}, pictures=False)
    return out


def snapshot(out: Path, exclude: str) -> dict[str, bytes]:
    return {
        str(p): p.read_bytes()
        for p in out.glob("runs/*/*/seed*/result.json")
        if f"/runs/{exclude}/" not in str(p) and "/runs/real/" not in str(p)  # eval adds these
    }


@pytest.mark.parametrize("case, generator, dataset, problem, fix", CASES, ids=[c[0] for c in CASES])
def test_bad_plugin_is_a_failed_row(
    corpus, out, monkeypatch, case, generator, dataset, problem, fix
):
    monkeypatch.chdir(corpus)
    before = snapshot(out, case)
    res = evaluate_generator(
        generator, dataset, out, name=case, seeds=[0, 1], preset="smoke", device="cpu", timeout=0.5
    )
    assert res.failed == 2
    for seed, row in enumerate(res.rows):
        assert row["status"] == "failed"
        assert problem in row["error"] and fix in row["error"], row["error"]
        saved = json.loads(
            (out / "runs" / case / dataset / f"seed{seed}" / "result.json").read_text()
        )
        assert saved["status"] == "failed" and saved["error"] == row["error"]
        assert saved["origin"] == "external"
    if case == "hangs":  # not called again once it hung
        assert res.rows[1]["error"].startswith("not run: the generator hung on seed 0")
    assert snapshot(out, case) == before  # every other result untouched


@pytest.mark.parametrize(
    "case, generator, dataset, problem, fix", IMPORT_CASES, ids=[c[0] for c in IMPORT_CASES]
)
def test_unimportable_plugin_is_a_usage_error(
    corpus, out, monkeypatch, case, generator, dataset, problem, fix
):
    monkeypatch.chdir(corpus)
    before = snapshot(out, case)
    with pytest.raises(PluginImportError) as err:
        evaluate_generator(
            generator, dataset, out, name=case, seeds=[0], preset="smoke", device="cpu"
        )
    assert problem in str(err.value) and fix in str(err.value), str(err.value)
    assert not (out / "runs" / case).exists()  # nothing written
    assert snapshot(out, case) == before


def test_cli_exit_code_and_message(corpus, out, monkeypatch, capsys):
    monkeypatch.chdir(corpus)
    rc = main(
        [
            "eval",
            "--generator",
            "gens.py:nan",
            "--dataset",
            "ring8",
            "--name",
            "cli-nan",
            "--preset",
            "smoke",
            "--device",
            "cpu",
            "--out",
            str(out),
            "--no-report",
        ]
    )
    assert rc == 1
    err = capsys.readouterr().err
    assert "cli-nan ring8 seed0: failed" in err and "NaN/inf" in err
    board = pd.read_csv(out / "leaderboard.csv")
    assert set(board.loc[board["variant"] == "gan", "status"]) == {"ok"}
    assert (board.loc[board["variant"] == "cli-nan", "status"] == "failed").all()


def test_raising_plugin_keeps_traceback(corpus, out, monkeypatch):
    monkeypatch.chdir(corpus)
    evaluate_generator(
        "gens.py:raises", "ring8", out, name="tb", seeds=[0], preset="smoke", device="cpu"
    )
    tb = (out / "runs" / "tb" / "ring8" / "seed0" / "traceback.txt").read_text()
    assert "RuntimeError: boom" in tb and "gens.py" in tb


@pytest.mark.parametrize(
    "content, unreadable",
    [
        ('{"variant": "gan", "seed": ', True),
        ("\x00\x01binary", True),
        ("[1, 2]", False),
        ('{"seed": 1}', False),
    ],
)
def test_corrupt_result_json_is_reported_and_skipped(tmp_path, capsys, content, unreadable):
    out = tmp_path / "out"
    good = write_run(out, "gan", "ring8", 0, {"modes_covered": 7}, pictures=False)
    bad = write_run(out, "gan", "ring8", 1, {"modes_covered": 5}, pictures=False)
    (bad / "result.json").write_text(content)  # cut off mid-write, or not a result at all
    rows = collect_rows(out)
    assert [r["seed"] for r in rows] == [0]
    err = capsys.readouterr().err
    assert "result.json is" in err and "re-run the same command" in err
    write_leaderboards(out)
    assert list(pd.read_csv(out / "leaderboard.csv")["seed"]) == [0]
    write_report(out)  # the report is still written
    # the suite's resume check moves it aside (kept for inspection) and re-runs that run
    assert load_done(bad) is None  # not done: `ganbench run` redoes it and overwrites the file
    if unreadable:  # unreadable JSON is moved aside (kept) first
        assert (bad / "result.json.corrupt").exists() and not (bad / "result.json").exists()
    assert load_done(good)["status"] == "ok"


def test_corrupt_cache_file_is_recomputed(corpus, tmp_path, monkeypatch, capsys):
    from ganbench.metrics import fidelity

    cache = tmp_path / "cache"
    monkeypatch.setenv("GANBENCH_CACHE", str(cache))
    monkeypatch.setattr(fidelity, "_MEMO", {})
    out = tmp_path / "out"
    gen = str(corpus / "gens.py") + ":digits_uint8"
    first = evaluate_generator(
        gen, "mnist", out, name="u8", seeds=[0], preset="smoke", device="cpu"
    )
    assert first.failed == 0
    files = list(cache.glob("*.pt"))
    assert files
    for f in files:
        f.write_bytes(b"not a torch file")
    monkeypatch.setattr(fidelity, "_MEMO", {})
    capsys.readouterr()
    again = evaluate_generator(
        gen, "mnist", out, name="u8", seeds=[0], preset="smoke", device="cpu"
    )
    err = capsys.readouterr().err
    assert "is corrupt" in err and "recomputing it" in err
    assert again.failed == 0
    assert again.rows[0]["fid"] == pytest.approx(first.rows[0]["fid"])
