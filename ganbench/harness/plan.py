"""Plan a suite: turn the variants, datasets, seeds and settings of a command into the RunSpecs to
run, each validated (names, budget, device, hyper-parameters, whether the variant builds for the
data) before anything is written; refuse a resume whose finished runs have other settings; and
decide how many runs go side by side (`--jobs`). Running them is ganbench/harness/suite.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ganbench.core.config import Preset, get_preset, override_budget
from ganbench.core.errors import GanbenchError
from ganbench.core.hparams import freeze
from ganbench.core.log import info
from ganbench.core.precision import check_precision
from ganbench.core.runrecord import RESUME_SETTINGS, RunSpec, run_settings
from ganbench.core.seeding import resolve_device
from ganbench.data import DEFAULT_DATASETS, get_dataset
from ganbench.data.registry import resolve_dataset_name
from ganbench.harness.run import load_done
from ganbench.registry import get_variant, list_variants

__all__ = ["check_resume", "plan_runs", "resolve_jobs"]


def plan_runs(
    variants: list[str] | None,
    datasets: list[str] | None,
    seeds: list[int],
    preset: str,
    device: str = "auto",
    steps: int | None = None,
    batch_size: int | None = None,
    max_seconds: float | None = None,
    features: str = "auto",
    hp: dict[str, Any] | None = None,
    precision: str = "fp32",
    resolve: Any = None,
) -> list[RunSpec]:
    """Every run to do, validated (names, budget, device, hyper-parameters) before anything is
    written.

    variants=None means all registered; datasets=None means each variant's default datasets.
    `hp` overrides hyper-parameters of every variant planned; a key a variant does not know is an
    error naming the keys it knows. `resolve` turns `device` (auto | cpu | cuda) into the device
    the runs will use where they execute: this machine's by default (None), a Ray cluster's
    with RayExecutor.resolve_device.
    """
    p: Preset = get_preset(preset)
    dev = str((resolve or resolve_device)(device))
    check_precision(precision)
    infos = list_variants() if variants is None else [get_variant(v) for v in variants]
    if datasets:  # folder: / npz: / torchvision: sources become their registered names
        datasets = [resolve_dataset_name(d) for d in datasets]
    if not seeds:
        raise GanbenchError("no seeds given; pass --seeds with at least one integer")
    for budget in p.budgets.values():
        override_budget(budget, steps, batch_size, max_seconds)
    specs = []
    for vinfo in infos:
        targets = datasets or vinfo.datasets or p.datasets or DEFAULT_DATASETS
        planned = 0
        for d in targets:
            ds = get_dataset(d).spec
            if not datasets and p.first_dataset_only and planned:
                break  # the preset trains each variant on the first of its datasets it supports
            if not vinfo.supports_data(ds.kind, ds.num_classes, ds.relation):
                if datasets and variants is not None:
                    raise GanbenchError(
                        f"variant {vinfo.name!r} does not train on {d!r} (it supports "
                        f"{', '.join(sorted(vinfo.supports))}); pick another --dataset"
                    )
                if datasets:  # asked for by name: say why this variant is left out
                    info(f"plan: {vinfo.name} skipped on {d}: {_unsupported(vinfo, ds)}")
                continue
            problem = getattr(vinfo.cls, "data_problem", lambda spec: "")(ds) or _build_problem(
                vinfo, ds
            )
            if problem:
                if datasets and variants is not None:
                    raise GanbenchError(f"variant {vinfo.name!r} on {d!r}: {problem}")
                if datasets:
                    info(f"plan: {vinfo.name} skipped on {d}: {problem}")
                continue
            budget = override_budget(p.budget_for(ds.kind), steps, batch_size, max_seconds)
            if hp:
                vinfo.cls.check_hparams(ds.kind, hp)
            frozen = freeze(hp or {})
            planned += 1
            for s in seeds:
                specs.append(
                    RunSpec(vinfo.name, d, int(s), preset, budget, dev, features, frozen, precision)
                )
    from ganbench.metrics.features import check_feature_space  # fail fast, before any training

    check_feature_space(features, sorted({spec.dataset for spec in specs}))
    return specs


def _unsupported(vinfo: Any, ds: Any) -> str:
    """Why a variant's capabilities leave it off a dataset, in words."""
    if ds.kind not in vinfo.supports:
        return f"it trains on {', '.join(sorted(vinfo.supports))} data, not {ds.kind}"
    if ds.kind == "translation":
        return f"it does not take the {ds.relation or 'other'} relation"
    return "it is conditional and the data have no labels"


# Image shapes the bundled datasets have; every variant that takes images is built for them (or
# says otherwise through data_problem). Other shapes (your own data) are probed by a build.
KNOWN_IMAGE_SHAPES = {(1, 28, 28), (3, 28, 28), (1, 32, 32), (3, 32, 32)}
_PROBED: dict[tuple, str] = {}


def _build_problem(vinfo: Any, ds: Any) -> str:
    """"" when the variant builds its networks for images of `ds` and generates two samples of
    that shape; otherwise the reason (a resolution its architecture does not build). Probed once
    per (variant, shape, classes), with the global RNGs untouched."""
    if ds.kind != "image" or tuple(ds.shape) in KNOWN_IMAGE_SHAPES:
        return ""
    key = (vinfo.name, tuple(ds.shape), ds.num_classes)
    if key not in _PROBED:
        import torch

        from ganbench.core.seeding import rng_untouched

        try:
            with rng_untouched(), torch.no_grad():
                model = vinfo.cls(ds)
                heads = model.typed_heads(torch.device("cpu"), torch.Generator().manual_seed(0))
                if heads.generate is not None:
                    x = heads.generate(2)
                    if tuple(x.shape[1:]) != tuple(ds.shape):
                        raise ValueError(f"it generates {tuple(x.shape[1:])} samples")
            _PROBED[key] = ""
        except Exception as exc:  # noqa: BLE001  the reason is the message
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            _PROBED[key] = f"its networks do not build {'x'.join(map(str, ds.shape))} images ({why})"
    return _PROBED[key]


def check_resume(specs: list[RunSpec], out: Path) -> None:
    """Refuse, before anything runs or is written, a command whose runs are already finished in
    `out` with other settings (budget, preset, features): reusing them would give a leaderboard
    of another budget than the one asked for. The error names the settings that differ."""
    for spec in specs:
        done = load_done(spec.folder(out))
        if done is None or "spec" not in done:
            continue
        was, now = run_settings(done["spec"]), run_settings(spec.as_dict())
        differ = [k for k in RESUME_SETTINGS if was[k] != now[k]]
        if differ:
            what = ", ".join(f"{k}={was[k]!r} (this command: {now[k]!r})" for k in differ)
            raise GanbenchError(
                f"{spec.folder(out)} already holds this run finished with {what}; give another "
                "--out for these settings, or run with the ones it was run with"
            )


def resolve_jobs(jobs: str | int, device: str) -> int:
    """`auto`: one run per core on the CPU (each single-threaded), one at a time on a GPU."""
    if jobs == "auto":
        return 1 if device != "cpu" else max(1, min(os.cpu_count() or 1, 8))
    try:
        n = int(jobs)
    except ValueError:
        n = 0
    if n < 1:
        raise GanbenchError(f"--jobs {jobs!r} is not a positive integer; give a number or auto")
    return n
