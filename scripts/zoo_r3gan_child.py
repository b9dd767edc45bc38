"""The R3GAN side of scripts/zoo_compare.py's canonical runs (issue 23): the authors' released code,
brownvc/R3GAN, on the CPU, offline.

Its 32 px setting is train.py's CIFAR10 preset, unconditional (the repository's own "unconditional
cifar10" commit): training/networks.py's Generator and Discriminator (R3GAN/Networks.py: ResNeXt
blocks with fix-up initialisation, 2 blocks at each of 4 / 8 / 16 / 32 px, expansion 2, no
normalisation, a linear output without bias, noise of 64), training/loss.py's R3GANLoss
(R3GAN/Trainer.py: the relativistic pairing loss with R1 and R2 on every D step), Adam β1 0, and
the preset's cosine schedules of lr (2e-4 -> 5e-5), β2 (0.9 -> 0.99), γ (0.05 -> 0.005) and the
EMA half-life (0 -> 5M images) over 2e7 images, through the library's own
`cosine_decay_with_warmup`. The loop below makes training/training_loop.py's calls in its order
(a D phase, then a G phase, each on its own real batch and noise, gain 1, the schedules set on the
optimizers before each step, the EMA formula), which hard-codes CUDA and so cannot run here as it
is. Departures, each said in the row: the size is ganbench's r3gan (`WidthPerStage` 16 and
`CardinalityPerStage` 2 at every stage, for the preset's 768 and 96: 16 channels per group as the
preset's; the preset's 2 blocks per stage kept), batch 64 (the released command's 512 on 8 GPUs),
no augmentation (the preset ramps the ADA pipe from p 0; every ganbench variant trains on
unaugmented data), no bf16 stages and no x-flips (--mirror).

Samples: 10,000 from G_ema, the released G's raw output (linear) clipped to [-1, 1], saved as
float32 (N, 3, 32, 32).
"""

from __future__ import annotations

import ast
import copy
import json
import sys
import time
import types
from pathlib import Path

import numpy as np
import torch
from zoo_child_args import child_parser

DECAY_NIMG = 2e7  # the CIFAR10 preset's schedules
SCHEDULES = {
    "ema": {"base_value": 0, "final_value": 5000 * 1000, "total_nimg": DECAY_NIMG},
    "lr": {"base_value": 2e-4, "final_value": 5e-5, "total_nimg": DECAY_NIMG},
    "gamma": {"base_value": 0.05, "final_value": 0.005, "total_nimg": DECAY_NIMG},
    "beta2": {"base_value": 0.9, "final_value": 0.99, "total_nimg": DECAY_NIMG},
}


def library_function(path: Path, name: str):
    """One function of a library file, compiled alone (the file's own imports, psutil and its
    metrics among them, are not needed by it); it sees numpy as np, as in the file."""
    tree = ast.parse(path.read_text())
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    namespace: dict = {"np": np}
    exec(compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec"), namespace)
    return namespace[name]


def main() -> None:
    ap = child_parser(__doc__, "brownvc/R3GAN")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--cardinality", type=int, default=2)
    a = ap.parse_args()

    torch.set_num_threads(1)
    sys.path.insert(0, str(a.lib))
    # torch_utils reads torch's version through setuptools' pkg_resources, gone from new setuptools
    from packaging.version import parse

    sys.modules.setdefault("pkg_resources", types.SimpleNamespace(parse_version=parse))
    from training.loss import R3GANLoss
    from training.networks import Discriminator, Generator

    cosine_decay_with_warmup = library_function(
        a.lib / "training" / "training_loop.py", "cosine_decay_with_warmup"
    )

    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    x_all = torch.from_numpy(np.load(a.data))
    stages = 4  # 4, 8, 16, 32 px
    size = dict(WidthPerStage=[a.width] * stages, CardinalityPerStage=[a.cardinality] * stages,
                BlocksPerStage=[2] * stages, ExpansionFactor=2, c_dim=0, img_resolution=32)
    G = Generator(NoiseDimension=64, FP16Stages=[], **size).train().requires_grad_(False)
    D = Discriminator(FP16Stages=[], **size).train().requires_grad_(False)
    G_ema = copy.deepcopy(G).eval()
    loss = R3GANLoss(G=G, D=D)
    phases = [(name, module, torch.optim.Adam(module.parameters(), betas=[0.0, 0.0], eps=1e-8))
              for name, module in (("D", D), ("G", G))]  # fmt: skip

    gen = torch.Generator().manual_seed(a.seed)
    order, pos = torch.randperm(len(x_all), generator=gen), 0

    def next_batch() -> torch.Tensor:
        nonlocal order, pos
        if pos + a.batch > len(order):
            order, pos = torch.randperm(len(x_all), generator=gen), 0
        pos += a.batch
        return x_all[order[pos - a.batch : pos]]

    c0 = torch.zeros([a.batch, 0])
    a.out.mkdir(parents=True, exist_ok=True)
    log, t0, cur_nimg = [], time.time(), 0
    for step in range(1, a.steps + 1):
        d_img, d_z = next_batch(), torch.randn([a.batch, G.z_dim])
        g_img, g_z = next_batch(), torch.randn([a.batch, G.z_dim])
        cur = {k: cosine_decay_with_warmup(cur_nimg, **v) for k, v in SCHEDULES.items()}
        for (name, module, opt), real, z in zip(phases, (d_img, g_img), (d_z, g_z), strict=True):
            opt.zero_grad(set_to_none=True)
            module.requires_grad_(True)
            loss.accumulate_gradients(phase=name, real_img=real, real_c=c0, gen_z=z,
                                      gamma=cur["gamma"], gain=1)
            module.requires_grad_(False)
            for g in opt.param_groups:
                g["lr"], g["betas"] = cur["lr"], (0.0, cur["beta2"])
            opt.step()
        ema_beta = 0.5 ** (a.batch / max(cur["ema"], 1e-8))
        with torch.no_grad():
            for p_ema, p in zip(G_ema.parameters(), G.parameters(), strict=True):
                p_ema.copy_(p.lerp(p_ema, ema_beta))
            for b_ema, b in zip(G_ema.buffers(), G.buffers(), strict=True):
                b_ema.copy_(b)
        cur_nimg += a.batch
        if step % 25 == 0 or step == a.steps:
            row = {"step": step, "seconds": round(time.time() - t0, 1)}
            log.append(row)
            print(json.dumps(row), flush=True)
    seconds = time.time() - t0

    out = []
    with torch.no_grad():
        for _ in range(0, a.n_samples, a.batch):
            img = G_ema(torch.randn([a.batch, G_ema.z_dim]), c0)
            out.append(img.clamp(-1, 1).numpy().astype(np.float32))
    np.save(a.out / "samples.npy", np.concatenate(out)[: a.n_samples])
    count = lambda m: int(sum(p.numel() for p in m.parameters()))  # noqa: E731
    (a.out / "canonical_train.json").write_text(json.dumps({
        "library": "brownvc/R3GAN", "preset": "CIFAR10, unconditional", "aug": "none",
        "width": a.width, "cardinality": a.cardinality, "blocks": [2] * stages, "steps": a.steps,
        "batch": a.batch, "seed": a.seed, "train_seconds": seconds, "g_params": count(G),
        "d_params": count(D), "log": log,
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
