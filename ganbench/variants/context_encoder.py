"""Context Encoder (Pathak et al. 2016, arXiv:1604.07379): an encoder-decoder F sees the image
with its hole filled (x̂ = (1 - M) ⊙ x) and predicts the hole; a discriminator D judges the hole
patch alone. With P(·) the hole patch of an image (the square M marks):

    L_rec = mean over the hole of (P(x) - P(F(x̂)))²                    (paper eq. 1, L2)
    L_D   = -log D(P(x)) - log(1 - D(P(F(x̂))))                          (paper eq. 2)
    L_G   = λ_rec L_rec + λ_adv (-log D(P(F(x̂))))    λ_rec = 0.999, λ_adv = 0.001 (paper)

translate(x̂, M) returns the completed image: F's prediction inside the hole, x̂ elsewhere.

Deviations, each for a stated reason:
- F outputs a whole 28 px frame and only its hole is used (paper: F outputs just the centre
  patch). The data spec does not carry the hole's size or place, and a frame output serves the
  centre hole and random holes alike; pixels outside the hole get no loss and are never shown.
- L_rec is the mean over hole pixels (paper: a sum); with the sum λ_adv would be a different
  share. The paper's Lua code weights a 4 px overlap band at the patch border 10 x: not done.
- BCE as in the paper; the PyTorch-GAN zoo uses LSGAN (MSE) and L1 instead of L2.
- Sizes for 28 px (ganbench.nets.inpaint): three stride-2 levels and a 256-channel fully
  connected bottleneck (paper: 128 px, 4000 channels); D is the PatchGAN (ganbench.nets.patchgan)
  with two stride-2 convs and batch norm on the patch (14 px centre hole -> a 3 x 3 score map,
  7 px hole -> 1 x 1); the paper's D is a DCGAN-style conv net on the patch.
- Training holes are the dataset's own (fixed per image); the zoo draws random holes per batch.
- Adam 2e-4, β = (0.5, 0.999) (the zoo; the authors' Lua code, [recall]); G then D each step (zoo order).
"""

from __future__ import annotations

import torch

from ganbench.nets.inpaint import ContextEncoder as ContextEncoderNet
from ganbench.nets.losses import bce_fake, bce_real
from ganbench.nets.patchgan import PatchDiscriminator
from ganbench.variants.base import Player, Translator
from ganbench.variants.registry import register
from ganbench.variants.updates import StepContext, Update


def complete(a: torch.Tensor, mask: torch.Tensor, pred: torch.Tensor) -> torch.Tensor:
    """The prediction inside the hole (mask 1), the input elsewhere: exactly the input there."""
    return torch.where(mask > 0.5, pred, a)


def hole_patches(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Each image's hole as an (N, C, s, s) patch: the s x s square `mask` (N, 1, H, W) marks,
    at its own place in each image. Every hole of the batch must be a square of one size."""
    m = mask[:, 0] > 0.5
    rows, cols = m.any(2), m.any(1)  # (N, H), (N, W): which rows / columns the hole spans
    side = rows.sum(1)
    s = int(side[0])
    if s == 0 or (side != s).any() or (cols.sum(1) != s).any() or (m.sum((1, 2)) != s * s).any():
        raise ValueError("hole_patches needs every mask of the batch to be one s x s square")
    r0, c0 = rows.float().argmax(1), cols.float().argmax(1)  # first row / column of the hole
    k = torch.arange(s, device=x.device)
    n = torch.arange(len(x), device=x.device)[:, None, None]
    r = (r0[:, None] + k)[:, :, None]
    c = (c0[:, None] + k)[:, None, :]
    return x.permute(0, 2, 3, 1)[n, r, c].permute(0, 3, 1, 2)


@register(
    "context-encoder",
    family="translation",
    paper="Pathak et al. 2016, arXiv:1604.07379",
    supports=("translation",),
    datasets=("mnist-inpaint-centre",),
)
class ContextEncoder(Translator):
    relations = ("inpainting",)
    defaults = {
        "lr": 2e-4,
        "betas": (0.5, 0.999),
        "rec_weight": 0.999,
        "adv_weight": 0.001,
        "width": 32,
    }

    def build_nets(self, spec):
        width = int(self.hp["width"])
        return {
            "G": ContextEncoderNet(spec.shape, width=width),
            "D": PatchDiscriminator(spec.shape[0], width=width, n_layers=2, norm="batch"),
        }

    def players(self):
        opt = self.adam()
        return {"G": Player(("G",), opt), "D": Player(("D",), opt)}

    def updates(self):
        return [Update("G", self.g_step, log="g_loss"), Update("D", self.d_step, log="d_loss")]

    def _batch(self, ctx: StepContext):
        """This step's batch, its true hole patches and F's predicted ones (shared by G and D)."""
        if "batch" not in ctx.cache:
            batch = ctx.stream.next()
            ctx.cache["batch"] = batch
            ctx.cache["real"] = hole_patches(batch.b, batch.mask)
            ctx.cache["fake"] = hole_patches(self.G(batch.a), batch.mask)
        return ctx.cache["real"], ctx.cache["fake"]

    def g_step(self, ctx: StepContext) -> torch.Tensor:
        real, fake = self._batch(ctx)
        rec = ((fake - real) ** 2).mean()
        adv = bce_real(self.D(fake))
        self.logs["rec"], self.logs["adv"] = rec.detach(), adv.detach()
        return self.hp["rec_weight"] * rec + self.hp["adv_weight"] * adv

    def d_step(self, ctx: StepContext) -> torch.Tensor:
        real, fake = self._batch(ctx)
        return bce_real(self.D(real)) + bce_fake(self.D(fake.detach()))

    @torch.no_grad()
    def translate(self, a: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None:
            raise ValueError("context-encoder completes a hole: translate needs the mask")
        return complete(a, mask, self.G(a))
