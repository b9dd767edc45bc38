"""WGAN (Arjovsky et al. 2017) and WGAN-GP (Gulrajani et al. 2017).

critic:  max_D  E_x[D(x)] - E_z[D(G(z))]
WGAN:    D kept Lipschitz by clipping its weights to [-c, c]; RMSprop, lr 5e-5, c 0.01, n_critic 5
WGAN-GP: + λ E_x̂[(||∇D(x̂)||₂ - 1)²] on x̂ between real and fake; Adam(1e-4, β = (0, 0.9)),
         λ 10, n_critic 5, and no batch norm in the critic (layer norm instead, paper §4)
generator: min_G -E_z[D(G(z))]
"""

from __future__ import annotations

import torch
from torch import nn

from ganbench.data.base import DataSpec
from ganbench.nets.losses import gradient_penalty, interpolate
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


class _Critic(Variant):
    n_critic = 5

    def wasserstein(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """The critic's loss: -(E[D(x)] - E[D(G(z))])."""
        return self.D(fake).mean() - self.D(real).mean()

    def g_loss(self, z, labels):
        return -self.D(self.generate(z)).mean()


@register("wgan", family="loss", paper="Arjovsky et al. 2017, arXiv:1701.07875")
class WGAN(_Critic):
    defaults = {"clip": 0.01}
    d_optim = OptimSpec("rmsprop", lr=5e-5)
    g_optim = OptimSpec("rmsprop", lr=5e-5)

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z)
        return self.wasserstein(real, fake)

    def build(self, spec: DataSpec) -> tuple[nn.Module, nn.Module]:
        # Batch norm with PyTorch's eps in the critic, as the authors' DCGAN critic
        # (martinarjovsky/WassersteinGAN models/dcgan.py): clipped weights keep the pre-norm
        # activations tiny, and the shared pair's eps of 0.8 would leave them so, a critic whose
        # scores barely differ (losses ~1e-6, G a grey field after 500 steps; issue 23)
        return self.shared_pair(spec, d_norm="batch-torch")

    after_d_step_elementwise = True  # clamp_ acts element-wise (batched seeds run it once)

    @torch.no_grad()
    def after_d_step(self) -> None:
        c = self.hp["clip"]
        for p in self.D.parameters():
            p.clamp_(-c, c)


@register("wgan-gp", family="loss", paper="Gulrajani et al. 2017, arXiv:1704.00028")
class WGANGP(_Critic):
    defaults = {"gp_weight": 10.0}
    # The authors' own 2-D toy script (igul222/improved_wgan_training, gan_toy.py: LAMBDA = .1,
    # "Smaller lambda makes things faster for toy tasks"; Adam(1e-4, beta1 .5, beta2 .9)).
    kind_defaults = {"points": {"gp_weight": 0.1, "d_betas": (0.5, 0.9), "g_betas": (0.5, 0.9)}}
    d_optim = OptimSpec("adam", lr=1e-4, betas=(0.0, 0.9))
    g_optim = OptimSpec("adam", lr=1e-4, betas=(0.0, 0.9))

    def build(self, spec: DataSpec) -> tuple[nn.Module, nn.Module]:
        return self.shared_pair(spec, d_norm="layer")

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z)
        gp = gradient_penalty(self.D, interpolate(real, fake))
        return self.wasserstein(real, fake) + self.hp["gp_weight"] * gp
