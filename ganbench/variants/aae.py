"""Adversarial auto-encoder (Makhzani et al. 2016): an auto-encoder x -> E(x) -> G(E(x)) whose
code distribution q(z) is matched to the prior p(z) = N(0, I) by a discriminator on the latent.

    D (on codes):  BCE(D(z ~ p(z)), 1) + BCE(D(E(x)), 0)
    E, G ("g"):    w_rec · d(G(E(x)), x)  +  w_adv · BCE(D(E(x)), 1)
samples = G(z), z ~ N(0, I); d is the mean squared error on the mixtures and the mean absolute
error on images (`recon`).

The paper alternates a reconstruction phase (E, G) and a regularisation phase (D, then E) on each
mini-batch; here the harness's D step is the regularisation phase's D update, and G's step
carries both the reconstruction and the encoder's adversarial term (w_rec = 1; w_adv = 1 on the
mixtures, 0.001 on images, see kind_defaults), on the same real batch D just saw (kept from
d_loss, as G's step gets no data). Architecture, stated: on images E and G are the canonical
implementation's MLPs (nets.aae_nets: 512 -> 512, batch norm, LeakyReLU; `--hp nets=conv` gives
the shared conv encoder and generator instead), on the mixtures the shared MLPs; D is the shared
MLP on the code. The code has 8 dims on images (the paper's MNIST likelihood setting) and 2 on
the mixtures. The paper's SGD with momentum is replaced by Adam(2e-4, beta1 0.5).
The `encode` head is E(x) (`recon_error`: held-out per-pixel MSE of G(E(x))).
"""

from __future__ import annotations

import torch

from ganbench.core.hparams import one_of
from ganbench.data.base import DataSpec
from ganbench.nets.aae_nets import AAEImageDecoder, AAEImageEncoder
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
    defaults = {"recon_weight": 1.0, "adv_weight": 1.0, "recon": "mse", "nets": "mlp"}
    rules = {"recon": one_of("mse", "l1"), "nets": one_of("mlp", "conv")}
    # Images take the canonical implementation's setting (the PyTorch-GAN zoo's aae.py: MLPs, L1
    # pixel loss, adversarial weight 0.001). Measured at 500 steps on mnist (issue 23's audit):
    # the conv encoder and shared G with squared error and weight 1 gave blurred blobs, FID 280;
    # weight 0.001: 32 (0.1: 114, 0.01: 58); then the MLPs with L1: 5.8, where either alone is
    # not enough (MLPs with squared error 72, the conv pair with L1 64); the zoo itself 11.7.
    kind_defaults = {"image": {"adv_weight": 0.001, "recon": "l1"}}
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))

    shared_nets = False  # its networks are its own: --hp arch does not apply
    g_nets = ("G", "E")  # the autoencoder's optimizer steps the decoder G and the encoder E

    def build(self, spec: DataSpec):
        if self.hp["latent_dim"] is None and spec.kind == "image":
            self.latent_dim = 8
        # built E, G, then D: the seed's draws go in that order (the 2-D rows depend on it)
        if spec.kind == "image" and self.hp["nets"] == "mlp":
            E = AAEImageEncoder(spec.shape, self.latent_dim)
            G = AAEImageDecoder(self.latent_dim, spec.shape)
        else:
            E = Encoder(spec, self.latent_dim, width=self.width)
            G = base_generator(spec, self.latent_dim, self.width)
        return {"G": G, "D": MLPDiscriminator((self.latent_dim,)), "E": E}

    def d_loss(self, real, z, labels):
        self.remember_real(real)
        with torch.no_grad():
            code = self.E(real)
        return bce_real(self.D(z)) + bce_fake(self.D(code))

    def g_loss(self, z, labels):
        real = self.last_real()
        code = self.E(real)
        err = self.G(code) - real
        rec = err.abs().mean() if self.hp["recon"] == "l1" else (err**2).mean()
        self.logs["recon"] = rec.detach()
        return self.hp["recon_weight"] * rec + self.hp["adv_weight"] * bce_real(self.D(code))

    def encode(self, x):
        return self.E(x)
