"""AC-GAN (Odena, Olah & Shlens 2017): G(z, c); D has a source head P(S | X) and an auxiliary
class head P(C | X) on one shared body.

    L_S = E[log P(S=real | X_real)] + E[log P(S=fake | X_fake)]
    L_C = E[log P(C=c | X_real)]    + E[log P(C=c | X_fake)]
    D maximises L_S + L_C;  G maximises L_C - L_S

With the usual non-saturating generator this is, as minimised losses (CE = cross-entropy):
    D: BCE(real, 1) + BCE(fake, 0) + CE(cls(x_real), c_real) + CE(cls(x_fake), c)
    G: BCE(fake, 1) + CE(cls(x_fake), c)
Adam(2e-4, beta1 0.5), the paper's setting. G takes the class one-hot concatenated to z (the
paper's ImageNet model embeds it into z); D is the shared body with two linear heads. The
`classify` head is D's class head (its held-out accuracy is `classify_accuracy`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganbench.data.base import DataSpec
from ganbench.nets.conditional import ConditionalGenerator, HeadedDiscriminator
from ganbench.nets.losses import bce_fake, bce_real
from ganbench.variants._latent import label_accuracy
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


@register(
    "acgan",
    family="conditional",
    paper="Odena et al. 2017, arXiv:1610.09585",
    conditional=True,
    supports=("points", "image", "labels"),
)
class ACGAN(Variant):
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))

    shared_nets = False  # its networks are its own: --hp arch does not apply

    def build(self, spec: DataSpec):
        k = spec.num_classes
        return (
            ConditionalGenerator(spec, self.latent_dim, k, self.width),
            HeadedDiscriminator(spec, {"source": 1, "cls": k}, width=self.width),
        )

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z, labels)
        out_r, out_f = self.D(real), self.D(fake)
        return (
            bce_real(out_r["source"])
            + bce_fake(out_f["source"])
            + F.cross_entropy(out_r["cls"], labels)
            + F.cross_entropy(out_f["cls"], labels)
        )

    def g_loss(self, z, labels):
        out = self.D(self.generate(z, labels))
        return bce_real(out["source"]) + F.cross_entropy(out["cls"], labels)

    def classify(self, x):
        return self.D(x)["cls"]  # the auxiliary classifier P(C | X)

    def extra_metrics(self, data, device, generator):
        return label_accuracy(self, data, device, generator)
