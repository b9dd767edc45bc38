"""SGAN, semi-supervised GAN (Odena 2016): D is a classifier with N+1 outputs, classes 0..N-1
for the real classes and class N for "fake"; G is an ordinary unconditional generator.

    D: CE(D(x_l), y_l)                    labelled subset (x_l, y_l), N+1-way (the paper's form)
     + E_x[-log(1 - p_D(N | x))]          every real batch, labels unused: real is not "fake"
     + CE(D(G(z)), N)                     fakes are class N
    G: -E log(1 - p_D(N | G(z)))          (non-saturating: G wants its samples classed as real)

The unlabelled real term is the standard SSL-GAN form (Salimans et al. 2016, eq. 5; Odena's D
also sees unlabelled real data); -log(1 - p_N) = logsumexp(all) - logsumexp(real classes).

Labels, paper vs ours: the paper trains MNIST classifiers with 25 to 1,000 labels (Odena 2016,
Table 1). Here D sees `labelled_per_class` labels per class (default 10: 100 labels on mnist and
digits, 80 on ring8, 250 on grid25), class-balanced, chosen from the run's seed: the first
`labelled_per_class` samples of each class in the run's shuffled training stream (so they come
from the first batch or two; the harness hands a conditional variant each real batch with its
labels, and the variant keeps that subset, `LabelledSubset`). After the subset is full no other
label is ever read. The whole subset enters D's supervised term at every step. The `classify`
head is D's N real-class logits; its held-out accuracy (`classify_accuracy`, scored by
ganbench.metrics.heads) is the paper's claim (classifier accuracy from few labels); `ssl_labels` is
the number of labels D trained on.
Registered as conditional only so the harness hands D the real labels; G ignores labels.
DCGAN's Adam(2e-4, beta1 0.5), which the paper builds on.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganbench.data.base import DataSpec
from ganbench.nets.conditional import base_discriminator, base_generator
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


class LabelledSubset:
    """A fixed, class-balanced labelled subset: the first `per_class` samples of each class met in
    the batches offered. Once every class is full, later batches are not looked at."""

    def __init__(self, n_classes: int, per_class: int) -> None:
        if per_class < 1:
            raise ValueError(f"labelled_per_class must be at least 1, not {per_class}")
        self.n_classes, self.per_class = n_classes, per_class
        self.x: torch.Tensor | None = None
        self.y: torch.Tensor | None = None
        self.counts = [0] * n_classes

    @property
    def full(self) -> bool:
        return all(c >= self.per_class for c in self.counts)

    def offer(self, x: torch.Tensor, y: torch.Tensor) -> None:
        if self.full:
            return
        take = []
        for c in range(self.n_classes):
            need = self.per_class - self.counts[c]
            if need > 0:
                idx = (y == c).nonzero()[:need, 0]
                self.counts[c] += len(idx)
                take.append(idx)
        idx = torch.cat(take)
        if len(idx):
            xs, ys = x[idx].detach(), y[idx]
            self.x = xs if self.x is None else torch.cat([self.x, xs])
            self.y = ys if self.y is None else torch.cat([self.y, ys])

    def __len__(self) -> int:
        return 0 if self.y is None else len(self.y)


def not_fake_loss(logits: torch.Tensor, n_classes: int) -> torch.Tensor:
    """E[-log(1 - p(fake | x))] with the fake class last: the loss of a real sample D calls fake."""
    return (torch.logsumexp(logits, 1) - torch.logsumexp(logits[:, :n_classes], 1)).mean()


@register(
    "sgan",
    family="conditional",
    paper="Odena 2016, arXiv:1606.01583",
    conditional=True,
    supports=("points", "image", "labels"),
)
class SGAN(Variant):
    generator_uses_labels = False  # labels reach D only: its mode coverage is earned
    defaults = {"labelled_per_class": 10}
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))

    shared_nets = False  # its networks are its own: --hp arch does not apply

    def build(self, spec: DataSpec):
        self.n_classes = spec.num_classes
        self.labelled = LabelledSubset(spec.num_classes, int(self.hp["labelled_per_class"]))
        d = base_discriminator(spec, out_dim=spec.num_classes + 1, width=self.width)
        return base_generator(spec, self.latent_dim, self.width), d

    def generate(self, z, labels=None):
        return self.G(z)  # unconditional generator; labels drawn by the sampler are ignored

    def d_loss(self, real, z, labels):
        self.labelled.offer(real, labels)  # reads labels only until the subset is full
        with torch.no_grad():
            fake = self.generate(z)
        fake_class = torch.full(
            (fake.shape[0],), self.n_classes, dtype=torch.long, device=fake.device
        )
        supervised = F.cross_entropy(self.D(self.labelled.x), self.labelled.y)
        unsupervised = not_fake_loss(self.D(real), self.n_classes)
        self.logs["sup_loss"] = supervised.detach()
        return supervised + unsupervised + F.cross_entropy(self.D(fake), fake_class)

    def g_loss(self, z, labels):
        return not_fake_loss(self.D(self.generate(z)), self.n_classes)

    def classify(self, x):
        return self.D(x)[:, : self.n_classes]  # the N real classes; the fake class left out

    def extra_metrics(self, data, device, generator):
        return {"ssl_labels": len(self.labelled)}
