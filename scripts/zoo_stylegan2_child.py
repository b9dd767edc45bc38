"""The StyleGAN2 side of scripts/zoo_compare.py's canonical runs (issue 23): NVIDIA's own PyTorch
code, NVlabs/stylegan2-ada-pytorch, on the CPU, offline.

Its 32 px setting is train.py's `cifar` config: training/networks.py's Generator (mapping network
of 2 layers, modulated / demodulated convolutions, noise inputs, skip outputs) and Discriminator
('orig' architecture, minibatch stddev over groups of 32), training/loss.py's StyleGAN2Loss
(non-saturating logistic loss, lazy R1 with γ 0.01 every 16 D steps, no path length, no style
mixing), Adam(0.0025, β (0, 0.99)) with the lazy-regularisation correction, batch 64, an EMA of G
with a half-life of 500k images ramped up at 0.05 of the images seen, no augmentation (StyleGAN2
itself; ADA is that code's later addition). The networks, loss and the torch_utils ops (their
reference implementations: the CUDA kernels are for GPUs) are the library's, imported from the
extracted code; the loop below makes the same calls in the same order as
training/training_loop.py (phases Gmain, Greg every 4, Dmain, Dreg every 16, the optimizer
correction mb_ratio, nan_to_num on the gradients, the EMA formula), which hard-codes a CUDA
device and so cannot be called on a CPU as it is. Departures, each said in the row: the channel
counts are ganbench's width 32 (`channel_base` 256, `channel_max` 32: 32 maps at 4 and 8 px, 16
at 16 px, 8 at 32 px, as ganbench's stylegan2; the config's 32768 / 512 are 512 maps at every
resolution, far beyond a CPU), no mixed precision (`num_fp16_res` 0: fp16 is a GPU speed-up), and
one image channel (the library's dataset_tool keeps grayscale images as one channel).

Samples: 10,000 from G_ema with the library's defaults (truncation ψ 1, random noise), saved as
float32 (N, 1, 32, 32), clipped to [-1, 1].
"""

from __future__ import annotations

import copy
import json
import sys
import time

import numpy as np
import torch
from zoo_child_args import child_parser

CIFAR = dict(mb=64, mbstd=32, lrate=0.0025, gamma=0.01, ema=500, ramp=0.05, map=2)  # train.py


def main() -> None:
    ap = child_parser(__doc__, "stylegan2-ada-pytorch")
    ap.add_argument("--channel-base", type=int, default=256)
    ap.add_argument("--channel-max", type=int, default=32)
    a = ap.parse_args()

    torch.set_num_threads(1)
    sys.path.insert(0, str(a.lib))
    from torch_utils import misc
    from training.loss import StyleGAN2Loss
    from training.networks import Discriminator, Generator

    np.random.seed(a.seed)  # as training_loop's random_seed * num_gpus + rank
    torch.manual_seed(a.seed)
    device = torch.device("cpu")
    x_all = torch.from_numpy(np.load(a.data))[:, :1]  # grayscale: one channel
    batch = CIFAR["mb"]
    synthesis = dict(channel_base=a.channel_base, channel_max=a.channel_max, num_fp16_res=0,
                     conv_clamp=256)
    G = Generator(z_dim=512, c_dim=0, w_dim=512, img_resolution=32, img_channels=1,
                  mapping_kwargs=dict(num_layers=CIFAR["map"]), synthesis_kwargs=synthesis)
    D = Discriminator(c_dim=0, img_resolution=32, img_channels=1, architecture="orig",
                      **synthesis, epilogue_kwargs=dict(mbstd_group_size=CIFAR["mbstd"]))
    G, D = G.train().requires_grad_(False), D.train().requires_grad_(False)
    G_ema = copy.deepcopy(G).eval()
    loss = StyleGAN2Loss(device=device, G_mapping=G.mapping, G_synthesis=G.synthesis, D=D,
                         r1_gamma=CIFAR["gamma"], pl_weight=0, style_mixing_prob=0)

    phases = []  # training_loop.py's "Setup training phases", G_reg_interval 4, D_reg_interval 16
    for name, module, reg_interval in (("G", G, 4), ("D", D, 16)):
        mb_ratio = reg_interval / (reg_interval + 1)
        opt = torch.optim.Adam(module.parameters(), lr=CIFAR["lrate"] * mb_ratio,
                               betas=[b**mb_ratio for b in (0, 0.99)], eps=1e-8)
        phases += [(name + "main", module, opt, 1), (name + "reg", module, opt, reg_interval)]

    gen = torch.Generator().manual_seed(a.seed)
    order, pos = torch.randperm(len(x_all), generator=gen), 0
    c0 = torch.zeros([batch, 0])
    a.out.mkdir(parents=True, exist_ok=True)
    log, t0, cur_nimg = [], time.time(), 0
    for batch_idx in range(a.steps):
        if pos + batch > len(order):
            order, pos = torch.randperm(len(x_all), generator=gen), 0
        real = x_all[order[pos : pos + batch]]
        pos += batch
        all_gen_z = torch.randn([len(phases) * batch, G.z_dim]).split(batch)
        for (name, module, opt, interval), gen_z in zip(phases, all_gen_z, strict=True):
            if batch_idx % interval != 0:
                continue
            opt.zero_grad(set_to_none=True)
            module.requires_grad_(True)
            loss.accumulate_gradients(phase=name, real_img=real, real_c=c0, gen_z=gen_z,
                                      gen_c=c0, sync=True, gain=interval)
            module.requires_grad_(False)
            for param in module.parameters():
                if param.grad is not None:
                    misc.nan_to_num(param.grad, nan=0, posinf=1e5, neginf=-1e5, out=param.grad)
            opt.step()
        ema_nimg = min(CIFAR["ema"] * 1000, cur_nimg * CIFAR["ramp"])
        ema_beta = 0.5 ** (batch / max(ema_nimg, 1e-8))
        with torch.no_grad():
            for p_ema, p in zip(G_ema.parameters(), G.parameters(), strict=True):
                p_ema.copy_(p.lerp(p_ema, ema_beta))
            for b_ema, b in zip(G_ema.buffers(), G.buffers(), strict=True):
                b_ema.copy_(b)
        cur_nimg += batch
        if (batch_idx + 1) % 25 == 0 or batch_idx + 1 == a.steps:
            row = {"step": batch_idx + 1, "seconds": round(time.time() - t0, 1)}
            log.append(row)
            print(json.dumps(row), flush=True)
    seconds = time.time() - t0

    out = []
    with torch.no_grad():
        for _ in range(0, a.n_samples, batch):
            z = torch.randn([batch, G_ema.z_dim])
            out.append(G_ema(z, torch.zeros([batch, 0])).clamp(-1, 1).numpy().astype(np.float32))
    np.save(a.out / "samples.npy", np.concatenate(out)[: a.n_samples])
    count = lambda m: int(sum(p.numel() for p in m.parameters()))  # noqa: E731
    (a.out / "canonical_train.json").write_text(json.dumps({
        "library": "NVlabs/stylegan2-ada-pytorch", "config": "cifar", "aug": "noaug",
        "channel_base": a.channel_base, "channel_max": a.channel_max, "steps": a.steps,
        "seed": a.seed, "train_seconds": seconds, "g_params": count(G), "d_params": count(D),
        "log": log,
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
