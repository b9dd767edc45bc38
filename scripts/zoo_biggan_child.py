"""The BigGAN side of scripts/zoo_compare.py's canonical runs (issue 23): the first author's own
code, ajbrock/BigGAN-PyTorch, run as it is on the CPU, offline.

Its 32 px setting is `scripts/launch_cifar_ema.sh` (CIFAR-10): BigGAN.py's Generator and
Discriminator at resolution 32 (three residual up-blocks, four residual down-blocks, class-
conditional batch norm from class embeddings, a projection discriminator, spectral norm in both),
no attention, no shared embedding or hierarchical z, N(0, 0.02) initialisation, no orthogonal
regularisation, 4 D steps per G step at lr 2e-4 both (Adam β (0, 0.999)), hinge loss, an EMA of G
from step 1,000. This file builds the configuration the way the library's train.py does
(`utils.prepare_parser` with the launch script's flags, then the same config entries train.py
sets for a 32 px, 10-class dataset), makes G, D, G_ema, the EMA and `train_fns.
GAN_training_function` with the library's own calls, on `cpu` instead of `cuda`, and feeds it the
digits zoo_compare.py exported (ganbench's `mnist32`, three equal channels, [-1, 1]) in batches of
batch x num_D_steps, shuffled, for exactly `--steps` G updates. Two departures, each said in the
row: the batch is ganbench's 64 (the launch script's 50), and the channel multiplier `--ch`
(G_ch = D_ch; the launch script's 64 makes 256 channels per block, over 100 s a step here) defaults
to 8, i.e. 32 channels at every stage, ganbench's `width` 32. `h5py` (imported by the library's
datasets.py for its HDF5 loader, which is not used) is stubbed.

Samples: 10,000 from G_ema (the launch script's --use_ema) as the library's `utils.sample` draws
them (z ~ N(0, I), y uniform over the classes, batches of 64, the model in training mode as
train.py leaves it), saved as float32 (N, 3, 32, 32).
"""

from __future__ import annotations

import json
import sys
import time
import types

import numpy as np
import torch
from zoo_child_args import child_parser

LAUNCH_CIFAR = [  # scripts/launch_cifar_ema.sh, less its multi-GPU flags (--parallel)
    "--shuffle", "--num_G_accumulations", "1", "--num_D_accumulations", "1",
    "--num_D_steps", "4", "--G_lr", "2e-4", "--D_lr", "2e-4", "--dataset", "C10",
    "--G_ortho", "0.0", "--G_attn", "0", "--D_attn", "0", "--G_init", "N02", "--D_init", "N02",
    "--ema", "--use_ema", "--ema_start", "1000", "--seed", "0",
]  # fmt: skip
LAUNCH_SAGAN = [  # scripts/launch_SAGAN_bs128x2_ema.sh, less its data and multi-GPU flags
    "--shuffle", "--num_G_accumulations", "1", "--num_D_accumulations", "1",
    "--num_D_steps", "1", "--G_lr", "1e-4", "--D_lr", "4e-4", "--D_B2", "0.999", "--G_B2", "0.999",
    "--G_attn", "16", "--D_attn", "16", "--G_nl", "relu", "--D_nl", "relu",
    "--SN_eps", "1e-8", "--BN_eps", "1e-5", "--adam_eps", "1e-8", "--G_ortho", "0.0",
    "--G_init", "xavier", "--D_init", "xavier", "--ema", "--use_ema", "--ema_start", "2000",
    "--G_eval_mode", "--dataset", "C10", "--seed", "0",
]  # fmt: skip
LAUNCHES = {"cifar": LAUNCH_CIFAR, "sagan": LAUNCH_SAGAN}


def main() -> None:
    ap = child_parser(__doc__, "BigGAN-PyTorch")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--ch", type=int, default=8)
    ap.add_argument("--launch", choices=tuple(LAUNCHES), default="cifar")
    ap.add_argument("--flags", default="", help="more train.py flags, one string (ablations)")
    a = ap.parse_args()

    torch.set_num_threads(1)
    sys.modules.setdefault("h5py", types.ModuleType("h5py"))
    sys.path.insert(0, str(a.lib))
    import BigGAN
    import train_fns
    import utils

    launch = LAUNCHES[a.launch]
    flags = [*launch, "--batch_size", str(a.batch), "--G_ch", str(a.ch), "--D_ch", str(a.ch),
             *a.flags.split()]
    flags[flags.index("--seed") + 1] = str(a.seed)
    config = vars(utils.prepare_parser().parse_args(flags))
    config["resolution"] = utils.imsize_dict[config["dataset"]]  # as train.py's run()
    config["n_classes"] = utils.nclass_dict[config["dataset"]]
    if a.launch == "sagan":  # ganbench's sagan is unconditional: one class for every image
        config["n_classes"] = 1
    config["G_activation"] = utils.activation_dict[config["G_nl"]]
    config["D_activation"] = utils.activation_dict[config["D_nl"]]
    utils.seed_rng(config["seed"])

    G, D = BigGAN.Generator(**config), BigGAN.Discriminator(**config)
    G_ema = BigGAN.Generator(**{**config, "skip_init": True, "no_optim": True})
    ema = utils.ema(G, G_ema, config["ema_decay"], config["ema_start"])
    GD = BigGAN.G_D(G, D)
    state_dict = {"itr": 0, "epoch": 0, "config": config}
    z_, y_ = utils.prepare_z_y(config["batch_size"], G.dim_z, config["n_classes"], device="cpu")
    train = train_fns.GAN_training_function(G, D, GD, z_, y_, ema, state_dict, config)

    x_all = torch.from_numpy(np.load(a.data))
    y_all = torch.from_numpy(np.load(a.labels)).long()
    if config["n_classes"] == 1:
        y_all = torch.zeros_like(y_all)
    per_step = a.batch * config["num_D_steps"] * config["num_D_accumulations"]
    gen = torch.Generator().manual_seed(a.seed)
    order, pos = torch.randperm(len(x_all), generator=gen), 0
    a.out.mkdir(parents=True, exist_ok=True)
    log, t0 = [], time.time()
    for step in range(1, a.steps + 1):
        if pos + per_step > len(order):  # a new shuffled pass (the loader's --shuffle)
            order, pos = torch.randperm(len(x_all), generator=gen), 0
        idx = order[pos : pos + per_step]
        pos += per_step
        state_dict["itr"] += 1
        G.train()
        D.train()
        G_ema.train()
        metrics = train(x_all[idx], y_all[idx])
        if step % 25 == 0 or step == a.steps:
            row = {"step": step, "seconds": round(time.time() - t0, 1), **metrics}
            log.append(row)
            print(json.dumps(row), flush=True)
    seconds = time.time() - t0

    out = []
    if config["G_eval_mode"]:  # train.py's sampling: G_ema in eval mode when the launch says so
        G_ema.eval()
    for _ in range(0, a.n_samples, config["batch_size"]):
        images, _labels = utils.sample(G_ema, z_, y_, config)
        out.append(images.clamp(-1, 1).numpy().astype(np.float32))
    np.save(a.out / "samples.npy", np.concatenate(out)[: a.n_samples])
    count = lambda m: int(sum(p.numel() for p in m.parameters()))  # noqa: E731
    (a.out / "canonical_train.json").write_text(json.dumps({
        "library": "ajbrock/BigGAN-PyTorch", "launch": a.launch,
        "flags": flags, "steps": a.steps, "seed": a.seed, "train_seconds": seconds,
        "g_params": count(G), "d_params": count(D), "log": log,
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
