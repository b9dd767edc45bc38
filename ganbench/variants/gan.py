"""GAN (Goodfellow et al. 2014) and DCGAN (Radford et al. 2016).

    max_D  E_x[log D(x)] + E_z[log(1 - D(G(z)))]
    min_G  E_z[log(1 - D(G(z)))]            (minimax, the paper's game)
    max_G  E_z[log D(G(z))]                  (non-saturating, the paper's practical choice)

`gan` keeps the paper's fully connected networks on images too; `dcgan` is the same objective with
DCGAN's strided-conv pair on images (on 2-D data both use the shared MLP pair).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ganbench.data.base import DataSpec
from ganbench.nets.goodfellow_mlp import GoodfellowDiscriminator, GoodfellowGenerator
from ganbench.nets.losses import bce_fake, bce_real
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


@register("dcgan", family="loss", paper="Radford et al. 2016, arXiv:1511.06434")
class DCGAN(Variant):
    defaults = {"minimax": False}
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z)
        return bce_real(self.D(real)) + bce_fake(self.D(fake))

    def g_loss(self, z, labels):
        return self.generator_loss(self.D(self.generate(z)))

    def generator_loss(self, logits_fake: torch.Tensor) -> torch.Tensor:
        if self.hp["minimax"]:
            return -F.softplus(logits_fake).mean()  # E[log(1 - D(G(z)))] = -E[softplus(logits)]
        return bce_real(logits_fake)

    def pair_losses(self, real, z, labels):
        """One G(z) and one D(G(z)) for both losses (the simultaneous update)."""
        logits_fake = self.D(self.generate(z))
        return bce_real(self.D(real)) + bce_fake(logits_fake), self.generator_loss(logits_fake)


@register("gan", family="loss", paper="Goodfellow et al. 2014, arXiv:1406.2661")
class GAN(DCGAN):
    def build(self, spec: DataSpec) -> tuple[nn.Module, nn.Module]:
        # The 2014 paper's fully connected MNIST networks (ganbench.nets.goodfellow_mlp: G
        # 2x1200 ReLU, D 2 maxout layers with dropout), with ganbench's Adam: the paper's SGD
        # (lr 0.1, momentum 0.5) diverged within 350 steps on tanh outputs here (issue 23). On 2-D
        # data every variant uses the shared MLP pair, so gan and dcgan are one model on points.
        if spec.kind == "points":
            return super().build(spec)
        return GoodfellowGenerator(self.latent_dim, spec.shape), GoodfellowDiscriminator(spec.shape)

    def uses_width(self) -> bool:
        return False  # MLPs: the conv pair's width is unused
