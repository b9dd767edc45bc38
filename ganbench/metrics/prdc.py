"""Precision / recall (Kynkäänniemi et al. 2019, k = 3) and density / coverage (Naeem et al.
2020, k = 5) of generated features Y (M rows) against real features X (N rows).

  NND_k(x)  = distance to the k-th nearest other point of the same set
  precision = (1/M) Σ_j 1[∃ i: ||Y_j - X_i|| <= NND_3(X_i)]   (<=: Kynkäänniemi, torch-fidelity)
  recall    = (1/N) Σ_i 1[∃ j: ||X_i - Y_j|| <= NND_3(Y_j)]
  density   = (1/(5M)) Σ_j Σ_i 1[||Y_j - X_i|| < NND_5(X_i)]       (strict, as the `prdc` package)
  coverage  = (1/N) Σ_i 1[min_j ||X_i - Y_j|| < NND_5(X_i)]

For identical distributions E[density] = 1 and E[coverage] = 1 - Π_{i=1..k} (N-i)/(M+N-i)
(0.9688 at k = 5, N = M = 10k); precision and recall are near 1 only in low dimension.
All four come from one pass of chunked distance blocks (metrics/neighbours.py), every comparison
on exact distances (a Gram-trick block, with the pairs within its error bound of a radius
recomputed exactly), so ties fall the same way everywhere: an exact copy of the reference scores
density 1 and coverage 1 exactly.
"""

from __future__ import annotations

import torch

from ganbench.metrics.neighbours import CHUNK, decide, gram_blocks, knn_sq

K_PR = 3  # Kynkäänniemi et al. 2019
K_DC = 5  # Naeem et al. 2020


def prdc(
    real: torch.Tensor, fake: torch.Tensor, k_pr: int = K_PR, k_dc: int = K_DC, chunk: int = CHUNK
) -> dict[str, float]:
    """precision, recall, density, coverage of `fake` (M, d) against `real` (N, d)."""
    real, fake = real.float(), fake.float()
    k_real = max(k_pr, k_dc)
    real_nn = knn_sq(real, real, k_real, exclude_self=True, chunk=chunk)[0]
    # squared radii, exact (the same numbers the blocks' exact entries are compared with)
    r_pr_real = real_nn[:, k_pr - 1].to(real.device)
    r_dc_real = real_nn[:, k_dc - 1].to(real.device)
    r_pr_fake = knn_sq(fake, fake, k_pr, exclude_self=True, chunk=chunk)[0][:, -1]
    r_pr_fake = r_pr_fake.to(fake.device)

    in_real_manifold = torch.zeros(len(fake), dtype=torch.bool, device=fake.device)
    in_fake_manifold = torch.zeros(len(real), dtype=torch.bool, device=real.device)
    covered = torch.zeros(len(real), dtype=torch.bool, device=real.device)
    density_hits = torch.zeros(len(fake), dtype=torch.float64, device=fake.device)
    for start, d2, bound in gram_blocks(fake, real, chunk):  # d2: (rows of fake, N), squared
        rows = slice(start, start + len(d2))
        fake_r = r_pr_fake[rows, None]
        in_pr, in_fake, inside = decide(
            d2, bound, fake[rows], real,
            [(r_pr_real[None, :], False), (fake_r, False), (r_dc_real[None, :], True)],
        )  # fmt: skip
        in_real_manifold[rows] = in_pr.any(1)
        in_fake_manifold |= in_fake.any(0)
        density_hits[rows] = inside.sum(1).double()
        covered |= inside.any(0)
    return {
        "precision": float(in_real_manifold.double().mean()),
        "recall": float(in_fake_manifold.double().mean()),
        "density": float(density_hits.sum() / (k_dc * len(fake))),
        "coverage": float(covered.double().mean()),
    }


def expected_coverage(n_real: int, n_fake: int, k: int = K_DC) -> float:
    """E[coverage] when real and fake come from the same continuous distribution (Naeem 2020)."""
    p = 1.0
    for i in range(1, k + 1):
        p *= (n_real - i) / (n_fake + n_real - i)
    return 1.0 - p
