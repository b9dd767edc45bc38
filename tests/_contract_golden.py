"""Loss histories of every generation variant at the smoke budget, for the contract test
(tests/test_contract_identity.py).

The runs are in float64: in float32 the rounding of one machine's kernels (AVX2 vs AVX512, Intel
vs AMD code paths) is amplified by training into differences of up to 5% within 40 steps
(sngan), so an exact float32 golden only holds on the machine that wrote it. In float64 the same
drift is estimated (not measured: one CPU type here) near 1e-10 of a loss's scale, far below
what any change to the update order or the
losses moves (a different seed moves the first logged loss by 3e-4 or more).

`python tests/_contract_golden.py OUT.json` writes them with whatever ganbench is on the path. The
committed golden was written by the code before the players-and-updates contract, commit 237291b:

    git worktree add /tmp/old 237291b
    PYTHONPATH=/tmp/old python tests/_contract_golden.py tests/golden/contract_losses.json

(this file imports that commit's module paths when the current ones are absent)."""

from __future__ import annotations

import dataclasses
import json
import platform
import sys

import torch

try:
    from ganbench.core.config import get_preset
    from ganbench.core.seeding import make_generator, seed_everything
    from ganbench.harness.train import train
except ImportError:  # commit 237291b, before the layer packages
    from ganbench.config import get_preset
    from ganbench.seeding import make_generator, seed_everything
    from ganbench.train import train
from ganbench.data import get_dataset
from ganbench.registry import list_variants

DATASETS = ("ring8", "mnist")
SEED = 0


def as_float64(data):
    """The dataset with every floating tensor (and the mixture's centres) in float64."""
    changes = {
        f.name: value.double()
        for f in dataclasses.fields(data)
        if isinstance(value := getattr(data, f.name), torch.Tensor) and value.is_floating_point()
    }
    if data.mixture is not None:
        changes["mixture"] = dataclasses.replace(data.mixture, centres=data.mixture.centres.double())
    return dataclasses.replace(data, **changes)


def histories(seed: int = SEED) -> dict[str, dict[str, list[float]]]:
    # The data are made (or taken from the cache) in float32 as every run makes them, then cast:
    # made under a float64 default, ring8 would sample different points than a cached copy.
    datasets = {name: get_dataset(name) for name in DATASETS}
    threads, dtype = torch.get_num_threads(), torch.get_default_dtype()
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)  # nets, noise and labels' embeddings follow it
    try:
        preset = get_preset("smoke")
        out = {}
        for info in list_variants():
            for name, data in datasets.items():
                if info.external or not info.supports_data(data.spec.kind, data.spec.num_classes):
                    continue
                data = as_float64(data)
                seed_everything(seed)
                variant = info.cls(data.spec)
                gen = make_generator(seed, torch.device("cpu"))
                res = train(
                    variant, data, preset.budget_for(data.spec.kind), torch.device("cpu"), gen,
                    preset.log_every,
                )
                out[f"{info.name}/{name}"] = res.history
        return out
    finally:
        torch.set_num_threads(threads)
        torch.set_default_dtype(dtype)


def machine() -> str:
    return (
        f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"CPU capability {torch.backends.cpu.get_cpu_capability()}"
    )


if __name__ == "__main__":
    record = {"dtype": "float64", "machine": machine(), "histories": histories()}
    with open(sys.argv[1], "w") as f:
        json.dump(record, f, indent=1, sort_keys=True)
