"""Loading a pretrained net must not move the global RNGs: a run's training would otherwise
depend on whether the feature cache was cold (a fresh clone) or warm."""

import random

import numpy as np
import torch

from ganbench.backbones.perceptual import load_perceptual_net
from ganbench.core.seeding import rng_untouched
from ganbench.metrics import classifier
from ganbench.metrics.features import MnistCNNExtractor


def _states():
    return torch.get_rng_state(), random.getstate(), np.random.get_state()[1].copy()


def _assert_same(before, after):
    assert torch.equal(before[0], after[0])
    assert before[1] == after[1]
    assert np.array_equal(before[2], after[2])


def test_rng_untouched_restores_every_global_rng():
    before = _states()
    with rng_untouched():
        torch.rand(3), random.random(), np.random.rand()
    _assert_same(before, _states())


def test_rng_untouched_restores_even_after_an_error():
    before = _states()
    try:
        with rng_untouched():
            torch.rand(3)
            raise ValueError("boom")
    except ValueError:
        pass
    _assert_same(before, _states())


def test_loading_pretrained_nets_leaves_the_global_rng_alone():
    torch.manual_seed(0)
    before = _states()
    classifier._cpu_classifier.__wrapped__("mnist")  # uncached: builds the net
    MnistCNNExtractor("ganbench-mnist-cnn", ["penultimate"])
    load_perceptual_net()
    _assert_same(before, _states())
