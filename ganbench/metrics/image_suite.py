"""Image metrics for one generator (filled in by the metric suite: IS/FID/KID, PRDC, MS-SSIM,
memorization, classifier modes). Until then only the sample count is recorded."""

from __future__ import annotations

import torch

from ganbench.config import EvalSizes
from ganbench.data.base import Dataset


def evaluate_images(sampler, dataset: Dataset, sizes: EvalSizes, seed: int, features: str,
                    device: torch.device | str):
    from ganbench.evaluate import Evaluation, draw

    x = draw(sampler, min(sizes.n_gen_image, 64), dataset)
    return Evaluation({}, "", len(x), len(dataset.test), artifacts={"samples": x})
