"""Memorization: copies of the training set are flagged, fresh data sits at the real baseline."""

import torch

from ganbench.core.config import get_preset
from ganbench.data import get_dataset
from ganbench.metrics.image_suite import evaluate_images
from ganbench.metrics.memorization import kmeans_cells, memorization


def gaussian(n, seed, d=10):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def test_feature_space_anchors():
    """METRIC_PROTOCOLS 6.8: 10-D N(0, I), T 2,000, P 1,000, Q 1,000, k = 5, tau = 20/m."""
    train, held = gaussian(2000, 0), gaussian(1000, 1)
    idx = torch.randint(2000, (1000,), generator=torch.Generator().manual_seed(2))
    copies = train[idx] + 1e-3 * gaussian(1000, 3)
    fresh = gaussian(1000, 4)
    cells = kmeans_cells(train, 5)  # the anchor's k = 5
    m_copy, pairs = memorization(train, held, copies, centres=cells)
    m_fresh, _ = memorization(train, held, fresh, centres=cells)
    assert m_copy["authenticity"] < 0.01 and m_copy["nn_ratio"] < 0.01 and m_copy["ct_z"] < -10
    assert abs(m_fresh["ct_z"]) < 3 and 0.8 < m_fresh["nn_ratio"] < 1.25
    assert abs(m_fresh["authenticity"] - m_fresh["authenticity_real"]) < 0.08
    assert pairs["distance"][0] < 0.01
    assert pairs["train_index"][0] == int(idx[pairs["gen_index"][0]])


def _score(images_fn):
    data = get_dataset("mnist")
    g = torch.Generator().manual_seed(0)

    def sampler(n):
        return images_fn(data, n, g)

    return evaluate_images(sampler, data, get_preset("smoke").eval, 0, "auto", "cpu")


def test_generator_returning_training_images_is_flagged():
    def copies(data, n, g):
        idx = torch.randint(len(data.train), (n,), generator=g)
        return (data.train[idx] + 0.01 * torch.randn(n, 1, 28, 28, generator=g)).clamp(-1, 1)

    ev = _score(copies)
    m = ev.metrics
    assert m["authenticity"] < 0.05 and m["nn_ratio"] < 0.3 and m["ct_z"] < -3
    pairs = ev.artifacts["closest_pairs"]
    assert len(pairs["gen_index"]) == 8 and pairs["distance"] == sorted(pairs["distance"])


def test_generator_returning_held_out_images_sits_at_the_real_baseline():
    def heldout(data, n, g):
        idx = torch.randint(len(data.test), (n,), generator=g)
        return (data.test[idx] + 0.01 * torch.randn(n, 1, 28, 28, generator=g)).clamp(-1, 1)

    m = _score(heldout).metrics
    assert abs(m["authenticity"] - m["authenticity_real"]) < 0.15
    assert m["nn_ratio"] > 0.8 and abs(m["ct_z"]) < 3
