"""Which way is better for each metric column: the one table reports and `compare` read.

HIGHER / LOWER: larger / smaller values are better. A float target (e.g. 0.0 for the C_T
memorization statistic) means closer to it is better. None: descriptive only (a reference value,
a spread, a count), never ranked. Columns not listed fall back on name patterns, else None.
"""

from __future__ import annotations

import math

HIGHER = "higher"
LOWER = "lower"

DIRECTIONS: dict[str, str | float | None] = {
    # image quality / diversity
    "is_mean": HIGHER,  # Inception Score (Salimans et al. 2016)
    "is_std": None,
    "fid": LOWER,  # Fréchet distance (Heusel et al. 2017)
    "kid_mean": LOWER,  # kernel inception distance (Bińkowski et al. 2018)
    "kid_std": None,
    "precision": HIGHER,  # Kynkäänniemi et al. 2019
    "recall": HIGHER,
    "density": HIGHER,  # Naeem et al. 2020 (can exceed 1)
    "coverage": HIGHER,
    "msssim_gen": LOWER,  # AC-GAN: mean MS-SSIM of random generated pairs; lower = more diverse
    "msssim_real": None,  # the same on real pairs: the reference, not a score
    # memorization
    "nn_ratio": HIGHER,  # generated->train NN distance over test->train; < 1 hints at copying
    "authenticity": HIGHER,  # Alaa et al. 2022: fraction of authentic (non-copied) samples
    "authenticity_real": None,
    "ct_z": 0.0,  # Meehan et al. 2020 C_T: << 0 data-copying, >> 0 under-fitting
    # mode coverage (2-D mixtures and classifier modes on images)
    "modes_covered": HIGHER,
    "modes_total": None,
    "hq_fraction": HIGHER,
    "reverse_kl": LOWER,
    # cost
    "wall_seconds": LOWER,
    "train_seconds": LOWER,
    "eval_seconds": LOWER,
}

_PATTERNS: list[tuple[tuple[str, ...], str]] = [
    (("_acc", "accuracy"), HIGHER),
    (("_error", "_loss", "_mse", "_distance"), LOWER),
]


def direction(metric: str) -> str | float | None:
    if metric in DIRECTIONS:
        return DIRECTIONS[metric]
    for suffixes, d in _PATTERNS:
        if any(metric.endswith(s) for s in suffixes):
            return d
    return None


def arrow(metric: str) -> str:
    """↑ higher is better, ↓ lower is better, →t closer to t is better, '' descriptive."""
    d = direction(metric)
    if d == HIGHER:
        return "↑"
    if d == LOWER:
        return "↓"
    if isinstance(d, float):
        return f"→{d:g}"
    return ""


def badness(metric: str, value: float) -> float:
    """A number where smaller is better (NaN for descriptive metrics or missing values)."""
    d = direction(metric)
    if value is None or (isinstance(value, float) and math.isnan(value)) or d is None:
        return math.nan
    if d == HIGHER:
        return -float(value)
    if d == LOWER:
        return float(value)
    return abs(float(value) - float(d))


def better(metric: str, a: float, b: float) -> bool | None:
    """True when a is better than b, False when worse or equal, None when not ranked."""
    ba, bb = badness(metric, a), badness(metric, b)
    if math.isnan(ba) or math.isnan(bb):
        return None
    return ba < bb
