"""LSGAN (Mao et al. 2017), with the 0-1 coding a = 0, b = c = 1 (paper, eq. 2):

min_D  ½ E_x[(D(x) - 1)²] + ½ E_z[D(G(z))²]
min_G  ½ E_z[(D(G(z)) - 1)²]
"""

from __future__ import annotations

import torch

from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


@register("lsgan", family="loss", paper="Mao et al. 2017, arXiv:1611.04076")
class LSGAN(Variant):
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z)
        return 0.5 * ((self.D(real) - 1) ** 2).mean() + 0.5 * (self.D(fake) ** 2).mean()

    def g_loss(self, z, labels):
        return 0.5 * ((self.D(self.generate(z)) - 1) ** 2).mean()
