"""BigGAN's pieces (Brock, Donahue & Simonyan 2019, arXiv:1809.11096) at 32 px, on SAGAN's blocks
(ganbench/nets/sagan_nets.py), each written from its equation:

* `ConditionalBatchNorm2d`: class-conditional batch norm with the gains and biases linear in the
  conditioning vector c:  BN(x) · (1 + γ(c)) + β(c),  γ(c) = W_γ c,  β(c) = W_β c  (per channel;
  BN without its own affine parameters). The "1 +" makes c = 0 the plain normalisation.
* `BigGANGenerator`: a shared class embedding e(y) and a hierarchical latent space: z is split into
  one chunk for the input layer and one per G block; block k's batch norms are conditioned on
  c_k = [z_k, e(y)]. linear(z_0) -> 4x4 -> GBlock 8 (c_1) -> GBlock 16 (c_2) -> self-attention ->
  GBlock 32 (c_3) -> BN -> ReLU -> conv3x3 -> tanh (`ImageOut` without upsampling; its BN is
  unconditional, as BigGAN's): the authors' 32 px layout (BigGAN-PyTorch, BigGAN.py,
  `G_arch[32]`: three residual up-blocks to 32 px, a 3x3 output convolution).
  The shared embedding starts at N(0, 0.02) (`SHARED_INIT_STD`), as in the authors' 32 px run.
* `BigGANDiscriminatorBody`: DBlock 32 -> 16 (no pre-activation: it reads the image) ->
  self-attention -> DBlock 16 -> 8 -> DBlock 8 -> DBlock 8 -> ReLU -> sum over locations (φ(x)):
  the authors' `D_arch[32]` (four residual blocks, the last two at 8 px).
  Why not SAGAN's cheaper 32 px stages (`ImageOut`, `DStem`, D down to 4 px; ganbench.nets.
  sagan_nets): measured (docs/variants.md, item 8; 500 steps of 64 on mnist32, seed 0, FID in the
  project's feature space) BigGAN on them scored 140.6 where the authors' code scored 5.8; the
  authors' G stages alone brought it to 43.5, their D alone to 62.5, both (with the small shared
  embedding below) to 17.7. SAGAN, unconditional, trains well on the cheap stages.
* `ProjectionHead` / `ProjectionDiscriminator`: the projection discriminator (Miyato & Koyama
  2018, used by SAGAN and BigGAN) on the body's features φ(x):
      D(x, y) = ψ(φ(x)) + <e_D(y), φ(x)>,  ψ linear, e_D a class embedding of φ's width.
* `orthogonal_penalty` / `orthogonal_regulariser`: BigGAN's orthogonal regularisation (section 3.1)
      R_β(W) = β ||Wᵀ W ⊙ (1 - I)||_F²
  with one filter per column of W (here: the rows of a weight flattened to (out, fan-in), so the
  Gram matrix of the filters is W Wᵀ): the squared pairwise inner products of distinct filters,
  no constraint on their norms. Summed over the weights of G's Linear / Conv layers (the trained
  parameters: under spectral normalisation the un-normalised ones), so not over the shared
  embedding (its rows are class codes, not filters; the authors' code leaves it out too).
* `truncated_normal`: z ~ N(0, I) restricted to [-τ, τ] per coordinate (the truncation trick),
  drawn by inverting the normal CDF on [Φ(-τ), Φ(τ)]: the distribution BigGAN gets by resampling
  the values outside the range, in one draw from the run's generator.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from ganbench.nets.sagan_nets import DBlock, GBlock, ImageOut, SelfAttention, check_32px

SHARED_INIT_STD = 0.02  # G's shared class embedding at initialisation


class ConditionalBatchNorm2d(nn.Module):
    """BN(x) · (1 + W_γ c) + W_β c, the gain and bias per channel, linear (no bias) in c."""

    def __init__(self, channels: int, cond_dim: int) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Linear(cond_dim, channels, bias=False)  # γ(c)
        self.bias = nn.Linear(cond_dim, channels, bias=False)  # β(c)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        gamma = self.gain(c)[:, :, None, None]
        beta = self.bias(c)[:, :, None, None]
        return self.bn(x) * (1 + gamma) + beta


def chunk_sizes(latent_dim: int, chunks: int) -> list[int]:
    """How `torch.tensor_split(z, chunks, dim=1)` splits z: as even as can be, larger first."""
    return [len(part) for part in torch.arange(latent_dim).tensor_split(chunks)]


class BigGANGenerator(nn.Module):
    """G(z, y); `blocks` are the GBlocks in order (8, 16, 32 px), `chunks` = 1 + len(blocks)."""

    RESOLUTIONS = (8, 16, 32)  # each GBlock's output size
    ATTENTION_AT = 16

    def __init__(
        self,
        latent_dim: int,
        num_classes: int,
        out_shape: tuple[int, int, int],
        width: int,
        shared_dim: int,
        attention_pool: int = 1,
    ) -> None:
        super().__init__()
        channels = check_32px(out_shape, "BigGANGenerator")
        self.width = width
        self.chunks = 1 + len(self.RESOLUTIONS)  # the input layer, then one per block
        sizes = chunk_sizes(latent_dim, self.chunks)
        self.shared = nn.Embedding(num_classes, shared_dim)  # one embedding for every layer
        # The authors' scale (their 32 px launch's N(0, 0.02); their default orthogonal rows have
        # norm 1), not PyTorch's N(0, 1): class codes of norm ~11 beside z chunks of norm ~5.5
        # swamp the conditional gains (FID 21.9 against 17.7 at 500 steps; docs/variants.md, 8)
        nn.init.normal_(self.shared.weight, 0.0, SHARED_INIT_STD)
        self.fc = nn.Linear(sizes[0], width * 4 * 4)

        def cbn(cond_dim: int):
            return lambda ch: ConditionalBatchNorm2d(ch, cond_dim)

        self.blocks = nn.ModuleList(
            GBlock(width, width, norm=cbn(size + shared_dim)) for size in sizes[1:]
        )
        self.attention = SelfAttention(width, pool=attention_pool)
        self.out = ImageOut(width, channels, upsample=False)  # after the 32 px block

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        z0, *zs = z.tensor_split(self.chunks, dim=1)
        e = self.shared(y)
        h = self.fc(z0).view(z.shape[0], self.width, 4, 4)
        for block, z_k, size in zip(self.blocks, zs, self.RESOLUTIONS, strict=True):
            h = block(h, torch.cat([z_k, e], dim=1))  # c_k = [z_k, e(y)]
            if size == self.ATTENTION_AT:
                h = self.attention(h)
        return self.out(h)


class BigGANDiscriminatorBody(nn.Module):
    """x -> DBlock 16 -> self-attention -> DBlock 8 -> DBlock 8 -> DBlock 8 -> ReLU -> sum over
    locations: φ(x), `width` features per image."""

    def __init__(self, in_shape: tuple[int, int, int], width: int, attention_pool: int = 1) -> None:
        super().__init__()
        channels = check_32px(in_shape, "the BigGAN discriminator")
        self.first = DBlock(channels, width, preactivation=False)  # 32 -> 16
        self.attention = SelfAttention(width, pool=attention_pool)  # at 16 px
        self.blocks = nn.Sequential(
            DBlock(width, width), DBlock(width, width, down=False), DBlock(width, width, down=False)
        )
        self.feature_dim = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.attention(self.first(x)))
        return F.relu(h).sum(dim=(2, 3))  # sum pooling, as in the SN-GAN / BigGAN ResNets


class ProjectionHead(nn.Module):
    """D(x, y) = ψ(φ) + <e_D(y), φ> from the features φ (N, F) and labels y (N,): shape (N,)."""

    def __init__(self, feature_dim: int, num_classes: int) -> None:
        super().__init__()
        self.psi = nn.Linear(feature_dim, 1)
        self.embed = nn.Embedding(num_classes, feature_dim)

    def forward(self, phi: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.psi(phi).squeeze(1) + (self.embed(y) * phi).sum(dim=1)


class ProjectionDiscriminator(nn.Module):
    """BigGAN's discriminator body (φ) with the projection head."""

    def __init__(
        self, in_shape: tuple[int, int, int], num_classes: int, width: int, attention_pool: int = 1
    ) -> None:
        super().__init__()
        self.features = BigGANDiscriminatorBody(in_shape, width, attention_pool)
        self.head = ProjectionHead(width, num_classes)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x), y)


def orthogonal_penalty(weight: torch.Tensor) -> torch.Tensor:
    """||W Wᵀ ⊙ (1 - I)||_F² for a weight flattened to (out, fan-in): one filter per row."""
    w = weight.flatten(1)
    gram = w @ w.t()
    off_diagonal = gram * (1 - torch.eye(gram.shape[0], dtype=gram.dtype, device=gram.device))
    return off_diagonal.pow(2).sum()


def raw_weight(layer: nn.Module) -> torch.Tensor:
    """The trained weight of a layer: under spectral normalisation the un-normalised one, with a
    transposed convolution's output channels first (one filter per row, as in a convolution)."""
    if parametrize.is_parametrized(layer, "weight"):
        w = layer.parametrizations.weight.original
    else:
        w = layer.weight
    return w.transpose(0, 1) if isinstance(layer, nn.ConvTranspose2d) else w


def orthogonal_regulariser(net: nn.Module) -> torch.Tensor:
    """Σ_W ||W Wᵀ ⊙ (1 - I)||_F² over the weights of every Linear / Conv layer of `net` (not yet
    times β); embeddings are not filter banks and are not included."""
    layers = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)
    terms = [orthogonal_penalty(raw_weight(m)) for m in net.modules() if isinstance(m, layers)]
    return torch.stack(terms).sum() if terms else torch.zeros(())


def truncated_normal(
    shape: tuple[int, ...],
    threshold: float,
    device: torch.device | str,
    generator: torch.Generator | None = None,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """N(0, 1) values restricted to [-threshold, threshold], by the inverse CDF (float64 inside)."""
    lo = torch.special.ndtr(torch.tensor(-float(threshold), dtype=torch.float64))
    u = torch.rand(shape, device=device, generator=generator, dtype=torch.float64)
    z = torch.special.ndtri(lo + u * (1 - 2 * lo))  # u uniform on [Φ(-τ), Φ(τ)]
    z = z.clamp(-float(threshold), float(threshold))  # the last ulp of Φ⁻¹ stays in range
    return z.to(dtype or torch.get_default_dtype())
