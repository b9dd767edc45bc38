"""The report's tables built from leaderboard rows: the ranked leaderboard of one dataset (mean ±
95% CI, best marked, non-converged rows greyed) and the runs without scores."""

from __future__ import annotations

import pandas as pd

from ganbench.core.directions import arrow, references
from ganbench.results.ranking import best_rows, converged_means, not_converged
from ganbench.results.references import reference_label
from ganbench.results.report.formatting import fmt, fmt_ci
from ganbench.results.report.model import Cell, Table

NOT_CONVERGED = "not converged"
NOT_CONVERGED_NOTE = (
    "Rows marked “not converged” (greyed, unranked, listed last) had at least one seed whose "
    "curve was still moving in the final half of training, or sat still without ever beating its "
    "first evaluation (the row's `convergence`: moving / flat; docs/metrics.md, “Convergence "
    "curves”): a non-converged number is not a result, only where training stopped; ★ marks the "
    "best among converged rows only."
)


def row_hp(r: pd.Series) -> str:
    hp = r.get("hp", "")
    return hp if isinstance(hp, str) else ""  # a missing `hp` cell reads as NaN


def row_label(r: pd.Series) -> str:
    """A summary row's name in tables and pictures: the variant, with its --hp overrides when it
    has any (runs of one variant with other settings are other rows)."""
    return f"{r['variant']} [{row_hp(r)}]" if row_hp(r) else str(r["variant"])


def leaderboard_table(
    summ: pd.DataFrame,
    metrics: list[str],
    origins: dict[str, str],
    reference: pd.DataFrame | None = None,
) -> Table:
    """The ranked variants, then the reference row(s) (unranked, never marked best)."""
    nc = not_converged(summ)
    best = {m: best_rows(m, converged_means(summ, m, nc), references(summ, m)) for m in metrics}
    headers = ["#", "variant", "runs ok"] + [f"{m} {arrow(m)}".strip() for m in metrics]
    headers.append("s/run")
    rows = []
    for i, (_, r) in enumerate(summ.iterrows()):
        origin = origins.get(str(r["variant"]), "builtin")
        tag = {"external": " (external)", "plugin": " (plug-in)"}.get(origin, "")
        runs = f"{int(r['n_ok'])}/{int(r['n_seeds'])}"
        extra = []
        if int(r.get("n_diverged", 0) or 0):
            extra.append(f"{int(r['n_diverged'])} diverged")
        if int(r.get("n_failed", 0) or 0):
            extra.append(f"{int(r['n_failed'])} failed")
        if extra:
            runs += f" ({', '.join(extra)})"
        if nc[i]:
            tag += f" · {NOT_CONVERGED} ({int(r['n_converged'])}/{int(r['n_ok'])} converged)"
        rank = "–" if nc[i] else str(i + 1)
        cells = [Cell(rank), Cell(f"{row_label(r)}{tag}", muted=nc[i]), Cell(runs)]
        for m in metrics:
            mean, ci = float(r[f"{m}_mean"]), float(r[f"{m}_ci95"])
            title = "best" if i in best[m] else (NOT_CONVERGED if nc[i] else "")
            cells.append(Cell(fmt_ci(mean, ci), i in best[m], title, muted=nc[i]))
        cells.append(Cell(fmt(float(r["wall_seconds_mean"]), 3)))
        rows.append(cells)
    for _, r in (summ.iloc[:0] if reference is None else reference).iterrows():
        label = reference_label(r["variant"])
        cells = [Cell(""), Cell(label), Cell(f"{int(r['n_ok'])}/{int(r['n_seeds'])}")]
        cells += [Cell(fmt_ci(float(r[f"{m}_mean"]), float(r[f"{m}_ci95"]))) for m in metrics]
        rows.append(cells + [Cell(fmt(float(r["wall_seconds_mean"]), 3))])
    return Table(headers, rows)


def failures_table(board: pd.DataFrame, dataset: str) -> Table | None:
    """One row per run of `dataset` without scores (failed, diverged), with its reason."""
    g = board[(board["dataset"] == dataset) & (board["status"] != "ok")]
    if g.empty:
        return None
    rows = []
    for _, r in g.iterrows():
        why = r.get("error", "")
        if r["status"] == "diverged" and not isinstance(why, str):
            why = f"non-finite loss at step {fmt(r.get('diverged_step'))}"
        rows.append(
            [
                Cell(str(r["variant"])),
                Cell(str(int(r["seed"]))),
                Cell(str(r["status"])),
                Cell("" if not isinstance(why, str) else why),
            ]
        )
    return Table(
        ["variant", "seed", "status", "reason"],
        rows,
        caption="Runs without scores (left out of the means above).",
    )
