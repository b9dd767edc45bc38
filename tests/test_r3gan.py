"""R3GAN (ganbench/variants/r3gan.py, ganbench/nets/r3gan_nets.py): the relativistic pairing loss
on hand-made scores, R1 / R2 on closed-form critics and their gradient to D's parameters, the
gamma = 0 ablation, the fix-up initialisation, smoke runs through the CLI on mnist32 and ring8,
its place in `run --all`, and bad input refused before anything is written."""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganbench.cli import main
from ganbench.data.base import DataSpec
from ganbench.harness.suite import plan_runs
from ganbench.nets.losses import zero_centred_penalty
from ganbench.nets.r3gan_nets import (
    GAIN,
    Downsample,
    R3Discriminator,
    R3Generator,
    ResidualBlock,
    Upsample,
    lowpass_kernel,
    residual_blocks,
)
from ganbench.registry import get_variant
from ganbench.variants.r3gan import R3GAN, rpgan_losses, scores_and_penalty

POINTS = DataSpec(name="tiny", kind="points", shape=(2,))
IMAGE = DataSpec(name="tiny32", kind="image", shape=(1, 32, 32))
REAL = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
Z = torch.tensor([[0.5, 0.5], [-1.0, 1.0]], dtype=torch.float64)
A = torch.tensor([0.5, -1.0], dtype=torch.float64)  # the linear critic D(x) = a . x + b
B = 0.25


def sp(y: float) -> float:
    return math.log1p(math.exp(y))


class Fn(nn.Module):
    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def linear_critic() -> nn.Linear:
    """D(x) = a . x + b with a parameter (a small critic that can be trained)."""
    critic = nn.Linear(2, 1).double()
    with torch.no_grad():
        critic.weight.copy_(A.view(1, 2))
        critic.bias.fill_(B)
    return critic


def tiny_variant(critic: nn.Module, **hp) -> R3GAN:
    """r3gan on 2-D points with G the identity (fakes are z) and the given critic."""
    v = R3GAN(POINTS, **hp)
    v.G = Fn(lambda z: z)
    v.D = Fn(lambda x: critic(x).squeeze(1)) if isinstance(critic, nn.Linear) else critic
    return v


# --- the relativistic pairing loss ---------------------------------------------------------------


def test_relativistic_losses_on_hand_made_scores():
    c_real = torch.tensor([2.0, -1.0], dtype=torch.float64)
    c_fake = torch.tensor([0.5, 0.0], dtype=torch.float64)
    l_d, l_g = rpgan_losses(c_real, c_fake)
    # D: softplus(fake - real); G: softplus(real - fake), each the mean over the pairs
    assert l_d.item() == pytest.approx((sp(0.5 - 2.0) + sp(0.0 + 1.0)) / 2, abs=1e-12)
    assert l_g.item() == pytest.approx((sp(2.0 - 0.5) + sp(-1.0 - 0.0)) / 2, abs=1e-12)
    # pairs are i-th with i-th, not every real with every fake
    assert l_d.item() != pytest.approx(
        sum(sp(f - r) for r in (2.0, -1.0) for f in (0.5, 0.0)) / 4, abs=1e-6
    )


def test_the_variant_losses_have_the_papers_signs():
    v = tiny_variant(linear_critic(), gamma=0.0)
    c_r = [float(A @ x) + B for x in REAL]  # 0.75, -1.75
    c_f = [float(A @ x) + B for x in Z]  # 0.00, -1.25
    d = v.d_loss(REAL, Z, None).item()
    g = v.g_loss(Z, None).item()  # reuses the real batch of the D step
    assert d == pytest.approx(sum(sp(f - r) for r, f in zip(c_r, c_f, strict=True)) / 2, abs=1e-12)
    assert g == pytest.approx(sum(sp(r - f) for r, f in zip(c_r, c_f, strict=True)) / 2, abs=1e-12)


def test_g_loss_reaches_g_through_d_but_leaves_d_weights_alone():
    torch.manual_seed(0)
    v = R3GAN(POINTS)
    real = torch.randn(8, 2)
    v.d_loss(real, v.noise(8, "cpu"), None)
    v.g_loss(v.noise(8, "cpu"), None).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in v.G.parameters())
    assert all(p.grad is None for p in v.D.parameters())
    assert all(p.requires_grad for p in v.D.parameters())  # restored after the G loss


# --- R1 and R2 -------------------------------------------------------------------------------------


def test_penalties_on_a_linear_critic_are_the_squared_weight_norm():
    critic = linear_critic()
    for x in (REAL, Z):  # R1 on reals, R2 on fakes
        scores, penalty = scores_and_penalty(lambda t: critic(t).squeeze(1), x)
        assert penalty.item() == pytest.approx(float(A @ A), abs=1e-12)  # ||a||^2 = 1.25
        assert zero_centred_penalty(critic, x).item() == pytest.approx(penalty.item(), abs=1e-12)
        assert torch.allclose(scores, (x @ A) + B)
        # differentiable w.r.t. D's parameters: d||a||^2 / da = 2a, nothing to the bias
        critic.zero_grad()
        penalty.backward()
        assert torch.allclose(critic.weight.grad, 2 * A.view(1, 2))
        assert critic.bias.grad is None or critic.bias.grad.abs().item() == 0


def test_penalties_on_a_quadratic_critic_are_four_squared_norms():
    square = Fn(lambda x: (x**2).flatten(1).sum(1))  # grad 2x: 4||x||^2 per sample
    images = torch.randn(3, 1, 4, 4, dtype=torch.float64)
    for x in (REAL, images):
        expected = (4 * (x**2).flatten(1).sum(1)).mean().item()
        assert scores_and_penalty(square, x)[1].item() == pytest.approx(expected, rel=1e-12)
        assert zero_centred_penalty(square, x).item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("gamma", [0.05, 2.0])
def test_d_loss_adds_gamma_over_two_r1_plus_r2_and_trains_d(gamma):
    critic = linear_critic()
    plain = tiny_variant(critic, gamma=0.0).d_loss(REAL, Z, None)
    v = tiny_variant(critic, gamma=gamma)
    loss = v.d_loss(REAL, Z, None)
    r1 = r2 = float(A @ A)
    assert v.logs["r1"].item() == pytest.approx(r1) and v.logs["r2"].item() == pytest.approx(r2)
    assert (loss - plain).item() == pytest.approx(gamma / 2 * (r1 + r2), abs=1e-12)
    # the penalties' gradient reaches D's weight: gamma/2 * (2a + 2a) on top of the adversarial one
    critic.zero_grad()
    plain.backward()
    adversarial_grad = critic.weight.grad.clone()
    critic.zero_grad()
    loss.backward()
    assert torch.allclose(critic.weight.grad - adversarial_grad, gamma * 2 * A.view(1, 2))


def test_gamma_zero_leaves_the_adversarial_loss_unchanged():
    """The ablation: with gamma = 0, d_loss is exactly the RpGAN loss (no R1/R2 term); with a
    quadratic critic (non-zero penalties) the gamma > 0 loss is larger by gamma/2 (R1 + R2)."""
    square = Fn(lambda x: (x**2).sum(1))
    ablated = tiny_variant(square, gamma=0.0).d_loss(REAL, Z, None).item()
    c_r, c_f = (REAL**2).sum(1), (Z**2).sum(1)
    assert ablated == pytest.approx(rpgan_losses(c_r, c_f)[0].item(), abs=1e-12)
    full = tiny_variant(square, gamma=0.1).d_loss(REAL, Z, None).item()
    r1, r2 = (4 * (REAL**2).sum(1)).mean().item(), (4 * (Z**2).sum(1)).mean().item()
    assert r1 > 0 and r2 > 0
    assert full - ablated == pytest.approx(0.1 / 2 * (r1 + r2), abs=1e-12)


def test_penalties_train_the_image_critic():
    torch.manual_seed(0)
    v = R3GAN(IMAGE, gamma=1.0)
    real = torch.rand(4, 1, 32, 32) * 2 - 1
    _, r1 = scores_and_penalty(v.D, real)
    assert r1.item() > 0
    r1.backward()
    grads = [p.grad for p in v.D.parameters()]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)
    assert zero_centred_penalty(v.D, real).item() == pytest.approx(r1.item(), rel=1e-5)


# --- the networks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("hp", [{}, {"blocks": 1, "width": 8, "cardinality": 4}])
def test_fixup_blocks_start_as_the_identity_with_the_declared_cardinality(hp):
    torch.manual_seed(0)
    v = R3GAN(IMAGE, **hp)
    width, card = v.hp["width"], v.hp["cardinality"]
    for net in (v.G, v.D):
        blocks = residual_blocks(net)
        assert blocks
        for block in blocks:
            assert torch.count_nonzero(block.project.weight) == 0  # last conv zero
            assert block.grouped.groups == card and block.grouped.kernel_size == (3, 3)
            hidden = width * v.hp["expansion"]
            assert block.grouped.weight.shape == (hidden, hidden // card, 3, 3)
            assert block.expand.weight.abs().sum() > 0 and block.grouped.weight.abs().sum() > 0
            x = torch.randn(2, width, 4, 4)
            assert torch.equal(block(x), x)


def test_fixup_gain_is_scaled_by_the_block_count():
    """Non-final convs: N(0, (GAIN L^(-1/4) / sqrt(fan_in))^2), L the net's blocks (m = 3)."""
    torch.manual_seed(0)
    blocks = (2, 2, 2, 2)
    for net in (
        R3Generator(8, (1, 32, 32), 64, 8, blocks),
        R3Discriminator((1, 32, 32), 64, 8, blocks),
    ):
        found = residual_blocks(net)
        assert len(found) == 8
        for block in found:
            for layer in (block.expand, block.grouped):
                fan_in = layer.weight[0].numel()
                expected = GAIN * 8 ** (-1 / 4) / math.sqrt(fan_in)
                assert layer.weight.std().item() == pytest.approx(expected, rel=0.06)
    # the count is the blocks of the whole net: one block alone has the unscaled He gain
    alone = ResidualBlock(64, 8, 2, total_blocks=1)
    assert alone.expand.weight.std().item() == pytest.approx(GAIN / 8, rel=0.06)


def test_resampling_is_the_interpolative_121_filter():
    k = lowpass_kernel()
    one = torch.tensor([1.0, 3.0, 3.0, 1.0])
    assert torch.allclose(k, torch.outer(one, one) / 64)  # [1, 2, 1] used interpolatively
    torch.manual_seed(0)
    x = torch.randn(2, 3, 8, 8)
    up, down = Upsample()(x), Downsample()(x)
    assert up.shape == (2, 3, 16, 16) and down.shape == (2, 3, 4, 4)
    # inside the border: bilinear 2x and antialiased bilinear halving; constants are kept
    bilinear = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    assert torch.allclose(up[..., 1:-1, 1:-1], bilinear[..., 1:-1, 1:-1], atol=1e-6)
    halved = F.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=True)
    assert torch.allclose(down[..., 1:-1, 1:-1], halved[..., 1:-1, 1:-1], atol=1e-6)
    ones = torch.ones(1, 1, 8, 8)
    assert torch.allclose(Upsample()(ones)[..., 1:-1, 1:-1], torch.ones(1, 1, 14, 14))
    # per channel: nothing leaks from one channel into another
    one_channel = torch.zeros(1, 2, 8, 8)
    one_channel[0, 0] = 1
    assert Upsample()(one_channel)[0, 1].abs().sum() == 0
    assert Downsample()(one_channel)[0, 1].abs().sum() == 0


def test_networks_shapes_output_and_no_normalisation():
    for channels in (1, 3):  # mnist32 and stacked-mnist32
        spec = DataSpec(name="x", kind="image", shape=(channels, 32, 32))
        v = R3GAN(spec)
        x = v.G(v.noise(5, "cpu"))
        assert x.shape == (5, channels, 32, 32)
        assert v.D(x).shape == (5,)
        norms = (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm, nn.InstanceNorm2d)
        assert not any(isinstance(m, norms) for net in (v.G, v.D) for m in net.modules())
        assert v.latent_dim == 64
        assert x.abs().max() <= 1  # the tanh output
    assert R3GAN(POINTS).latent_dim == 2
    linear = R3GAN(IMAGE, output="linear")  # the released G's linear output, clipped when sampled
    assert not linear.G.tanh
    with torch.no_grad():
        for p in linear.G.to_image.parameters():
            p.mul_(100)
    assert linear.G(linear.noise(4, "cpu")).abs().max() > 1
    assert linear.sample(4, "cpu").abs().max() <= 1


def test_defaults_optimizer_and_ema():
    v = R3GAN(IMAGE)
    assert v.d_optim.betas == (0.0, 0.9) and v.g_optim.betas == (0.0, 0.9)
    assert v.d_optim.lr == v.g_optim.lr == 2e-4
    assert v.hp["gamma"] == 0.05
    assert v.hp["ema_half_life"] == 5e6 and v.hp["ema_rampup"] == 0.02
    assert R3GAN(POINTS).hp["ema_rampup"] == 0.15
    assert v.n_critic == 1 and [u.player for u in v.updates()] == ["D", "G"]
    assert not any(getattr(u, "lazy", False) for u in v.updates())


# --- runs through the CLI --------------------------------------------------------------------------


def run_row(tmp_path, dataset: str) -> dict:
    out = tmp_path / dataset
    argv = ["run", "--variant", "r3gan", "--dataset", dataset, "--preset", "smoke"]
    assert main([*argv, "--out", str(out), "--device", "cpu", "--no-report", "--quiet"]) == 0
    (path,) = out.glob("runs/r3gan/*/seed*/result.json")
    return json.loads(path.read_text())


@pytest.mark.parametrize("dataset", ["mnist32", "ring8"])
def test_smoke_run_through_the_cli(tmp_path, dataset):
    row = run_row(tmp_path, dataset)
    assert row["status"] == "ok", row.get("error")
    assert row["dataset"] == dataset
    assert "half-life" in row["ema"]


def test_r3gan_is_in_the_whole_suite():
    specs = plan_runs(None, None, [0], "quick")
    mine = [s for s in specs if s.variant == "r3gan"]
    assert len(mine) == 1 and mine[0].dataset == "mnist32"
    info = get_variant("r3gan")
    assert info.cls is R3GAN and info.supports == {"points", "image"}


@pytest.mark.parametrize(
    "extra, says",
    [
        (["--dataset", "mnist"], "use mnist32"),
        (["--dataset", "mnist32", "--hp", "gamma=-1"], "gamma takes a number >= 0"),
        (["--dataset", "mnist32", "--hp", "cardinality=3"], "must divide"),
        (["--dataset", "ring8", "--hp", "cardinality=4"], "no hyper-parameter 'cardinality'"),
    ],
    ids=["28px", "negative-gamma", "cardinality", "image-hp-on-points"],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, extra, says):
    out = tmp_path / "out"
    argv = ["run", "--variant", "r3gan", *extra, "--preset", "smoke", "--out", str(out)]
    assert main([*argv, "--no-report", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("ganbench: error: "), err
    assert says in err
    assert not out.exists()
