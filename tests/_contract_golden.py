"""Loss histories of every generation variant at the smoke budget, for the contract test
(tests/test_contract_identity.py). `python tests/_contract_golden.py OUT.json` writes them with
whatever ganbench is on the path: the committed file was written by the code before the
players-and-updates contract (commit 237291b), so the test shows the new loop changes nothing."""

from __future__ import annotations

import json
import sys

import torch

from ganbench.core.config import get_preset
from ganbench.core.seeding import make_generator, seed_everything
from ganbench.data import get_dataset
from ganbench.harness.train import train
from ganbench.registry import list_variants

DATASETS = ("ring8", "mnist")
SEED = 0


def histories() -> dict[str, dict[str, list[float]]]:
    torch.set_num_threads(1)
    preset = get_preset("smoke")
    out = {}
    for info in list_variants():
        for name in DATASETS:
            data = get_dataset(name)
            if info.external or not info.supports_data(data.spec.kind, data.spec.num_classes):
                continue
            seed_everything(SEED)
            variant = info.cls(data.spec)
            gen = make_generator(SEED, torch.device("cpu"))
            res = train(
                variant, data, preset.budget_for(data.spec.kind), torch.device("cpu"), gen,
                preset.log_every,
            )
            out[f"{info.name}/{name}"] = res.history
    return out


if __name__ == "__main__":
    with open(sys.argv[1], "w") as f:
        json.dump(histories(), f, indent=1, sort_keys=True)
