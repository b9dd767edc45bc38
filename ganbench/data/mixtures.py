"""The 2-D Gaussian mixtures of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018).

Parameters follow PacGAN's released configs (synthetic_data_experiments/2DRing_GAN&PacGAN and
2DGrid_GAN&PacGAN, config.py), which follow VEEGAN:
  ring8  : 8 centres (cos 2πk/8, sin 2πk/8), k = 0..7, radius 1, isotropic σ = 0.01
  grid25 : 25 centres {-4, -2, 0, 2, 4}², isotropic σ = 0.05
  100,000 training points. The ring uses 2πk/8, not linspace(0, 2π, 8), which repeats a centre.
"""

from __future__ import annotations

import math

import torch

from ganbench.data.base import Dataset, DataSpec, Mixture
from ganbench.data.registry import register_dataset

N_TRAIN = 100_000  # PacGAN config num_sample
N_TEST = 10_000
DATA_SEED = 20170101  # fixed: the data never depend on the run seed


def ring8_mixture() -> Mixture:
    k = torch.arange(8, dtype=torch.float64)
    centres = torch.stack([torch.cos(2 * math.pi * k / 8), torch.sin(2 * math.pi * k / 8)], 1)
    return Mixture(centres.float(), sigma=0.01)


def grid25_mixture() -> Mixture:
    axis = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
    centres = torch.cartesian_prod(axis, axis)
    return Mixture(centres, sigma=0.05)


def sample_mixture(
    mixture: Mixture, n: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """n points from the equal-weight mixture, with the index of the component each came from."""
    modes = torch.randint(len(mixture.centres), (n,), generator=generator)
    noise = torch.randn(n, 2, generator=generator) * mixture.sigma
    return mixture.centres[modes] + noise, modes


def _mixture_dataset(name: str, mixture: Mixture) -> Dataset:
    g = torch.Generator().manual_seed(DATA_SEED)
    train, train_modes = sample_mixture(mixture, N_TRAIN, g)
    test, test_modes = sample_mixture(mixture, N_TEST, g)
    m = len(mixture.centres)
    spec = DataSpec(name=name, kind="points", shape=(2,), num_classes=m, n_modes=m)
    return Dataset(
        spec,
        train,
        test,
        train_modes,
        test_modes,
        mixture=mixture,
        source="generated (VEEGAN/PacGAN parameters)",
    )


@register_dataset("ring8")
def ring8() -> Dataset:
    return _mixture_dataset("ring8", ring8_mixture())


@register_dataset("grid25")
def grid25() -> Dataset:
    return _mixture_dataset("grid25", grid25_mixture())
