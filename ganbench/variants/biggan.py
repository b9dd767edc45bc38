"""BigGAN (Brock, Donahue & Simonyan 2019): SAGAN made class-conditional and larger, with a
shared class embedding and a hierarchical latent space into conditional batch norm, a projection
discriminator, orthogonal regularisation of G, a moving average of G's weights, and the
truncation trick at sampling.

    min_D  E_{x,y}[max(0, 1 - D(x, y))] + E_{z,y}[max(0, 1 + D(G(z, y), y))]
    min_G  -E_{z,y}[D(G(z, y), y)] + β Σ_W ||Wᵀ W ⊙ (1 - I)||_F²      (W: G's weight matrices)

    G:  z = [z_0, z_1, z_2];  h = linear(z_0);  h <- GBlock_k(h; c_k),  c_k = [z_k, e(y)]
        every GBlock's batch norm is BN(h) · (1 + γ(c_k)) + β(c_k), γ and β linear in c_k,
        e one class embedding shared by every block
    D:  D(x, y) = ψ(φ(x)) + <e_D(y), φ(x)>   (the projection discriminator)

Spectral normalisation on every Linear / Conv of G and D (G's 3x3 output convolution too, as the
authors' code: `g_sn_output`) and on D's class embedding (not on G's shared embedding);
self-attention at the 16 px stage of both (SAGAN's block, gate γ initialised at 0); PyTorch's
default initialisation but for G's shared embedding, N(0, 0.02) as in the authors' 32 px run
(`init=ortho` gives the authors' orthogonal one everywhere, below; `init=n02` the N(0, 0.02) of
their 32 px launch script everywhere). Orthogonal regularisation: the paper's off-diagonal form
with β = 1e-4 (the value the paper selects after a sweep), on G only (the paper
regularises the generator: that is what makes it amenable to truncation); the shared embedding is
not a filter bank and is left out, as the authors' code leaves it out. (Their ImageNet launch
scripts set --G_ortho 0.0; `ortho_beta=0` gives that.)

EMA: BigGAN evaluates a moving average of G's weights with a decay of 0.9999 per step (the
authors' code: `ema_` with decay 0.9999; StudioGAN's BigGAN configs: g_ema_decay 0.9999). The
harness's decay per step of B images is 0.5^(B / half-life), so 0.9999 per step at this
variant's batch of 64 is a half-life of 64 · ln 0.5 / ln 0.9999 = 443,592 images
(`ema_half_life`; at the authors' batch of 2,048 the same decay is 14.2M images). The authors'
code starts the average only after 20,000 steps (--ema_start 20000); here the harness's ramp-up
plays that part: the half-life is at most 5% of the images seen so far (`ema_rampup` 0.05, the
ramp of StudioGAN's StyleGAN2 configs), so the average of a short run is not its initial weights;
`ema_rampup=None` averages at 0.9999 from the first step.

Truncation: `truncation` τ (default None: none). When set, z is drawn from N(0, I) truncated to
[-τ, τ] per coordinate at sampling only (evaluation, curves, pictures, label accuracy); training
always draws z ~ N(0, I). The value is in the row's hp_effective.

Optimiser: Adam(β1 0, β2 0.999, eps 1e-8) with lr 2e-4 for both, four D steps per G step (each
on its own real batch): the authors' 32 px launch script (BigGAN-PyTorch,
scripts/launch_cifar_ema.sh). Their ImageNet script's one D step at lr 4e-4 / 1e-4, eps 1e-6
(scripts/launch_BigGAN_bs256x8.sh; `--hp n_critic=1 d_lr=4e-4 g_lr=1e-4`) was this variant's
default until the audit: at 32 px with the hierarchical z it trains slowly in the authors' own
code too (FID 19.9 at 500 steps against 5.8 with the 32 px script; docs/variants.md, item 8).
The paper's own 128 px runs are recalled as 2 D steps per G step at lr 2e-4 / 5e-5 (not checked
here; `--hp n_critic=2 d_lr=2e-4 g_lr=5e-5` gives that).

The small version (32 px: mnist32 and its 10 digit labels) keeps: the authors' 32 px layout
(ganbench/nets/biggan_nets.py: three residual G blocks to 32 px and a 3x3 output convolution,
four residual D blocks 32 -> 16 -> 8 -> 8 -> 8), the shared embedding, hierarchical z (the
authors' dim_z of 120 in four chunks of 30 at 32 px: the input layer and the 8, 16 and 32 px
blocks), class-conditional BN, the projection D, SN in G and D, self-attention at 16 px,
orthogonal regularisation (β 1e-4), the hinge loss, the EMA of G, truncation at sampling.
It drops, and why:
- the scale (batch 2,048 = 256 x 8 accumulations, 96 base channels, 128-512 px): a CPU run
  needs 32 px, batch 64 and `width` channels at every stage;
- the stages above 32 px (128-512 px in the paper), so z has four chunks, not one per
  resolution up to 128 px;
- orthogonal initialisation by default (the authors' code, --G_init ortho --D_init ortho, on every
  Linear / Conv / Embedding; `init=ortho` puts it back). On the authors' layout with the defaults
  above (500 steps of 64, seed 0) it scores FID 13.4 / precision 0.40 / recall 0.24, label accuracy
  0.16 (broken, similar strokes in every class), against 5.0 / 0.53 / 0.71 and 0.32 with PyTorch's
  initialisation. Earlier, on the cheap 32 px layout and one-D-step optimiser (600 steps of 64 on
  mnist32, width 32): with it G collapsed to one digit for every class (seed 0, per-pixel std
  across samples 0.13 with Adam β2 0.9; the same picture with 0.999), and with the paper's
  optimiser (2 D steps, lr 2e-4 / 5e-5) it was still drawing blobs; with PyTorch's default
  initialisation G draws class-dependent digits (seeds 0 and 1; seed 1 has a recognisable 0, 1, 2
  and 6 in those classes' rows), with little variety within a class yet and some classes saturated:
  a short run, not a converged one;
- the full N x N attention map by default (`attention_pool` 2, the authors' code; 1: the paper);
- BigGAN-deep's changes (bottleneck blocks, channel drop on the shortcut): another model;
- the truncation sweeps the paper plots: `truncation` is one value per row.
Unlabelled data (stacked-mnist32) is skipped: the variant is registered conditional.
Audit (docs/variants.md, item 8): at 500 steps the first author's code at the same channel
count scores FID 5.8 (its CIFAR launch script); this variant scored 140.6 on SAGAN's cheap 32 px
stages with the ImageNet script's optimiser, and scores 5.0 (seed 1: 7.2 against their 9.5) with
the defaults above.
Width: `width` (default 32): about 0.85 s of CPU time per step (four D steps and one G step
through the harness, the EMA update included; 83.7 GFLOP) at batch 64 on one thread on this
project's 2-core CPU, quiet (`scripts/bench_train.py --reps biggan:mnist32`: 1.2 steps/s). The
cheap layout with one D step took 0.135 s (7.4 steps/s, 11.4 GFLOP) and trained 28x worse at
500 steps.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ganbench.core import hparams as hpr
from ganbench.data.base import DataSpec
from ganbench.nets.biggan_nets import (
    BigGANGenerator,
    ProjectionDiscriminator,
    orthogonal_regulariser,
    truncated_normal,
)
from ganbench.nets.losses import hinge_fake, hinge_real
from ganbench.nets.sagan_nets import spectral_norm_generator
from ganbench.nets.spectral import spectral_norm_all
from ganbench.variants._latent import label_accuracy
from ganbench.variants._size32 import refuse_unless_32px
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register

EMA_DECAY = 0.9999  # per step, BigGAN's
BATCH = 64  # the image budgets' batch (ganbench.core.config presets)
EMA_HALF_LIFE = round(BATCH * math.log(0.5) / math.log(EMA_DECAY))  # 443,592 images
CHUNKS = 4  # z_0 for the input layer, z_1, z_2, z_3 for the 8, 16 and 32 px blocks


def initialise(net: nn.Module, init: str) -> nn.Module:
    """`default`: PyTorch's initialisation as built; `ortho`: orthogonal weights in every Linear /
    Conv / Embedding (the authors' --G_init / --D_init ortho; an embedding of K < dim classes
    gets orthonormal rows, class codes of norm 1); `n02`: N(0, 0.02) weights in the same layers
    (--G_init / --D_init N02, the authors' 32 px launch script). Before spectral normalisation."""
    if init in ("ortho", "n02"):
        for m in net.modules():
            if isinstance(m, nn.Linear | nn.Conv2d | nn.ConvTranspose2d | nn.Embedding):
                if init == "ortho":
                    nn.init.orthogonal_(m.weight)
                else:
                    nn.init.normal_(m.weight, 0.0, 0.02)
    return net


@register(
    "biggan",
    family="modern",
    paper="Brock et al. 2019, arXiv:1809.11096",
    conditional=True,
    supports=("image", "labels"),
    datasets=("mnist32",),
)
class BigGAN(Variant):
    n_critic = 4  # the authors' 32 px launch script (launch_cifar_ema.sh)
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.0, 0.999), extra={"eps": 1e-8})
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.0, 0.999), extra={"eps": 1e-8})
    defaults: ClassVar[dict] = {
        "latent_dim": 120,  # BigGAN's dim_z (--dim_z 120), split into CHUNKS chunks
        "width": 32,
        "shared_dim": 128,  # the shared embedding's size (--shared_dim 128)
        "attention_pool": 2,
        "g_sn_output": True,
        "init": "default",
        "ortho_beta": 1e-4,
        "truncation": None,
        "ema_half_life": EMA_HALF_LIFE,
        "ema_rampup": 0.05,
    }
    rules: ClassVar[dict] = {
        "latent_dim": hpr.Rule(
            lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= CHUNKS),
            f"an integer >= {CHUNKS} (z is split into {CHUNKS} chunks: the input layer and the "
            "three G blocks)",
        ),
        "width": hpr.positive_int(),
        "shared_dim": hpr.positive_int(),
        "attention_pool": hpr.one_of(1, 2),
        "init": hpr.one_of("default", "ortho", "n02"),
        "ortho_beta": hpr.non_negative_number(),
        "truncation": hpr.optional(hpr.positive_number()),
    }
    shared_nets = False  # its networks are its own: --hp arch does not apply

    @classmethod
    def data_problem(cls, spec: DataSpec) -> str:
        return refuse_unless_32px(cls.name, spec, "use mnist32")

    def setup(self) -> None:
        super().setup()
        self.sampling = False  # True inside sample(): the only place truncation applies

    def build(self, spec: DataSpec):
        width, pool, k = int(self.hp["width"]), int(self.hp["attention_pool"]), spec.num_classes
        G = BigGANGenerator(self.latent_dim, k, spec.shape, width, int(self.hp["shared_dim"]), pool)
        D = ProjectionDiscriminator(spec.shape, k, width, pool)
        init = str(self.hp["init"])
        G = spectral_norm_generator(initialise(G, init), output=bool(self.hp["g_sn_output"]))
        D = spectral_norm_all(initialise(D, init))
        spectral_norm(D.head.embed)  # e_D, as the projection discriminator's code does
        return G, D

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z, labels)
        return hinge_real(self.D(real, labels)) + hinge_fake(self.D(fake, labels))

    def g_loss(self, z, labels):
        adversarial = -self.D(self.generate(z, labels), labels).mean()
        ortho = orthogonal_regulariser(self.G)
        self.logs["ortho"] = ortho.detach()
        return adversarial + float(self.hp["ortho_beta"]) * ortho

    # --- sampling: the truncation trick -----------------------------------------------------
    def noise(self, n, device, generator=None):
        tau = self.hp["truncation"]
        if tau is None or not self.sampling:
            return super().noise(n, device, generator)
        return truncated_normal((n, self.latent_dim), float(tau), device, generator)

    @torch.no_grad()
    def sample(self, n, device, generator=None, labels=None):
        self.sampling = True
        try:
            return super().sample(n, device, generator, labels)
        finally:
            self.sampling = False

    def extra_metrics(self, data, device, generator):
        return label_accuracy(self, data, device, generator)
