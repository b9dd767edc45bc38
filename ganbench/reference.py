"""The `real` reference row: held-out real data scored as if it were a generator, so every metric
stands beside the value real data gets (its ceiling, or its floor).

Images: the held-out split (`data.test`), drawn without replacement in an order shuffled by the
seed; only when a metric asks for more samples than the split holds are the extra ones drawn with
replacement. The held-out images outside the metrics' reference subset (image_suite.real_subset,
when the preset's n_real is smaller than the split) come first, so that where the split allows the
row is an independent real sample, as a perfect generator's would be; where the reference is the
whole split (quick, standard on `mnist`) the fidelity metrics compare the split with itself (FID 0,
precision and recall 1 by construction: a zero point, not a sampling-noise floor).
2-D mixtures: fresh samples of the true mixture from a generator seeded by the seed
(never the stored test points). Both go through `ganbench.evaluate.evaluate` with the preset's
EvalSizes, exactly as a trained variant's sampler does (suite.run_one), and land in
`<out>/runs/real/<dataset>/seed<k>/result.json`, so the leaderboards pick them up and a resume
skips them. The row has variant `real`, origin `reference`; reports, rankings, best marks and
`compare` keep it apart from the variants.

Light at import time (no torch): report and compare import `is_reference`.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ganbench import __version__
from ganbench.io import read_result, write_json_atomic, write_text_atomic
from ganbench.log import info, warn

REFERENCE_VARIANT = "real"
REFERENCE_ORIGIN = "reference"
REFERENCE_LABEL = "real data (reference)"
# Mirrors suite.RUNS_DIR (not imported: the suite calls this module, never the other way round)
RUNS_DIR = "runs"


def is_reference(variant: Any, origin: Any = None) -> bool:
    """True for the reference row (variant `real`; origin `reference` when the origin is known)."""
    if str(variant) != REFERENCE_VARIANT:
        return False
    return not isinstance(origin, str) or origin == REFERENCE_ORIGIN


def drop_reference(frame):
    """A leaderboard or summary frame without its reference rows (by variant, and origin if any)."""
    origins = frame["origin"] if "origin" in frame else [None] * len(frame)
    keep = [not is_reference(v, o) for v, o in zip(frame["variant"], origins, strict=True)]
    return frame[keep]


def reference_folder(out: Path, dataset: str, seed: int) -> Path:
    return Path(out) / RUNS_DIR / REFERENCE_VARIANT / dataset / f"seed{int(seed)}"


def reference_sampler(data, seed: int, n_real: int | None = None):
    """n -> real samples: the held-out images in a seed-shuffled order, those outside the metrics'
    reference subset of `n_real` first (then with replacement once the split is used up), or fresh
    samples of the true 2-D mixture."""
    import torch

    from ganbench.data.mixtures import sample_mixture

    g = torch.Generator().manual_seed(int(seed))
    if data.spec.kind == "points":
        if data.mixture is None:
            raise ValueError(f"{data.spec.name}: 2-D dataset without a mixture to sample")
        return lambda n: sample_mixture(data.mixture, n, g)[0]
    from ganbench.metrics.image_suite import real_subset

    n = len(data.test)
    in_ref = torch.zeros(n, dtype=torch.bool)
    in_ref[real_subset(n, n_real)] = True
    order = torch.randperm(n, generator=g)
    order = torch.cat([order[~in_ref[order]], order[in_ref[order]]])
    used = 0

    def sample(n: int) -> torch.Tensor:
        nonlocal used
        idx = order[used : used + n]
        used += len(idx)
        if len(idx) < n:  # more asked than the split holds: the rest with replacement
            extra = torch.randint(len(data.test), (n - len(idx),), generator=g)
            idx = torch.cat([idx, extra])
        return data.test[idx]

    return sample


def _how(dataset: str) -> str:
    from ganbench.data import get_dataset

    if get_dataset(dataset).spec.kind == "points":
        return "fresh samples of the true mixture (torch.Generator seeded by the seed)"
    return (
        "held-out split, seed-shuffled, without replacement, images outside the metrics' "
        "reference subset first (with replacement beyond the split)"
    )


def score_reference(
    dataset: str, seed: int, preset: str, features: str = "auto", device: str = "cpu"
) -> tuple[dict[str, Any], Any, str]:
    """(row, evaluation or None, traceback text or ""): the reference row for one (dataset, seed).
    A failed evaluation does not raise: the row says status failed and why."""
    import torch

    from ganbench.config import get_preset
    from ganbench.data import get_dataset
    from ganbench.evaluate import evaluate
    from ganbench.seeding import seed_everything

    row: dict[str, Any] = {
        "variant": REFERENCE_VARIANT,
        "dataset": dataset,
        "seed": int(seed),
        "preset": preset,
        "steps": 0,
        "batch_size": 0,
        "wall_seconds": 0.0,
        "device": str(device),
        "status": "failed",
        "features": "",
        "ganbench_version": __version__,
        "budget_steps": 0,
        "family": REFERENCE_ORIGIN,
        "origin": REFERENCE_ORIGIN,
        "hp": "",
    }
    start, ev, tb = time.perf_counter(), None, ""
    dev = torch.device(device)
    threads = torch.get_num_threads()
    try:
        if dev.type == "cpu":
            torch.set_num_threads(1)  # the same numbers as run_one's single-threaded evaluation
        seed_everything(int(seed))
        data = get_dataset(dataset)
        sizes = get_preset(preset).eval
        sampler = reference_sampler(data, seed, sizes.n_real_image)
        ev = evaluate(sampler, data, sizes, int(seed), features, dev)
        row.update(ev.metrics, features=ev.features, n_gen=ev.n_gen, n_real=ev.n_real)
        row.update(eval_seconds=round(time.perf_counter() - start, 3), status="ok")
    except Exception as exc:  # a reference that cannot be scored is a row, not a crash
        row["error"] = f"{type(exc).__name__}: {exc}"
        tb = traceback.format_exc()
    finally:
        torch.set_num_threads(threads)
    row["wall_seconds"] = round(time.perf_counter() - start, 3)
    return row, ev, tb


def _done(folder: Path, preset: str, features: str) -> dict[str, Any] | None:
    """The stored reference row when it is ok and was scored with this preset and feature choice
    (else None: recompute). A corrupt file is moved aside, never deleted."""
    row = read_result(folder, "recomputing the reference row")
    if row is None or row.get("status") != "ok":
        return None
    spec = row.get("spec") or {}
    if row.get("preset") != preset or spec.get("features") != features:
        return None  # other sample counts or feature space: not this leaderboard's reference
    return row


def ensure_reference_rows(
    out: Path,
    targets: Iterable[tuple[str, int]],
    preset: str,
    features: str = "auto",
    device: str = "cpu",
) -> list[dict[str, Any]]:
    """One reference row per (dataset, seed) in `targets` under `out`, scored unless already there
    (with the same preset and feature choice). Returns the rows, stored or new."""
    rows = []
    for dataset, seed in sorted(set((str(d), int(s)) for d, s in targets)):
        folder = reference_folder(out, dataset, seed)
        done = _done(folder, preset, features)
        if done is not None:
            info(f"{REFERENCE_VARIANT} {dataset} seed{seed}: reference row done earlier, skipped")
            rows.append({k: v for k, v in done.items() if k != "spec"})
            continue
        row, ev, tb = score_reference(dataset, seed, preset, features, device)
        folder.mkdir(parents=True, exist_ok=True)
        if tb:
            write_text_atomic(folder / "traceback.txt", tb)
        if ev is not None and "samples" in ev.artifacts:
            _save_picture(ev.artifacts["samples"][:2500], dataset, seed, folder)
        spec = {"reference": _how(dataset), "preset": preset, "features": features}
        write_json_atomic(folder / "result.json", {**row, "spec": spec})
        if row["status"] == "ok":
            info(
                f"{REFERENCE_VARIANT} {dataset} seed{seed}: reference row in {row['wall_seconds']}s"
            )
        else:
            warn(f"{REFERENCE_VARIANT} {dataset} seed{seed}: reference row failed - {row['error']}")
        rows.append(row)
    return rows


def ensure_reference_for_specs(out: Path, specs: Iterable[Any]) -> list[dict[str, Any]]:
    """Reference rows for every (dataset, seed) of the suite's RunSpecs, grouped by the preset,
    feature choice and device they were scored with."""
    groups: dict[tuple[str, str, str], set[tuple[str, int]]] = {}
    for s in specs:
        groups.setdefault((s.preset, s.features, s.device), set()).add((s.dataset, s.seed))
    rows = []
    for (preset, features, device), targets in sorted(groups.items()):
        rows += ensure_reference_rows(out, targets, preset, features, device)
    return rows


def _save_picture(samples, dataset: str, seed: int, folder: Path) -> None:
    from ganbench.data import get_dataset
    from ganbench.pictures import save_samples_picture

    title = f"{REFERENCE_LABEL} · {dataset} · seed {seed}"
    save_samples_picture(samples, get_dataset(dataset), folder / "samples.png", title)
