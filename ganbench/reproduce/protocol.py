"""What a reproduction protocol is: a named, versioned, frozen spec of a published experiment.

It pins the paper's data, networks, optimizer, batch size, full-paper budget, number of trials and
metric definitions, and carries the published numbers (mean and error bar, in the paper's units)
with their source. Each `Cell` is one row of the paper's table, trained through the ordinary
harness as a ganbench variant with hyper-parameter overrides (`hp`), so it is recorded, keyed and
resumed like any suite run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ganbench.core.hparams import HP, freeze


@dataclass(frozen=True)
class MetricDef:
    name: str  # the `metric` column of reproduction.csv, e.g. "hq_percent"
    column: str  # the leaderboard row's column it is computed from, e.g. "hq_fraction"
    factor: float = 1.0  # ours * factor is in the paper's units (fraction -> percent: 100)
    definition: str = ""


@dataclass(frozen=True)
class Cell:
    """One row of the paper's table on one dataset, as a ganbench run."""

    label: str  # the paper's row name, e.g. "PacGAN2"
    variant: str  # ganbench variant
    dataset: str
    hp: HP = ()  # frozen overrides, see ganbench.core.hparams.freeze
    batch_size: int = 64
    paper_steps: int = 1  # generator steps of one trial at full scale (scale 1.0)

    def steps(self, scale: float) -> int:
        return max(1, round(self.paper_steps * scale))


@dataclass(frozen=True)
class Published:
    """A number from the paper's table: mean and error bar (None where the paper gives none)."""

    label: str
    dataset: str
    metric: str
    mean: float
    err: float | None


@dataclass(frozen=True)
class Protocol:
    name: str
    version: str
    title: str
    source: str  # paper and table
    data: str
    networks: str
    optimizer: str
    batch: str
    budget: str
    trials: int  # the paper's number of trials
    error_bar: str  # what the paper's ± is ("standard error over 10 trials", "none given")
    metrics: tuple[MetricDef, ...]
    cells: tuple[Cell, ...]
    published: tuple[Published, ...]
    differences: tuple[str, ...] = ()  # every known difference from the paper's setting
    preset: str = "standard"  # evaluation sample counts (2,500 points; 26,000 mode samples)
    notes: tuple[str, ...] = field(default_factory=tuple)

    def paper(self, label: str, dataset: str, metric: str) -> Published | None:
        for p in self.published:
            if (p.label, p.dataset, p.metric) == (label, dataset, metric):
                return p
        return None

    def metric(self, name: str) -> MetricDef:
        return next(m for m in self.metrics if m.name == name)


def cell(
    label: str, variant: str, dataset: str, batch_size: int, paper_steps: int, **hp: Any
) -> Cell:
    return Cell(label, variant, dataset, freeze(hp), batch_size, paper_steps)


def published_table(
    rows: dict[tuple[str, str], tuple[tuple[float, float | None], ...]], metrics: tuple[str, ...]
) -> tuple[Published, ...]:
    """{(label, dataset): ((mean, err) per metric, in `metrics` order)} -> Published entries."""
    out = []
    for (label, dataset), values in rows.items():
        if len(values) != len(metrics):
            raise ValueError(f"{label} {dataset}: {len(values)} values for {len(metrics)} metrics")
        for m, (mean, err) in zip(metrics, values, strict=True):
            out.append(Published(label, dataset, m, mean, err))
    return tuple(out)
