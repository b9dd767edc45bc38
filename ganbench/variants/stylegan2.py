"""StyleGAN2 (Karras et al. 2020, arXiv:1912.04958), small: 32 px, 4 -> 8 -> 16 -> 32, sized for
a CPU. Networks in ganbench/nets/stylegan2_nets.py; everything written from the paper (appendix B)
and the settings of NVIDIA's later code read, not copied (NVlabs/stylegan2-ada-pytorch
`train.py` cfg_specs and `training/loss.py`; the TF StyleGAN2 `training_loop.py` defaults).

Losses (the paper's, StyleGAN2Loss):
    L_D = softplus(D(G(z))) + softplus(-D(x))            non-saturating logistic loss
    L_G = softplus(-D(G(z)))
    R1  = (r1_gamma / 2) E_x ||grad_x D(x)||^2            on reals (zero_centred_penalty)
    PL  = pl_weight E[(||J_w^T y||_2 - a)^2]              y ~ N(0, I) / sqrt(H W), a the running
                                                           mean of the lengths (decay 0.01), the
                                                           Jacobian of g at ws, on half a batch
R1 runs lazily, every `r1_every` D steps as its own update (`Update(..., lazy=True)`: the harness
scales it by r1_every and corrects D's Adam, lr x c and betas ^ c, c = k / (k + 1)); PL likewise
every `pl_every` G steps when pl_weight > 0. r1_gamma = 0 removes the R1 update, and with it the
correction of D's optimizer.

Kept (the paper's defining mechanisms):
- the mapping network z -> w (pixel norm of z, leaky-ReLU dense layers, learning rate x 0.01);
- the learned constant 4x4 input, modulated + demodulated 3x3 convolutions, per-pixel noise inputs
  with learned per-channel strength starting at 0, skip-style to-RGB outputs (the paper's G);
- a residual D with minibatch standard deviation (group size 4, one feature), conv + dense head;
- equalised learning rate everywhere; Adam lr 0.002, betas (0, 0.99), one D step per G step;
- non-saturating logistic loss, lazy R1 every 16 D steps, lazy path length every 4 G steps;
- style mixing (mixing_prob 0.9, the paper's): per image, with that probability, a second z's w
  from a crossover index drawn uniformly in [1, num_ws) on (the StyleGAN paper's wording, "a given
  percentage of images"; NVIDIA's code draws one decision per batch);
- the EMA of G (kept by the harness), which evaluation, samples and curves use.

Scaled for the small version (defaults), and why:
- width 32 (`width`): 32 feature maps at 4 and 8 px, 16 at 16 px, 8 at 32 px (StyleGAN's rule,
  maps halved per doubling of the resolution, capped at `width`), for 512 at every resolution in
  NVIDIA's 32 px config: the CPU budget. Measured, batch 64, one thread (torch.set_num_threads(1)),
  D step + G step with R1 every 16 amortised, as CPU time per step on the development machine (2
  cores shared with other jobs): 127 ms at load ~6, 155-165 ms at load ~17 (width 48: 238 ms and
  width 64: ~250-310 ms under the same loads). z = w = 128-D (`latent_dim`), for 512: the styles
  feed at most 32 channels.
- mapping network 2 layers (`mapping_layers`), for 8: the 2 of NVIDIA's own 32 px settings (the
  `cifar` and `auto` configs of stylegan2-ada-pytorch); the lr multiplier stays 0.01
  (`mapping_lr_mul`), as both the paper and those configs keep it.
- r1_gamma 0.01, for 10 (FFHQ 1024): the `cifar` config's 32 px value (the `auto` heuristic,
  0.0002 res^2 / batch, gives 0.0032 here); r1_every 16 as the paper.
- path length off (pl_weight 0; 2 in the paper, 0 in NVIDIA's `cifar` config): it buys W-space
  smoothness (PPL, easier inversion), which no ganbench metric scores. `--hp pl_weight=2` turns
  it on (pl_every 4, on half a batch, decay 0.01 as the paper's code); being lazy it adds little
  to a step (measured within the noise of the figures above).
- EMA half-life 2,000 images (`ema_half_life`) with ramp-up 0.05 (`ema_rampup`): the paper's
  10k images at batch 32 is 0.04% of its 25M-image run; that fraction of ganbench's budgets
  (quick 32k images, standard 640k) is 13 and 256 images, under a few batches, so not a literal
  scale. 2,000 images (~31 steps of 64) is 6% of the quick run and 0.3% of the standard one;
  the ramp-up (0.05, the `auto` / `cifar` configs of NVIDIA's later code; config F has none) caps
  it at 5% of the images seen, so early on, and on the quick budget throughout, it follows G
  closely.

Changed: the noise strength is learned per channel (StyleGAN's "per-feature scaling factors");
StyleGAN2's code learns one scalar per layer, a special case.

Dropped, and why:
- the [1, 3, 3, 1] FIR resampling with transposed / strided convolutions: bilinear x2
  up-sampling (the same separable filter, edges replicated) before the modulated conv in G, and
  2x2 average pooling in D: plain ops, cheaper on a CPU;
- mixed precision, conv clamping, the fused grouped modulated conv (an implementation speed-up:
  the unfused form here is the same map), the w running average and the truncation trick (an
  evaluation-time trade-off; ganbench scores psi = 1, as FID is reported);
- progressive growing was already gone from StyleGAN2; the "large networks" of its section 4 too.
- G's output is linear (as the paper); the sampled images are clipped to [-1, 1], the data range,
  for evaluation (as any image export is); D trains on the unclipped output.

At ganbench's CPU budgets this G learns slowly: on mnist32 (4,000 training images) runs of 400
to 2,000 steps at the defaults cover few digits and hop between them (measured while writing it;
r1_gamma 1, mixing_prob 0, mbstd_group 32, mapping_lr_mul 1, width 64 or lr 5e-4 did not fix it
at 400 steps). With DCGAN's G in its place, the same D, losses and optimizer cover every digit at
400 steps; and regressing 64 fixed z onto 64 digits, this G reaches a mean squared error of 0.058
after 1,500 Adam steps (the mean image: 0.186) where DCGAN's G reaches 0.002 in 300. Modulation
is its only path from z, and the paper trains on 25M images. NVIDIA's own code does the same at
this size and budget (stylegan2-ada-pytorch's `cifar` config at these channel counts, 500 steps
on mnist32: one pattern, FID 49.3 against ganbench's 60.6; docs/variants.md, the sixth audit pass).

The noise inputs and style mixing draw from the global torch RNG (seeded per run and restored on
resume), like dropout; z and the data order come from the run's generator as for every variant.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch

from ganbench.core import hparams as hpr
from ganbench.data.base import DataSpec
from ganbench.nets.losses import bce_fake, bce_real, zero_centred_penalty
from ganbench.nets.stylegan2_nets import StyleGAN2Discriminator, StyleGAN2Generator
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register
from ganbench.variants.updates import Joint, StepContext, Update

PL_BATCH_SHRINK = 2  # path length on half a batch (StyleGAN2Loss pl_batch_shrink)
PL_DECAY = 0.01  # the running mean a of the path lengths (pl_decay)
RESOLUTION = 32


def probability() -> hpr.Rule:
    return hpr.Rule(
        lambda v: isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1,
        "a probability in [0, 1] (e.g. 0.9)",
    )


def mix_styles(ws: torch.Tensor, ws2: torch.Tensor, cutoff: torch.Tensor) -> torch.Tensor:
    """Style mixing: sample n takes ws[n, l] for l < cutoff[n] and ws2[n, l] from there on
    (cutoff = num_ws: no mixing)."""
    layer = torch.arange(ws.shape[1], device=ws.device)
    use_second = layer[None, :] >= cutoff[:, None]
    return torch.where(use_second[:, :, None], ws2, ws)


def path_lengths(img: torch.Tensor, ws: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """||J_w^T y|| per sample, the Jacobian of img w.r.t. ws (N, L, w_dim): the squared norm over
    w_dim averaged over the L style inputs, then the root. Differentiable (create_graph)."""
    (grad,) = torch.autograd.grad((img * y).sum(), ws, create_graph=True)
    return grad.pow(2).sum(dim=2).mean(dim=1).sqrt()


@register(
    "stylegan2",
    family="modern",
    paper="Karras et al. 2020, arXiv:1912.04958",
    supports=("image",),
    datasets=("mnist32", "stacked-mnist32"),
)
class StyleGAN2(Variant):
    shared_nets = False  # its networks are its own: --hp arch does not apply
    defaults: ClassVar[dict[str, Any]] = {
        "latent_dim": 128,
        "width": 32,
        "mapping_layers": 2,
        "mapping_lr_mul": 0.01,
        "r1_gamma": 0.01,
        "r1_every": 16,
        "pl_weight": 0.0,
        "pl_every": 4,
        "mixing_prob": 0.9,
        "mbstd_group": 4,
        "ema_half_life": 2000,
        "ema_rampup": 0.05,
    }
    rules: ClassVar[dict[str, hpr.Rule]] = {
        "width": hpr.positive_int(),
        "mapping_layers": hpr.positive_int(),
        "mapping_lr_mul": hpr.positive_number(),
        "r1_gamma": hpr.non_negative_number(),
        "r1_every": hpr.positive_int(),
        "pl_weight": hpr.non_negative_number(),
        "pl_every": hpr.positive_int(),
        "mixing_prob": probability(),
        "mbstd_group": hpr.positive_int(),
    }
    d_optim = OptimSpec("adam", lr=0.002, betas=(0.0, 0.99))
    g_optim = OptimSpec("adam", lr=0.002, betas=(0.0, 0.99))

    @classmethod
    def data_problem(cls, spec: DataSpec) -> str:
        size = tuple(spec.shape[1:])
        if size == (RESOLUTION, RESOLUTION):
            return ""
        what = "x".join(map(str, size)) + " px images" if len(size) == 2 else f"{spec.kind} data"
        return (
            f"stylegan2 builds 4 -> 8 -> 16 -> 32 px images, not {what}; use mnist32 "
            "(or stacked-mnist32), the 28 px sets padded to 32"
        )

    def setup(self) -> None:
        super().setup()
        self.pl_mean = torch.zeros(())  # the running mean a of the path lengths

    def build(self, spec: DataSpec) -> dict[str, torch.nn.Module]:
        channels = spec.shape[0]
        G = StyleGAN2Generator(
            self.latent_dim,
            channels,
            width=int(self.hp["width"]),
            mapping_layers=int(self.hp["mapping_layers"]),
            mapping_lr_mul=float(self.hp["mapping_lr_mul"]),
        )
        D = StyleGAN2Discriminator(channels, int(self.hp["width"]), int(self.hp["mbstd_group"]))
        return {"G": G, "D": D}

    # --- the step ----------------------------------------------------------------------------
    def updates(self) -> list[Update | Joint]:
        ups = list(super().updates())
        if self.hp["r1_gamma"] > 0:
            ups.append(
                Update("D", self.r1_step, every=int(self.hp["r1_every"]), lazy=True, log="r1")
            )
        if self.hp["pl_weight"] > 0:
            ups.append(
                Update("G", self.pl_step, every=int(self.hp["pl_every"]), lazy=True, log="pl")
            )
        return ups

    def styles(self, z: torch.Tensor) -> torch.Tensor:
        """ws (N, num_ws, w_dim) for training: w = f(z) at every layer, or, for a mixing_prob
        fraction of the images, a second z's w from a crossover index in [1, num_ws) on."""
        G = self.G
        ws = G.broadcast(G.mapping(z))
        p = float(self.hp["mixing_prob"])
        if p <= 0:
            return ws
        n, layers = z.shape[0], ws.shape[1]
        mixed = torch.rand(n, device=z.device) < p
        crossover = torch.randint(1, layers, (n,), device=z.device)
        cutoff = torch.where(mixed, crossover, torch.full_like(crossover, layers))
        ws2 = G.broadcast(G.mapping(torch.randn_like(z)))
        return mix_styles(ws, ws2, cutoff)

    def fake(self, z: torch.Tensor) -> torch.Tensor:
        """Training fakes: style mixing on, noise inputs drawn, G's raw (unclipped) output."""
        return self.G.synthesis(self.styles(z))

    def d_loss(self, real, z, labels):
        with torch.no_grad():
            fake = self.fake(z)
        return bce_real(self.D(real)) + bce_fake(self.D(fake))

    def g_loss(self, z, labels):
        return bce_real(self.D(self.fake(z)))

    def r1_loss(self, real: torch.Tensor) -> torch.Tensor:
        """(gamma / 2) E ||grad_x D(x)||^2 on reals (unscaled: the harness multiplies by k)."""
        return 0.5 * float(self.hp["r1_gamma"]) * zero_centred_penalty(self.D, real)

    def r1_step(self, ctx: StepContext) -> torch.Tensor:
        real, _ = ctx.stream.next()
        return self.r1_loss(real)

    def pl_loss(self, z: torch.Tensor) -> torch.Tensor:
        """pl_weight E[(||J_w^T y|| - a)^2], a updated first (a <- a + 0.01 (mean length - a))."""
        ws = self.styles(z)
        img = self.G.synthesis(ws)
        y = torch.randn_like(img) / math.sqrt(img.shape[2] * img.shape[3])
        lengths = path_lengths(img, ws, y)
        mean = self.pl_mean.to(lengths.device, lengths.dtype)
        mean = mean + PL_DECAY * (lengths.mean().detach() - mean)
        self.pl_mean = mean.detach()
        return float(self.hp["pl_weight"]) * (lengths - mean).pow(2).mean()

    def pl_step(self, ctx: StepContext) -> torch.Tensor:
        n = max(ctx.batch_size // PL_BATCH_SHRINK, 1)
        return self.pl_loss(self.noise(n, ctx.device, ctx.generator))

    def extra_state(self) -> dict[str, Any]:
        return {"pl_mean": self.pl_mean.detach().cpu().clone()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        unknown = set(state) - {"pl_mean"}
        if unknown:
            raise ValueError(f"stylegan2 keeps only pl_mean, got {sorted(unknown)}")
        if "pl_mean" in state:
            self.pl_mean = state["pl_mean"].clone()

    # --- sampling ----------------------------------------------------------------------------
    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Evaluation's images: G(z) without mixing, clipped to the data range [-1, 1]."""
        return self.G(z).clamp(-1.0, 1.0)
