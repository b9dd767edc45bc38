"""Which rows are references, and what reports call them: held-out real data (`real`) and the
classical translation baselines (`bicubic`, `mean-fill`), origin `reference`. Row identity only:
the rows are scored by ganbench.harness.reference; leaderboards, reports and `compare` read this to
keep them apart from the variants (never ranked, never best-marked)."""

from __future__ import annotations

from typing import Any

REFERENCE_VARIANT = "real"
REFERENCE_ORIGIN = "reference"
REFERENCE_LABEL = "real data (reference)"
# No variant may take these names (ganbench.registry.register refuses them)
RESERVED_NAMES = ("real", "bicubic", "mean-fill")
REFERENCE_LABELS = {
    "real": REFERENCE_LABEL,
    "bicubic": "bicubic upsampling (baseline)",
    "mean-fill": "mean fill (baseline)",
}


def is_reference(variant: Any, origin: Any = None) -> bool:
    """True for a reference row (variant `real`, or a translation baseline `bicubic` /
    `mean-fill`; origin `reference` when the origin is known)."""
    if str(variant) not in RESERVED_NAMES:
        return False
    return not isinstance(origin, str) or origin == REFERENCE_ORIGIN


def drop_reference(frame):
    """A leaderboard or summary frame without its reference rows (by variant, and origin if any)."""
    origins = frame["origin"] if "origin" in frame else [None] * len(frame)
    keep = [not is_reference(v, o) for v, o in zip(frame["variant"], origins, strict=True)]
    return frame[keep]


def reference_label(variant: str) -> str:
    """How reports name a reference row: `real` -> REFERENCE_LABEL, baselines by their method."""
    return REFERENCE_LABELS.get(str(variant), REFERENCE_LABEL)
