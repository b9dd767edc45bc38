"""SN-GAN (Miyato et al. 2018): spectral normalisation of every discriminator layer, hinge loss.

    min_D  E_x[max(0, 1 - D(x))] + E_z[max(0, 1 + D(G(z)))]
    min_G  -E_z[D(G(z))]

Every Linear / Conv weight of the shared discriminator is reparametrised as W / σ(W) with one power
iteration per step (nets.spectral.spectral_norm_all); D has no batch norm. Optimiser on images:
the paper's setting C for the standard CNN (Table 1): Adam(lr 2e-4, β = (0.5, 0.999)), n_dis = 1.
On 2-D points: the paper's other setting, the one of its ResNet experiments, Adam(2e-4, (0, 0.9))
with n_dis = 5 (`kind_defaults`). The paper has no 2-D experiment; with setting C the SN critic
stays constant on ring8 (D loss 2.00 = the hinge loss of a zero critic, input-gradient norm 0.02,
40x under its Lipschitz bound: one critic step per G step never lets it grow) and G drifts
(seed 0, 2,000 steps: 0/8 modes); with n_dis = 5 and β1 = 0 the same critic learns and G covers
8/8 modes (hq 0.41 at 2,000 steps). Evidence and commands: docs/variants.md.
"""

from __future__ import annotations

import torch
from torch import nn

from ganbench.data.base import DataSpec
from ganbench.nets.losses import hinge_fake, hinge_real
from ganbench.nets.spectral import spectral_norm_all
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


@register("sngan", family="loss", paper="Miyato et al. 2018, arXiv:1802.05957")
class SNGAN(Variant):
    n_critic = 1
    kind_defaults = {"points": {"n_critic": 5, "d_betas": (0.0, 0.9), "g_betas": (0.0, 0.9)}}
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))

    def build(self, spec: DataSpec) -> tuple[nn.Module, nn.Module]:
        G, D = self.shared_pair(spec, d_norm="none")
        return G, spectral_norm_all(D)

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z)
        return hinge_real(self.D(real)) + hinge_fake(self.D(fake))

    def g_loss(self, z, labels):
        return -self.D(self.generate(z)).mean()
