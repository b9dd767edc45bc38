"""The translation reference rows (bicubic, mean-fill) and the "input unchanged" translator on every
translation dataset of the default digits, through the translation evaluator: the table of
docs/metrics.md, "Translation metrics".

  .venv/bin/python scripts/translation_baselines.py                 # quick preset, seed 0
  .venv/bin/python scripts/translation_baselines.py --preset smoke mnist-sr4
"""

from __future__ import annotations

import argparse
import time

import torch

from ganbench.core.config import get_preset
from ganbench.data import get_dataset
from ganbench.harness.reference import (
    REFERENCE_VARIANT,
    reference_heads,
    reference_names,
)
from ganbench.metrics.score import score
from ganbench.metrics.translation_suite import evaluate_translation

DATASETS = ["edges2mnist", "mnist-sr4", "mnist-sr2", "mnist-inpaint-centre", "mnist-inpaint-random"]
COLUMNS = ["l1", "psnr", "ssim", "hole_l1", "hole_l2", "hole_psnr", "label_preservation",
           "label_preservation_real", "fid", "fid_real", "kid_mean"]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("datasets", nargs="*", default=DATASETS)
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    sizes = get_preset(args.preset).eval
    print("| dataset | row | " + " | ".join(COLUMNS) + " | seconds |")
    print("|---|---|" + "---|" * (len(COLUMNS) + 1))
    for name in args.datasets:
        data = get_dataset(name)
        rows = [v for v in reference_names(name) if v != REFERENCE_VARIANT]
        if data.spec.source_shape == data.spec.shape:
            rows.append("input unchanged")
        for row in rows:
            t = time.perf_counter()
            if row == "input unchanged":
                ev = evaluate_translation(lambda a, mask: a, data, sizes, args.seed)
            else:
                heads = reference_heads(row, data, args.seed, sizes)
                ev = score(heads, data, sizes, args.seed, "auto", "cpu")
            cells = [f"{ev.metrics[c]:.4g}" if c in ev.metrics else "–" for c in COLUMNS]
            seconds = time.perf_counter() - t
            print(f"| {name} | {row} | " + " | ".join(cells) + f" | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
