"""VAE/GAN (Larsen et al. 2016): a VAE whose decoder is also a GAN generator, with the
reconstruction measured in the discriminator's feature space Dis_l instead of pixels.

    L_prior = KL(q(z|x) || N(0, I))
    L_llike = ½ ||Dis_l(x) - Dis_l(Dec(z̃))||²,  z̃ ~ q(z|x)  (Gaussian in feature space)
    L_GAN   = log D(x) + log(1 - D(Dec(z̃))) + log(1 - D(Dec(z_p))),  z_p ~ N(0, I)
    θ_Enc  <- -∇(L_prior + L_llike)
    θ_Dec  <- -∇(γ L_llike - L_GAN)     (non-saturating: BCE(D(Dec(·)), 1) on both fakes)
    θ_Dis  <- +∇ L_GAN

Sums run over code / feature dimensions, means over the batch (as the authors' release:
GaussianNegLogLikelihood with σ = 1 sums ½ diff² over Dis_l's features).

The three update rules, as Algorithm 1. The harness runs one D update (θ_Dis on L_GAN: `d_loss`)
and one G update with one optimizer over Enc + Dec (`g_parameters`). Inside the G update the
two parameter groups get different losses, so `g_loss` builds one per group and sums them:
the encoder's loss L_prior + <z̃, ∂L_llike/∂z̃> (the gradient at z̃ = Enc(x) taken with
torch.autograd.grad through Dec and held constant, so its backward gives Enc exactly
∇(L_prior + L_llike) and Dec nothing), and the decoder's loss γ L_llike + L_GAN^Dec on z̃
detached (Dec gets ∇(γ L_llike - L_GAN), Enc nothing). The returned value is
L_prior + γ L_llike + L_GAN^Dec, for the logs. Enc gets no GAN gradient, Dis gets no L_llike
gradient (the paper's "limiting error signals to relevant networks"; the release does the same).

Paper vs ours: Dis_l is the shared discriminator's body output (its penultimate layer; the paper
uses its 3rd conv layer; the release, layer 9 of its 64 px net, the last strided conv, 256x8x8). The
decoder's GAN term is non-saturating here (the release uses the minimax gradient and also skips
D / Dec updates by a margin around an equilibrium of 0.68, which we do not). RMSprop, lr 3e-4,
for all three (the paper's setting). γ: the paper gives no value; the release uses
`recon_vs_gan_weight` 1e-5 (CelebA) and 5e-5 (default), with a 16,384-wide Dis_l, so γ·width =
0.16-0.8; we keep γ = 1e-3 (hyper-parameter `gamma`), which is γ·width = 0.13 on points (128-wide
body) and 3.1 on 28 px images (3,136-wide body): a stated choice, not the paper's number.
G's step uses the real batch D just saw. The `encode` head is the posterior mean μ(x)
(`recon_error`: held-out per-pixel MSE of Dec(μ(x))).
"""

from __future__ import annotations

import torch

from ganbench.data.base import DataSpec
from ganbench.nets.conditional import base_discriminator, base_generator
from ganbench.nets.encoder import GaussianEncoder
from ganbench.nets.losses import bce_fake, bce_real, gaussian_kl
from ganbench.nets.mlp import MLPDiscriminator
from ganbench.variants._real_batch import RemembersRealBatch
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


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

    shared_nets = False  # its networks are its own: --hp arch does not apply
    g_nets = ("G", "E")  # encoder and decoder share the VAE's optimizer

    def build(self, spec: DataSpec):
        E = GaussianEncoder(spec, self.latent_dim, width=self.width)
        G = base_generator(spec, self.latent_dim, self.width)
        return {"G": G, "D": base_discriminator(spec, width=self.width), "E": E}

    def dis_l(self, x: torch.Tensor) -> torch.Tensor:
        return self.D.features(x.flatten(1) if isinstance(self.D, MLPDiscriminator) else x)

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """q(z|x): its mean, log-variance and a sample z̃ (reparameterised)."""
        mu, logvar = self.E(x)
        return mu, logvar, mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def d_loss(self, real, z, labels):
        self.remember_real(real)
        with torch.no_grad():
            x_tilde = self.G(self.posterior(real)[2])
            x_p = self.G(z)
        return bce_real(self.D(real)) + bce_fake(self.D(x_tilde)) + bce_fake(self.D(x_p))

    def llike(self, x_tilde: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """L_llike^Dis_l: ½ ||Dis_l(x) - Dis_l(x̃)||², summed over features, batch mean."""
        with torch.no_grad():
            target = self.dis_l(real)
        return 0.5 * ((self.dis_l(x_tilde) - target) ** 2).sum(1).mean()

    def g_loss(self, z, labels):
        real, gamma = self.last_real(), self.hp["gamma"]
        mu, logvar, z_tilde = self.posterior(real)
        prior = gaussian_kl(mu, logvar)
        # Encoder: θ_Enc <- -∇(L_prior + L_llike). L_llike reaches Enc through z̃ = Enc(x) and
        # Dec; its gradient at z̃ is taken with autograd.grad (nothing lands in Dec's .grad).
        llike = self.llike(self.G(z_tilde), real)
        enc_loss = prior
        if z_tilde.requires_grad:  # (an encoder without parameters gets nothing to route)
            (dllike_dz,) = torch.autograd.grad(llike, z_tilde, retain_graph=True)
            enc_loss = prior + (z_tilde * dllike_dz).sum()  # ∇_Enc = ∇(L_prior + L_llike)
        # Decoder: θ_Dec <- -∇(γ L_llike - L_GAN), on z̃ detached so Enc gets none of it.
        x_tilde = self.G(z_tilde.detach())
        gan = bce_real(self.D(x_tilde)) + bce_real(self.D(self.G(z)))
        dec_loss = gamma * self.llike(x_tilde, real) + gan
        self.logs["prior"], self.logs["llike"], self.logs["gan"] = (
            prior.detach(), llike.detach(), gan.detach()
        )
        routed = enc_loss + dec_loss
        shown = prior + gamma * llike + gan  # the value logged as g_loss
        return shown.detach() + routed - routed.detach()

    def encode(self, x):
        return self.E(x)[0]  # the mean μ(x): a deterministic code
