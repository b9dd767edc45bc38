"""Mode coverage through the project classifier (VEEGAN / PacGAN protocol).

mnist         : 10 modes, mode = predicted digit
stacked-mnist : 1,000 modes; each channel is classified separately, mode = 100 d1 + 10 d2 + d3
modes_covered = #{modes with at least one sample}; reverse_kl = KL(p̂ || uniform) of the mode
histogram (PacGAN's direction), 0·log 0 = 0. A uniform generator with 26,000 samples on
stacked-mnist scores ~1,000 modes and KL ≈ 999 / (2·26,000) ≈ 0.019; a single mode log(1000).
"""

from __future__ import annotations

import torch

from ganbench.metrics.classifier import classify
from ganbench.metrics.modes import histogram_reverse_kl


def mode_ids(digits: torch.Tensor) -> torch.Tensor:
    """(N,) digits -> themselves; (N, 3) digit triplets -> 100 d1 + 10 d2 + d3."""
    digits = digits.long()
    if digits.ndim == 1:
        return digits
    if digits.ndim == 2 and digits.shape[1] == 3:
        return 100 * digits[:, 0] + 10 * digits[:, 1] + digits[:, 2]
    raise ValueError(f"expected (N,) digits or (N, 3) triplets, got {tuple(digits.shape)}")


def mode_coverage(ids: torch.Tensor, n_modes: int) -> dict[str, float | int]:
    counts = torch.bincount(ids.long(), minlength=n_modes)
    return {
        "modes_covered": int((counts > 0).sum()),
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
