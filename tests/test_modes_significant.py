"""`modes_significant`: classifier modes holding at least SIGNIFICANT_SHARE of their uniform share,
so that classifier mistakes are not counted as modes (`modes_covered` keeps the papers' count)."""

from __future__ import annotations

import pytest
import torch

from ganbench.core.config import get_preset
from ganbench.core.directions import HIGHER, direction
from ganbench.data import get_dataset
from ganbench.metrics.classifier import classify
from ganbench.metrics.classifier_modes import (
    SIGNIFICANT_SHARE,
    classifier_modes,
    confusion_matrix,
    mode_coverage,
    significant_modes,
)
from ganbench.metrics.image_suite import evaluate_images


@pytest.fixture(scope="module")
def digits():
    data = get_dataset("mnist")
    return data.test, data.test_labels


def k_class_generator(images, labels, classes, seed=0):
    """n -> real held-out digits of exactly `classes`, each class in turn (equal counts)."""
    pools = [images[labels == c] for c in classes]
    g = torch.Generator().manual_seed(seed)

    def sample(n: int) -> torch.Tensor:
        which = torch.arange(n) % len(pools)
        return torch.stack(
            [pools[w][torch.randint(len(pools[w]), (1,), generator=g)][0] for w in which.tolist()]
        )

    return sample


def test_rule_counts_modes_at_or_above_the_share():
    n_modes, n = 10, 1000  # uniform share 100; a mode counts at >= 0.5 * 100 = 50
    counts = torch.tensor([50, 49, 0, 1, 300, 600, 0, 0, 0, 0])
    assert counts.sum() == n and SIGNIFICANT_SHARE == 0.5
    assert significant_modes(counts) == 3  # 50, 300, 600; 49 and the single stray sample do not
    assert significant_modes(counts, share=0.0) == n_modes  # share 0: every class counts
    assert significant_modes(torch.zeros(10, dtype=torch.long)) == 0
    m = mode_coverage(torch.repeat_interleave(torch.arange(10), counts), n_modes)
    assert m["modes_covered"] == 5 and m["modes_significant"] == 3


def test_stacked_mnist_rule_uses_each_modes_uniform_share():
    # 1,000 modes, 26,000 samples: uniform share 26, threshold 13
    ids = torch.cat([torch.arange(500).repeat(13), torch.arange(500, 1000).repeat(12)])
    extra = torch.full((26_000 - len(ids),), 7)
    m = mode_coverage(torch.cat([ids, extra]), 1000)
    assert m["modes_covered"] == 1000 and m["modes_significant"] == 500


@pytest.mark.parametrize("k", range(1, 11))
def test_k_class_generator_reports_k(digits, k):
    images, labels = digits
    classes = torch.randperm(10, generator=torch.Generator().manual_seed(100 + k))[:k].tolist()
    n = get_preset("quick").eval.n_modes_image
    x = k_class_generator(images, labels, classes, seed=k)(n)
    m = classifier_modes(x, 10)
    assert m["modes_significant"] == k
    # beyond k, covered classes come only from classifier mistakes
    predicted = classify(x)
    in_set = torch.isin(predicted, torch.tensor(classes))
    strays = predicted[~in_set]
    assert m["modes_covered"] == k + len(strays.unique())


def test_the_column_is_in_the_image_suite(digits):
    images, labels = digits
    data = get_dataset("mnist")
    ev = evaluate_images(
        k_class_generator(images, labels, [2, 5, 8]),
        data,
        get_preset("smoke").eval,
        0,
        "auto",
        "cpu",
    )
    assert ev.metrics["modes_significant"] == 3 and ev.metrics["modes_covered"] >= 3
    assert direction("modes_significant") == HIGHER


def test_threshold_clears_the_feature_nets_held_out_confusion(digits):
    """What a class can gain from mistakes alone, relative to its uniform share, is at most
    10 x (the largest off-diagonal confusion rate); the threshold must stay well above it."""
    images, labels = digits
    cm = confusion_matrix(labels, classify(images), 10)
    rates = cm.double() / cm.sum(1, keepdim=True)
    rates.fill_diagonal_(0)
    assert 10 * float(rates.max()) <= SIGNIFICANT_SHARE / 2
