"""Result rows -> leaderboard.csv (one row per run) and leaderboard_summary.csv (one row per
(variant, dataset): mean, std and 95% confidence interval across seeds for every metric)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
from scipy import stats

from ganbench.core.io import CorruptFileError, read_json, write_text_atomic
from ganbench.core.log import warn
from ganbench.core.runrecord import BASE_COLUMNS

# Column contract (ganbench.core.runrecord.BASE_COLUMNS): every row has them, in this order.
# Bookkeeping columns that are not metrics (never averaged).
META_COLUMNS = BASE_COLUMNS + [
    "budget_steps",
    "family",
    "origin",
    "train_seconds",
    "eval_seconds",
    "stopped_by_time",
    "diverged_step",
    "error",
    "n_gen",
    "n_real",
    # what each row was compared with (metrics/image_suite.py) and where its data came from
    "n_fake",
    "n_train",
    "n_test",
    "ref_fidelity",
    "ref_memorization",
    "ref_msssim",
    "ref_modes",
    "real_sample",
    "metric_notes",
    "dataset_source",
    "samples_source",
    "feature_net_accuracy",
    "hp",
    "hp_effective",
    "generator_conditioned",
    "ssl_labels",  # how many labels SGAN's classifier saw: a setting, not a score
    "batched",  # trained as one of this many seeds batched together (run --batch-seeds)
    "resumed_at",  # the steps a cut-off run went on from (ganbench/harness/partial.py)
    "ema",  # the EMA the evaluated generator is (ganbench/harness/ema.py), when one was kept
    "train_precision",  # the training arithmetic (ganbench/core/precision.py; not PRDC's)
    "device_name",  # the CPU model or GPU name the run trained on
    # convergence curve (ganbench/harness/curves.py): bookkeeping of the run, not a score
    "converged",
    "convergence",  # why not: moving, flat (never learned), short, non-finite, diverged
    "best_step",
    "curve_eval_seconds",
]
# Runs of one variant with other hyper-parameters are other entries, never averaged together.
GROUP = ["variant", "dataset", "hp"]


def collect_rows(out: Path) -> list[dict[str, Any]]:
    """Every result.json under out/runs; a corrupt one is reported and left out, never deleted."""
    rows = []
    for path in sorted(Path(out).glob("runs/*/*/seed*/result.json")):
        try:
            row = read_json(path)
        except CorruptFileError as exc:
            warn(str(exc))
            continue
        if not isinstance(row, dict) or not {"variant", "dataset", "status"} <= set(row):
            warn(
                f"{path} is not a ganbench result (no variant/dataset/status); delete it and "
                "re-run the same command to recompute it"
            )
            continue
        row.pop("spec", None)
        row.pop("platform", None)  # what the run ran on, beside its row (harness/run.py)
        rows.append(row)
    return rows


def leaderboard_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in BASE_COLUMNS:
        if c not in df:
            df[c] = pd.NA
    rest = [c for c in df.columns if c not in BASE_COLUMNS]
    metrics = [c for c in rest if c not in META_COLUMNS]
    meta = [c for c in rest if c in META_COLUMNS]
    df = df[BASE_COLUMNS + metrics + meta]
    for c in df.columns:  # keep whole numbers whole although some rows lack them (NaN)
        if _is_bool(df[c]):
            continue  # true/false stays true/false (converged, stopped_by_time), never 1/0
        col = pd.to_numeric(df[c], errors="coerce") if df[c].dtype == object else df[c]
        if pd.api.types.is_float_dtype(col) and col.notna().any() and (col.dropna() % 1 == 0).all():
            df[c] = col.astype("Int64")
    return df.sort_values(["dataset", "variant", "seed"], kind="stable").reset_index(drop=True)


def _is_bool(col: pd.Series) -> bool:
    vals = col.dropna()
    return len(vals) > 0 and all(str(v) in ("True", "False") for v in vals)


def is_true(v: Any) -> bool:
    """A true/false cell from a row, a JSON file or a CSV read back (True, "True", "true")."""
    return v is True or str(v).lower() == "true"  # numpy's bool_ prints as True too


def _n_converged(ok: pd.DataFrame) -> float:
    if "converged" not in ok or not ok["converged"].notna().any():
        return math.nan
    return int(sum(map(is_true, ok["converged"])))


def metric_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c not in META_COLUMNS and pd.api.types.is_numeric_dtype(df[c])]


def ci95_halfwidth(values: pd.Series) -> float:
    """Half-width of the two-sided 95% t-interval of the mean (NaN for fewer than two values)."""
    v = values.dropna()
    n = len(v)
    if n < 2:
        return math.nan
    return float(stats.t.ppf(0.975, n - 1) * v.std(ddof=1) / math.sqrt(n))


def summary_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Per (variant, dataset): run counts by status, then mean/std/ci95 of each metric over ok runs."""
    metrics = metric_columns(df)
    out = []
    df = df.assign(hp=df["hp"].fillna("") if "hp" in df else "")
    for (variant, dataset, hp), g in df.groupby(GROUP, sort=True):
        ok = g[g["status"] == "ok"]
        rec: dict[str, Any] = {
            "variant": variant,
            "dataset": dataset,
            "hp": hp,
            "preset": ",".join(sorted(set(map(str, g["preset"])))),
            "features": ",".join(
                sorted({str(f) for f in g["features"] if isinstance(f, str) and f})
            ),
            "n_seeds": len(g),
            "n_ok": len(ok),
            "n_diverged": int((g["status"] == "diverged").sum()),
            "n_failed": int((g["status"] == "failed").sum()),
            # ok runs whose curve was steady at the end (curves.converged); the others are not
            # results. NaN when no ok run has a curve (results from before curves existed).
            "n_converged": _n_converged(ok),
            "wall_seconds_mean": float(g["wall_seconds"].mean()),
        }
        for m in metrics:
            vals = pd.to_numeric(ok[m], errors="coerce")
            rec[f"{m}_mean"] = float(vals.mean()) if vals.notna().any() else math.nan
            rec[f"{m}_std"] = float(vals.std(ddof=1)) if vals.notna().sum() > 1 else math.nan
            rec[f"{m}_ci95"] = ci95_halfwidth(vals)
        out.append(rec)
    frame = pd.DataFrame(out)
    if "n_converged" in frame:  # a count, blank where unknown (never 0.0)
        frame["n_converged"] = frame["n_converged"].astype("Int64")
    return frame


def write_leaderboards(out: Path) -> tuple[Path, Path] | None:
    rows = collect_rows(out)
    if not rows:
        return None
    df = leaderboard_frame(rows)
    board, summary = Path(out) / "leaderboard.csv", Path(out) / "leaderboard_summary.csv"
    write_text_atomic(board, df.to_csv(index=False))
    write_text_atomic(summary, summary_frame(df).to_csv(index=False))
    return board, summary
