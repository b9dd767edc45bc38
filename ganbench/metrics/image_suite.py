"""Every image metric for one generator (a sampler n -> images), on one dataset.

Columns (each beside its real-data reference where one exists):
  is_mean, is_std, fid, kid_mean, kid_std     torch-fidelity metric functions (metrics/fidelity.py)
  precision, recall, density, coverage        k = 3 / k = 5 (metrics/prdc.py)
  msssim_gen, msssim_real                     MS-SSIM, random pairs, 176 px (metrics/diversity.py)
  nn_ratio, authenticity, authenticity_real,
  ct_z                                        memorization vs train (metrics/memorization.py)
  modes_covered, modes_significant,
  modes_total, reverse_kl                     classifier modes, mnist / stacked-mnist; significant:
                                              >= SIGNIFICANT_SHARE of the uniform share
                                              (metrics/classifier_modes.py)
  feature_net_accuracy                        held-out accuracy of the project classifier

A family with fewer samples than its stated minimum (MIN_SAMPLES) is left empty with the reason
in `metric_notes`; every row says what it was compared with (`ref_fidelity`, `ref_memorization`,
`ref_msssim`, `ref_modes`) and how many samples it scored (`n_fake`, `n_real`).

Sample counts come from the preset (config.EvalSizes): n_gen generated images for IS/FID/KID/
PRDC/MS-SSIM/memorization, n_modes for the mode count (the same draw, extended), and the
reference is the held-out split (all of it, or a fixed random subset of n_real). Fidelity and PRDC
are computed in the chosen feature space; memorization and modes always in the project space when
the dataset has one (the MNIST sets, fashion-mnist: features.project_domain), as the issue asks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ganbench.core.config import EvalSizes
from ganbench.data.base import Dataset
from ganbench.metrics import classifier
from ganbench.metrics.classifier_modes import classifier_modes, mode_coverage
from ganbench.metrics.diversity import mean_msssim
from ganbench.metrics.evaluation import Evaluation, draw
from ganbench.metrics.features import (
    domain_space,
    extract,
    project_domain,
    resolve_feature_space,
)
from ganbench.metrics.fidelity import (
    ISC_SPLITS,
    cell_centres,
    fid,
    inception_score,
    kid,
    real_features,
    train_nn,
)
from ganbench.metrics.memorization import memorization, n_cells
from ganbench.metrics.prdc import K_DC, K_PR, prdc

REAL_SUBSET_SEED = 0  # the held-out subset used when n_real is smaller than the split
CLOSEST_PAIRS = 8

_REAL_MSSSIM: dict[tuple, float] = {}


def real_subset(n_total: int, n_real: int | None) -> torch.Tensor:
    """Indices of the held-out reference: all of it, or a fixed random subset (never the first
    rows: the splits are ordered by class)."""
    if n_real is None or n_real >= n_total:
        return torch.arange(n_total)
    g = torch.Generator().manual_seed(REAL_SUBSET_SEED)
    return torch.randperm(n_total, generator=g)[:n_real]


def real_msssim(dataset: Dataset, ref: torch.Tensor, pairs: int) -> float:
    """msssim_real: a fixed set of pairs of the reference images (pair seed REAL_SUBSET_SEED), so it
    is one number per (dataset, reference, pairs) and is computed once per process."""
    key = (dataset.spec.name, id(dataset.test), dataset.test.data_ptr(), len(ref), pairs)
    if key not in _REAL_MSSSIM:
        _REAL_MSSSIM[key] = mean_msssim(dataset.test[ref], pairs, REAL_SUBSET_SEED)
    return _REAL_MSSSIM[key]


# The fewest samples each metric family is computed from: (scored samples, reference samples).
# Below it the family's columns are empty (NaN) and `metric_notes` says why; the rest is computed.
MIN_SAMPLES = {
    "is": (ISC_SPLITS, 0),  # one sample per IS split at least
    "fid": (2, 2),  # a covariance needs two samples (FID is biased upward far above that)
    "kid": (2, 2),  # the unbiased MMD² needs two per subset
    "prdc": (K_PR + 1, K_DC + 1),  # k-th neighbours: k + 1 points in each set
    "msssim": (2, 2),  # a pair of distinct images
    "memorization": (1, 1),  # and a training set of at least 3 (k-means cells, NND_1)
    "modes": (1, 0),
}
FAMILY_COLUMNS = {
    "is": ("is_mean", "is_std"),
    "fid": ("fid",),
    "kid": ("kid_mean", "kid_std"),
    "prdc": ("precision", "recall", "density", "coverage"),
    "msssim": ("msssim_gen", "msssim_real"),
    "memorization": ("nn_ratio", "authenticity", "authenticity_real", "ct_z"),
}


def evaluate_images(
    sampler,
    dataset: Dataset,
    sizes: EvalSizes,
    seed: int,
    features: str,
    device: torch.device | str,
    fresh=None,
):
    """Every image metric of `sampler`'s samples on `dataset`. fresh: a reference row's real
    samples outside the train split and the fidelity reference (core.heads.Heads.fresh); the
    sampler then draws train images, at most the whole train split (n_fake says how many)."""
    name = dataset.spec.name
    space = resolve_feature_space(features, name)
    domain = project_domain(name)
    project = domain_space(domain) if domain else None
    has_modes = project is not None and dataset.spec.n_modes in (10, 1000)
    n_gen = sizes.n_gen_image
    n_modes = sizes.n_modes_image if has_modes else 0
    if fresh is not None:  # the real row: train images without replacement
        n_gen, n_modes = min(n_gen, len(dataset.train)), min(n_modes, len(dataset.train))
    x = draw(sampler, max(n_gen, n_modes), dataset)
    x_gen = x[:n_gen]

    ref = real_subset(len(dataset.test), sizes.n_real_image)
    n_real = len(ref)
    notes: list[str] = []
    m: dict[str, float | int] = {}

    def enough(family: str, n_fake: int, n_ref: int, what: str = "reference") -> bool:
        need_fake, need_ref = MIN_SAMPLES[family]
        if n_fake >= need_fake and n_ref >= need_ref:
            return True
        cols = FAMILY_COLUMNS[family]
        m.update({c: float("nan") for c in cols})
        notes.append(
            f"{', '.join(cols)}: need >= {need_fake} scored"
            + (f" and >= {need_ref} {what}" if need_ref else "")
            + f" samples, got {n_fake}" + (f" and {n_ref}" if need_ref else "")
        )
        return False

    gen_f = extract(space, x if space == project else x_gen, device)
    real_f = {k: v[ref] for k, v in real_features(dataset, "test", space, device).items()}
    logits = gen_f["logits"][:n_gen]
    if logits.shape[1] == 0:
        m["is_mean"] = m["is_std"] = float("nan")
        notes.append(f"is_mean, is_std: the feature space {space.name} gives no logits")
    elif enough("is", n_gen, 0):
        m["is_mean"], m["is_std"] = inception_score(logits)
    if enough("fid", n_gen, n_real):
        m["fid"] = fid(gen_f["features"][:n_gen], real_f["features"])
    if enough("kid", n_gen, n_real):
        m["kid_mean"], m["kid_std"] = kid(
            gen_f["features"][:n_gen], real_f["features"], sizes.kid_subset_size
        )
    dev = torch.device(device)  # nearest neighbours run where the generator does (GPU if any)
    if enough("prdc", n_gen, n_real):
        m.update(prdc(real_f["features"].to(dev), gen_f["features"][:n_gen].to(dev)))
    if enough("msssim", n_gen, n_real):
        m["msssim_gen"] = mean_msssim(x_gen, sizes.msssim_pairs, seed)
        m["msssim_real"] = real_msssim(dataset, ref, sizes.msssim_pairs)

    artifacts: dict[str, Any] = {"samples": x[:64]}
    extra: dict[str, Any] = {
        "ref_fidelity": f"test[{n_real} of {len(dataset.test)}]",
        "ref_msssim": f"test[{n_real} of {len(dataset.test)}]",
    }
    mem_space = project or space
    mem_x, gen_p = x_gen, None
    if fresh is not None:  # memorization scores held-out images, never train images
        n_mem = min(n_gen, len(dataset.test))
        mem_x = draw(fresh, n_mem, dataset)
        outside = min(n_mem, len(dataset.test) - n_real)
        extra["real_sample"] = (
            f"fidelity, MS-SSIM, modes: train[{n_gen} of {len(dataset.train)}], seed-shuffled; "
            f"memorization: test[{outside} outside the fidelity reference + {n_mem - outside} "
            "inside]"
        )
    elif project is not None and space != project:
        gen_p = extract(project, x, device)
    else:
        gen_p = gen_f
    if len(dataset.train) < 3:
        m.update({c: float("nan") for c in FAMILY_COLUMNS["memorization"]})
        notes.append(
            f"{', '.join(FAMILY_COLUMNS['memorization'])}: no training set to compare with "
            f"({len(dataset.train)} train images)"
        )
    elif enough("memorization", len(mem_x), n_real):
        mem_f = (
            extract(mem_space, mem_x, device)["features"] if gen_p is None
            else gen_p["features"][:n_gen]
        )  # fmt: skip
        train_p = real_features(dataset, "train", mem_space, device)["features"]
        test_p = real_features(dataset, "test", mem_space, device)["features"][ref]
        centres = cell_centres(dataset, mem_space, train_p, n_cells(len(test_p)))
        nn1 = train_nn(dataset, mem_space, train_p)
        mem, pairs = memorization(
            train_p.to(dev), test_p.to(dev), mem_f.to(dev), CLOSEST_PAIRS, centres.to(dev),
            nn1.to(dev),
        )  # fmt: skip
        m.update(mem)
        pairs["gen_images"] = mem_x[pairs["gen_index"]]
        pairs["train_images"] = dataset.train[pairs["train_index"]]
        pairs["features"] = mem_space.id
        artifacts["closest_pairs"] = pairs
        extra["ref_memorization"] = (
            f"train[{len(dataset.train)}], fresh test[{n_real} of {len(dataset.test)}] "
            f"({mem_space.id})"
        )

    if has_modes:
        proj_logits = gen_p["logits"] if gen_p is not None else extract(project, x, device)[
            "logits"
        ]
        if len(proj_logits) >= n_modes:
            m.update(mode_coverage(proj_logits[:n_modes].argmax(1), dataset.spec.n_modes))
        else:
            m.update(classifier_modes(x[:n_modes], dataset.spec.n_modes, device))
        extra["ref_modes"] = f"{project.id} classes, {n_modes} samples"
    if project is not None:
        m["feature_net_accuracy"] = float(classifier.weights_meta(domain)["accuracy"])
    if notes:
        extra["metric_notes"] = "; ".join(notes)
    return Evaluation(m, space.id, n_gen, n_real, artifacts=artifacts, extra=extra)


def save_closest_pairs(pairs: dict[str, Any], folder: Path, title: str = "") -> None:
    """closest_pairs.json (indices into the generated draw and the train split, feature-space
    distances) and closest_pairs.png (each generated image above its nearest training image)."""
    from ganbench.core.io import write_json_atomic
    from ganbench.results.pictures import image_grid

    folder = Path(folder)
    meta = {k: v for k, v in pairs.items() if not isinstance(v, torch.Tensor)}
    write_json_atomic(folder / "closest_pairs.json", meta)
    gen, train = pairs["gen_images"], pairs["train_images"]
    if len(gen) == 0:
        return
    import matplotlib.pyplot as plt

    n = len(gen)
    grid = image_grid(torch.cat([gen, train]), nrow=n)
    fig, ax = plt.subplots(figsize=(max(3.0, n * 0.6), 1.8), dpi=100)
    img = grid.numpy()
    ax.imshow(
        img[..., 0] if img.shape[-1] == 1 else img,
        cmap="gray",
        vmin=0,
        vmax=1,
        interpolation="nearest",
    )
    ax.set_yticks([14 + 2, 14 + 2 + 30])
    ax.set_yticklabels(["generated", "nearest train"], fontsize=7)
    ax.set_xticks([])
    ax.set_title(
        title or f"closest generated / train pairs ({pairs.get('features', '')})", fontsize=8
    )
    fig.tight_layout()
    path = folder / "closest_pairs.png"
    from ganbench.core.io import (
        save_figure_atomic,  # unique temporary name: two writers never clash
    )

    try:
        save_figure_atomic(fig, path)
    finally:
        plt.close(fig)
