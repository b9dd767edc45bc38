"""ClusterGAN (Mukherjee et al. 2019): latent z = (z_n, z_c), z_n ~ N(0, σ²I) with σ = 0.1 and
z_c a uniformly drawn one-hot; an encoder E back-projects x to (ζ_n, ζ_c logits).

    min_{G,E} max_D  adversarial(D, G) + β_n E||z_n - E(G(z))_n||² + β_c E[CE(E(G(z))_c, z_c)]

with β_n = β_c = 10; the z_n term is averaged over z_n's dimensions as in the authors'
released code (Image_ClusterGAN.py: reduce_mean of the squared error), for which β_n was set.
The adversarial part is WGAN-GP, as the paper uses on MNIST: critic E[D(G(z))] - E[D(x)] +
10·GP, 5 critic steps per G step, Adam(1e-4, betas (0.5, 0.9)), as the authors' code. "g" is G
and E together. On images G, D and E are the authors' MNIST networks (nets.clustergan_nets: a
fully connected and transposed-conv G with batch norm, a two-conv critic without normalisation, E
the critic's body): on the shared conv pair at width 32 ClusterGAN trailed the PyTorch-GAN zoo's
port of these networks by 1.5x at 2,000 steps (FID 13.7 against 8.9), with them it scores 1.6
(issue 23's audit, docs/variants.md). `--hp nets=shared` puts it on the shared pair (its critic
with layer norm in place of batch norm: GP is invalid with batch norm).
z_n has 30 dims on images (the paper's MNIST setting) and 2 on the mixtures; z_c has 10 classes
on images, n_modes on the mixtures. Columns: `cluster_purity` and `cluster_accuracy` (best
one-to-one matching) of argmax E(x)_c on held-out data, `code_accuracy` of E recovering z_c
from G(z).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganbench.core.hparams import one_of
from ganbench.data.base import DataSpec
from ganbench.nets.clustergan_nets import ClusterCritic, ClusterGenerator
from ganbench.nets.conditional import base_discriminator, base_generator, one_hot
from ganbench.nets.encoder import Encoder
from ganbench.nets.losses import gradient_penalty, interpolate
from ganbench.variants._latent import N_EXTRA, evaluating, held_out, matched_accuracy, purity
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


@register(
    "clustergan",
    family="latent-code",
    paper="Mukherjee et al. 2019, arXiv:1809.03627",
    supports=("points", "image"),
)
class ClusterGAN(Variant):
    defaults = {"beta_n": 10.0, "beta_c": 10.0, "sigma_n": 0.1, "gp_weight": 10.0, "nets": "paper"}
    rules = {"nets": one_of("paper", "shared")}
    n_critic = 5
    d_optim = OptimSpec("adam", lr=1e-4, betas=(0.5, 0.9))
    g_optim = OptimSpec("adam", lr=1e-4, betas=(0.5, 0.9))

    shared_nets = False  # its networks are its own: --hp arch does not apply
    g_nets = ("G", "E")  # G and the encoder E are trained together

    def build(self, spec: DataSpec):
        if self.hp["latent_dim"] is None and spec.kind == "image":
            self.latent_dim = 30  # dim z_n, the paper's MNIST setting
        self.n_cat = spec.n_modes if spec.kind == "points" else 10
        z_dim = self.latent_dim + self.n_cat
        if self.paper_nets(spec):
            return {"G": ClusterGenerator(z_dim, spec.shape), "D": ClusterCritic(spec.shape),
                    "E": ClusterCritic(spec.shape, z_dim)}  # fmt: skip
        E = Encoder(spec, z_dim, width=self.width)
        G = base_generator(spec, z_dim, self.width)
        return {"G": G, "D": base_discriminator(spec, norm="layer", width=self.width), "E": E}

    def paper_nets(self, spec: DataSpec) -> bool:
        return spec.kind == "image" and self.hp["nets"] == "paper"

    def uses_width(self) -> bool:
        return not self.paper_nets(self.spec)  # the authors' networks have fixed widths

    def noise(self, n, device, generator=None):
        zn = torch.randn(n, self.latent_dim, device=device, generator=generator)
        zn = zn * self.hp["sigma_n"]
        c = torch.randint(self.n_cat, (n,), device=device, generator=generator)
        return torch.cat([zn, one_hot(c, self.n_cat, zn.dtype)], 1)

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z)
        gp = gradient_penalty(self.D, interpolate(real, fake))
        return self.D(fake).mean() - self.D(real).mean() + self.hp["gp_weight"] * gp

    def g_loss(self, z, labels):
        fake = self.generate(z)
        enc = self.E(fake)
        zn, c = z[:, : self.latent_dim], z[:, self.latent_dim :].argmax(1)
        zn_term = ((zn - enc[:, : self.latent_dim]) ** 2).mean()
        c_term = F.cross_entropy(enc[:, self.latent_dim :], c)
        return -self.D(fake).mean() + self.hp["beta_n"] * zn_term + self.hp["beta_c"] * c_term

    def extra_metrics(self, data, device, generator):
        z = self.noise(N_EXTRA, device, generator)
        with evaluating(self.G, self.E):
            code = self.E(self.generate(z))[:, self.latent_dim :].argmax(1)
            x, y = held_out(data)
            clusters = torch.cat(
                [self.E(c.to(device))[:, self.latent_dim :].argmax(1).cpu() for c in x.split(500)]
            )
        row = {"code_accuracy": float((code == z[:, self.latent_dim :].argmax(1)).float().mean())}
        if y is not None and data.spec.num_classes:
            k = data.spec.num_classes
            row["cluster_purity"] = purity(clusters, y, self.n_cat, k)
            row["cluster_accuracy"] = matched_accuracy(clusters, y, self.n_cat, k)
        return row
