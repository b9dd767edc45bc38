"""What every evaluator shares: the Sampler type, `draw` (n checked samples from a sampler) and the
Evaluation it returns. Below evaluate.py and the metric suites, so they import this module and
never each other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from ganbench.data.base import Dataset

Sampler = Callable[[int], torch.Tensor]


class SamplerError(ValueError):
    """A sampler returned something that is not `n` finite samples of the dataset's shape."""


@dataclass
class Evaluation:
    metrics: dict[str, float | int]
    features: str = ""  # feature space of the image metrics, with the weights hash
    n_gen: int = 0
    n_real: int = 0
    artifacts: dict[str, Any] = field(default_factory=dict)  # e.g. closest generated/train pairs
    # bookkeeping columns beside the metrics (never averaged): n_fake, the reference split of
    # each metric family, the dataset's split sizes and source, why a metric is empty
    extra: dict[str, Any] = field(default_factory=dict)

    def columns(self) -> dict[str, Any]:
        """What a row gets from its evaluation: the metrics, then features, n_gen, n_real,
        n_fake (= n_gen unless the evaluator says otherwise) and the bookkeeping columns."""
        return {
            **self.metrics,
            "features": self.features,
            "n_gen": self.n_gen,
            "n_real": self.n_real,
            "n_fake": self.n_gen,
            **self.extra,
        }


def draw(sampler: Sampler, n: int, dataset: Dataset, chunk: int = 500) -> torch.Tensor:
    """n samples in chunks, checked against the dataset's shape, as float32 on the CPU."""
    parts, left = [], n
    while left > 0:
        k = min(chunk, left)
        x = sampler(k)
        if not isinstance(x, torch.Tensor):
            raise SamplerError(f"sampler returned {type(x).__name__}, expected a torch.Tensor")
        if tuple(x.shape) != (k, *dataset.spec.shape):
            raise SamplerError(
                f"sampler returned shape {tuple(x.shape)} for n={k}, expected {(k, *dataset.spec.shape)}"
            )
        parts.append(x.detach().float().cpu())
        left -= k
    out = torch.cat(parts)
    if not torch.isfinite(out).all():
        raise SamplerError("sampler returned NaN or inf values")
    return out
