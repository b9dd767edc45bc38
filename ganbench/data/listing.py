"""The dataset table of `ganbench list --datasets`: every registered dataset with its task kind.

`default`: whether `run --all` trains generation variants on it; translation variants name their
own datasets. Specs are read without loading the data (loading `stacked-mnist-full` alone takes 1.2 GB):
translation sets declare theirs in `ganbench.data.translation.TRANSLATION_SPECS`; every other
registered set is generation data (noise, labels -> sample).
"""

from __future__ import annotations

from fnmatch import fnmatch

from ganbench.data.registry import DEFAULT_DATASETS, dataset_names
from ganbench.data.translation import TRANSLATION_SPECS


def _shape(s: tuple[int, ...] | None) -> str:
    return "x".join(map(str, s)) if s else ""


def dataset_rows(pattern: str = "*") -> list[dict[str, str]]:
    """One row per registered dataset whose name matches the glob `pattern`."""
    rows = []
    for name in dataset_names():
        if not fnmatch(name, pattern):
            continue
        spec = TRANSLATION_SPECS.get(name)
        row = {
            "dataset": name,
            "task": "generation",
            "relation": "-",
            "source -> target": "-",
            "target domain": "-",
            "default": "yes" if name in DEFAULT_DATASETS else "no",
        }
        if spec is not None:
            relation = spec.relation + (f" ({spec.hole} hole)" if spec.hole else "")
            row.update(
                {
                    "task": spec.task,
                    "relation": relation,
                    "source -> target": f"{_shape(spec.source_shape)} -> {_shape(spec.shape)}",
                    "target domain": spec.target_domain,
                    # `run --all` trains translation variants on the datasets they name
                    "default": "by variant",
                }
            )
        rows.append(row)
    return rows


def task_of(name: str) -> str:
    """`translation` or `generation`, from the declared specs (no data loaded)."""
    spec = TRANSLATION_SPECS.get(name)
    return "generation" if spec is None else spec.task


def relation_of(name: str) -> str:
    """The declared relation of a translation set ("" for generation data)."""
    spec = TRANSLATION_SPECS.get(name)
    return "" if spec is None else spec.relation + (f", {spec.hole} hole" if spec.hole else "")


def format_dataset_table(pattern: str = "*") -> str:
    """The rows as aligned text columns, a header line first."""
    rows = dataset_rows(pattern)
    if not rows:
        return f"no dataset matches {pattern!r}"
    cols = list(rows[0])
    width = {c: max(len(c), *(len(r[c]) for r in rows)) for c in cols}
    lines = ["  ".join(f"{c:<{width[c]}}" for c in cols)]
    lines += ["  ".join(f"{r[c]:<{width[c]}}" for c in cols) for r in rows]
    return "\n".join(line.rstrip() for line in lines)
