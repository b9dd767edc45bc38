"""Which way is better: extremes that a pure-noise or a copying generator reaches must not win."""

import math

import pandas as pd

from ganbench.core.directions import arrow, badness, better, references
from ganbench.results.report import best_rows


def test_diversity_and_authenticity_are_read_against_real_data():
    real = 0.22
    # noise (0.05) is more "diverse" than real data; the generator at 0.20 is the realistic one
    assert better("msssim_gen", 0.20, 0.05, reference=real)
    assert better("msssim_gen", 0.20, 0.90, reference=real)  # and collapse (0.90) loses too
    assert better("authenticity", 0.60, 1.0, reference=0.606)
    assert math.isnan(badness("msssim_gen", 0.2))  # no reference: not ranked
    assert arrow("msssim_gen") == "→real"


def test_nn_ratio_best_near_one():
    assert better("nn_ratio", 1.05, 0.3)  # copying
    assert better("nn_ratio", 1.05, 12.0)  # far from the data
    assert arrow("nn_ratio") == "→1"


def test_best_rows_uses_each_rows_reference():
    summ = pd.DataFrame(
        {"msssim_gen_mean": [0.05, 0.21, 0.95], "msssim_real_mean": [0.22, 0.22, 0.22]}
    )
    refs = references(summ, "msssim_gen")
    assert refs == [0.22, 0.22, 0.22]
    assert best_rows("msssim_gen", list(summ["msssim_gen_mean"]), refs) == {1}
    assert references(summ, "fid") == [None, None, None]


def test_plain_directions_unchanged():
    assert better("fid", 10.0, 20.0) and better("is_mean", 2.0, 1.5) and better("ct_z", -0.5, 4.0)
