"""Unrolled GAN (Metz et al. 2017, "Unrolled Generative Adversarial Networks").

With f(θ_G, θ_D) = E_x[log D(x)] + E_z[log(1 - D(G(z)))], the generator trains against the
discriminator as it will be after K of its own optimizer steps, differentiating through them:
    θ_D^0 = θ_D,   θ_D^{k+1} = θ_D^k + U(∂f(θ_G, θ_D^k)/∂θ_D^k, state_k)
    min_G  f_K(θ_G, θ_D) = f(θ_G, θ_D^K(θ_G, θ_D))                     (the minimax game)
The discriminator's own update is the ordinary one (on f, not unrolled). K = 5 (the paper's 2-D
experiments use 5 and 10).

The update U (hyper-parameter `unroll_optim`):
- "adam" (default): the update of the optimizer D is trained with, as the authors' 2-D release
  (poolio/unrolled_gan, "Unrolled GAN demo.ipynb": Keras Adam's update ops chained with
  `graph_replace`). Written out here: m ← β1 m + (1-β1) g, v ← β2 v + (1-β2) g², t ← t + 1,
    θ ← θ - lr · (m / (1 - β1^t)) / (sqrt(v / (1 - β2^t)) + ε),
  with lr and betas from `d_optim` and ε = 1e-8 (torch's and the release's default). m, v and t
  start from the D optimizer's current state, taken as constants, and then evolve inside the unroll
  as differentiable functions of the unrolled gradients (as the release's graph_replace does).
  The harness does not hand the optimizer to the variant, so that state is mirrored here: after
  every D step (`after_d_step`) the same moment updates are applied to a shadow copy from the
  gradients D was just stepped with; for Adam without weight decay this equals
  torch.optim.Adam's exp_avg / exp_avg_sq / step exactly (tested). sqrt(v̂) is taken as
  sqrt(v̂ + ε²) inside the unroll, so that a zero second moment has a finite derivative.
- "sgd": plain differentiable SGD with step `unroll_lr` (the paper's equation as written; the
  former default here, kept as an option).
Measured (ring8, quick preset, 1,500 steps, seed 0, 128-wide MLPs, one thread, 2-core CPU
shared with other jobs): adam 8/8 modes, hq 0.524, reverse KL 0.001; sgd
(`--hp unroll_optim=sgd`) 8/8, hq 0.693, reverse KL 0.001. One seed each: no ranking between
the two follows; Adam stays the default because it is what the authors unroll. The Adam unroll
costs more per step (CPU user time of the whole run 3m24s vs 2m27s, both under contention).

The unrolled steps run on a functional copy of D (torch.func.functional_call; D is untouched),
keep the second-order term (create_graph) and use the real batch of the latest D step and the
G step's own samples (the paper draws fresh batches per unrolled step; one batch saves time).
Default outer loss: the non-saturating -E[log D_K(G(z))] (`minimax = False`), as `dcgan` here;
`minimax = True` is the paper's f_K. With the shared networks at the quick budget the minimax form
saturated and G left the data (ring8, 1500 steps, SGD unroll: 0/8 modes, D loss -> 0.01).
Optimisers as the authors' 2-D release: Adam β1 0.5, D lr 1e-4, G lr 1e-3 (the release trains
25,000 steps at batch 512 with z 256-D and 2x128 tanh MLPs; we use the shared MLP pair).
"""

from __future__ import annotations

import torch
from torch.func import functional_call

from ganbench.core.hparams import HyperParameterError
from ganbench.nets.losses import bce_fake, bce_real
from ganbench.variants._real_batch import RemembersRealBatch
from ganbench.variants.base import OptimSpec, Variant
from ganbench.variants.registry import register

ADAM_EPS = 1e-8  # torch.optim.Adam's and the authors' release's epsilon


class AdamMoments:
    """Shadow of an Adam optimizer's state (m, v, step) for a set of named parameters, updated
    from the gradients the real optimizer was stepped with."""

    def __init__(self, betas: tuple[float, float]) -> None:
        self.betas = betas
        self.m: dict[str, torch.Tensor] = {}
        self.v: dict[str, torch.Tensor] = {}
        self.step = 0

    def update(self, named: dict[str, torch.nn.Parameter]) -> None:
        b1, b2 = self.betas
        self.step += 1
        for k, p in named.items():
            if p.grad is None:  # torch's Adam skips such a parameter: no state change
                continue
            g = p.grad.detach()
            if k not in self.m:
                self.m[k], self.v[k] = torch.zeros_like(g), torch.zeros_like(g)
            self.m[k].mul_(b1).add_(g, alpha=1 - b1)
            self.v[k].mul_(b2).addcmul_(g, g, value=1 - b2)


def adam_step(
    params: dict[str, torch.Tensor],
    grads: dict[str, torch.Tensor],
    m: dict[str, torch.Tensor],
    v: dict[str, torch.Tensor],
    step: int,
    lr: float,
    betas: tuple[float, float],
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """One differentiable Adam step: (new params, new m, new v); `step` is the step number t
    after the increment (1 for the first step)."""
    b1, b2 = betas
    bc1, bc2 = 1 - b1**step, 1 - b2**step
    new_p, new_m, new_v = {}, {}, {}
    for k, p in params.items():
        g = grads[k]
        new_m[k] = b1 * m[k] + (1 - b1) * g
        new_v[k] = b2 * v[k] + (1 - b2) * g * g
        denom = torch.sqrt(new_v[k] / bc2 + ADAM_EPS**2) + ADAM_EPS
        new_p[k] = p - lr * (new_m[k] / bc1) / denom
    return new_p, new_m, new_v


@register("unrolled-gan", family="mode-collapse", paper="Metz et al. 2017, arXiv:1611.02163")
class UnrolledGAN(RemembersRealBatch, Variant):
    defaults = {"unroll_steps": 5, "unroll_optim": "adam", "unroll_lr": 0.05, "minimax": False}
    d_optim = OptimSpec("adam", lr=1e-4, betas=(0.5, 0.999))
    g_optim = OptimSpec("adam", lr=1e-3, betas=(0.5, 0.999))

    def __init__(self, spec, **overrides) -> None:
        super().__init__(spec, **overrides)
        if self.hp["unroll_optim"] not in ("adam", "sgd"):
            raise HyperParameterError(
                f"variant 'unrolled-gan': unroll_optim must be 'adam' or 'sgd', "
                f"not {self.hp['unroll_optim']!r}"
            )
        if self.hp["unroll_optim"] == "adam" and self.d_optim.name != "adam":
            raise ValueError("unroll_optim='adam' needs D trained with Adam")
        self.d_moments = AdamMoments(self.d_optim.betas)

    @staticmethod
    def discriminator_loss(logits_real: torch.Tensor, logits_fake: torch.Tensor) -> torch.Tensor:
        """-f: the discriminator's binary cross-entropy."""
        return bce_real(logits_real) + bce_fake(logits_fake)

    def d_loss(self, real, z, labels):
        self.remember_real(real)
        with torch.no_grad():
            fake = self.generate(z)
        return self.discriminator_loss(self.D(real), self.D(fake))

    def after_d_step(self) -> None:
        # mirror D's Adam state from the gradients it was just stepped with
        self.d_moments.update(dict(self.D.named_parameters()))

    def unrolled_params(self, real: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        """θ_D^K as a differentiable function of θ_D and of the fakes (hence of θ_G)."""
        params = dict(self.D.named_parameters())
        buffers = dict(self.D.named_buffers())
        adam = self.hp["unroll_optim"] == "adam"
        if adam:  # the optimizer's current state, as constants
            m = {k: self.d_moments.m.get(k, torch.zeros_like(p)).detach() for k, p in params.items()}
            v = {k: self.d_moments.v.get(k, torch.zeros_like(p)).detach() for k, p in params.items()}
            step = self.d_moments.step
        for _ in range(int(self.hp["unroll_steps"])):
            loss = self.discriminator_loss(
                functional_call(self.D, (params, buffers), (real,)),
                functional_call(self.D, (params, buffers), (fake,)),
            )
            grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
            named_grads = dict(zip(params, grads, strict=True))
            if adam:
                step += 1
                params, m, v = adam_step(
                    params, named_grads, m, v, step, self.d_optim.lr, self.d_optim.betas
                )
            else:
                params = {k: p - self.hp["unroll_lr"] * named_grads[k] for k, p in params.items()}
        return params

    def g_loss(self, z, labels):
        fake = self.generate(z)
        real = self.last_real()
        params = self.unrolled_params(real, fake)
        buffers = dict(self.D.named_buffers())
        logits_fake = functional_call(self.D, (params, buffers), (fake,))
        if self.hp["minimax"]:
            # min_G f_K = -(D's loss at θ_D^K); the real term depends on θ_G through θ_D^K
            logits_real = functional_call(self.D, (params, buffers), (real,))
            return -self.discriminator_loss(logits_real, logits_fake)
        return bce_real(logits_fake)
