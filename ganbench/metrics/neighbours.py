"""Nearest neighbours that are exact for ties: the one implementation that PRDC and the
memorization metrics share.

Every decision (which points are the k nearest, is d(y, x) <= r(x) or < r(x)) is taken on exact
distances: `exact_sq` squares the float64 differences and sums them left to right, so d(a, b) and
d(b, a) are the same number bit for bit and a pair gives the same number wherever it is computed
(a point's k-th-neighbour radius and the same pair met again in a generated-vs-real block). Two
points on the same radius therefore fall on the same side of it everywhere: density on an exact
copy of the reference is exactly 1 (with the float32 Gram trick alone, d(i, j) != d(j, i) at 1e-6
and self-distances reached 0.007, so it read 1.0024).

Exact distances for every pair would cost many times a matrix product, so the work is the Gram
trick, ||a||² + ||b||² - 2 a·b, in the features' own float32, one block of query rows at a time
(memory chunk x len(ref); CPU BLAS, or the GPU when the tensors live there), whose error is at
most (d + 16) u (||a||² + ||b||²) (u the unit round-off, whatever order the BLAS sums in). A
comparison the Gram value decides by more than that bound is certain; only the pairs within it
(ties and near-ties, a few per point) are recomputed exactly, on the CPU. The exact squared radii
are kept as they are (a square root squared is not the same number again).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

CHUNK = 2048  # query rows per block
MARGIN = 4  # extra candidates per row beyond k, so near-ties at the k-th are seen


def exact_sq(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared distances of the paired rows a[i], b[i] (float64, on the CPU): the differences
    squared and summed left to right (cumsum), the same bits for (a, b) and (b, a)."""
    a = a.detach().to("cpu", torch.float64)
    b = b.detach().to("cpu", torch.float64)
    if a.shape[1] == 0:
        return torch.zeros(len(a), dtype=torch.float64)
    d = a - b
    return (d * d).cumsum(1)[:, -1]


def _norms(x: torch.Tensor) -> torch.Tensor:
    return (x * x).sum(1)


def gram_blocks(
    query: torch.Tensor, ref: torch.Tensor, chunk: int = CHUNK
) -> Iterator[tuple[int, torch.Tensor, torch.Tensor]]:
    """Yield (first row, squared-distance block (rows, len(ref)) by the Gram trick in the inputs'
    float dtype, a bound on each row's errors (rows, 1)) over `query`."""
    dtype = torch.float64 if query.dtype == torch.float64 or ref.dtype == torch.float64 else (
        torch.float32
    )
    q_all, r = query.to(dtype), ref.to(dtype)
    rn = _norms(r)
    rn_max = rn.max() if len(rn) else torch.zeros((), dtype=dtype, device=rn.device)
    # |fl(a·b) - a·b| <= d u Σ|a_i b_i| <= d u (|a|² + |b|²) / 2, whatever the summation order;
    # the norms, the two additions and a threshold's rounding to this dtype add a few u more:
    # (d + 16) u (|a|² + |b|²) bounds it all
    rel = (q_all.shape[1] + 16) * torch.finfo(dtype).eps
    for start in range(0, len(q_all), chunk):
        q = q_all[start : start + chunk]
        qn = _norms(q)
        d2 = torch.addmm(rn[None, :], q, r.T, beta=1.0, alpha=-2.0)
        d2 += qn[:, None]
        yield start, d2.clamp_min_(0), ((qn + rn_max) * rel)[:, None]


def decide(
    d2: torch.Tensor,
    bound: torch.Tensor,
    q: torch.Tensor,
    ref: torch.Tensor,
    tests: list[tuple[torch.Tensor, bool]],
) -> list[torch.Tensor]:
    """For a Gram block `d2` of query rows `q` against `ref` and each (threshold, strict) in
    `tests` (exact squared radii, broadcastable to d2), the boolean block d < threshold (strict)
    or d <= threshold, exact: the entries within `bound` of a threshold are decided on exact_sq."""
    cut = [t.to(d2.dtype) for t, _ in tests]
    near = torch.zeros_like(d2, dtype=torch.bool)
    for t in cut:
        near |= (d2 - t).abs_() <= bound
    masks = [(d2 < t) if strict else (d2 <= t) for t, (_, strict) in zip(cut, tests, strict=True)]
    if near.any():
        rows, cols = near.nonzero(as_tuple=True)
        e = exact_sq(q[rows], ref[cols]).to(d2.device)
        for (t, strict), mask in zip(tests, masks, strict=True):
            tv = t.to(e.dtype).expand(d2.shape)[rows, cols]
            mask[rows, cols] = (e < tv) if strict else (e <= tv)
    return masks


def knn(
    query: torch.Tensor,
    ref: torch.Tensor,
    k: int = 1,
    exclude_self: bool = False,
    chunk: int = CHUNK,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact distances (float64) and indices (both (len(query), k), ascending; ties by the
    lower index) of the k nearest `ref` rows.

    exclude_self: `query` is `ref` (same rows, same order); a point is not its own neighbour
    (excluded by index, so exact duplicates elsewhere in the set still count).
    """
    d2, idx = knn_sq(query, ref, k, exclude_self, chunk)
    return d2.sqrt(), idx


def knn_sq(
    query: torch.Tensor,
    ref: torch.Tensor,
    k: int = 1,
    exclude_self: bool = False,
    chunk: int = CHUNK,
) -> tuple[torch.Tensor, torch.Tensor]:
    """knn with the exact squared distances (compare these with exact_sq values: a square root
    and its square are not the same number again)."""
    if exclude_self and query.shape != ref.shape:
        raise ValueError("exclude_self needs query and ref to be the same set")
    if k > len(ref) - int(exclude_self):
        raise ValueError(f"k={k} neighbours asked for among {len(ref)} reference points")
    dists, idxs = [], []
    n_ref = len(ref)
    for start, d2, bound in gram_blocks(query, ref, chunk):
        rows = torch.arange(len(d2), device=d2.device)
        if exclude_self:
            d2[rows, rows + start] = float("inf")
        m = min(k + MARGIN, n_ref)
        v, i = torch.topk(d2, m, dim=1, largest=False, sorted=True)
        # every j whose Gram value is within 2 bounds of the k-th may be among the exact k
        slack = 2 * bound[:, 0]
        limit = v[:, k - 1] + slack
        crowded = (v[:, -1] <= limit) & torch.tensor(m < n_ref, device=d2.device)
        q = query[start : start + len(d2)]
        cand_v = exact_sq(q.repeat_interleave(m, 0), ref[i.reshape(-1)]).reshape(len(d2), m)
        cand_i = i.cpu()
        if exclude_self:
            self_col = cand_i == (rows.cpu() + start)[:, None]
            cand_v[self_col] = float("inf")
        bv, bi = _k_smallest(cand_v, cand_i, k)
        for r in crowded.nonzero().flatten().tolist():  # many near-ties: the whole row
            cols = (d2[r] <= limit[r]).nonzero().flatten()
            ev = exact_sq(q[r : r + 1].expand(len(cols), -1), ref[cols])
            ci = cols.cpu()
            if exclude_self:
                ev[ci == r + start] = float("inf")
            rv, ri = _k_smallest(ev[None], ci[None], k)
            bv[r], bi[r] = rv[0], ri[0]
        dists.append(bv)
        idxs.append(bi)
    dev = query.device
    return torch.cat(dists).to(dev), torch.cat(idxs).to(dev)


def _k_smallest(values: torch.Tensor, index: torch.Tensor, k: int):
    """Per row the k smallest values, ties broken by the lower index: (values, indices)."""
    by_index = torch.argsort(index, dim=1, stable=True)
    v = torch.gather(values, 1, by_index)
    i = torch.gather(index, 1, by_index)
    order = torch.argsort(v, dim=1, stable=True)[:, :k]
    return torch.gather(v, 1, order), torch.gather(i, 1, order)


def kth_neighbour_radius(x: torch.Tensor, k: int, chunk: int = CHUNK) -> torch.Tensor:
    """Exact distance from each row of x to its k-th nearest other row (NND_k, self excluded)."""
    return knn(x, x, k, exclude_self=True, chunk=chunk)[0][:, -1]
