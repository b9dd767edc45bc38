"""UNIT (Liu, Breuel & Kautz 2017, arXiv:1703.00848): unsupervised image-to-image translation with
a shared latent space. Two VAE-GANs, one per domain, whose encoders share their last block and
whose decoders share their first (ganbench/nets/shared_latent.py), so that a and its translation
have one code z; an image is translated by encoding it in its own domain and decoding in the other.

  mu_a = E_A(a), z_a = mu_a + η, η ~ N(0, I)    (q(z|a) = N(mu_a, I); b likewise)
  within-domain:  recon_a = G_A(z_a);  translation: fake_b = G_B(z_a), fake_a = G_A(z_b)
  cycle:          cyc_a = G_A(E_B(fake_b) + η'),  cyc_b = G_B(E_A(fake_a) + η')
  min_{E,G}  λ0 [(D_A(fake_a) - 1)² + (D_B(fake_b) - 1)²]              (GAN, LSGAN criterion)
           + λ1 [KL(mu_a) + KL(mu_b)]                                     (VAE prior)
           + λ2 [|recon_a - a|₁ + |recon_b - b|₁]                         (VAE reconstruction)
           + λ3 [KL(E_B(fake_b)) + KL(E_A(fake_a))]                       (cycle prior)
           + λ4 [|cyc_a - a|₁ + |cyc_b - b|₁]                             (cycle reconstruction)
  min_D_A  (D_A(a) - 1)² + D_A(fake_a)²    (D_B likewise; each term a mean over patches and batch)

λ0..λ4 = 10, 0.1, 100, 0.1, 100: the paper's and the PyTorch-GAN zoo's lambda_0..lambda_4,
hyper-parameters gan_weight, kl_weight, recon_weight, cycle_kl_weight, cycle_weight. Adam(1e-4,
β = (0.5, 0.999)) for one optimizer over both encoders and decoders (each shared block once) and
for each D; updates: E+G, then D_A, then D_B, on the same fakes. `kl`, `recon` and `cycle` (the
unweighted sums) are logged per step.

As the zoo, and not the paper: KL(mu) is mean(mu²) over the code's elements (the paper's
KL(N(mu, I) || N(0, I)) is ½ Σ mu², and its reconstruction a summed Laplacian log-likelihood: the
zoo takes means of both, which keeps its λ balance at any size); the GAN criterion is least
squares (the paper: cross-entropy); D's loss carries no λ0. The heads translate from the code's
mean (no η), so that they are deterministic. At 28 px: encoders and decoders of width 8 (a 32 x 7
x 7 code) whose only residual blocks are the shared ones (zoo: width 64, 3 own residual blocks
each besides the shared one at 256 px; own layers here: the end conv and the two resamplings),
3 x 3 end convs (zoo: 7 x 7), PatchGANs of width 16 with a 7 x 7 grid (zoo: 4
stride-2 layers, a 16 x 16 grid at 256 px). The zoo's linear learning-rate decay from epoch 100 is
omitted (budgets are a few hundred steps); batch size is the preset's (zoo: 1).
"""

from __future__ import annotations

import torch

from ganbench.data.base import DataSpec
from ganbench.nets.losses import l1
from ganbench.nets.patchgan import PatchDiscriminator
from ganbench.nets.shared_latent import shared_latent_pair
from ganbench.variants.base import Player, Translator
from ganbench.variants.registry import register
from ganbench.variants.updates import StepContext, Update

WIDTH, N_BLOCKS, D_WIDTH = 8, 0, 16


def kl(mu: torch.Tensor) -> torch.Tensor:
    """The prior term for q(z|x) = N(mu, I) as the zoo computes it: mean(mu²)."""
    return (mu**2).mean()


@register(
    "unit",
    family="translation",
    paper="Liu, Breuel & Kautz 2017, arXiv:1703.00848",
    supports=("translation",),
    datasets=("mnist2inverse-thick",),
)
class UNIT(Translator):
    relations = ("unpaired",)
    two_way = True
    defaults = {
        "lr": 1e-4,
        "betas": (0.5, 0.999),
        "gan_weight": 10.0,
        "kl_weight": 0.1,
        "recon_weight": 100.0,
        "cycle_kl_weight": 0.1,
        "cycle_weight": 100.0,
    }

    def build_nets(self, spec: DataSpec) -> dict[str, torch.nn.Module]:
        if spec.source_shape != spec.shape:
            raise ValueError("unit's shared code needs both domains to have one image shape")
        e_a, e_b, g_a, g_b = shared_latent_pair(spec.shape[0], WIDTH, N_BLOCKS)
        return {
            "E_A": e_a,
            "E_B": e_b,
            "G_A": g_a,
            "G_B": g_b,
            "D_A": PatchDiscriminator(spec.shape[0], D_WIDTH),
            "D_B": PatchDiscriminator(spec.shape[0], D_WIDTH),
        }

    def players(self):
        opt = self.adam()
        return {  # the encoders' and generators' shared layers are stepped once
            "G": Player(("E_A", "E_B", "G_A", "G_B"), opt),
            "D_A": Player(("D_A",), opt),
            "D_B": Player(("D_B",), opt),
        }

    def updates(self) -> list[Update]:
        return [
            Update("G", self.g_step, log="g_loss"),
            Update("D_A", self.d_a_step, log="d_a_loss"),
            Update("D_B", self.d_b_step, log="d_b_loss"),
        ]

    # --- the losses, on tensors ----------------------------------------------------------------
    def g_loss(
        self, a: torch.Tensor, b: torch.Tensor, noise
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(E+G's loss, fake_a, fake_b); noise(mu) -> a N(0, I) draw of mu's shape."""
        n = len(a)
        mu_a, mu_b = self.E_A(a), self.E_B(b)
        z_a, z_b = mu_a + noise(mu_a), mu_b + noise(mu_b)
        # each decoder's reconstruction and translation in one batch (instance norm is per sample)
        recon_a, fake_a = self.G_A(torch.cat([z_a, z_b])).split([n, n])
        recon_b, fake_b = self.G_B(torch.cat([z_b, z_a])).split([n, n])
        mu_b_, mu_a_ = self.E_B(fake_b), self.E_A(fake_a)
        cyc_a, cyc_b = self.G_A(mu_b_ + noise(mu_b_)), self.G_B(mu_a_ + noise(mu_a_))

        gan = ((self.D_A(fake_a) - 1) ** 2).mean() + ((self.D_B(fake_b) - 1) ** 2).mean()
        prior = kl(mu_a) + kl(mu_b)
        recon = l1(recon_a, a) + l1(recon_b, b)
        cycle_prior = kl(mu_b_) + kl(mu_a_)
        cycle = l1(cyc_a, a) + l1(cyc_b, b)
        self.logs.update(kl=prior.detach(), recon=recon.detach(), cycle=cycle.detach())
        hp = self.hp
        loss = (
            hp["gan_weight"] * gan
            + hp["kl_weight"] * prior
            + hp["recon_weight"] * recon
            + hp["cycle_kl_weight"] * cycle_prior
            + hp["cycle_weight"] * cycle
        )
        return loss, fake_a, fake_b

    @staticmethod
    def d_loss(d: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return ((d(real) - 1) ** 2).mean() + (d(fake.detach()) ** 2).mean()

    # --- the step ---------------------------------------------------------------------------
    def g_step(self, ctx: StepContext) -> torch.Tensor:
        pair = ctx.stream.next()

        def noise(mu: torch.Tensor) -> torch.Tensor:
            return torch.randn(mu.shape, generator=ctx.generator, device=mu.device)

        loss, fake_a, fake_b = self.g_loss(pair.a, pair.b, noise)
        ctx.cache.update(a=pair.a, b=pair.b, fake_a=fake_a.detach(), fake_b=fake_b.detach())
        return loss

    def d_a_step(self, ctx: StepContext) -> torch.Tensor:
        return self.d_loss(self.D_A, ctx.cache["a"], ctx.cache["fake_a"])

    def d_b_step(self, ctx: StepContext) -> torch.Tensor:
        return self.d_loss(self.D_B, ctx.cache["b"], ctx.cache["fake_b"])

    # --- heads ------------------------------------------------------------------------------
    def translate(self, a: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.G_B(self.E_A(a))

    def translate_back(self, b: torch.Tensor) -> torch.Tensor:
        return self.G_A(self.E_B(b))
