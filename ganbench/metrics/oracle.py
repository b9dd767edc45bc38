"""The 'classifier' that variants' own extra metrics need (label accuracy, code accuracy),
injected by the harness: variants never import metrics (ganbench.harness.run sets
`variant.oracle`).

On the 2-D mixtures the class of a sample is its nearest centre (the mode index); on the 28 px
sets (and their 32 px padded copies) a project network covers (the MNIST digit sets,
fashion-mnist: features.project_domain), that network's prediction; elsewhere there is none
(None): the MNIST CNN never labels other data.
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
    from ganbench.metrics.features import project_domain

    domain = project_domain(data.spec.name)
    if tuple(data.spec.shape) not in ((1, 28, 28), (1, 32, 32)) or domain is None:
        return None  # 32 px: the padded digits, whose border classify crops
    from ganbench.metrics.classifier import classify

    return classify(x, device, domain=domain).cpu().long()
