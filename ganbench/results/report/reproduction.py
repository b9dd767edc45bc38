"""The reproduction section: a published table beside ours, cell by cell, from the
reproduction.csv (and protocol.json) that `ganbench reproduce` leaves in its output folder.
Read from the files only, so the report never imports the protocols."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from ganbench.results.report.formatting import fmt
from ganbench.results.report.model import Block, Cell, Section, Table

VERDICT_RULE = (
    "Verdict: `agrees` when |ours − paper| ≤ 2·√(paper_err² + ours_err²), else `higher` / "
    "`lower`; `not converged` (greyed) when they differ and the trials say they did not converge: "
    "such a difference may be nothing but training time."
)


def _pm(mean: float, err: float) -> str:
    if not math.isfinite(mean):
        return "—"
    return fmt(mean, 3) + (f" ± {fmt(err, 2)}" if math.isfinite(err) else "")


def _intro(protocol: dict, scale: float) -> list[Block]:
    blocks: list[Block] = []
    if protocol:
        blocks.append(
            f"{protocol.get('title', '')}. Source: {protocol.get('source', 'not recorded')}. "
            f"Data: {protocol.get('data', '')}. Networks: {protocol.get('networks', '')}. "
            f"Optimizer: {protocol.get('optimizer', '')}; batch {protocol.get('batch', '')}."
        )
    budget = protocol.get("budget", "the paper's budget")
    if scale < 1:
        blocks.append(
            f"**Scale {scale:g}**: every trial trained {scale:g} × {budget}. This is not the "
            "paper's experiment; a difference may be nothing but training time."
        )
    else:
        blocks.append(f"Scale 1: the paper's budget ({budget}).")
    return blocks


def reproduction_sections(out: Path) -> list[Section]:
    """One section per protocol in out/reproduction.csv; none when the file is absent."""
    path = Path(out) / "reproduction.csv"
    if not path.exists():
        return []
    frame = pd.read_csv(path)
    meta = Path(out) / "protocol.json"
    protocol = json.loads(meta.read_text()) if meta.exists() else {}
    sections = []
    for name, rows in frame.groupby("protocol", sort=True):
        scale = float(rows["scale"].iloc[0])
        headers = ["cell", "dataset", "metric", "paper", "ours", "trials", "verdict"]
        cells = []
        for _, r in rows.iterrows():
            muted = r["verdict"] == "not converged"
            ours = _pm(float(r["ours_mean"]), float(r["ours_err"]))
            paper = _pm(float(r["paper_mean"]), float(r["paper_err"]))
            texts = [r["variant"], r["dataset"], r["metric"], paper, ours, str(r["n_trials"])]
            cells.append([Cell(str(t), muted=muted) for t in texts + [r["verdict"]]])
        version = protocol.get("version") if protocol.get("name") == name else None
        title = f"Reproduction: {name}" + (f" (protocol v{version})" if version else "")
        blocks = [*(_intro(protocol, scale) if protocol.get("name") == name else [])]
        blocks += [Table(headers, cells, caption="ours beside the paper"), VERDICT_RULE]
        sections.append(Section(title, anchor=f"repro-{name}", blocks=blocks))
    return sections
