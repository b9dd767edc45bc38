"""IS / FID / KID: closed forms, torch-fidelity called directly, and the suite's own path."""

import numpy as np
import pytest
import torch
import torch_fidelity
from torch.utils.data import Dataset
from torch_fidelity import FeatureExtractorBase
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY

from ganbench.data import get_dataset
from ganbench.metrics.features import PROJECT_EXTRACTOR, extract, resolve_feature_space, to_uint8
from ganbench.metrics.fidelity import (
    fid,
    fid_closed_form,
    inception_score,
    kid,
    mmd2_unbiased_poly,
)

IDENTITY = "ganbench-test-identity"


class Identity(FeatureExtractorBase):
    """Features in, the same features out: torch-fidelity computes its metrics on our vectors."""

    def __init__(self, name, features_list, **kwargs):
        super().__init__(name, features_list)

    @staticmethod
    def get_provided_features_list():
        return ("x",)

    @staticmethod
    def get_default_feature_layer_for_metric(metric):
        return "x"

    @staticmethod
    def can_be_compiled():
        return False

    @staticmethod
    def get_dummy_input_for_compile():
        return torch.zeros(1, 4)

    def forward(self, x):
        return (x.float(),)


if IDENTITY not in FEATURE_EXTRACTORS_REGISTRY:
    torch_fidelity.register_feature_extractor(IDENTITY, Identity)


class Rows(Dataset):
    def __init__(self, x):
        self.x = x

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i]


def gaussian(n, d, shift=0.0, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g) * scale + shift


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-12)


def test_fid_of_a_set_with_itself_is_zero():
    x = gaussian(2000, 16)
    assert abs(fid(x, x)) < 1e-6


def test_fid_grows_monotonically_with_a_shift():
    x = gaussian(2000, 8, seed=1)
    values = [fid(x, gaussian(2000, 8, shift=s, seed=2)) for s in (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)]
    assert all(a < b for a, b in zip(values, values[1:], strict=False)), values


def test_fid_matches_the_closed_form_and_torch_fidelity_direct():
    x, y = gaussian(3000, 12, seed=3), gaussian(3000, 12, shift=0.7, seed=4, scale=1.3)
    ours = fid(x, y)
    xd, yd = x.double().numpy(), y.double().numpy()
    closed = fid_closed_form(
        xd.mean(0), np.cov(xd, rowvar=False), yd.mean(0), np.cov(yd, rowvar=False)
    )
    direct = torch_fidelity.calculate_metrics(
        input1=Rows(x),
        input2=Rows(y),
        cuda=False,
        fid=True,
        feature_extractor=IDENTITY,
        verbose=False,
        save_cpu_ram=True,
        cache=False,
    )
    assert rel(ours, closed) < 1e-4
    assert rel(ours, direct["frechet_inception_distance"]) < 1e-4


def test_kid_matches_the_closed_form_and_torch_fidelity_direct():
    x, y = gaussian(400, 10, seed=5), gaussian(400, 10, shift=0.5, seed=6)
    # one subset of the whole set: every subset is a permutation, KID = the full unbiased MMD²
    mean, std = kid(x, y, subset_size=400, subsets=10)
    assert rel(mean, mmd2_unbiased_poly(x, y)) < 1e-4 and std < 1e-6 * abs(mean) + 1e-9
    m2, _ = kid(x, y, subset_size=100)
    direct = torch_fidelity.calculate_metrics(
        input1=Rows(x),
        input2=Rows(y),
        cuda=False,
        kid=True,
        kid_subset_size=100,
        feature_extractor=IDENTITY,
        verbose=False,
        save_cpu_ram=True,
        cache=False,
    )
    assert rel(m2, direct["kernel_inception_distance_mean"]) < 1e-4
    same, _ = kid(x, gaussian(400, 10, seed=7), subset_size=100)
    assert abs(same) < 0.05 * m2  # same distribution: about 0 (may be slightly negative)


def test_inception_score_bounds_and_one_class():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(1000, 10, generator=g) * 3
    mean, _ = inception_score(logits)
    assert 1.0 <= mean <= 10.0
    confident = torch.nn.functional.one_hot(torch.arange(1000) % 10, 10).float() * 50
    assert 9.0 < inception_score(confident)[0] <= 10.0  # shuffled splits are not exactly balanced
    one_class = torch.zeros(1000, 10)
    one_class[:, 3] = 50
    assert inception_score(one_class)[0] == pytest.approx(1.0, abs=1e-6)


def test_project_network_through_torch_fidelity_matches_the_suite_path():
    """The registered project extractor, called by torch-fidelity directly on uint8 images, gives
    the same IS / FID / KID as the suite's one-pass extraction."""
    data = get_dataset("mnist")
    space = resolve_feature_space("auto", "mnist")
    gen, real = data.train[:300], data.test[::3][:300]
    direct = torch_fidelity.calculate_metrics(
        input1=Rows(to_uint8(gen)),
        input2=Rows(to_uint8(real)),
        cuda=False,
        isc=True,
        fid=True,
        kid=True,
        kid_subset_size=100,
        verbose=False,
        save_cpu_ram=True,
        cache=False,
        **space.extractor_kwargs,
    )
    fg, fr = extract(space, gen), extract(space, real)
    assert space.extractor == PROJECT_EXTRACTOR
    assert rel(inception_score(fg["logits"])[0], direct["inception_score_mean"]) < 1e-4
    assert rel(fid(fg["features"], fr["features"]), direct["frechet_inception_distance"]) < 1e-4
    assert (
        rel(kid(fg["features"], fr["features"], 100)[0], direct["kernel_inception_distance_mean"])
        < 1e-4
    )
