"""The 'classifier' that variants' own extra metrics need (label accuracy, code accuracy),
injected by the harness: variants never import metrics (ganbench.harness.suite sets `variant.oracle`).

On the 2-D mixtures the class of a sample is its nearest centre (the mode index); on 28 px
digits, the project MNIST CNN's prediction; elsewhere there is none (None).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ganbench.data.base import Dataset

Oracle = Callable[[torch.Tensor, Dataset, torch.device], "torch.Tensor | None"]


def project_oracle(x: torch.Tensor, data: Dataset, device: torch.device) -> torch.Tensor | None:
    """Class of each sample, as int64 on the CPU; None when the data have no classifier."""
    if data.spec.kind == "points":
        return torch.cdist(x.float().cpu(), data.mixture.centres.float().cpu()).argmin(1)
    if tuple(data.spec.shape) != (1, 28, 28):
        return None
    from ganbench.metrics.classifier import classify

    return classify(x, device).cpu().long()
