"""Encoders x -> code, shared by the encoder/hybrid variants (AAE, BiGAN, VAE-GAN, ClusterGAN),
and BiGAN/ALI's joint discriminator D(x, z).

The encoder bodies are the shared discriminator bodies (an MLP for 2-D points, the four strided
conv blocks for 28/32 px images, without the discriminator's dropout) with a linear output of the
code's width: an encoder is a discriminator that answers with a vector, so nothing is copied.
"""

from __future__ import annotations

import torch
from torch import nn

from ganbench.data.base import DataSpec
from ganbench.nets.conditional import base_discriminator, feature_dim
from ganbench.nets.mlp import MLPDiscriminator


class Encoder(nn.Module):
    """x -> (N, out_dim). norm: the conv body's normalisation (batch, layer or none)."""

    def __init__(
        self, spec: DataSpec, out_dim: int, norm: str = "batch", width: int | None = None
    ) -> None:
        super().__init__()
        body = base_discriminator(spec, norm=norm, out_dim=out_dim, width=width, dropout=0.0)
        self.features = body.features
        self.flatten_input = isinstance(body, MLPDiscriminator)
        self.head = body.head
        self.out_dim = out_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x.flatten(1) if self.flatten_input else x))


class GaussianEncoder(Encoder):
    """x -> (mu, logvar) of a diagonal Gaussian q(z|x) (VAE)."""

    def __init__(
        self, spec: DataSpec, latent_dim: int, norm: str = "batch", width: int | None = None
    ) -> None:
        super().__init__(spec, 2 * latent_dim, norm, width)
        self.latent_dim = latent_dim

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        out = super().forward(x)
        return out[:, : self.latent_dim], out[:, self.latent_dim :]


class JointDiscriminator(nn.Module):
    """D(x, z) (BiGAN / ALI): x through the shared D body, z through one hidden layer, the two
    joined by a hidden layer to one logit. Batch norm is left out of the x path: BiGAN's D sees
    (x, E(x)) and (G(z), z) in separate batches, and ALI drops it there too."""

    def __init__(
        self, spec: DataSpec, latent_dim: int, hidden: int = 256, width: int | None = None
    ) -> None:
        super().__init__()
        body = base_discriminator(spec, norm="none", width=width)
        self.x_features = body.features
        self.flatten_input = isinstance(body, MLPDiscriminator)
        self.z_features = nn.Sequential(nn.Linear(latent_dim, hidden), nn.LeakyReLU(0.2))
        self.joint = nn.Sequential(
            nn.Linear(feature_dim(body) + hidden, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1)
        )

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        hx = self.x_features(x.flatten(1) if self.flatten_input else x)
        return self.joint(torch.cat([hx, self.z_features(z)], 1)).squeeze(1)
