"""Precision / recall / density / coverage against the analytic expectation (METRIC_PROTOCOLS 6.7),
a brute-force reference, torch-fidelity's PRC, and the nearest-neighbour helper vs sklearn."""

import numpy as np
import torch
from sklearn.neighbors import NearestNeighbors
from torch_fidelity.metric_prc import prc_features_to_metric

from ganbench.metrics.neighbours import knn
from ganbench.metrics.prdc import expected_coverage, prdc


def gaussian(n, d, seed):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def brute_prdc(real, fake, k_pr=3, k_dc=5):
    drr, dff, dfr = torch.cdist(real, real), torch.cdist(fake, fake), torch.cdist(fake, real)
    r3 = drr.sort(1).values[:, k_pr]  # column 0 is the point itself
    r5 = drr.sort(1).values[:, k_dc]
    f3 = dff.sort(1).values[:, k_pr]
    return {
        "precision": float((dfr <= r3[None]).any(1).double().mean()),
        "recall": float((dfr.T <= f3[None]).any(1).double().mean()),
        "density": float((dfr < r5[None]).sum(1).double().sum() / (k_dc * len(fake))),
        "coverage": float((dfr.min(0).values < r5).double().mean()),
    }


def test_identical_2d_gaussians_match_the_analytic_expectation():
    # 6.7 [run], 10k vs 10k: P 0.981, R 0.980 (k = 3), D 1.004, C 0.968 (k = 5); 5k keeps it fast
    real, fake = gaussian(5000, 2, 0), gaussian(5000, 2, 1)
    m = prdc(real, fake)
    assert abs(m["precision"] - 0.981) < 0.01 and abs(m["recall"] - 0.980) < 0.01
    assert abs(m["density"] - 1.0) < 0.03
    assert abs(m["coverage"] - expected_coverage(5000, 5000, 5)) < 0.01
    assert abs(expected_coverage(10_000, 10_000, 5) - 0.9688) < 1e-4


def test_matches_brute_force_and_torch_fidelity():
    real, fake = gaussian(600, 8, 2), gaussian(500, 8, 3) * 1.2 + 0.3
    ours, ref = prdc(real, fake, chunk=128), brute_prdc(real, fake)
    for k in ref:
        assert abs(ours[k] - ref[k]) < 1e-9, k
    tf = prc_features_to_metric(
        fake, real, prc_neighborhood=3, prc_batch_size=10000, verbose=False, save_cpu_ram=False
    )
    assert abs(ours["precision"] - tf["precision"]) < 1e-6  # theirs is float32
    assert abs(ours["recall"] - tf["recall"]) < 1e-6


def test_disjoint_sets_score_zero():
    m = prdc(gaussian(500, 4, 4), gaussian(500, 4, 5) + 100)
    assert m == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_knn_matches_sklearn_brute_force():
    ref, query = gaussian(3000, 32, 6), gaussian(700, 32, 7)
    d, i = knn(query, ref, 5, chunk=256)
    nn = NearestNeighbors(n_neighbors=5, algorithm="brute").fit(ref.numpy())
    sd, si = nn.kneighbors(query.numpy())
    assert np.array_equal(i.numpy(), si)
    assert np.allclose(d.numpy(), sd, atol=1e-4)
    ds, is_ = knn(ref, ref, 1, exclude_self=True)
    sd2, si2 = nn.kneighbors(ref.numpy(), 2)
    assert np.array_equal(is_[:, 0].numpy(), si2[:, 1])
    assert np.allclose(ds[:, 0].numpy(), sd2[:, 1], atol=1e-4)
