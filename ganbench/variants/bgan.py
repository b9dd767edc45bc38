"""Boundary-seeking GAN (Hjelm et al. 2018), the discrete-free (continuous) form, eq. 9.

    min_D  -E_x[log D(x)] - E_z[log(1 - D(G(z)))]              (the usual discriminator)
    min_G  ½ E_z[(log D(G(z)) - log(1 - D(G(z))))²]

With D = sigmoid(a), log D - log(1 - D) = a (the logit), so G's loss is ½ E[a(G(z))²]: G is pushed
onto the decision boundary D = ½, where the optimal D gives p_data = p_g.
Adam(2e-4, β = (0.5, 0.999)).
"""

from __future__ import annotations

import torch

from ganbench.nets.losses import bce_fake, bce_real
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


@register("bgan", family="loss", paper="Hjelm et al. 2018, arXiv:1702.08431")
class BGAN(Variant):
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z)
        return bce_real(self.D(real)) + bce_fake(self.D(fake))

    def g_loss(self, z, labels):
        logit = self.D(self.generate(z))  # = log D - log(1 - D)
        return 0.5 * (logit**2).mean()
