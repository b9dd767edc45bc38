"""The project MNIST CNN's confusion matrix on held-out digits: the evidence for
`classifier_modes.SIGNIFICANT_SHARE` (docs/metrics.md, "Modes that count").

A class the generator never draws can still receive samples through mistakes: at most
c_max * n of them (c_max = the largest share of one true class predicted as one other class),
which is K * c_max of its uniform share n / K. The threshold must sit comfortably above that.

    python scripts/feature_net_confusion.py [--dataset mnist]
"""

from __future__ import annotations

import argparse

import torch
from scipy import stats

from ganbench.data import get_dataset
from ganbench.metrics.classifier import classify, weights_meta
from ganbench.metrics.classifier_modes import SIGNIFICANT_SHARE, confusion_matrix


def upper_bound(k: int, n: int, level: float = 0.95) -> float:
    """One-sided Clopper-Pearson upper bound of a rate seen k times in n."""
    return 1.0 if k >= n else float(stats.beta.ppf(level, k + 1, n - k))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="mnist", help="a 10-class digit dataset (held-out split)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    data = get_dataset(args.dataset)
    true, pred = data.test_labels, classify(data.test)
    cm = confusion_matrix(true, pred, 10)
    per_class = cm.sum(1)
    off = cm.clone()
    off.fill_diagonal_(0)
    rates = off.double() / per_class[:, None]
    i, j = divmod(int(rates.argmax()), 10)
    c_max = float(rates[i, j])
    c_up = upper_bound(int(off[i, j]), int(per_class[i]))
    print(
        f"feature net {weights_meta()['sha256'][:12]} on {args.dataset} test ({len(true)} digits)"
    )
    print("confusion matrix (row = true digit, column = predicted digit):")
    print(cm.numpy())
    print(f"accuracy {float((pred == true).double().mean()):.4f}")
    print(
        f"largest off-diagonal rate {c_max:.4f} ({int(off[i, j])}/{int(per_class[i])}, "
        f"true {i} -> predicted {j}; ties: {int((rates == c_max).sum())}); one-sided 95% "
        f"upper bound {c_up:.4f}"
    )
    print(f"largest column sum of off-diagonal rates {float(rates.sum(0).max()):.4f}")
    print(
        f"share of the uniform share a class can get from mistakes alone: 10 x c_max = "
        f"{10 * c_max:.3f} (upper bound {10 * c_up:.3f}); SIGNIFICANT_SHARE = {SIGNIFICANT_SHARE}"
    )


if __name__ == "__main__":
    main()
