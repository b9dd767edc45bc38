"""`ganbench compare DIR --variants A B [--dataset D]`: A against B on every metric.

Per metric: the mean over A's and B's finished seeds, the difference A − B with its 95% confidence
interval, and Welch's two-sample t-test (unequal variances, two-sided, Welch–Satterthwaite degrees
of freedom) across seeds. The verdict uses the metric's direction (ganbench.core.directions): "A is
better", "A is worse" or "no significant difference" at alpha = 0.05. Each metric is tested on its
own (no correction for testing many metrics); with few seeds only large effects reach significance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from scipy import stats

from ganbench.core.directions import REAL, arrow, better, direction, references
from ganbench.core.errors import GanbenchError
from ganbench.results.leaderboard import collect_rows, leaderboard_frame, metric_columns
from ganbench.results.references import RESERVED_NAMES, drop_reference, reference_label

ALPHA = 0.05
TEST_NAME = "Welch two-sample t-test (unequal variances, two-sided)"


@dataclass
class MetricComparison:
    dataset: str
    metric: str
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    diff: float  # mean_a - mean_b
    ci_low: float
    ci_high: float
    p_value: float
    # "better" | "worse" | "no significant difference" | "differs" | "not enough seeds"
    verdict: str
    note: str = ""


def welch(a: list[float], b: list[float]) -> tuple[float, float, float, float]:
    """(difference of means, CI low, CI high, p) for A − B; NaNs where undefined."""
    na, nb = len(a), len(b)
    ma, mb = sum(a) / na, sum(b) / nb
    diff = ma - mb
    if na < 2 or nb < 2:
        return diff, math.nan, math.nan, math.nan
    va = sum((x - ma) ** 2 for x in a) / (na - 1)
    vb = sum((x - mb) ** 2 for x in b) / (nb - 1)
    se2 = va / na + vb / nb
    if se2 == 0:
        return diff, diff, diff, (1.0 if diff == 0 else 0.0)
    se = math.sqrt(se2)
    dof = se2**2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
    t = diff / se
    p = float(2 * stats.t.sf(abs(t), dof))
    half = float(stats.t.ppf(0.975, dof)) * se
    return diff, diff - half, diff + half, p


def _verdict(
    metric: str, mean_a: float, mean_b: float, p: float, alpha: float, ref: float | None = None
) -> str:
    if math.isnan(p):
        return "not enough seeds"
    if p >= alpha:
        return "no significant difference"
    if direction(metric) is None or (direction(metric) == REAL and ref is None):
        return "differs"
    return "better" if better(metric, mean_a, mean_b, ref) else "worse"


def compare(
    out: Path, a: str, b: str, dataset: str | None = None, alpha: float = ALPHA
) -> list[MetricComparison]:
    rows = collect_rows(Path(out))
    if not rows:
        raise GanbenchError(f"no results under {out}; pass the --out folder of a `ganbench run`")
    if a == b:
        raise GanbenchError(f"--variants {a} {b}: name two different variants")
    for name in (a, b):
        if name in RESERVED_NAMES:
            raise GanbenchError(
                f"--variants {a} {b}: {name!r} is a reference row ({reference_label(name)}), not "
                "a variant; it is never ranked against the variants (read it beside them in the "
                "report)"
            )
    df = drop_reference(leaderboard_frame(rows))
    have = sorted(set(map(str, df["variant"])))
    for v in (a, b):
        if v not in have:
            raise GanbenchError(f"variant {v!r} has no results in {out}; it has: {', '.join(have)}")
    ds_a = set(df.loc[df["variant"] == a, "dataset"])
    ds_b = set(df.loc[df["variant"] == b, "dataset"])
    common = sorted(ds_a & ds_b)
    if dataset is not None:
        if dataset not in common:
            raise GanbenchError(
                f"--dataset {dataset}: {a} and {b} were not both run on it; "
                f"both have: {', '.join(common) or 'no dataset in common'}"
            )
        common = [dataset]
    if not common:
        raise GanbenchError(
            f"{a} ({', '.join(sorted(ds_a))}) and {b} ({', '.join(sorted(ds_b))}) "
            "share no dataset; run both on the same --dataset"
        )
    metrics = metric_columns(df) + (["wall_seconds"] if "wall_seconds" in df else [])
    results = []
    for d in common:
        ok = df[(df["dataset"] == d) & (df["status"] == "ok")]
        ga, gb = ok[ok["variant"] == a], ok[ok["variant"] == b]
        for m in metrics:
            xa = [float(v) for v in pd.to_numeric(ga[m], errors="coerce").dropna()]
            xb = [float(v) for v in pd.to_numeric(gb[m], errors="coerce").dropna()]
            if not xa or not xb:
                continue
            diff, lo, hi, p = welch(xa, xb)
            mean_a, mean_b = sum(xa) / len(xa), sum(xb) / len(xb)
            refs = [r for r in references(pd.concat([ga, gb]), m, suffix="") if r is not None]
            ref = sum(refs) / len(refs) if refs else None  # held-out real: the same for both
            verdict = _verdict(m, mean_a, mean_b, p, alpha, ref)
            note = ""
            if not math.isnan(p) and lo == hi:
                note = (
                    "identical on every seed"
                    if diff == 0
                    else "no seed-to-seed variation: the test is degenerate"
                )
            results.append(
                MetricComparison(
                    d, m, len(xa), len(xb), mean_a, mean_b, diff, lo, hi, p, verdict, note
                )
            )
    return results


def _f(v: float) -> str:
    if v is None or math.isnan(v):
        return "–"
    return f"{v:.4g}"


def verdict_line(r: MetricComparison, a: str, b: str) -> str:
    d = direction(r.metric)
    if d is None or isinstance(d, str):
        how = {
            "higher": "higher is better",
            "lower": "lower is better",
            REAL: "closer to the held-out real value is better",
        }.get(d, "descriptive, not ranked")
    else:
        how = f"closer to {d:g} is better"
    if r.verdict == "not enough seeds":
        text = (
            f"not enough seeds to test (need >= 2 finished runs each; have {r.n_a} and "
            f"{r.n_b}): run more --seeds"
        )
    elif r.verdict == "no significant difference":
        text = f"no significant difference (p = {r.p_value:.3g})"
    elif r.verdict == "differs":
        text = f"{a} is {'higher' if r.diff > 0 else 'lower'} (p = {r.p_value:.3g}; {how})"
    else:
        text = f"{a} is {r.verdict} than {b} (p = {r.p_value:.3g}; {how})"
    if r.note:
        text += f" [{r.note}]"
    return f"{r.metric}: {text}"


def format_comparison(results: list[MetricComparison], a: str, b: str, alpha: float = ALPHA) -> str:
    lines = []
    for d in dict.fromkeys(r.dataset for r in results):
        rs = [r for r in results if r.dataset == d]
        lines.append(
            f"{a} vs {b} on {d}: {TEST_NAME} across seeds, alpha = {alpha}; "
            f"difference = {a} - {b} with its 95% CI"
        )
        w = max([len(r.metric) for r in rs] + [6])
        head = (
            f"  {'metric':<{w}} {'dir':<4} {a + ' (n)':>16} {b + ' (n)':>16} {'A - B':>10} "
            f"{'95% CI of A - B':>24} {'p':>8}"
        )
        lines.append(head)
        for r in rs:
            ci = f"[{_f(r.ci_low)}, {_f(r.ci_high)}]"
            lines.append(
                f"  {r.metric:<{w}} {arrow(r.metric):<4} {_f(r.mean_a) + f' ({r.n_a})':>16} "
                f"{_f(r.mean_b) + f' ({r.n_b})':>16} {_f(r.diff):>10} {ci:>24} {_f(r.p_value):>8}"
            )
        lines.append("  verdicts:")
        lines += [f"    {verdict_line(r, a, b)}" for r in rs]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
