"""StyleGAN2, small (ganbench/variants/stylegan2.py, ganbench/nets/stylegan2_nets.py): each
mechanism against a hand computation, the lazy regularisers through the harness, a smoke run
through the CLI, and bad input refused before anything is written."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganbench.cli import main
from ganbench.core.config import Budget
from ganbench.core.seeding import make_generator, seed_everything
from ganbench.data import get_dataset
from ganbench.harness.suite import plan_runs
from ganbench.harness.train import build_optimizers, train
from ganbench.nets.stylegan2_nets import (
    StyleGAN2Discriminator,
    StyleGAN2Generator,
    SynthesisLayer,
    ToRGB,
    lrelu,
    minibatch_stddev,
    modulated_conv2d,
    modulated_weights,
    upsample2,
)
from ganbench.variants.stylegan2 import StyleGAN2, mix_styles, path_lengths

CPU = torch.device("cpu")
MNIST32 = get_dataset("mnist32")
TINY = {"width": 4, "latent_dim": 8}  # nets small enough for harness runs in a test


# --- modulation and demodulation ---------------------------------------------------------------


def test_modulated_demodulated_1x1_conv_is_the_papers_formula_by_hand():
    # w (out 2, in 3): rows of norm 3 and 5; styles 1 modulate nothing
    weight = torch.tensor([[1.0, 2.0, 2.0], [0.0, 3.0, 4.0]], dtype=torch.float64)[:, :, None, None]
    x = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64).view(1, 3, 1, 1)
    y = modulated_conv2d(x, weight, torch.ones(1, 3, dtype=torch.float64))
    assert y.flatten().tolist() == pytest.approx([1 / 3, 0.0], rel=1e-7)
    # styles (2, 1, 0.5): w' = (2, 2, 1) and (0, 3, 2); norms 3 and sqrt(13)
    s = torch.tensor([[2.0, 1.0, 0.5]], dtype=torch.float64)
    x = torch.tensor([1.0, -1.0, 2.0], dtype=torch.float64).view(1, 3, 1, 1)
    y = modulated_conv2d(x, weight, s)
    expected = [(2 - 2 + 2) / 3, (0 - 3 + 4) / math.sqrt(13)]
    assert y.flatten().tolist() == pytest.approx(expected, rel=1e-7)
    # no demodulation (to-RGB): the modulated weights alone
    y = modulated_conv2d(x, weight, s, demodulate=False)
    assert y.flatten().tolist() == pytest.approx([2.0, 1.0], rel=1e-12)


def test_the_exact_formula_on_a_1x1_conv_for_every_sample_channel_and_pixel():
    torch.manual_seed(0)
    weight = torch.randn(4, 3, 1, 1, dtype=torch.float64)
    s = torch.rand(2, 3, dtype=torch.float64) + 0.5
    x = torch.randn(2, 3, 5, 5, dtype=torch.float64)
    y = modulated_conv2d(x, weight, s)
    for n in range(2):
        for j in range(4):
            wp = [s[n, i] * weight[j, i, 0, 0] for i in range(3)]
            d = 1 / math.sqrt(sum(v * v for v in wp) + 1e-8)
            want = sum(wp[i] * d * x[n, i] for i in range(3))
            assert torch.allclose(y[n, j], want, atol=1e-12)


def test_demodulated_weights_have_unit_norm_per_output_channel():
    torch.manual_seed(1)
    w = modulated_weights(torch.randn(6, 5, 3, 3), torch.rand(4, 5) * 3 + 0.1)
    norms = w.pow(2).sum(dim=(2, 3, 4)).sqrt()
    assert norms.shape == (4, 6)
    assert torch.allclose(norms, torch.ones(4, 6), atol=1e-6)
    plain = modulated_weights(torch.randn(6, 5, 3, 3), torch.rand(4, 5) * 3, demodulate=False)
    assert not torch.allclose(plain.pow(2).sum(dim=(2, 3, 4)), torch.ones(4, 6), atol=0.1)


def test_unit_variance_inputs_give_unit_variance_outputs():
    torch.manual_seed(2)
    x = torch.randn(2, 16, 96, 96)
    y = modulated_conv2d(x, torch.randn(3, 16, 3, 3), torch.rand(2, 16) * 4 + 0.1)
    inner = y[:, :, 1:-1, 1:-1]  # away from the zero padding
    assert torch.allclose(inner.std(dim=(2, 3)), torch.ones(2, 3), atol=0.03)


def test_the_unfused_conv_is_the_grouped_conv_with_per_sample_weights():
    torch.manual_seed(3)
    weight, s = torch.randn(5, 4, 3, 3, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64)
    x = torch.randn(3, 4, 6, 6, dtype=torch.float64)
    for up in (False, True):
        got = modulated_conv2d(x, weight, s, up=up)
        xin = upsample2(x) if up else x
        w = modulated_weights(weight, s).reshape(15, 4, 3, 3)
        want = F.conv2d(xin.reshape(1, 12, *xin.shape[2:]), w, padding=1, groups=3)
        assert torch.allclose(got, want.reshape(got.shape), atol=1e-10)


# --- minibatch standard deviation, noise, mapping ------------------------------------------------


def test_minibatch_stddev_on_a_hand_made_batch():
    # group size 4 over 8 samples: groups {0, 2, 4, 6} and {1, 3, 5, 7}
    x = torch.tensor([0.0, 10, 2, 10, 4, 10, 6, 10], dtype=torch.float64).view(8, 1, 1, 1)
    out = minibatch_stddev(x, 4)
    assert out.shape == (8, 2, 1, 1)
    assert torch.equal(out[:, 0], x[:, 0])
    sd = math.sqrt(5 + 1e-8)  # 0, 2, 4, 6: mean 3, variance (9 + 1 + 1 + 9) / 4
    assert out[:, 1].flatten().tolist() == pytest.approx([sd, 1e-4] * 4, rel=1e-9)
    # averaged over channels and pixels: the stds 1 and 3 of two features -> 2, on every pixel
    x = torch.zeros(4, 2, 2, 2, dtype=torch.float64)
    x[:, 0] = torch.tensor([1.0, -1, 1, -1]).view(4, 1, 1)
    x[:, 1] = torch.tensor([3.0, 3, -3, -3]).view(4, 1, 1)
    out = minibatch_stddev(x, 4)
    assert torch.allclose(out[:, 2], torch.full((4, 2, 2), 2.0, dtype=torch.float64), atol=1e-7)
    # a batch not divisible by 4 uses the largest divisor below it: 6 -> groups of 3
    x = torch.tensor([0.0, 0, 3, 3, 6, 6], dtype=torch.float64).view(6, 1, 1, 1)
    out = minibatch_stddev(x, 4)  # groups {0, 2, 4} = {0, 3, 6} and {1, 3, 5} = {0, 3, 6}
    assert out[:, 1].flatten().tolist() == pytest.approx([math.sqrt(6 + 1e-8)] * 6)


def test_noise_strength_starts_at_zero_per_channel_and_scales_the_noise():
    G = StyleGAN2Generator(8, 1, width=8)
    layers = [m for m in G.modules() if isinstance(m, SynthesisLayer)]
    assert len(layers) == 7  # one conv at 4 px, two at 8, 16, 32
    for layer in layers:
        out = layer.conv.weight.shape[0]
        assert layer.noise_strength.shape == (out,) and torch.equal(
            layer.noise_strength, torch.zeros(out)
        )
    z = torch.randn(3, 8)
    with torch.no_grad():
        assert torch.equal(G(z), G(z))  # noise drawn afresh, but with strength 0 it is unused
    layer = SynthesisLayer(2, 2, 4)
    with torch.no_grad():
        layer.noise_strength.copy_(torch.tensor([0.5, -2.0]))
        x, w, noise = torch.randn(1, 2, 4, 4), torch.randn(1, 4), torch.randn(1, 1, 4, 4)
        want = lrelu(layer.conv(x, w) + torch.tensor([0.5, -2.0]).view(1, 2, 1, 1) * noise)
        assert torch.allclose(layer(x, w, noise), want)


def test_mapping_network_shapes_pixel_norm_and_learning_rate_multiplier():
    G = StyleGAN2Generator(16, 3, width=8, mapping_layers=3, mapping_lr_mul=0.01, w_dim=12)
    assert len(G.mapping.net) == 3
    z = torch.randn(5, 16)
    w = G.mapping(z)
    assert w.shape == (5, 12)
    assert torch.allclose(G.mapping(3 * z), w, atol=1e-5)  # pixel norm: the scale of z is gone
    assert G.num_ws == 8 and G.broadcast(w).shape == (5, 8, 12)
    assert G.const.shape == (8, 4, 4) and isinstance(G.const, nn.Parameter)
    first = G.mapping.net[0]
    assert first.weight_gain == pytest.approx(0.01 / 4)  # lr_mul / sqrt(fan_in)
    assert G(z).shape == (5, 3, 32, 32)
    D = StyleGAN2Discriminator(3, width=8)
    assert D(G(z)).shape == (5,)


def test_to_rgb_outputs_are_summed_skip_style():
    G = StyleGAN2Generator(8, 1, width=8)
    ws = G.broadcast(G.mapping(torch.randn(2, 8)))
    noises = [torch.zeros(2, 1, r, r) for r in (4, 8, 8, 16, 16, 32, 32)]
    with torch.no_grad():
        full = G.synthesis(ws, noises)
        for rgb in G.to_rgbs[:-1]:  # the lower resolutions' outputs no longer reach the image
            nn.init.zeros_(rgb.conv.weight)
        only_last = G.synthesis(ws, noises)
    assert not torch.allclose(full, only_last)
    assert all(isinstance(m, ToRGB) for m in G.to_rgbs) and len(G.to_rgbs) == 4


# --- R1, lazily ---------------------------------------------------------------------------------


class _LinearCritic(nn.Module):
    """D(x) = sum(a * x): its input gradient is a everywhere, so R1 = ||a||^2."""

    def __init__(self, a: torch.Tensor) -> None:
        super().__init__()
        self.a = nn.Parameter(a.clone())

    def forward(self, x):
        return (self.a * x).flatten(1).sum(1)


def test_r1_on_a_closed_form_critic():
    v = StyleGAN2(MNIST32.spec, r1_gamma=10.0, **TINY)
    a = torch.randn(1, 32, 32)
    v.D = _LinearCritic(a)
    real = MNIST32.train[:6]
    loss = v.r1_loss(real)
    assert loss.item() == pytest.approx(10.0 / 2 * a.pow(2).sum().item(), rel=1e-5)
    (grad,) = torch.autograd.grad(loss, v.D.a)  # it trains the critic: d/da (gamma/2 ||a||^2)
    assert torch.allclose(grad, 10.0 * a, rtol=1e-5)

    class _Stream:
        def next(self):
            return real, None

    ctx = type("Ctx", (), {"stream": _Stream()})()
    assert v.r1_step(ctx).item() == pytest.approx(loss.item())


class _Counted(StyleGAN2):
    def setup(self):
        super().setup()
        self.r1_calls: list[int] = []
        self.pl_calls: list[int] = []

    def r1_step(self, ctx):
        self.r1_calls.append(ctx.step)
        return super().r1_step(ctx)

    def pl_step(self, ctx):
        self.pl_calls.append(ctx.step)
        return super().pl_step(ctx)


def test_lazy_r1_runs_every_r1_every_steps_through_the_harness():
    seed_everything(0)
    v = _Counted(MNIST32.spec, r1_every=4, **TINY)
    res = train(v, MNIST32, Budget(18, 8), CPU, make_generator(0), 6)
    assert v.r1_calls == [4, 8, 12, 16]
    assert v.pl_calls == []  # path length off by default
    assert {"d_loss", "g_loss", "r1"} <= set(res.history) and "pl" not in res.history
    assert all(math.isfinite(x) for x in res.history["r1"])


def test_d_optimizer_gets_the_lazy_correction_and_g_only_with_path_length():
    v = StyleGAN2(MNIST32.spec, **TINY)
    opts = build_optimizers(v, v.updates())
    c = 16 / 17
    assert opts["D"].defaults["lr"] == pytest.approx(0.002 * c)
    assert opts["D"].defaults["betas"] == pytest.approx((0.0, 0.99**c))
    assert opts["G"].defaults["lr"] == pytest.approx(0.002)
    assert opts["G"].defaults["betas"] == pytest.approx((0.0, 0.99))
    v = StyleGAN2(MNIST32.spec, pl_weight=2.0, r1_every=8, **TINY)
    opts = build_optimizers(v, v.updates())
    assert opts["D"].defaults["lr"] == pytest.approx(0.002 * 8 / 9)
    assert opts["G"].defaults["lr"] == pytest.approx(0.002 * 4 / 5)
    assert opts["G"].defaults["betas"] == pytest.approx((0.0, 0.99 ** (4 / 5)))
    v = StyleGAN2(MNIST32.spec, r1_gamma=0, **TINY)  # R1 off: no update, no correction
    assert [u.column for u in v.updates()] == ["d_loss", "g_loss"]
    assert build_optimizers(v, v.updates())["D"].defaults["lr"] == pytest.approx(0.002)


# --- path length and style mixing --------------------------------------------------------------


class _LinearG(nn.Module):
    """img = sum_l c_l * [ws_l, 0, ...] as a 1x32x32 image: J_l^T y = c_l y[:w_dim]."""

    num_ws = 8

    def __init__(self, w_dim: int, c: torch.Tensor) -> None:
        super().__init__()
        self.w_dim, self.c = w_dim, c
        self.mapping = nn.Linear(w_dim, w_dim)

    def broadcast(self, w):
        return w.unsqueeze(1).expand(-1, self.num_ws, -1)

    def synthesis(self, ws):
        flat = (self.c[None, :, None] * ws).sum(1)
        return F.pad(flat, (0, 1024 - self.w_dim)).view(-1, 1, 32, 32)


def test_path_length_penalty_on_a_linear_generator():
    c = torch.arange(1.0, 9.0)  # the 8 layers' gains
    v = StyleGAN2(MNIST32.spec, pl_weight=2.0, mixing_prob=0.0, **TINY)
    v.G = _LinearG(8, c)
    z = torch.randn(4, 8)
    # the lengths by hand: sqrt(mean_l c_l^2) ||y[:8]||
    ws = v.G.broadcast(v.G.mapping(z))
    y = torch.randn(4, 1, 32, 32)
    want = c.pow(2).mean().sqrt() * y.flatten(1)[:, :8].norm(dim=1)
    assert torch.allclose(path_lengths(v.G.synthesis(ws), ws, y), want, rtol=1e-5)
    # the penalty: y ~ N(0, I) / sqrt(32 * 32), a <- a + 0.01 (mean - a) first, from a = 0
    a = 0.0
    for _ in range(2):
        torch.manual_seed(7)
        loss = v.pl_loss(z)
        torch.manual_seed(7)
        y = torch.randn(4, 1, 32, 32) / 32
        lengths = c.pow(2).mean().sqrt() * y.flatten(1)[:, :8].norm(dim=1)
        a = a + 0.01 * (lengths.mean().item() - a)
        assert loss.item() == pytest.approx(2.0 * ((lengths - a) ** 2).mean().item(), rel=1e-5)
        assert v.pl_mean.item() == pytest.approx(a, rel=1e-6)
    # on the real G the penalty trains the synthesis weights (create_graph: a double backward)
    v = StyleGAN2(MNIST32.spec, pl_weight=2.0, **TINY)
    v.pl_loss(torch.randn(4, 8)).backward()
    assert v.G.convs[3].conv.weight.grad.abs().sum() > 0


def test_path_length_runs_every_pl_every_g_steps_and_resumes_its_mean():
    seed_everything(0)
    v = _Counted(MNIST32.spec, pl_weight=2.0, pl_every=3, r1_every=5, **TINY)
    res = train(v, MNIST32, Budget(10, 8), CPU, make_generator(0), 5)
    assert v.pl_calls == [3, 6, 9] and v.r1_calls == [5, 10]
    assert "pl" in res.history and v.pl_mean.item() > 0
    w = StyleGAN2(MNIST32.spec, pl_weight=2.0, **TINY)
    w.load_extra_state(v.extra_state())
    assert w.pl_mean.item() == v.pl_mean.item()


def test_style_mixing_switches_w_at_the_crossover_layer():
    ws = torch.ones(3, 8, 2)
    ws2 = torch.full((3, 8, 2), 2.0)
    mixed = mix_styles(ws, ws2, torch.tensor([1, 5, 8]))
    assert mixed[:, :, 0].tolist() == [
        [1, 2, 2, 2, 2, 2, 2, 2],
        [1, 1, 1, 1, 1, 2, 2, 2],
        [1, 1, 1, 1, 1, 1, 1, 1],  # cutoff num_ws: not mixed
    ]


def test_the_variants_styles_mix_with_the_declared_probability():
    v = StyleGAN2(MNIST32.spec, mixing_prob=1.0, **TINY)
    z = torch.randn(64, 8)
    torch.manual_seed(0)
    with torch.no_grad():
        ws, w1 = v.styles(z), v.G.mapping(z)
    cuts = []
    for n in range(64):
        same = [torch.equal(ws[n, l], w1[n]) for l in range(8)]
        cut = same.index(False)  # the crossover: w1 before it, one other w from it on
        assert all(same[:cut]) and not any(same[cut:]) and 1 <= cut < 8
        assert all(torch.equal(ws[n, l], ws[n, cut]) for l in range(cut, 8))
        cuts.append(cut)
    assert len(set(cuts)) > 3  # crossovers drawn per image
    v = StyleGAN2(MNIST32.spec, mixing_prob=0.0, **TINY)
    with torch.no_grad():
        assert torch.equal(v.styles(z), v.G.broadcast(v.G.mapping(z)))
    assert StyleGAN2.defaults["mixing_prob"] == 0.9


# --- through the CLI ----------------------------------------------------------------------------


def test_smoke_run_gives_an_ok_row_with_the_ema(tmp_path):
    out = tmp_path / "out"
    args = ["run", "--variant", "stylegan2", "--dataset", "mnist32", "--preset", "smoke"]
    assert main([*args, "--out", str(out), "--no-report", "--quiet"]) == 0
    rows = pd.read_csv(out / "leaderboard.csv")
    row = rows[rows["variant"] == "stylegan2"].iloc[0]
    assert row["status"] == "ok"
    assert row["ema"] == "G half-life 2000 images, ramp-up 0.05"


def test_run_all_includes_stylegan2_on_mnist32():
    specs = plan_runs(None, None, [0], "quick")
    assert [s.dataset for s in specs if s.variant == "stylegan2"] == ["mnist32"]


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--dataset", "mnist32", "--hp", "r1_every=0"], "r1_every takes a positive integer"),
        (["--dataset", "mnist32", "--hp", "ema_half_life=-1"], "ema_half_life takes a number >= 0"),
        (["--dataset", "mnist"], "use mnist32"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(tmp_path, capsys, extra, says):
    out = tmp_path / "out"
    args = ["run", "--variant", "stylegan2", "--preset", "smoke", "--quiet", "--out", str(out)]
    assert main([*args, *extra]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_data_problem_names_the_fix():
    assert StyleGAN2.data_problem(MNIST32.spec) == ""
    assert "use mnist32" in StyleGAN2.data_problem(get_dataset("stacked-mnist").spec)
    assert "28x28 px" in StyleGAN2.data_problem(get_dataset("mnist").spec)
