"""Helpers shared by the conditional / latent-code / encoder variants: the 'classifier' a
generated sample is scored with (nearest centre on the 2-D mixtures, the project MNIST CNN on
28 px digits), label and code accuracies, cluster purity. (Classifier accuracy and reconstruction
error are scored from the typed heads by ganbench.metrics.heads.)
Not a variant module (the leading underscore keeps the zoo loader away)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from ganbench.data.base import Dataset

N_EXTRA = 1000  # samples behind each extra column


@contextmanager
def evaluating(*modules: nn.Module) -> Iterator[None]:
    """Eval mode (batch-norm running statistics) and no grad, restored afterwards."""
    modes = [m.training for m in modules]
    for m in modules:
        m.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for m, was in zip(modules, modes, strict=True):
            m.train(was)


def nearest_centre(points: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    return torch.cdist(points.float().cpu(), centres.float().cpu()).argmin(1)


def classify_samples(
    oracle, x: torch.Tensor, data: Dataset, device: torch.device
) -> torch.Tensor | None:
    """Class of each sample by the injected oracle (ganbench.metrics.oracle, set by the harness as
    `variant.oracle`); None when there is none."""
    return None if oracle is None else oracle(x, data, device)


def label_accuracy(
    variant, data: Dataset, device: torch.device, generator: torch.Generator, n: int = N_EXTRA
) -> dict[str, float]:
    """Fraction of samples G(z, y), y uniform, that the classifier puts in class y."""
    labels = torch.randint(data.spec.num_classes, (n,), device=device, generator=generator)
    x = variant.sample(n, device, generator, labels)
    pred = classify_samples(getattr(variant, "oracle", None), x, data, device)
    acc = math.nan if pred is None else float((pred == labels.cpu()).float().mean())
    return {"label_accuracy": acc}


def matched_accuracy(pred: torch.Tensor, truth: torch.Tensor, k_pred: int, k_true: int) -> float:
    """Accuracy of cluster ids `pred` against classes `truth` under the best one-to-one matching
    (Hungarian algorithm on the confusion counts), the usual unsupervised clustering accuracy."""
    from scipy.optimize import linear_sum_assignment

    counts = np.zeros((k_pred, k_true), dtype=np.int64)
    np.add.at(counts, (pred.cpu().numpy(), truth.cpu().numpy()), 1)
    rows, cols = linear_sum_assignment(-counts)
    return float(counts[rows, cols].sum() / max(len(pred), 1))


def purity(pred: torch.Tensor, truth: torch.Tensor, k_pred: int, k_true: int) -> float:
    """Cluster purity: each cluster counts its most frequent class."""
    counts = np.zeros((k_pred, k_true), dtype=np.int64)
    np.add.at(counts, (pred.cpu().numpy(), truth.cpu().numpy()), 1)
    return float(counts.max(1).sum() / max(len(pred), 1))


def held_out(data: Dataset, n: int = N_EXTRA) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The first n held-out samples (and labels): never trained on."""
    y = data.test_labels[:n] if data.test_labels is not None else None
    return data.test[:n], y

