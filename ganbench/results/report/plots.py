"""Report figures (matplotlib, Agg): metric bars with 95% CI whiskers, quality against cost, loss
curves, convergence curves (metric against step, mean and min-max band over seeds). Every
function takes plain frames/paths and writes one PNG. Rows that did not converge are grey and never
marked best."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from ganbench.core.directions import arrow, references  # noqa: E402
from ganbench.results.ranking import best_rows, converged_means, not_converged  # noqa: E402

BEST = "#d62728"
BASE = "#4c72b0"
EXTERNAL = "#55a868"
DPI = 96


def _save(fig, path: Path) -> Path:
    from ganbench.core.io import (
        save_figure_atomic,  # unique temporary name: two writers never clash
    )

    try:
        return save_figure_atomic(fig, path, dpi=DPI, bbox_inches="tight")
    finally:
        plt.close(fig)


def spans_decades(values: list[float], ratio: float = 50.0) -> bool:
    """All finite values positive and spread over more than `ratio`: a log axis reads better (one
    collapsed run with FID in the thousands would otherwise flatten every other bar)."""
    vals = [v for v in values if not math.isnan(v)]
    return bool(vals) and min(vals) > 0 and max(vals) / min(vals) > ratio


NOT_CONVERGED = "#c7c7c7"  # grey: the run did not converge, its number is not a result


def _best_index(metric: str, rows: pd.DataFrame) -> set[int]:
    """The best row among those that converged (as the report's tables mark it)."""
    return best_rows(metric, converged_means(rows, metric), references(rows, metric))


def _not_converged(rows: pd.DataFrame) -> list[bool]:
    return not_converged(rows.reset_index(drop=True))


def metric_bars(
    summary: pd.DataFrame,
    metrics: list[str],
    path: Path,
    title: str = "",
    external: set[str] | None = None,
) -> Path:
    """One horizontal bar panel per metric: mean over seeds, whisker = 95% CI half-width; the best
    variant in red, plug-ins in green."""
    external = external or set()
    # a column only some variants have (classify_accuracy, recon_error): draw just those; a
    # column no variant here has gets no (empty) panel
    panels = [
        (
            m,
            summary
            if summary[f"{m}_mean"].isna().mean() < 0.5
            else summary.dropna(subset=[f"{m}_mean"]),
        )
        for m in metrics
    ]
    panels = [(m, rows) for m, rows in panels if len(rows)] or panels[:1]
    metrics, panel_rows = [m for m, _ in panels], [rows for _, rows in panels]
    ncols = min(3, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    # each row of panels as tall as its longest panel, so every bar has the same thickness
    bars = [max(len(r) for r in panel_rows[i * ncols : (i + 1) * ncols]) for i in range(nrows)]
    heights = [max(1.6, 0.28 * b + 1.0) for b in bars]
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(4.3 * ncols, sum(heights)),
        squeeze=False,
        gridspec_kw={"height_ratios": heights},
    )
    for k, (m, rows) in enumerate(zip(metrics, panel_rows, strict=True)):
        ax = axes[k // ncols][k % ncols]
        names, n = list(rows["variant"]), len(rows)
        means = [float(v) for v in rows[f"{m}_mean"]]
        ci = [0.0 if pd.isna(v) else float(v) for v in rows[f"{m}_ci95"]]
        best = _best_index(m, rows)
        nc = _not_converged(rows)
        colors = [
            BEST
            if i in best
            else (NOT_CONVERGED if nc[i] else (EXTERNAL if names[i] in external else BASE))
            for i in range(n)
        ]
        y = range(n)
        vals = [0.0 if math.isnan(v) else v for v in means]
        ax.barh(list(y), vals, xerr=ci, color=colors, ecolor="0.25", capsize=2, height=0.7)
        if spans_decades(means):
            ax.set_xscale("log")
        for i, v in enumerate(means):
            if math.isnan(v):
                ax.text(0, i, " n/a", va="center", fontsize=7, color="0.4")
        ax.set_yticks(list(y))
        ax.set_yticklabels(names, fontsize=8)
        ax.set_ylim(bars[k // ncols] - 0.5, -0.5)  # top down
        ax.set_title(f"{m} {arrow(m)}", fontsize=10)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    for k in range(len(metrics), nrows * ncols):
        axes[k // ncols][k % ncols].axis("off")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def quality_vs_cost(
    summary: pd.DataFrame,
    metrics: list[str],
    path: Path,
    title: str = "",
    external: set[str] | None = None,
) -> Path:
    """Each variant at (mean wall seconds per run, metric mean ± 95% CI), one panel per metric."""
    external = external or set()
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 4.2), squeeze=False)
    x = [float(v) for v in summary["wall_seconds_mean"]]
    for ax, m in zip(axes[0], metrics, strict=False):
        y = [float(v) for v in summary[f"{m}_mean"]]
        ci = [0.0 if pd.isna(v) else float(v) for v in summary[f"{m}_ci95"]]
        best = _best_index(m, summary)
        nc = _not_converged(summary)
        for i, name in enumerate(summary["variant"]):
            if math.isnan(y[i]):
                continue
            c = BEST if i in best else (EXTERNAL if name in external else BASE)
            c = NOT_CONVERGED if nc[i] else c
            ax.errorbar(
                x[i],
                y[i],
                yerr=ci[i],
                fmt="s" if name in external else "o",
                color=c,
                ecolor="0.75",
                elinewidth=0.8,
                capsize=2,
                ms=5,
                zorder=3,
            )
            ax.annotate(name, (x[i], y[i]), textcoords="offset points", xytext=(4, 3), fontsize=7)
        if spans_decades(x, ratio=20):
            ax.set_xscale("log")
        if spans_decades(y):
            ax.set_yscale("log")
        ax.set_xlabel("wall seconds per run (train + evaluate)", fontsize=9)
        ax.set_ylabel(f"{m} {arrow(m)}", fontsize=9)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def read_losses(path: Path) -> dict[str, list[float]]:
    cols: dict[str, list[float]] = {}
    with open(path, newline="") as f:
        for rec in csv.DictReader(f):
            for k, v in rec.items():
                try:
                    cols.setdefault(k, []).append(float(v))
                except (TypeError, ValueError):
                    cols.setdefault(k, []).append(math.nan)
    return cols


def loss_curves(
    runs: dict[str, list[Path]], path: Path, title: str = "", max_series: int = 4
) -> Path | None:
    """Small multiples, one per variant: every logged loss against generator step, one line per
    seed (same colour per loss)."""
    runs = {v: [p for p in ps if p.exists()] for v, ps in runs.items()}
    runs = {v: ps for v, ps in runs.items() if ps}
    if not runs:
        return None
    ncols = min(4, len(runs))
    nrows = math.ceil(len(runs) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 2.6 * nrows), squeeze=False)
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, (variant, paths) in enumerate(runs.items()):
        ax = axes[k // ncols][k % ncols]
        labels_done = set()
        for p in paths:
            try:
                cols = read_losses(p)
            except (OSError, csv.Error, UnicodeDecodeError):
                continue
            steps = cols.pop("step", None)
            if not steps:
                continue
            for j, (name, vals) in enumerate(list(cols.items())[:max_series]):
                ax.plot(
                    steps,
                    vals,
                    color=palette[j % len(palette)],
                    lw=1,
                    alpha=0.8,
                    marker="o" if len(steps) < 8 else None,
                    ms=3,
                    label=name if name not in labels_done else None,
                )
                labels_done.add(name)
        ax.set_title(variant, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if labels_done:
            ax.legend(fontsize=6, loc="best")
    for k in range(len(runs), nrows * ncols):
        axes[k // ncols][k % ncols].axis("off")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def read_curve_frame(path: Path) -> pd.DataFrame | None:
    """curve.csv as a frame, or None when it is missing or unreadable."""
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError):
        return None
    return df if "step" in df and len(df) else None


def convergence_curves(
    runs: dict[str, list[Path]],
    metrics: list[str],
    path: Path,
    title: str = "",
    not_converged: set[str] | None = None,
) -> Path | None:
    """One panel per curve metric: every variant on it, the mean over seeds at each evaluated step
    as a line and the seeds' min-max as a band, log-scaled steps. Variants that did not converge
    are dashed and say so in the legend."""
    not_converged = not_converged or set()
    curves = {
        v: [c for c in (read_curve_frame(p) for p in ps if p.exists()) if c is not None]
        for v, ps in runs.items()
    }
    curves = {v: cs for v, cs in curves.items() if cs}
    metrics = [m for m in metrics if any(m in c for cs in curves.values() for c in cs)]
    if not curves or not metrics:
        return None
    fig, axes = plt.subplots(1, len(metrics), figsize=(6.2 * len(metrics), 4.4), squeeze=False)
    tab20 = plt.get_cmap("tab20").colors
    colors = tab20[::2] + tab20[1::2]  # ten distinct hues first, then their light twins
    for ax, m in zip(axes[0], metrics, strict=True):
        for k, (variant, cs) in enumerate(curves.items()):
            stacked = pd.concat([c[["step", m]] for c in cs if m in c])
            g = stacked.groupby("step")[m]
            steps = g.mean().index.to_numpy()
            color = colors[k % len(colors)]
            dashed = variant in not_converged
            label = f"{variant} (not converged)" if dashed else variant
            ax.plot(
                steps,
                g.mean().to_numpy(),
                color=color,
                lw=1.3,
                ls="--" if dashed else "-",
                marker="o" if len(steps) < 8 else None,
                ms=3,
                label=label,
            )
            if len(cs) > 1:
                ax.fill_between(
                    steps, g.min().to_numpy(), g.max().to_numpy(), color=color, alpha=0.15, lw=0
                )
        ax.set_xscale("log")
        values = [float(v) for cs in curves.values() for c in cs if m in c for v in c[m]]
        if m == "fid" and spans_decades(values):
            ax.set_yscale("log")
        ax.set_xlabel("generator step (log)", fontsize=9)
        ax.set_ylabel(f"{m} {arrow(m)}", fontsize=9)
        ax.set_title(m, fontsize=10)
        ax.grid(alpha=0.3, which="both")
        ax.tick_params(labelsize=8)
    axes[0][-1].legend(
        fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5), ncol=1 + len(curves) // 16
    )
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return _save(fig, path)
