"""Unrolled GAN (Metz et al. 2017, "Unrolled Generative Adversarial Networks").

With f(θ_G, θ_D) = E_x[log D(x)] + E_z[log(1 - D(G(z)))], the generator trains against the
discriminator as it will be after K of its own gradient steps, differentiating through them:
    θ_D^0 = θ_D,   θ_D^{k+1} = θ_D^k + η ∂f(θ_G, θ_D^k)/∂θ_D^k
    min_G  f_K(θ_G, θ_D) = f(θ_G, θ_D^K(θ_G, θ_D))                     (the minimax game)
The discriminator's own update is the ordinary one (on f, not unrolled). K = 5 (the paper's 2-D
experiments use 5 and 10). Unrolled steps are plain differentiable SGD with step `unroll_lr` on a
functional copy of D (torch.func.functional_call; D itself is untouched), and keep the second-order
term (create_graph). They use the real batch of the latest D step and the G step's own samples.
Default outer loss: the non-saturating -E[log D_K(G(z))] (`minimax = False`), as `dcgan` here;
`minimax = True` is the paper's f_K. With the shared networks at the quick budget the minimax form
saturated and G left the data (ring8, 1500 steps: 0/8 modes, D loss -> 0.01), while the
non-saturating form covered 6/8 modes after 500 steps at batch 128.
Optimisers as the authors' 2-D release: Adam β1 0.5, D lr 1e-4, G lr 1e-3.
"""

from __future__ import annotations

import torch
from torch.func import functional_call

from ganbench.losses import bce_fake, bce_real
from ganbench.registry import register
from ganbench.variants._real_batch import RemembersRealBatch
from ganbench.variants.base import OptimSpec, Variant


@register("unrolled-gan", family="mode-collapse", paper="Metz et al. 2017, arXiv:1611.02163")
class UnrolledGAN(RemembersRealBatch, Variant):
    defaults = {"unroll_steps": 5, "unroll_lr": 0.05, "minimax": False}
    d_optim = OptimSpec("adam", lr=1e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=1e-3, betas=(0.5, 0.999))

    @staticmethod
    def discriminator_loss(logits_real: torch.Tensor, logits_fake: torch.Tensor) -> torch.Tensor:
        """-f: the discriminator's binary cross-entropy."""
        return bce_real(logits_real) + bce_fake(logits_fake)

    def d_loss(self, real, z, labels):
        self.remember_real(real)
        with torch.no_grad():
            fake = self.generate(z)
        return self.discriminator_loss(self.D(real), self.D(fake))

    def unrolled_params(self, real: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        """θ_D^K as a differentiable function of θ_D and of the fakes (hence of θ_G)."""
        params = dict(self.D.named_parameters())
        buffers = dict(self.D.named_buffers())
        for _ in range(int(self.hp["unroll_steps"])):
            loss = self.discriminator_loss(
                functional_call(self.D, (params, buffers), (real,)),
                functional_call(self.D, (params, buffers), (fake,)),
            )
            grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
            params = {
                k: p - self.hp["unroll_lr"] * g
                for (k, p), g in zip(params.items(), grads, strict=True)
            }
        return params

    def g_loss(self, z, labels):
        fake = self.generate(z)
        real = self.last_real()
        params = self.unrolled_params(real, fake)
        buffers = dict(self.D.named_buffers())
        logits_fake = functional_call(self.D, (params, buffers), (fake,))
        if self.hp["minimax"]:
            # min_G f_K = -(D's loss at θ_D^K); the real term depends on θ_G through θ_D^K
            logits_real = functional_call(self.D, (params, buffers), (real,))
            return -self.discriminator_loss(logits_real, logits_fake)
        return bce_real(logits_fake)
