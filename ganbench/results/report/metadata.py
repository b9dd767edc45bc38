"""The report's last section: how the runs were made (presets, budgets, seeds, devices, feature
space, versions) and every run in one collapsed table."""

from __future__ import annotations

import datetime as _dt
import platform

import pandas as pd

from ganbench.core.version import __version__
from ganbench.results.references import drop_reference
from ganbench.results.report.data import ReportData
from ganbench.results.report.formatting import fmt
from ganbench.results.report.model import Cell, Section, Table

RUN_COLUMNS = (
    "variant",
    "dataset",
    "seed",
    "status",
    "origin",
    "preset",
    "steps",
    "budget_steps",
    "batch_size",
    "wall_seconds",
    "train_seconds",
    "eval_seconds",
    "converged",
    "convergence",
    "best_step",
    "curve_eval_seconds",
    "device",
    "features",
    "stopped_by_time",
)


def _uniq(board: pd.DataFrame, col: str) -> str:
    if col not in board:
        return "–"
    vals = sorted({str(v) for v in board[col].dropna() if str(v) != ""})
    return ", ".join(vals) if vals else "–"


def _widths(board: pd.DataFrame) -> str:
    """The widths the image runs' networks had (hp_effective's `width`): the CPU presets train the
    shared conv pair narrower than the canonical zoo's 64 (ganbench.core.config.Preset)."""
    if "hp_effective" not in board:
        return ""
    found = board["hp_effective"].astype(str).str.extract(r"(?:^| )width=(\d+)")[0].dropna()
    if found.empty:
        return ""
    from ganbench.nets.conv import DEFAULT_WIDTH

    widths = ", ".join(sorted(set(found), key=int))
    return f"{widths} (the canonical zoo's conv pair: {DEFAULT_WIDTH}; set with --hp width=)"


def metadata_section(rd: ReportData) -> Section:
    import matplotlib  # versions for the record; imported here, only when a report is written
    import numpy
    import torch

    b = rd.board
    sec = Section("Run metadata", anchor="metadata")
    budgets = []
    cols = [c for c in ("dataset", "preset", "budget_steps", "batch_size") if c in b]
    for _, r in drop_reference(b)[cols].drop_duplicates().iterrows():  # the reference trains not
        budgets.append(" ".join(f"{c}={fmt(r[c])}" for c in cols))
    rows = [
        ("output folder", str(rd.out.resolve())),
        ("preset(s)", _uniq(b, "preset")),
        ("budgets", "; ".join(budgets) or "–"),
        ("seeds", ", ".join(str(int(s)) for s in sorted(b["seed"].dropna().unique()))),
        ("device(s)", _uniq(b, "device")),
        ("feature space (weights hash)", _uniq(b, "features")),
        ("image network width(s)", _widths(b) or "–"),
        (
            "eval samples (n_gen / n_real)",
            f"{_uniq(b, 'n_gen')} / {_uniq(b, 'n_real')}" if "n_gen" in b else "–",
        ),
        ("ganbench version(s) of the runs", _uniq(b, "ganbench_version")),
        (
            "report written by",
            f"ganbench {__version__}, Python {platform.python_version()}, "
            f"torch {torch.__version__}, numpy {numpy.__version__}, "
            f"matplotlib {matplotlib.__version__}, pandas {pd.__version__}",
        ),
        ("written at", _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
    ]
    sec.blocks.append(Table(["", ""], [[Cell(k), Cell(v)] for k, v in rows]))
    show = [c for c in RUN_COLUMNS if c in b]
    table = Table(
        show,
        [[Cell(fmt(r[c])) for c in show] for _, r in b.iterrows()],
        collapsed=f"Every run ({len(b)})",
    )
    sec.blocks.append(table)
    return sec
