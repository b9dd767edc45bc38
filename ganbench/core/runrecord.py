"""One run's record, in one place: what identifies a run (RunSpec), the folder it lives in, the
columns every row starts with, the settings a resume must agree on, and the seeds a run draws
from. `run`, `eval`, `reproduce`, the reference rows and the report all use it.

Seeds: a run of seed k trains from seed k (Python, NumPy, torch, data order, noise); its final
evaluation draws noise from seed k + FINAL_EVAL_SEED_OFFSET and its convergence curve from seed
k + CURVE_SEED_OFFSET, re-seeded at every checkpoint, so evaluation never disturbs training and
every generator of a leaderboard is scored on the same noise. Saved samples (`eval --samples`) are
subsampled from seed k + SAMPLES_SEED_OFFSET, a stream of their own: a folder holding the held-out
images themselves is not cut into the very subset the reference draws with seed k.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ganbench.core.config import Budget
from ganbench.core.hparams import HP, hp_text, run_leaf
from ganbench.core.version import __version__

RUNS_DIR = "runs"  # <out>/runs/<variant>/<dataset>/seed<k>[-hp<key>]/
FINAL_EVAL_SEED_OFFSET = 1_000_003
CURVE_SEED_OFFSET = 2_000_003
SAMPLES_SEED_OFFSET = 3_000_017

# Every row starts with these, in this order: a contract users script against.
BASE_COLUMNS = [
    "variant",
    "dataset",
    "seed",
    "preset",
    "steps",
    "batch_size",
    "wall_seconds",
    "device",
    "status",
    "features",
    "ganbench_version",
]

# What a run computes besides its variant, dataset, seed and hyper-parameters (which name its
# folder): a finished run is reused only by a spec that agrees on every one of these.
RESUME_SETTINGS = ("preset", "steps", "batch_size", "max_seconds", "features", "precision")


def run_folder(out: Path | str, variant: str, dataset: str, seed: int, hp: Any = "") -> Path:
    """<out>/runs/<variant>/<dataset>/seed<k>, with -hp<key> when hyper-parameters are overridden
    (`hp` as pairs or as the row's canonical text; anything else, e.g. a missing cell, is none)."""
    hp = hp if isinstance(hp, str | tuple | dict) else ""
    return Path(out) / RUNS_DIR / str(variant) / str(dataset) / run_leaf(seed, hp)


@dataclass(frozen=True)
class RunSpec:
    variant: str
    dataset: str
    seed: int
    preset: str
    budget: Budget
    device: str
    features: str = "auto"
    hp: HP = ()  # --hp overrides of the variant's defaults, sorted (key, value) pairs
    precision: str = "fp32"  # ganbench.core.precision

    def folder(self, out: Path | str) -> Path:
        return run_folder(out, self.variant, self.dataset, self.seed, self.hp)

    def as_dict(self) -> dict[str, Any]:
        """The spec as result.json stores it."""
        d = asdict(self)
        d["budget"] = asdict(self.budget)
        return d


def base_row(
    variant: str,
    dataset: str,
    seed: int,
    preset: str,
    device: str,
    *,
    batch_size: int = 0,
    budget_steps: int | None = None,
    family: str = "",
    origin: str = "builtin",
    hp: str | None = None,
) -> dict[str, Any]:
    """A row before its run: status failed until the run says otherwise. `budget_steps` and `hp`
    are left out when None (a scored plug-in has neither)."""
    row: dict[str, Any] = {
        "variant": variant,
        "dataset": dataset,
        "seed": int(seed),
        "preset": preset,
        "steps": 0,
        "batch_size": batch_size,
        "wall_seconds": 0.0,
        "device": str(device),
        "status": "failed",
        "features": "",
        "ganbench_version": __version__,
    }
    if budget_steps is not None:
        row["budget_steps"] = budget_steps
    row.update(family=family, origin=origin)
    if hp is not None:
        row["hp"] = hp
    return row


def spec_row(spec: RunSpec, family: str = "", external: bool = False) -> dict[str, Any]:
    """The row a planned run starts from."""
    return base_row(
        spec.variant,
        spec.dataset,
        spec.seed,
        spec.preset,
        spec.device,
        batch_size=spec.budget.batch_size,
        budget_steps=spec.budget.steps,
        family=family,
        origin="plugin" if external else "builtin",
        hp=hp_text(spec.hp),
    ) | {"train_precision": spec.precision}  # `precision` is PRDC's metric


def run_settings(spec: dict[str, Any]) -> dict[str, Any]:
    """The RESUME_SETTINGS of a spec as result.json stores it (RunSpec.as_dict)."""
    budget = spec.get("budget", {})
    return {
        "preset": spec.get("preset"),
        "steps": budget.get("steps"),
        "batch_size": budget.get("batch_size"),
        "max_seconds": budget.get("max_seconds"),
        "features": spec.get("features"),
        "precision": spec.get("precision", "fp32"),  # runs before --precision were fp32
    }
