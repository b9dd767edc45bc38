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


def gradient_penalty(critic: nn.Module, points: torch.Tensor, target: float = 1.0) -> torch.Tensor:
    """E[(||∇_x̂ D(x̂)||₂ - target)²] at `points` (Gulrajani et al. 2017, eq. 3)."""
    points = points.detach().requires_grad_(True)
    scores = critic(points)
    (grad,) = torch.autograd.grad(scores.sum(), points, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - target) ** 2).mean()
