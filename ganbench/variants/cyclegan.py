"""CycleGAN (Zhu et al. 2017, arXiv:1703.10593): unpaired translation with two generators
G_AB: A -> B, G_BA: B -> A and a PatchGAN D per domain, tied by cycle consistency.

  L_GAN(G_AB, D_B) = E[(D_B(G_AB(a)) - 1)²]          (LSGAN, paper section 4 "Training details")
  L_cyc = E|G_BA(G_AB(a)) - a|₁ + E|G_AB(G_BA(b)) - b|₁                            (eq. 2)
  L_id  = E|G_BA(a) - a|₁ + E|G_AB(b) - b|₁          (the paper's identity loss, painting -> photo)
  min_G  ½ [L_GAN(G_AB, D_B) + L_GAN(G_BA, D_A)] + λ_cyc ½ L_cyc + λ_id ½ L_id
  min_D_A  ½ E[(D_A(a) - 1)²] + ½ E[D_A(ã)²]   with ã drawn from a replay buffer of past G_BA(b)
  (D_B likewise)

λ_cyc = 10 (paper), λ_id = 5 = 0.5 λ_cyc (the zoo's `lambda_id = 0.5 * lambda_cyc`; the paper's
0.5 λ). Each of the three terms is averaged over the two directions, as the PyTorch-GAN zoo
(the authors' code sums them; the ratios are the same). The replay buffer holds 50 past fakes
per D (paper section 4, after Shrivastava et al.; ganbench/nets/replay.py). Adam(2e-4, β = (0.5,
0.999)) for one G optimizer over both generators and for each D; updates: G, then D_A, then D_B.
`cycle` and `identity` (the unweighted averaged L1 terms) are logged per step.

At 28 px (ganbench/nets/resnet_gen.py, nets/patchgan.py): ResNet generators of width 8 with 1
residual block at 7 x 7 (paper: width 64, 9 blocks at 256 px, 6 at 128 px) and 3 x 3 end convs
(paper: 7 x 7), PatchGANs of width 8 with a 7 x 7 grid of 18 x 18 px patches (paper: width 64,
70 x 70 of 256 px). A step runs each generator 3 times (translation, cycle, identity), so the
widths are cut to keep a CPU step in budget. The paper's linear learning-rate decay over its
second 100 epochs is omitted (budgets are a few hundred steps); batch size is the preset's
(paper: 1).
"""

from __future__ import annotations

import torch

from ganbench.data.base import DataSpec
from ganbench.nets.losses import l1
from ganbench.nets.patchgan import PatchDiscriminator
from ganbench.nets.replay import ReplayBuffer
from ganbench.nets.resnet_gen import ResnetGenerator
from ganbench.variants.base import Player, Translator
from ganbench.variants.registry import register
from ganbench.variants.updates import StepContext, Update

G_WIDTH, G_BLOCKS, D_WIDTH = 8, 1, 8


@register(
    "cyclegan",
    family="translation",
    paper="Zhu et al. 2017, arXiv:1703.10593",
    supports=("translation",),
    datasets=("mnist2inverse-thick",),
)
class CycleGAN(Translator):
    relations = ("unpaired",)
    two_way = True
    defaults = {
        "lr": 2e-4,
        "betas": (0.5, 0.999),
        "cycle_weight": 10.0,
        "identity_weight": 5.0,
        "buffer_size": 50,
    }

    def build_nets(self, spec: DataSpec) -> dict[str, torch.nn.Module]:
        c_a, c_b = self.same_size_channels(spec)
        if c_a != c_b:
            raise ValueError(
                "cyclegan's identity term needs both domains to have one channel count"
            )
        self.buffers = {d: ReplayBuffer(int(self.hp["buffer_size"])) for d in ("A", "B")}
        return {
            "G_AB": ResnetGenerator(c_a, c_b, G_WIDTH, G_BLOCKS),
            "G_BA": ResnetGenerator(c_b, c_a, G_WIDTH, G_BLOCKS),
            "D_A": PatchDiscriminator(c_a, D_WIDTH),
            "D_B": PatchDiscriminator(c_b, D_WIDTH),
        }

    def players(self):
        opt = self.adam()
        return {
            "G": Player(("G_AB", "G_BA"), opt),
            "D_A": Player(("D_A",), opt),
            "D_B": Player(("D_B",), opt),
        }

    def updates(self) -> list[Update]:
        return [
            Update("G", self.g_step, log="g_loss"),
            Update("D_A", self.d_a_step, log="d_a_loss"),
            Update("D_B", self.d_b_step, log="d_b_loss"),
        ]

    # --- the losses, on tensors ----------------------------------------------------------------
    def g_loss(
        self, a: torch.Tensor, b: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(G's loss, fake_a, fake_b)."""
        # Each generator sees its translation input and its identity input in one batch: instance
        # norm is per sample, so this equals two calls, at a lower CPU cost.
        fake_b, same_b = self.G_AB(torch.cat([a, b])).split([len(a), len(b)])
        fake_a, same_a = self.G_BA(torch.cat([b, a])).split([len(b), len(a)])
        gan = 0.5 * (((self.D_B(fake_b) - 1) ** 2).mean() + ((self.D_A(fake_a) - 1) ** 2).mean())
        cycle = 0.5 * (l1(self.G_BA(fake_b), a) + l1(self.G_AB(fake_a), b))
        identity = 0.5 * (l1(same_a, a) + l1(same_b, b))
        self.logs["cycle"], self.logs["identity"] = cycle.detach(), identity.detach()
        loss = gan + self.hp["cycle_weight"] * cycle + self.hp["identity_weight"] * identity
        return loss, fake_a, fake_b

    @staticmethod
    def d_loss(d: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((d(real) - 1) ** 2).mean() + 0.5 * (d(fake) ** 2).mean()

    # --- the step ---------------------------------------------------------------------------
    def g_step(self, ctx: StepContext) -> torch.Tensor:
        pair = ctx.stream.next()
        loss, fake_a, fake_b = self.g_loss(pair.a, pair.b)
        ctx.cache.update(a=pair.a, b=pair.b, fake_a=fake_a.detach(), fake_b=fake_b.detach())
        return loss

    def d_a_step(self, ctx: StepContext) -> torch.Tensor:
        fake = self.buffers["A"].push_and_pop(ctx.cache["fake_a"], ctx.generator)
        return self.d_loss(self.D_A, ctx.cache["a"], fake)

    def d_b_step(self, ctx: StepContext) -> torch.Tensor:
        fake = self.buffers["B"].push_and_pop(ctx.cache["fake_b"], ctx.generator)
        return self.d_loss(self.D_B, ctx.cache["b"], fake)

    # --- heads ------------------------------------------------------------------------------
    def translate(self, a: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.G_AB(a)

    def translate_back(self, b: torch.Tensor) -> torch.Tensor:
        return self.G_BA(b)
