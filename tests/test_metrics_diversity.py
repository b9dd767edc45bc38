"""MS-SSIM diversity: identical pairs give 1, noise far lower, the 28 px guard."""

import pytest
import torch
from pytorch_msssim import ms_ssim

from ganbench.data import get_dataset
from ganbench.metrics.diversity import mean_msssim, msssim_pairs, random_pairs


def test_identical_pairs_score_one():
    x = get_dataset("mnist").test[:10]
    assert torch.allclose(msssim_pairs(x, x), torch.ones(10), atol=1e-5)


def test_pytorch_msssim_refuses_28px_so_we_upsample():
    x = (get_dataset("mnist").test[:4] + 1) / 2
    with pytest.raises(AssertionError):
        ms_ssim(x, x, data_range=1.0)


def test_identical_generator_above_real_above_noise():
    real = get_dataset("mnist").test
    g = torch.Generator().manual_seed(0)
    noise = torch.rand(200, 1, 28, 28, generator=g) * 2 - 1
    same = real[7:8].repeat(200, 1, 1, 1)
    m_real, m_noise, m_same = (mean_msssim(x, 50, seed=0) for x in (real, noise, same))
    assert m_same == pytest.approx(1.0, abs=1e-5)
    assert m_same > m_real > m_noise
    assert m_noise < 0.5 * m_real


def test_pairs_are_distinct():
    i, j = random_pairs(5, 1000, torch.Generator().manual_seed(0))
    assert (i != j).all() and i.max() < 5 and j.max() < 5
