"""BEGAN (Berthelot et al. 2017, "Boundary Equilibrium GANs").

The discriminator is an auto-encoder; L(v) = |v - D(v)|^η with η = 1, averaged over v's dimensions.
    L_D = L(x) - k_t L(G(z))                                          (minimised by D)
    L_G = L(G(z))                                                     (minimised by G)
    k_{t+1} = clip(k_t + λ_k (γ L(x) - L(G(z))), 0, 1)                (proportional control)
    M_global = L(x) + |γ L(x) - L(G(z))|                              (convergence measure)
γ = 0.5 (the diversity ratio of the paper's main figures), λ_k = 0.001, k_0 = 0; Adam lr 1e-4
(paper), β = (0.5, 0.999). 2-D points: an MLP auto-encoder with a 1-D code and the shared MLP G.

On images the networks and settings are the canonical implementation's (the authors released no
code; the PyTorch-GAN zoo's began.py, nets.began_nets.ZooBegan*: a DCGAN-style G with batch norm,
an auto-encoder with one stride-2 conv and a 32-unit code; γ 0.75, lr 2e-4, z of 62), because at
MNIST budgets the paper's own networks lose the digits' classes (issue 23's audit,
docs/variants.md): at 2,500 steps the paper's networks (`--hp nets=paper`: section 3.5's 3x3
convolutions with ELU, no batch norm, nearest-neighbour upsampling, a linear code and output; here
at n = the run's width and two scales) drew only 1s (FID 62.0, one class of ten), where the zoo's
networks with the zoo's settings draw all ten (5.0). Neither half alone does it: the zoo's
networks at the paper's γ 0.5 and lr 1e-4 drift to noise, and so does the shared conv pair's G
against the zoo's auto-encoder. `--hp nets=paper code_dim=64 gamma=0.5 g_lr=1e-4 d_lr=1e-4` is
the paper's setting; `--hp nets=shared` the shared pair's G against a small strided auto-encoder
(one flat grey image at 500 steps).

On 2-D data the method does not work, and more steps do not change that (docs/variants.md): the
paper never ran 2-D data, and its energy needs a bottleneck far narrower than the data. With a 1-D
code the auto-encoder cannot encode a ring continuously; it folds the ring about an axis (a mode and
its mirror share one code) and G collapses onto one point the fold reconstructs well (ring8 seed 0:
0/8 modes to 5,000 steps, reverse KL ln 8 = every sample nearest one centre). With a 2-D code
(`--hp code_dim=2`) the auto-encoder is close to the identity on the plane, reconstructs fakes as
well as data, and G collapses the same way (0/8, reverse KL ln 8 at 1,000 and 1,500 steps). The
2-D rows are kept as the method's result, not hidden.

The harness has no hook after the G step, so k_t is updated at the end of each D step from that
step's L(x) and L(G(z)) (fakes of that step, detached); M and k are logged per step via `logs`.
"""

from __future__ import annotations

import torch
from torch import nn

from ganbench.core.hparams import one_of
from ganbench.data.base import DataSpec
from ganbench.nets import default_pair
from ganbench.nets.autoencoder import autoencoder_for
from ganbench.nets.began_nets import (
    BeganAutoEncoder,
    BeganDecoder,
    ZooBeganAutoEncoder,
    ZooBeganGenerator,
)
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register


def l1_recon(x: torch.Tensor, recon: torch.Tensor) -> torch.Tensor:
    """L(v) = |v - D(v)| averaged over the batch and the sample's dimensions."""
    return (recon - x).abs().mean()


@register("began", family="loss", paper="Berthelot et al. 2017, arXiv:1703.10717")
class BEGAN(Variant):
    defaults = {"gamma": 0.5, "lambda_k": 0.001, "k0": 0.0, "code_dim": 64, "nets": "zoo"}
    rules = {"nets": one_of("zoo", "paper", "shared")}
    kind_defaults = {
        "points": {"code_dim": 1},
        # the canonical implementation's (PyTorch-GAN began.py): see the module's docstring
        "image": {"nets": "zoo", "code_dim": 32, "gamma": 0.75, "g_lr": 2e-4, "d_lr": 2e-4,
                  "latent_dim": 62},
    }  # fmt: skip
    d_optim = OptimSpec("adam", lr=1e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=1e-4, betas=(0.5, 0.999))

    def __init__(self, spec, **overrides) -> None:
        super().__init__(spec, **overrides)
        self.k = torch.tensor(float(self.hp["k0"]))  # kept on the data's device, no host sync

    shared_nets = False  # its networks are its own: --hp arch does not apply

    def build(self, spec: DataSpec) -> tuple[nn.Module, nn.Module]:
        if spec.kind == "image" and self.hp["nets"] == "zoo":
            return (ZooBeganGenerator(self.latent_dim, spec.shape),
                    ZooBeganAutoEncoder(spec.shape, int(self.hp["code_dim"])))  # fmt: skip
        if spec.kind == "image" and self.hp["nets"] == "paper":
            return (BeganDecoder(self.latent_dim, spec.shape, self.width),
                    BeganAutoEncoder(spec.shape, self.width, int(self.hp["code_dim"])))  # fmt: skip
        G, _ = default_pair(spec, self.latent_dim, width=self.width)
        # The code must be a bottleneck (h = 64 << 784 px): for 2-D points that means 1-D,
        # else the auto-encoder is the identity, reconstructs fakes as well as data and D is blind.
        return G, autoencoder_for(spec, code_dim=int(self.hp["code_dim"]))

    def uses_width(self) -> bool:
        return not (self.spec.kind == "image" and self.hp["nets"] == "zoo")  # fixed widths

    def recon_loss(self, x: torch.Tensor) -> torch.Tensor:
        return l1_recon(x, self.D(x))

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.generate(z)
        self.k = self.k.to(real.device)
        loss_real, loss_fake = self.recon_loss(real), self.recon_loss(fake)
        loss = loss_real - self.k * loss_fake
        with torch.no_grad():
            gamma = self.hp["gamma"]
            balance = gamma * loss_real - loss_fake
            self.logs["M"] = loss_real + balance.abs()
            self.logs["k"] = self.k.clone()
            self.k = (self.k + self.hp["lambda_k"] * balance).clamp(0.0, 1.0)
        return loss

    def g_loss(self, z, labels):
        return self.recon_loss(self.generate(z))
