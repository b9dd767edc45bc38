"""IS, FID and KID through torch-fidelity's own metric functions, on features from the registered
extractor (metrics/features.py), plus the on-disk cache of real-data features.

  IS  = exp(E_x KL(p(y|x) || p(y)))  torch-fidelity `isc_features_to_metric`: 10 splits, shuffled
        with seed 2020, mean and population std over splits
  FID = ||mu1 - mu2||² + Tr(S1 + S2 - 2 (S1 S2)^1/2)  `fid_features_to_statistics` (np.cov, N-1)
        and `frechet_distance`: Tr (S1 S2)^1/2 = Σ √λ of the symmetric S1^1/2 S2 S1^1/2 (the same
        eigenvalues as S1 S2), float64 `eigh`, negative round-off clipped at 0; no
        scipy.linalg.sqrtm (SciPy 1.18 removed its `disp` argument, 1.11-1.12 gave wrong values)
  KID = unbiased MMD² with k(x, y) = (x·y/d + 1)³ averaged over 100 random subsets drawn without
        replacement (`kid_features_to_metric`, seed 2020), mean and std over subsets

Real features are computed once per (dataset, split, feature space) and cached in
$GANBENCH_CACHE (default ~/.cache/ganbench) under a key that hashes the dataset name, the split,
the split's pixels, the feature space and its weights hash. A corrupt cache file is a warning and
a recompute, never a crash.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import torch
from torch_fidelity.metric_fid import fid_features_to_statistics
from torch_fidelity.metric_isc import isc_features_to_metric
from torch_fidelity.metric_kid import kid_features_to_metric

from ganbench.core.io import save_torch_atomic
from ganbench.core.log import warn
from ganbench.data.base import Dataset
from ganbench.metrics.features import FeatureSpace, extract

CACHE_FORMAT = 1
ISC_SPLITS = 10  # torch-fidelity default, Salimans et al. 2016
KID_SUBSETS = 100  # torch-fidelity default
RNG_SEED = 2020  # torch-fidelity default


def inception_score(logits: torch.Tensor, splits: int = ISC_SPLITS) -> tuple[float, float]:
    out = isc_features_to_metric(logits.float().cpu(), splits, True, RNG_SEED)
    return out["inception_score_mean"], out["inception_score_std"]


def fid_statistics(features: torch.Tensor) -> dict[str, np.ndarray]:
    return fid_features_to_statistics(features.float().cpu())


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """||mu1 - mu2||² + Tr(S1) + Tr(S2) - 2 Tr((S1 S2)^1/2), through eigenvalues (float64)."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    s1, s2 = (s1 + s1.T) / 2, (s2 + s2.T) / 2
    w, v = np.linalg.eigh(s1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T  # S1^1/2, symmetric
    m = root1 @ s2 @ root1
    lam = np.linalg.eigvalsh((m + m.T) / 2)
    diff = mu1 - mu2
    tr_covmean = float(np.sqrt(np.clip(lam, 0, None)).sum())
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * tr_covmean)


def fid_from_statistics(stats_1: dict, stats_2: dict) -> float:
    return frechet_distance(stats_1["mu"], stats_1["sigma"], stats_2["mu"], stats_2["sigma"])


def fid(features_1: torch.Tensor, features_2: torch.Tensor) -> float:
    return fid_from_statistics(fid_statistics(features_1), fid_statistics(features_2))


def kid(
    features_1: torch.Tensor, features_2: torch.Tensor, subset_size: int, subsets: int = KID_SUBSETS
) -> tuple[float, float]:
    """KID mean and std; the subset size is capped at the smaller set (recorded by the caller)."""
    size = min(subset_size, len(features_1), len(features_2))
    out = kid_features_to_metric(
        features_1.float().cpu(),
        features_2.float().cpu(),
        kid_subsets=subsets,
        kid_subset_size=size,
        kid_degree=3,
        kid_gamma=None,
        kid_coef0=1,
        kid_kernel="poly",
        rng_seed=RNG_SEED,
        verbose=False,
    )
    return out["kernel_inception_distance_mean"], out["kernel_inception_distance_std"]


# --- closed forms (tests check torch-fidelity and the suite against these) --------------------


def fid_closed_form(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance of two Gaussians by a second route: the eigenvalues of the (non-symmetric)
    product S1 S2 (torch-fidelity's way), Tr (S1 S2)^1/2 = Σ Re √λ. No matrix square root."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    lam = np.linalg.eigvals(np.asarray(sigma1, np.float64) @ np.asarray(sigma2, np.float64))
    diff = mu1 - mu2
    tr = float(np.sqrt(lam.astype(np.complex128)).real.sum())
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * tr)


def fid_commuting_closed_form(mu1, eig1, mu2, eig2) -> float:
    """The Fréchet distance of N(mu1, Q diag(eig1) Qᵀ) and N(mu2, Q diag(eig2) Qᵀ) (covariances
    with the same eigenvectors): ||mu1 - mu2||² + Σ (√eig1 - √eig2)²."""
    d = np.asarray(mu1, np.float64) - np.asarray(mu2, np.float64)
    a, b = np.asarray(eig1, np.float64), np.asarray(eig2, np.float64)
    return float(d @ d + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum())


def mmd2_unbiased_poly(x: torch.Tensor, y: torch.Tensor) -> float:
    """Unbiased MMD² with the cubic polynomial kernel on the whole sets (KID with one subset)."""
    x, y = x.double(), y.double()
    d = x.shape[1]

    def k(a, b):
        return (a @ b.T / d + 1) ** 3

    m, n = len(x), len(y)
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    sxx = (kxx.sum() - kxx.diagonal().sum()) / (m * (m - 1))
    syy = (kyy.sum() - kyy.diagonal().sum()) / (n * (n - 1))
    return float(sxx + syy - 2 * kxy.mean())


# --- real-feature cache -------------------------------------------------------------------------


def cache_dir() -> Path:
    return Path(os.environ.get("GANBENCH_CACHE") or Path.home() / ".cache" / "ganbench")


_KEYS: dict[tuple, str] = {}


def real_cache_key(dataset: Dataset, split: str, space: FeatureSpace) -> str:
    """Hash of (format, dataset name, split, feature space id, the split's pixels); memoised per
    tensor so the pixels are hashed once per process."""
    images = getattr(dataset, split)
    memo = (dataset.spec.name, split, space.id, id(images), images.data_ptr(), tuple(images.shape))
    if memo not in _KEYS:
        _KEYS[memo] = _hash_key(dataset, split, space, images)
    return _KEYS[memo]


def _hash_key(dataset: Dataset, split: str, space: FeatureSpace, images: torch.Tensor) -> str:
    h = hashlib.sha256()
    for part in (f"v{CACHE_FORMAT}", dataset.spec.name, split, space.id, str(tuple(images.shape))):
        h.update(part.encode() + b"\0")
    h.update(memoryview(images.contiguous().numpy()).cast("B"))  # the pixels, not a copy
    return h.hexdigest()[:20]


_MEMO: dict[str, dict[str, torch.Tensor]] = {}


def _load_cached(path: Path, check) -> dict | None:
    """The cached dict at `path`, or None (missing, or corrupt: a warning, then a recompute)."""
    if not path.exists():
        return None
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
        if not (isinstance(obj, dict) and check(obj)):
            raise ValueError("unexpected contents")
        return obj
    except Exception as exc:
        aside = path.with_name(path.name + ".corrupt")  # kept for a look, never read again
        try:
            path.replace(aside)
            where = f"moved aside to {aside.name}"
        except OSError:  # another process moved it first
            where = "moved aside"
        warn(f"cache file {path} is corrupt ({type(exc).__name__}: {exc}; {where}); recomputing it")
        return None


def _store(path: Path, obj: dict) -> None:
    try:
        save_torch_atomic(path, obj)
    except OSError as exc:
        warn(f"could not write the cache file {path} ({exc}); going on without it")


def real_features(
    dataset: Dataset, split: str, space: FeatureSpace, device: torch.device | str = "cpu"
) -> dict[str, torch.Tensor]:
    """{"logits", "features"} of every image of `split` ("train" / "test"), cached on disk."""
    key = real_cache_key(dataset, split, space)
    if key in _MEMO:
        return _MEMO[key]
    path = cache_dir() / f"{dataset.spec.name}-{split}-{space.name}-{key}.pt"
    n = len(getattr(dataset, split))
    feats = _load_cached(
        path, lambda d: set(d) == {"logits", "features"} and all(len(v) == n for v in d.values())
    )
    if feats is None:
        feats = extract(space, getattr(dataset, split), device)
        _store(path, feats)
    _MEMO[key] = feats
    return feats


def _cached_train_tensor(
    dataset: Dataset, space: FeatureSpace, tag: str, rows: int, compute
) -> torch.Tensor:
    key = f"{real_cache_key(dataset, 'train', space)}-{tag}"
    if key not in _MEMO:
        path = cache_dir() / f"{dataset.spec.name}-train-{space.name}-{key}.pt"
        obj = _load_cached(path, lambda d: set(d) == {"value"} and len(d["value"]) == rows)
        if obj is None:
            obj = {"value": compute()}
            _store(path, obj)
        _MEMO[key] = obj
    return _MEMO[key]["value"]


def cell_centres(
    dataset: Dataset, space: FeatureSpace, train_features: torch.Tensor, k: int
) -> torch.Tensor:
    """The C_T cells (seeded k-means centres on the train features), cached like the features."""
    from ganbench.metrics.memorization import KMEANS_SEED, kmeans_cells

    return _cached_train_tensor(
        dataset, space, f"cells-k{k}-s{KMEANS_SEED}", k, lambda: kmeans_cells(train_features, k)
    )


def train_nn(dataset: Dataset, space: FeatureSpace, train_features: torch.Tensor) -> torch.Tensor:
    """Nearest-other-training-point distances (authenticity's NND_1), cached like the features."""
    from ganbench.metrics.memorization import train_nn_distances

    return _cached_train_tensor(
        dataset, space, "nn1-exact", len(train_features), lambda: train_nn_distances(train_features)
    )
