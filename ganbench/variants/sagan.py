"""SAGAN (Zhang, Goodfellow, Metaxas & Odena 2019): self-attention in G and D, spectral
normalisation in both, the hinge loss and two-timescale Adam.

    min_D  E_x[max(0, 1 - D(x))] + E_z[max(0, 1 + D(G(z)))]
    min_G  -E_z[D(G(z))]

A self-attention block (ganbench/nets/sagan_nets.py) sits at the 16 px stage of G and of D:
y = γ o + x, o_j = v(Σ_i β_{j,i} h(x_i)), β_{j,i} = softmax_i(f(x_i)ᵀ g(x_j)), f, g, h: C -> C/8
and v: C/8 -> C 1x1 convolutions, and the gate γ a learned scalar initialised at 0, so both
networks start as plain convolutional ResNets and learn how much non-local evidence to mix in.
Every Linear / Conv of G and D (the attention's 1x1 convolutions too) is spectrally normalised,
one power iteration per step, G's output layer aside (below). Optimiser: the paper's two-timescale
update rule, Adam(β1 0, β2 0.9) with lr 4e-4 for D and 1e-4 for G, one D step per G step.

The small version (32 px: mnist32, stacked-mnist32) keeps: self-attention at 16 px in G and D with
the zero-initialised gate; SN in G and D (G's output layer aside); the hinge loss; TTUR; the
residual blocks of G (batch norm, ReLU, nearest 2x upsampling) and D (ReLU, 2x2 average pooling)
that SAGAN takes from the SN-GAN / projection-discriminator ResNets, with D's sum pooling and
linear output.
It drops, and why:
- class conditioning (the paper's ImageNet model has conditional batch norm in G and a projection
  D, as the authors' code does): this variant is the unconditional noise -> image case; `biggan`
  is the conditional one;
- the ImageNet scale (128 px, batch 256 in the authors' code, a million steps): a CPU run needs
  32 px, batch 64 and `width` channels at every stage (G: 4 -> 8 -> 16 by residual blocks, D:
  16 -> 8 -> 4 -> 4);
- residual blocks at 32 px: G's 16 -> 32 stage is one 4x4 stride-2 transposed convolution and
  D's 32 -> 16 stage one 4x4 stride-2 convolution (DCGAN's last / first layers), since a
  width x width residual block at 32 px costs four times one at 16 px;
- SN on G's output layer by default (`g_sn_output=True` puts it back): with one output channel
  that layer's weight is a one-row matrix, whose spectral norm is its L2 norm, and SN holds the
  whole output filter to a unit vector. Measured (seed 0, 300 steps of 64 on mnist32): with it G
  collapses to one pattern (per-pixel std across samples 0.03, the hinge D loss at 0); without
  it G draws digits (std 0.23); the same collapse with equal lr 2e-4 and β1 0.5, and with the
  attention removed, so it is the output layer's SN. The authors' code normalises its 3-channel
  output convolution too;
- the full N x N attention map by default: `attention_pool` 2 max-pools the attended locations
  2x2 (N x N/4 map), as the authors' released code does (non_local.py); `attention_pool=1` is
  the paper's equations exactly.
Width: `width` (default 32): about 130 ms of CPU time per step (one D and one G step through the
harness) at batch 64 on one thread (torch.set_num_threads(1)) on this project's 2-core CPU, with
the machine shared (load 5-6); 165-180 ms at load 9-20. Width 16 takes about 70 ms.
"""

from __future__ import annotations

from typing import ClassVar

import torch

from ganbench.core import hparams as hpr
from ganbench.data.base import DataSpec
from ganbench.nets.losses import hinge_fake, hinge_real
from ganbench.nets.sagan_nets import (
    SAGANDiscriminator,
    SAGANGenerator,
    spectral_norm_generator,
)
from ganbench.nets.spectral import spectral_norm_all
from ganbench.variants._size32 import refuse_unless_32px
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


@register(
    "sagan",
    family="modern",
    paper="Zhang et al. 2019, arXiv:1805.08318",
    supports=("image",),
    datasets=("mnist32", "stacked-mnist32"),
)
class SAGAN(Variant):
    n_critic = 1
    d_optim = OptimSpec("adam", lr=4e-4, betas=(0.0, 0.9))  # TTUR: D four times G's rate
    g_optim = OptimSpec("adam", lr=1e-4, betas=(0.0, 0.9))
    defaults: ClassVar[dict] = {"width": 32, "attention_pool": 2, "g_sn_output": False}
    rules: ClassVar[dict] = {"width": hpr.positive_int(), "attention_pool": hpr.one_of(1, 2)}
    shared_nets = False  # its networks are its own: --hp arch does not apply

    @classmethod
    def data_problem(cls, spec: DataSpec) -> str:
        return refuse_unless_32px(cls.name, spec, "use mnist32 (or stacked-mnist32)")

    def build(self, spec: DataSpec):
        width = int(self.hp["width"])
        pool = int(self.hp["attention_pool"])
        G = SAGANGenerator(self.latent_dim, spec.shape, width, pool)
        D = SAGANDiscriminator(spec.shape, width, pool)
        G = spectral_norm_generator(G, output=bool(self.hp["g_sn_output"]))
        return G, spectral_norm_all(D)

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z)
        return hinge_real(self.D(real)) + hinge_fake(self.D(fake))

    def g_loss(self, z, labels):
        return -self.D(self.generate(z)).mean()
