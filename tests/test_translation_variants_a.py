"""pix2pix, CycleGAN, DiscoGAN, DualGAN and UNIT: each loss against values computed by hand on
tiny tensors with stand-in networks, the replay buffer, the heads, the hyper-parameters and a
smoke training through the harness on a small synthetic translation set."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from ganbench.core.config import Budget
from ganbench.core.hparams import HyperParameterError
from ganbench.data.base import Dataset, DataSpec
from ganbench.harness.run import history_csv
from ganbench.harness.train import train
from ganbench.nets.patchgan import PatchDiscriminator
from ganbench.nets.replay import ReplayBuffer
from ganbench.nets.unet import UNet
from ganbench.registry import get_variant

NAMES = ("pix2pix", "cyclegan", "discogan", "dualgan", "unit")
TWO_WAY = ("cyclegan", "discogan", "dualgan", "unit")


class Fn(nn.Module):
    """A parameter-free network given as a function (the equation stays visible in the test)."""

    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


def put(v, **nets) -> None:
    """Replace a variant's nets by name (the attributes are the nets)."""
    for key, net in nets.items():
        setattr(v, key, net)


def sp(x: float) -> float:
    """softplus: -log sigmoid(-x)."""
    return math.log1p(math.exp(x))


def synthetic(relation: str, n: int = 24) -> Dataset:
    """Digits-shaped noise: source x, target -x (a known transform), as the contract lays out."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, 1, 28, 28, generator=g) * 2 - 1
    spec = DataSpec(
        f"synthetic-{relation}",
        "translation",
        (1, 28, 28),
        num_classes=10,
        value_range=(-1.0, 1.0),
        source_shape=(1, 28, 28),
        relation=relation,
        target_domain="synthetic",
    )
    labels = torch.arange(n) % 10
    half = n // 2
    return Dataset(
        spec,
        train=-x[:half],
        test=-x[half:],
        train_labels=labels[:half],
        test_labels=labels[half:],
        train_source=x[:half],
        test_source=x[half:],
    )


def build(name: str, **hp):
    info = get_variant(name)
    relation = info.cls.relations[0]
    return info.cls(synthetic(relation).spec, **hp)


# Tiny batches of two "images" of one row of two pixels each: (2, 1, 1, 2).
A = torch.tensor([[[[1.0, -1.0]]], [[[0.5, 0.0]]]])
B = torch.tensor([[[[0.5, 0.5]]], [[[-0.5, 0.0]]]])


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


A_VALS, B_VALS = A.flatten().tolist(), B.flatten().tolist()


# --- pix2pix ---------------------------------------------------------------------------------


def test_pix2pix_losses_by_hand():
    v = build("pix2pix")
    v.D = Fn(lambda x, cond: 2 * x + cond)  # a "patch map" the size of the image
    fake = 0.5 * A
    f_vals = fake.flatten().tolist()
    # G: E[(D(a, G(a)) - 1)²] + 100 E|G(a) - b|
    adv = mean([(2 * f + a - 1) ** 2 for f, a in zip(f_vals, A_VALS, strict=True)])
    l1 = mean([abs(f - b) for f, b in zip(f_vals, B_VALS, strict=True)])
    assert v.g_loss(A, B, fake).item() == pytest.approx(adv + 100 * l1, rel=1e-6)
    assert v.logs["l1"].item() == pytest.approx(l1, rel=1e-6)
    # D: ½ E[(D(a, b) - 1)²] + ½ E[D(a, G(a))²]
    d_real = mean([(2 * b + a - 1) ** 2 for b, a in zip(B_VALS, A_VALS, strict=True)])
    d_fake = mean([(2 * f + a) ** 2 for f, a in zip(f_vals, A_VALS, strict=True)])
    assert v.d_loss(A, B, fake).item() == pytest.approx(0.5 * d_real + 0.5 * d_fake, rel=1e-6)


def test_pix2pix_l1_weight_is_the_hp():
    v = build("pix2pix", l1_weight=3.0)
    v.D = Fn(lambda x, cond: torch.ones_like(x))  # adversarial term 0
    fake = 0.5 * A
    l1 = mean([abs(0.5 * a - b) for a, b in zip(A_VALS, B_VALS, strict=True)])
    assert v.g_loss(A, B, fake).item() == pytest.approx(3.0 * l1, rel=1e-6)


def test_pix2pix_discriminator_is_conditional_on_the_source():
    v = build("pix2pix")
    first = next(m for m in v.D.modules() if isinstance(m, nn.Conv2d))
    assert first.in_channels == 2  # (a, b) concatenated on channels
    assert isinstance(v.G, UNet) and isinstance(v.D, PatchDiscriminator)


# --- CycleGAN --------------------------------------------------------------------------------


def test_cyclegan_gan_cycle_and_identity_terms_by_hand():
    v = build("cyclegan")
    put(v,
        G_AB=Fn(lambda x: 2 * x), G_BA=Fn(lambda x: x), D_A=Fn(lambda x: x), D_B=Fn(lambda x: x)
    )
    loss, fake_a, fake_b = v.g_loss(A, B)
    assert torch.equal(fake_b, 2 * A) and torch.equal(fake_a, B)
    gan = 0.5 * (mean([(2 * a - 1) ** 2 for a in A_VALS]) + mean([(b - 1) ** 2 for b in B_VALS]))
    # cycle: G_BA(G_AB(a)) = 2a against a; G_AB(G_BA(b)) = 2b against b
    cycle = 0.5 * (mean([abs(a) for a in A_VALS]) + mean([abs(b) for b in B_VALS]))
    # identity: G_BA(a) = a (0); G_AB(b) = 2b against b
    identity = 0.5 * (0.0 + mean([abs(b) for b in B_VALS]))
    assert v.logs["cycle"].item() == pytest.approx(cycle, rel=1e-6)
    assert v.logs["identity"].item() == pytest.approx(identity, rel=1e-6)
    assert loss.item() == pytest.approx(gan + 10 * cycle + 5 * identity, rel=1e-6)
    # D: ½ E[(D(real) - 1)²] + ½ E[D(fake)²]
    d = v.d_loss(Fn(lambda x: x), A, B)
    expected = 0.5 * mean([(a - 1) ** 2 for a in A_VALS]) + 0.5 * mean([b**2 for b in B_VALS])
    assert d.item() == pytest.approx(expected, rel=1e-6)


def test_cyclegan_weights_are_the_hps():
    v = build("cyclegan", cycle_weight=1.0, identity_weight=0.0)
    put(v,
        G_AB=Fn(lambda x: 2 * x), G_BA=Fn(lambda x: x), D_A=Fn(lambda x: x), D_B=Fn(lambda x: x)
    )
    loss, _, _ = v.g_loss(A, B)
    gan = 0.5 * (mean([(2 * a - 1) ** 2 for a in A_VALS]) + mean([(b - 1) ** 2 for b in B_VALS]))
    cycle = 0.5 * (mean([abs(a) for a in A_VALS]) + mean([abs(b) for b in B_VALS]))
    assert loss.item() == pytest.approx(gan + cycle, rel=1e-6)


def test_cyclegan_discriminators_train_on_the_replay_buffers():
    v = build("cyclegan", buffer_size=3)
    assert v.buffers["A"].size == 3 and v.buffers["B"].size == 3
    data = synthetic("unpaired")
    train(v, data, Budget(2, 8), torch.device("cpu"), torch.Generator().manual_seed(0))
    assert len(v.buffers["A"]) == 3 and len(v.buffers["B"]) == 3


# --- replay buffer -----------------------------------------------------------------------------


def batch(k: float, n: int = 10) -> torch.Tensor:
    return torch.full((n, 1, 2, 2), float(k))


def test_replay_buffer_fills_to_its_size_returning_the_new_fakes():
    buf = ReplayBuffer(50)
    g = torch.Generator().manual_seed(0)
    state = g.get_state()
    for k in range(5):  # 5 x 10 = 50: all stored, all returned as they came
        assert torch.equal(buf.push_and_pop(batch(k), g), batch(k))
        assert len(buf) == 10 * (k + 1)
    assert torch.equal(g.get_state(), state)  # no draws while filling
    assert sorted(buf.store[:, 0, 0, 0].tolist()) == sorted([float(k) for k in range(5)] * 10)


def test_replay_buffer_once_full_returns_a_mix_of_old_and_new():
    buf = ReplayBuffer(50)
    g = torch.Generator().manual_seed(0)
    for k in range(5):
        buf.push_and_pop(batch(k), g)
    out = torch.cat([buf.push_and_pop(batch(k), g) for k in range(5, 25)])[:, 0, 0, 0]
    assert len(buf) == 50
    old = (out < 5).sum().item()
    new_of_own_batch = sum(int((out[10 * i : 10 * i + 10] == 5 + i).sum()) for i in range(20))
    # each image is swapped for a stored one with probability 1/2
    assert 60 < 200 - new_of_own_batch < 140
    assert old > 0  # fakes from the first generators still come back
    values = set(out.tolist())
    assert values <= {float(k) for k in range(25)}


def test_replay_buffer_mid_batch_fill_and_determinism():
    def run(seed: int) -> torch.Tensor:
        buf = ReplayBuffer(50)
        g = torch.Generator().manual_seed(seed)
        return torch.cat([buf.push_and_pop(batch(k, 32), g) for k in range(6)])

    first = run(0)
    assert torch.equal(first[:50], torch.cat([batch(0, 32), batch(1, 32)])[:50])
    assert torch.equal(first, run(0))
    assert not torch.equal(first, run(1))


def test_replay_buffer_rejects_empty():
    with pytest.raises(ValueError):
        ReplayBuffer(0)


# --- DiscoGAN --------------------------------------------------------------------------------


def test_discogan_losses_by_hand():
    v = build("discogan")
    put(v,
        G_AB=Fn(lambda x: 2 * x), G_BA=Fn(lambda x: x), D_A=Fn(lambda x: x), D_B=Fn(lambda x: x)
    )
    loss, fake_a, fake_b = v.g_loss(A, B)
    # non-saturating GAN: -log sigmoid(D(fake)) = softplus(-D(fake)), both directions
    gan = mean([sp(-2 * a) for a in A_VALS]) + mean([sp(-b) for b in B_VALS])
    # reconstruction: squared error, weight 1: G_BA(G_AB(a)) = 2a; G_AB(G_BA(b)) = 2b
    const = mean([a**2 for a in A_VALS]) + mean([b**2 for b in B_VALS])
    assert v.logs["cycle"].item() == pytest.approx(const, rel=1e-6)
    assert loss.item() == pytest.approx(gan + const, rel=1e-6)
    d = v.d_loss(A, B, fake_a, fake_b)
    expected = (
        mean([sp(-a) for a in A_VALS])
        + mean([sp(b) for b in B_VALS])  # fake_a = G_BA(b) = b
        + mean([sp(-b) for b in B_VALS])
        + mean([sp(2 * a) for a in A_VALS])  # fake_b = 2a
    )
    assert d.item() == pytest.approx(expected, rel=1e-6)


def test_discogan_never_uses_a_pair():
    """Shuffling b against a leaves every loss unchanged: there is no paired pixel term."""
    v = build("discogan")
    g = torch.Generator().manual_seed(3)
    a, b = torch.rand(6, 1, 28, 28, generator=g), torch.rand(6, 1, 28, 28, generator=g)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    torch.manual_seed(0)
    l1, _, _ = v.g_loss(a, b)
    l2, _, _ = v.g_loss(a, b[perm])
    assert l1.item() == pytest.approx(l2.item(), rel=1e-5)


# --- DualGAN ---------------------------------------------------------------------------------


def test_dualgan_gradient_penalty_by_hand():
    v = build("dualgan")
    # critic(x) = x² per pixel: a 2 x 2 patch map; the penalised gradient is that of the sum of a
    # sample's patch scores, 2x (as the zoo); the losses use the mean score
    critic = Fn(lambda x: x**2)
    real, fake = torch.ones(3, 1, 2, 2), torch.zeros(3, 1, 2, 2)
    eps = torch.rand(3, 1, 1, 1, generator=torch.Generator().manual_seed(7))
    loss = v.critic_loss(critic, real, fake, torch.Generator().manual_seed(7))
    # x̂ = ε (all four pixels), ||∇|| = sqrt(4 (2ε)²) = 4ε; GP = E[(4ε - 1)²]
    gp = mean([(4 * e - 1) ** 2 for e in eps.flatten().tolist()])
    assert loss.item() == pytest.approx(0.0 - 1.0 + 10 * gp, rel=1e-5)
    v2 = build("dualgan", gp_weight=0.0)
    assert v2.critic_loss(critic, real, fake, torch.Generator()).item() == pytest.approx(-1.0)


def test_dualgan_generator_loss_by_hand():
    v = build("dualgan")
    put(v,
        G_AB=Fn(lambda x: 2 * x), G_BA=Fn(lambda x: x), D_A=Fn(lambda x: x), D_B=Fn(lambda x: x)
    )
    loss = v.g_loss(A, B)
    # -E[D_A(G_BA(b))] - E[D_B(G_AB(a))], means over the batch and the patch scores
    adv = -mean(B_VALS) - mean([2 * a for a in A_VALS])
    cycle = mean([abs(a) for a in A_VALS]) + mean([abs(b) for b in B_VALS])
    assert v.logs["cycle"].item() == pytest.approx(cycle, rel=1e-6)
    assert loss.item() == pytest.approx(adv + 10 * cycle, rel=1e-6)


def test_dualgan_critics_have_no_batch_norm_and_score_each_sample_alone():
    v = build("dualgan")
    for d in (v.D_A, v.D_B):
        assert not any(isinstance(m, nn.BatchNorm2d | nn.InstanceNorm2d) for m in d.modules())
    x = torch.rand(4, 1, 28, 28)
    other = torch.rand(4, 1, 28, 28)
    with torch.no_grad():
        alone = v.D_A(x[:1])
        mixed = v.D_A(torch.cat([x[:1], other]))[:1]
    assert torch.allclose(alone, mixed, atol=1e-6)


def test_dualgan_runs_n_critic_critic_updates_per_step():
    v = build("dualgan", n_critic=2)
    assert v.n_critic == 2
    d_update = next(u for u in v.updates() if u.player == "D")
    assert d_update.repeat == 2 and v.updates()[0].player == "D"


# --- UNIT ------------------------------------------------------------------------------------


def test_unit_kl_term():
    from ganbench.variants.unit import kl

    mu = torch.tensor([[1.0, -2.0], [0.5, 0.0]])
    assert kl(mu).item() == pytest.approx((1 + 4 + 0.25 + 0) / 4)


def test_unit_losses_by_hand():
    v = build("unit")
    put(v,
        E_A=Fn(lambda x: x),
        E_B=Fn(lambda x: x),
        G_A=Fn(lambda z: z),
        G_B=Fn(lambda z: -z),
        D_A=Fn(lambda x: x),
        D_B=Fn(lambda x: x),
    )
    loss, fake_a, fake_b = v.g_loss(A, B, torch.zeros_like)  # no sampling noise
    assert torch.equal(fake_a, B) and torch.equal(fake_b, -A)
    gan = mean([(b - 1) ** 2 for b in B_VALS]) + mean([(-a - 1) ** 2 for a in A_VALS])
    prior = mean([a**2 for a in A_VALS]) + mean([b**2 for b in B_VALS])
    recon = 0.0 + mean([2 * abs(b) for b in B_VALS])  # G_A(E_A(a)) = a; G_B(E_B(b)) = -b
    cycle_prior = prior  # E_B(fake_b) = -a, E_A(fake_a) = b
    cycle = mean([2 * abs(a) for a in A_VALS]) + mean([2 * abs(b) for b in B_VALS])
    expected = 10 * gan + 0.1 * prior + 100 * recon + 0.1 * cycle_prior + 100 * cycle
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert v.logs["kl"].item() == pytest.approx(prior, rel=1e-6)
    assert v.logs["recon"].item() == pytest.approx(recon, rel=1e-6)
    assert v.logs["cycle"].item() == pytest.approx(cycle, rel=1e-6)
    d = v.d_loss(Fn(lambda x: x), A, B)
    assert d.item() == pytest.approx(
        mean([(a - 1) ** 2 for a in A_VALS]) + mean([b**2 for b in B_VALS]), rel=1e-6
    )


def test_unit_shares_the_last_encoder_and_first_decoder_blocks_once_in_the_optimizer():
    v = build("unit")
    assert v.E_A.shared is v.E_B.shared and v.G_A.shared is v.G_B.shared
    assert v.E_A.own is not v.E_B.own
    params = v.parameters_of("G")
    assert len(params) == len({id(p) for p in params})
    every = {id(p) for m in (v.E_A, v.E_B, v.G_A, v.G_B) for p in m.parameters()}
    assert {id(p) for p in params} == every
    shared = {id(p) for p in v.E_A.shared.parameters()}
    assert shared <= {id(p) for p in params}


# --- every variant -----------------------------------------------------------------------------


EXPECTED_COLUMNS = {
    "pix2pix": {"g_loss", "d_loss", "l1"},
    "cyclegan": {"g_loss", "d_a_loss", "d_b_loss", "cycle", "identity"},
    "discogan": {"g_loss", "d_loss", "cycle"},
    "dualgan": {"g_loss", "d_loss", "cycle"},
    "unit": {"g_loss", "d_a_loss", "d_b_loss", "kl", "recon", "cycle"},
}


@pytest.mark.parametrize("name", NAMES)
def test_smoke_training_gives_finite_losses_and_columns(name):
    info = get_variant(name)
    data = synthetic(info.cls.relations[0])
    v = info.cls(data.spec)
    res = train(v, data, Budget(4, 8), torch.device("cpu"), torch.Generator().manual_seed(0))
    assert res.steps_done == 4 and res.diverged_step is None
    assert set(res.history) == {"step"} | EXPECTED_COLUMNS[name]
    assert all(math.isfinite(x) for k, xs in res.history.items() for x in xs)
    header = history_csv(res.history).splitlines()[0].split(",")
    assert set(header) == {"step"} | EXPECTED_COLUMNS[name]


@pytest.mark.parametrize("name", ["cyclegan", "unit"])
def test_smoke_training_is_reproducible_under_a_seed(name):
    def run() -> dict[str, list[float]]:
        torch.manual_seed(123)  # the harness seeds the global RNG too (init, dropout)
        info = get_variant(name)
        data = synthetic(info.cls.relations[0])
        v = info.cls(data.spec)
        gen = torch.Generator().manual_seed(5)
        return train(v, data, Budget(3, 8), torch.device("cpu"), gen, log_every=1).history

    assert run() == run()


@pytest.mark.parametrize("name", NAMES)
def test_heads_shapes_and_range(name):
    v = build(name)
    a = torch.rand(5, 1, 28, 28) * 2 - 1
    out = v.heads_eval(v.translate, a)
    assert out.shape == (5, 1, 28, 28) and out.dtype == torch.float32
    assert out.min() >= -1 and out.max() <= 1 and torch.isfinite(out).all()
    assert all(m.training for m in v.nets.values())  # heads_eval restores the modes
    if name in TWO_WAY:
        assert v.two_way
        back = v.heads_eval(v.translate_back, out)
        assert back.shape == a.shape and back.min() >= -1 and back.max() <= 1
    else:
        assert not v.two_way
        with pytest.raises(NotImplementedError):
            v.translate_back(out)


@pytest.mark.parametrize("name", NAMES)
def test_heads_are_deterministic_in_eval(name):
    v = build(name)
    a = torch.rand(3, 1, 28, 28) * 2 - 1
    assert torch.equal(v.heads_eval(v.translate, a), v.heads_eval(v.translate, a))


@pytest.mark.parametrize("name", NAMES)
def test_every_default_is_a_settable_hp_and_lr_betas_reach_the_optimizers(name):
    info = get_variant(name)
    defaults = info.cls.defaults
    assert {"lr", "betas"} <= set(defaults)
    known = info.cls.known_hparams("translation")
    assert set(known) == set(defaults)
    v = build(name, lr=1e-3, betas=(0.9, 0.99))
    for name_, player in v.players().items():
        opt = player.optim.build(v.parameters_of(name_))
        assert opt.defaults["lr"] == 1e-3 and opt.defaults["betas"] == (0.9, 0.99)
    for key, value in defaults.items():
        if isinstance(value, float):
            assert build(name, **{key: value * 2}).hp[key] == value * 2
    with pytest.raises(HyperParameterError):
        build(name, not_a_weight=1.0)


@pytest.mark.parametrize("name", NAMES)
def test_registered_for_translation_relations_only(name):
    info = get_variant(name)
    assert info.family == "translation" and info.datasets
    relation = info.cls.relations[0]
    assert info.supports_data("translation", 10, relation)
    assert not info.supports_data("translation", 10, "inpainting")
    assert not info.supports_data("image", 10)
    spec = DataSpec("mnist-like", "image", (1, 28, 28), num_classes=10, value_range=(-1, 1))
    with pytest.raises(ValueError):
        info.cls(spec)


@pytest.mark.parametrize("name", NAMES)
def test_hp_keys_are_accepted_by_the_run_planner(name):
    from ganbench.harness.suite import plan_runs

    info = get_variant(name)
    key = next(k for k, v in info.cls.defaults.items() if isinstance(v, float) and k != "lr")
    (spec,) = plan_runs([name], None, [0], "smoke", device="cpu", hp={key: 0.5, "lr": 1e-3})
    assert spec.dataset == info.datasets[0]
    with pytest.raises(HyperParameterError):
        plan_runs([name], None, [0], "smoke", device="cpu", hp={"no_such_key": 1.0})


# --- the shared nets ---------------------------------------------------------------------------


def test_unet_shapes_skips_and_extra_channels():
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    assert UNet(1, 1, width=8)(x).shape == (2, 1, 28, 28)
    assert UNet(1, 3, width=8, skips=False)(x).shape == (2, 3, 28, 28)
    u = UNet(1, 1, width=8, extra_channels=1)
    assert u(x, extra=torch.rand(2, 1, 7, 7)).shape == (2, 1, 28, 28)
    with pytest.raises(ValueError):
        u(x)  # the extra input is required
    with pytest.raises(ValueError):
        UNet(1, 1, width=8, depth=3)(x)  # 28 does not halve three times


def test_unet_skips_carry_the_input_past_the_bottleneck():
    torch.manual_seed(0)
    u = UNet(1, 1, width=8, dropout=0.0).eval()
    with torch.no_grad():
        u.bottleneck[0].weight.zero_()  # nothing gets through the bottleneck...
        u.bottleneck[0].bias.zero_()
        x = torch.rand(2, 1, 28, 28)
        y = u(x)
    assert not torch.allclose(y[0], y[1])  # ...yet the two outputs still differ, via the skips


def test_patchgan_grid_and_conditioning():
    d = PatchDiscriminator(2, width=8)
    a, b = torch.rand(3, 1, 28, 28), torch.rand(3, 1, 28, 28)
    assert d(b, a).shape == (3, 1, 7, 7)
    assert PatchDiscriminator(1, width=8, n_layers=3)(a).shape == (3, 1, 3, 3)
    with torch.no_grad():
        assert not torch.allclose(d(b, a), d(b, torch.rand(3, 1, 28, 28)))
