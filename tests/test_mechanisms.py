"""What the harness owns and a variant only declares: the EMA of its generator, lazy
regularisation with the StyleGAN2 optimizer correction, phases that change with the step, a
custom step, and a run stopped and resumed mid-way (mid-fade) giving the networks of an
uninterrupted run."""

from __future__ import annotations

import pytest
import torch
from _resume_helper import trained_or_resumed
from torch import nn

from ganbench.cli import main
from ganbench.core.config import Budget
from ganbench.core.seeding import make_generator, seed_everything
from ganbench.data import get_dataset
from ganbench.harness.ema import Averager, describe, ema_beta
from ganbench.harness.train import build_optimizers, train
from ganbench.variants.base import OptimSpec, Player
from ganbench.variants.gan import DCGAN
from ganbench.variants.schedule import Phase, Schedule
from ganbench.variants.updates import Custom, Update

RING = get_dataset("ring8")
CPU = torch.device("cpu")


# --- EMA --------------------------------------------------------------------------------------


def test_ema_is_the_hand_computed_average_of_a_parameter_sequence():
    net = nn.Linear(1, 1, bias=False)
    values = [0.0, 1.0, 3.0, -2.0, 5.0, 4.0]
    with torch.no_grad():
        net.weight.fill_(values[0])
    avg = Averager({"G": net}, half_life=64, rampup=None)
    expected = values[0]
    for v in values[1:]:
        with torch.no_grad():
            net.weight.fill_(v)
        avg.update(batch=16)
        beta = 0.5 ** (16 / 64)
        expected = v + beta * (expected - v)
        assert avg.copies["G"].weight.item() == pytest.approx(expected, rel=1e-6)
    assert net.weight.item() == values[-1]  # the live net is untouched


def test_ema_half_life_ramps_up_with_the_images_seen():
    assert ema_beta(16, 160, half_life=1000, rampup=0.05) == pytest.approx(0.5 ** (16 / 8.0))
    assert ema_beta(16, 10**6, half_life=1000, rampup=0.05) == pytest.approx(0.5 ** (16 / 1000))
    assert ema_beta(16, 16, half_life=1000, rampup=None) == pytest.approx(0.5 ** (16 / 1000))
    assert describe(0, None, ("G",)) == ""
    assert describe(500, 0.05, ("G",)) == "G half-life 500 images, ramp-up 0.05"


def test_evaluation_samples_the_ema_generator_when_it_is_on():
    seed_everything(0)
    v = DCGAN(RING.spec, ema_half_life=200)
    train(v, RING, Budget(20, 32), CPU, make_generator(0), 10)
    assert set(v.averaged) == {"G"}
    z_gen = make_generator(5)
    got = v.typed_heads(CPU, z_gen).generate(64)
    z = torch.randn(64, v.latent_dim, generator=make_generator(5))
    with torch.no_grad():
        assert torch.allclose(got, v.averaged["G"].eval()(z))
        assert not torch.allclose(got, v.G(z))  # the raw generator differs
    assert v.G is not v.averaged["G"] and v.nets["G"] is v.G  # swapped back after sampling


def test_no_ema_unless_asked():
    v = DCGAN(RING.spec)
    train(v, RING, Budget(2, 16), CPU, make_generator(0), 1)
    assert v.averaged == {}


# --- lazy regularisation ------------------------------------------------------------------------


class _Lazy(DCGAN):
    """D also has a regulariser w (a parameter of its own) whose loss is w, run lazily."""

    calls: list[int]

    def build(self, spec):
        G, D = super().build(spec)
        D.w = nn.Parameter(torch.zeros(()))
        return G, D

    def players(self):
        return {"D": Player(("D",), OptimSpec("sgd", lr=1.0)), "G": Player(("G",), self.g_optim)}

    def updates(self):
        self.calls = []
        return [
            Update("D", self.d_step, log="d_loss"),
            Update("D", self.reg_step, every=4, lazy=True, log="reg"),
            Update("G", self.g_step, log="g_loss"),
        ]

    def d_step(self, ctx):
        return 0.0 * self.D.w + 0.0 * sum(p.sum() for p in self.D.parameters())

    def reg_step(self, ctx):
        self.calls.append(ctx.step)
        return self.D.w


def test_a_lazy_update_runs_every_k_steps_scaled_by_k_with_the_corrected_optimizer():
    v = _Lazy(RING.spec)
    train(v, RING, Budget(8, 16), CPU, make_generator(0), 4)
    assert v.calls == [4, 8]
    c = 4 / 5  # StyleGAN2: lr x k/(k+1)
    # two regulariser steps, each with gradient k (its loss scaled by k) and lr 1 * c
    assert v.D.w.item() == pytest.approx(-2 * 4 * c, rel=1e-6)


def test_the_lazy_correction_of_adam():
    v = _Lazy(RING.spec)
    opts = build_optimizers(v, v.updates())
    assert opts["D"].defaults["lr"] == pytest.approx(0.8)
    spec = OptimSpec("adam", lr=2e-3, betas=(0.0, 0.99)).lazy(16)
    c = 16 / 17
    assert spec.lr == pytest.approx(2e-3 * c)
    assert spec.betas == pytest.approx((0.0, 0.99**c))
    assert opts["G"].defaults["lr"] == v.g_optim.lr  # a player without a lazy update: as declared


# --- phases -------------------------------------------------------------------------------------


def test_schedule_stages_and_fade_in():
    s = Schedule(stages=4, fade=0.1, stable=0.15)  # 0.15 + 3 x 0.25 = 0.9 of the budget
    total = 100
    assert s.at(1, total) == Phase(0, 1.0)
    assert s.at(15, total) == Phase(0, 1.0)
    assert s.at(16, total) == Phase(1, 0.0)
    assert s.at(21, total) == Phase(1, pytest.approx(0.5))
    assert s.at(26, total) == Phase(1, 1.0)
    assert s.at(41, total) == Phase(2, 0.0)
    assert s.at(66, total) == Phase(3, 0.0)
    assert s.at(76, total) == Phase(3, 1.0) and s.at(100, total) == Phase(3, 1.0)
    on_edge = Schedule(stages=3, fade=0.1, stable=0.1)  # 0.1 + 0.2 = 0.30000000000000004
    assert on_edge.at(13, 40) == Phase(2, 0.0)  # t = 12/40 = 0.3: the next fade begins
    with pytest.raises(ValueError, match="more than the whole budget"):
        Schedule(stages=4, fade=0.3, stable=0.1)


class _Phased(DCGAN):
    """G's loss weighs its phase: the phase reaches the step it belongs to."""

    def schedule(self):
        return Schedule(stages=3, fade=0.3, stable=0.2)

    def setup(self):
        super().setup()
        self.phases: list[Phase] = []

    def on_phase(self, phase):
        self.phases.append(phase)

    def g_loss(self, z, labels):
        p = self.phases[-1]
        return (1 + p.stage + p.alpha) * super().g_loss(z, labels)


def _trained(resume_at: int | None, steps: int = 20):
    return trained_or_resumed(
        lambda: _Phased(RING.spec, ema_half_life=100), RING, steps, 16, resume_at
    )


def test_the_phase_of_every_step_reaches_the_variant():
    v, _ = _trained(None)
    assert [p.stage for p in v.phases] == [0] * 4 + [1] * 6 + [1] * 4 + [2] * 6
    assert v.phases[4].alpha == 0.0 and v.phases[9].alpha == pytest.approx(5 / 6)


def test_a_run_resumed_in_mid_fade_gives_the_networks_of_an_uninterrupted_run():
    straight, res_a = _trained(None)
    resumed, res_b = _trained(resume_at=10)  # step 10: stage 1, alpha 5/6, mid-fade
    assert resumed.phases[0] == straight.phases[10]
    for name in ("G", "D"):
        for a, b in zip(straight.nets[name].parameters(), resumed.nets[name].parameters(),
                        strict=True):  # fmt: skip
            assert torch.equal(a, b)
    for a, b in zip(straight.averaged["G"].parameters(), resumed.averaged["G"].parameters(),
                    strict=True):  # fmt: skip
        assert torch.equal(a, b)
    assert res_a.history == res_b.history


# --- a custom step ------------------------------------------------------------------------------


class _Custom(DCGAN):
    def updates(self):
        return [Custom(self.both, ("D", "G"))]

    def both(self, ctx, stepper):
        d = self.d_step(ctx)
        stepper.step("D", d)
        g = self.g_step(ctx)
        stepper.step("G", g)
        return {"d_loss": d, "g_loss": g}


def test_a_custom_step_trains_as_the_two_updates_it_writes_out():
    seed_everything(0)
    plain = DCGAN(RING.spec)
    train(plain, RING, Budget(6, 16), CPU, make_generator(0), 3)
    seed_everything(0)
    custom = _Custom(RING.spec)
    res = train(custom, RING, Budget(6, 16), CPU, make_generator(0), 3)
    assert set(res.history) == {"step", "d_loss", "g_loss"}
    for a, b in zip(plain.G.parameters(), custom.G.parameters(), strict=True):
        assert torch.equal(a, b)


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hp", "says"),
    [
        ("ema_half_life=-1", "ema_half_life takes a number >= 0"),
        ("ema_rampup=2", "ema_rampup takes a number in (0, 1], or None"),
    ],
)
def test_an_ema_that_makes_no_sense_is_refused(tmp_path, hp, says, capsys):
    out = tmp_path / "out"
    args = ["run", "--variant", "gan", "--dataset", "ring8", "--preset", "smoke", "--quiet"]
    assert main([*args, "--hp", hp, "--out", str(out)]) == 2
    assert says in capsys.readouterr().err
    assert not out.exists()


def test_ema_row_column(tmp_path):
    out = tmp_path / "out"
    args = ["run", "--variant", "gan", "--dataset", "ring8", "--preset", "smoke", "--quiet"]
    assert main([*args, "--hp", "ema_half_life=500", "--out", str(out), "--no-report"]) == 0
    text = (out / "leaderboard.csv").read_text()
    assert "G half-life 500 images" in text
