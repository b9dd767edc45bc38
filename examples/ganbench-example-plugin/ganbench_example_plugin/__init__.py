"""A ganbench plug-in variant: the hinge-loss GAN (Lim & Ye 2017; Miyato et al. 2018, SNGAN).

    min_D  E_x[max(0, 1 - D(x))] + E_z[max(0, 1 + D(G(z)))]
    min_G  -E_z[D(G(z))]

It reuses the harness's shared networks (ganbench.nets.default_pair), so it trains on 2-D mixtures
and images like the built-in zoo. `external=True` makes `ganbench list` mark it as a plug-in.
"""

from __future__ import annotations

import torch.nn.functional as F

import ganbench
from ganbench.variants.base import OptimSpec, Variant


@ganbench.register(
    "hinge-gan", family="loss", paper="Lim & Ye 2017, arXiv:1705.02894", external=True
)
class HingeGAN(Variant):
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))

    def d_loss(self, real, z, labels):
        fake = self.generate(z).detach()
        return F.relu(1 - self.D(real)).mean() + F.relu(1 + self.D(fake)).mean()

    def g_loss(self, z, labels):
        return -self.D(self.generate(z)).mean()
