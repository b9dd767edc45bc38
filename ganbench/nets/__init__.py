"""Shared networks: one MLP pair for 2-D data, one DCGAN-style conv pair for 28/32 px images,
so variants differ only by what makes them different."""

from __future__ import annotations

from torch import nn

from ganbench.data.base import DataSpec
from ganbench.nets.conv import DEFAULT_WIDTH, DROPOUT, ConvDiscriminator, ConvGenerator
from ganbench.nets.mlp import MLPDiscriminator, MLPGenerator


def default_pair(
    spec: DataSpec,
    latent_dim: int,
    d_norm: str = "batch",
    width: int | None = None,
    d_dropout: float | None = None,
    d_init: str = "dcgan",
) -> tuple[nn.Module, nn.Module]:
    """The (G, D) pair the architecture of the data calls for; `width`, `d_dropout` and `d_init`
    are the conv pair's (None: ganbench.nets.conv.DEFAULT_WIDTH, DROPOUT); the 2-D MLPs have
    their own."""
    if spec.kind == "points":
        return MLPGenerator(latent_dim, spec.shape), MLPDiscriminator(spec.shape)
    w = width or DEFAULT_WIDTH
    p = DROPOUT if d_dropout is None else d_dropout
    G = ConvGenerator(latent_dim, spec.shape, w)  # G first: the seed's draws go G, then D
    return G, ConvDiscriminator(spec.shape, w, d_norm, 1, p, d_init)


__all__ = ["ConvDiscriminator", "ConvGenerator", "MLPDiscriminator", "MLPGenerator", "default_pair"]
