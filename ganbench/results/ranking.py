"""Which variants are best, and in what order, from leaderboard_summary rows (columns <m>_mean /
<m>_ci95, n_ok, n_converged). The report's tables and its figures both read these, so they live
here, beside directions.py, and not in either. Pure pandas: no plotting, no torch."""

from __future__ import annotations

import math

import pandas as pd

from ganbench.core.directions import badness, direction, references

# Preferred headline metrics (first present wins): ranks the table and picks the cost plot's axes.
HEADLINE = ["fid", "kid_mean", "modes_covered", "reverse_kl", "hq_fraction", "precision"]


def headline_metrics(metrics: list[str]) -> list[str]:
    """The headline metrics among `metrics`, best first; any directed metric when none is."""
    heads = [m for m in HEADLINE if m in metrics]
    if not heads:
        heads = [m for m in metrics if direction(m) is not None]
    return heads


def best_rows(metric: str, means: list[float], refs: list[float | None] | None = None) -> set[int]:
    """Indices of the best mean; none when every variant ties (nothing to single out)."""
    refs = refs or [None] * len(means)
    # 9 significant digits: floating-point noise between seeds is a tie, not a win
    bad = [float(f"{badness(metric, float(v), r):.9g}") for v, r in zip(means, refs, strict=True)]
    finite = [b for b in bad if not math.isnan(b)]
    if not finite or (len(finite) > 1 and len(set(finite)) == 1):
        return set()
    return {i for i, b in enumerate(bad) if b == min(finite)}


def constant_metrics(summ: pd.DataFrame, metrics: list[str]) -> list[str]:
    """Metrics whose mean is the same for every variant (with more than one variant)."""
    out = []
    for m in metrics:
        vals = pd.to_numeric(summ[f"{m}_mean"], errors="coerce").dropna()
        if len(summ) > 1 and len(vals) == len(summ) and len({f"{v:.9g}" for v in vals}) == 1:
            out.append(m)
    return out


def not_converged(summ: pd.DataFrame) -> list[bool]:
    """Per summary row: True when some ok seed did not converge (n_converged < n_ok). Summaries
    written before the curves existed have no (or a NaN) n_converged: nothing is marked."""
    if "n_converged" not in summ:
        return [False] * len(summ)
    conv = pd.to_numeric(summ["n_converged"], errors="coerce")
    ok = pd.to_numeric(summ["n_ok"], errors="coerce")
    return [bool(c < o) for c, o in zip(conv, ok, strict=True)]


def converged_means(summ: pd.DataFrame, metric: str, nc: list[bool] | None = None) -> list[float]:
    """The metric's means with NaN for rows that did not converge: best marks go to results only."""
    nc = not_converged(summ) if nc is None else nc
    return [math.nan if n else float(v) for v, n in zip(summ[f"{metric}_mean"], nc, strict=True)]


def rank(summ: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Summary rows best first by the first headline metric (by variant name when there is none);
    rows that did not converge come after every result, whatever their number."""
    heads = headline_metrics(metrics)
    if not heads:
        return summ.sort_values("variant").reset_index(drop=True)
    m = heads[0]
    key = pd.Series(
        [
            badness(m, float(v), r)
            for v, r in zip(summ[f"{m}_mean"], references(summ, m), strict=True)
        ],
        index=summ.index,
    ).fillna(math.inf)
    ranked = summ.copy().assign(_k=key, _nc=not_converged(summ))  # copy: one block, no warning
    ranked = ranked.sort_values(["_nc", "_k", "variant"]).drop(columns=["_k", "_nc"])
    return ranked.reset_index(drop=True)
