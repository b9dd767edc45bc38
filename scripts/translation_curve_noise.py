"""The sampling noise of the translation curve's headline (mean PSNR over CURVE_PAIRS held-out
pairs): where ganbench.harness.curves.PSNR_TOL comes from (docs/metrics.md, "Translation metrics").

A translation curve scores the same fixed pairs at every checkpoint, so the evaluation adds no
noise of its own; what the tolerance must clear is the uncertainty of the number itself: how much
the mean PSNR of CURVE_PAIRS pairs moves when other pairs of the same distribution are drawn. For
each reference translator this computes every held-out pair's PSNR once, then draws CURVE_PAIRS
pairs with replacement `--draws` times and reports the sd of the mean and the spread (max - min)
over groups of `--group` draws (the final-half evaluations of a default schedule): its median and
99th percentile. A final-half spread below that is within what resampling the pairs would show.

  .venv/bin/python scripts/translation_curve_noise.py      # about a minute, single thread
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from ganbench.data import get_dataset
from ganbench.data.translation import bicubic_up, mean_fill, pixel_mean
from ganbench.harness.curves import CURVE_PAIRS
from ganbench.metrics.paired import psnr_per_image


def _noisy_truth(sd: float):
    def translate(data, a, mask):
        g = torch.Generator().manual_seed(0)
        return (data.test + sd * torch.randn(data.test.shape, generator=g)).clamp(-1, 1)

    return translate


TRANSLATORS = {
    "identity on edges2mnist (edge map as output)": ("edges2mnist", lambda d, a, m: a),
    "global-mean fill on mnist-inpaint-centre": (
        "mnist-inpaint-centre",
        lambda d, a, m: mean_fill(a, m, float(d.train.mean())),
    ),
    "mean-fill (per-pixel train mean) on mnist-inpaint-centre": (
        "mnist-inpaint-centre",
        lambda d, a, m: mean_fill(a, m, pixel_mean(d.train)),
    ),
    "mean-fill (per-pixel train mean) on mnist-inpaint-random": (
        "mnist-inpaint-random",
        lambda d, a, m: mean_fill(a, m, pixel_mean(d.train)),
    ),
    "bicubic on mnist-sr4": ("mnist-sr4", lambda d, a, m: bicubic_up(a, 28)),
    "bicubic on mnist-sr2": ("mnist-sr2", lambda d, a, m: bicubic_up(a, 28)),
    "truth + N(0, 0.25) on edges2mnist": ("edges2mnist", _noisy_truth(0.25)),
    "truth + N(0, 0.1) on edges2mnist": ("edges2mnist", _noisy_truth(0.1)),
    "truth + N(0, 0.03) on edges2mnist": ("edges2mnist", _noisy_truth(0.03)),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=6000)
    ap.add_argument("--group", type=int, default=6)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    print(
        f"| translator | mean psnr (dB) | sd of the mean of {CURVE_PAIRS} | spread over "
        f"{args.group} draws, median | 99th percentile |"
    )
    print("|---|---|---|---|---|")
    for label, (name, fn) in TRANSLATORS.items():
        data = get_dataset(name)
        out = fn(data, data.test_source, data.test_mask)
        per = psnr_per_image(out, data.test).numpy()
        means = np.array(
            [per[rng.integers(0, len(per), CURVE_PAIRS)].mean() for _ in range(args.draws)]
        )
        groups = means[: len(means) // args.group * args.group].reshape(-1, args.group)
        spread = np.ptp(groups, axis=1)
        print(
            f"| {label} | {per.mean():.2f} | {means.std():.3f} | {np.median(spread):.3f} | "
            f"{np.quantile(spread, 0.99):.3f} |"
        )


if __name__ == "__main__":
    main()
