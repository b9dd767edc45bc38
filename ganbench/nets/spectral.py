"""Spectral normalisation (Miyato et al. 2018) applied to every weight layer of a network, so the
shared MLP / conv discriminators become SN discriminators without a copy of their definitions."""

from __future__ import annotations

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

_WEIGHT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)


def spectral_norm_all(module: nn.Module, n_power_iterations: int = 1) -> nn.Module:
    """Reparametrise W -> W / σ(W) in every Linear / Conv layer of `module` (in place; returned).

    One power iteration per forward pass in training mode, as in the paper (Algorithm 1)."""
    layers = [m for m in module.modules() if isinstance(m, _WEIGHT_LAYERS)]
    if not layers:
        raise ValueError("spectral_norm_all: the module has no Linear or Conv layer")
    for m in layers:
        spectral_norm(m, n_power_iterations=n_power_iterations)
    return module
