"""Plain training loops written from the released code of the papers that protocols pin, with
nothing of ganbench's harness (no loss buffer, no host sync, no divergence check): the reference
that scripts/plain_loop_check.py holds ganbench's trials against and scripts/bench_protocol_step.py
times ganbench's step against. Imported by those scripts; not part of the package.

simultaneous_loop: GDPP's gdppgan_Synthetic.py `run_gan` (one sess.run of both train ops) and
PacGAN's 2-D code (ALI's ali_algorithm): every step one real batch and one noise draw, one pass of
G, D's loss on real and fake and G's non-saturating loss on the same D(G(z)); both gradients at the
same parameters, then both nets step. The real batch is either a fresh sample of the mixture
(GDPP's sample_ring / sample_grid) or the next slice of a fixed set of points, reshuffled every
pass (PacGAN's 100,000 points).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


def fresh_mixture(mixture, batch: int, g: torch.Generator) -> Callable[[], torch.Tensor]:
    """A new sample of the mixture for every batch (GDPP's script)."""

    def draw() -> torch.Tensor:
        modes = torch.randint(len(mixture.centres), (batch,), generator=g)
        return mixture.centres[modes] + torch.randn(batch, 2, generator=g) * mixture.sigma

    return draw


def fixed_points(points: torch.Tensor, batch: int, g: torch.Generator) -> Callable[[], torch.Tensor]:
    """Consecutive slices of the points, reshuffled every pass (PacGAN's fixed training set)."""
    state = {"order": torch.empty(0, dtype=torch.long), "pos": 0}

    def draw() -> torch.Tensor:
        if state["pos"] + batch > len(state["order"]):
            state["order"], state["pos"] = torch.randperm(len(points), generator=g), 0
        idx = state["order"][state["pos"] : state["pos"] + batch]
        state["pos"] += batch
        return points[idx]

    return draw


def simultaneous_loop(
    G: nn.Module,
    D: nn.Module,
    real_batch: Callable[[], torch.Tensor],
    latent_dim: int,
    steps: int,
    d_opt: torch.optim.Optimizer,
    g_opt: torch.optim.Optimizer,
    g: torch.Generator,
) -> None:
    """GAN with the simultaneous update, non-saturating G (sigmoid cross-entropy on logits)."""
    d_params, g_params = list(D.parameters()), list(G.parameters())
    for _ in range(steps):
        real = real_batch()
        z = torch.randn(real.shape[0], latent_dim, generator=g)
        fake = G(z)
        logit_real, logit_fake = D(real), D(fake)
        d_loss = F.softplus(-logit_real).mean() + F.softplus(logit_fake).mean()
        g_loss = F.softplus(-logit_fake).mean()
        d_grads = torch.autograd.grad(d_loss, d_params, retain_graph=True)
        g_grads = torch.autograd.grad(g_loss, g_params)
        for p, grad in zip(d_params, d_grads, strict=True):
            p.grad = grad
        for p, grad in zip(g_params, g_grads, strict=True):
            p.grad = grad
        d_opt.step()
        g_opt.step()
