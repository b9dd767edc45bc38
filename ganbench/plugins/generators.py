"""Plug-in generators: turn a noise-taking nn.Module, a sample(n, device) callable or a factory into
n -> raw output (adapt), and that into a sampler whose every call is timed out and checked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ganbench.core.log import warn
from ganbench.data.base import DataSpec
from ganbench.plugins.checks import check_output
from ganbench.plugins.loading import (
    DEFAULT_TIMEOUT,
    PluginError,
    build_if_factory,
    call_with_timeout,
    required_params,
)

LATENT_ATTRS = ("latent_dim", "z_dim", "nz", "latent_size", "noise_dim")


def _latent_dim(module: nn.Module, override: int | None) -> int:
    if override:
        return int(override)
    for a in LATENT_ATTRS:
        v = getattr(module, a, None)
        if isinstance(v, int) and not isinstance(v, bool) and v > 0:
            return v
    raise PluginError(
        f"cannot tell how much noise {type(module).__name__} takes; give the module an int "
        f"attribute `latent_dim` (or {', '.join(LATENT_ATTRS[1:])}), or pass --latent-dim"
    )


@dataclass
class Adapted:
    raw: Callable[[int], Any]  # n -> whatever the plug-in returns
    kind: str  # "module" or "sampler"
    conditional: bool = False
    notes: list[str] = field(default_factory=list)


def adapt(
    obj: Any,
    spec: DataSpec,
    device: torch.device,
    generator: torch.Generator,
    latent_dim: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Adapted:
    """Turn a module, a sample(n, device) callable or a factory into n -> raw output."""
    obj = build_if_factory(
        obj, spec, timeout, "generator", "an nn.Module or a sample(n, device) callable"
    )

    def labels_for(n: int) -> torch.Tensor:
        return torch.randint(spec.num_classes, (n,), device=device, generator=generator)

    if isinstance(obj, nn.Module):
        module = obj.to(device).eval()
        z_dim = _latent_dim(module, latent_dim)
        conditional = bool(getattr(module, "conditional", False))
        if conditional and not spec.num_classes:
            raise PluginError(
                f"{type(module).__name__} is conditional but dataset {spec.name!r} "
                "has no labels; pick a labelled dataset"
            )

        @torch.no_grad()
        def raw(n: int) -> Any:
            z = torch.randn(n, z_dim, device=device, generator=generator)
            return module(z, labels_for(n)) if conditional else module(z)

        return Adapted(raw, "module", conditional, [f"nn.Module, latent_dim={z_dim}"])
    if callable(obj):
        params = required_params(obj)
        conditional = params is not None and "labels" in params[1]
        if params is not None and params[0] > 2 + conditional:
            raise PluginError(
                f"{obj!r} needs {params[0]} arguments; a sampler is called as "
                "sample(n, device) (plus labels=... when conditional)"
            )
        if conditional and not spec.num_classes:
            conditional = False

        @torch.no_grad()
        def raw(n: int) -> Any:
            if conditional:
                return obj(n, device, labels=labels_for(n))
            return obj(n, device)

        return Adapted(raw, "sampler", conditional, ["sample(n, device) callable"])
    raise PluginError(
        f"the generator is of type {type(obj).__name__}, not something that generates; export an "
        "nn.Module taking noise, a function sample(n, device), or a factory returning either"
    )


def warn_if_nonnegative(x: torch.Tensor, label: str, warned: list[bool]) -> None:
    """Once per plug-in: images that are all >= 0 are probably [0, 1] pictures, not [-1, 1]."""
    if not warned and x.dim() > 2 and len(x) > 1 and float(x.min()) >= 0:
        warned.append(True)
        warn(
            f"{label}: every value is >= 0; if it outputs [0, 1], map it to [-1, 1] "
            "(x * 2 - 1) or the scores will be wrong"
        )


def make_checked_sampler(
    adapted: Adapted, spec: DataSpec, timeout: float | None, label: str
) -> Callable[[int], torch.Tensor]:
    warned: list[bool] = []

    def sample(n: int) -> torch.Tensor:
        x = call_with_timeout(adapted.raw, timeout, f"{label} sampling n={n}", n)
        x = check_output(x, n, spec, label)
        if spec.kind == "image":
            warn_if_nonnegative(x, label, warned)
        return x

    return sample
