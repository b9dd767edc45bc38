"""cGAN (Mirza & Osindero 2014): G and D both see the class label y, one-hot.

    min_G max_D  E_{x,y}[log D(x|y)] + E_{z,y}[log(1 - D(G(z|y)|y))]
    generator: the non-saturating form, max_G E[log D(G(z|y)|y)]

G(z|y) = G'([z, onehot(y)]); D(x|y) = D'([x, onehot(y)]) with the label appended to the points'
coordinates or stacked as constant planes on the image channels (ganbench.nets.conditional).
Fakes in D's step use the real batch's labels (same label distribution); G's step gets uniform
labels from the harness.

Deviation, stated: the paper trains maxout MLPs with SGD (lr 0.1 decayed, momentum 0.5 -> 0.7)
and dropout; with the shared MLP / conv pair we use DCGAN's Adam(2e-4, beta1 0.5), which those
networks are tuned for.
"""

from __future__ import annotations

import torch

from ganbench.data.base import DataSpec
from ganbench.nets.conditional import ConditionalDiscriminator, ConditionalGenerator
from ganbench.nets.losses import bce_fake, bce_real
from ganbench.variants._latent import label_accuracy
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


@register(
    "cgan",
    family="conditional",
    paper="Mirza & Osindero 2014, arXiv:1411.1784",
    conditional=True,
    supports=("points", "image", "labels"),
)
class CGAN(Variant):
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))

    shared_nets = False  # its networks are its own: --hp arch does not apply

    def build(self, spec: DataSpec):
        k = spec.num_classes
        return (
            ConditionalGenerator(spec, self.latent_dim, k, self.width),
            ConditionalDiscriminator(spec, k, width=self.width),
        )

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z, labels)
        return bce_real(self.D(real, labels)) + bce_fake(self.D(fake, labels))

    def g_loss(self, z, labels):
        return bce_real(self.D(self.generate(z, labels), labels))

    def extra_metrics(self, data, device, generator):
        return label_accuracy(self, data, device, generator)
