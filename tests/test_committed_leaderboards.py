"""Every leaderboard committed under leaderboards/ parses, has the contract columns, and says how
it was made."""

from pathlib import Path

import pandas as pd
import pytest

from ganbench.results.leaderboard import BASE_COLUMNS

ROOT = Path(__file__).resolve().parents[1] / "leaderboards"
BOARDS = sorted(ROOT.glob("*/leaderboard.csv"))


def test_there_is_a_published_leaderboard():
    assert BOARDS, "no leaderboards/*/leaderboard.csv committed"


@pytest.mark.parametrize("board", BOARDS, ids=[b.parent.name for b in BOARDS])
def test_leaderboard_parses_with_contract_columns(board):
    df = pd.read_csv(board)
    assert list(df.columns[: len(BASE_COLUMNS)]) == BASE_COLUMNS
    assert len(df) > 0 and df["status"].isin(["ok", "diverged", "failed"]).all()
    assert not df.duplicated(["variant", "dataset", "seed"]).any()
    summary = pd.read_csv(board.with_name("leaderboard_summary.csv"))
    assert {"variant", "dataset", "n_seeds", "n_ok"} <= set(summary.columns)
    assert summary["n_seeds"].sum() == len(df)
    readme = (board.parent / "README.md").read_text()
    assert "ganbench run" in readme and "version" in readme.lower()
