"""CCGAN, the context-conditional GAN (Denton, Gross & Fergus 2016, arXiv:1611.06430), in its
in-painting half as the PyTorch-GAN zoo has it (`ccgan/`). G sees the image with a hole filled,
x_I = (1 - m) ⊙ x, and its low-resolution copy x_low (the paper's CC-GAN², injected at the U-Net's
1/4-side level); the in-painted image keeps the context and takes G's pixels in the hole,

    x_G = (1 - m) ⊙ x_I + m ⊙ G(x_I, x_low),

and D tells x_G from real images. Adversarial loss only, LSGAN as the zoo (MSE to 1 / 0 on D's
patch map):

    L_D = ½ mean (D(x) - 1)² + ½ mean D(x_G)²        L_G = mean (D(x_G) - 1)²

translate(x_I, m) returns x_G.

Deviations, each for a stated reason:
- x_low is the 4 x area downsample (7 px) of the MASKED input, not of the whole image as in the
  paper and the zoo: the evaluation hands a translator only (x_I, m), and a low-resolution copy of
  the ground truth would give it the hole's content at 7 px, which no other inpainting row gets.
  So here it is the paper's architecture without the paper's extra information.
- D judges x_G with the context pasted back (the paper's x_G, [recall]); the zoo feeds D G's raw
  output. `d_input="raw"` gives the zoo's form.
- No classifier head on D: the semi-supervised half of the paper is not part of this benchmark.
- Sizes for 28 px: the shared U-Net (ganbench.nets.unet) with 2 levels (28 -> 14 -> 7 px), widths
  24 / 48, batch norm and dropout 0.5 at the 7 px bottleneck, where the copy is concatenated (the
  zoo: 6 levels at 128 px, the copy joined at 1/4 side and passed on by the skip too, dropout 0.5
  in the deep blocks); D the PatchGAN (ganbench.nets.patchgan), three stride-2 convs with
  instance norm, a 3 x 3 score map (the zoo's H/8 map, its 512-wide stride-1 block dropped).
  Training holes are the dataset's own (fixed per image); the zoo draws new ones per batch.
- Adam 2e-4, β = (0.5, 0.999) (zoo); G then D each step (zoo order).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganbench.nets.patchgan import PatchDiscriminator
from ganbench.nets.unet import UNet
from ganbench.variants.base import Player, Translator
from ganbench.variants.context_encoder import complete
from ganbench.variants.registry import register
from ganbench.variants.updates import StepContext, Update

D_INPUTS = ("completed", "raw")


def low_resolution(x: torch.Tensor, factor: int = 4) -> torch.Tensor:
    """The `factor` x area (box) downsample: 28 px -> 7 px for the U-Net's 1/4-side level."""
    return F.avg_pool2d(x, factor)


@register(
    "ccgan",
    family="translation",
    paper="Denton et al. 2016, arXiv:1611.06430",
    supports=("translation",),
    datasets=("mnist-inpaint-random",),
)
class CCGAN(Translator):
    relations = ("inpainting",)
    defaults = {"lr": 2e-4, "betas": (0.5, 0.999), "d_input": "completed", "width": 24}

    def build_nets(self, spec):
        if self.hp["d_input"] not in D_INPUTS:
            raise ValueError(
                f"ccgan: d_input must be one of {D_INPUTS}, not {self.hp['d_input']!r}"
            )
        c, width = spec.shape[0], int(self.hp["width"])
        # depth 2: the bottleneck is at 1/4 of the side (7 px), where the copy joins (extra=)
        g = UNet(c, c, width=width, depth=2, norm="batch", dropout=0.5, extra_channels=c)
        return {"G": g, "D": PatchDiscriminator(c, width=width, n_layers=3, norm="instance")}

    def players(self):
        opt = self.adam()
        return {"G": Player(("G",), opt), "D": Player(("D",), opt)}

    def updates(self):
        return [Update("G", self.g_step, log="g_loss"), Update("D", self.d_step, log="d_loss")]

    def inpaint(self, a: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(G's raw output, x_G) for the masked images `a`."""
        raw = self.G(a, extra=low_resolution(a))
        return raw, complete(a, mask, raw)

    def _batch(self, ctx: StepContext):
        """This step's real images and what D judges of G's (shared by the G and D updates)."""
        if "batch" not in ctx.cache:
            batch = ctx.stream.next()
            raw, completed = self.inpaint(batch.a, batch.mask)
            ctx.cache["batch"] = batch
            ctx.cache["fake"] = completed if self.hp["d_input"] == "completed" else raw
        return ctx.cache["batch"].b, ctx.cache["fake"]

    def g_step(self, ctx: StepContext) -> torch.Tensor:
        _, fake = self._batch(ctx)
        return ((self.D(fake) - 1) ** 2).mean()

    def d_step(self, ctx: StepContext) -> torch.Tensor:
        real, fake = self._batch(ctx)
        return 0.5 * ((self.D(real) - 1) ** 2).mean() + 0.5 * (self.D(fake.detach()) ** 2).mean()

    @torch.no_grad()
    def translate(self, a: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None:
            raise ValueError("ccgan completes a hole: translate needs the mask")
        return self.inpaint(a, mask)[1]
