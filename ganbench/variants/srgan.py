"""SRGAN (Ledig et al. 2017, arXiv:1609.04802): an SRResNet generator G upscales the low-resolution
image with pixel-shuffle stages; a VGG-style D tells G(x_LR) from real high-resolution images.

Pre-training (steps up to `pretrain` x the budget; D is not trained): SRResNet, the paper's
initialisation of SRGAN's G ("to avoid undesired local optima"),
    L_G = mean (G(x_LR) - x_HR)²
After it:
    L_D = -log D(x_HR) - log(1 - D(G(x_LR)))                               (paper eq. 2)
    L_G = l_content + 10⁻³ · (-log D(G(x_LR)))                              (paper eq. 3, 6)
    l_content = mean (φ(G(x_LR)) - φ(x_HR))²  (paper: VGG19 relu5_4 features, "SRGAN-VGG54")
`content="mse"` gives the paper's SRGAN-MSE instead: l_content = mean (G(x_LR) - x_HR)².
Logged: `g_loss` (the pre-training's MSE, then the full L_G), `d_loss` from w on, `mse` always.

The feature net φ: the paper's ImageNet VGG19 cannot be downloaded here, so φ is a frozen digit
network with its own committed weights (ganbench.backbones.perceptual: a small VGG-style digit
classifier; φ = its deepest ReLU maps, relu3_2 at 7 x 7 x 64, the analogue of VGG54; distance
`perceptual_loss`), trained separately from, and never the same as, the network that evaluates;
otherwise G would learn to please the judge.

Deviations, each for a stated reason:
- Sizes for 28 px (ganbench.nets.srnets): width 32 and 4 residual blocks at the source
  resolution (paper: 64 and 16 at 96 px crops); log2(factor) pixel-shuffle stages, read from the
  data (x4: two, x2: one), channels halving per stage, and a 3 x 3 last conv (paper: 64 channels
  throughout, 9 x 9): the 14 and 28 px convs are most of a step's time. D 16 wide: a stride-2
  conv, then two (stride 1, stride 2) stages to 4 x 4 and a dense head of 128 units (paper: four
  stages from full resolution, 1024 units).
- Pre-training is a fraction `pretrain` = 0.8 of the one budget: the paper's share, 10⁶ SRResNet
  updates before 2 x 10⁵ SRGAN ones [unverified], with no learning-rate drop here; 0 turns it
  off. Measured at the quick preset (mnist-sr4, 300 steps x 32, seed 0): pretrain 0.2 gave PSNR
  12.2 dB, SSIM 0.52, FID 359; 0.8 gave 13.4 dB, 0.55, 195 (bicubic: 14.6 dB, 0.44, 114). The
  perceptual term alone leaves the background grey: a digit classifier's features hardly see it.
- No rescaling of φ (the paper divides VGG maps by 12.75).
- Adam 2e-4, β = (0.5, 0.999) (the PyTorch-GAN zoo; paper: 1e-4, β1 = 0.9). The zoo uses LSGAN,
  an L1 feature distance and no pre-training; the paper's BCE and MSE are used here. G then D
  each step (zoo order).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ganbench.nets.losses import bce_fake, bce_real
from ganbench.nets.srnets import SRResNet, VGGDiscriminator
from ganbench.variants.base import Player, Translator
from ganbench.variants.registry import register
from ganbench.variants.updates import StepContext, Update

CONTENT_LOSSES = ("perceptual", "mse")


class FrozenFeatureContent:
    """The perceptual term on the frozen digit feature net, loaded on first use on the batch's
    device. It is kept out of `nets` on purpose: the harness would put it in train mode, move
    and checkpoint it; it is frozen, eval-mode and has its own committed weights. Tests may set
    `content_net` / `content_fn` (net, x, y) -> loss to stubs."""

    content_net: nn.Module | None = None
    content_fn: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor] | None = None

    def default_content_fn(self) -> Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]:
        """SRGAN's: the mean squared difference of the deepest ReLU maps (the VGG54 analogue)."""
        from ganbench.backbones.perceptual import perceptual_loss

        return perceptual_loss

    def perceptual(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.content_net is None:
            from ganbench.backbones.perceptual import load_perceptual_net

            self.content_net = load_perceptual_net(x.device)  # eval mode, requires_grad False
        if self.content_fn is None:
            self.content_fn = self.default_content_fn()
        param = next(self.content_net.parameters(), None)
        if param is not None and param.device != x.device:
            self.content_net.to(x.device)
        return self.content_fn(self.content_net, x, y)


class WarmStartSR:
    """The step both super-resolution GANs share: one G / D Adam each, G alone on a pixel loss
    until the fraction `hp[warm]` of the budget (`<warm>_step`), then G's and D's adversarial
    updates, both on one (x_HR, G(x_LR)) per step."""

    warm = "pretrain"  # the hp key of the warm-start fraction; its update is `<warm>_step`

    def check_warm(self) -> None:
        if not 0.0 <= float(self.hp[self.warm]) <= 1.0:
            raise ValueError(
                f"{self.name}: {self.warm} is a fraction of the budget, not {self.hp[self.warm]}"
            )

    def players(self):
        opt = self.adam()
        return {"G": Player(("G",), opt), "D": Player(("D",), opt)}

    def updates(self):
        w = float(self.hp[self.warm])
        # both G updates log to g_loss, so the column runs unbroken across the switch at w
        return [
            Update("G", getattr(self, f"{self.warm}_step"), stop=w, log="g_loss"),
            Update("G", self.g_step, start=w, log="g_loss"),
            Update("D", self.d_step, start=w, log="d_loss"),
        ]

    def _batch(self, ctx: StepContext) -> tuple[torch.Tensor, torch.Tensor]:
        """This step's (x_HR, G(x_LR)), shared by the G and D updates."""
        if "fake" not in ctx.cache:
            batch = ctx.stream.next()
            ctx.cache["real"], ctx.cache["fake"] = batch.b, self.G(batch.a)
        return ctx.cache["real"], ctx.cache["fake"]


@register(
    "srgan",
    family="translation",
    paper="Ledig et al. 2017, arXiv:1609.04802",
    supports=("translation",),
    datasets=("mnist-sr4",),
)
class SRGAN(WarmStartSR, FrozenFeatureContent, Translator):
    relations = ("super-resolution",)
    defaults = {
        "lr": 2e-4,
        "betas": (0.5, 0.999),
        "pretrain": 0.8,
        "content": "perceptual",
        "content_weight": 1.0,
        "adv_weight": 1e-3,
        "width": 32,
        "d_width": 16,
        "blocks": 4,
    }

    def build_nets(self, spec):
        self.check_warm()
        if self.hp["content"] not in CONTENT_LOSSES:
            raise ValueError(
                f"srgan: content must be one of {CONTENT_LOSSES}, not {self.hp['content']!r}"
            )
        width = int(self.hp["width"])
        return {
            "G": SRResNet(
                spec.source_shape, spec.shape, width=width, blocks=int(self.hp["blocks"])
            ),
            "D": VGGDiscriminator(spec.shape, width=int(self.hp["d_width"])),
        }

    def _mse(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        mse = ((fake - real) ** 2).mean()
        self.logs["mse"] = mse.detach()
        return mse

    def pretrain_step(self, ctx: StepContext) -> torch.Tensor:
        """SRResNet: the pixel MSE alone, the paper's initialisation of SRGAN's G."""
        real, fake = self._batch(ctx)
        return self._mse(real, fake)

    def g_step(self, ctx: StepContext) -> torch.Tensor:
        real, fake = self._batch(ctx)
        mse = self._mse(real, fake)
        content = mse if self.hp["content"] == "mse" else self.perceptual(fake, real)
        adv = bce_real(self.D(fake))
        return self.hp["content_weight"] * content + self.hp["adv_weight"] * adv

    def d_step(self, ctx: StepContext) -> torch.Tensor:
        real, fake = self._batch(ctx)
        return bce_real(self.D(real)) + bce_fake(self.D(fake.detach()))

    @torch.no_grad()
    def translate(self, a: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.G(a)
