"""Which way is better for each metric column: the one table reports and `compare` read.

HIGHER / LOWER: larger / smaller values are better. A float target (e.g. 0.0 for the C_T
memorization statistic) means closer to it is better. REAL: closer to the same statistic on
held-out real data is better (REFERENCE names that column); a generator of pure noise is the most
"diverse" and the most "authentic", so neither extreme may win. None: descriptive only (a
reference value, a spread, a count), never ranked. Columns not listed fall back on name patterns.
"""

from __future__ import annotations

import math

HIGHER = "higher"
LOWER = "lower"
REAL = "real"

# metric -> the column holding the same statistic on held-out real data
REFERENCE: dict[str, str] = {"msssim_gen": "msssim_real", "authenticity": "authenticity_real"}

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
    "msssim_gen": REAL,  # AC-GAN: MS-SSIM of random generated pairs, read against real pairs
    "msssim_real": None,  # the same on real pairs: the reference, not a score
    # memorization
    "nn_ratio": 1.0,  # generated->train NN distance over test->train: < 1 copying, > 1 off-data
    "authenticity": REAL,  # Alaa et al. 2022: even held-out real data is only ~60% "authentic"
    "authenticity_real": None,
    "ct_z": 0.0,  # Meehan et al. 2020 C_T: << 0 data-copying, >> 0 under-fitting
    # mode coverage (2-D mixtures and classifier modes on images)
    "modes_covered": HIGHER,
    "modes_significant": HIGHER,  # classifier modes holding >= half their uniform share
    "modes_total": None,
    "hq_fraction": HIGHER,
    "reverse_kl": LOWER,
    # translation (metrics/translation_suite.py): against the ground truth of held-out pairs
    "l1": LOWER,  # mean |output - truth|, [0, 1] scale
    "psnr": HIGHER,  # dB, each image capped at 100 (metrics/paired.PSNR_CAP)
    "ssim": HIGHER,  # single-scale SSIM (Wang et al. 2004), 1 = identical
    "hole_l1": LOWER,  # inpainting: the same on the hole only (Context Encoder protocol)
    "hole_l2": LOWER,
    "hole_psnr": HIGHER,
    "label_preservation": HIGHER,  # target-domain classifier accuracy vs the source's digit
    "label_preservation_real": None,  # the same on the ground truth: the reference
    "fid_real": None,  # ground truth vs the FID reference: what a perfect translator scores
    "kid_mean_real": None,
    "kid_std_real": None,
    "cycle_l1": LOWER,  # two-way variants: l1(translate_back(translate(a)), a)
    # typed heads (metrics/heads.py), after training, on the held-out split
    "classify_accuracy": HIGHER,  # SGAN's / AC-GAN's classifier head against the labels
    "recon_error": LOWER,  # encoder variants: per-element MSE of G(encode(x)) vs x
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
    if d == REAL:
        return "→real"
    return ""


def _missing(v: float | None) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def badness(metric: str, value: float, reference: float | None = None) -> float:
    """A number where smaller is better (NaN for descriptive metrics or missing values).
    `reference`: the real-data value, for metrics whose direction is REAL."""
    d = direction(metric)
    if _missing(value) or d is None:
        return math.nan
    if d == HIGHER:
        return -float(value)
    if d == LOWER:
        return float(value)
    if d == REAL:
        return math.nan if _missing(reference) else abs(float(value) - float(reference))
    return abs(float(value) - float(d))


def references(frame, metric: str, suffix: str = "_mean") -> list[float | None]:
    """Per row of a summary (suffix `_mean`) or leaderboard (suffix ``) frame: the real-data
    reference value for `metric`, or None when it has none."""
    ref = REFERENCE.get(metric)
    col = f"{ref}{suffix}" if ref else None
    if col is None or col not in frame:
        return [None] * len(frame)
    return [None if _missing(v) else float(v) for v in frame[col]]


def better(metric: str, a: float, b: float, reference: float | None = None) -> bool | None:
    """True when a is better than b, False when worse or equal, None when not ranked."""
    ba, bb = badness(metric, a, reference), badness(metric, b, reference)
    if math.isnan(ba) or math.isnan(bb):
        return None
    return ba < bb
