"""Mode coverage through the project classifier (VEEGAN / PacGAN protocol).

mnist         : 10 modes, mode = predicted digit
stacked-mnist : 1,000 modes; each channel is classified separately, mode = 100 d1 + 10 d2 + d3
modes_covered = #{modes with at least one sample} (the papers' count); modes_significant =
#{modes holding at least SIGNIFICANT_SHARE of their uniform share n / n_modes}, so that a few
classifier mistakes do not count as modes (threshold and its evidence: docs/metrics.md, "Modes
that count"); reverse_kl = KL(p̂ || uniform) of the mode histogram (PacGAN's direction),
0·log 0 = 0. A uniform generator with 26,000 samples on stacked-mnist scores ~1,000 modes and
KL ≈ 999 / (2·26,000) ≈ 0.019; a single mode log(1000).
"""

from __future__ import annotations

import torch

from ganbench.metrics.classifier import classify
from ganbench.metrics.modes import histogram_reverse_kl

# A mode is significant when it holds >= half the samples a uniform generator would give it. The
# project CNN's largest held-out confusion rate is 1% (one digit in a hundred), so a generator that
# sits wholly on one digit hands a wrong digit at most ~10 x 1% = 0.1 of its uniform share
# (0.47 at the rate's one-sided 95% upper bound): 0.5 clears both. Measured by
# scripts/feature_net_confusion.py; see docs/metrics.md.
SIGNIFICANT_SHARE = 0.5


def mode_ids(digits: torch.Tensor) -> torch.Tensor:
    """(N,) digits -> themselves; (N, 3) digit triplets -> 100 d1 + 10 d2 + d3."""
    digits = digits.long()
    if digits.ndim == 1:
        return digits
    if digits.ndim == 2 and digits.shape[1] == 3:
        return 100 * digits[:, 0] + 10 * digits[:, 1] + digits[:, 2]
    raise ValueError(f"expected (N,) digits or (N, 3) triplets, got {tuple(digits.shape)}")


def significant_modes(counts: torch.Tensor, share: float = SIGNIFICANT_SHARE) -> int:
    """#{modes whose count >= share * n / n_modes}, n = counts.sum() (0 for no samples)."""
    n = int(counts.sum())
    if n == 0:
        return 0
    # counts * n_modes >= share * n, in exact integer-times-float arithmetic per mode
    return int((counts.double() * len(counts) >= share * n).sum())


def mode_coverage(ids: torch.Tensor, n_modes: int) -> dict[str, float | int]:
    counts = torch.bincount(ids.long(), minlength=n_modes)
    return {
        "modes_covered": int((counts > 0).sum()),
        "modes_significant": significant_modes(counts),
        "modes_total": n_modes,
        "reverse_kl": histogram_reverse_kl(counts),
    }


def predicted_digits(images: torch.Tensor, device: torch.device | str = "cpu") -> torch.Tensor:
    """(N,) digits for (N, 1, 28, 28) images, (N, 3) per-channel digits for (N, 3, 28, 28)."""
    n, c = images.shape[:2]
    d = classify(images.reshape(n * c, 1, *images.shape[2:]), device)
    return d if c == 1 else d.reshape(n, c)


def classifier_modes(
    images: torch.Tensor, n_modes: int, device: torch.device | str = "cpu"
) -> dict[str, float | int]:
    return mode_coverage(mode_ids(predicted_digits(images, device)), n_modes)


def confusion_matrix(true: torch.Tensor, predicted: torch.Tensor, n_classes: int) -> torch.Tensor:
    """(n_classes, n_classes) counts: row = true class, column = predicted class."""
    cm = torch.zeros(n_classes, n_classes, dtype=torch.long)
    cm.index_put_(
        (true.long(), predicted.long()), torch.ones(len(true), dtype=torch.long), accumulate=True
    )
    return cm
