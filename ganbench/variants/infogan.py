"""InfoGAN (Chen et al. 2016): G(z, c) with a latent code c whose mutual information with G's
output is maximised through the variational bound L_I(G, Q) = E[log Q(c | G(z, c))] + H(c).

    min_{G,Q} max_D  V(D, G) - λ L_I(G, Q)

Code, as the paper's MNIST experiment: one categorical code of 10 classes (n_modes on the 2-D
mixtures) and 2 continuous codes U(-1, 1); noise z of 62 dims on images (2 on the mixtures).
Q shares D's body and adds FC.128-lReLU -> (10 logits, 2 means); the continuous codes are a
factored Gaussian with fixed unit variance, so their -log Q is ½||c - μ||² (constant dropped).

Updates, as the authors' release (openai/InfoGAN, infogan_trainer.py and regularized_gan.py):
Q's head is built inside D's variable scope ("d_net"), so D's optimizer updates it, and both
losses subtract λ·MI: D's step minimises the GAN loss + λ·(-L_I) on that step's fakes, G's step
the non-saturating GAN loss + λ·(-L_I) through G. This is the paper's min_{G,Q} max_D V - λ L_I
with Q sharing D's body: D's adversarial head gets only the GAN gradient, Q's head only the L_I
gradient, the shared body both (tested). PyTorch-GAN instead runs a third optimizer step on
L_I over G and all of D, i.e. two G updates per iteration; we follow the authors.

λ: the paper sets λ = 1 for discrete codes and says a smaller λ is "typically" used for
continuous codes, so that λ L_I (a differential entropy) is on the GAN loss's scale; it gives no
number. The authors' MNIST launcher (launchers/run_mnist_exp.py), the experiment mirrored here,
uses one coefficient `info_reg_coeff = 1.0` for the categorical and both continuous codes (unit
variance fixed, codes in [-1, 1], so ½||c - μ||² is bounded). We keep λ_cat = λ_cont = 1 as
the release; PyTorch-GAN's λ_cont = 0.1 is available as `--hp lambda_cont=0.1`.
Adam, beta1 0.5, lr 2e-4 for D and 1e-3 for G (the paper's MNIST settings).
`noise()` returns [z, onehot(c_cat), c_cont], so samples for the metrics carry random codes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganbench.data.base import DataSpec
from ganbench.nets.conditional import HeadedDiscriminator, base_generator, one_hot
from ganbench.nets.losses import bce_fake, bce_real, unit_gaussian_nll
from ganbench.variants._latent import N_EXTRA, classify_samples, evaluating, matched_accuracy
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


@register(
    "infogan",
    family="latent-code",
    paper="Chen et al. 2016, arXiv:1606.03657",
    supports=("points", "image"),
)
class InfoGAN(Variant):
    defaults = {"n_continuous": 2, "lambda_cat": 1.0, "lambda_cont": 1.0}
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=1e-3, betas=(0.5, 0.999))

    shared_nets = False  # its networks are its own: --hp arch does not apply

    def build(self, spec: DataSpec):
        if self.hp["latent_dim"] is None and spec.kind == "image":
            self.latent_dim = 62  # the paper's MNIST noise size
        self.n_cat = spec.n_modes if spec.kind == "points" else 10
        self.n_cont = int(self.hp["n_continuous"])
        g = base_generator(spec, self.latent_dim + self.n_cat + self.n_cont, self.width)
        d = HeadedDiscriminator(spec, {"d": 1, "q": (128, self.n_cat + self.n_cont)}, width=self.width)
        return g, d

    def noise(self, n, device, generator=None):
        z = torch.randn(n, self.latent_dim, device=device, generator=generator)
        c = torch.randint(self.n_cat, (n,), device=device, generator=generator)
        u = torch.rand(n, self.n_cont, device=device, generator=generator) * 2 - 1
        return torch.cat([z, one_hot(c, self.n_cat, z.dtype), u], 1)

    def split_codes(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(categorical code as class indices, continuous codes) of a noise vector."""
        cat = z[:, self.latent_dim : self.latent_dim + self.n_cat]
        return cat.argmax(1), z[:, self.latent_dim + self.n_cat :]

    def info_loss(self, q: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """-L_I up to the constant H(c): λ_cat CE(Q_cat, c) + λ_cont ½||c_cont - μ||²."""
        c, u = self.split_codes(z)
        cat_term = F.cross_entropy(q[:, : self.n_cat], c)
        cont_term = unit_gaussian_nll(u, q[:, self.n_cat :]) if self.n_cont else q.new_zeros(())
        return self.hp["lambda_cat"] * cat_term + self.hp["lambda_cont"] * cont_term

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z)
        out_r, out_f = self.D(real), self.D(fake)
        info = self.info_loss(out_f["q"], z)
        self.logs["info_loss"] = info.detach()
        return bce_real(out_r["d"]) + bce_fake(out_f["d"]) + info

    def g_loss(self, z, labels):
        out = self.D(self.generate(z))
        return bce_real(out["d"]) + self.info_loss(out["q"], z)

    def extra_metrics(self, data, device, generator):
        """code_accuracy: Q recovers the categorical code of fresh samples (a mutual-information
        proxy); code_label_accuracy: the categorical code agrees with the data's classifier under
        the best one-to-one matching (the paper's 5% MNIST error is 0.95 here)."""
        z = self.noise(N_EXTRA, device, generator)
        c, _ = self.split_codes(z)
        with evaluating(self.G, self.D):
            x = self.generate(z)
            q = self.D(x)["q"]
        row = {"code_accuracy": float((q[:, : self.n_cat].argmax(1) == c).float().mean())}
        pred = classify_samples(self.oracle, x, data, device) if data.spec.num_classes else None
        if pred is not None:  # data with classes and a classifier for them
            k = data.spec.num_classes
            row["code_label_accuracy"] = matched_accuracy(c.cpu(), pred, self.n_cat, k)
        return row
