"""What the contract test (tests/test_contract_identity.py) holds the variants to.

1. `first_losses()`: every variant's loss of each of its updates on its initial networks, before
   any optimizer step, in float64 on the smoke datasets: what each loss computes, with nothing
   that depends on a CPU's rounding beyond float64's last digits (an optimizer step amplifies
   rounding: Adam's and RMSprop's first step is about lr * sign(g), so a gradient that is zero in
   exact arithmetic flips a weight by lr on another CPU; that is why whole histories cannot be a
   cross-machine golden). `python tests/_contract_golden.py tests/golden/contract_losses.json`
   rewrites the golden with the ganbench on the path.
2. `harness_histories()`: the loss histories of every generation variant trained by the harness at
   the smoke budget, to be compared on the same machine with tests/_reference_loop.py's.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import sys

import torch

from ganbench.core.config import get_preset
from ganbench.core.seeding import make_generator, seed_everything
from ganbench.data import get_dataset
from ganbench.data.streams import make_stream
from ganbench.harness.train import train
from ganbench.registry import list_variants
from ganbench.variants.base import Variant
from ganbench.variants.updates import StepContext

try:
    from ganbench.variants.updates import Joint
except ImportError:  # before the simultaneous update (commit 90f6af7), which wrote the golden
    Joint = ()

DATASETS = ("ring8", "mnist", "mnist32")  # mnist32: the modern 32 px variants
TRANSLATION_DATASETS = (
    "edges2mnist", "mnist2inverse-thick", "mnist-sr4", "mnist-inpaint-centre", "mnist-inpaint-random"
)
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


def runs(datasets=DATASETS + TRANSLATION_DATASETS):
    """(key, variant info, dataset) of every built-in variant on each smoke dataset it takes."""
    loaded = {name: get_dataset(name) for name in datasets}
    for info in list_variants():
        for name, data in loaded.items():
            s = data.spec
            if info.external or not info.supports_data(s.kind, s.num_classes, s.relation):
                continue
            if info.cls.data_problem(s):
                continue
            yield f"{info.name}/{name}", info, data


class float64_default:
    """Nets, noise and embeddings in float64, one thread; restored afterwards."""

    def __enter__(self):
        self.saved = torch.get_num_threads(), torch.get_default_dtype()
        torch.set_num_threads(1)
        torch.set_default_dtype(torch.float64)

    def __exit__(self, *exc):
        torch.set_num_threads(self.saved[0])
        torch.set_default_dtype(self.saved[1])


def first_losses(seed: int = SEED) -> dict[str, list[float]]:
    """key -> the loss of every update of one step, in order, each on the initial networks
    (losses are computed, never stepped: no optimizer runs)."""
    out = {}
    # The data are made (or taken from the cache) in float32 as every run makes them, then cast.
    for key, info, data in list(runs()):
        with float64_default():
            data = as_float64(data)
            seed_everything(seed)
            variant = info.cls(data.spec)
            gen = make_generator(seed, torch.device("cpu"))
            budget = get_preset("smoke").budget_for(data.spec.kind)
            stream = make_stream(data, budget.batch_size, gen, torch.device("cpu"))
            ctx = StepContext(stream, 1, budget.steps, torch.device("cpu"), gen, stream.batch_size)
            values = []
            for u in variant.updates():  # every update, whatever its window
                if isinstance(u, Joint):
                    values += [float(v) for v in u.losses(ctx).values()]
                else:  # before 90f6af7's successor, a loss was named by a string
                    loss = u.loss if callable(u.loss) else getattr(variant, u.loss)
                    values.append(float(loss(ctx).detach()))
            out[key] = values
    return out


def plain_two_player(variant) -> bool:
    """A variant the reference loop can train: the two-loss step, nothing the harness adds (EMA,
    phases). The modern variants with their own updates are held to their papers by their own
    tests instead."""
    return (
        isinstance(variant, Variant)
        and type(variant).updates is Variant.updates
        and not variant.hp.get("ema_half_life")
        and variant.schedule() is None
        and variant.hp.get("update", "alternating") == "alternating"
    )


def harness_histories(seed: int = SEED, datasets=("ring8", "mnist")):
    """key -> (variant info, dataset, history) of every plain two-player generation variant
    trained by the harness at the smoke budget on ring8 and mnist (float32, one thread)."""
    preset = get_preset("smoke")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out = {}
        for key, info, data in runs(datasets):
            seed_everything(seed)
            variant = info.cls(data.spec)
            if not plain_two_player(variant):
                continue
            gen = make_generator(seed, torch.device("cpu"))
            budget = preset.budget_for(data.spec.kind)
            res = train(variant, data, budget, torch.device("cpu"), gen, preset.log_every)
            out[key] = (info, data, res.history)
        return out
    finally:
        torch.set_num_threads(threads)


def machine() -> str:
    return (
        f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"CPU capability {torch.backends.cpu.get_cpu_capability()}"
    )


if __name__ == "__main__":
    record = {"dtype": "float64", "machine": machine(), "first_losses": first_losses()}
    with open(sys.argv[1], "w") as f:
        json.dump(record, f, indent=1, sort_keys=True)
