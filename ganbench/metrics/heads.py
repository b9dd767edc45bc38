"""Scores of a variant's typed heads (`classify`, `encode`; see ganbench.variants.base), computed
after training on the held-out split. The evaluator sees callables only (metrics never import
variants); the harness hands it `variant.head_fns()`, each head already in eval mode without grad.

    classify_accuracy  fraction of the held-out samples (all of data.test) whose argmax of
                       classify(x) is their label; NaN when the data have no labels
    recon_error        per-element MSE of generate(encode(x)) against x, averaged over the first
                       N_RECON held-out samples (the number the encoder variants always reported)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import torch

from ganbench.data.base import Dataset

Head = Callable[[torch.Tensor], torch.Tensor]
HEADS = ("classify", "encode")  # the typed heads scored here
COMPANIONS = ("generate",)  # what a head needs beside it: encode is read back through generate
N_RECON = 1000  # held-out samples behind recon_error
CHUNK = 500  # samples per forward pass


def classify_accuracy(
    classify: Head, data: Dataset, device: torch.device, n: int | None = None
) -> float:
    """Accuracy of argmax classify(x) against the labels of the first n held-out samples (all of
    them when n is None); NaN when the data have no labels."""
    if data.test_labels is None:
        return math.nan
    x, y = data.test[:n], data.test_labels[:n]
    k = data.spec.num_classes
    preds = []
    for chunk in x.split(CHUNK):
        logits = classify(chunk.to(device))
        if logits.ndim != 2 or logits.shape[1] != k:
            raise ValueError(
                f"classify must return logits of shape (N, {k}) for {data.spec.name!r}, "
                f"not {tuple(logits.shape)}"
            )
        preds.append(logits.argmax(1).cpu())
    return float((torch.cat(preds) == y).float().mean())


def recon_error(
    encode: Head, generate: Head, data: Dataset, device: torch.device, n: int = N_RECON
) -> float:
    """Mean over the first n held-out samples of the per-element squared error of
    generate(encode(x)) against x."""
    errs = []
    for chunk in data.test[:n].split(CHUNK):
        x = chunk.to(device)
        errs.append(((generate(encode(x)) - x) ** 2).flatten(1).mean(1).cpu())
    return float(torch.cat(errs).mean())


def score_heads(heads: Mapping[str, Head], data: Dataset, device: torch.device) -> dict[str, float]:
    """The row's columns for the heads given: classify -> classify_accuracy, encode (with
    generate) -> recon_error. No heads, no columns."""
    unknown = sorted(set(heads) - set(HEADS) - set(COMPANIONS))
    if unknown:
        raise ValueError(f"no metric for heads {unknown}; known: {', '.join(HEADS)}")
    row: dict[str, float] = {}
    if "classify" in heads:
        row["classify_accuracy"] = classify_accuracy(heads["classify"], data, device)
    if "encode" in heads:
        if "generate" not in heads:
            raise ValueError("the encode head is scored through generate; pass both")
        row["recon_error"] = recon_error(heads["encode"], heads["generate"], data, device)
    return row
