"""Softmax GAN (Lin 2017). D outputs an energy μ(x) (low for real). Over the batch B = B+ ∪ B-
(real and generated), Z_B = Σ_{x ∈ B} exp(-μ(x)), and the softmax P(x) = exp(-μ(x)) / Z_B is
matched by cross-entropy to a target distribution:

    D: target 1/|B+| on real, 0 on fake   ->  L_D = Σ_{x ∈ B+} μ(x) / |B+| + ln Z_B
    G: target 1/|B| on every sample       ->  L_G = Σ_{x ∈ B}  μ(x) / |B|  + ln Z_B

The harness hands g_loss no real batch, so G's Z_B uses the real batch of the latest D step (scored
by the current D); only the generated terms carry gradient to G. Adam(2e-4, β = (0.5, 0.999)).
"""

from __future__ import annotations

import torch

from ganbench.variants._real_batch import RemembersRealBatch
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


def softmax_gan_losses(
    energy_real: torch.Tensor, energy_fake: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(L_D, L_G) from the energies of the real and generated halves of the batch."""
    energies = torch.cat([energy_real, energy_fake])
    log_z = torch.logsumexp(-energies, dim=0)
    return energy_real.mean() + log_z, energies.mean() + log_z


@register("softmax-gan", family="loss", paper="Lin 2017, arXiv:1704.06191")
class SoftmaxGAN(RemembersRealBatch, Variant):
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))

    def d_loss(self, real, z, labels):
        self.remember_real(real)
        with torch.no_grad():
            fake = self.generate(z)
        return softmax_gan_losses(self.D(real), self.D(fake))[0]

    def g_loss(self, z, labels):
        return softmax_gan_losses(self.D(self.last_real()), self.D(self.generate(z)))[1]
