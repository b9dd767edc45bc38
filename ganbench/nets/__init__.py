"""Shared networks: one MLP pair for 2-D data, one DCGAN-style conv pair for 28/32 px images,
so variants differ only by what makes them different."""

from __future__ import annotations

from torch import nn

from ganbench.data.base import DataSpec
from ganbench.nets.conv import ConvDiscriminator, ConvGenerator
from ganbench.nets.mlp import MLPDiscriminator, MLPGenerator


def default_pair(
    spec: DataSpec, latent_dim: int, d_norm: str = "batch"
) -> tuple[nn.Module, nn.Module]:
    """The (G, D) pair the architecture of the data calls for."""
    if spec.kind == "points":
        return MLPGenerator(latent_dim, spec.shape), MLPDiscriminator(spec.shape)
    return ConvGenerator(latent_dim, spec.shape), ConvDiscriminator(spec.shape, norm=d_norm)


__all__ = ["ConvDiscriminator", "ConvGenerator", "MLPDiscriminator", "MLPGenerator", "default_pair"]
