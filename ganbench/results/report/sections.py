"""The report's sections, assembled from leaderboard rows and run folders.

`build` lists the top-level sections: one per dataset, then the run metadata. A dataset's section
is its parts in DATASET_PARTS order; each part is one function `(DatasetView) -> list[Block]` that
returns nothing when it has nothing to show. To add a part, write one such function and list it;
to add a top-level section (e.g. one per task kind), write a function returning a Section and
add it in `build`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ganbench.core.directions import arrow
from ganbench.data.listing import relation_of, task_of
from ganbench.results.ranking import constant_metrics, headline_metrics, not_converged, rank
from ganbench.results.references import (
    REFERENCE_LABEL,
    drop_reference,
    is_reference,
    reference_label,
)
from ganbench.results.report import plots
from ganbench.results.report.data import (
    ReportData,
    first_ok_seed,
    mode_given,
    origin_map,
    present_metrics,
    run_folder,
    summary_metrics,
)
from ganbench.results.report.formatting import fmt
from ganbench.results.report.metadata import metadata_section
from ganbench.results.report.model import Block, Gallery, Image, Section
from ganbench.results.report.reproduction import reproduction_sections
from ganbench.results.report.tables import (
    NOT_CONVERGED_NOTE,
    failures_table,
    leaderboard_table,
    row_hp,
    row_label,
)

# Memorization metrics, in order of preference, to pick the worst offenders.
MEMORIZATION = ["nn_ratio", "authenticity", "ct_z"]
HIDDEN_IN_BARS = {"modes_total", "is_std", "kid_std"}
N_OFFENDERS = 3
# points: the first two; images: fid; translation: fid and psnr
CURVE_METRICS = ["modes_covered", "hq_fraction", "fid", "psnr"]


@dataclass
class DatasetView:
    """What every part of one dataset's section reads, computed once."""

    rd: ReportData
    dataset: str
    assets: Path
    summ: pd.DataFrame  # the ranked variants (reference and mode-given ones apart)
    cond: pd.DataFrame  # variants handed the mode, unranked against the others
    ref: pd.DataFrame  # the real-data reference row(s)
    everyone: pd.DataFrame  # summ then cond: pictures and curves show every variant
    metrics: list[str]
    heads: list[str]
    origins: dict[str, str]
    external: set[str]


def dataset_view(rd: ReportData, dataset: str, assets: Path) -> DatasetView:
    summ = rd.summary[rd.summary["dataset"] == dataset].reset_index(drop=True)
    origins = origin_map(rd.board)
    is_ref = [is_reference(v, origins.get(str(v))) for v in summ["variant"]]
    ref, summ = summ[is_ref], summ[[not r for r in is_ref]].reset_index(drop=True)
    metrics = present_metrics(summ, summary_metrics(rd.summary))
    given = mode_given(rd.board, dataset)
    cond = summ[summ["variant"].isin(given)].reset_index(drop=True)
    summ = rank(summ[~summ["variant"].isin(given)].reset_index(drop=True), metrics)
    return DatasetView(
        rd=rd,
        dataset=dataset,
        assets=assets,
        summ=summ,
        cond=cond,
        ref=ref,
        everyone=pd.concat([summ, cond], ignore_index=True),
        metrics=metrics,
        heads=headline_metrics(metrics),
        origins=origins,
        external={v for v, o in origins.items() if o in ("external", "plugin")},
    )




def _seeds(v: DatasetView, r: pd.Series, ok_only: bool = True) -> list[int]:
    """The seeds of one summary row (variant and hp) on the view's dataset."""
    b = v.rd.board
    g = b[(b["variant"] == r["variant"]) & (b["dataset"] == v.dataset)]
    if "hp" in g:
        g = g[g["hp"].map(lambda h: h if isinstance(h, str) else "") == row_hp(r)]
    if ok_only:
        g = g[g["status"] == "ok"]
    return sorted(int(x) for x in g["seed"])


def _files(v: DatasetView, name: str, ok_only: bool = True) -> dict[str, list[Path]]:
    """label -> that file in each of the row's run folders, for every row of the view."""
    return {
        row_label(r): [
            run_folder(v.rd.out, r["variant"], v.dataset, s, row_hp(r)) / name
            for s in _seeds(v, r, ok_only)
        ]
        for _, r in v.everyone.iterrows()
    }


def leaderboard_part(v: DatasetView) -> list[Block]:
    """How to read the table, then the ranked table with the reference row(s) last."""
    seeds = sorted({int(s) for s in v.rd.board[v.rd.board["dataset"] == v.dataset]["seed"]})
    intro = (
        f"{len(v.summ)} variant(s) × seeds {', '.join(map(str, seeds))}. Cells: mean ± 95% CI "
        "half-width (Student t over seeds; no ± with one seed). ↑ higher is better, ↓ lower is "
        "better, →t closer to t is better; ★ marks the best mean per metric."
        + (f" Ranked by {v.heads[0]}." if v.heads else "")
        + (
            f" Last row(s), {REFERENCE_LABEL}: the held-out real data scored as a generator by "
            "the same code with the same sample counts (images: the test split; 2-D: fresh "
            "samples of the true mixture; translation: the ground truth), what real data gets on "
            "each metric, and any classical baseline; never ranked or marked."
            if len(v.ref) and task_of(v.dataset) == "translation"
            else f" Last row, {REFERENCE_LABEL}: the held-out real data scored as a generator by the "
            "same code with the same sample counts (images: the test split; 2-D: fresh samples "
            "of the true mixture), what real data gets on each metric; never ranked or marked."
            if len(v.ref)
            else ""
        )
    )
    return [intro, leaderboard_table(v.summ, v.metrics, v.origins, v.ref)]


def mode_given_part(v: DatasetView) -> list[Block]:
    """The generators told the mode, in a table of their own."""
    if not len(v.cond):
        return []
    return [
        Section("Generators given the mode (ranked apart)", 3),
        "These generators are told the label, which on a Gaussian mixture is the mode index: "
        "their mode coverage is given, not earned, so they are never ranked against the "
        "unconditional variants above (`generator_conditioned` = true in the CSV).",
        leaderboard_table(rank(v.cond, v.metrics), v.metrics, v.origins, v.ref),
    ]


def convergence_part(v: DatasetView) -> list[Block]:
    """The not-converged note (when the runs have curves) and the metric-against-steps chart."""
    summ, dataset = v.everyone, v.dataset
    nc = not_converged(summ)
    blocks: list[Block] = []
    if "n_converged" in summ and pd.to_numeric(summ["n_converged"], errors="coerce").notna().any():
        done = [str(x) for x, n in zip(summ["variant"], nc, strict=True) if not n]
        blocks.append(
            f"Converged (every ok seed): {len(done)} of {len(summ)} variant(s). "
            + NOT_CONVERGED_NOTE
        )
    runs = _files(v, "curve.csv")
    stuck = {row_label(r) for (_, r), n in zip(summ.iterrows(), nc, strict=True) if n}
    chart = plots.convergence_curves(
        runs, CURVE_METRICS, v.assets / f"{dataset}_curves.png", not_converged=stuck
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


def metric_bars_part(v: DatasetView) -> list[Block]:
    """One bar panel per metric that tells the variants apart; the constant ones in a sentence."""
    same = constant_metrics(v.summ, v.metrics)
    bars = [m for m in v.metrics if m not in HIDDEN_IN_BARS and m not in same]
    if not (bars and len(v.summ) >= 2):  # one variant: the table says it all, nothing to compare
        return []
    blocks: list[Block] = [Section("Metrics with 95% confidence intervals", 3)]
    if same:
        blocks.append(
            "The same for every variant (not drawn): "
            + ", ".join(f"{m} = {fmt(float(v.summ[f'{m}_mean'].iloc[0]))}" for m in same)
            + "."
        )
    path = v.assets / f"{v.dataset}_metrics.png"
    blocks.append(
        Image(
            plots.metric_bars(v.summ, bars, path, external=v.external),
            "Mean over seeds; whiskers: 95% CI; red: best; green: external.",
        )
    )
    return blocks


def cost_part(v: DatasetView) -> list[Block]:
    """The first two headline metrics against wall seconds per run."""
    if not (v.heads and len(v.summ) >= 2):
        return []
    path = v.assets / f"{v.dataset}_cost.png"
    cost = plots.quality_vs_cost(v.summ, v.heads[:2], path, external=v.external)
    return [Section("Quality against cost", 3), Image(cost, width="80%")]


def samples_part(v: DatasetView) -> list[Block]:
    """samples.png of each variant's first finished seed, then the real data's."""
    rd, dataset = v.rd, v.dataset
    blocks: list[Block] = [Section("Samples", 3)]
    imgs, missing = [], []
    for _, r in v.everyone.iterrows():
        seeds = _seeds(v, r)
        p = (
            run_folder(rd.out, r["variant"], dataset, seeds[0], row_hp(r)) / "samples.png"
            if seeds
            else None
        )
        if p is not None and p.exists():
            imgs.append(Image(p, f"{row_label(r)} · seed {seeds[0]}"))
        else:
            missing.append(row_label(r))
    for x in v.ref["variant"]:  # what real samples look like, last and labelled
        seed = first_ok_seed(rd.board, x, dataset)
        p = None if seed is None else run_folder(rd.out, x, dataset, seed) / "samples.png"
        if p is not None and p.exists():
            imgs.append(Image(p, f"{reference_label(x)} · seed {seed}"))
    if imgs:
        if task_of(dataset) == "translation":
            kind = (
                "strip of three rows: the input, the variant's output, the ground truth (the same "
                "held-out pairs for every variant, one of each digit first)"
            )
        elif dataset in ("ring8", "grid25"):
            kind = "scatter over the real mixture (grey)"
        else:
            kind = "grid"
        blocks.append(f"One seed per variant (the first that finished), as a {kind}.")
        blocks.append(Gallery(imgs))
    if missing:
        blocks.append(f"No samples for: {', '.join(missing)}.")
    return blocks


def memorization_part(v: DatasetView) -> list[Block]:
    """closest_pairs.png of the variants most suspect of copying, worst first."""
    blocks = _closest_pairs(v.rd, v.dataset, v.metrics)
    return [Section("Memorization: closest generated/train pairs", 3), *blocks] if blocks else []


def _closest_pairs(rd: ReportData, dataset: str, metrics: list[str]) -> list[Block]:
    g = rd.board[(rd.board["dataset"] == dataset) & (rd.board["status"] == "ok")]
    g = drop_reference(g)  # real held-out data is no memorization suspect
    pics = [
        (r, run_folder(rd.out, r["variant"], dataset, r["seed"], r.get("hp")) / "closest_pairs.png")
        for _, r in g.iterrows()
    ]
    pics = [(r, p) for r, p in pics if p.exists()]
    blocks: list[Block] = []
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
            cap += f" · {used} = {fmt(float(r[used]))}"
        imgs.append(Image(p, cap))
    blocks.append(Gallery(imgs, wide=True))
    return blocks


def loss_curves_part(v: DatasetView) -> list[Block]:
    """losses.csv of every seed, one small panel per variant."""
    runs = _files(v, "losses.csv", ok_only=False)
    curves = plots.loss_curves(runs, v.assets / f"{v.dataset}_losses.png")
    if curves is None:
        return []
    return [
        Section("Loss curves", 3),
        Image(curves, "Every seed drawn; mean loss per logging interval."),
    ]


def failures_part(v: DatasetView) -> list[Block]:
    fails = failures_table(v.rd.board, v.dataset)
    return [] if fails is None else [Section("Failed and diverged runs", 3), fails]


DATASET_PARTS: tuple[Callable[[DatasetView], list[Block]], ...] = (
    leaderboard_part,
    mode_given_part,
    convergence_part,
    metric_bars_part,
    cost_part,
    samples_part,
    memorization_part,
    loss_curves_part,
    failures_part,
)


TRANSLATION_INTRO = (
    "Translation: each variant maps held-out sources to targets it never saw; l1 / psnr / ssim "
    "against the ground truth (hole_* on the hole only, for inpainting), label_preservation: "
    "the target domain's classifier on the outputs against the source digit, fid / kid in the "
    "target domain's feature space, cycle_l1 for two-way variants (docs/metrics.md, "
    '"Translation metrics"). Reference rows, never ranked: the ground truth itself (`real`) '
    "and the classical baseline (bicubic upsampling, mean fill) where the task has one."
)


def dataset_section(rd: ReportData, dataset: str, assets: Path) -> Section:
    view = dataset_view(rd, dataset, assets)
    if task_of(dataset) == "translation":
        sec = Section(
            f"Translation: {dataset} ({relation_of(dataset)})",
            anchor=f"ds-{dataset}",
            blocks=[TRANSLATION_INTRO],
        )
    else:
        sec = Section(f"Dataset: {dataset}", anchor=f"ds-{dataset}")
    for part in DATASET_PARTS:
        sec.blocks.extend(part(view))
    return sec


def build(rd: ReportData, assets: Path) -> list[Section]:
    """Every top-level section, in order: reproductions (when the folder holds one), generation
    datasets, then translation tasks, then the metadata."""
    datasets = sorted(
        rd.summary["dataset"].dropna().unique(), key=lambda d: (task_of(d) == "translation", d)
    )
    repro = reproduction_sections(rd.out)  # a reproduce folder: the published table first
    return repro + [dataset_section(rd, d, assets) for d in datasets] + [metadata_section(rd)]
