"""The VEEGAN/PacGAN mode-coverage protocol, fed constructed samplers with known answers."""

import math

import pytest
import torch

from ganbench.data import get_dataset
from ganbench.data.mixtures import grid25_mixture, ring8_mixture, sample_mixture
from ganbench.metrics.modes import mixture_coverage

N = 2500  # the papers' evaluation size


def _from_modes(mixture, modes, n=N, seed=0):
    g = torch.Generator().manual_seed(seed)
    idx = torch.tensor(modes)[torch.randint(len(modes), (n,), generator=g)]
    return mixture.centres[idx] + mixture.sigma * torch.randn(n, 2, generator=g)


def test_ring8_has_eight_distinct_centres_on_the_unit_circle():
    c = ring8_mixture().centres
    assert len(torch.unique(c.round(decimals=6), dim=0)) == 8  # the linspace(0, 2π, 8) bug gives 7
    assert torch.allclose(c.norm(dim=1), torch.ones(8), atol=1e-6)
    assert ring8_mixture().sigma == 0.01 and grid25_mixture().sigma == 0.05


def test_grid25_centres():
    c = grid25_mixture().centres
    assert c.shape == (25, 2)
    assert set(c.flatten().tolist()) == {-4.0, -2.0, 0.0, 2.0, 4.0}


@pytest.mark.parametrize("mixture", [ring8_mixture(), grid25_mixture()], ids=["ring8", "grid25"])
def test_true_mixture_scores_all_modes(mixture):
    x, _ = sample_mixture(mixture, N, torch.Generator().manual_seed(1))
    r = mixture_coverage(x, mixture.centres, mixture.sigma)
    m = len(mixture.centres)
    assert r["modes_covered"] == m and r["modes_total"] == m
    assert abs(r["hq_fraction"] - (1 - math.exp(-4.5))) < 0.015  # P(chi_2 <= 3) = 0.98889
    assert r["reverse_kl"] < (0.01 if m == 8 else 0.02)


def test_five_of_eight_ring_modes():
    mix = ring8_mixture()
    r = mixture_coverage(_from_modes(mix, [0, 2, 3, 5, 7]), mix.centres, mix.sigma)
    assert r["modes_covered"] == 5
    # p̂ is uniform over 5 of 8 bins: KL = log(8/5)
    assert r["reverse_kl"] == pytest.approx(math.log(8 / 5), abs=0.01)


def test_samples_far_from_every_mode_are_not_high_quality():
    mix = ring8_mixture()
    far = torch.randn(N, 2, generator=torch.Generator().manual_seed(2)) * 0.05 + 3.0
    r = mixture_coverage(far, mix.centres, mix.sigma)
    assert r["hq_fraction"] == 0.0 and r["modes_covered"] == 0


def test_single_mode_gives_log_m():
    mix = grid25_mixture()
    r = mixture_coverage(mix.centres[[7]].repeat(N, 1), mix.centres, mix.sigma)
    assert r["modes_covered"] == 1
    assert r["reverse_kl"] == pytest.approx(math.log(25))


def test_hq_boundary_is_three_sigma():
    mix = ring8_mixture()
    inside = mix.centres[0] + torch.tensor([[2.99 * mix.sigma, 0.0]])
    outside = mix.centres[0] + torch.tensor([[3.01 * mix.sigma, 0.0]])
    assert mixture_coverage(inside, mix.centres, mix.sigma)["hq_fraction"] == 1.0
    assert mixture_coverage(outside, mix.centres, mix.sigma)["hq_fraction"] == 0.0


def test_datasets_are_fixed_and_split():
    a, b = get_dataset("ring8"), get_dataset("grid25")
    assert a.train.shape == (100_000, 2) and a.test.shape == (10_000, 2)
    r = mixture_coverage(b.test[:N], b.mixture.centres, b.mixture.sigma)
    assert r["modes_covered"] == 25


def test_mnist_split_is_stratified_and_scaled():
    d = get_dataset("mnist")
    assert d.train.shape == (4000, 1, 28, 28) and d.test.shape == (1000, 1, 28, 28)
    assert torch.bincount(d.test_labels).tolist() == [100] * 10
    assert torch.bincount(d.train_labels).tolist() == [400] * 10
    assert d.train.min() >= -1 and d.train.max() <= 1 and d.train.max() > 0.99
