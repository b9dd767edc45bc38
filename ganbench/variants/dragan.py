"""DRAGAN (Kodali et al. 2017, "On Convergence and Stability of GANs").

    min_D  -E_x[log D(x)] - E_z[log(1 - D(G(z)))] + λ E_x̂[(||∇_x̂ D(x̂)||₂ - 1)²]
    min_G  -E_z[log D(G(z))]                                    (non-saturating, as the paper)

The penalty acts only in a neighbourhood of the real data: x_p = x + δ with the authors' released
perturbation δ = c · std(x) · u, u ~ U[0, 1]^d, c = 0.5, and x̂ = x + α (x_p - x), α ~ U[0, 1] per
sample. λ = 10; Adam(lr 1e-4, β = (0.5, 0.9)) as the authors' code. The penalty is per sample, so
the conv critic uses layer norm instead of batch norm.
"""

from __future__ import annotations

import torch
from torch import nn

from ganbench.data.base import DataSpec
from ganbench.nets.losses import bce_fake, bce_real, gradient_penalty
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


def perturb_real(real: torch.Tensor, c: float) -> torch.Tensor:
    """x̂ = x + α c std(x) u, u ~ U[0, 1]^d, α ~ U[0, 1] per sample (points near the data)."""
    delta = c * real.std() * torch.rand_like(real)
    alpha = torch.rand(
        real.shape[0], *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype
    )
    return real + alpha * delta


@register("dragan", family="loss", paper="Kodali et al. 2017, arXiv:1705.07215")
class DRAGAN(Variant):
    defaults = {"gp_weight": 10.0, "perturb": 0.5}
    d_optim = OptimSpec("adam", lr=1e-4, betas=(0.5, 0.9))
    g_optim = OptimSpec("adam", lr=1e-4, betas=(0.5, 0.9))

    def build(self, spec: DataSpec) -> tuple[nn.Module, nn.Module]:
        return self.shared_pair(spec, d_norm="layer")

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z)
        gp = gradient_penalty(self.D, perturb_real(real, self.hp["perturb"]))
        return bce_real(self.D(real)) + bce_fake(self.D(fake)) + self.hp["gp_weight"] * gp

    def g_loss(self, z, labels):
        return bce_real(self.D(self.generate(z)))
