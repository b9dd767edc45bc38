"""Step time and size of the shared image conv pair per width (issue 23): a training step (every
update of the variant, as the harness orders them, without its logging) on `mnist` at batch 64,
one thread, the median of --repeats steps after one warm-up, and the parameter counts.

    .venv/bin/python scripts/bench_conv_pair.py dcgan@32 dcgan@64 lsgan@32 wgan-gp@32 wgan-gp@64
    .venv/bin/python scripts/bench_conv_pair.py began@32 began@32:nets=shared   # --hp as KEY=VALUE,...

Variants in turn, `--repeats` rounds: each round times one step of every variant (interleaved, so
a machine that slows down mid-run slows all of them alike).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from ganbench.core.hparams import parse_hp
from ganbench.core.seeding import make_generator
from ganbench.data import get_dataset
from ganbench.data.streams import make_stream
from ganbench.registry import get_variant
from ganbench.variants.updates import StepContext


def one_step(v, optims: dict, ctx: StepContext) -> None:
    """Every update of the variant once, in its order (critic repeats included)."""
    for u in v.updates():
        for _ in range(u.repeat if isinstance(u.repeat, int) else 1):
            optims[u.player].zero_grad()
            u.loss(ctx).backward()
            optims[u.player].step()


def n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("variants", nargs="+", metavar="VARIANT@WIDTH")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    torch.set_num_threads(1)
    data = get_dataset("mnist")
    cpu = torch.device("cpu")
    steps = {}
    for item in args.variants:
        head, _, hp_items = item.partition(":")
        name, _, width = head.partition("@")
        hp = parse_hp(hp_items.split(",") if hp_items else None)
        v = get_variant(name).cls(data.spec, **({"width": int(width)} if width else {}), **hp)
        optims = {k: p.optim.build(v.parameters_of(k)) for k, p in v.players().items()}
        gen = make_generator(0)
        ctx = StepContext(make_stream(data, args.batch, gen, cpu), 0, 10, cpu, gen, args.batch)
        one_step(v, optims, ctx)  # warm-up
        steps[item] = (v, optims, ctx)
    times: dict[str, list[float]] = {item: [] for item in steps}
    for _ in range(args.repeats):
        for item, (v, optims, ctx) in steps.items():
            t = time.perf_counter()
            one_step(v, optims, ctx)
            times[item].append(time.perf_counter() - t)
    print("variant@width[:hp]        s/step (median)  G params  D params")
    for item, (v, _, _) in steps.items():
        med = statistics.median(times[item])
        print(f"{item:25s} {med:15.3f}  {n_params(v.G):8d}  {n_params(v.D):8d}")

if __name__ == "__main__":
    main()
