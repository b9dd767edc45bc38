"""SGAN, semi-supervised GAN (Odena 2016): D is a classifier with N+1 outputs, classes 0..N-1
for the real classes and class N for "fake"; G is an ordinary unconditional generator.

    D: CE(D(x_labelled), y) + CE(D(G(z)), N)
    G: -E log(1 - p_D(N | G(z)))   (non-saturating: G wants its samples classed as any real class)

Labels: this implementation trains D on every labelled training sample (all train labels of the
dataset: 4,000 for mnist, the mode index of all 100,000 mixture points), not the paper's small
labelled subset; `ssl_accuracy` is D's accuracy (argmax over the N real classes) on the held-out
split. Registered as conditional only so the harness hands D the real labels; G ignores labels.
DCGAN's Adam(2e-4, beta1 0.5), which the paper builds on.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganbench.data.base import DataSpec
from ganbench.nets.conditional import base_discriminator, base_generator
from ganbench.registry import register
from ganbench.variants._latent import evaluating, held_out
from ganbench.variants.base import OptimSpec, Variant


@register(
    "sgan",
    family="conditional",
    paper="Odena 2016, arXiv:1606.01583",
    conditional=True,
    supports=("points", "image", "labels"),
)
class SGAN(Variant):
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))

    def build(self, spec: DataSpec):
        self.n_classes = spec.num_classes
        d = base_discriminator(spec, out_dim=spec.num_classes + 1)
        return base_generator(spec, self.latent_dim), d

    def generate(self, z, labels=None):
        return self.G(z)  # unconditional generator; labels drawn by the sampler are ignored

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z)
        fake_class = torch.full(
            (fake.shape[0],), self.n_classes, dtype=torch.long, device=fake.device
        )
        return F.cross_entropy(self.D(real), labels) + F.cross_entropy(self.D(fake), fake_class)

    def g_loss(self, z, labels):
        logits = self.D(self.generate(z))
        # -log(1 - p_N) = logsumexp(all) - logsumexp(real classes)
        return (torch.logsumexp(logits, 1) - torch.logsumexp(logits[:, : self.n_classes], 1)).mean()

    def extra_metrics(self, data, device, generator):
        x, y = held_out(data, len(data.test))
        with evaluating(self.D):
            pred = torch.cat(
                [self.D(c.to(device))[:, : self.n_classes].argmax(1).cpu() for c in x.split(500)]
            )
        return {"ssl_accuracy": float((pred == y).float().mean())}
