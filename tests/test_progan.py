"""ProGAN-small (ganbench/variants/progan.py, ganbench/nets/progan_nets.py): the schedule of
resolutions and fade-in through the harness, a resume in mid-fade, the fade of G / D / the reals,
pixel norm, equalized learning rate, minibatch standard deviation, the critic's loss on
closed-form critics, a smoke run through the CLI, and the refusals."""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F
from _resume_helper import trained_or_resumed
from torch import nn

from ganbench.cli import main
from ganbench.core.config import Budget
from ganbench.core.hparams import HyperParameterError
from ganbench.core.seeding import make_generator, seed_everything
from ganbench.data import get_dataset
from ganbench.harness.train import train
from ganbench.nets.progan_nets import (
    EqualizedConv2d,
    EqualizedLinear,
    ProCritic,
    ProGenerator,
    minibatch_stddev,
    pixel_norm,
)
from ganbench.variants.progan import EMA_HALF_LIFE, ProGAN
from ganbench.variants.schedule import Phase

CPU = torch.device("cpu")
MNIST32 = get_dataset("mnist32")
TINY = {"width": 4}  # the smallest nets: the mechanisms, not the quality, are under test


def up(x: torch.Tensor) -> torch.Tensor:
    return x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)  # nearest, by hand


def down(x: torch.Tensor, k: int = 2) -> torch.Tensor:
    n, c, h, w = x.shape
    return x.reshape(n, c, h // k, k, w // k, k).mean(dim=(3, 5))  # box filter, by hand


# --- the schedule, through the harness -------------------------------------------------------------


class _Recorded(ProGAN):
    """Records every phase handed to it and the size of every image its critic sees."""

    def setup(self):
        super().setup()
        self.phases: list[Phase] = []
        self.seen: list[tuple[int, int]] = []  # (step's index in phases, image size)

    def on_phase(self, phase):
        super().on_phase(phase)
        self.phases.append(phase)

    def critic(self, x):
        self.seen.append((len(self.phases), x.shape[-1]))
        return super().critic(x)


def test_the_resolution_and_alpha_at_given_steps_of_a_budget():
    seed_everything(0)
    # eighths, so that every phase edge is a whole step in binary floating point
    v = _Recorded(MNIST32.spec, **TINY, fade=0.125, stable=0.125)
    train(v, MNIST32, Budget(32, 8), CPU, make_generator(0), 8)
    assert len(v.phases) == 32
    # 4 steps at 4 px, then for each new stage 4 steps of fade-in (alpha 0, 1/4, 1/2, 3/4) and
    # 4 stable; the last stage keeps the rest
    expected = {
        1: (4, 1.0), 4: (4, 1.0),
        5: (8, 0.0), 6: (8, 0.25), 7: (8, 0.5), 8: (8, 0.75), 9: (8, 1.0), 12: (8, 1.0),
        13: (16, 0.0), 15: (16, 0.5), 17: (16, 1.0), 20: (16, 1.0),
        21: (32, 0.0), 24: (32, 0.75), 25: (32, 1.0), 32: (32, 1.0),
    }  # fmt: skip
    for step, (res, alpha) in expected.items():
        p = v.phases[step - 1]
        assert (4 << p.stage, p.alpha) == (res, pytest.approx(alpha)), step
    # the critic sees reals, fakes and their mixtures at the step's resolution
    for index, size in v.seen:
        assert size == 4 << v.phases[index - 1].stage
    assert v.resolution == 32 and v.alpha == 1.0


def test_the_schedule_scales_with_the_budget():
    v = ProGAN(MNIST32.spec, **TINY)
    s = v.schedule()
    assert (s.stages, s.fade, s.stable) == (4, 0.1, 0.1)
    for total in (20, 100, 10_000):
        assert s.at(1, total) == Phase(0, 1.0)
        assert s.at(15 * total // 100 + 1, total) == Phase(1, pytest.approx(0.5))  # 15% done
        assert s.at(55 * total // 100 + 1, total) == Phase(3, pytest.approx(0.5))
        assert s.at(total, total) == Phase(3, 1.0)


# --- a resume in mid-fade ------------------------------------------------------------------------


def _run(resume_at: int | None, steps: int = 30):
    phases = []

    def observe(w):
        w.on_phase = lambda p: (phases.append(p), ProGAN.on_phase(w, p))

    v, res = trained_or_resumed(
        lambda: ProGAN(MNIST32.spec, **TINY), MNIST32, steps, 8, resume_at, observe
    )
    if resume_at is not None:
        v.first_phase = phases[0]
    return v, res


def test_a_run_resumed_in_mid_fade_gives_the_networks_of_an_uninterrupted_run():
    straight, res_a = _run(None)
    resumed, res_b = _run(resume_at=5)  # steps 4-6 fade in 8 px: step 6 has alpha 2/3
    assert resumed.first_phase == Phase(1, pytest.approx(2 / 3))
    assert straight.hp["ema_half_life"] > 0 and set(resumed.averaged) == {"G"}
    for name in ("G", "D"):
        for a, b in zip(straight.nets[name].parameters(), resumed.nets[name].parameters(),
                        strict=True):  # fmt: skip
            assert torch.equal(a, b)
    for a, b in zip(straight.averaged["G"].parameters(), resumed.averaged["G"].parameters(),
                    strict=True):  # fmt: skip
        assert torch.equal(a, b)
    assert res_a.history == res_b.history


# --- the fade of G, D and the reals --------------------------------------------------------------


CHANNELS = (8, 8, 4, 4)


def test_g_at_alpha_0_is_the_upsampled_previous_stage_and_at_alpha_1_the_new_block():
    torch.manual_seed(0)
    G = ProGenerator(6, CHANNELS, 3)
    z = torch.randn(5, 6)
    with torch.no_grad():
        for s in (1, 2, 3):
            previous = G(z, s - 1, 1.0)
            assert previous.shape == (5, 3, 4 << (s - 1), 4 << (s - 1))
            assert torch.equal(G(z, s, 0.0), up(previous))
            new = G.to_rgb[s](G.features(z, s)[s])
            assert torch.equal(G(z, s, 1.0), new)
            assert not torch.allclose(new, up(previous))  # the two paths differ
            assert torch.allclose(G(z, s, 0.25), 0.75 * up(previous) + 0.25 * new, atol=1e-6)
        assert torch.equal(G(z), G(z, 3, 1.0))  # outside training: the full net


def test_d_mirrors_g_during_a_fade():
    torch.manual_seed(0)
    D = ProCritic(CHANNELS, 3, mbstd_group=4)
    x = torch.randn(8, 3, 32, 32)
    with torch.no_grad():
        for s in (1, 2, 3):
            xs = down(x, 32 // (4 << s))
            # alpha 0: the new block is not seen; D is the previous stage's on the pooled input
            assert torch.allclose(D(xs, s, 0.0), D(down(xs), s - 1, 1.0), atol=1e-6)
            assert not torch.allclose(D(xs, s, 1.0), D(down(xs), s - 1, 1.0), atol=1e-3)
        with pytest.raises(ValueError, match="takes 16 px images"):
            D(x, 2, 1.0)


def test_the_reals_are_shown_at_the_phase_resolution_blended_during_a_fade():
    v = ProGAN(MNIST32.spec, **TINY)
    x = MNIST32.train[:6]
    v.on_phase(Phase(0, 1.0))
    assert torch.allclose(v.reals_at_phase(x), down(x, 8), atol=1e-6)
    v.on_phase(Phase(2, 1.0))
    assert torch.allclose(v.reals_at_phase(x), down(x, 2), atol=1e-6)
    v.on_phase(Phase(2, 0.0))  # the start of the fade: the 8 px reals, upsampled
    assert torch.allclose(v.reals_at_phase(x), up(down(x, 4)), atol=1e-6)
    v.on_phase(Phase(3, 0.3))
    assert torch.allclose(v.reals_at_phase(x), 0.3 * x + 0.7 * up(down(x)), atol=1e-6)


def test_samples_are_32_px_at_every_phase():
    v = ProGAN(MNIST32.spec, **TINY)
    for phase, upsampled in ((Phase(1, 0.5), 4), (Phase(3, 1.0), 1)):
        v.on_phase(phase)
        x = v.sample(4, CPU, make_generator(0))
        assert x.shape == (4, 1, 32, 32) and x.min() >= -1 and x.max() <= 1
        z = torch.randn(4, v.latent_dim, generator=make_generator(0))
        with torch.no_grad():
            own = v.G(z, phase.stage, phase.alpha).clamp(-1, 1)
        assert torch.equal(x, own.repeat_interleave(upsampled, 2).repeat_interleave(upsampled, 3))
    v.on_phase(Phase(1, 0.5))
    assert v.extra_metrics(MNIST32, CPU, make_generator(0)) == {
        "final_resolution": 8.0,
        "final_alpha": 0.5,
    }


# --- pixel norm, equalized learning rate, minibatch stddev ---------------------------------------


def test_pixel_norm_gives_unit_mean_square_per_pixel():
    x = torch.randn(3, 7, 5, 5) * 10
    y = pixel_norm(x)
    assert torch.allclose(y.pow(2).mean(dim=1), torch.ones(3, 5, 5), atol=1e-5)
    assert torch.allclose(y * x.pow(2).mean(dim=1, keepdim=True).sqrt(), x, atol=1e-4)
    torch.manual_seed(0)
    G = ProGenerator(6, CHANNELS, 1)
    with torch.no_grad():
        for h in G.features(torch.randn(4, 6) * 5, 3):  # every block's output in G
            assert torch.allclose(h.pow(2).mean(dim=1), torch.ones(4, *h.shape[2:]), atol=1e-4)


def _equalized(net: nn.Module):
    return [m for m in net.modules() if isinstance(m, EqualizedConv2d | EqualizedLinear)]


def test_equalized_learning_rate():
    torch.manual_seed(0)
    G, D = ProGenerator(6, CHANNELS, 1), ProCritic(CHANNELS, 1)
    layers = _equalized(G) + _equalized(D)
    assert len(layers) == 2 + 2 * 3 + 4 + 4 + 2 * 3 + 3
    outputs = {id(m) for m in [*G.to_rgb, D.out]}  # linear outputs: gain 1 (the authors' code)
    for m in layers:
        fan_in = math.prod(m.weight.shape[1:])
        assert m.fan_in == fan_in
        gain = 1.0 if id(m) in outputs else 2.0
        assert m.scale == pytest.approx(math.sqrt(gain / fan_in))
        assert torch.equal(m.bias, torch.zeros_like(m.bias))
    conv = G.blocks[2].conv2
    assert conv.scale == pytest.approx(math.sqrt(2 / (4 * 3 * 3)))
    # the weights are stored N(0, 1), unscaled, and scaled at runtime
    weights = torch.cat([m.weight.flatten() for m in layers])
    assert weights.std().item() == pytest.approx(1.0, abs=0.05)
    x = torch.randn(2, 4, 8, 8)
    assert torch.allclose(conv(x), F.conv2d(x, conv.weight * conv.scale, conv.bias, padding=1))
    with torch.no_grad():
        conv.weight.mul_(2)  # a stored weight counts at its runtime scale
    assert torch.allclose(conv(x), F.conv2d(x, conv.weight * conv.scale, conv.bias, padding=1))


def test_the_fused_resampling_convolutions_are_the_separate_ones():
    torch.manual_seed(0)
    conv = EqualizedConv2d(3, 5, 3).double()
    with torch.no_grad():
        conv.bias.normal_()
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    assert torch.allclose(conv.conv_downsample(x), down(conv(x)), atol=1e-12)
    assert torch.allclose(conv.upsample_conv(x), conv(up(x)), atol=1e-12)


def test_minibatch_stddev_on_a_hand_made_batch():
    # two features, one pixel: feature 0 = 0, 0, 2, 4; feature 1 constant
    x = torch.tensor([[0.0, 1.0], [0.0, 1.0], [2.0, 1.0], [4.0, 1.0]]).view(4, 2, 1, 1)
    eps = 1e-8
    const = math.sqrt(eps)  # the std of a constant feature
    whole = minibatch_stddev(x, group=0)  # the paper's text: over the whole batch
    std0 = math.sqrt(((0 - 1.5) ** 2 * 2 + 0.5**2 + 2.5**2) / 4 + eps)
    assert whole.shape == (4, 3, 1, 1)
    assert torch.equal(whole[:, :2], x)
    assert torch.allclose(whole[:, 2].flatten(), torch.full((4,), (std0 + const) / 2))
    assert torch.equal(minibatch_stddev(x, group=4), whole)
    # groups of 2: sample k in group k mod 2, so {0, 2} (std 1) and {1, 3} (std 2)
    pairs = minibatch_stddev(x, group=2)[:, 2].flatten()
    a, b = (math.sqrt(1 + eps) + const) / 2, (math.sqrt(4 + eps) + const) / 2
    assert torch.allclose(pairs, torch.tensor([a, b, a, b]))
    assert torch.equal(minibatch_stddev(x, group=3), minibatch_stddev(x, group=2))  # 3 ∤ 4
    # on a 4x4 map the statistic fills a whole constant map
    y = minibatch_stddev(torch.randn(8, 3, 4, 4), group=4)
    assert y.shape == (8, 4, 4, 4) and torch.equal(y[:, 3], y[:, 3, :1, :1].expand(8, 4, 4))


# --- the critic's loss on closed-form critics ----------------------------------------------------


class _Fixed(nn.Module):
    """G returning given images whatever the noise and phase."""

    def __init__(self, images: torch.Tensor) -> None:
        super().__init__()
        self.images = images

    def forward(self, z, stage=None, alpha=1.0):
        return self.images


class _Critic(nn.Module):
    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x, stage=None, alpha=1.0):
        return self.fn(x)


def _with_nets(G: nn.Module, D: nn.Module, **hp) -> ProGAN:
    v = ProGAN(MNIST32.spec, **TINY, **hp)
    v.G, v.D = G, D
    v.on_phase(Phase(3, 1.0))
    return v


def test_the_gradient_penalty_and_drift_on_a_quadratic_critic():
    # D(x) = ½||x||²: ∇D(x) = x. With fakes equal to the reals every interpolate is the real
    # image, so the loss is 10 E[(||x|| - 1)²] + 0.001 E[D(x)²] exactly.
    torch.manual_seed(0)
    real = torch.randn(6, 1, 32, 32, dtype=torch.float64) * 0.05
    v = _with_nets(_Fixed(real.clone()), _Critic(lambda x: 0.5 * x.flatten(1).pow(2).sum(1)))
    norms = real.flatten(1).norm(dim=1)
    gp = ((norms - 1) ** 2).mean()
    drift = (0.5 * norms**2).pow(2).mean()
    z = torch.zeros(6, v.latent_dim, dtype=torch.float64)
    assert v.d_loss(real, z, None).item() == pytest.approx((10 * gp + 0.001 * drift).item())
    v.hp["drift"] = 0.0
    assert v.d_loss(real, z, None).item() == pytest.approx((10 * gp).item())


def test_the_wasserstein_terms_and_drift_on_a_linear_critic():
    # D(x) = c Σx + b: ||∇D|| = |c| sqrt(1024) everywhere, so the penalty is (32|c| - 1)²
    torch.manual_seed(0)
    real = torch.rand(4, 1, 32, 32, dtype=torch.float64)
    fake = torch.rand(4, 1, 32, 32, dtype=torch.float64) - 0.5
    c, b = 0.02, 0.3
    v = _with_nets(_Fixed(fake), _Critic(lambda x: c * x.flatten(1).sum(1) + b), drift=0.5)
    d_real = c * real.flatten(1).sum(1) + b
    d_fake = c * fake.flatten(1).sum(1) + b
    expected = d_fake.mean() - d_real.mean() + 10 * (32 * c - 1) ** 2 + 0.5 * d_real.pow(2).mean()
    z = torch.zeros(4, v.latent_dim, dtype=torch.float64)
    assert v.d_loss(real, z, None).item() == pytest.approx(expected.item())
    assert v.g_loss(z, None).item() == pytest.approx(-d_fake.mean().item())


def test_the_papers_settings():
    v = ProGAN(MNIST32.spec)
    assert v.n_critic == 1 and v.hp["gp_weight"] == 10.0 and v.hp["drift"] == 0.001
    for spec in (v.d_optim, v.g_optim):
        assert (spec.name, spec.lr, spec.betas) == ("adam", 1e-3, (0.0, 0.99))
    # decay 0.999 per step of 64 images as a half-life in images
    assert 0.5 ** (64 / EMA_HALF_LIFE) == pytest.approx(0.999, abs=1e-6)
    assert v.hp["ema_half_life"] == EMA_HALF_LIFE and v.ema_nets == ("G",)


# --- through the CLI -----------------------------------------------------------------------------


def test_a_smoke_run_gives_an_ok_row_with_32_px_samples(tmp_path):
    out = tmp_path / "out"
    args = ["run", "--variant", "progan", "--dataset", "mnist32", "--preset", "smoke"]
    assert main([*args, "--out", str(out), "--no-report", "--quiet"]) == 0
    result = out / "runs" / "progan" / "mnist32" / "seed0" / "result.json"
    row = json.loads(result.read_text())
    assert row["status"] == "ok", row.get("error")
    assert row["variant"] == "progan" and row["dataset"] == "mnist32"
    assert row["final_resolution"] == 32.0 and row["final_alpha"] == 1.0
    assert "half-life" in row["ema"]
    assert (result.parent / "samples.png").exists()
    state = torch.load(result.parent / "checkpoint.pt")
    assert {"G", "D", "G_ema"} <= set(state)
    v = ProGAN(MNIST32.spec)
    v.G.load_state_dict(state["G_ema"])
    x = v.sample(4, CPU, make_generator(0))
    assert x.shape == (4, 1, 32, 32) and torch.isfinite(x).all()


def test_run_all_includes_progan_on_mnist32():
    from ganbench.harness.suite import plan_runs

    specs = plan_runs(None, None, [0], "quick")
    assert [s.dataset for s in specs if s.variant == "progan"] == ["mnist32"]


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--dataset", "mnist"], "builds 32x32 images only, not 28x28; use mnist32"),
        (
            ["--dataset", "mnist32", "--hp", "fade=0.2", "--hp", "stable=0.2"],
            "the schedule does not fit the budget",
        ),
        (["--dataset", "mnist32", "--hp", "width=0"], "width takes a positive integer"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(tmp_path, capsys, extra, says):
    out = tmp_path / "out"
    args = ["run", "--variant", "progan", "--preset", "smoke", "--quiet", "--no-report"]
    assert main([*args, *extra, "--out", str(out)]) == 2
    assert says in capsys.readouterr().err
    assert not out.exists()


def test_a_schedule_that_does_not_fit_is_refused_when_planned():
    ProGAN.check_hparams("image", {"fade": 0.2, "stable": 1 / 3 - 0.2})  # exactly the budget
    with pytest.raises(HyperParameterError, match=r"3 new stages x \(fade 0.3 \+ stable 0.1\)"):
        ProGAN.check_hparams("image", {"fade": 0.3, "stable": 0.1})
