"""Hold ganbench's image variants against the canonical PyTorch-GAN zoo (issue 23), offline.

For a variant it trains the zoo's own script (eriklindernoren/PyTorch-GAN, implementations/...)
on ganbench's bundled 4,000 `mnist` training digits for the same number of generator steps as
ganbench's budget, saves the zoo's generator, and scores it with `ganbench eval --generator` in
the same feature space, at the same evaluation sizes and seed as `ganbench run` of the same
variant. Nothing of the zoo is imported into ganbench or committed: the scripts are extracted from
the local mirror into a temporary folder (`git archive`) and run there as they are, in a child
process, with three things replaced from outside:

- torchvision's `datasets.MNIST` (and the zoo's `mnistm.MNISTM` for CoGAN) by the bundled digits
  as PIL images through the script's own transforms (its 32 px `Resize` included); CoGAN's second
  domain is the digits' negatives, as ganbench's `cogan` (the zoo's MNIST-M needs a download);
- `torch.utils.data.DataLoader` by a loader that yields exactly `steps x n_critic` shuffled full
  batches in one epoch (the zoo updates G once per batch, or once every n_critic batches), so the
  zoo's generator makes exactly `steps` updates;
- argv: `--n_epochs 1 --batch_size B` and no intermediate sample pictures.

The zoo's generator is wrapped (noise -> its own inputs, 32 px outputs resized to the dataset's
28 px with antialiasing, the inverse of the zoo's own 28 -> 32 resize) and traced with TorchScript
into the run folder, with a plug-in file `ganbench eval` loads. `reference` scores the held-out
digits sent through the same 28 -> 32 -> 28 round trip: the FID floor the resize alone costs.

    python scripts/zoo_compare.py zoo lsgan --steps 500 --seed 0      # the zoo's run, scored
    python scripts/zoo_compare.py ours lsgan --steps 500 --seed 0     # ganbench's run, scored
    python scripts/zoo_compare.py reference                           # the resize round trip
    python scripts/zoo_compare.py grid lsgan                          # side-by-side PNG
    python scripts/zoo_compare.py table                               # markdown table of rows

Everything lands under --root (default /tmp/zooaudit): zoo/ (the extracted scripts), runs/ (one
folder per run: the zoo's log, the traced generator, the plug-in, ganbench's eval folder).
Each run is one thread (as ganbench's runs), nice'd by the caller if the machine is shared.

Canonical code outside the zoo (`OUTSIDE`: sngan, biggan, sagan, stylegan2, r3gan, and ablations
of biggan): a child script per library (scripts/zoo_*_child.py) runs the authors' code as it is,
from its local mirror, in its own Python where it needs one (Chainer for sngan:
ZOO_CHAINER_PYTHON), on the exported digits (`mnist`, or `mnist32` for the 32 px variants), and
saves samples; `zoo VARIANT` then scores them through a plug-in that serves them in order.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT_DEFAULT = Path("/tmp/zooaudit")
MIRROR = Path("/work/.mirror/eriklindernoren+PyTorch-GAN/repo")
REPO = Path(__file__).resolve().parents[1]
# The ganbench source the runs import (a frozen copy keeps long audits off a tree others edit)
SRC = Path(os.environ.get("ZOO_GANBENCH_SRC", str(REPO)))
PYTHON = sys.executable
DATASET = "mnist"  # the zoo's scripts; an OUTSIDE entry sets its own (main)
SIZE = {"mnist": 28, "mnist32": 32}
BATCH = 64
COLUMNS = ("fid", "precision", "recall", "density", "coverage", "mode_coverage")


@dataclass(frozen=True)
class Zoo:
    """How to run one zoo script: its path under implementations/, extra argv, critic updates per
    generator update (batches per G step), the generator's global name and how it is called."""

    script: str
    argv: tuple[str, ...] = ()
    n_critic: int = 1
    gen: str = "generator"
    call: str = "plain"  # plain | labels | infogan | aae | cogan | clustergan
    latent: int = 100
    batch: int = BATCH
    note: str = ""
    unit_range: bool = False  # the script trains on [0, 1] images (ToTensor, sigmoid output)
    sample_interval: bool = True  # whether the script takes --sample_interval
    zn_scale: float = 0.75  # clustergan: the scale of z_n the script draws
    # Textual fixes applied to the temporary copy so that the script runs at all on this torch
    # (each one a crash, not a change of method): (old, new) pairs.
    patches: tuple[tuple[str, str], ...] = ()


# bgan.py and dragan.py iterate over `mnist_loader`, a name they never define (NameError)
LOADER_NAME = ("mnist_loader", "dataloader")
# softmax_gan.py steps D, then backpropagates G's loss through the graph D's step modified
# (RuntimeError "modified by an inplace operation" on torch >= 1.5): G's gradient is taken before
# either net steps and reaches G's parameters only, i.e. the simultaneous update the script means
SOFTMAX_SIMULTANEOUS = (
    ("        d_loss.backward(retain_graph=True)\n        optimizer_D.step()\n",
     "        d_loss.backward(retain_graph=True)\n"),
    ("        g_loss.backward()\n        optimizer_G.step()\n",
     "        g_loss.backward(inputs=list(generator.parameters()))\n"
     "        optimizer_D.step()\n        optimizer_G.step()\n"),
)

# clustergan.py hard-codes CUDA (torch.cuda.FloatTensor, .cuda() on every tensor it makes), and
# on every G step backpropagates D's loss through G's graph after G's step changed its weights
# (the softmax_gan error): D's loss now reaches D's parameters only, which is all the old torch
# used of it (G's stray gradient was zeroed before G's next step)
CLUSTERGAN_FIXES = (
    ("torch.cuda.FloatTensor", "torch.FloatTensor"),
    (".cuda()", ""),
    ("        d_loss.backward()\n        optimizer_D.step()\n",
     "        d_loss.backward(inputs=list(discriminator.parameters()))\n"
     "        optimizer_D.step()\n"),
)

ZOO: dict[str, Zoo] = {
    "gan": Zoo("gan/gan.py"),
    "dcgan": Zoo("dcgan/dcgan.py"),
    "lsgan": Zoo("lsgan/lsgan.py"),
    "wgan": Zoo("wgan/wgan.py", n_critic=5),
    "wgan-gp": Zoo("wgan_gp/wgan_gp.py", n_critic=5),
    "wgan-div": Zoo("wgan_div/wgan_div.py", n_critic=5),
    "dragan": Zoo("dragan/dragan.py", patches=(LOADER_NAME,)),
    "began": Zoo("began/began.py", latent=62, patches=((".data[0]", ".item()"),)),
    "ebgan": Zoo("ebgan/ebgan.py", latent=62),
    "bgan": Zoo("bgan/bgan.py", patches=(LOADER_NAME,)),
    "softmax-gan": Zoo("softmax_gan/softmax_gan.py", patches=SOFTMAX_SIMULTANEOUS),
    "rsgan": Zoo("relativistic_gan/relativistic_gan.py"),
    "ragan": Zoo("relativistic_gan/relativistic_gan.py", argv=("--rel_avg_gan",)),
    "rgan": Zoo("relativistic_gan/relativistic_gan.py", note="zoo has RSGAN only; ours is RLSGAN"),
    "cgan": Zoo("cgan/cgan.py", call="labels"),
    "acgan": Zoo("acgan/acgan.py", call="labels"),
    "sgan": Zoo("sgan/sgan.py"),
    "infogan": Zoo("infogan/infogan.py", call="infogan", latent=62),
    "aae": Zoo("aae/aae.py", gen="decoder", latent=10),
    "cogan": Zoo("cogan/cogan.py", gen="coupled_generators", call="cogan", batch=BATCH // 2),
    # --wass_flag: the paper's WGAN-GP adversarial part (the script's default is the vanilla loss)
    "clustergan": Zoo("cluster_gan/clustergan.py", argv=("--wass_flag",), n_critic=5,
                      call="clustergan", latent=40, unit_range=True, sample_interval=False,
                      patches=CLUSTERGAN_FIXES),
}
# the zoo's ClusterGAN with the z_n scale of the paper and the authors' util.py (0.10, not 0.75)
ZOO["clustergan-sigma0.1"] = replace(
    ZOO["clustergan"], zn_scale=0.10,
    patches=(*CLUSTERGAN_FIXES, ("0.75*np.random", "0.10*np.random")),
)


# --- the child: one zoo script, offline ------------------------------------------------------


def _digits(train: bool):
    """ganbench's DATASET split as uint8 arrays (N, H, W) and int labels."""
    import numpy as np

    sys.path.insert(0, str(SRC))
    from ganbench.data import get_dataset

    data = get_dataset(DATASET)
    x = data.train if train else data.test
    y = data.train_labels if train else data.test_labels
    pixels = ((x[:, 0].numpy() + 1.0) * 127.5).round().clip(0, 255).astype(np.uint8)
    return pixels, y.numpy().astype(np.int64)


class _Digits:
    """Stands in for torchvision.datasets.MNIST: the bundled digits through the zoo's transform,
    computed once (the transforms are deterministic: Resize, ToTensor, Normalize)."""

    negative = False
    rgb = False

    def __init__(self, root=None, train=True, download=False, transform=None, **_):
        import torch
        from PIL import Image

        pixels, labels = _digits(train)
        if self.negative:
            pixels = 255 - pixels
        items = []
        for p in pixels:
            img = Image.fromarray(p, mode="L")
            if self.rgb:
                img = img.convert("RGB")
            items.append(transform(img) if transform is not None else img)
        self.x = torch.stack(items) if transform is not None else items
        self.y = torch.from_numpy(labels)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], int(self.y[i])


class _RGBDigits(_Digits):
    """The digits as three equal channels (PIL's convert("RGB"))."""

    rgb = True


class _NegativeRGB(_Digits):
    """CoGAN's second domain: the negatives of the digits, 3 channels as the zoo's MNIST-M."""

    negative = True
    rgb = True


def _loader_class(n_batches: int, seed: int):
    import torch

    class FixedLoader:
        """Exactly n_batches full batches, reshuffled each pass over the data, as one epoch."""

        def __init__(self, dataset, batch_size=1, shuffle=False, **_):
            self.dataset, self.batch_size = dataset, batch_size
            self.gen = torch.Generator().manual_seed(seed + 7 * FixedLoader.made)
            FixedLoader.made += 1

        made = 0

        def __len__(self):
            return n_batches

        def __iter__(self):
            ds, b = self.dataset, self.batch_size
            order, pos = torch.randperm(len(ds), generator=self.gen), 0
            for _ in range(n_batches):
                if pos + b > len(order):
                    order, pos = torch.randperm(len(ds), generator=self.gen), 0
                idx = order[pos : pos + b]
                pos += b
                yield ds.x[idx], ds.y[idx]

    return FixedLoader


def to_dataset_pixels(img):
    """A canonical run's images in [-1, 1] as DATASET's: one channel (the mean of three), its size
    (for mnist 28 px, antialiased: the inverse of the zoo's own 28 -> 32 resize)."""
    import torch.nn.functional as F

    size = SIZE[DATASET]
    if img.shape[1] == 3:
        img = img.mean(1, keepdim=True)
    if img.shape[-1] != size:
        img = F.interpolate(img, size=(size, size), mode="bilinear", antialias=True,
                            align_corners=False)
    return img.clamp(-1, 1)


class _Wrapped:
    """Builds the sampling module ganbench scores: ganbench's noise -> the zoo generator's own
    inputs -> its image, resized to 28 px (antialiased), one channel."""

    @staticmethod
    def build(gen, zoo: Zoo, n_classes: int = 10, code_dim: int = 2, dim_zn: int = 30):
        import torch
        import torch.nn.functional as F
        from torch import nn

        class Sampler(nn.Module):
            def __init__(self):
                super().__init__()
                self.g = gen

            def out(self, img):
                return to_dataset_pixels(img * 2 - 1 if zoo.unit_range else img)

        class Plain(Sampler):
            def forward(self, z):
                return self.out(self.g(z))

        class Labels(Sampler):
            def forward(self, z, labels):
                return self.out(self.g(z, labels))

        class Info(Sampler):
            # z (62 + 10 + 2): noise; argmax of 10 i.i.d. normals is a uniform category; Φ maps
            # a normal to U(-1, 1) as the zoo's code.
            def forward(self, z):
                noise, cat, u = z[:, :62], z[:, 62:72], z[:, 72:74]
                onehot = F.one_hot(cat.argmax(1), n_classes).to(z.dtype)
                code = torch.erf(u / math.sqrt(2.0))
                return self.out(self.g(noise, onehot, code))

        class CoGAN(Sampler):
            def forward(self, z):
                return self.out(self.g(z)[0])

        class Cluster(Sampler):
            # z (30 + 10): z_n as the script's sample_z draws it (zn_scale N(0, 1)); the argmax
            # of 10 i.i.d. normals is a uniform cluster, one-hot as its z_c.
            def forward(self, z):
                zn, cat = zoo.zn_scale * z[:, :dim_zn], z[:, dim_zn : dim_zn + n_classes]
                return self.out(self.g(zn, F.one_hot(cat.argmax(1), n_classes).to(z.dtype)))

        return {"plain": Plain, "labels": Labels, "infogan": Info, "aae": Plain,
                "cogan": CoGAN, "clustergan": Cluster}[zoo.call]()


def child(variant: str, steps: int, seed: int, folder: Path, zoo_dir: Path) -> None:
    """Run the zoo's script in this process with the offline replacements, then save the traced
    sampler and the plug-in file."""
    import numpy as np
    import torch
    import torch.utils.data
    import torchvision.datasets

    zoo = ZOO[variant]
    script = zoo_dir / "implementations" / zoo.script
    if zoo.patches:  # a patched copy beside the original, in the temporary folder
        text = script.read_text()
        for old, new in zoo.patches:
            if old not in text:
                raise SystemExit(f"{zoo.script}: patch target {old!r} not found")
            text = text.replace(old, new)
        script = script.with_name(f"{script.stem}_patched_{variant.replace('.', '_')}.py")
        script.write_text(text)
    torch.set_num_threads(1)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torchvision.datasets.MNIST = _Digits
    torch.utils.data.DataLoader = _loader_class(steps * zoo.n_critic, seed)
    if zoo.call == "cogan":
        import types

        sys.modules["mnistm"] = types.SimpleNamespace(MNISTM=_NegativeRGB)
    work = folder / "work" / "a" / "b"  # the zoo writes ../../data and images/ relative to it
    work.mkdir(parents=True, exist_ok=True)
    os.chdir(work)
    sys.argv = [str(script), "--n_epochs", "1", "--batch_size", str(zoo.batch),
                *(("--sample_interval", str(10**9)) if zoo.sample_interval else ()), *zoo.argv]
    import runpy

    t0 = time.time()
    g = runpy.run_path(str(script), run_name="__main__")
    seconds = time.time() - t0
    gen = g[zoo.gen].eval()
    sampler = _Wrapped.build(gen, zoo).eval()
    in_dim = {"infogan": 74}.get(zoo.call, zoo.latent)
    z = torch.randn(8, in_dim)
    with torch.no_grad():
        if zoo.call == "labels":
            traced = torch.jit.trace(sampler, (z, torch.arange(8) % 10))
        else:
            traced = torch.jit.trace(sampler, (z,))
    traced.save(str(folder / "zoo_G.pt"))
    conditional = zoo.call == "labels"
    (folder / "zoo_plugin.py").write_text(PLUGIN.format(latent=in_dim, conditional=conditional))
    params = sum(p.numel() for p in gen.parameters())
    d = g.get("discriminator") or g.get("coupled_discriminators")
    (folder / "zoo_train.json").write_text(json.dumps({
        "variant": variant, "script": f"implementations/{zoo.script}", "argv": sys.argv[1:],
        "steps": steps, "batches": steps * zoo.n_critic, "seed": seed, "train_seconds": seconds,
        "g_params": params, "d_params": sum(p.numel() for p in d.parameters()) if d else None,
        **(clustering(g["encoder"]) if zoo.call == "clustergan" else {}),
    }, indent=1))


def clustering(encoder) -> dict:
    """ClusterGAN's own figures for the zoo's encoder, as ganbench's row computes them
    (ClusterGAN.extra_metrics): argmax of its z_c on the first 1,000 held-out digits, purity and
    best one-to-one accuracy against their labels."""
    import torch

    sys.path.insert(0, str(SRC))
    from ganbench.data import get_dataset
    from ganbench.variants._latent import held_out, matched_accuracy, purity

    x, y = held_out(get_dataset(DATASET))
    with torch.no_grad():
        clusters = encoder.eval()((x + 1) / 2)[1].argmax(1)  # the zoo's encoder reads [0, 1]
    return {"cluster_purity": purity(clusters, y, 10, 10),
            "cluster_accuracy": matched_accuracy(clusters, y, 10, 10)}  # fmt: skip


PLUGIN = '''"""The zoo's generator traced by scripts/zoo_compare.py (not part of ganbench)."""
from pathlib import Path

import torch
from torch import nn


class G(nn.Module):
    latent_dim = {latent}
    conditional = {conditional}

    def __init__(self):
        super().__init__()
        self.g = torch.jit.load(str(Path(__file__).with_name("zoo_G.pt")))

    def forward(self, z, labels=None):
        return self.g(z) if labels is None else self.g(z, labels)
'''


# --- canonical code outside the zoo: a child script in its own Python saves samples ------------

CHAINER_PYTHON = os.environ.get("ZOO_CHAINER_PYTHON", "/tmp/chainervenv/bin/python")
CHAINER_SETUP = (
    "python3.11 -m venv /tmp/chainervenv && /tmp/chainervenv/bin/pip install 'setuptools<70' "
    "wheel 'numpy<2' && /tmp/chainervenv/bin/pip install --no-build-isolation chainer==7.8.1"
)


@dataclass(frozen=True)
class Outside:
    """A canonical implementation that is not a zoo script: `scripts/<child>` runs the authors'
    code as it is (the files `paths` of the mirror's HEAD, extracted under --root) on the exported
    digits of `dataset` (three equal channels, 32 px, [-1, 1]) and saves samples; a plug-in serves
    them to `ganbench eval` in order."""

    child: str
    mirror: str  # /work/.mirror/<mirror>/repo
    paths: tuple[str, ...]
    dataset: str  # both sides train on it
    python: str = sys.executable
    setup: str = ""  # how to make `python` where it is not this one
    args: tuple[str, ...] = ()  # for the child


BIGGAN_PYTORCH_FILES = ("LICENSE", "BigGAN.py", "layers.py", "train_fns.py", "utils.py",
                        "losses.py", "animal_hash.py", "datasets.py", "sync_batchnorm")
OUTSIDE: dict[str, Outside] = {
    # SN-GAN's standard CNN: the authors' lab's Chainer library (scripts/zoo_chainer_child.py)
    "sngan": Outside(
        "zoo_chainer_child.py", "pfnet-research+chainer-gan-lib",
        ("LICENSE", "common/net.py", "common/sn", "stdgan"),  # HEAD's LFS-less .npz breaks a full archive
        "mnist", python=CHAINER_PYTHON, setup=CHAINER_SETUP,
    ),
    # BigGAN at 32 px: the first author's PyTorch code, its CIFAR launch script
    "biggan": Outside(
        "zoo_biggan_child.py", "ajbrock+BigGAN-PyTorch",
        BIGGAN_PYTORCH_FILES,
        "mnist32",
    ),
    # SAGAN: its authors' code is TensorFlow 1 with tf.contrib (gone); BigGAN-PyTorch's SA-GAN
    # launch script, unconditional (one class), is the runnable reference implementation
    "sagan": Outside(
        "zoo_biggan_child.py", "ajbrock+BigGAN-PyTorch",
        BIGGAN_PYTORCH_FILES,
        "mnist32", args=("--launch", "sagan"),
    ),
    # StyleGAN2 at 32 px: NVIDIA's PyTorch code, its `cifar` config (scripts/zoo_stylegan2_child.py)
    "stylegan2": Outside(
        "zoo_stylegan2_child.py", "NVlabs+stylegan2-ada-pytorch",
        ("LICENSE.txt", "dnnlib", "torch_utils", "training"),
        "mnist32",
    ),
    # R3GAN at 32 px: the authors' released code, its CIFAR10 preset (scripts/zoo_r3gan_child.py)
    "r3gan": Outside(
        "zoo_r3gan_child.py", "brownvc+R3GAN",
        ("README.md", "R3GAN", "dnnlib", "torch_utils", "training"),
        "mnist32",
    ),
}  # fmt: skip
# BigGAN-PyTorch's 32 px run moved toward ganbench's biggan (ablations): the hierarchical z into
# a shared class embedding's conditioning (dim_z 120, shared_dim 128), and self-attention at 16 px
OUTSIDE["biggan-hier"] = replace(
    OUTSIDE["biggan"], args=("--flags=--hier --G_shared --shared_dim 128 --dim_z 120",)
)
OUTSIDE["biggan-attn"] = replace(OUTSIDE["biggan"], args=("--flags=--G_attn 16 --D_attn 16",))
# ... and with ganbench's optimizer (the ImageNet launch script's: one D step, lr 4e-4 / 1e-4)
OUTSIDE["biggan-1d"] = replace(
    OUTSIDE["biggan"], args=("--flags=--num_D_steps 1 --D_lr 4e-4 --G_lr 1e-4 --adam_eps 1e-6",)
)
# ... with the paper's orthogonal regularisation (β 1e-4; the launch scripts set --G_ortho 0.0)
OUTSIDE["biggan-ortho"] = replace(OUTSIDE["biggan"], args=("--flags=--G_ortho 1e-4",))
# ... pairs of them: which combination costs
OUTSIDE["biggan-hier-1d"] = replace(OUTSIDE["biggan"], args=(
    "--flags=--hier --G_shared --shared_dim 128 --dim_z 120"
    " --num_D_steps 1 --D_lr 4e-4 --G_lr 1e-4 --adam_eps 1e-6",))
OUTSIDE["biggan-attn-1d"] = replace(OUTSIDE["biggan"], args=(
    "--flags=--G_attn 16 --D_attn 16 --num_D_steps 1 --D_lr 4e-4 --G_lr 1e-4 --adam_eps 1e-6",))
# ... and with every setting of ganbench's biggan at once (the code's architecture aside)
OUTSIDE["biggan-settings"] = replace(OUTSIDE["biggan"], args=(
    "--flags=--hier --G_shared --shared_dim 128 --dim_z 120 --G_attn 16 --D_attn 16"
    " --num_D_steps 1 --D_lr 4e-4 --G_lr 1e-4 --adam_eps 1e-6 --G_ortho 1e-4",))

SAVED_PLUGIN = '''"""A canonical run's saved samples, in order (scripts/zoo_compare.py; not ganbench)."""
from pathlib import Path

import numpy as np
import torch


class Saved:
    def __init__(self):
        self.x = torch.from_numpy(np.load(Path(__file__).with_name("samples_dataset.npy")))
        self.pos = 0

    def __call__(self, n, device, labels=None):
        if self.pos + n > len(self.x):
            raise RuntimeError(f"only {{len(self.x)}} saved samples; the evaluation asked for more")
        self.pos += n
        return self.x[self.pos - n : self.pos].to(device)


def saved():
    return Saved()
'''


def export_digits(root: Path) -> tuple[Path, Path]:
    """The training digits of DATASET for an outside child: (N, 3, 32, 32) float32 in [-1, 1]
    (mnist through the zoo's 28 -> 32 resize, mnist32 as it is) and their labels."""
    import numpy as np
    import torchvision.transforms as T

    data, labels = root / f"digits-{DATASET}-rgb32.npy", root / f"labels-{DATASET}.npy"
    if not data.exists():
        if DATASET == "mnist":
            tf = T.Compose([T.Resize(32), T.ToTensor(), T.Normalize([0.5], [0.5])])
            digits = _RGBDigits(train=True, transform=tf)
            x, y = digits.x, digits.y
        else:  # ganbench's own tensors, as its runs see them
            sys.path.insert(0, str(SRC))
            from ganbench.data import get_dataset

            ds = get_dataset(DATASET)
            x, y = ds.train.repeat(1, 3, 1, 1), ds.train_labels
        np.save(data, x.numpy().astype(np.float32))
        np.save(labels, y.numpy().astype(np.int64))
    return data, labels


def outside_train(root: Path, variant: str, steps: int, seed: int, folder: Path) -> None:
    """Train the variant's outside canonical code in its child, then save its samples as the
    dataset's pixels beside a plug-in that serves them."""
    import numpy as np
    import torch

    spec = OUTSIDE[variant]
    if not Path(spec.python).exists():
        raise SystemExit(f"{spec.python} not found: {spec.setup or 'set the interpreter'}")
    lib = root / spec.mirror.split("+", 1)[1]
    if not (lib / spec.paths[0]).exists():
        lib.mkdir(parents=True, exist_ok=True)
        mirror = Path("/work/.mirror") / spec.mirror / "repo"
        archive = subprocess.run(
            ["git", "-C", str(mirror), "archive", "HEAD", *spec.paths],
            check=True, capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(lib)], input=archive, check=True)
    data, labels = export_digits(root)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    if not (folder / "samples.npy").exists():
        with (folder / "zoo.log").open("w") as log:
            subprocess.run(
                [spec.python, str(REPO / "scripts" / spec.child), "--lib", str(lib),
                 "--data", str(data), "--labels", str(labels), "--steps", str(steps),
                 "--seed", str(seed), "--out", str(folder), *spec.args],
                check=True, stdout=log, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip
    x = to_dataset_pixels(torch.from_numpy(np.load(folder / "samples.npy")))
    np.save(folder / "samples_dataset.npy", x.numpy())
    (folder / "zoo_plugin.py").write_text(SAVED_PLUGIN)


# --- the parent: runs, scores, pictures ------------------------------------------------------


def extract_zoo(root: Path) -> Path:
    zoo_dir = root / "zoo"
    if not (zoo_dir / "implementations" / "dcgan" / "dcgan.py").exists():
        zoo_dir.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(MIRROR), "archive", "HEAD", "implementations"],
            check=True, capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(zoo_dir)], input=archive, check=True)
    return zoo_dir


def run_folder(root: Path, who: str, variant: str, steps: int, seed: int, tag: str = "") -> Path:
    name = f"{who}-{variant}-{steps}-s{seed}" + (f"-{tag}" if tag else "")
    return root / "runs" / name


def read_row(out: Path) -> dict:
    """The run's (or plug-in's) row: the leaderboard also holds the `real` reference row."""
    rows = list(csv.DictReader((out / "leaderboard.csv").open()))
    return next(r for r in rows if r.get("origin") != "reference")


def ganbench(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}  # -m puts the cwd first on the path: run in SRC
    subprocess.run([PYTHON, "-m", "ganbench.cli", *args], check=True, env=env, cwd=str(SRC))


def zoo_run(root: Path, variant: str, steps: int, seed: int) -> dict:
    folder = run_folder(root, "zoo", variant, steps, seed)
    folder.mkdir(parents=True, exist_ok=True)
    saved = variant in OUTSIDE
    if saved and not (folder / "zoo_plugin.py").exists():
        outside_train(root, variant, steps, seed, folder)
    elif not saved and not (folder / "zoo_G.pt").exists():
        zoo_dir = extract_zoo(root)
        env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
        with (folder / "zoo.log").open("w") as log:
            subprocess.run(
                [PYTHON, __file__, "_child", variant, "--steps", str(steps), "--seed", str(seed),
                 "--folder", str(folder), "--zoo", str(zoo_dir)],
                check=True, stdout=log, stderr=subprocess.STDOUT, env=env,
            )
    ev = folder / "eval"
    if not (ev / "leaderboard.csv").exists():
        plugin = f"{folder / 'zoo_plugin.py'}:{'saved' if saved else 'G'}"
        ganbench("eval", "--generator", plugin, "--dataset", DATASET,
                 "--name", f"zoo-{variant}", "--seeds", str(seed), "--preset", "quick",
                 "--out", str(ev), "--no-report", "--quiet", "--device", "cpu")
    return read_row(ev)


def ours_run(root: Path, variant: str, steps: int, seed: int, hp: list[str], tag: str) -> dict:
    folder = run_folder(root, "ours", variant, steps, seed, tag)
    if not (folder / "leaderboard.csv").exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "ours_hp.json").write_text(json.dumps(hp))
        args = ["run", "--variant", variant, "--dataset", DATASET, "--preset", "quick",
                "--steps", str(steps), "--seeds", str(seed), "--out", str(folder),
                "--no-report", "--quiet", "--device", "cpu", "--jobs", "1"]
        for kv in hp:
            args += ["--hp", kv]
        ganbench(*args)
    return read_row(folder)


class RoundTrip:
    """The held-out digits sent 28 -> 32 (the zoo's PIL resize) -> 28 (the sampler's resize),
    drawn uniformly: what the resize alone costs in the metrics."""

    latent_dim = 1

    def __init__(self):
        import numpy as np
        import torch
        import torch.nn.functional as F
        import torchvision.transforms as T
        from PIL import Image

        pixels, _ = _digits(train=True)
        tf = T.Compose([T.Resize(32), T.ToTensor(), T.Normalize([0.5], [0.5])])
        x = torch.stack([tf(Image.fromarray(p, mode="L")) for p in pixels])
        self.x = F.interpolate(x, size=(28, 28), mode="bilinear", antialias=True).clamp(-1, 1)
        self.rng = np.random.default_rng(0)

    def __call__(self, n, device):
        import torch

        idx = torch.from_numpy(self.rng.integers(0, len(self.x), n))
        return self.x[idx].to(device)


def reference(root: Path, seed: int) -> dict:
    out = root / "runs" / f"reference-roundtrip-s{seed}"
    if not (out / "leaderboard.csv").exists():
        ganbench("eval", "--generator", f"{__file__}:roundtrip_train", "--dataset", DATASET,
                 "--name", "train-roundtrip", "--seeds", str(seed), "--preset", "quick",
                 "--out", str(out), "--no-report", "--quiet", "--device", "cpu")
    return read_row(out)


def roundtrip_train():
    """Plug-in factory for `reference`: training digits through the zoo's resize round trip."""
    return RoundTrip()


def grid(
    root: Path, variant: str, steps: int, seed: int, tag: str, dest: Path, vs: str | None = None
) -> Path:
    """ganbench's samples beside the zoo's (its run of `vs`, default the same variant): two 8 x 8
    grids of the same noise size, one PNG."""
    import importlib.util

    import torch
    from torchvision.utils import make_grid, save_image

    g = torch.Generator().manual_seed(1234)
    labels = torch.arange(64) % 10
    # ours: the run's checkpoint (nets by name), sampled in eval mode
    model = load_ours(run_folder(root, "ours", variant, steps, seed, tag), variant)
    with torch.no_grad():
        z = model.noise(64, "cpu", g)
        a = model.generate(z, labels if model.conditional else None)
    # the zoo's traced sampler
    zf = run_folder(root, "zoo", vs or variant, steps, seed)
    spec_ = importlib.util.spec_from_file_location("zoo_plugin", zf / "zoo_plugin.py")
    mod = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(mod)
    if hasattr(mod, "saved"):  # a canonical run's saved samples (chainer-gan-lib)
        b = mod.saved()(64, "cpu")
    else:
        zg = mod.G().eval()
        with torch.no_grad():
            zz = torch.randn(64, zg.latent_dim, generator=g)
            b = zg(zz, labels) if zg.conditional else zg(zz)
    pad = torch.ones(1, a.shape[-1] * 8 + 18, 8)
    left = make_grid(a.clamp(-1, 1) * 0.5 + 0.5, nrow=8, padding=2, pad_value=1)[:1]
    right = make_grid(b.clamp(-1, 1) * 0.5 + 0.5, nrow=8, padding=2, pad_value=1)[:1]
    dest.mkdir(parents=True, exist_ok=True)
    name = variant + (f"-{tag}" if tag else "") + (f"-{steps}-steps" if steps != 500 else "")
    path = dest / f"{name}.png"
    save_image(torch.cat([left, pad, right], 2), path)
    return path


def load_ours(folder: Path, variant: str):
    """ganbench's trained variant from its run folder, built as the run built it (preset width,
    --hp; ganbench.harness.run.trained_variant), G in eval mode."""
    sys.path.insert(0, str(SRC))
    from ganbench.harness.run import trained_variant

    model = trained_variant(next(folder.glob("runs/*/*/seed*/checkpoint.pt")).parent)
    model.G.eval()
    return model


class Smoothed:
    """ganbench's generator through the zoo's resize round trip (28 -> 32 as torchvision's PIL
    bilinear resize, -> 28 as the zoo's sampler here): what the zoo's 32 px pipeline alone does
    to the scores of the same samples."""

    def __init__(self):
        import torch

        folder, variant = Path(os.environ["ZOO_SMOOTH_FOLDER"]), os.environ["ZOO_SMOOTH_VARIANT"]
        self.model = load_ours(folder, variant)
        self.g = torch.Generator().manual_seed(0)

    def __call__(self, n, device, labels=None):
        import torch
        import torch.nn.functional as F

        with torch.no_grad():
            z = self.model.noise(n, "cpu", self.g)
            x = self.model.generate(z, labels.cpu() if self.model.conditional else None)
            up = F.interpolate(x, size=(32, 32), mode="bilinear", antialias=True)
            x = F.interpolate(up, size=(28, 28), mode="bilinear", antialias=True)
        return x.clamp(-1, 1).to(device)


def ours_smoothed():
    """Plug-in factory for `smooth`."""
    return Smoothed()


def smooth(root: Path, variant: str, steps: int, seed: int, tag: str) -> dict:
    folder = run_folder(root, "ours", variant, steps, seed, tag)
    out = folder / "smoothed"
    if not (out / "leaderboard.csv").exists():
        os.environ.update(ZOO_SMOOTH_FOLDER=str(folder), ZOO_SMOOTH_VARIANT=variant)
        ganbench("eval", "--generator", f"{__file__}:ours_smoothed", "--dataset", DATASET,
                 "--name", f"smoothed-{variant}", "--seeds", str(seed), "--preset", "quick",
                 "--out", str(out), "--no-report", "--quiet", "--device", "cpu")
    return read_row(out)


def fmt(row: dict) -> str:
    def f(k, d=3):
        try:
            return f"{float(row[k]):.{d}f}"
        except (KeyError, ValueError):
            return "-"

    return f"{f('fid', 1)} / {f('precision', 2)} / {f('recall', 2)}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "what", choices=("zoo", "ours", "smooth", "reference", "grid", "table", "_child")
    )
    ap.add_argument("variants", nargs="*")
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hp", action="append", default=[], help="KEY=VALUE for `ours`")
    ap.add_argument("--tag", default="", help="a name for this configuration of `ours`")
    ap.add_argument("--root", type=Path, default=ROOT_DEFAULT)
    ap.add_argument("--dest", type=Path, default=REPO / "docs" / "img" / "zoo-audit")
    ap.add_argument("--vs", help="`grid`: the zoo entry to set beside ours (default: the same)")
    ap.add_argument("--folder", type=Path)
    ap.add_argument("--zoo", type=Path)
    a = ap.parse_args(argv)
    if a.what == "_child":
        child(a.variants[0], a.steps, a.seed, a.folder, a.zoo)
        return
    if a.what == "reference":
        print(f"train digits, 28 -> 32 -> 28: {fmt(reference(a.root, a.seed))}")
        return
    global DATASET
    for v in a.variants:
        DATASET = OUTSIDE[v].dataset if v in OUTSIDE else "mnist"
        t0 = time.time()
        if a.what == "zoo":
            print(f"zoo {v}: {fmt(zoo_run(a.root, v, a.steps, a.seed))} ({time.time() - t0:.0f} s)")
        elif a.what == "ours":
            row = ours_run(a.root, v, a.steps, a.seed, a.hp, a.tag)
            print(f"ours {v} {a.tag}: {fmt(row)} ({time.time() - t0:.0f} s)")
        elif a.what == "smooth":
            row = smooth(a.root, v, a.steps, a.seed, a.tag)
            print(f"ours {v} {a.tag} through 28 -> 32 -> 28: {fmt(row)}")
        elif a.what == "grid":
            print(grid(a.root, v, a.steps, a.seed, a.tag, a.dest, a.vs))
    if a.what == "table":
        for folder in sorted((a.root / "runs").glob("*")):
            lb = folder / "eval" if (folder / "eval").exists() else folder
            if (lb / "leaderboard.csv").exists():
                print(f"| {folder.name} | {fmt(read_row(lb))} |")


if __name__ == "__main__":
    main()
