"""VAE/GAN (Larsen et al. 2016): a VAE whose decoder is also a GAN generator, with the
reconstruction measured in the discriminator's feature space Dis_l instead of pixels.

    L_prior = KL(q(z|x) || N(0, I))
    L_llike = ½ ||Dis_l(x) - Dis_l(Dec(z̃))||²,  z̃ ~ q(z|x)  (Gaussian in feature space)
    L_GAN   = log D(x) + log(1 - D(Dec(z̃))) + log(1 - D(Dec(z_p))),  z_p ~ N(0, I)
    θ_Enc  <- -∇(L_prior + L_llike)
    θ_Dec  <- -∇(γ L_llike - L_GAN)     (non-saturating: BCE(D(Dec(·)), 1) on both fakes)
    θ_Dis  <- +∇ L_GAN

Sums run over code / feature dimensions, means over the batch. The harness has one "g" optimizer
for Enc + Dec, so the two gradients are kept apart exactly: L_llike is multiplied by γ and its
gradient is scaled by 1/γ on its way back into z̃ (Enc sees ∇L_llike, Dec sees γ∇L_llike), and
the decoder's GAN term on Dec(z̃) is taken on z̃ detached (Enc gets no GAN gradient). Dis_l is
the shared discriminator's body output (its penultimate layer; the paper uses its 3rd conv
layer). RMSprop, lr 3e-4, for all three (the paper's setting). γ: the paper leaves its value
open; we use 1e-3 (hyper-parameter `gamma`). G's step uses the real batch D just saw.
`recon_error`: held-out per-pixel MSE of Dec(μ(x)).
"""

from __future__ import annotations

import torch

from ganbench.data.base import DataSpec
from ganbench.losses import bce_fake, bce_real, gaussian_kl
from ganbench.nets.conditional import base_discriminator, base_generator
from ganbench.nets.encoder import GaussianEncoder
from ganbench.nets.mlp import MLPDiscriminator
from ganbench.registry import register
from ganbench.variants._latent import evaluating, recon_error
from ganbench.variants._real_batch import RemembersRealBatch
from ganbench.variants.base import OptimSpec, Variant


class _ScaleGrad(torch.autograd.Function):
    """Identity forward; multiplies the incoming gradient by `scale` backward."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.scale, None


@register(
    "vaegan",
    family="encoder",
    paper="Larsen et al. 2016, arXiv:1512.09300",
    supports=("points", "image"),
)
class VAEGAN(RemembersRealBatch, Variant):
    defaults = {"gamma": 1e-3}
    d_optim = OptimSpec("rmsprop", lr=3e-4)
    g_optim = OptimSpec("rmsprop", lr=3e-4)

    def build(self, spec: DataSpec):
        self.E = GaussianEncoder(spec, self.latent_dim)
        return base_generator(spec, self.latent_dim), base_discriminator(spec)

    def modules(self):
        return {"G": self.G, "D": self.D, "E": self.E}

    def g_parameters(self):
        return [*self.G.parameters(), *self.E.parameters()]

    def dis_l(self, x: torch.Tensor) -> torch.Tensor:
        return self.D.features(x.flatten(1) if isinstance(self.D, MLPDiscriminator) else x)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.E(x)
        return mu, logvar, mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def d_loss(self, real, z, labels):
        self.remember_real(real)
        with torch.no_grad():
            x_tilde = self.G(self.encode(real)[2])
            x_p = self.G(z)
        return bce_real(self.D(real)) + bce_fake(self.D(x_tilde)) + bce_fake(self.D(x_p))

    def g_loss(self, z, labels):
        real = self.last_real()
        gamma = self.hp["gamma"]
        mu, logvar, z_tilde = self.encode(real)
        prior = gaussian_kl(mu, logvar)
        with torch.no_grad():
            target = self.dis_l(real)
        x_tilde = self.G(_ScaleGrad.apply(z_tilde, 1.0 / gamma))
        llike = 0.5 * ((self.dis_l(x_tilde) - target) ** 2).sum(1).mean()
        gan = bce_real(self.D(self.G(z_tilde.detach()))) + bce_real(self.D(self.G(z)))
        self.logs["prior"], self.logs["llike"] = prior.detach(), llike.detach()
        return prior + gamma * llike + gan

    def extra_metrics(self, data, device, generator):
        with evaluating(self.G, self.E):
            return recon_error(lambda x: self.G(self.E(x)[0]), data, device)
