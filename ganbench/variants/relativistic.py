"""Relativistic GANs (Jolicoeur-Martineau 2018, "The relativistic discriminator: a key element
missing from standard GAN"). C is the critic (the raw, pre-activation output); the discriminator
judges how much more realistic a real sample is than a fake one, not whether one sample is real.

With a loss pair (f1, f2) -- f1 pushes its argument up, f2 pushes it down:
    sgan  : f1(y) = -log σ(y) = softplus(-y),  f2(y) = -log(1 - σ(y)) = softplus(y)
    ls    : f1(y) = (y - 1)²,                  f2(y) = (y + 1)²
    hinge : f1(y) = max(0, 1 - y),             f2(y) = max(0, 1 + y)

`rgan`  -- the general relativistic GAN (RGAN), on pairs (x_r, x_f) of a real and a fake:
    L_D = E[f1(C(x_r) - C(x_f))]          L_G = E[f1(C(x_f) - C(x_r))]
    The paper's second term E[f2(C(x_f) - C(x_r))] equals the first for all three losses
    (f2(-y) = f1(y)), so it is folded in. `loss` selects f; the default `ls` is RLSGAN.
`rsgan` -- the relativistic standard GAN, the paper's RSGAN: `rgan` with the sgan loss (fixed),
    L_D = -E[log σ(C(x_r) - C(x_f))]      L_G = -E[log σ(C(x_f) - C(x_r))]
`ragan` -- the relativistic average GAN (RaGAN), each sample against the other side's mean:
    L_D = E_r[f1(C(x_r) - E_f C(x_f))] + E_f[f2(C(x_f) - E_r C(x_r))]
    L_G = E_f[f1(C(x_f) - E_r C(x_r))] + E_r[f2(C(x_r) - E_f C(x_f))]
    default loss sgan = the paper's RaSGAN; `loss` = ls / hinge give RaLSGAN / RaHingeGAN.

Pairs are the i-th real and i-th fake of the mini-batch. G's loss needs real samples: the harness
hands g_loss none, so it reuses the real batch of the latest D step, scored by the current critic.
All use the paper's setup: Adam(lr 2e-4, β = (0.5, 0.999)), one D step per G step.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ganbench.variants._real_batch import RemembersRealBatch
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register

Loss = Callable[[torch.Tensor], torch.Tensor]
Pair = tuple[torch.Tensor, torch.Tensor]

# name -> (f1, f2), elementwise
RELATIVISTIC_LOSSES: dict[str, tuple[Loss, Loss]] = {
    "sgan": (lambda y: F.softplus(-y), lambda y: F.softplus(y)),
    "ls": (lambda y: (y - 1) ** 2, lambda y: (y + 1) ** 2),
    "hinge": (lambda y: F.relu(1 - y), lambda y: F.relu(1 + y)),
}


def paired_losses(c_real: torch.Tensor, c_fake: torch.Tensor, loss: str) -> Pair:
    """(L_D, L_G) of the paired relativistic GAN."""
    f1, _ = RELATIVISTIC_LOSSES[loss]
    n = min(len(c_real), len(c_fake))
    c_real, c_fake = c_real[:n], c_fake[:n]
    return f1(c_real - c_fake).mean(), f1(c_fake - c_real).mean()


def average_losses(c_real: torch.Tensor, c_fake: torch.Tensor, loss: str) -> Pair:
    """(L_D, L_G) of the relativistic average GAN."""
    f1, f2 = RELATIVISTIC_LOSSES[loss]
    real_vs = c_real - c_fake.mean()
    fake_vs = c_fake - c_real.mean()
    return f1(real_vs).mean() + f2(fake_vs).mean(), f1(fake_vs).mean() + f2(real_vs).mean()


class _Relativistic(RemembersRealBatch, Variant):
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    losses: Callable[[torch.Tensor, torch.Tensor, str], Pair]

    def __init__(self, spec, **overrides) -> None:
        super().__init__(spec, **overrides)
        self.loss_name = self.hp.get("loss", "sgan")
        if self.loss_name not in RELATIVISTIC_LOSSES:
            raise ValueError(
                f"{self.name}: unknown loss {self.loss_name!r}; "
                f"choose one of {sorted(RELATIVISTIC_LOSSES)}"
            )

    def d_loss(self, real, z, labels):
        self.remember_real(real)
        with torch.no_grad():
            fake = self.generate(z)
        return type(self).losses(self.D(real), self.D(fake), self.loss_name)[0]

    def g_loss(self, z, labels):
        c_real, c_fake = self.D(self.last_real()), self.D(self.generate(z))
        return type(self).losses(c_real, c_fake, self.loss_name)[1]


@register("rgan", family="loss", paper="Jolicoeur-Martineau 2018, arXiv:1807.00734")
class RGAN(_Relativistic):
    defaults = {"loss": "ls"}
    losses = staticmethod(paired_losses)


@register("rsgan", family="loss", paper="Jolicoeur-Martineau 2018, arXiv:1807.00734")
class RSGAN(_Relativistic):
    defaults = {}  # the loss is fixed: RSGAN is the sgan instance of rgan
    losses = staticmethod(paired_losses)


@register("ragan", family="loss", paper="Jolicoeur-Martineau 2018, arXiv:1807.00734")
class RaGAN(_Relativistic):
    defaults = {"loss": "sgan"}
    losses = staticmethod(average_losses)
