"""The final evaluation of anything scored (a trained variant, a plug-in, a reference row): its
typed heads (ganbench.core.heads) through the evaluator of the data's task."""

from __future__ import annotations

import torch

from ganbench.core.config import EvalSizes
from ganbench.core.heads import Heads
from ganbench.data.base import Dataset
from ganbench.metrics.evaluation import Evaluation


def score(
    heads: Heads,
    data: Dataset,
    sizes: EvalSizes,
    seed: int,
    features: str = "auto",
    device: torch.device | str = "cpu",
) -> Evaluation:
    """Translation data: the translate head (and translate_back) against the held-out pairs;
    generation data: the generate head's samples."""
    if data.spec.task == "translation":
        from ganbench.metrics.translation_suite import evaluate_translation

        if heads.translate is None:
            raise ValueError(f"{data.spec.name!r} is a translation set: a translate head is needed")
        return with_dataset_columns(
            evaluate_translation(
                heads.translate, data, sizes, seed, features, device,
                translate_back=heads.translate_back,
            ),
            data,
        )  # fmt: skip
    from ganbench.metrics.evaluate import evaluate

    if heads.generate is None:
        raise ValueError(f"{data.spec.name!r} is a generation set: a generate head is needed")
    ev = evaluate(heads.generate, data, sizes, seed, features, device, fresh=heads.fresh)
    return with_dataset_columns(ev, data)


def with_dataset_columns(ev: Evaluation, data: Dataset) -> Evaluation:
    """The split sizes and, for your own data, the full source (the name is its slug)."""
    ev.extra.setdefault("n_train", len(data.train))
    ev.extra.setdefault("n_test", len(data.test))
    if data.source and data.spec.name.startswith(("folder-", "npz-", "tv-", "ref-")):
        ev.extra.setdefault("dataset_source", data.source)
    return ev
