"""ProGAN-small: progressive growing of GANs (Karras et al. 2018, arXiv:1710.10196), 4 -> 8 -> 16
-> 32 px, on the 32 px digit sets (mnist32, stacked-mnist32).

critic:    E[D(G(z))] - E[D(x)] + λ E[(||∇D(x̂)||₂ - 1)²] + ε_drift E[D(x)²]   (λ 10, ε 0.001)
generator: -E[D(G(z))]
Adam lr 0.001, betas (0, 0.99), n_critic 1 (G and D alternate per minibatch), G's weights
averaged (paper: decay 0.999 per step).

Kept (the paper's sections 2-4 and appendix A; networks in ganbench/nets/progan_nets.py):
- progressive growing with fade-in. G and D are built at full size once; the phase of each step
  (stage i = 4 << i px, alpha; ganbench.variants.schedule) picks the path. While stage i fades in,
  G's image is (1 - alpha) * upsample(toRGB(previous block)) + alpha * toRGB(new block), and D
  mirrors it (fromRGB of the 2x average-pooled input blended with the new block's path).
- real images shown at the phase's resolution: the 32 px batch average-pooled to 4 << i px and,
  during a fade, blended as the authors' code does (`process_reals`, FadeLOD):
  alpha * x_r + (1 - alpha) * upsample(avgpool(x_r)), so the reals cross over from the coarser
  resolution exactly as G's images do.
- equal numbers of steps for each stabilise and each fade-in phase (CIFAR-10 preset: 400 kimg
  each), as fractions of the budget so the schedule scales with --steps: `stable` (each stage
  before the last) and `fade` (each new stage), 0.1 and 0.1 by default. The last (32 px) stage
  keeps the rest, 0.4 after its fade: the paper's last stage also trains longest (CIFAR-10:
  the fade-in to 32 px ends at 2.4 of 20 Mimg; the remaining 17.6 Mimg train at 32 px).
- pixel norm in G after every convolution (and on the latent); equalized learning rate (weights
  N(0, 1) scaled at runtime by He's constant sqrt(2 / fan_in), gain 1 instead of sqrt(2) for
  toRGB and D's output layer as in the authors' code; biases 0); minibatch standard deviation in
  D's last block (groups of 4 as the authors' code, `mbstd_group`); WGAN-GP with λ 10 and the
  drift term; Adam(0.001, (0, 0.99)); n_critic 1; leaky ReLU 0.2; linear outputs; nearest
  upsampling and average-pool downsampling.
- the EMA of G, evaluated instead of G: the paper's decay 0.999 per step is a half-life of
  ln 0.5 / ln 0.999 = 692.8 steps, 44,339 images at ganbench's image batch 64 (`ema_half_life`
  44339; it would be 11,085 images at the paper's batch 16).
- the authors' default code's fused resampling convolutions (upsample + 3x3 conv as one stride-2
  transposed convolution in G; 3x3 conv + 2x2 average pool as one stride-2 convolution in D,
  pooling before the activation as that code does): the same functions at a quarter of the
  positions (tests/test_progan.py holds them equal to the separate layers).

Dropped or changed, and why:
- width: `width` 24 feature maps at 4 and 8 px, halved at each doubling after (12 at 16 px, 6 at
  32 px; ProGAN's own rule, fmap_decay 1, without its cap), where the paper's CIFAR-10 net has
  128 everywhere (fmap_max 128) and its CelebA net 512. A last-stage step at batch 64 on one
  thread (torch.set_num_threads(1)), EMA included, took 108-150 ms of CPU time at width 24
  (width 16: 74-106 ms, width 32: 131-177 ms; dcgan's step 35-41 ms alongside), measured on a
  2-core machine under a load average of 6 to 9; the earlier stages cost less. Digits need
  far fewer maps than CIFAR-10; `--hp width=128` gives the paper's CIFAR-10 width at 4 and 8 px.
- latent: 100-D as every image variant here (the paper: 512; its CIFAR-10 net 128).
- EMA ramp-up `ema_rampup` 0.1 (the half-life at most a tenth of the images seen; StyleGAN2's
  device, not ProGAN's): without it a 500-step run would be evaluated on a G still 61% its initial
  weights (0.999^500). From 443,390 images on (6,928 steps at batch 64) the paper's half-life
  holds.
- no learning-rate ramp-up (the CIFAR-10 preset has none either), no label conditioning
  (unconditional only), no mirror augmentation (digits are not mirror-symmetric), the batch is
  the budget's at every stage (the paper's baseline: 16).
- at most 32 px: the architecture builds 32x32 only (`data_problem`: use mnist32).

Samples for evaluation are 32 px, from the phase the run ended in: the last stage unless the run
stopped early (a --max-seconds cap); then G's image at its resolution is upsampled to 32 px
(nearest neighbour), and the row says so (`final_resolution`, `final_alpha`, and a warning).
Evaluated images are clamped to the data's range [-1, 1] (G's output is linear, as the paper's;
the metrics clamp anyway).
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any, ClassVar

import torch
from torch import nn

from ganbench.core import hparams as hpr
from ganbench.core.log import warn
from ganbench.data.base import DataSpec
from ganbench.nets.losses import gradient_penalty, interpolate
from ganbench.nets.progan_nets import ProCritic, ProGenerator, downsample, fade, stage_channels
from ganbench.nets.progan_nets import upsample as upsample_nearest
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register
from ganbench.variants.schedule import Phase, Schedule

STAGES = 4  # 4 -> 8 -> 16 -> 32 px
RESOLUTION = 4 << (STAGES - 1)
PAPER_EMA_DECAY = 0.999  # per step
IMAGE_BATCH = 64  # ganbench's image batch (presets quick and standard)
# 0.999 per step as a half-life in images at batch 64: 692.8 steps x 64 = 44,339 images
EMA_HALF_LIFE = round(math.log(0.5) / math.log(PAPER_EMA_DECAY) * IMAGE_BATCH)


def _unit_or_zero() -> hpr.Rule:
    return hpr.Rule(
        lambda v: isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1,
        "a number in [0, 1]",
    )


@register(
    "progan",
    family="modern",
    paper="Karras et al. 2018, arXiv:1710.10196",
    supports=("image",),
    datasets=("mnist32", "stacked-mnist32"),
)
class ProGAN(Variant):
    defaults: ClassVar[dict[str, Any]] = {
        "width": 24,
        "fade": 0.1,
        "stable": 0.1,
        "gp_weight": 10.0,
        "drift": 0.001,
        "mbstd_group": 4,
        "ema_half_life": EMA_HALF_LIFE,
        "ema_rampup": 0.1,
    }
    rules: ClassVar[dict[str, hpr.Rule]] = {
        "width": hpr.positive_int(),
        "fade": hpr.fraction(),
        "stable": _unit_or_zero(),
        "gp_weight": hpr.non_negative_number(),
        "drift": hpr.non_negative_number(),
        "mbstd_group": hpr.Rule(
            lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
            "an integer >= 0 (0: the whole batch is one group)",
        ),
    }
    shared_nets: ClassVar[bool] = False
    n_critic = 1
    d_optim = OptimSpec("adam", lr=1e-3, betas=(0.0, 0.99))
    g_optim = OptimSpec("adam", lr=1e-3, betas=(0.0, 0.99))

    @classmethod
    def data_problem(cls, spec: DataSpec) -> str:
        shape = tuple(spec.shape[1:])
        if spec.kind == "image" and shape == (RESOLUTION, RESOLUTION):
            return ""
        what = "x".join(map(str, shape)) if spec.kind == "image" else f"{spec.kind} data"
        return (
            f"progan grows 4 -> 8 -> 16 -> 32 px and builds 32x32 images only, not {what}; "
            "use mnist32 (or stacked-mnist32)"
        )

    @classmethod
    def check_hparams(cls, kind: str, hp: dict[str, Any]) -> None:
        super().check_hparams(kind, hp)
        merged = {**cls.known_hparams(kind), **hp}
        used = (STAGES - 1) * (merged["fade"] + merged["stable"])
        if used > 1 + 1e-9:
            raise hpr.HyperParameterError(
                f"variant {cls.name!r}: the schedule does not fit the budget: {STAGES - 1} new "
                f"stages x (fade {merged['fade']:g} + stable {merged['stable']:g}) = {used:g} of "
                f"the budget; keep {STAGES - 1} x (fade + stable) <= 1 (defaults: fade 0.1, "
                "stable 0.1)"
            )

    def setup(self) -> None:
        super().setup()
        # Outside training (a checkpoint loaded, a loss computed on fresh nets) the nets run at
        # the final phase; during training the harness sets every step's phase.
        self.stage, self.alpha = STAGES - 1, 1.0

    def build(self, spec: DataSpec) -> dict[str, nn.Module]:
        channels = stage_channels(int(self.hp["width"]), STAGES)
        c = spec.shape[0]
        return {
            "G": ProGenerator(self.latent_dim, channels, c),
            "D": ProCritic(channels, c, int(self.hp["mbstd_group"])),
        }

    # --- phases -------------------------------------------------------------------------------
    def schedule(self) -> Schedule:
        return Schedule(stages=STAGES, fade=float(self.hp["fade"]), stable=float(self.hp["stable"]))

    def on_phase(self, phase: Phase) -> None:
        self.stage, self.alpha = phase.stage, float(phase.alpha)

    @property
    def resolution(self) -> int:
        return 4 << self.stage

    def reals_at_phase(self, real: torch.Tensor) -> torch.Tensor:
        """The 32 px batch at the phase's resolution (average pooling) and, during a fade, blended
        with its 2x coarser version upsampled back: alpha * x_r + (1 - alpha) * up(down(x_r))."""
        x = downsample(real, real.shape[-1] // self.resolution)
        if self.stage > 0 and self.alpha < 1.0:
            x = fade(upsample_nearest(downsample(x)), x, self.alpha)
        return x

    def critic(self, x: torch.Tensor) -> torch.Tensor:
        return self.D(x, self.stage, self.alpha)

    def fake(self, z: torch.Tensor) -> torch.Tensor:
        return self.G(z, self.stage, self.alpha)

    # --- losses -------------------------------------------------------------------------------
    def d_loss(self, real, z, labels):
        x = self.reals_at_phase(real)
        with torch.no_grad():
            fake = self.fake(z)
        d_real = self.critic(x)
        d_fake = self.critic(fake)
        gp = gradient_penalty(partial(self.D, stage=self.stage, alpha=self.alpha),
                              interpolate(x, fake))  # fmt: skip
        drift = d_real.pow(2).mean()
        return d_fake.mean() - d_real.mean() + self.hp["gp_weight"] * gp + self.hp["drift"] * drift

    def g_loss(self, z, labels):
        return -self.critic(self.fake(z)).mean()

    # --- sampling -----------------------------------------------------------------------------
    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """32 px images from the current phase (upsampled when it is below 32 px), clamped to the
        data's range."""
        img = self.fake(z)
        img = upsample_nearest(img, RESOLUTION // img.shape[-1])
        lo, hi = self.spec.value_range or (-1.0, 1.0)
        return img.clamp(lo, hi)

    def extra_metrics(self, data, device, generator) -> dict[str, float]:
        if self.resolution < RESOLUTION:
            warn(
                f"progan stopped at stage {self.stage} ({self.resolution} px, alpha "
                f"{self.alpha:.2f}) before the last stage: its samples are its {self.resolution} "
                f"px images upsampled to {RESOLUTION} px (nearest neighbour)"
            )
        return {"final_resolution": float(self.resolution), "final_alpha": float(self.alpha)}
