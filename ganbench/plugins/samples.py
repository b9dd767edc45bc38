"""`ganbench eval --samples PATH`: score saved samples (a folder of images, an .npz / .npy array)
without writing any code.

- `--samples A --dataset NAME`: A against the dataset's held-out reference with the evaluator of
  trained variants; the row (origin `external`) joins the leaderboard beside the dataset's `real`
  row. At most the preset's n_gen samples are scored (a seed-shuffled subset when A holds more),
  so the row is comparable with the trained ones; fewer is fine: a metric that needs more than A
  holds is empty with the reason (metric_notes).
- `--samples A --reference B`: A against B, all of both, nothing registered by hand (the
  `fidelity --input1 A --input2 B` habit). B has no training split, so the memorization family is
  empty (said in the row); there is no `real` row.

The samples are read as every source is (ganbench.data.sources: layout / range detection, grey or
colour, `--resolution` resize-and-centre-crop) and handed to the metrics as a `Heads(generate=...)`
(ganbench.core.heads), exactly as a plug-in generator is. Usage errors (no such path, not images,
a resolution or channel count other than the reference's) raise before anything is written.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganbench.core.config import get_preset
from ganbench.core.errors import GanbenchError
from ganbench.core.heads import Heads
from ganbench.core.log import stage
from ganbench.core.runrecord import SAMPLES_SEED_OFFSET
from ganbench.core.seeding import resolve_device
from ganbench.plugins.loading import check_name


def load_samples(text: str, resolution: int | None = None) -> tuple[np.ndarray, str]:
    """(uint8 (N, C, H, W), where they came from) for --samples."""
    from ganbench.data.sources import load_array, load_folder, parse_path, resize_array

    src = parse_path(text, "--samples", resolution)
    if src.kind == "folder":
        x, _, _, note = load_folder(src.path, resolution)
    else:
        x, _ = load_array(src.path, src.key, src.label_key)
        note = ""
        if resolution:
            x = resize_array(x, resolution)
    return x, f"{src.text} ({len(x):,} images{note})"


def samples_sampler(x: np.ndarray, n: int, seed: int):
    """n -> the next n of `n` samples (a seed-shuffled subset when x holds more), as float32 in
    [-1, 1]; never more than that subset."""
    from ganbench.data.images import uint8_to_unit

    g = torch.Generator().manual_seed(int(seed) + SAMPLES_SEED_OFFSET)  # not the reference's
    order = torch.randperm(len(x), generator=g)[:n] if len(x) > n else torch.arange(len(x))
    used = 0

    def sample(k: int) -> torch.Tensor:
        nonlocal used
        if used + k > len(order):
            raise GanbenchError(f"asked for {used + k} samples, {len(order)} were given")
        idx = order[used : used + k].numpy()
        used += k
        return uint8_to_unit(x[idx])

    return sample


def default_name(text: str) -> str:
    import re

    base = Path(text.split(":", 1)[-1] if text.startswith(("folder:", "npz:", "npy:")) else text)
    stem = re.sub(r"\.(npz|npy)$", "", base.expanduser().name or "samples")
    return "samples-" + re.sub(r"[^A-Za-z0-9_.+-]", "_", stem)[:60]


def evaluate_samples(
    samples: str,
    out: Path,
    dataset: str | None = None,
    reference: str | None = None,
    name: str | None = None,
    seeds: list[int] = (0,),
    preset: str = "quick",
    device: str = "auto",
    features: str = "auto",
    resolution: int | None = None,
    real_row: bool = True,
):
    """Score saved samples against a dataset's held-out split or against another set; one
    result.json per seed under out/runs/<name>/<dataset>/seed<k>/. real_row: also score the
    dataset's `real` reference row beside them (as `eval` does; never for --reference)."""
    from ganbench.data import get_dataset
    from ganbench.data.registry import register_source, resolve_dataset_name
    from ganbench.data.sources import parse_path
    from ganbench.metrics.features import check_feature_space
    from ganbench.metrics.score import score
    from ganbench.plugins.evaluation import _check_common, _run_seeds
    from ganbench.results.pictures import save_samples_picture

    if (dataset is None) == (reference is None):
        raise GanbenchError(
            "--samples needs what to score them against: --dataset NAME (its held-out split) or "
            "--reference PATH (another folder or array), one of the two"
        )
    if reference is not None:
        src = dataclasses.replace(parse_path(reference, "--reference", resolution), role="reference")
        dataset = register_source(src)
    else:
        dataset = resolve_dataset_name(dataset, resolution if _is_source(dataset) else None)
    data = get_dataset(dataset)
    if data.spec.kind != "image":
        raise GanbenchError(
            f"--samples scores images, and {dataset!r} is {data.spec.kind} data; pick an image "
            "dataset (or score a generator with --generator / --translator)"
        )
    x, where = load_samples(samples, resolution)
    if tuple(x.shape[1:]) != tuple(data.spec.shape):
        got, want = "x".join(map(str, x.shape[1:])), "x".join(map(str, data.spec.shape))
        fix = (
            f"pass --resolution {data.spec.shape[-1]} to resize and centre-crop them"
            if x.shape[1] == data.spec.shape[0]
            else "save them with the reference's channels (grey or RGB)"
        )
        raise GanbenchError(
            f"--samples {samples} are {got} images (C x H x W) and the reference {dataset!r} is "
            f"{want}; {fix}"
        )
    name = check_name(name or default_name(samples))
    _check_common(None, list(seeds))
    sizes = get_preset(preset).eval
    if reference is not None:  # all of A against all of B
        sizes = dataclasses.replace(
            sizes, n_gen_image=len(x), n_modes_image=len(x), n_real_image=None
        )
    else:
        sizes = dataclasses.replace(
            sizes,
            n_gen_image=min(sizes.n_gen_image, len(x)),
            n_modes_image=min(sizes.n_modes_image, len(x)),
        )
    check_feature_space(features, [dataset], strict=True)  # usage errors before anything is written
    dev = resolve_device(device)

    def score_seed(seed: int, folder: Path, row: dict[str, Any]) -> None:
        stage(f"{name} {dataset} seed{seed}: scoring {where}")
        n = max(sizes.n_gen_image, sizes.n_modes_image)
        heads = Heads(generate=samples_sampler(x, n, seed))
        t = time.perf_counter()
        ev = score(heads, data, sizes, seed, features, dev)
        row.update(ev.columns(), eval_seconds=round(time.perf_counter() - t, 3))
        row["samples_source"] = where
        save_samples_picture(
            ev.artifacts["samples"][:2500], data, folder / "samples.png",
            f"{name} · {dataset} · seed {seed} (external samples)",
        )  # fmt: skip
        from ganbench.plugins.evaluation import _save_extra_artifacts

        _save_extra_artifacts(ev, name, dataset, seed, folder)

    spec = {
        "samples": samples,
        "reference": reference,
        "resolution": resolution,
        "features": features,
        "preset": preset,
    }
    return _run_seeds(
        name, dataset, Path(out), list(seeds), preset, dev, features, "samples", "", spec,
        score_seed, references=real_row and reference is None,
    )  # fmt: skip


def _is_source(text: str) -> bool:
    from ganbench.data.sources import is_source_text

    return is_source_text(text)
