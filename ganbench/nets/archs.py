"""Named network architectures a run can ask for with `--hp arch=NAME` (every variant built on
the shared pair: ganbench.variants.base.Variant.shared_pair). "default" is the shared pair of
ganbench.nets; the others are the networks of a paper's released code, so a reproduction
protocol can pin them (ganbench/reproduce/protocols.py) and any variant can be run on them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from ganbench.nets.gdpp_mlp import GDPP2DDiscriminator, GDPP2DGenerator
from ganbench.nets.pacgan_mlp import PacGAN2DDiscriminator, PacGAN2DGenerator

DEFAULT = "default"


@dataclass(frozen=True)
class Arch:
    name: str
    kind: str  # the data kind it is built for ("points")
    generator: Callable[[int, int], nn.Module]  # (latent_dim, out_dim) -> G
    discriminator: Callable[[int], nn.Module]  # (in_dim) -> D, scores of shape (N,)
    source: str


ARCHS: dict[str, Arch] = {
    a.name: a
    for a in (
        Arch(
            "gdpp-2d",
            "points",
            GDPP2DGenerator,
            GDPP2DDiscriminator,
            "M-Elfeki/GDPP gdppgan_Synthetic.py: G 2x128 tanh, D 2x128 tanh, orthogonal init 1.4",
        ),
        Arch(
            "pacgan-2d",
            "points",
            PacGAN2DGenerator,
            PacGAN2DDiscriminator,
            "fjxmlzn/PacGAN config.py: G 4x400 ReLU + batch norm, D 3x200 maxout (5 pieces)",
        ),
    )
}


def arch_names() -> tuple[str, ...]:
    return (DEFAULT, *ARCHS)


def named_pair(name: str, latent_dim: int, out_dim: int, d_in_dim: int) -> tuple[nn.Module, nn.Module]:
    """(G, D) of the named architecture; D takes `d_in_dim` inputs (2m for m packed samples)."""
    arch = ARCHS[name]
    return arch.generator(latent_dim, out_dim), arch.discriminator(d_in_dim)
