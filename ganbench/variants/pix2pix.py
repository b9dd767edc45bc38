"""pix2pix (Isola et al. 2017, arXiv:1611.07004): a conditional GAN for paired translation.

G maps a source a to a target; a conditional PatchGAN D judges (a, b) pairs patch by patch, and an
L1 term ties G(a) to its own ground truth b (the paper's eq. 4, with the LSGAN criterion of the
PyTorch-GAN zoo in place of the paper's cross-entropy):

  min_D  ½ E[(D(a, b) - 1)²] + ½ E[D(a, G(a))²]
  min_G  E[(D(a, G(a)) - 1)²] + λ_L1 E[|b - G(a)|₁]          λ_L1 = 100 (paper and zoo)

Adam(2e-4, β = (0.5, 0.999)) for both (paper, section 3.3); one G update then one D update on
the same fakes (the zoo's order). `l1` is logged per step.

At 28 px (ganbench/nets/unet.py, nets/patchgan.py): a 2-level U-Net (28 -> 14 -> 7, width 16,
instance norm, dropout 0.5 at the bottleneck) against the paper's 8 levels of width 64 at 256 px,
and a PatchGAN of width 16 with two stride-2 layers (a 7 x 7 grid of 18 x 18 px patches) against
the paper's 70 x 70 of 256 px. Dropout is off at evaluation (the paper keeps it on at test time,
its only noise). No learning-rate decay (the zoo parses `--decay_epoch` but never uses it).
Batch size is the preset's (paper: 1-10; zoo: 1).
"""

from __future__ import annotations

import torch

from ganbench.data.base import DataSpec
from ganbench.nets.patchgan import PatchDiscriminator
from ganbench.nets.unet import UNet
from ganbench.variants.base import Player, Translator
from ganbench.variants.registry import register
from ganbench.variants.updates import StepContext, Update


@register(
    "pix2pix",
    family="translation",
    paper="Isola et al. 2017, arXiv:1611.07004",
    supports=("translation",),
    datasets=("edges2mnist",),
)
class Pix2Pix(Translator):
    relations = ("paired",)
    defaults = {"lr": 2e-4, "betas": (0.5, 0.999), "l1_weight": 100.0}

    def build_nets(self, spec: DataSpec) -> dict[str, torch.nn.Module]:
        c_a, c_b = self.same_size_channels(spec)
        return {"G": UNet(c_a, c_b, width=16), "D": PatchDiscriminator(c_a + c_b, width=16)}

    def players(self):
        opt = self.adam()
        return {"G": Player(("G",), opt), "D": Player(("D",), opt)}

    def updates(self) -> list[Update]:
        return [Update("G", self.g_step, log="g_loss"), Update("D", self.d_step, log="d_loss")]

    # --- the losses, on tensors ----------------------------------------------------------------
    def g_loss(self, a: torch.Tensor, b: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        adv = ((self.D(fake, a) - 1) ** 2).mean()
        l1 = (fake - b).abs().mean()
        self.logs["l1"] = l1.detach()
        return adv + self.hp["l1_weight"] * l1

    def d_loss(self, a: torch.Tensor, b: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((self.D(b, a) - 1) ** 2).mean() + 0.5 * (self.D(fake.detach(), a) ** 2).mean()

    # --- the step ---------------------------------------------------------------------------
    def g_step(self, ctx: StepContext) -> torch.Tensor:
        pair = ctx.stream.next()
        fake = self.G(pair.a)
        ctx.cache["batch"] = (pair.a, pair.b, fake)  # D judges the same fakes
        return self.g_loss(pair.a, pair.b, fake)

    def d_step(self, ctx: StepContext) -> torch.Tensor:
        return self.d_loss(*ctx.cache["batch"])

    # --- heads ------------------------------------------------------------------------------
    def translate(self, a: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.G(a)
