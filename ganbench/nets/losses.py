"""Loss pieces shared by several variants. Each is the term as the papers write it."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def bce_real(logits: torch.Tensor) -> torch.Tensor:
    """-E[log D(x)] with D = sigmoid(logits); the 'label 1' binary cross-entropy."""
    return F.softplus(-logits).mean()


def bce_fake(logits: torch.Tensor) -> torch.Tensor:
    """-E[log(1 - D(x))]; the 'label 0' binary cross-entropy."""
    return F.softplus(logits).mean()


def interpolate(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """x̂ = ε x + (1 - ε) x̃ with ε ~ U[0, 1] per sample (WGAN-GP, Algorithm 1)."""
    eps = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype)
    return eps * real + (1 - eps) * fake


def input_gradient(critic: nn.Module, points: torch.Tensor) -> torch.Tensor:
    """∇_x D(x) at `points`, per sample, differentiable w.r.t. the critic's parameters (so a
    penalty on it trains the critic). torch.func.grad rather than autograd.grad: the same numbers,
    and it also runs under vmap (seeds trained batched, ganbench/harness/batched.py)."""
    return torch.func.grad(lambda x: critic(x).sum())(points.detach())


def gradient_penalty(critic: nn.Module, points: torch.Tensor, target: float = 1.0) -> torch.Tensor:
    """E[(||∇_x̂ D(x̂)||₂ - target)²] at `points` (Gulrajani et al. 2017, eq. 3)."""
    grad = input_gradient(critic, points)
    return ((grad.flatten(1).norm(2, dim=1) - target) ** 2).mean()


def zero_centred_penalty(critic: nn.Module, points: torch.Tensor) -> torch.Tensor:
    """E[||∇_x D(x)||²] at `points` (the squared norm summed over a sample's elements, averaged
    over the batch): R1 on reals, R2 on fakes (Mescheder et al. 2018; R3GAN, StyleGAN2). The
    penalty is differentiable w.r.t. the critic's parameters (it trains the critic)."""
    grad = input_gradient(critic, points)
    return grad.flatten(1).pow(2).sum(1).mean()


def hinge_real(scores: torch.Tensor) -> torch.Tensor:
    """E[max(0, 1 - D(x))]: the hinge loss's real term (Lim & Ye 2017; SN-GAN, Miyato 2018)."""
    return F.relu(1.0 - scores).mean()


def hinge_fake(scores: torch.Tensor) -> torch.Tensor:
    """E[max(0, 1 + D(x̃))]: the hinge loss's fake term."""
    return F.relu(1.0 + scores).mean()


# --- conditional / latent-code / encoder terms (issue 4) --------------------------------------


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag exp(logvar)) || N(0, I)) summed over the code, averaged over the batch
    (the VAE prior term, Kingma & Welling 2014, appendix B)."""
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()


def unit_gaussian_nll(target: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
    """-log N(target | mean, I) without the constant: ½||target - mean||² per sample, batch mean
    (InfoGAN's continuous codes as a factored Gaussian with fixed unit variance)."""
    return 0.5 * ((target - mean) ** 2).sum(1).mean()


def l1(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference (cycle, identity and pixel terms of the translators)."""
    return (x - y).abs().mean()
