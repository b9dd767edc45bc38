"""Conditioning by concatenation (Mirza & Osindero 2014) and extra heads on the shared D body.

* `ConditionalGenerator`: G(z, y) = G'([z, onehot(y)]), G' the shared MLP/conv generator built
  for latent_dim + num_classes inputs.
* `ConditionalDiscriminator`: D(x, y) = D'([x, onehot(y)]); 2-D points get the one-hot appended
  to the coordinates, images get it as constant feature maps (one plane per class) stacked on the
  channels, so the shared MLP/conv discriminator sees the label at its input.
* `HeadedDiscriminator`: the shared D body (`features`) with several linear heads, returned as a
  dict (AC-GAN's source + class heads, InfoGAN's D + Q heads).
The label coding is one-hot, as in the cGAN paper ("class labels, encoded as one-hot vectors").
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ganbench.data.base import DataSpec
from ganbench.nets.conv import DEFAULT_WIDTH, ConvDiscriminator, ConvGenerator, dcgan_init
from ganbench.nets.mlp import MLPDiscriminator, MLPGenerator


def one_hot(
    labels: torch.Tensor, num_classes: int, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    return F.one_hot(labels.long(), num_classes).to(dtype)


def base_generator(spec: DataSpec, in_dim: int, width: int | None = None) -> nn.Module:
    """The shared generator the data call for, fed `in_dim` inputs (`width`: the conv pair's)."""
    if spec.kind == "points":
        return MLPGenerator(in_dim, spec.shape)
    return ConvGenerator(in_dim, spec.shape, width or DEFAULT_WIDTH)


def base_discriminator(
    spec: DataSpec,
    in_shape: tuple[int, ...] | None = None,
    out_dim: int = 1,
    norm: str = "batch",
    width: int | None = None,
    dropout: float | None = None,
) -> nn.Module:
    """The shared discriminator the data call for (with `out_dim` outputs); `width` and `dropout`
    are the conv body's (None: its defaults)."""
    shape = tuple(in_shape or spec.shape)
    if spec.kind == "points":
        return MLPDiscriminator(shape, out_dim=out_dim)
    extra = {} if dropout is None else {"dropout": dropout}
    return ConvDiscriminator(shape, width or DEFAULT_WIDTH, norm=norm, out_dim=out_dim, **extra)


def feature_dim(d: nn.Module) -> int:
    """Width of the shared discriminator body's output (`features`)."""
    if hasattr(d, "feature_dim"):
        return d.feature_dim
    return d.head.in_features


class ConditionalGenerator(nn.Module):
    def __init__(
        self, spec: DataSpec, latent_dim: int, num_classes: int, width: int | None = None
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.net = base_generator(spec, latent_dim + num_classes, width)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([z, one_hot(labels, self.num_classes, z.dtype)], 1))


def concat_label(x: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """[x, onehot(y)]: appended to the coordinates of points, as constant planes for images."""
    y = one_hot(labels, num_classes, x.dtype)
    if x.dim() == 2:
        return torch.cat([x, y], 1)
    planes = y[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
    return torch.cat([x, planes], 1)


class ConditionalDiscriminator(nn.Module):
    def __init__(
        self,
        spec: DataSpec,
        num_classes: int,
        out_dim: int = 1,
        norm: str = "batch",
        width: int | None = None,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        if spec.kind == "points":
            in_shape: tuple[int, ...] = (spec.dim + num_classes,)
        else:
            c, h, w = spec.shape
            in_shape = (c + num_classes, h, w)
        self.net = base_discriminator(spec, in_shape, out_dim=out_dim, norm=norm, width=width)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.net(concat_label(x, labels, self.num_classes))


class HeadedDiscriminator(nn.Module):
    """Shared D body + named linear heads: forward(x) -> {head name: output}. A head of width 1
    returns shape (N,); a head given as (hidden, width) gets one hidden LeakyReLU layer first
    (InfoGAN's Q: FC.128-lReLU then the code outputs; the paper also has BN there). On images the
    heads get the conv body's DCGAN initialisation."""

    def __init__(
        self,
        spec: DataSpec,
        heads: dict[str, int | tuple[int, int]],
        norm: str = "batch",
        width: int | None = None,
    ) -> None:
        super().__init__()
        body = base_discriminator(spec, norm=norm, width=width)
        self.features = body.features
        self.flatten_input = isinstance(body, MLPDiscriminator)
        n_in = feature_dim(body)
        self.heads = nn.ModuleDict()
        for name, size in heads.items():
            if isinstance(size, tuple):
                hidden, out = size
                self.heads[name] = nn.Sequential(
                    nn.Linear(n_in, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, out)
                )
            else:
                self.heads[name] = nn.Linear(n_in, size)
        if spec.kind != "points":
            dcgan_init(self.heads)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.features(x.flatten(1) if self.flatten_input else x)
        out = {}
        for name, head in self.heads.items():
            o = head(h)
            out[name] = o.squeeze(1) if o.shape[1] == 1 else o
        return out
