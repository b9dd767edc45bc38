"""BiGAN (Donahue et al. 2017) / ALI (Dumoulin et al. 2017): an encoder E: x -> z learned with G
by a discriminator on joint pairs, D(x, E(x)) (real) against D(G(z), z) (fake).

    D:      BCE(D(x, E(x)), 1) + BCE(D(G(z), z), 0)
    G + E:  BCE(D(G(z), z), 1) + BCE(D(x, E(x)), 0)     (the paper's inverted-label objective)

Architecture, stated: E is the shared encoder, D the joint discriminator of ganbench.nets.encoder
(x through the shared D body without batch norm, z through a hidden layer, joined); z has 50
dims on images (the paper's MNIST setting, Gaussian here rather than uniform) and 2 on the
mixtures. G + E's step uses the real batch D just saw. Adam(2e-4, beta1 0.5) with weight decay
2.5e-5, the paper's settings. The `encode` head is E(x) (`recon_error`: held-out per-pixel MSE
of G(E(x))).
"""

from __future__ import annotations

import torch

from ganbench.data.base import DataSpec
from ganbench.nets.conditional import base_generator
from ganbench.nets.encoder import Encoder, JointDiscriminator
from ganbench.nets.losses import bce_fake, bce_real
from ganbench.variants._real_batch import RemembersRealBatch
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register

_ADAM = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999), extra={"weight_decay": 2.5e-5})


@register(
    "bigan",
    family="encoder",
    paper="Donahue et al. 2017, arXiv:1605.09782",
    supports=("points", "image"),
)
class BiGAN(RemembersRealBatch, Variant):
    d_optim = _ADAM
    g_optim = _ADAM

    shared_nets = False  # its networks are its own: --hp arch does not apply
    g_nets = ("G", "E")  # the generator's optimizer steps the encoder too (ALI)

    def build(self, spec: DataSpec):
        if self.hp["latent_dim"] is None and spec.kind == "image":
            self.latent_dim = 50
        E = Encoder(spec, self.latent_dim, width=self.width)
        G = base_generator(spec, self.latent_dim, self.width)
        D = JointDiscriminator(spec, self.latent_dim, width=self.width)
        return {"G": G, "D": D, "E": E}

    def d_loss(self, real, z, labels):
        self.remember_real(real)
        with torch.no_grad():
            fake, code = self.generate(z), self.E(real)
        return bce_real(self.D(real, code)) + bce_fake(self.D(fake, z))

    def g_loss(self, z, labels):
        real = self.last_real()
        return bce_real(self.D(self.generate(z), z)) + bce_fake(self.D(real, self.E(real)))

    def encode(self, x):
        return self.E(x)
