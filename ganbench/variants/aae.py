"""Adversarial auto-encoder (Makhzani et al. 2016): an auto-encoder x -> E(x) -> G(E(x)) whose
code distribution q(z) is matched to the prior p(z) = N(0, I) by a discriminator on the latent.

    D (on codes):  BCE(D(z ~ p(z)), 1) + BCE(D(E(x)), 0)
    E, G ("g"):    w_rec · ||G(E(x)) - x||²  +  w_adv · BCE(D(E(x)), 1)
samples = G(z), z ~ N(0, I).

The paper alternates a reconstruction phase (E, G) and a regularisation phase (D, then E) on each
mini-batch; here the harness's D step is the regularisation phase's D update, and G's step
carries both the reconstruction and the encoder's adversarial term (w_rec = 1; w_adv = 1 on the
mixtures, 0.001 on images, see kind_defaults), on the same real batch D just saw (kept from
d_loss, as G's step gets no data). Architecture, stated:
E is the shared encoder (MLP / conv body), G the shared generator, D the shared MLP on the code;
the code has 8 dims on images (the paper's MNIST likelihood setting) and 2 on the mixtures.
The paper's SGD with momentum is replaced by Adam(2e-4, beta1 0.5) for the shared networks.
The `encode` head is E(x) (`recon_error`: held-out per-pixel MSE of G(E(x))).
"""

from __future__ import annotations

import torch

from ganbench.data.base import DataSpec
from ganbench.nets.conditional import base_generator
from ganbench.nets.encoder import Encoder
from ganbench.nets.losses import bce_fake, bce_real
from ganbench.nets.mlp import MLPDiscriminator
from ganbench.variants._real_batch import RemembersRealBatch
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


@register(
    "aae",
    family="encoder",
    paper="Makhzani et al. 2016, arXiv:1511.05644",
    supports=("points", "image"),
)
class AAE(RemembersRealBatch, Variant):
    defaults = {"recon_weight": 1.0, "adv_weight": 1.0}
    # On images the encoder's adversarial term at weight 1 swamped the reconstruction: 500 steps
    # on mnist gave blurred blobs, FID 280 (adv_weight 0.1: 114, 0.01: 58, 0.001: 32; issue 23's
    # audit). 0.001 is the PyTorch-GAN zoo's weighting (aae.py: 0.001 adversarial, 0.999 pixel).
    kind_defaults = {"image": {"adv_weight": 0.001}}
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))

    shared_nets = False  # its networks are its own: --hp arch does not apply
    g_nets = ("G", "E")  # the autoencoder's optimizer steps the decoder G and the encoder E

    def build(self, spec: DataSpec):
        if self.hp["latent_dim"] is None and spec.kind == "image":
            self.latent_dim = 8
        E = Encoder(spec, self.latent_dim, width=self.width)
        G, D = base_generator(spec, self.latent_dim, self.width), MLPDiscriminator((self.latent_dim,))
        return {"G": G, "D": D, "E": E}

    def d_loss(self, real, z, labels):
        self.remember_real(real)
        with torch.no_grad():
            code = self.E(real)
        return bce_real(self.D(z)) + bce_fake(self.D(code))

    def g_loss(self, z, labels):
        real = self.last_real()
        code = self.E(real)
        rec = ((self.G(code) - real) ** 2).mean()
        self.logs["recon"] = rec.detach()
        return self.hp["recon_weight"] * rec + self.hp["adv_weight"] * bce_real(self.D(code))

    def encode(self, x):
        return self.E(x)
