"""R3GAN, small (Huang, Gokaslan, Kuleshov, Tompkin, "The GAN is dead; long live the GAN! A Modern
GAN Baseline", NeurIPS 2024, arXiv:2501.05441). Sources: the paper and its released code
(brownvc/R3GAN @ 19a7ddf, no licence: read, nothing copied): R3GAN/Trainer.py for the loss,
train.py's CIFAR10 preset and training/training_loop.py for the settings, R3GAN/Networks.py for
the networks (ganbench/nets/r3gan_nets.py).

The loss: the relativistic pairing GAN (RpGAN) with zero-centred gradient penalties on both sides,
on pairs (x_r, x_f = G(z)) of the i-th real and the i-th fake of the batch, f = softplus:

    L_D = E[f(D(x_f) - D(x_r))] + (γ/2) (R1 + R2),   R1 = E||∇_x D(x_r)||²,  R2 = E||∇_x D(x_f)||²
    L_G = E[f(D(x_r) - D(x_f))]

each squared norm summed over a sample's elements, then averaged over the batch (the numbers of
ganbench.nets.losses.zero_centred_penalty; `scores_and_penalty` takes the scores and the input
gradient from one pass of D). Both penalties are part of every D step's loss: no lazy
regularisation, as the released Trainer. G's loss needs real samples: the harness hands g_loss
none, so it reuses the real batch of the latest D step (RemembersRealBatch), scored by the current
D, as the relativistic variants do. The real scores are constants for G, and G's step takes no
gradient for D's weights (the released loop enables gradients only for the module whose phase
runs): the same loss with less work.

What the small version keeps
- the loss above, exactly; R1 and R2 on every D step; one D step per G step;
- Adam with β1 = 0 for both players and the CIFAR-10 preset's starting values lr 2e-4, β2 0.9,
  γ 0.05 (`gamma`); latent size 64 (every preset's NoiseDimension);
- the architecture: no normalisation; ResNeXt blocks (1x1 expand x2, grouped 3x3 with
  `cardinality` groups, 1x1 back); fix-up init (each block's last conv zero, the other two with
  their He gain x L^(-1/(2m-2)) = L^(-1/4), m = 3 convs a branch, L the blocks of the net: the
  released VarianceScalingParameter = sum of BlocksPerStage); LeakyReLU 0.2 with a learned bias;
  resampling with the [1, 2, 1] filter used interpolatively (4-tap [1, 3, 3, 1]), not bilinear
  (the two agree away from the border); G from a learned 4x4 basis times linear(z); D's head a
  depthwise 4x4 conv and a linear layer; 4 -> 8 -> 16 -> 32 px; one width at every stage (as the
  CIFAR-10 preset) and 16 channels per group (CIFAR-10: 1536 expanded channels in 96 groups;
  here 32 in 2);
- the EMA of G, evaluated in its place (the harness's EMA, ganbench/harness/ema.py).

What it drops or changes, and why
- the size: CIFAR-10 has width 768, 2 blocks at each of 4 / 8 / 16 / 32 px, cardinality 96. Here
  `width` 16, `cardinality` 2, `blocks` (1, 1, 1, 0): one block at 4, 8 and 16 px, none at 32 px
  (G's 32 px stage is the upsampling and the 1x1 conv to the image, D's the 1x1 conv from it and
  the downsampling). R1 + R2 on every step differentiate D twice, and on a CPU the 32 px blocks
  are most of a step. Measured at batch 64 on ONE thread (torch.set_num_threads(1)), a step being
  one D and one G update with Adam and the EMA (the harness's train loop, mnist32), on this
  2-core machine shared with other jobs: 100 ms of the thread's CPU time a step (149 ms wall) at
  a load average of 6, 136-151 ms CPU (470-530 ms wall) at a load of 19. With a block at 32 px
  too (`--hp blocks=1`): 435 ms CPU at a load of 19, and 165 ms CPU at load 6 even at width 8.
  All are hyper-parameters (`width`, `cardinality`, `blocks` one count or one per stage,
  `expansion`);
- a tanh after G's last conv (`output`: "tanh"; "linear" is the released G, its samples clipped
  to [-1, 1] when evaluated). The released G ends linear and without bias, and at init it is
  linear in z with mean 0 (every block starts as the identity), while MNIST is mostly background
  at -1: at the quick budget (mnist32, 500 steps, seed 0, raw G) FID 29 with tanh, 658 linear;
  the released code itself at this size (its CIFAR10 preset at width 16, cardinality 2, 500 steps)
  scores 445.8 with grey backgrounds (docs/variants.md, the sixth audit pass);
- the cosine ramps of lr (2e-4 -> 5e-5), β2 (0.9 -> 0.99), γ (0.05 -> 0.005) and the augment
  probability over T = 2e7 images. At our budgets they do not move: a ramp is
  0.5 (1 - cos(π n / T)) of its way after n images, 0.25% after the standard image budget
  (10,000 steps x 64 = 640k images), 6e-6 after quick's 32k; the constants are the paper's
  schedule as it is at these budgets (squeezing T into a run would be a schedule it never ran);
- the augmentation (the ADA pipe with every op, p ramped 0 -> 0.55), bf16 in the last stages,
  the class conditioning (the released CIFAR-10 command trains a conditional model; the benchmark
  is unconditional) and x-flips: every variant trains on the same unaugmented data.

The EMA, scaled: the paper ramps G's EMA half-life on the same cosine from 0 to 5,000 kimg over
T = 2e7 images, so at n images the half-life is 5e6 x 0.5 (1 - cos(π n / T)), a fraction of n
that grows with n. The harness's EMA is linear, half-life = min(ema_half_life,
ema_rampup x images seen). We keep the paper's final half-life as the cap (ema_half_life = 5e6
images, never reached here) and take for ema_rampup the fraction the paper's own schedule reaches
at the end of the standard budget of each data kind: 12.6k / 640k images = 0.02 for images
(10,000 steps x 64), 766k / 5.12M = 0.15 for 2-D points (20,000 steps x 256). At quick's budget the
image EMA is short (640 images at the end; the paper's own would be 32). Measured at quick
(mnist32, 500 steps, seed 0; the raw G's FID 29): the EMA's FID 31 with 0.02, 37 with 0.05, 50
with 0.1, 74 with 0.25 (the whole cosine squeezed into the run: it ends at a quarter of the images
seen). On ring8 (quick, seed 0) an EMA helps: high-quality fraction 0.10 without, 0.27 with 0.15.

2-D mixtures (ring8, grid25): the paper reports no 2-D numbers. The loss and optimizer are the
same; the nets are the shared 2-D MLP pair (`shared_pair`, no normalisation; `--hp arch=`
applies), γ 0.05 as for images: at the quick budget (ring8, 1,000 steps x 256, seed 0, EMA
ramp-up 0.25) γ 0.05 and 1 both cover 8/8 modes (high-quality fraction 0.19 / 0.20), γ 10 does
worse (0.05). With the defaults at quick (seed 0): ring8 8/8 modes, grid25 20/25, mnist32 FID
31 and 7/10 digit classes; one seed each, budgets far below the paper's, so no claim of fidelity
to its numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ganbench.core import hparams as hpr
from ganbench.data.base import DataSpec
from ganbench.nets.r3gan_nets import SIZES, R3Discriminator, R3Generator
from ganbench.variants._real_batch import RemembersRealBatch
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register

IMAGE_SIZE = SIZES[-1]


def _block_counts(v: Any) -> bool:
    """One count for every stage (>= 1), or a count >= 0 for each of 4, 8, 16, 32 px, not all 0."""
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return v >= 1
    return (
        isinstance(v, tuple | list)
        and len(v) == len(SIZES)
        and all(isinstance(b, int) and not isinstance(b, bool) and b >= 0 for b in v)
        and sum(v) >= 1
    )


BLOCKS_RULE = hpr.Rule(
    _block_counts,
    f"a positive integer (blocks at every stage) or {len(SIZES)} integers >= 0, the blocks at "
    f"{', '.join(map(str, SIZES))} px (e.g. (1, 1, 1, 0))",
)


def rpgan_losses(c_real: torch.Tensor, c_fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(L_D, L_G) of the relativistic pairing GAN on the i-th real and i-th fake scores:
    L_D = mean softplus(c_fake - c_real), L_G = mean softplus(c_real - c_fake)."""
    n = min(len(c_real), len(c_fake))
    diff = c_real[:n] - c_fake[:n]
    return F.softplus(-diff).mean(), F.softplus(diff).mean()


def scores_and_penalty(critic: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(D(x), E||∇_x D(x)||²) from one pass of D: the scores and the zero-centred penalty of
    ganbench.nets.losses.zero_centred_penalty (the same numbers; that function runs D once more),
    both differentiable w.r.t. D's parameters. torch.func.grad, so it also runs under vmap."""

    def total(points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scores = critic(points)
        return scores.sum(), scores

    grad, scores = torch.func.grad(total, has_aux=True)(x.detach())
    return scores, grad.flatten(1).pow(2).sum(1).mean()


@contextmanager
def frozen(net: nn.Module) -> Iterator[None]:
    """`net`'s parameters out of the autograd graph built in the block (the released training
    loop enables gradients only for the module whose phase runs): a G step backpropagates through
    D to its input without computing D's weight gradients, which the G step never uses."""
    if not isinstance(net, nn.Module):  # a batched member's bound network (harness/batched.py)
        yield
        return
    flags = [(p, p.requires_grad) for p in net.parameters()]
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)


@register(
    "r3gan",
    family="modern",
    paper="Huang, Gokaslan, Kuleshov, Tompkin 2024 (NeurIPS), arXiv:2501.05441",
    supports=("points", "image"),
    datasets=("mnist32", "stacked-mnist32", "ring8", "grid25"),
)
class R3GAN(RemembersRealBatch, Variant):
    d_optim = OptimSpec("adam", lr=2e-4, betas=(0.0, 0.9))
    g_optim = OptimSpec("adam", lr=2e-4, betas=(0.0, 0.9))
    defaults: ClassVar[dict[str, Any]] = {"gamma": 0.05, "ema_half_life": 5e6}
    kind_defaults: ClassVar[dict[str, dict[str, Any]]] = {
        "image": {
            "latent_dim": 64,
            "width": 16,
            "cardinality": 2,
            "blocks": (1, 1, 1, 0),
            "expansion": 2,
            "output": "tanh",
            "ema_rampup": 0.02,
        },
        "points": {"ema_rampup": 0.15},
    }
    rules: ClassVar[dict[str, hpr.Rule]] = {
        "gamma": hpr.non_negative_number(),
        "width": hpr.positive_int(),
        "cardinality": hpr.positive_int(),
        "blocks": BLOCKS_RULE,
        "expansion": hpr.positive_int(),
        "output": hpr.one_of("tanh", "linear"),
    }

    @classmethod
    def check_hparams(cls, kind: str, hp: dict[str, Any]) -> None:
        super().check_hparams(kind, hp)
        if kind != "image":
            return
        merged = {**cls.known_hparams(kind), **hp}
        hidden = merged["width"] * merged["expansion"]
        if hidden % merged["cardinality"]:
            divisors = [d for d in range(1, hidden + 1) if hidden % d == 0]
            raise hpr.HyperParameterError(
                f"variant {cls.name!r}: --hp cardinality={merged['cardinality']} must divide the "
                f"expanded width {hidden} (width x expansion); give one of "
                f"{', '.join(map(str, divisors))}"
            )

    @classmethod
    def data_problem(cls, spec: DataSpec) -> str:
        if spec.kind == "image" and tuple(spec.shape[1:]) != (IMAGE_SIZE, IMAGE_SIZE):
            size = "x".join(map(str, spec.shape[1:]))
            return (
                f"r3gan builds 4 -> 8 -> 16 -> 32 px images, {spec.name!r} has {size} px; "
                "use mnist32 (or stacked-mnist32)"
            )
        return ""

    def build(self, spec: DataSpec) -> tuple[nn.Module, nn.Module]:
        if spec.kind == "points":
            return self.shared_pair(spec)
        size = {k: self.hp[k] for k in ("width", "cardinality", "blocks", "expansion")}
        tanh = self.hp["output"] == "tanh"
        return (
            R3Generator(self.latent_dim, spec.shape, **size, tanh=tanh),
            R3Discriminator(spec.shape, **size),
        )

    def d_loss(self, real, z, labels):
        self.remember_real(real)
        with torch.no_grad():
            fake = self.generate(z)
        c_real, r1 = scores_and_penalty(self.D, real)
        c_fake, r2 = scores_and_penalty(self.D, fake)
        adversarial, _ = rpgan_losses(c_real, c_fake)
        self.logs["r1"], self.logs["r2"] = r1.detach(), r2.detach()
        return adversarial + float(self.hp["gamma"]) / 2 * (r1 + r2)

    def g_loss(self, z, labels):
        with torch.no_grad():  # the real scores do not depend on G
            c_real = self.D(self.last_real())
        with frozen(self.D):  # gradients reach G through D's input, none to D's weights
            c_fake = self.D(self.generate(z))
        return rpgan_losses(c_real, c_fake)[1]

    @torch.no_grad()
    def sample(self, n, device, generator=None, labels=None):
        """The evaluated G's samples; images clipped to the data's [-1, 1], which matters only with
        output=linear (the released G, whose image writer clips to the pixel range)."""
        x = super().sample(n, device, generator, labels)
        return x.clamp(-1, 1) if self.spec.kind == "image" else x
