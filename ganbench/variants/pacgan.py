"""PacGAN (Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial networks").

The discriminator judges m samples at once, all real or all generated ("packing"); the loss is the
underlying GAN's:
    min_D  -E[log D(x_1, ..., x_m)] - E[log(1 - D(G(z_1), ..., G(z_m)))]
    min_G  -E[log D(G(z_1), ..., G(z_m))]                             (non-saturating)
Packing concatenates the m samples: along features for 2-D points (input 2m), along channels for
images (input m·C channels), as the paper does; a batch of N gives N // m packs. m = `pack` (default
2, the paper's PacGAN2). Everything else is the underlying DCGAN's (the paper changes nothing but
the discriminator's input): Adam(2e-4, β = (0.5, 0.999)), the shared networks.

`arch` picks the networks (ganbench/nets/archs.py): "default" (the shared pair above) or, on 2-D
points, a named pair such as "pacgan-2d", the paper's own 2-D networks (ganbench/nets/
pacgan_mlp.py: G 4x400 ReLU + batch norm, D 3x200 maxout with 5 pieces, input 2m). pack=1 is then
the paper's GAN baseline with the same networks.
The paper's 2-D optimizer (Adam 1e-4, β1 0.8) and batch (100 packs) are not implied by `arch`:
the `pacgan-table1` reproduction protocol sets them through d_lr / g_lr / d_betas / g_betas and
the budget, so every row records them.
"""

from __future__ import annotations

import torch
from torch import nn

from ganbench.core.hparams import positive_int
from ganbench.data.base import DataSpec
from ganbench.nets import ConvDiscriminator, MLPDiscriminator
from ganbench.nets.archs import named_pair
from ganbench.nets.losses import bce_fake, bce_real
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


class PackedDiscriminator(nn.Module):
    """(N, *shape) -> (N // m,) scores of consecutive m-tuples, concatenated along dim 1."""

    def __init__(self, inner: nn.Module, pack: int) -> None:
        super().__init__()
        self.inner, self.pack = inner, pack

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = (x.shape[0] // self.pack) * self.pack
        if n == 0:
            raise ValueError(f"PacGAN needs at least pack={self.pack} samples, got {x.shape[0]}")
        x = x[:n]
        packed = x.reshape(n // self.pack, self.pack * x.shape[1], *x.shape[2:])
        return self.inner(packed)


@register("pacgan", family="mode-collapse", paper="Lin et al. 2018, arXiv:1712.04086")
class PacGAN(Variant):
    defaults = {"pack": 2}
    rules = {"pack": positive_int()}
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))

    def build(self, spec: DataSpec) -> tuple[nn.Module, nn.Module]:
        m = int(self.hp["pack"])
        shape = (m * spec.shape[0], *spec.shape[1:])
        arch = self.hp["arch"]
        if arch != "default":  # a named 2-D architecture (check_hparams: points only)
            G, D = named_pair(arch, self.latent_dim, spec.shape[0], shape[0])
            return G, PackedDiscriminator(D, m)
        G, _ = self.shared_pair(spec)
        inner = (
            MLPDiscriminator(shape)
            if spec.kind == "points"
            else ConvDiscriminator(shape, self.width, dropout=self._d_dropout())
        )
        return G, PackedDiscriminator(inner, m)

    def pair_losses(self, real, z, labels):
        """One G(z) and one D(G(z)) for both losses (the simultaneous update)."""
        logits_fake = self.D(self.generate(z))
        return bce_real(self.D(real)) + bce_fake(logits_fake), bce_real(logits_fake)

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z)
        return bce_real(self.D(real)) + bce_fake(self.D(fake))

    def g_loss(self, z, labels):
        return bce_real(self.D(self.generate(z)))
