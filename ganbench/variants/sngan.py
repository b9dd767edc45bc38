"""SN-GAN (Miyato et al. 2018): spectral normalisation of every discriminator layer, hinge loss.

    min_D  E_x[max(0, 1 - D(x))] + E_z[max(0, 1 + D(G(z)))]
    min_G  -E_z[D(G(z))]

Every Linear / Conv weight of the shared discriminator is reparametrised as W / σ(W) with one power
iteration per step (nets.spectral.spectral_norm_all); D has no batch norm. Optimiser: the paper's
setting C for the standard CNN (Table 1): Adam(lr 2e-4, β = (0.5, 0.999)), n_dis = 1. (The ResNet
experiments use Adam(2e-4, (0, 0.9)) with n_dis = 5, five times the CPU cost.)
"""

from __future__ import annotations

import torch
from torch import nn

from ganbench.data.base import DataSpec
from ganbench.losses import hinge_fake, hinge_real
from ganbench.nets import default_pair
from ganbench.nets.spectral import spectral_norm_all
from ganbench.registry import register
from ganbench.variants.base import OptimSpec, Variant


@register("sngan", family="loss", paper="Miyato et al. 2018, arXiv:1802.05957")
class SNGAN(Variant):
    n_critic = 1
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))

    def build(self, spec: DataSpec) -> tuple[nn.Module, nn.Module]:
        G, D = default_pair(spec, self.latent_dim, d_norm="none")
        return G, spectral_norm_all(D)

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z)
        return hinge_real(self.D(real)) + hinge_fake(self.D(fake))

    def g_loss(self, z, labels):
        return -self.D(self.generate(z)).mean()
