"""The exponential moving average of a variant's nets (its `ema_nets`), kept by the harness when
the run's ema_half_life > 0 (StyleGAN2, Karras et al. 2020; ProGAN; BigGAN; R3GAN evaluate it).

After every step of `batch` images, with n images seen so far:
    half = ema_half_life                       (in images)
    half = min(half, n * ema_rampup)           (ramp-up, when ema_rampup is set)
    beta = 0.5 ** (batch / half)
    θ_ema <- θ + beta (θ_ema - θ)              (lerp(θ, θ_ema, beta)); buffers copied from θ
so that after `half` images a parameter's old value weighs one half. The copies start equal to
the nets and are what evaluation, samples and curves use (Model.using(variant.averaged)).
"""

from __future__ import annotations

import copy

import torch
from torch import nn


def ema_beta(batch: int, images_seen: int, half_life: float, rampup: float | None) -> float:
    half = half_life if rampup is None else min(half_life, images_seen * rampup)
    return 0.5 ** (batch / max(half, 1e-8))


class Averager:
    def __init__(self, nets: dict[str, nn.Module], half_life: float, rampup: float | None) -> None:
        self.live = nets
        self.half_life, self.rampup = float(half_life), rampup
        self.copies = {k: copy.deepcopy(m).requires_grad_(False) for k, m in nets.items()}
        self.images = 0

    @torch.no_grad()
    def update(self, batch: int) -> None:
        self.images += batch
        beta = ema_beta(batch, self.images, self.half_life, self.rampup)
        for key, net in self.live.items():
            avg = self.copies[key]
            for p_avg, p in zip(avg.parameters(), net.parameters(), strict=True):
                p_avg.copy_(p.detach().lerp(p_avg, beta))
            for b_avg, b in zip(avg.buffers(), net.buffers(), strict=True):
                b_avg.copy_(b)

    def state_dict(self) -> dict:
        return {"images": self.images, "nets": {k: m.state_dict() for k, m in self.copies.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.images = int(state["images"])
        for k, sd in state["nets"].items():
            self.copies[k].load_state_dict(sd)


def describe(half_life: float, rampup: float | None, nets: tuple[str, ...]) -> str:
    """The row's `ema` cell: empty when off."""
    if not half_life:
        return ""
    ramp = f", ramp-up {rampup:g}" if rampup else ""
    return f"{'+'.join(nets)} half-life {half_life:g} images{ramp}"
