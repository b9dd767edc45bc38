"""The command line end to end: errors before anything is written, and the smoke preset's CSVs."""

import subprocess
import sys

import pandas as pd
import pytest

from ganbench.cli import main
from ganbench.results.leaderboard import BASE_COLUMNS

MIXTURE_METRICS = ["modes_covered", "modes_total", "hq_fraction", "reverse_kl"]


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--variant", "no-such-gan"], "unknown variant 'no-such-gan'"),
        (["--variant", "gan", "--dataset", "cifar99"], "unknown dataset 'cifar99'"),
        (["--variant", "gan", "--steps", "0"], "impossible budget: steps=0"),
        (["--variant", "gan", "--batch-size", "1"], "impossible budget: batch_size=1"),
        (["--variant", "gan", "--max-seconds", "-5"], "impossible budget: max_seconds=-5"),
        (["--variant", "gan", "--preset", "huge"], "unknown preset 'huge'"),
        (["--variant", "gan", "--seeds"], None),  # argparse usage error, also exit 2
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_out, capsys, args, needle):
    if needle is None:
        with pytest.raises(SystemExit) as e:
            main(["run", *args, "--out", str(tmp_out)])
        assert e.value.code == 2
    else:
        preset = [] if "--preset" in args else ["--preset", "smoke"]
        assert main(["run", *args, *preset, "--out", str(tmp_out)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and needle in err and err.startswith("ganbench: error:")
    assert not tmp_out.exists()


def test_output_folder_that_is_a_file(tmp_path, capsys):
    f = tmp_path / "taken"
    f.write_text("not a folder")
    assert main(["run", "--variant", "gan", "--preset", "smoke", "--out", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is a file" in err
    assert f.read_text() == "not a folder"


def test_list_shows_every_variant_with_metadata(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ["gan", "dcgan", "lsgan", "wgan", "wgan-gp"]:
        assert f"\n{name} " in out
    assert "Gulrajani et al. 2017" in out and "family" in out


def test_console_script_runs():
    r = subprocess.run(
        [sys.executable, "-m", "ganbench.cli", "list", "wgan*"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "wgan-gp" in r.stdout and "lsgan" not in r.stdout


def test_run_smoke_end_to_end(tmp_out):
    code = main(
        [
            "run",
            "--variant",
            "gan",
            "wgan-gp",
            "--dataset",
            "ring8",
            "mnist",
            "--seeds",
            "0",
            "1",
            "--preset",
            "smoke",
            "--device",
            "cpu",
            "--out",
            str(tmp_out),
            "--quiet",
        ]
    )
    assert code == 0
    board = pd.read_csv(tmp_out / "leaderboard.csv")
    assert list(board.columns[: len(BASE_COLUMNS)]) == BASE_COLUMNS
    assert len(board) == 8 + 4 and set(board["status"]) == {"ok"}  # + real: 2 datasets x 2 seeds
    assert set(board["preset"]) == {"smoke"} and set(board["device"]) == {"cpu"}
    ring = board[board["dataset"] == "ring8"]
    assert ring[MIXTURE_METRICS].notna().all().all()
    assert (ring["modes_total"] == 8).all() and ring["features"].isna().all()
    summary = pd.read_csv(tmp_out / "leaderboard_summary.csv")
    assert len(summary) == 4 + 2 and (summary["n_seeds"] == 2).all()  # + the real reference
    for m in MIXTURE_METRICS:
        assert {f"{m}_mean", f"{m}_std", f"{m}_ci95"} <= set(summary.columns)
    for v in ["gan", "wgan-gp"]:
        for d in ["ring8", "mnist"]:
            run = tmp_out / "runs" / v / d / "seed1"
            assert (run / "result.json").exists() and (run / "losses.csv").exists()
            assert (run / "samples.png").read_bytes()[:4] == b"\x89PNG"
