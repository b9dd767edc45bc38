"""Nearest neighbours by chunked matrix products: the one implementation that PRDC and the
memorization metrics share.

Squared Euclidean distances come from ||a||² + ||b||² - 2 a·b, one block of query rows at a time,
so memory stays at chunk x len(reference) and the work is a matrix product (fast on CPU BLAS, and
on the GPU when the tensors live there). Distances are clamped at 0 before the square root.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

CHUNK = 2048  # query rows per block


def squared_distance_blocks(
    query: torch.Tensor, ref: torch.Tensor, chunk: int = CHUNK
) -> Iterator[tuple[int, torch.Tensor]]:
    """Yield (first row, squared Euclidean distance block (rows, len(ref))) over `query`."""
    ref_sq = (ref * ref).sum(1)[None, :]
    for start in range(0, len(query), chunk):
        q = query[start : start + chunk]
        d2 = torch.addmm(ref_sq, q, ref.T, beta=1.0, alpha=-2.0)
        d2 += (q * q).sum(1, keepdim=True)
        yield start, d2.clamp_min_(0)


def distance_blocks(
    query: torch.Tensor, ref: torch.Tensor, chunk: int = CHUNK
) -> Iterator[tuple[int, torch.Tensor]]:
    """Yield (first row, Euclidean distance block (rows, len(ref))) over `query`."""
    for start, d2 in squared_distance_blocks(query, ref, chunk):
        yield start, d2.sqrt_()


def knn(
    query: torch.Tensor,
    ref: torch.Tensor,
    k: int = 1,
    exclude_self: bool = False,
    chunk: int = CHUNK,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Distances and indices (both (len(query), k), ascending) of the k nearest `ref` rows.

    exclude_self: `query` is `ref` (same rows, same order); a point is not its own neighbour
    (excluded by index, so exact duplicates elsewhere in the set still count).
    """
    if exclude_self and query.shape != ref.shape:
        raise ValueError("exclude_self needs query and ref to be the same set")
    if k > len(ref) - int(exclude_self):
        raise ValueError(f"k={k} neighbours asked for among {len(ref)} reference points")
    dists, idxs = [], []
    for start, d2 in squared_distance_blocks(query, ref, chunk):
        if exclude_self:
            rows = torch.arange(len(d2), device=d2.device)
            d2[rows, rows + start] = float("inf")
        if k == 1:
            v, i = d2.min(1, keepdim=True)
        else:
            v, i = torch.topk(d2, k, dim=1, largest=False, sorted=True)
        dists.append(v.sqrt_())  # the square root only of what is kept
        idxs.append(i)
    return torch.cat(dists), torch.cat(idxs)


def kth_neighbour_radius(x: torch.Tensor, k: int, chunk: int = CHUNK) -> torch.Tensor:
    """Distance from each row of x to its k-th nearest other row (NND_k, self excluded)."""
    return knn(x, x, k, exclude_self=True, chunk=chunk)[0][:, -1]
