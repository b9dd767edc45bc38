"""The noise of the convergence-curve metrics at the curve's sample sizes: where the tolerances of
ganbench.harness.curves.converged come from (docs/metrics.md, "Convergence curves").

For each reference sampler it draws the curve's sample size `--draws` times with independent noise
and reports the spread (max - min) over groups of `--group` draws, the number of final-half
evaluations a default schedule has: its median and 99th percentile. A tolerance above the 99th
percentile means sampling noise alone would call a steady generator "not converged" in fewer than
1 run in 100. (The curve itself re-uses one noise seed at every checkpoint, so its spread is
smaller still; this is the conservative bound.)

  .venv/bin/python scripts/curve_noise.py            # about a minute, single thread
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import torch

from ganbench.data import get_dataset
from ganbench.data.base import Mixture
from ganbench.data.mixtures import sample_mixture
from ganbench.harness.curves import CURVE_GEN, CURVE_POINTS, CURVE_REAL
from ganbench.metrics.features import extract, resolve_feature_space
from ganbench.metrics.fidelity import fid, real_features
from ganbench.metrics.image_suite import real_subset
from ganbench.metrics.modes import mixture_coverage
from ganbench.metrics.prdc import prdc


def spreads(values: list[float], group: int) -> tuple[float, float]:
    v = np.asarray(values)
    s = [np.ptp(v[i : i + group]) for i in range(0, len(v) - group + 1, group)]
    return float(np.median(s)), float(np.quantile(s, 0.99))


def points(name: str, draws: int, group: int) -> None:
    ds = get_dataset(name)
    m = ds.mixture
    g = torch.Generator().manual_seed(0)
    k = len(m.centres)
    # broad: sigma' with P(r <= 3 sigma) = 1/2 in 2-D, the binomial worst case for hq_fraction
    broad = Mixture(m.centres, sigma=3 * m.sigma / math.sqrt(2 * math.log(2)))
    cases = {"true mixture": m, "hq ~ 0.5 (sigma x 2.55)": broad}
    for label, mix in cases.items():
        hq, modes = [], []
        for _ in range(draws):
            x, _ = sample_mixture(mix, CURVE_POINTS, g)
            r = mixture_coverage(x, m.centres, m.sigma)
            hq.append(r["hq_fraction"])
            modes.append(r["modes_covered"])
        print(
            f"{name} {label:26s} n={CURVE_POINTS}: hq mean {np.mean(hq):.4f}, spread over "
            f"{group} median {spreads(hq, group)[0]:.4f} p99 {spreads(hq, group)[1]:.4f}; modes "
            f"mean {np.mean(modes):.2f} spread p99 {spreads(modes, group)[1]:.0f}"
        )
    # a mode held by ~2 of 2,500 samples: the case where modes_covered flickers
    w = torch.full((k,), 1.0)
    w[0] = 2.0 / CURVE_POINTS * (k - 1) / (1 - 2.0 / CURVE_POINTS)
    modes = []
    for _ in range(draws):
        idx = torch.multinomial(w, CURVE_POINTS, replacement=True, generator=g)
        x = m.centres[idx] + torch.randn(CURVE_POINTS, 2, generator=g) * m.sigma
        modes.append(mixture_coverage(x, m.centres, m.sigma)["modes_covered"])
    print(
        f"{name} one mode at ~2 samples        : modes mean {np.mean(modes):.2f}, spread over "
        f"{group} p99 {spreads(modes, group)[1]:.0f}"
    )


def images(name: str, draws: int, group: int) -> None:
    ds = get_dataset(name)
    space = resolve_feature_space("auto", name)
    ref = real_features(ds, "test", space)["features"][real_subset(len(ds.test), CURVE_REAL)]
    g = torch.Generator().manual_seed(0)
    train = ds.train
    cases = {"held-out-like (train draws)": real_features(ds, "train", space)["features"]}
    for s in (0.1, 0.25, 0.5):  # degraded digits: FID from a few to a few hundred
        noisy = (train + s * torch.randn(train.shape, generator=g)).clamp(-1, 1)
        cases[f"train + N(0, {s}) noise"] = extract(space, noisy)["features"]
    for label, pool in cases.items():
        f, p, r = [], [], []
        for _ in range(draws):
            gen = pool[torch.randperm(len(pool), generator=g)[:CURVE_GEN]]
            f.append(fid(gen, ref))
            pr = prdc(ref, gen)
            p.append(pr["precision"])
            r.append(pr["recall"])
        med, p99 = spreads(f, group)
        print(
            f"{name} {label:28s} n={CURVE_GEN} vs {CURVE_REAL}: fid mean {np.mean(f):.3f} sd "
            f"{np.std(f, ddof=1):.3f}; spread over {group} median {med:.3f} p99 {p99:.3f} "
            f"({p99 / np.mean(f):.1%} of the mean); precision {np.mean(p):.3f} recall "
            f"{np.mean(r):.3f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=600)
    ap.add_argument("--group", type=int, default=6)
    args = ap.parse_args()
    torch.set_num_threads(1)
    for name in ("ring8", "grid25"):
        points(name, args.draws, args.group)
    images("mnist", args.draws // 3, args.group)


if __name__ == "__main__":
    main()
