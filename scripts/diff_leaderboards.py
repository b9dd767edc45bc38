"""Two output folders of the same suite, compared run by run: the leaderboard rows (apart from
timing columns), losses.csv byte for byte and curve.csv apart from its `seconds` column. The gate
of a restructuring step (docs/architecture.md): the smoke suite before and after must not differ.

    git worktree add /tmp/before <commit>
    (cd /tmp/before && PYTHONPATH=. ganbench run --all --preset smoke --out /tmp/gate/before)
    ganbench run --all --preset smoke --out /tmp/gate/after
    python scripts/diff_leaderboards.py /tmp/gate/before /tmp/gate/after

Prints what differs; exit 1 when anything does. `--ignore-hp-keys k1 k2` ignores those keys of
hp_effective (hyper-parameters a change added with their old behaviour as default)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

KEY = ["variant", "dataset", "seed"]


def hp_without(text: object, keys: list[str]) -> object:
    if not isinstance(text, str):
        return text
    return " ".join(p for p in text.split() if p.split("=", 1)[0] not in keys)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--ignore-hp-keys", nargs="*", default=[])
    args = ap.parse_args(argv)
    b = pd.read_csv(args.before / "leaderboard.csv").set_index(KEY).sort_index()
    a = pd.read_csv(args.after / "leaderboard.csv").set_index(KEY).sort_index()
    problems = []
    if set(b.index) != set(a.index):
        problems.append(f"runs differ: {sorted(set(b.index) ^ set(a.index))}")
    for c in sorted(set(b.columns) ^ set(a.columns)):
        problems.append(f"column {c!r} only in {'before' if c in b.columns else 'after'}")
    rows = sorted(set(b.index) & set(a.index))
    for c in [c for c in b.columns if c in a.columns and "seconds" not in c]:
        x, y = b.loc[rows, c], a.loc[rows, c]
        if c == "hp_effective":
            x = x.map(lambda t: hp_without(t, args.ignore_hp_keys))
            y = y.map(lambda t: hp_without(t, args.ignore_hp_keys))
        bad = ~((x == y) | (x.isna() & y.isna()))
        if bad.any():
            problems.append(f"column {c!r} differs in {int(bad.sum())} rows, e.g. {x[bad].index[0]}")
    files = 0
    for f in sorted(args.before.glob("runs/*/*/*/losses.csv")) + sorted(
        args.before.glob("runs/*/*/*/curve.csv")
    ):
        g = args.after / f.relative_to(args.before)
        files += 1
        if not g.exists():
            problems.append(f"missing {g}")
        elif f.name == "curve.csv":
            x, y = pd.read_csv(f).drop(columns=["seconds"]), pd.read_csv(g).drop(columns=["seconds"])
            if not x.equals(y):
                problems.append(f"curve differs: {g}")
        elif f.read_bytes() != g.read_bytes():
            problems.append(f"losses differ: {g}")
    print(f"{len(rows)} runs, {files} losses/curve files compared")
    for p in problems:
        print("DIFF", p)
    print("identical" if not problems else f"{len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
