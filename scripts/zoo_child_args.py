"""The command line every canonical-run child of scripts/zoo_compare.py takes (its `OUTSIDE`
entries): argparse only, so a child running in another Python (Chainer's) can import it too."""

from __future__ import annotations

import argparse
from pathlib import Path


def child_parser(doc: str, lib: str) -> argparse.ArgumentParser:
    """--lib (the extracted library `lib`), --data / --labels (the exported digits), --steps,
    --seed, --n-samples, --out: what zoo_compare.outside_train passes every child."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--lib", type=Path, required=True, help=f"the extracted {lib}")
    ap.add_argument("--data", type=Path, required=True, help="(N, 3, 32, 32) float32 in [-1, 1]")
    ap.add_argument("--labels", type=Path, help="(N,) int64 (unconditional children ignore it)")
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-samples", type=int, default=10_000)
    ap.add_argument("--out", type=Path, required=True)
    return ap
