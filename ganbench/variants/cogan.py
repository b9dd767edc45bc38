"""CoGAN (Liu & Tuzel 2016): two GANs, one per domain, with tied weights, learning a joint
distribution of two domains without corresponding pairs.

Architecture: two copies of the shared conv pair (ganbench/nets/conv.py, `--hp width=`), tied as
the paper ties them:
  G_A, G_B share the first layers (z -> FC -> BN -> ReLU -> up -> conv -> BN -> ReLU, which
  decode high-level semantics) and each has its own up -> conv -> BN -> ReLU -> conv -> tanh;
  D_A, D_B each have their own first conv block and share the last three blocks and the linear
  score, which hold high-level features. (The PyTorch-GAN zoo's cogan.py shares every conv
  block of D and only splits the linear scores, and trains with the least-squares loss; the
  paper's tying and loss are kept here.)
Two domains, built offline from each image batch: domain A = the images (mnist digits), domain
B = their negatives (-x in [-1, 1]). So that no image is seen in both domains at once, each
batch is split in halves: the first half is domain A, the negatives of the second half domain B.
Loss: the GAN loss of each pair, summed (non-saturating G). Adam(2e-4, beta1 0.5), as the paper.
Samples for the metrics come from G_A. `pair_agreement`: the paper's pixel agreement ratio
between G_B(z) and the negative of G_A(z) (binarised at 0), 1 for a perfectly coupled pair.
"""

from __future__ import annotations

import torch
from torch import nn

from ganbench.data.base import DataSpec
from ganbench.nets.conv import ConvDiscriminator, ConvGenerator
from ganbench.nets.losses import bce_fake, bce_real
from ganbench.variants._latent import N_EXTRA, evaluating
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register

FIRST_D_BLOCK = 3  # ConvDiscriminator.features[:3]: conv3 s2 -> LeakyReLU -> dropout


def to_domain_b(x: torch.Tensor) -> torch.Tensor:
    """Domain B of an image in [-1, 1]: its negative."""
    return -x


class CoupledGenerator(nn.Module):
    """Two shared-pair generators (ganbench.nets.conv.ConvGenerator) that share z -> FC -> BN ->
    ReLU -> up -> conv (2w -> 2w) -> BN -> ReLU; each keeps its own up -> conv (2w -> w) -> BN ->
    ReLU -> conv -> tanh."""

    def __init__(self, latent_dim: int, out_shape: tuple[int, int, int], width: int) -> None:
        super().__init__()
        g_a, g_b = ConvGenerator(latent_dim, out_shape, width), ConvGenerator(latent_dim, out_shape, width)
        self.base, self.width = g_a.base, width
        # shared: everything before the last upsampling (BN -> ReLU -> up -> conv 2w -> BN -> ReLU)
        cut = max(i for i, m in enumerate(g_a.net) if isinstance(m, nn.Upsample))
        self.shared = nn.Sequential(
            g_a.fc, nn.Unflatten(1, (2 * width, self.base, self.base)), *g_a.net[:cut]
        )
        self.head_a = nn.Sequential(*g_a.net[cut:])
        self.head_b = nn.Sequential(*g_b.net[cut:])

    def both(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.shared(z)
        return self.head_a(h), self.head_b(h)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.head_a(self.shared(z))


class CoupledDiscriminator(nn.Module):
    """Two shared-pair discriminators (ganbench.nets.conv.ConvDiscriminator): each keeps its first
    block (conv3 s2 -> LeakyReLU -> dropout); blocks 2-4 and the linear score are shared."""

    def __init__(self, in_shape: tuple[int, int, int], width: int) -> None:
        super().__init__()
        d_a, d_b = ConvDiscriminator(in_shape, width), ConvDiscriminator(in_shape, width)
        first = FIRST_D_BLOCK
        self.first_a = nn.Sequential(*d_a.features[:first])
        self.first_b = nn.Sequential(*d_b.features[:first])
        self.shared = nn.Sequential(*d_a.features[first:], d_a.head)

    def forward(self, x: torch.Tensor, domain: str = "a") -> torch.Tensor:
        first = self.first_a if domain == "a" else self.first_b
        return self.shared(first(x)).squeeze(1)


@register(
    "cogan",
    family="encoder",
    paper="Liu & Tuzel 2016, arXiv:1606.07536",
    supports=("image", "two-domain"),
)
class CoGAN(Variant):
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))

    shared_nets = False  # its networks are its own: --hp arch does not apply

    def build(self, spec: DataSpec):
        if spec.kind != "image":
            raise ValueError("cogan builds its two domains from images")
        return (
            CoupledGenerator(self.latent_dim, spec.shape, self.width),
            CoupledDiscriminator(spec.shape, self.width),
        )

    @staticmethod
    def domains(real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(domain A, domain B) of a batch: first half as is, second half negated."""
        h = real.shape[0] // 2
        return real[:h], to_domain_b(real[h:])

    def d_loss(self, real, z, labels):
        real_a, real_b = self.domains(real)
        with torch.no_grad():
            fake_a, fake_b = self.G.both(z)
        return (
            bce_real(self.D(real_a, "a"))
            + bce_fake(self.D(fake_a, "a"))
            + bce_real(self.D(real_b, "b"))
            + bce_fake(self.D(fake_b, "b"))
        )

    def g_loss(self, z, labels):
        fake_a, fake_b = self.G.both(z)
        return bce_real(self.D(fake_a, "a")) + bce_real(self.D(fake_b, "b"))

    def extra_metrics(self, data, device, generator):
        z = self.noise(N_EXTRA, device, generator)
        with evaluating(self.G):
            a, b = self.G.both(z)
        agree = ((to_domain_b(a) > 0) == (b > 0)).float().mean()
        return {"pair_agreement": float(agree)}
