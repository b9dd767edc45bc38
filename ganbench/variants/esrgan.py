"""ESRGAN (Wang et al. 2018, arXiv:1809.00219): an RRDB generator without batch norm, the SRGAN
discriminator made relativistic-average, and an L1-only warm-up (the PyTorch-GAN zoo's
`warmup_batches`, standing in for the paper's PSNR-oriented pre-trained start).

Warm-up (steps up to `warmup` x the budget; D is not trained):
    L_G = mean |G(x_LR) - x_HR|
After it, with C the critic's logit and D_Ra(a, b) = σ(C(a) - E[C(b)]) (paper eq. 1-3):
    L_D = -E_r[log D_Ra(x_r, x_f)] - E_f[log(1 - D_Ra(x_f, x_r))]
    L_G = L_percep + λ L_G^Ra + η L_1,    λ = 5·10⁻³, η = 10⁻²             (paper eq. 3)
    L_G^Ra = -E_r[log(1 - D_Ra(x_r, x_f))] - E_f[log D_Ra(x_f, x_r)]
    L_percep = mean |φ(G(x_LR)) - φ(x_HR)|  (paper: VGG19 conv5_4 features, before the ReLU)
The relativistic terms are ganbench.variants.relativistic.average_losses with the sgan pair.
Logged: `g_loss` (the warm-up's L1, then the full L_G), `d_loss` from w on, `pixel` (L_1) always.

The feature net φ: the paper's ImageNet VGG19 cannot be downloaded here, so φ is a frozen digit
network with its own committed weights (ganbench.backbones.perceptual; φ = its deepest conv maps
before their ReLU, relu3_2's conv at 7 x 7 x 64, as the paper takes VGG features before the
activation), trained separately from, and never the same as, the network that evaluates;
otherwise G would learn to please the judge.

Deviations, each for a stated reason:
- Sizes for 28 px (ganbench.nets.srnets): width 32, growth 16 and 1 RRDB (15 convs; paper: 64,
  32 and 23 RRDBs at 128 px crops), residual scaling 0.2 (paper); log2(factor) pixel-shuffle
  stages with channels halving per stage (as the zoo's shuffle; the official code upsamples by
  nearest interpolation + conv). D is SRGAN's (as the zoo), 16 wide.
- Warm-up: a fraction `warmup` = 0.7 of the one budget, the paper's share of PSNR-oriented
  pre-training (about 10⁶ iterations [recall] before the official 4 x 10⁵ GAN ones; the zoo: 500
  batches). 0 turns it off. Measured at the quick preset (mnist-sr4, 300 steps x 32, seed 0):
  warmup 0.2 gave PSNR 13.5 dB, FID 28.9; 0.7 gave 14.2 dB, FID 10.1 (bicubic: 14.6 dB, 114).
- The output is linear as the paper's; translate clamps it to the data range [-1, 1].
- Adam 2e-4, β = (0.9, 0.999) (the zoo; paper: 1e-4, β = (0.9, 0.99), no EMA here). The zoo halves
  both relativistic losses; the paper's sums are used (Adam makes the scale of L_D immaterial).
  G then D each step (zoo order).
"""

from __future__ import annotations

import torch
from torch import nn

from ganbench.nets.srnets import RRDBNet, VGGDiscriminator
from ganbench.variants.base import Translator
from ganbench.variants.registry import register
from ganbench.variants.relativistic import average_losses
from ganbench.variants.srgan import FrozenFeatureContent, WarmStartSR
from ganbench.variants.updates import StepContext


def esrgan_content(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """L1 between the feature net's deepest maps before the activation: the paper's choice, since
    activated maps are sparse and give weaker supervision (ESRGAN, section 3.3)."""
    from ganbench.backbones.perceptual import CONTENT_LAYER

    fx = net(x, before_activation=True)[CONTENT_LAYER]
    with torch.no_grad():
        fy = net(y, before_activation=True)[CONTENT_LAYER]
    return (fx - fy).abs().mean()


@register(
    "esrgan",
    family="translation",
    paper="Wang et al. 2018, arXiv:1809.00219",
    supports=("translation",),
    datasets=("mnist-sr4",),
)
class ESRGAN(WarmStartSR, FrozenFeatureContent, Translator):
    warm = "warmup"
    relations = ("super-resolution",)
    defaults = {
        "lr": 2e-4,
        "betas": (0.9, 0.999),
        "warmup": 0.7,
        "perceptual_weight": 1.0,
        "adv_weight": 5e-3,
        "pixel_weight": 1e-2,
        "width": 32,
        "d_width": 16,
        "blocks": 1,
        "growth": 16,
        "res_scale": 0.2,
    }

    def default_content_fn(self):
        return esrgan_content

    def build_nets(self, spec):
        self.check_warm()
        width = int(self.hp["width"])
        g = RRDBNet(
            spec.source_shape,
            spec.shape,
            width=width,
            blocks=int(self.hp["blocks"]),
            growth=int(self.hp["growth"]),
            res_scale=float(self.hp["res_scale"]),
        )
        return {"G": g, "D": VGGDiscriminator(spec.shape, width=int(self.hp["d_width"]))}

    def _pixel(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        pixel = (fake - real).abs().mean()
        self.logs["pixel"] = pixel.detach()
        return pixel

    def warmup_step(self, ctx: StepContext) -> torch.Tensor:
        real, fake = self._batch(ctx)
        return self._pixel(real, fake)

    def g_step(self, ctx: StepContext) -> torch.Tensor:
        real, fake = self._batch(ctx)
        with torch.no_grad():
            c_real = self.D(real)  # G's loss needs real scores, not their gradients
        _, adv = average_losses(c_real, self.D(fake), "sgan")
        loss = self.hp["adv_weight"] * adv + self.hp["pixel_weight"] * self._pixel(real, fake)
        if self.hp["perceptual_weight"]:
            loss = loss + self.hp["perceptual_weight"] * self.perceptual(fake, real)
        return loss

    def d_step(self, ctx: StepContext) -> torch.Tensor:
        real, fake = self._batch(ctx)
        return average_losses(self.D(real), self.D(fake.detach()), "sgan")[0]

    @torch.no_grad()
    def translate(self, a: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.G(a).clamp(-1.0, 1.0)
