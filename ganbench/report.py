"""`ganbench report DIR`: DIR/report.html (one self-contained file: inline CSS, pictures embedded as
base64 data URIs, no external requests) and DIR/report.md (pictures referenced by relative path).

Per dataset: the leaderboard (mean ± 95% CI across seeds, best value per metric marked), bar charts
with CI whiskers, quality against cost, sample pictures of every variant side by side, the closest
generated/train pairs of the worst memorization offenders, loss curves and failed runs; then the run
metadata. Metric columns are discovered from the leaderboards; their direction comes from
ganbench.directions.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import math
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ganbench import __version__
from ganbench.directions import arrow, badness, direction, references
from ganbench.errors import GanbenchError
from ganbench.hparams import run_leaf
from ganbench.io import write_text_atomic
from ganbench.leaderboard import write_leaderboards
from ganbench.reference import REFERENCE_LABEL, drop_reference, is_reference

ASSETS = "report_assets"
# Preferred headline metrics (first present wins): ranks the table and picks the cost plot's axes.
HEADLINE = ["fid", "kid_mean", "modes_covered", "reverse_kl", "hq_fraction", "precision"]
# Memorization metrics, in order of preference, to pick the worst offenders.
MEMORIZATION = ["nn_ratio", "authenticity", "ct_z"]
HIDDEN_IN_BARS = {"modes_total", "is_std", "kid_std"}
N_OFFENDERS = 3


# --- a tiny document model rendered to both HTML and Markdown ------------------------------------


@dataclass
class Cell:
    text: str
    best: bool = False
    title: str = ""
    muted: bool = False  # greyed: a number that is not a result (its run did not converge)


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Cell]]
    caption: str = ""
    collapsed: str = ""  # when set: a <details> block with this summary


@dataclass
class Image:
    path: Path  # absolute, for embedding
    caption: str = ""
    width: str = "100%"


@dataclass
class Gallery:
    images: list[Image]
    wide: bool = False  # fewer, wider cells (e.g. the closest-pairs strips)


@dataclass
class Section:
    title: str
    level: int = 2
    anchor: str = ""
    blocks: list[Any] = field(default_factory=list)


def _fmt(v: Any, digits: int = 4) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if type(v).__name__ in ("bool", "bool_"):  # Python's or NumPy's
        return str(v).lower()  # converged, stopped_by_time: true / false, never 1 / 0
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    if f == int(f) and abs(f) < 1e6:
        return str(int(f))
    if 10 ** (digits - 1) <= abs(f) < 1e6:  # no exponent for large plain numbers
        return f"{f:.0f}"
    return f"{f:.{digits}g}"


def _fmt_ci(mean: float, ci: float) -> str:
    if mean is None or math.isnan(mean):
        return "–"
    if ci is None or math.isnan(ci):
        return _fmt(mean)
    if abs(ci) < 1e-9 * max(1.0, abs(mean)):  # floating-point noise of identical seeds
        ci = 0.0
    return f"{_fmt(mean)} ± {_fmt(ci, 2)}"


# --- data ----------------------------------------------------------------------------------------


def summary_metrics(summary: pd.DataFrame) -> list[str]:
    """Metric names present in a leaderboard_summary frame (columns <m>_mean/_ci95), in the
    direction table's order, then any others alphabetically."""
    found = [c[: -len("_ci95")] for c in summary.columns if c.endswith("_ci95")]
    found = [m for m in found if f"{m}_mean" in summary.columns]
    from ganbench.directions import DIRECTIONS

    order = {m: i for i, m in enumerate(DIRECTIONS)}
    return sorted(found, key=lambda m: (order.get(m, len(order)), m))


def _present(summary: pd.DataFrame, metrics: list[str]) -> list[str]:
    return [
        m for m in metrics if pd.to_numeric(summary[f"{m}_mean"], errors="coerce").notna().any()
    ]


def _headline(metrics: list[str]) -> list[str]:
    heads = [m for m in HEADLINE if m in metrics]
    if not heads:
        heads = [m for m in metrics if direction(m) is not None]
    return heads


def _img_src_html(path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f"data:image/png;base64,{data}"


def _rel(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


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


# --- sections ------------------------------------------------------------------------------------


def _origin_map(board: pd.DataFrame) -> dict[str, str]:
    if "origin" not in board:
        return {}
    return {
        str(v): str(o)
        for v, o in board.groupby("variant")["origin"].first().items()
        if isinstance(o, str)
    }


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


NOT_CONVERGED = "not converged"
NOT_CONVERGED_NOTE = (
    "Rows marked “not converged” (greyed, unranked, listed last) had at least one seed whose "
    "curve was still moving in the final half of training (docs/metrics.md, “Convergence "
    "curves”): a non-converged number is not a result, only where training stopped; ★ marks the "
    "best among converged rows only."
)


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


def _leaderboard_table(
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
        cells = [Cell(rank), Cell(f"{r['variant']}{tag}", muted=nc[i]), Cell(runs)]
        for m in metrics:
            mean, ci = float(r[f"{m}_mean"]), float(r[f"{m}_ci95"])
            title = "best" if i in best[m] else (NOT_CONVERGED if nc[i] else "")
            cells.append(Cell(_fmt_ci(mean, ci), i in best[m], title, muted=nc[i]))
        cells.append(Cell(_fmt(float(r["wall_seconds_mean"]), 3)))
        rows.append(cells)
    for _, r in (summ.iloc[:0] if reference is None else reference).iterrows():
        cells = [Cell(""), Cell(REFERENCE_LABEL), Cell(f"{int(r['n_ok'])}/{int(r['n_seeds'])}")]
        cells += [Cell(_fmt_ci(float(r[f"{m}_mean"]), float(r[f"{m}_ci95"]))) for m in metrics]
        rows.append(cells + [Cell(_fmt(float(r["wall_seconds_mean"]), 3))])
    return Table(headers, rows)


def _rank(summ: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    heads = _headline(metrics)
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
    # rows that did not converge come after every result, whatever their number
    ranked = summ.assign(_k=key, _nc=not_converged(summ))
    ranked = ranked.sort_values(["_nc", "_k", "variant"]).drop(columns=["_k", "_nc"])
    return ranked.reset_index(drop=True)


def _mode_given(board: pd.DataFrame, dataset: str) -> set[str]:
    """Variants whose generator is handed the label on a dataset whose labels are its modes
    (the 2-D mixtures): their coverage is not comparable with the others'."""
    g = board[board["dataset"] == dataset]
    if "generator_conditioned" not in g or "hq_fraction" not in g or g["hq_fraction"].isna().all():
        return set()
    flag = g["generator_conditioned"].astype(str).str.lower() == "true"
    return {str(v) for v in g.loc[flag, "variant"]}


def _first_ok_seed(board: pd.DataFrame, variant: str, dataset: str) -> int | None:
    g = board[(board["variant"] == variant) & (board["dataset"] == dataset)]
    ok = g[g["status"] == "ok"].sort_values("seed")
    return None if ok.empty else int(ok["seed"].iloc[0])


def _run_folder(out: Path, variant: str, dataset: str, seed: int, hp: Any = "") -> Path:
    hp = hp if isinstance(hp, str) else ""  # a missing `hp` cell reads as NaN
    return out / "runs" / str(variant) / str(dataset) / run_leaf(seed, hp)


def _memorization(rd: ReportData, dataset: str, metrics: list[str]) -> list[Any]:
    g = rd.board[(rd.board["dataset"] == dataset) & (rd.board["status"] == "ok")]
    g = drop_reference(g)  # real held-out data is no memorization suspect
    pics = [
        (r, _run_folder(rd.out, r["variant"], dataset, r["seed"], r.get("hp")) / "closest_pairs.png")
        for _, r in g.iterrows()
    ]
    pics = [(r, p) for r, p in pics if p.exists()]
    blocks: list[Any] = []
    used = next((m for m in MEMORIZATION if m in metrics and m in g), None)
    if not pics:
        if used:
            blocks.append(f"No closest-pair pictures were written for {dataset}.")
        return blocks
    if used:

        def worst_first(rp):
            # suspicion of copying, not distance from the ideal: for nn_ratio, authenticity and
            # C_T alike, lower means closer to the training set
            v = float(rp[0][used])
            return math.inf if math.isnan(v) else v

        pics.sort(key=worst_first)
        seen: set[str] = set()  # the worst run of each variant, then the worst variants
        pics = [rp for rp in pics if not (rp[0]["variant"] in seen or seen.add(rp[0]["variant"]))]
        blocks.append(
            f"The variants most suspect of copying training data, by {used} "
            f"{arrow(used)} (worst first; each one's worst seed). Top row: generated "
            "samples; bottom row: the nearest training image of each."
        )
    else:
        blocks.append("Closest generated/train pairs (no memorization metric to rank them by).")
    imgs = []
    for r, p in pics[:N_OFFENDERS]:
        cap = f"{r['variant']} · seed {int(r['seed'])}"
        if used:
            cap += f" · {used} = {_fmt(float(r[used]))}"
        imgs.append(Image(p, cap))
    blocks.append(Gallery(imgs, wide=True))
    return blocks


def _failures(rd: ReportData, dataset: str) -> Table | None:
    g = rd.board[(rd.board["dataset"] == dataset) & (rd.board["status"] != "ok")]
    if g.empty:
        return None
    rows = []
    for _, r in g.iterrows():
        why = r.get("error", "")
        if r["status"] == "diverged" and not isinstance(why, str):
            why = f"non-finite loss at step {_fmt(r.get('diverged_step'))}"
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


CURVE_METRICS = ["modes_covered", "hq_fraction", "fid"]  # points: the first two; images: fid


def _convergence_blocks(
    rd: ReportData, dataset: str, summ: pd.DataFrame, assets: Path
) -> list[Any]:
    """The not-converged note (when the runs have curves) and the metric-against-steps chart."""
    from ganbench import plots

    nc = not_converged(summ)
    blocks: list[Any] = []
    if "n_converged" in summ and pd.to_numeric(summ["n_converged"], errors="coerce").notna().any():
        done = [str(v) for v, n in zip(summ["variant"], nc, strict=True) if not n]
        blocks.append(
            f"Converged (every ok seed): {len(done)} of {len(summ)} variant(s). "
            + NOT_CONVERGED_NOTE
        )
    board = rd.board[rd.board["dataset"] == dataset]
    runs = {
        str(v): [
            _run_folder(rd.out, v, dataset, s) / "curve.csv"
            for s in board[(board["variant"] == v) & (board["status"] == "ok")]["seed"]
        ]
        for v in summ["variant"]
    }
    stuck = {str(v) for v, n in zip(summ["variant"], nc, strict=True) if n}
    chart = plots.convergence_curves(
        runs, CURVE_METRICS, assets / f"{dataset}_curves.png", not_converged=stuck
    )
    if chart is not None:
        blocks.append(Section("Convergence curves", 3))
        blocks.append(
            Image(
                chart,
                "Cheap metrics evaluated during training (curve.csv of each run): line = mean "
                "over seeds, band = the seeds' min-max, log step axis; dashed = not converged.",
            )
        )
    return blocks


def dataset_section(rd: ReportData, dataset: str, assets: Path) -> Section:
    summ = rd.summary[rd.summary["dataset"] == dataset].reset_index(drop=True)
    origins = _origin_map(rd.board)
    is_ref = [is_reference(v, origins.get(str(v))) for v in summ["variant"]]
    ref, summ = summ[is_ref], summ[[not r for r in is_ref]].reset_index(drop=True)
    metrics = _present(summ, summary_metrics(rd.summary))
    given = _mode_given(rd.board, dataset)
    cond = summ[summ["variant"].isin(given)].reset_index(drop=True)
    summ = _rank(summ[~summ["variant"].isin(given)].reset_index(drop=True), metrics)
    external = {v for v, o in origins.items() if o in ("external", "plugin")}
    sec = Section(f"Dataset: {dataset}", anchor=f"ds-{dataset}")
    seeds = sorted({int(s) for s in rd.board[rd.board["dataset"] == dataset]["seed"]})
    heads = _headline(metrics)
    sec.blocks.append(
        f"{len(summ)} variant(s) × seeds {', '.join(map(str, seeds))}. Cells: mean ± 95% CI "
        "half-width (Student t over seeds; no ± with one seed). ↑ higher is better, ↓ lower is "
        "better, →t closer to t is better; ★ marks the best mean per metric."
        + (f" Ranked by {heads[0]}." if heads else "")
        + (
            f" Last row, {REFERENCE_LABEL}: the held-out real data scored as a generator by the "
            "same code with the same sample counts (images: the test split; 2-D: fresh samples "
            "of the true mixture), what real data gets on each metric; never ranked or marked."
            if len(ref)
            else ""
        )
    )
    sec.blocks.append(_leaderboard_table(summ, metrics, origins, ref))
    if len(cond):
        sec.blocks.append(Section("Generators given the mode (ranked apart)", 3))
        sec.blocks.append(
            "These generators are told the label, which on a Gaussian mixture is the mode index: "
            "their mode coverage is given, not earned, so they are never ranked against the "
            "unconditional variants above (`generator_conditioned` = true in the CSV)."
        )
        sec.blocks.append(_leaderboard_table(_rank(cond, metrics), metrics, origins, ref))
    everyone = pd.concat([summ, cond], ignore_index=True)  # pictures and curves: all variants
    sec.blocks.extend(_convergence_blocks(rd, dataset, everyone, assets))
    from ganbench import plots

    same = constant_metrics(summ, metrics)
    bars = [m for m in metrics if m not in HIDDEN_IN_BARS and m not in same]
    if bars and len(summ):
        sec.blocks.append(Section("Metrics with 95% confidence intervals", 3))
        if same:
            sec.blocks.append(
                "The same for every variant (not drawn): "
                + ", ".join(f"{m} = {_fmt(float(summ[f'{m}_mean'].iloc[0]))}" for m in same)
                + "."
            )
        sec.blocks.append(
            Image(
                plots.metric_bars(summ, bars, assets / f"{dataset}_metrics.png", external=external),
                "Mean over seeds; whiskers: 95% CI; red: best; green: external.",
            )
        )
    if heads and len(summ):
        sec.blocks.append(Section("Quality against cost", 3))
        cost = plots.quality_vs_cost(
            summ, heads[:2], assets / f"{dataset}_cost.png", external=external
        )
        sec.blocks.append(Image(cost, width="80%"))
    sec.blocks.append(Section("Samples", 3))
    imgs, missing = [], []
    for v in everyone["variant"]:
        seed = _first_ok_seed(rd.board, v, dataset)
        p = None if seed is None else _run_folder(rd.out, v, dataset, seed) / "samples.png"
        if p is not None and p.exists():
            imgs.append(Image(p, f"{v} · seed {seed}"))
        else:
            missing.append(str(v))
    for v in ref["variant"]:  # what real samples look like, last and labelled
        seed = _first_ok_seed(rd.board, v, dataset)
        p = None if seed is None else _run_folder(rd.out, v, dataset, seed) / "samples.png"
        if p is not None and p.exists():
            imgs.append(Image(p, f"{REFERENCE_LABEL} · seed {seed}"))
    if imgs:
        kind = "scatter over the real mixture (grey)" if dataset in ("ring8", "grid25") else "grid"
        sec.blocks.append(f"One seed per variant (the first that finished), as a {kind}.")
        sec.blocks.append(Gallery(imgs))
    if missing:
        sec.blocks.append(f"No samples for: {', '.join(missing)}.")
    mem = _memorization(rd, dataset, metrics)
    if mem:
        sec.blocks.append(Section("Memorization: closest generated/train pairs", 3))
        sec.blocks.extend(mem)
    runs = {
        str(v): [
            _run_folder(rd.out, v, dataset, s) / "losses.csv"
            for s in rd.board[(rd.board["variant"] == v) & (rd.board["dataset"] == dataset)]["seed"]
        ]
        for v in everyone["variant"]
    }
    curves = plots.loss_curves(runs, assets / f"{dataset}_losses.png")
    if curves is not None:
        sec.blocks.append(Section("Loss curves", 3))
        sec.blocks.append(Image(curves, "Every seed drawn; mean loss per logging interval."))
    fails = _failures(rd, dataset)
    if fails is not None:
        sec.blocks.append(Section("Failed and diverged runs", 3))
        sec.blocks.append(fails)
    return sec


def _uniq(board: pd.DataFrame, col: str) -> str:
    if col not in board:
        return "–"
    vals = sorted({str(v) for v in board[col].dropna() if str(v) != ""})
    return ", ".join(vals) if vals else "–"


def metadata_section(rd: ReportData) -> Section:
    import matplotlib
    import numpy
    import torch

    b = rd.board
    sec = Section("Run metadata", anchor="metadata")
    budgets = []
    cols = [c for c in ("dataset", "preset", "budget_steps", "batch_size") if c in b]
    for _, r in drop_reference(b)[cols].drop_duplicates().iterrows():  # the reference trains not
        budgets.append(" ".join(f"{c}={_fmt(r[c])}" for c in cols))
    rows = [
        ("output folder", str(rd.out.resolve())),
        ("preset(s)", _uniq(b, "preset")),
        ("budgets", "; ".join(budgets) or "–"),
        ("seeds", ", ".join(str(int(s)) for s in sorted(b["seed"].dropna().unique()))),
        ("device(s)", _uniq(b, "device")),
        ("feature space (weights hash)", _uniq(b, "features")),
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
    show = [
        c
        for c in (
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
            "best_step",
            "curve_eval_seconds",
            "device",
            "features",
            "stopped_by_time",
        )
        if c in b
    ]
    table = Table(
        show,
        [[Cell(_fmt(r[c])) for c in show] for _, r in b.iterrows()],
        collapsed=f"Every run ({len(b)})",
    )
    sec.blocks.append(table)
    return sec


def build(rd: ReportData, assets: Path) -> list[Section]:
    datasets = sorted(rd.summary["dataset"].dropna().unique())
    return [dataset_section(rd, d, assets) for d in datasets] + [metadata_section(rd)]


# --- rendering ------------------------------------------------------------------------------------

CSS = """
body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#222;
max-width:1280px;margin:0 auto;padding:16px 24px;background:#fff}
h1{font-size:24px;margin:8px 0 4px}h2{font-size:20px;border-bottom:2px solid #4c72b0;
padding-bottom:3px;margin-top:36px}h3{font-size:16px;margin:22px 0 8px;color:#333}
nav a{margin-right:14px}p{margin:6px 0 10px}.muted{color:#666}
table{border-collapse:collapse;margin:8px 0 12px;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right;white-space:nowrap}
th{background:#f0f3f8;position:sticky;top:0}td:nth-child(2),th:nth-child(2){text-align:left}
tr:nth-child(even) td{background:#fafafa}td.best{font-weight:700;background:#fdecea !important}
td.best::after{content:" ★";color:#d62728}.wrap td{white-space:normal;text-align:left}
.scroll{overflow-x:auto}figure{margin:8px 0}figcaption{font-size:12px;color:#555}
.gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:10px}
.gallery figure{margin:0;border:1px solid #eee;padding:4px;text-align:center}
.gallery img{width:100%;height:auto}img{max-width:100%}
.gallery.wide{grid-template-columns:repeat(auto-fill,minmax(560px,1fr))}
td:nth-child(2){position:sticky;left:0;background:#fff;font-weight:600}
details summary{cursor:pointer;color:#4c72b0;margin:6px 0}
td.nc,td.nc:nth-child(2){color:#9a9a9a;font-weight:400}
"""


def _td_class(c: Cell) -> str:
    names = [n for n, on in (("best", c.best), ("nc", c.muted)) if on]
    if len(names) > 1:
        return f' class="{" ".join(names)}"'
    return f" class={names[0]}" if names else ""


def _html_block(block: Any, out: Path) -> str:
    e = html.escape
    if isinstance(block, str):
        return f"<p>{e(block)}</p>"
    if isinstance(block, Section):
        aid = f' id="{e(block.anchor)}"' if block.anchor else ""
        head = f"<h{block.level}{aid}>{e(block.title)}</h{block.level}>"
        return head + "".join(_html_block(b, out) for b in block.blocks)
    if isinstance(block, Table):
        wrap = " wrap" if block.headers == ["", ""] or "reason" in block.headers else ""
        th = "".join(f"<th>{e(h)}</th>" for h in block.headers) if any(block.headers) else ""
        body = "".join(
            "<tr>"
            + "".join(
                f"<td{_td_class(c)}"
                f"{f' title={chr(34)}{e(c.title)}{chr(34)}' if c.title else ''}>{e(c.text)}</td>"
                for c in row
            )
            + "</tr>"
            for row in block.rows
        )
        cap = f"<caption class=muted>{e(block.caption)}</caption>" if block.caption else ""
        t = (
            f'<div class="scroll{wrap}"><table>{cap}<thead><tr>{th}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>"
        )
        if block.collapsed:
            return f"<details><summary>{e(block.collapsed)}</summary>{t}</details>"
        return t
    if isinstance(block, Image):
        cap = f"<figcaption>{e(block.caption)}</figcaption>" if block.caption else ""
        alt = e(block.caption or block.path.name)
        return (
            f'<figure><img src="{_img_src_html(block.path)}" alt="{alt}"'
            f' style="width:{block.width}">{cap}</figure>'
        )
    if isinstance(block, Gallery):
        figs = "".join(
            f'<figure><img src="{_img_src_html(i.path)}" alt="{e(i.caption)}"><figcaption>'
            f"{e(i.caption)}</figcaption></figure>"
            for i in block.images
        )
        return f'<div class="gallery{" wide" if block.wide else ""}">{figs}</div>'
    raise TypeError(type(block))


def render_html(sections: list[Section], out: Path, title: str) -> str:
    nav = " ".join(
        f'<a href="#{html.escape(s.anchor)}">{html.escape(s.title)}</a>'
        for s in sections
        if s.anchor
    )
    body = "".join(_html_block(s, out) for s in sections)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"
        f'<p class="muted">{html.escape(str(out.resolve()))}</p><nav>{nav}</nav>{body}'
        "</body></html>\n"
    )


def _md_cell(c: Cell) -> str:
    text = c.text.replace("|", "\\|")
    if c.muted and text not in ("", "–"):
        text = f"_{text}_"  # Markdown has no grey: italics, with the row's "not converged" tag
    return f"**{text}** ★" if c.best else text


def _md_block(block: Any, out: Path) -> str:
    if isinstance(block, str):
        return block + "\n\n"
    if isinstance(block, Section):
        head = f"{'#' * block.level} {block.title}\n\n"
        return head + "".join(_md_block(b, out) for b in block.blocks)
    if isinstance(block, Table):
        headers = [h or " " for h in block.headers]
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
        text = "\n".join(lines) + "\n\n"
        if block.caption:
            text = f"{block.caption}\n\n" + text
        if block.collapsed:
            return f"<details><summary>{block.collapsed}</summary>\n\n{text}</details>\n\n"
        return text
    if isinstance(block, Image):
        cap = f"\n\n*{block.caption}*" if block.caption else ""
        return f"![{block.caption or block.path.name}]({_rel(block.path, out)}){cap}\n\n"
    if isinstance(block, Gallery):
        return (
            "".join(
                f'<img src="{_rel(i.path, out)}" alt="{i.caption}" title="{i.caption}" '
                'width="240"> '
                for i in block.images
            )
            + "\n\n"
            + " · ".join(i.caption for i in block.images)
            + "\n\n"
        )
    raise TypeError(type(block))


def render_md(sections: list[Section], out: Path, title: str) -> str:
    toc = " · ".join(f"[{s.title}](#{s.anchor})" for s in sections if s.anchor)
    return f"# {title}\n\n{toc}\n\n" + "".join(_md_block(s, out) for s in sections)


def write_report(out: Path, title: str = "ganbench report") -> tuple[Path, Path]:
    """Write out/report.html and out/report.md from the results under `out`."""
    out = Path(out)
    rd = load(out)
    assets = out / ASSETS
    sections = build(rd, assets)
    html_path, md_path = out / "report.html", out / "report.md"
    write_text_atomic(html_path, render_html(sections, out, title))
    write_text_atomic(md_path, render_md(sections, out, title))
    umask = os.umask(0)
    os.umask(umask)
    for p in (html_path, md_path):  # readable like any file the user writes (mkstemp: 0600)
        p.chmod(0o666 & ~umask)
    return html_path, md_path
