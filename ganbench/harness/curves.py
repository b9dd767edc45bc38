"""Convergence curves: cheap metrics of the generator at fixed steps during training, and the rule
that reads a curve as converged or not (docs/metrics.md, "Convergence curves").

  schedule   eval_schedule(steps): >= 10 log-spaced steps from ~steps/100 to steps, plus 50%, 62.5%,
             75%, 87.5% and 100% of the budget, so the final half (where `converged` looks) has
             enough points.
  metrics    points (2-D mixtures): mixture_coverage on CURVE_POINTS = 2,500 samples, as the
             final evaluation (modes_covered, modes_total, hq_fraction, reverse_kl);
             images: fid, precision, recall of CURVE_GEN = 500 generated images against a fixed
             subset of CURVE_REAL = 500 held-out images, in the project feature space (Inception
             for datasets it does not cover). Real features are computed once per run.
             translation: l1, psnr (+ psnr_se), ssim and fid of the translations of CURVE_PAIRS = 150 fixed
             held-out pairs (image_suite.real_subset, seed 0: the same pairs at every checkpoint
             and for every seed) against their ground truth (fid: against those 150 targets, in
             the target domain's feature space).
  converged  the headline metric is steady over the evaluations in the final half of training
             (steps >= half the last evaluated step), with at least MIN_FINAL_EVALS of them:
             points: max - min of hq_fraction <= HQ_TOL and of modes_covered <=
             max(1, floor(MODES_REL_TOL * modes_total)); images: max - min of fid <=
             max(FID_REL_TOL * f, FID_SQRT_TOL * sqrt(f)), f the final fid; translation: max -
             min of psnr <= max(PSNR_TOL, PSNR_SE_TOL * psnr_se), psnr_se the standard error of
             the final evaluation's mean PSNR (sd of its per-image PSNRs / sqrt(pairs)).
             And it has learned: the final value is better than the first evaluation's by more
             than the same tolerance (points: hq_fraction up by more than HQ_TOL, or
             modes_covered up by more than the modes tolerance). A generator that is steady
             because it never moved from where training left it at the first checkpoint (a flat
             start: a parked generator, a translator stuck at its initial map) is not a result.
             A non-finite value is never converged.
  verdict    convergence(curve, kind) names the outcome: `converged`, `moving` (the final half
             is not steady), `flat` (steady, but no better than the first evaluation), `short`
             (fewer than MIN_FINAL_EVALS in the final half) or `non-finite`.
  best_step  the evaluated step with the best headline: points max hq_fraction, ties by more
             modes_covered, then the earlier step; images min fid, translation max psnr, ties the
             earlier step.

The tolerances come from the metrics' own noise at these sample sizes (scripts/curve_noise.py;
figures in docs/metrics.md).
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganbench.data.base import Dataset
from ganbench.metrics.evaluation import Sampler, SamplerError, draw
from ganbench.metrics.modes import mixture_coverage

CURVE_POINTS = 2500  # VEEGAN / PacGAN evaluation size, as the final 2-D evaluation
CURVE_GEN = 500  # generated images per checkpoint
CURVE_REAL = 500  # fixed held-out subset (metrics/image_suite.real_subset, seed 0)
MIN_LOG_POINTS = 10
FINAL_FRACTIONS = (0.5, 0.625, 0.75, 0.875, 1.0)

MIN_FINAL_EVALS = 3
HQ_TOL = 0.05  # absolute, hq_fraction
MODES_REL_TOL = 0.10  # of modes_total, at least one mode
FID_REL_TOL = 0.10  # of the final fid
# FID's sampling sd at 500 vs 500 grows like ~0.16 sqrt(FID) (measured, scripts/curve_noise.py), so
# below FID ~100 the 10% would be inside the noise: the tolerance is never below 1.0 sqrt(fid)
FID_SQRT_TOL = 1.0
CURVE_PAIRS = 150  # translation: fixed held-out pairs per checkpoint
# translation: over 6 resamples of the 500 pairs, the 99th percentile of the spread of the mean
# PSNR is 4.6-4.8 standard errors for every reference translator measured
# (scripts/translation_curve_noise.py; docs/metrics.md): a final half within 5 SE has moved no
# more than the number's own uncertainty. Floor 0.5 dB (~12% in MSE, as the image rule's 10%).
PSNR_SE_TOL = 5.0
PSNR_TOL = 0.5

COLUMNS = {
    "points": ["modes_covered", "modes_total", "hq_fraction", "reverse_kl"],
    "image": ["fid", "precision", "recall"],
    "translation": ["l1", "psnr", "psnr_se", "ssim", "fid"],
}
HEADLINE = {"points": "hq_fraction", "image": "fid", "translation": "psnr"}


def eval_schedule(steps: int) -> list[int]:
    """Increasing, distinct steps in [1, steps]: log-spaced from ~steps/100 (at least
    MIN_LOG_POINTS of them where the budget has that many steps), the final-half fractions, and
    always `steps` itself."""
    if steps < 1:
        return []
    lo = max(1, round(steps / 100))
    want = min(MIN_LOG_POINTS, steps - lo + 1)
    log_points: set[int] = set()
    n = MIN_LOG_POINTS
    while len(log_points) < want:  # small budgets round log points together: ask for more
        log_points = {int(round(v)) for v in np.geomspace(lo, steps, n)}
        n += 1
    final = {max(1, int(round(f * steps))) for f in FINAL_FRACTIONS}
    return sorted(log_points | final | {steps})


def kind_of(dataset: Dataset) -> str:
    if dataset.spec.kind in ("points", "translation"):
        return dataset.spec.kind
    return "image"


class CurveEvaluator:
    """The cheap checkpoint metrics for one dataset; built once per run (real features cached)."""

    def __init__(
        self, dataset: Dataset, features: str = "auto", device: torch.device | str = "cpu"
    ) -> None:
        self.dataset, self.device, self.kind = dataset, torch.device(device), kind_of(dataset)
        self.columns = COLUMNS[self.kind]
        if self.kind == "translation":
            self._init_translation(features)
        if self.kind == "image":
            from ganbench.metrics.features import PROJECT_DATASETS, resolve_feature_space
            from ganbench.metrics.fidelity import real_features
            from ganbench.metrics.image_suite import real_subset

            name = dataset.spec.name
            self.space = resolve_feature_space(
                "auto" if name in PROJECT_DATASETS else features, name
            )
            ref = real_subset(len(dataset.test), CURVE_REAL)
            test = real_features(dataset, "test", self.space, device)["features"]
            self.real = test[ref].to(self.device)

    def _init_translation(self, features: str) -> None:
        """The fixed pairs, their masks and the features of their ground truth (once per run)."""
        from ganbench.metrics.features import resolve_feature_space
        from ganbench.metrics.fidelity import real_features
        from ganbench.metrics.image_suite import real_subset

        data = self.dataset
        self.pairs = real_subset(len(data.test), CURVE_PAIRS)
        self.source, self.truth = data.test_source[self.pairs], data.test[self.pairs]
        inpainting = data.spec.relation == "inpainting"
        self.masks = data.test_mask[self.pairs] if inpainting else None
        self.space = resolve_feature_space(features, data.spec.name)
        test = real_features(data, "test", self.space, self.device)["features"]
        self.real = test[self.pairs]

    def _translation(self, translate) -> dict[str, float]:
        from ganbench.metrics import paired
        from ganbench.metrics.features import extract
        from ganbench.metrics.fidelity import fid
        from ganbench.metrics.translation_suite import checked_call

        try:
            out = checked_call(
                translate, self.source, self.masks, tuple(self.dataset.spec.shape), self.device
            )
        except SamplerError:
            return dict.fromkeys(self.columns, math.nan)
        gen = extract(self.space, out, self.device)["features"]
        per = paired.psnr_per_image(out, self.truth)
        return {
            "l1": paired.l1(out, self.truth),
            "psnr": float(per.mean()),
            "psnr_se": float(per.std() / math.sqrt(len(per))) if len(per) > 1 else 0.0,
            "ssim": paired.ssim(out, self.truth),
            "fid": fid(gen, self.real),
        }

    def __call__(self, sampler: Sampler) -> dict[str, float]:
        """The metrics of one checkpoint; NaN for all when the generator gives non-finite values
        (a diverging run between two loss checks). Translation: `sampler` is the translate head
        (a, mask) -> b."""
        if self.kind == "translation":
            return self._translation(sampler)
        if self.kind == "points":
            try:
                x = draw(sampler, CURVE_POINTS, self.dataset)
            except SamplerError:
                m = self.dataset.mixture
                return {**dict.fromkeys(self.columns, math.nan), "modes_total": len(m.centres)}
            m = self.dataset.mixture
            return dict(mixture_coverage(x, m.centres, m.sigma))
        from ganbench.metrics.features import extract
        from ganbench.metrics.fidelity import fid
        from ganbench.metrics.prdc import prdc

        try:
            x = draw(sampler, CURVE_GEN, self.dataset)
        except SamplerError:
            return dict.fromkeys(self.columns, math.nan)
        gen = extract(self.space, x, self.device)["features"]
        from ganbench.metrics.image_suite import MIN_SAMPLES

        need_gen, need_ref = MIN_SAMPLES["prdc"]
        if len(self.real) < need_ref or len(gen) < need_gen:  # a tiny dataset: no neighbours
            pr = {"precision": math.nan, "recall": math.nan}
        else:
            pr = prdc(self.real, gen.to(self.device))
        return {
            "fid": fid(gen, self.real.cpu()) if len(self.real) >= 2 else math.nan,
            "precision": pr["precision"],
            "recall": pr["recall"],
        }


class CurveRecorder:
    """The on_checkpoint callback of train(): evaluates a fresh sampler (same noise every time)
    and keeps one row per checkpoint: step, seconds (training time so far), the metrics."""

    def __init__(self, evaluator: CurveEvaluator, make_sampler: Callable[[], Sampler]) -> None:
        self.evaluator, self.make_sampler = evaluator, make_sampler
        self.rows: list[dict[str, Any]] = []
        self.eval_seconds = 0.0
        self._start = time.perf_counter()

    def __call__(self, step: int) -> None:
        t = time.perf_counter()
        metrics = self.evaluator(self.make_sampler())
        now = time.perf_counter()
        seconds = t - self._start - self.eval_seconds
        self.eval_seconds += now - t
        self.rows.append({"step": int(step), "seconds": round(seconds, 3), **metrics})

    @property
    def columns(self) -> list[str]:
        return ["step", "seconds", *self.evaluator.columns]

    def state(self) -> dict[str, Any]:
        """The curve so far, to go on from after a resume (ganbench/harness/partial.py)."""
        elapsed = time.perf_counter() - self._start
        return {"rows": [dict(r) for r in self.rows], "eval_seconds": self.eval_seconds,
                "elapsed": elapsed}  # fmt: skip

    def load_state(self, state: dict[str, Any]) -> None:
        """Go on from `state`: its rows, and its clock (`seconds` continue where they were)."""
        self.rows = [dict(r) for r in state["rows"]]
        setup = self.eval_seconds  # this attempt's set-up (real features) is a cost too
        self.eval_seconds = setup + state["eval_seconds"]
        self._start = time.perf_counter() - state["elapsed"] - setup


# --- reading a curve ---------------------------------------------------------------------------


def _final_half(curve: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if not curve:
        return []
    last = max(int(r["step"]) for r in curve)
    return sorted((r for r in curve if 2 * int(r["step"]) >= last), key=lambda r: int(r["step"]))


def _values(rows: Sequence[Mapping[str, Any]], key: str) -> list[float]:
    return [float(r[key]) for r in rows]


def _spread(vals: list[float]) -> float:
    return max(vals) - min(vals)


VERDICTS = ("converged", "moving", "flat", "short", "non-finite")


def convergence(curve: Sequence[Mapping[str, Any]], kind: str) -> str:
    """What the curve says (module docstring): `converged` only when the headline metric is steady
    over the final half and better than at the first evaluation by more than the tolerance."""
    if kind not in HEADLINE:
        raise ValueError(f"unknown curve kind {kind!r}; expected one of {', '.join(HEADLINE)}")
    tail = _final_half(curve)
    if len(tail) < MIN_FINAL_EVALS:
        return "short"
    first = min(curve, key=lambda r: int(r["step"]))
    if kind == "points":
        hq, modes = _values(tail, "hq_fraction"), _values(tail, "modes_covered")
        start = [float(first["hq_fraction"]), float(first["modes_covered"])]
        if not all(math.isfinite(v) for v in hq + modes + start):
            return "non-finite"
        total = int(float(tail[-1]["modes_total"]))
        modes_tol = max(1, math.floor(MODES_REL_TOL * total))
        steady = _spread(hq) <= HQ_TOL + 1e-12 and _spread(modes) <= modes_tol
        learned = hq[-1] - start[0] > HQ_TOL + 1e-12 or modes[-1] - start[1] > modes_tol
    elif kind == "image":
        f, f0 = _values(tail, "fid"), float(first["fid"])
        if not all(math.isfinite(v) for v in [*f, f0]):
            return "non-finite"
        final = max(f[-1], 0.0)
        tol = max(FID_REL_TOL * final, FID_SQRT_TOL * math.sqrt(final))
        steady, learned = _spread(f) <= tol, f0 - f[-1] > tol
    else:
        p, p0 = _values(tail, "psnr"), float(first["psnr"])
        if not all(math.isfinite(v) for v in [*p, p0]):
            return "non-finite"
        se = float(tail[-1].get("psnr_se", 0.0))
        tol = max(PSNR_TOL, PSNR_SE_TOL * (se if math.isfinite(se) else 0.0)) + 1e-12
        steady, learned = _spread(p) <= tol, p[-1] - p0 > tol
    if not steady:
        return "moving"
    return "converged" if learned else "flat"


def converged(curve: Sequence[Mapping[str, Any]], kind: str) -> bool:
    """True when convergence(curve, kind) is `converged`."""
    return convergence(curve, kind) == "converged"


def best_step(curve: Sequence[Mapping[str, Any]], kind: str) -> int:
    """The evaluated step with the best headline metric (module docstring); -1 for an empty curve
    or one without a finite headline value."""

    if kind not in HEADLINE:
        raise ValueError(f"unknown curve kind {kind!r}; expected one of {', '.join(HEADLINE)}")
    rows = [r for r in curve if math.isfinite(float(r[HEADLINE[kind]]))]
    if not rows:
        return -1

    def key(r: Mapping[str, Any]) -> tuple[float, float, int]:
        if kind == "points":
            modes = float(r["modes_covered"])
            return (
                -float(r["hq_fraction"]),
                -modes if math.isfinite(modes) else 0.0,
                int(r["step"]),
            )
        if kind == "translation":
            return (-float(r["psnr"]), 0.0, int(r["step"]))
        return (float(r["fid"]), 0.0, int(r["step"]))

    return int(min(rows, key=key)["step"])


# --- curve.csv ---------------------------------------------------------------------------------


def curve_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([r.get(c, "") for c in columns])
    return buf.getvalue()


def read_curve(path: Path) -> list[dict[str, float]]:
    """curve.csv as a list of rows of floats (NaN where a cell is empty or not a number)."""
    rows = []
    with open(path, newline="") as f:
        for rec in csv.DictReader(f):
            row = {}
            for k, v in rec.items():
                try:
                    row[k] = float(v)
                except (TypeError, ValueError):
                    row[k] = math.nan
            rows.append(row)
    return rows
