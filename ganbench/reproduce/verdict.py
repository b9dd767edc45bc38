"""Ours against the paper: mean and standard error over trials, and the verdict rule.

verdict = "not converged"  when any trial's run says converged = False: a number of a run that
                           had not settled is no result, so neither agreement nor disagreement
                           is claimed (the row still shows the numbers)
          "agrees"         when |ours - paper| <= 2 * sqrt(paper_err² + ours_err²)
          "higher"/"lower" otherwise, by the sign of ours - paper
A missing error bar (the paper gives none; a single trial) counts as 0 in the combined error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

AGREES, HIGHER, LOWER, NOT_CONVERGED = "agrees", "higher", "lower", "not converged"
NO_TRIALS = "no trials"


def mean_and_se(values: Sequence[float]) -> tuple[float, float | None]:
    """Mean and standard error (sample std, ddof 1, over sqrt n); se is None for n < 2."""
    n = len(values)
    if n == 0:
        return math.nan, None
    mean = sum(values) / n
    if n < 2:
        return mean, None
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(var / n)


def verdict(
    paper_mean: float,
    paper_err: float | None,
    ours_mean: float,
    ours_err: float | None,
    converged: bool | None = None,
) -> str:
    """The rule in the module docstring; converged None means unknown (not checked)."""
    if math.isnan(ours_mean):
        return NO_TRIALS
    if converged is False:
        return NOT_CONVERGED
    combined = 2.0 * math.hypot(paper_err or 0.0, ours_err or 0.0)
    diff = ours_mean - paper_mean
    if abs(diff) <= combined:
        return AGREES
    return HIGHER if diff > 0 else LOWER


def n_converged(rows: Sequence[dict]) -> int:
    return sum(r.get("converged") in (True, "True", "true", 1) for r in rows)


def all_converged(rows: Sequence[dict]) -> bool | None:
    """False when any row says converged false, True when all say true, None when none says."""
    flags = [r.get("converged") for r in rows if r.get("converged") not in (None, "")]
    if not flags:
        return None
    return all(f in (True, "True", "true", 1) for f in flags)
