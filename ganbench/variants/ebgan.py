"""EBGAN (Zhao et al. 2017, "Energy-based Generative Adversarial Network"), auto-encoder form.

The discriminator is an auto-encoder and its energy is the reconstruction error,
    D(x) = ||Dec(Enc(x)) - x||²  (here averaged over the sample's dimensions, so one margin serves
                                   2-D points and 784-pixel images alike)
    min_D  E_x[D(x)] + E_z[max(0, m - D(G(z)))]                    (paper eq. 1, hinge per sample)
    min_G  E_z[D(G(z))] + λ_PT f_PT(S)                             (eq. 2, plus the pull-away term)
    f_PT(S) = 1 / (N (N-1)) Σ_i Σ_{j≠i} (S_iᵀ S_j / (||S_i|| ||S_j||))²
with S the encoder codes of the N generated samples of the batch. λ_PT = 0.1 (paper, "EBGAN-PT").
Margin m = 1 on the per-dimension mean squared error. Architecture change (paper §2.3): D is
nets.autoencoder (MLP for points, conv for images). Adam(2e-4, β = (0.5, 0.999)).

Code size (hyper-parameter `code_dim`): the paper has no 2-D experiment; its image
auto-encoders and PyTorch-GAN's (32 px, a 32-D code) are under-complete. On images we use 64
(BEGAN's h). On 2-D points the default stays 16 (`kind_defaults`), over-complete, so in principle
the AE can learn the identity; measured on ring8 (quick preset, 1,500 steps, seeds 0/1/2,
128-wide G, single thread, `--hp code_dim=C`): C = 16 gives 3/5/8 modes, hq 0.014/0.019/0.060;
C = 2 gives 8/5/5, hq 0.058/0.025/0.015; C = 1 gives 1/2/4, hq 0.009/0.002/0.031 (a 1-D code
cannot encode a ring, BEGAN's failure). 16 and 2 are within the seeds' spread and 1 breaks it,
so nothing supports a change and 16 stays.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ganbench.data.base import DataSpec
from ganbench.nets import default_pair
from ganbench.nets.autoencoder import autoencoder_for
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


def pull_away_term(codes: torch.Tensor) -> torch.Tensor:
    """f_PT: mean squared cosine similarity over the N(N-1) ordered pairs of distinct codes."""
    n = codes.shape[0]
    s = F.normalize(codes.flatten(1), dim=1)
    cos2 = (s @ s.t()) ** 2
    return (cos2.sum() - cos2.diagonal().sum()) / (n * (n - 1))


def reconstruction_energy(x: torch.Tensor, recon: torch.Tensor) -> torch.Tensor:
    """Per-sample mean squared reconstruction error, shape (N,)."""
    return ((recon - x) ** 2).flatten(1).mean(1)


@register("ebgan", family="loss", paper="Zhao et al. 2017, arXiv:1609.03126")
class EBGAN(Variant):
    defaults = {"margin": 1.0, "pt_weight": 0.1, "code_dim": 64}
    kind_defaults = {"points": {"code_dim": 16}}
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.5, 0.999))

    shared_nets = False  # its networks are its own: --hp arch does not apply

    def build(self, spec: DataSpec) -> tuple[nn.Module, nn.Module]:
        G, _ = default_pair(spec, self.latent_dim, width=self.width)
        return G, autoencoder_for(spec, code_dim=int(self.hp["code_dim"]))

    def energy(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(per-sample energy D(x), encoder code)."""
        code = self.D.encode(x)
        return reconstruction_energy(x, self.D.decode(code)), code

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z)
        e_real, _ = self.energy(real)
        e_fake, _ = self.energy(fake)
        return e_real.mean() + F.relu(self.hp["margin"] - e_fake).mean()

    def g_loss(self, z, labels):
        e_fake, code = self.energy(self.generate(z))
        return e_fake.mean() + self.hp["pt_weight"] * pull_away_term(code)
