"""Memorization in a stated feature space: generated samples Q (m), training set T (l), held-out
real samples P (n), all as feature rows.

  nn_ratio     = median_q min_t ||q - t|| / median_p min_t ||p - t||
                 (< 1: generated samples sit closer to T than fresh data)
  authenticity = fraction of q with ||q - t*|| > NND_1(t*), t* = the nearest training point and
                 NND_1 its distance to the nearest other training point (Alaa et al. 2022, as in
                 dgm-eval `authpct`); `authenticity_real` is the same rule applied to P, the
                 reference level (even a perfect generator sits there, not at 1)
  ct_z         = C_T of Meehan et al. 2020 (casey-meehan/data-copying): k-means cells fit on T
                 (fixed seed), per cell the Mann-Whitney U of the 1-NN distances to T∩cell of Q
                 against those of P,
                 Z_U = (U - (n_π m_π / 2 - 0.5)) / sqrt(n_π m_π (n_π + m_π + 1) / 12),
                 averaged with weights P_n(cell) over cells holding more than τ = 20/m of Q.
                 ≈ 0 for fresh data, ≪ 0 for copying, ≫ 0 for under-fitting.

Cells: k = clamp(n // 50, 3, 50) so each cell holds about 50 held-out points (Meehan used k = 50
with n = 10,000 on MNIST); cells without train or held-out points are left out.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ganbench.metrics.neighbours import knn

KMEANS_SEED = 0  # fixed: the cells depend on the training data only, never on the run
TAU_COUNT = 20  # τ = 20 / m: a cell needs more than 20 generated samples


def n_cells(n_heldout: int) -> int:
    return int(min(50, max(3, n_heldout // 50)))


def nearest_train(x: torch.Tensor, train: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    d, i = knn(x.float(), train.float(), 1)
    return d[:, 0], i[:, 0]


def train_nn_distances(train: torch.Tensor) -> torch.Tensor:
    """Distance of every training point to its nearest other training point (NND_1)."""
    return knn(train.float(), train.float(), 1, exclude_self=True)[0][:, 0]


def authenticity(dist: torch.Tensor, idx: torch.Tensor, train_nn: torch.Tensor) -> float:
    """Fraction authentic: farther from the nearest training point than its own nearest
    neighbour."""
    return float((dist > train_nn[idx]).double().mean())


def kmeans_cells(train: torch.Tensor, k: int, seed: int = KMEANS_SEED) -> torch.Tensor:
    """(k, d) cell centres of seeded k-means (sklearn) on the training features."""
    from sklearn.cluster import KMeans

    km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(train.double().cpu().numpy())
    return torch.from_numpy(km.cluster_centers_).float()


def assign_cells(x: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    return knn(x.float(), centres.float().to(x.device), 1)[1][:, 0]


def _z_u(lq: np.ndarray, lp: np.ndarray) -> float:
    from scipy.stats import mannwhitneyu

    m, n = len(lq), len(lp)
    u = mannwhitneyu(lq, lp, alternative="less").statistic
    return float((u - (n * m / 2 - 0.5)) / math.sqrt(n * m * (n + m + 1) / 12))


def ct_statistic(
    train: torch.Tensor,
    heldout: torch.Tensor,
    gen: torch.Tensor,
    k: int | None = None,
    seed: int = KMEANS_SEED,
    centres: torch.Tensor | None = None,
) -> float:
    """Meehan et al. C_T of `gen` against `train`, with `heldout` as the fresh-data reference."""
    train, heldout, gen = train.float(), heldout.float(), gen.float()
    if centres is None:
        centres = kmeans_cells(train, k or n_cells(len(heldout)), seed)
    ct, cp, cq = (assign_cells(s, centres) for s in (train, heldout, gen))
    m, n = len(gen), len(heldout)
    num = den = 0.0
    for cell in range(len(centres)):
        t_in, p_in, q_in = train[ct == cell], heldout[cp == cell], gen[cq == cell]
        if len(t_in) == 0 or len(p_in) == 0 or len(q_in) / m <= TAU_COUNT / m:
            continue
        lq = knn(q_in, t_in, 1)[0][:, 0].double().cpu().numpy()
        lp = knn(p_in, t_in, 1)[0][:, 0].double().cpu().numpy()
        w = len(p_in) / n
        num += w * _z_u(lq, lp)
        den += w
    return num / den if den > 0 else float("nan")


def memorization(
    train: torch.Tensor,
    heldout: torch.Tensor,
    gen: torch.Tensor,
    closest: int = 8,
    centres: torch.Tensor | None = None,
    train_nn: torch.Tensor | None = None,
) -> tuple[dict[str, float], dict]:
    """(metrics, closest pairs) of generated features `gen` against `train`, with `heldout`.
    `centres` (C_T cells) and `train_nn` (train_nn_distances(train)) may come from a cache."""
    if train_nn is None:
        train_nn = train_nn_distances(train)
    dq, iq = nearest_train(gen, train)
    dp, ip = nearest_train(heldout, train)
    metrics = {
        "nn_ratio": float(dq.median() / dp.median().clamp_min(1e-12)),
        "authenticity": authenticity(dq, iq, train_nn),
        "authenticity_real": authenticity(dp, ip, train_nn),
        "ct_z": ct_statistic(train, heldout, gen, centres=centres),
    }
    order = torch.argsort(dq)[:closest]
    pairs = {
        "gen_index": order.tolist(),
        "train_index": iq[order].tolist(),
        "distance": [round(float(v), 6) for v in dq[order]],
        "heldout_median_distance": round(float(dp.median()), 6),
    }
    return metrics, pairs
