"""The `real` reference row: real data scored as if it were a generator, so every metric stands
beside the value an independent real sample gets (the floor a perfect generator reaches, or its
ceiling).

Images: an independent real sample at the generators' counts, never the reference compared with
itself. The fidelity metrics (IS, FID, KID, precision / recall / density / coverage), MS-SSIM and
the classifier modes score images of the *train* split (seed-shuffled, without replacement; at
most the whole split, so where a preset asks for more than the split holds n_fake says how many),
against the held-out reference as every generator is: the train split is never part of that
reference. The memorization family compares with the train split itself, so there the row scores
*held-out* images (core.heads.Heads.fresh: seed-shuffled, those outside the fidelity reference
first), the fresh-data level nn_ratio / authenticity / ct_z are defined against. Both splits are
drawn from one distribution (a seeded random split, or the source's official one), so the row is
what a generator that samples the data distribution itself scores. docs/metrics.md says why this
design and not halves of the held-out split.
2-D mixtures: fresh samples of the true mixture from a generator seeded by the seed
(never the stored test points). Both go through `ganbench.metrics.score.score` with the preset's
EvalSizes, exactly as a trained variant's heads do (suite.run_one), and land in
`<out>/runs/real/<dataset>/seed<k>/result.json`, so the leaderboards pick them up and a resume
skips them. The row has variant `real`, origin `reference`; reports, rankings, best marks and
`compare` keep it apart from the variants.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ganbench.core.heads import Heads
from ganbench.core.io import read_result, write_json_atomic, write_text_atomic
from ganbench.core.log import info, warn
from ganbench.core.runrecord import base_row, run_folder
from ganbench.results.references import (
    REFERENCE_LABEL,
    REFERENCE_ORIGIN,
    REFERENCE_VARIANT,
    reference_label,
)


def reference_folder(out: Path, dataset: str, seed: int, variant: str = REFERENCE_VARIANT) -> Path:
    return run_folder(out, variant, dataset, seed)


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
    return _ordered_sampler(data.test, order, g)


def train_sampler(data, seed: int):
    """n -> images of the train split in a seed-shuffled order, without replacement (then with
    replacement once the split is used up): the real row's samples for the fidelity metrics."""
    import torch

    g = torch.Generator().manual_seed(int(seed) + 1)
    return _ordered_sampler(data.train, torch.randperm(len(data.train), generator=g), g)


def _ordered_sampler(images, order, g):
    import torch

    used = 0

    def sample(n: int) -> torch.Tensor:
        nonlocal used
        idx = order[used : used + n]
        used += len(idx)
        if len(idx) < n:  # more asked than the split holds: the rest with replacement
            extra = torch.randint(len(images), (n - len(idx),), generator=g)
            idx = torch.cat([idx, extra])
        return images[idx]

    return sample


def _how(dataset: str, variant: str = REFERENCE_VARIANT) -> str:
    from ganbench.data import get_dataset

    if get_dataset(dataset).spec.task == "translation":
        return TRANSLATION_HOW[variant]
    if get_dataset(dataset).spec.kind == "points":
        return "fresh samples of the true mixture (torch.Generator seeded by the seed)"
    return (
        "fidelity metrics, MS-SSIM and modes: the train split, seed-shuffled, without replacement "
        "(at most the whole split); memorization: the held-out split, seed-shuffled, images "
        "outside the fidelity reference first"
    )


def score_reference(
    dataset: str,
    seed: int,
    preset: str,
    features: str = "auto",
    device: str = "cpu",
    variant: str = REFERENCE_VARIANT,
) -> tuple[dict[str, Any], Any, str]:
    """(row, evaluation or None, traceback text or ""): the reference row `variant` (`real`, or a
    translation baseline: reference_names) for one (dataset, seed). A failed evaluation does not
    raise: the row says status failed and why."""
    import torch

    from ganbench.core.config import get_preset
    from ganbench.core.seeding import seed_everything
    from ganbench.data import get_dataset
    from ganbench.metrics.score import score

    row = base_row(
        variant, dataset, seed, preset, str(device),
        budget_steps=0, family=REFERENCE_ORIGIN, origin=REFERENCE_ORIGIN, hp="",
    )  # fmt: skip
    start, ev, tb = time.perf_counter(), None, ""
    dev = torch.device(device)
    threads = torch.get_num_threads()
    try:
        if dev.type == "cpu":
            torch.set_num_threads(1)  # the same numbers as run_one's single-threaded evaluation
        seed_everything(int(seed))
        data = get_dataset(dataset)
        sizes = get_preset(preset).eval
        ev = score(reference_heads(variant, data, seed, sizes), data, sizes, int(seed), features, dev)
        row.update(ev.columns())
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
    return row if row is not None and _fits(row, preset, features) else None


def _fits(row: dict[str, Any], preset: str, features: str) -> bool:
    """An ok reference row scored with this preset and feature choice (other sample counts or
    feature space: not this leaderboard's reference), the way reference rows are made now (a
    real row of images scored before it was an independent sample is scored again)."""
    spec = row.get("spec") or {}
    return (
        row.get("status") == "ok"
        and row.get("preset") == preset
        and (spec.get("features") == features)
        and spec.get("reference") != SELF_COMPARED_HOW
    )


# How image `real` rows were made before they were independent samples (the held-out split scored
# against itself where the reference was the whole split): such stored rows are scored again.
SELF_COMPARED_HOW = (
    "held-out split, seed-shuffled, without replacement, images outside the metrics' "
    "reference subset first (with replacement beyond the split)"
)


def ensure_reference_rows(
    out: Path,
    targets: Iterable[tuple[str, int]],
    preset: str,
    features: str = "auto",
    device: str = "cpu",
) -> list[dict[str, Any]]:
    """The reference rows (reference_names: `real`, plus a translation dataset's baselines) of
    every (dataset, seed) in `targets` under `out`, each scored unless already there (with the same
    preset and feature choice). Returns the rows, stored or new.

    Two processes on one `out` (two suites, a suite and an eval) score each row once: the row's
    folder is claimed (ganbench/harness/claims.py) like a run's, and a row another process is scoring is
    waited for."""
    from ganbench.harness.claims import ClaimQueue

    rows = []
    todo = []
    wanted = sorted(set((str(d), int(s)) for d, s in targets))
    for name, dataset, seed in [(v, d, s) for d, s in wanted for v in reference_names(d)]:
        done = _done(reference_folder(out, dataset, seed, name), preset, features)
        if done is not None:
            info(f"{name} {dataset} seed{seed}: reference row done earlier, skipped")
            rows.append({k: v for k, v in done.items() if k != "spec"})
        else:
            todo.append((name, dataset, seed))
    queue = ClaimQueue(
        todo,
        folder_of=lambda t: reference_folder(out, t[1], t[2], t[0]),
        what_of=lambda t: f"{t[0]} {t[1]} seed{t[2]}",
        read=lambda folder: read_result(folder, "recomputing the reference row"),
        final=lambda row: _fits(row, preset, features),
    )
    while queue.pending:
        got = queue.take()
        for (name, dataset, seed), row in queue.drain_elsewhere():
            info(f"{name} {dataset} seed{seed}: reference row scored by another process")
            rows.append({k: v for k, v in row.items() if k != "spec"})
        if got is None:
            if queue.pending:
                queue.wait()
            continue
        (name, dataset, seed), claim = got
        with claim:
            rows.append(_score_and_store(out, dataset, seed, preset, features, device, name))
    return rows


def _score_and_store(
    out: Path,
    dataset: str,
    seed: int,
    preset: str,
    features: str,
    device: str,
    variant: str = REFERENCE_VARIANT,
) -> dict[str, Any]:
    """Score one reference row and write its folder (under its claim)."""
    folder = reference_folder(out, dataset, seed, variant)
    row, ev, tb = score_reference(dataset, seed, preset, features, device, variant)
    folder.mkdir(parents=True, exist_ok=True)
    if tb:
        write_text_atomic(folder / "traceback.txt", tb)
    if ev is not None and "triplets" in ev.artifacts:  # translation: input / output / truth
        _save_translation_picture(ev.artifacts["triplets"], variant, dataset, seed, folder)
    elif ev is not None and "samples" in ev.artifacts:
        _save_picture(ev.artifacts["samples"][:2500], dataset, seed, folder)
    kept = _done(folder, preset, features)  # checked again just before writing
    if kept is not None:
        return {k: v for k, v in kept.items() if k != "spec"}
    spec = {"reference": _how(dataset, variant), "preset": preset, "features": features}
    write_json_atomic(folder / "result.json", {**row, "spec": spec})
    if row["status"] == "ok":
        info(f"{variant} {dataset} seed{seed}: reference row in {row['wall_seconds']}s")
    else:
        warn(f"{variant} {dataset} seed{seed}: reference row failed - {row['error']}")
    return row


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
    from ganbench.results.pictures import save_samples_picture

    title = f"{REFERENCE_LABEL} · {dataset} · seed {seed}"
    save_samples_picture(samples, get_dataset(dataset), folder / "samples.png", title)


# --- translation datasets: the ground truth and the classical baselines --------------------------

# Baseline rows by DataSpec.relation, beside `real` (the ground truth through the same evaluator)
TRANSLATION_BASELINES = {"super-resolution": ("bicubic",), "inpainting": ("mean-fill",)}
TRANSLATION_HOW = {
    "real": "the ground truth of each held-out source (test_source[i] -> test[i]) through the "
    "translation evaluator: l1 0, psnr the cap, ssim 1, and fid / kid / label_preservation equal "
    "to their _real columns",
    "bicubic": "data.translation.bicubic_up: bicubic upsampling of the source to the target size "
    "(align_corners False, clamped to [-1, 1])",
    "mean-fill": "data.translation.mean_fill: each hole pixel filled with that pixel's mean over the "
    "train targets (data.translation.pixel_mean, the best fill for L2 that ignores the context), "
    "every other pixel the source's",
}
def reference_names(dataset: str) -> tuple[str, ...]:
    """The reference rows of a dataset: `real`, then the classical baselines of a translation
    dataset's relation (super-resolution: `bicubic`; inpainting: `mean-fill`)."""
    from ganbench.data import get_dataset

    return reference_names_for(get_dataset(dataset).spec)


def reference_names_for(spec) -> tuple[str, ...]:
    """reference_names from a DataSpec."""
    if spec.task != "translation":
        return (REFERENCE_VARIANT,)
    return (REFERENCE_VARIANT, *TRANSLATION_BASELINES.get(spec.relation, ()))


def ground_truth_translator(data) -> Callable:
    """(a, mask) -> the ground truth of each held-out source, looked up by its pixels (and mask):
    the perfect translator, for the `real` row of translation data. Every held-out source must
    name one target; a source that is not held out is an error."""
    keys: dict[bytes, int] = {}

    def key(a, m) -> bytes:
        return a.detach().cpu().float().numpy().tobytes() + (
            b"" if m is None else m.detach().cpu().float().numpy().tobytes()
        )

    masks = data.test_mask
    for i in range(len(data.test)):
        k = key(data.test_source[i], None if masks is None else masks[i])
        j = keys.setdefault(k, i)
        if j != i and not bool((data.test[j] == data.test[i]).all()):
            raise ValueError(
                f"{data.spec.name}: held-out sources {j} and {i} are identical but their targets "
                "differ; the ground truth cannot be looked up"
            )

    def translate(a, mask=None):
        rows = []
        for r in range(len(a)):
            k = key(a[r], None if mask is None else mask[r])
            if k not in keys:
                raise ValueError(f"{data.spec.name}: a source that is not a held-out pair")
            rows.append(keys[k])
        return data.test[rows].to(a.device)

    return translate


def baseline_translator(variant: str, data) -> Callable:
    """(a, mask) -> b for a reference row of translation data (TRANSLATION_HOW says what)."""
    from ganbench.data import translation as tr

    if variant == REFERENCE_VARIANT:
        return ground_truth_translator(data)
    if variant == "bicubic":
        side = int(data.spec.shape[-1])
        return lambda a, mask=None: tr.bicubic_up(a, side)
    if variant == "mean-fill":
        fill = tr.pixel_mean(data.train)  # train targets only: the held-out truth stays unseen
        return lambda a, mask: tr.mean_fill(a, mask, fill.to(a.device))
    raise ValueError(f"unknown reference row {variant!r} for translation data")


def reference_heads(variant: str, data, seed: int, sizes) -> Heads:
    """What a reference row is scored through, as a trained variant's heads are: real train images
    as `generate` and held-out ones as `fresh` (images), the true mixture (2-D); on translation
    data the ground truth or a classical baseline as `translate`."""
    if data.spec.task == "translation":
        return Heads(translate=baseline_translator(variant, data))
    if data.spec.kind == "points":
        return Heads(generate=reference_sampler(data, seed, sizes.n_real_image))
    return Heads(
        generate=train_sampler(data, seed), fresh=reference_sampler(data, seed, sizes.n_real_image)
    )


def _save_translation_picture(triplets, variant: str, dataset: str, seed: int, folder) -> None:
    from ganbench.data import get_dataset
    from ganbench.results.pictures import save_samples_picture, translation_strip

    title = f"{reference_label(variant)} · {dataset} · seed {seed} · input / output / truth"
    picture = translation_strip(*triplets)
    save_samples_picture(picture, get_dataset(dataset), Path(folder) / "samples.png", title)
