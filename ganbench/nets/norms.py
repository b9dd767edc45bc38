"""Normalisation layers by name, for the translation nets. Instance norm is what the image-to-image
zoo uses (its batch size is 1); "none" is for critics with a gradient penalty, which is per sample
and so invalid with batch norm (WGAN-GP paper, section 4)."""

from __future__ import annotations

from torch import nn

NORMS = ("instance", "batch", "layer", "none")


def norm2d(kind: str, channels: int) -> nn.Module:
    """A 2-D normalisation layer: instance (affine, as the zoo), batch, layer (over C, H, W), none."""
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}; use one of {', '.join(NORMS)}")
