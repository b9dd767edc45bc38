"""Numbers as the report prints them: short, no exponent for plain large numbers, booleans as
true / false, and mean ± 95% CI half-width."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def fmt(v: Any, digits: int = 4) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if type(v).__name__ in ("bool", "bool_"):  # Python's or NumPy's
        return str(v).lower()  # converged, stopped_by_time: true / false, never 1 / 0
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    if f == int(f) and abs(f) < 1e6:
        return str(int(f))
    if 10 ** (digits - 1) <= abs(f) < 1e6:  # no exponent for large plain numbers
        return f"{f:.0f}"
    return f"{f:.{digits}g}"


def fmt_ci(mean: float, ci: float) -> str:
    if mean is None or math.isnan(mean):
        return "–"
    if ci is None or math.isnan(ci):
        return fmt(mean)
    if abs(ci) < 1e-9 * max(1.0, abs(mean)):  # floating-point noise of identical seeds
        ci = 0.0
    return f"{fmt(mean)} ± {fmt(ci, 2)}"
