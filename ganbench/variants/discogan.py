"""DiscoGAN (Kim et al. 2017, arXiv:1703.05192): unpaired cross-domain relation discovery with two
generators G_AB, G_BA and one discriminator per domain, each generator trained to fool the other
domain's D and to be undone by the other generator (the paper's figure 2c and its L_G, L_D):

  L_CONST_A = d(G_BA(G_AB(a)), a),   L_GAN_B = -E[log D_B(G_AB(a))]     (and A <-> B)
  min_G  L_GAN_B + L_CONST_A + L_GAN_A + L_CONST_B                 (reconstruction weight 1)
  min_D  -E[log D_B(b)] - E[log(1 - D_B(G_AB(a)))] + (the same for D_A)

The distance d is the mean squared error per pixel, the one the authors' release trains with
(SKTBrain/DiscoGAN, image_translation.py: `recon_criterion = nn.MSELoss()`); the paper leaves d
to be any distance. The GAN terms are the paper's cross-entropy with the non-saturating
generator loss. Adam(2e-4, β = (0.5, 0.999)), as the release; one G optimizer over both
generators and one D optimizer over both discriminators (the release chains them the same way),
G then D on the same fakes. `cycle` (the two reconstruction terms, summed) is logged per step.

Not taken: the PyTorch-GAN zoo's DiscoGAN adds a pixel-wise L1 between each translation and its
*paired* target, which needs aligned pairs and makes the model supervised; this one never sees a
pair. Nor the release's extras beyond the paper's objective (a feature-matching term, a
GAN/reconstruction weighting curriculum, D updated every third iteration and G on the others,
weight decay 1e-5).

At 28 px: the release's generator is an encoder-decoder without skips (4 conv4 s2 + leaky ReLU
down, 4 convT4 s2 + ReLU up, batch norm, sigmoid, at 64 px); here 2 levels each way (28 -> 14 ->
7, width 8, plus a conv3 bottleneck; ganbench/nets/unet.py with skips off) and tanh for [-1, 1]
images. Its D (4 conv4 s2 with batch norm, then a conv to one probability) is here the project's
DCGAN-style D (two stride-2 convs, batch norm, width 32, a linear score; ganbench/nets/conv.py).
Batch size is the preset's (release: 64).
"""

from __future__ import annotations

import torch

from ganbench.data.base import DataSpec
from ganbench.nets.conv import ConvDiscriminator
from ganbench.nets.losses import bce_fake, bce_real
from ganbench.nets.unet import UNet
from ganbench.variants.base import Player, Translator
from ganbench.variants.registry import register
from ganbench.variants.updates import StepContext, Update

G_WIDTH = 8


def mse(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((x - y) ** 2).mean()


@register(
    "discogan",
    family="translation",
    paper="Kim et al. 2017, arXiv:1703.05192",
    supports=("translation",),
    datasets=("mnist2inverse-thick",),
)
class DiscoGAN(Translator):
    relations = ("unpaired",)
    two_way = True
    defaults = {"lr": 2e-4, "betas": (0.5, 0.999), "cycle_weight": 1.0}

    def build_nets(self, spec: DataSpec) -> dict[str, torch.nn.Module]:
        c_a, c_b = self.same_size_channels(spec)

        def gen(c_in: int, c_out: int) -> UNet:
            return UNet(c_in, c_out, width=G_WIDTH, norm="batch", dropout=0.0, skips=False)

        return {
            "G_AB": gen(c_a, c_b),
            "G_BA": gen(c_b, c_a),
            "D_A": ConvDiscriminator(spec.source_shape, dropout=0.0),
            "D_B": ConvDiscriminator(spec.shape, dropout=0.0),
        }

    def players(self):
        opt = self.adam()
        return {"G": Player(("G_AB", "G_BA"), opt), "D": Player(("D_A", "D_B"), opt)}

    def updates(self) -> list[Update]:
        return [Update("G", self.g_step, log="g_loss"), Update("D", self.d_step, log="d_loss")]

    # --- the losses, on tensors ----------------------------------------------------------------
    def g_loss(
        self, a: torch.Tensor, b: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(G's loss, fake_a, fake_b)."""
        fake_b, fake_a = self.G_AB(a), self.G_BA(b)
        gan = bce_real(self.D_B(fake_b)) + bce_real(self.D_A(fake_a))
        const = mse(self.G_BA(fake_b), a) + mse(self.G_AB(fake_a), b)
        self.logs["cycle"] = const.detach()
        return gan + self.hp["cycle_weight"] * const, fake_a, fake_b

    def d_loss(
        self, a: torch.Tensor, b: torch.Tensor, fake_a: torch.Tensor, fake_b: torch.Tensor
    ) -> torch.Tensor:
        fake_a, fake_b = fake_a.detach(), fake_b.detach()
        return (
            bce_real(self.D_A(a))
            + bce_fake(self.D_A(fake_a))
            + bce_real(self.D_B(b))
            + bce_fake(self.D_B(fake_b))
        )

    # --- the step ---------------------------------------------------------------------------
    def g_step(self, ctx: StepContext) -> torch.Tensor:
        pair = ctx.stream.next()
        loss, fake_a, fake_b = self.g_loss(pair.a, pair.b)
        ctx.cache["batch"] = (pair.a, pair.b, fake_a, fake_b)  # D judges the same fakes
        return loss

    def d_step(self, ctx: StepContext) -> torch.Tensor:
        return self.d_loss(*ctx.cache["batch"])

    # --- heads ------------------------------------------------------------------------------
    def translate(self, a: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.G_AB(a)

    def translate_back(self, b: torch.Tensor) -> torch.Tensor:
        return self.G_BA(b)
