"""Score a sampler (n -> samples) on a dataset with the metrics its kind calls for.
Metrics never see a variant: this is also the seam for plug-in generators."""

from __future__ import annotations

import torch

from ganbench.core.config import EvalSizes
from ganbench.data.base import Dataset

# Re-exported: the shared types live in ganbench.metrics.evaluation, below this module and the metric
# suites (which must import them from there, never from here: that was a cycle).
from ganbench.metrics.evaluation import Evaluation, Sampler, SamplerError, draw
from ganbench.metrics.modes import mixture_coverage

__all__ = ["Evaluation", "Sampler", "SamplerError", "draw", "evaluate"]


def evaluate(
    sampler: Sampler,
    dataset: Dataset,
    sizes: EvalSizes,
    seed: int,
    features: str = "auto",
    device: torch.device | str = "cpu",
    fresh: Sampler | None = None,
) -> Evaluation:
    """fresh: a reference row's real samples for the memorization family (core.heads.Heads)."""
    if dataset.spec.kind == "points":
        x = draw(sampler, sizes.n_points, dataset)
        m = dataset.mixture
        return Evaluation(
            mixture_coverage(x, m.centres, m.sigma),
            "",
            len(x),
            len(dataset.test),
            artifacts={"samples": x},
        )
    from ganbench.metrics.image_suite import evaluate_images  # heavy: only for image data

    return evaluate_images(sampler, dataset, sizes, seed, features, device, fresh=fresh)
