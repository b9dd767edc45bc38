"""What the report reads: the leaderboards of an output folder (rewritten first, so they are
current) and the per-run files beside them (samples.png, losses.csv, curve.csv, closest pairs)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ganbench.core.directions import DIRECTIONS
from ganbench.core.errors import GanbenchError
from ganbench.core.runrecord import run_folder as record_folder
from ganbench.results.leaderboard import write_leaderboards


@dataclass
class ReportData:
    out: Path
    board: pd.DataFrame
    summary: pd.DataFrame


def load(out: Path) -> ReportData:
    out = Path(out)
    if not out.is_dir():
        raise GanbenchError(f"{out} is not a folder; pass the --out folder of a `ganbench run`")
    if (out / "runs").is_dir():
        write_leaderboards(out)  # always current: includes external evaluations and resumed runs
    board_path, summary_path = out / "leaderboard.csv", out / "leaderboard_summary.csv"
    if not board_path.exists() or not summary_path.exists():
        raise GanbenchError(
            f"no results under {out}; run `ganbench run --out {out} ...` (or `ganbench eval`) first"
        )
    return ReportData(out, pd.read_csv(board_path), pd.read_csv(summary_path))


def summary_metrics(summary: pd.DataFrame) -> list[str]:
    """Metric names present in a leaderboard_summary frame (columns <m>_mean/_ci95), in the
    direction table's order, then any others alphabetically."""
    found = [c[: -len("_ci95")] for c in summary.columns if c.endswith("_ci95")]
    found = [m for m in found if f"{m}_mean" in summary.columns]
    order = {m: i for i, m in enumerate(DIRECTIONS)}
    return sorted(found, key=lambda m: (order.get(m, len(order)), m))


def present_metrics(summary: pd.DataFrame, metrics: list[str]) -> list[str]:
    """The metrics with at least one number in these summary rows."""
    return [
        m for m in metrics if pd.to_numeric(summary[f"{m}_mean"], errors="coerce").notna().any()
    ]


def origin_map(board: pd.DataFrame) -> dict[str, str]:
    """variant -> origin (builtin, external, plugin, reference) as the leaderboard records it."""
    if "origin" not in board:
        return {}
    return {
        str(v): str(o)
        for v, o in board.groupby("variant")["origin"].first().items()
        if isinstance(o, str)
    }


def mode_given(board: pd.DataFrame, dataset: str) -> set[str]:
    """Variants whose generator is handed the label on a dataset whose labels are its modes
    (the 2-D mixtures): their coverage is not comparable with the others'."""
    g = board[board["dataset"] == dataset]
    if "generator_conditioned" not in g or "hq_fraction" not in g or g["hq_fraction"].isna().all():
        return set()
    flag = g["generator_conditioned"].astype(str).str.lower() == "true"
    return {str(v) for v in g.loc[flag, "variant"]}


def first_ok_seed(board: pd.DataFrame, variant: str, dataset: str) -> int | None:
    g = board[(board["variant"] == variant) & (board["dataset"] == dataset)]
    ok = g[g["status"] == "ok"].sort_values("seed")
    return None if ok.empty else int(ok["seed"].iloc[0])


def run_folder(out: Path, variant: str, dataset: str, seed: int, hp: Any = "") -> Path:
    return record_folder(out, variant, dataset, seed, hp)
