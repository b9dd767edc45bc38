"""Run a protocol through the ordinary harness, then hold ours against the paper.

Every (cell, trial) is a RunSpec planned by ganbench.harness.plan.plan_runs with the cell's
hyper-parameters and a Budget of round(scale x paper steps) at the paper's batch size; the runs go
through ganbench.harness.suite.run_suite into <out>/runs/..., so a re-run skips finished trials. With
`max_minutes`, no new trials start once that much time has passed (the runs already going
finish), and the same command resumes. The tables are rewritten from whatever trials are done:
<out>/reproduction.csv (REPRO_COLUMNS), <out>/reproduction.md and <out>/protocol.json.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ganbench.core.errors import GanbenchError
from ganbench.core.hparams import hp_text
from ganbench.core.io import write_json_atomic, write_text_atomic
from ganbench.core.runrecord import RunSpec
from ganbench.harness.plan import check_resume, plan_runs, resolve_jobs
from ganbench.harness.run import load_done
from ganbench.harness.suite import check_max_minutes, run_suite
from ganbench.reproduce.protocol import Cell, Protocol
from ganbench.reproduce.protocols import get_protocol
from ganbench.reproduce.verdict import all_converged, mean_and_se, n_converged, verdict

REPRO_COLUMNS = (
    "protocol",
    "variant",
    "dataset",
    "metric",
    "paper_mean",
    "paper_err",
    "ours_mean",
    "ours_err",
    "n_trials",
    "n_converged",
    "scale",
    "verdict",
)


@dataclass
class ReproductionOutcome:
    protocol: str
    out: Path
    rows: list[dict[str, Any]]  # reproduction.csv rows
    runs_total: int
    runs_left: int  # trials not finished (stopped by max_minutes, or failed)
    ran: int  # trials trained by this call
    failed: int

    @property
    def complete(self) -> bool:
        return self.runs_left == 0


def default_out(name: str, scale: float) -> Path:
    return Path("runs/reproduce") / f"{name}-scale{scale:g}"


def plan_protocol(
    protocol: Protocol,
    trials: int,
    scale: float,
    device: str = "auto",
    datasets: list[str] | None = None,
    precision: str = "fp32",
    resolve: Any = None,
) -> list[tuple[Cell, list[RunSpec]]]:
    """Each cell with its trials' RunSpecs (seeds 0 .. trials-1), validated before training.
    `datasets` keeps only the cells on those datasets (None: every cell). `resolve`: how
    plan_runs resolves the device (None: this machine; an executor's resolve_device)."""
    known = sorted({c.dataset for c in protocol.cells})
    unknown = sorted(set(datasets or []) - set(known))
    if unknown:
        raise GanbenchError(
            f"protocol {protocol.name!r} has no cell on {', '.join(unknown)}; its datasets: "
            f"{', '.join(known)}"
        )
    if trials < 1:
        raise GanbenchError(f"--trials {trials} must be at least 1")
    if not (scale > 0 and math.isfinite(scale)):
        raise GanbenchError(f"--scale {scale} must be a positive number (1 = the paper's budget)")
    _check_scorable(protocol)
    planned = []
    for c in (
        protocol.cells if datasets is None else [c for c in protocol.cells if c.dataset in datasets]
    ):
        specs = plan_runs(
            [c.variant],
            [c.dataset],
            list(range(trials)),
            protocol.preset,
            device,
            steps=c.steps(scale),
            batch_size=c.batch_size,
            hp=dict(c.hp),
            precision=precision,
            resolve=resolve,
        )
        planned.append((c, specs))
    return planned


def _check_scorable(protocol: Protocol) -> None:
    """Image protocols need the project feature network to cover their dataset (mode counts)."""
    from ganbench.data import get_dataset
    from ganbench.metrics.features import PROJECT_DATASETS

    for d in sorted({c.dataset for c in protocol.cells}):
        if get_dataset(d).spec.kind == "image" and d not in PROJECT_DATASETS:
            raise GanbenchError(
                f"protocol {protocol.name!r} counts modes on {d!r}, which the project feature "
                f"network does not cover yet (it covers {', '.join(PROJECT_DATASETS)}); "
                "add it to PROJECT_DATASETS in ganbench/metrics/features.py"
            )


def run_trials(
    specs: list[RunSpec],
    out: Path,
    jobs: int,
    max_minutes: float | None,
    batch_trials: bool = False,
    executor: Any = None,
) -> tuple[int, int]:
    """Run the unfinished specs `jobs` at a time, through the suite's own runner and its
    max_minutes rule (no new trial after M minutes; the first always starts; resumable).
    batch_trials: the trials of a cell whose variant supports it train as one batched model
    (run_suite's batch_seeds). `executor`: where the trials run (None: as `jobs` says, locally).
    Returns (trials run now, trials failed now)."""
    outcome = run_suite(
        specs, out, jobs, max_minutes=max_minutes, batch_seeds=batch_trials, executor=executor
    )
    return outcome.ran, outcome.failed


def compare_rows(
    protocol: Protocol, planned: list[tuple[Cell, list[RunSpec]]], out: Path, scale: float
) -> list[dict[str, Any]]:
    """One reproduction.csv row per (cell, metric) the paper reports, from the finished trials."""
    rows = []
    for c, specs in planned:
        done = [load_done(s.folder(out)) for s in specs]
        ok = [r for r in done if r is not None and r.get("status") == "ok"]
        conv = all_converged(ok)
        for m in protocol.metrics:
            p = protocol.paper(c.label, c.dataset, m.name)
            if p is None:
                continue
            values = [float(r[m.column]) * m.factor for r in ok if m.column in r]
            mean, se = mean_and_se(values)
            rows.append(
                {
                    "protocol": protocol.name,
                    "variant": c.label,
                    "dataset": c.dataset,
                    "metric": m.name,
                    "paper_mean": p.mean,
                    "paper_err": p.err,
                    "ours_mean": None if math.isnan(mean) else mean,
                    "ours_err": se,
                    "n_trials": len(values),
                    "n_converged": n_converged(ok),
                    "scale": scale,
                    "verdict": verdict(p.mean, p.err, mean, se, conv),
                    # for reproduction.md only (not in the CSV)
                    "_ganbench": f"{c.variant} {hp_text(c.hp)}".strip(),
                    "_steps": specs[0].budget.steps,
                    "_batch": c.batch_size,
                    "_converged": conv,
                }
            )
    return rows


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def reproduction_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(REPRO_COLUMNS)
    for r in rows:
        w.writerow([_fmt(r[k]) for k in REPRO_COLUMNS])
    return buf.getvalue()


def _pm(mean: Any, err: Any, digits: int = 3) -> str:
    if mean is None:
        return "—"
    text = f"{mean:.{digits}g}"
    return text + (f" ± {err:.2g}" if err is not None else "")


def _conv_text(flag: bool | None) -> str:
    return "not recorded" if flag is None else ("yes" if flag else "no")


def reproduction_md(
    protocol: Protocol, rows: list[dict[str, Any]], scale: float, trials: int, left: int
) -> str:
    """The markdown section: the protocol's settings, then ours beside the paper per cell."""
    p = protocol
    lines = [
        f"## Reproduction: {p.name} (protocol v{p.version})",
        "",
        f"{p.title}. Source: {p.source}.",
        "",
        f"- Scale: **{scale:g}** x the paper's budget ({p.budget}); every row below ran "
        f"round({scale:g} x paper steps) steps. At a scale below 1 this is not the paper's "
        "experiment: a difference may be nothing but training time.",
        f"- Trials: {trials} asked (the paper: {p.trials}); paper's error bars: {p.error_bar}; "
        "ours: standard error over trials.",
        f"- Data: {p.data}. Networks: {p.networks}. Optimizer: {p.optimizer}. Batch: {p.batch}.",
        "- Verdict: `not converged` when any trial had not converged (no verdict on runs still "
        "moving); else `agrees` when |ours - paper| <= 2·sqrt(paper_err² + ours_err²), else "
        "`higher` / `lower`. `n` trials, of which `converged` converged.",
    ]
    if left:
        lines.append(f"- **Incomplete**: {left} trial(s) not finished yet; re-run to resume.")
    metrics = [m.name for m in p.metrics]
    head = "| cell | dataset | steps | n | converged | " + " | ".join(
        f"{m}: paper | ours | verdict" for m in metrics
    )
    lines += ["", head + " |", "|---|---|---|---|---|" + "---|---|---|" * len(metrics)]
    cells: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in rows:
        cells.setdefault((r["variant"], r["dataset"]), {})[r["metric"]] = r
    runs: dict[str, str] = {}
    for (label, dataset), by_metric in cells.items():
        first = next(iter(by_metric.values()))
        runs.setdefault(label, f"`{first['_ganbench']}`, batch {first['_batch']}")
        parts = []
        for m in metrics:
            r = by_metric.get(m)
            parts += (
                ["", "", ""] if r is None
                else [_pm(r["paper_mean"], r["paper_err"]), _pm(r["ours_mean"], r["ours_err"]),
                      r["verdict"]]
            )  # fmt: skip
        lines.append(
            f"| {label} | {dataset} | {first['_steps']:,} | {first['n_trials']} | "
            f"{first['n_converged']} ({_conv_text(first['_converged'])}) | "
            + " | ".join(parts)
            + " |"
        )
    lines += ["", "Cells as ganbench runs:", ""]
    lines += [f"- {label}: {run}" for label, run in runs.items()]
    lines += ["", "Known differences from the paper's setting:", ""]
    lines += [f"- {d}" for d in p.differences]
    lines += ["", "Metrics:", ""]
    lines += [f"- `{m.name}`: {m.definition}" for m in p.metrics]
    return "\n".join(lines) + "\n"


def reproduce(
    name: str,
    out: Path | None = None,
    trials: int | None = None,
    scale: float = 1.0,
    device: str = "auto",
    max_minutes: float | None = None,
    jobs: str | int = "auto",
    datasets: list[str] | None = None,
    batch_trials: bool = False,
    precision: str = "fp32",
    executor: Any = None,
    train: bool = True,
) -> ReproductionOutcome:
    """Train (or resume) protocol `name` at `scale` with `trials` trials; write the tables.
    `datasets`: only the cells on these datasets (the tables then hold only those cells).
    `batch_trials`: a cell's trials train as one batched model where its variant supports it.
    `executor`: where the trials run (ganbench.harness.executor; the caller closes it), e.g. a
    RayExecutor; None: locally, `jobs` at a time. `train` False: train nothing, only rewrite
    the tables from the trials already finished in `out` (e.g. after the verdict rule changed)."""
    protocol = get_protocol(name)
    trials = protocol.trials if trials is None else int(trials)
    out = default_out(name, scale) if out is None else Path(out)
    check_max_minutes(max_minutes)
    resolve = None if executor is None else executor.resolve_device
    planned = plan_protocol(protocol, trials, scale, device, datasets, precision, resolve)
    specs = [s for _, cell_specs in planned for s in cell_specs]
    check_resume(specs, out)  # another --scale is another budget: refused before writing
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "protocol.json", asdict(protocol))
    ran, failed = (
        run_trials(
            specs, out, resolve_jobs(jobs, specs[0].device), max_minutes, batch_trials, executor
        )
        if train
        else (0, 0)
    )
    left = sum(load_done(s.folder(out)) is None for s in specs)
    rows = compare_rows(protocol, planned, out, scale)
    write_text_atomic(out / "reproduction.csv", reproduction_csv(rows))
    write_text_atomic(out / "reproduction.md", reproduction_md(protocol, rows, scale, trials, left))
    return ReproductionOutcome(protocol.name, out, rows, len(specs), left, ran, failed)


def format_protocol_list() -> str:
    from ganbench.reproduce.protocols import list_protocols

    lines = []
    for p in list_protocols():
        cells = sorted({c.label for c in p.cells})
        data = sorted({c.dataset for c in p.cells})
        lines.append(f"{p.name} (v{p.version}): {p.title}")
        lines.append(f"    source : {p.source}")
        lines.append(f"    cells  : {', '.join(cells)} on {', '.join(data)}")
        lines.append(f"    budget : {p.budget}; batch {p.batch}; {p.trials} trials")
    from ganbench.reproduce.protocols import OLDER

    for name, p in OLDER.items():
        lines.append(f"{name}: version {p.version} of {p.name}, kept for what was published with it")
    return "\n".join(lines) + "\n"
