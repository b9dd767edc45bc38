"""SAGAN at 32 px: the self-attention block against its equations worked by hand (its gate starts
at 0, so the block starts as the identity), the hinge loss on known scores, spectral norm in G and
D, the two-timescale optimisers, a few training steps through the harness and the command line,
its place in `run --all`, and bad input refused before anything is written."""

from __future__ import annotations

import json
import math

import pytest
import torch
from _variant_smoke import Fn
from torch import nn

from ganbench.cli import main
from ganbench.core.config import Budget
from ganbench.core.seeding import make_generator, seed_everything
from ganbench.data import get_dataset
from ganbench.harness.suite import plan_runs
from ganbench.harness.train import train
from ganbench.nets.sagan_nets import SelfAttention
from ganbench.registry import get_variant

TOL = 1e-6


@pytest.fixture(scope="module")
def spec():
    return get_dataset("mnist32").spec


def make(spec, **hp):
    return get_variant("sagan").cls(spec, **hp)


# --- self-attention -------------------------------------------------------------------------------


def test_attention_gate_starts_at_zero_so_the_block_is_the_identity():
    torch.manual_seed(0)
    for pool in (1, 2):
        block = SelfAttention(16, pool=pool)
        assert block.gamma.shape == () and block.gamma.item() == 0.0 and block.gamma.requires_grad
        x = torch.randn(3, 16, 8, 8)
        assert torch.equal(block(x), x)
        with torch.no_grad():
            block.gamma.fill_(0.3)
        o, _ = block.attend(x)
        assert o.abs().sum() > 0  # the attention path is live: only the gate held it at 0
        assert torch.allclose(block(x), x + 0.3 * o)


@pytest.mark.parametrize("pool, attended", [(1, 64), (2, 16)])
def test_attention_shapes(pool, attended):
    torch.manual_seed(0)
    block = SelfAttention(32, pool=pool)
    assert block.f.out_channels == block.g.out_channels == block.h.out_channels == 32 // 8  # C̄
    assert block.v.in_channels == 4 and block.v.out_channels == 32
    x = torch.randn(2, 32, 8, 8)
    o, beta = block.attend(x)
    assert o.shape == x.shape == block(x).shape
    assert beta.shape == (2, 64, attended)  # β[b, j, i]: every output location j over the i
    assert torch.allclose(beta.sum(2), torch.ones(2, 64)) and (beta >= 0).all()


def _set_1x1(conv: nn.Conv2d, weights: dict[tuple[int, int], float]) -> None:
    with torch.no_grad():
        conv.weight.zero_()
        for (o, i), w in weights.items():
            conv.weight[o, i, 0, 0] = w


def test_attention_equations_by_hand():
    """C = 8, so C̄ = 1; one row of three locations with x_i = (a_i, b_i, c_i, 0, ...):
    f(x_i) = a_i, g(x_j) = b_j, h(x_i) = c_i, v(t) = 2t into channel 3, γ = 0.5. Then
    s_ij = a_i b_j, β_{j,i} = e^{s_ij} / Σ_i e^{s_ij}, o_j = 2 Σ_i β_{j,i} c_i (channel 3 only)."""
    block = SelfAttention(8).double()
    _set_1x1(block.f, {(0, 0): 1.0})
    _set_1x1(block.g, {(0, 1): 1.0})
    _set_1x1(block.h, {(0, 2): 1.0})
    _set_1x1(block.v, {(3, 0): 2.0})
    with torch.no_grad():
        block.gamma.fill_(0.5)
    a, b, c = [0.5, -1.0, 2.0], [1.0, 0.25, -0.5], [3.0, -2.0, 1.0]
    x = torch.zeros(1, 8, 1, 3, dtype=torch.float64)
    x[0, 0, 0], x[0, 1, 0], x[0, 2, 0] = torch.tensor(a), torch.tensor(b), torch.tensor(c)
    _, beta = block.attend(x)
    y = block(x)
    for j in range(3):
        z = sum(math.exp(a[i] * b[j]) for i in range(3))
        for i in range(3):
            assert beta[0, j, i].item() == pytest.approx(math.exp(a[i] * b[j]) / z, abs=TOL)
        o_j = 2 * sum(math.exp(a[i] * b[j]) / z * c[i] for i in range(3))
        assert y[0, 3, 0, j].item() == pytest.approx(0.5 * o_j, abs=TOL)
    assert torch.equal(y[0, :3], x[0, :3]) and torch.equal(y[0, 4:], x[0, 4:])


def test_pooled_attention_by_hand():
    """attention_pool 2 (the authors' code): on a 2x2 map the attended locations pool to one,
    so β = 1 and o_j = v(max_i h(x_i)) at every j."""
    block = SelfAttention(8, pool=2).double()
    _set_1x1(block.f, {(0, 0): 1.0})
    _set_1x1(block.g, {(0, 1): 1.0})
    _set_1x1(block.h, {(0, 2): 1.0})
    _set_1x1(block.v, {(3, 0): 2.0})
    with torch.no_grad():
        block.gamma.fill_(0.5)
    x = torch.zeros(1, 8, 2, 2, dtype=torch.float64)
    x[0, 2] = torch.tensor([[1.0, -3.0], [0.5, 2.5]])
    _, beta = block.attend(x)
    assert beta.shape == (1, 4, 1) and torch.equal(beta, torch.ones(1, 4, 1, dtype=torch.float64))
    assert torch.allclose(block(x)[0, 3], torch.full((2, 2), 0.5 * 2 * 2.5, dtype=torch.float64))


def test_one_attention_block_at_16px_in_G_and_in_D(spec):
    torch.manual_seed(0)
    v = make(spec)
    seen = {}
    for name, net in v.nets.items():
        blocks = [m for m in net.modules() if isinstance(m, SelfAttention)]
        assert len(blocks) == 1, name
        assert blocks[0].gamma.item() == 0.0
        blocks[0].register_forward_hook(
            lambda m, args, out, name=name: seen.update({name: args[0]})
        )
    x = v.G(torch.randn(4, v.latent_dim))
    v.D(x)
    assert x.shape == (4, 1, 32, 32)
    assert seen["G"].shape == (4, 32, 16, 16) and seen["D"].shape == (4, 32, 16, 16)


# --- loss, normalisation, optimiser ---------------------------------------------------------------

REAL = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
Z = torch.tensor([[0.5, 0.5], [-1.0, 1.0]], dtype=torch.float64)


def test_hinge_losses_on_known_scores(spec):
    v = make(spec)
    v.G = Fn(lambda z: z)  # the fakes are z
    v.D = Fn(
        lambda x: 0.5 * x[:, 0] - x[:, 1] + 0.25
    )  # scores: real (0.75, -1.75), fake (0, -1.25)
    d = ((1 - 0.75) + (1 + 1.75)) / 2 + ((1 + 0.0) + max(0.0, 1 - 1.25)) / 2
    assert v.d_loss(REAL, Z, None).item() == pytest.approx(d, abs=TOL)
    assert v.g_loss(Z, None).item() == pytest.approx(-(0.0 - 1.25) / 2, abs=TOL)
    v.D = Fn(lambda x: 3 * x.sum(1))  # confident scores: real 3, 6 and fake 3, 0
    assert v.d_loss(REAL, Z, None).item() == pytest.approx(0 + (4 + 1) / 2, abs=TOL)


def test_spectral_norm_on_every_layer_of_G_and_D(spec):
    torch.manual_seed(0)
    v = make(spec)
    layers = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)
    for name, net in v.nets.items():
        weights = [m for m in net.modules() if isinstance(m, layers) and m is not v.G.out.conv]
        assert len(weights) > 5 and all(hasattr(m, "parametrizations") for m in weights), name
    # G's one-channel output layer is left out by default, and normalised on request
    assert not hasattr(v.G.out.conv, "parametrizations")
    assert hasattr(make(spec, g_sn_output=True).G.out.conv, "parametrizations")
    assert not any(isinstance(m, nn.BatchNorm2d) for m in v.D.modules())
    x = torch.randn(8, *spec.shape)
    for _ in range(30):  # power iterations run in training mode
        v.D(x)
    v.D.eval()
    for m in v.D.modules():
        if isinstance(m, nn.Linear | nn.Conv2d):
            sigma = torch.linalg.matrix_norm(m.weight.flatten(1), ord=2).item()
            assert sigma == pytest.approx(1.0, abs=0.05)


def test_two_timescale_adam(spec):
    v = make(spec)
    players = v.players()
    assert players["D"].optim.lr == 4e-4 and players["G"].optim.lr == 1e-4
    assert players["D"].optim.betas == (0.0, 0.9) == players["G"].optim.betas
    assert v.n_critic == 1 and v.hp["ema_half_life"] == 0


def test_registered_unconditional_on_the_32px_sets():
    info = get_variant("sagan")
    assert info.supports == {"image"} and not info.conditional
    assert info.datasets == ("mnist32", "stacked-mnist32")
    assert "arXiv:1805.08318" in info.paper
    doc = __import__(info.cls.__module__, fromlist=["_"]).__doc__
    assert "max(0, 1 - D(x))" in doc and "keeps" in doc and "drops" in doc


def test_data_problem_names_the_fix():
    cls = get_variant("sagan").cls
    for name in ("mnist32", "stacked-mnist32"):
        assert cls.data_problem(get_dataset(name).spec) == ""
    for name in ("mnist", "stacked-mnist"):
        msg = cls.data_problem(get_dataset(name).spec)
        assert "28x28" in msg and "use mnist32" in msg and "\n" not in msg
    with pytest.raises(ValueError, match="use mnist32"):
        cls(get_dataset("mnist").spec)


# --- training -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", ["mnist32", "stacked-mnist32"])
def test_trains_a_few_steps_through_the_harness(dataset):
    data = get_dataset(dataset)
    seed_everything(0)
    v = make(data.spec)
    res = train(v, data, Budget(3, 16), torch.device("cpu"), make_generator(0, "cpu"), log_every=1)
    assert res.steps_done == 3 and res.diverged_step is None
    assert all(math.isfinite(x) for xs in res.history.values() for x in xs)
    assert {"d_loss", "g_loss"} <= set(res.history)
    gammas = [
        m.gamma for net in v.nets.values() for m in net.modules() if isinstance(m, SelfAttention)
    ]
    assert all(g.item() != 0.0 for g in gammas)  # the gates trained away from 0
    x = v.sample(10, "cpu", make_generator(1, "cpu"))
    assert x.shape == (10, *data.spec.shape) and torch.isfinite(x).all()
    assert x.min() >= -1 and x.max() <= 1


def test_cli_smoke_run_gives_an_ok_row(tmp_path):
    out = tmp_path / "out"
    args = ["run", "--variant", "sagan", "--dataset", "mnist32", "--preset", "smoke"]
    assert main([*args, "--out", str(out), "--no-report", "--quiet"]) == 0
    (result,) = out.glob("runs/sagan/mnist32/seed0/result.json")
    row = json.loads(result.read_text())
    assert row["status"] == "ok", row.get("error")
    assert "width=32" in row["hp_effective"] and "attention_pool=2" in row["hp_effective"]
    assert "g_sn_output=False" in row["hp_effective"]
    assert math.isfinite(row["fid"]) and row["modes_total"] == 10


def test_run_all_includes_it_on_mnist32():
    specs = plan_runs(None, None, [0], "quick")
    assert [s.dataset for s in specs if s.variant == "sagan"] == ["mnist32"]


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra, needle",
    [
        (
            ["--dataset", "mnist"],
            "sagan builds 32x32 images (4 -> 8 -> 16 -> 32), not 28x28; use mnist32",
        ),
        (["--dataset", "mnist32", "--hp", "width=0"], "width takes a positive integer"),
        (["--dataset", "mnist32", "--hp", "attention_pool=4"], "attention_pool takes one of 1, 2"),
    ],
)
def test_bad_input_exit_2_one_line_nothing_written(tmp_path, capsys, extra, needle):
    out = tmp_path / "out"
    assert main(["run", "--variant", "sagan", *extra, "--preset", "smoke", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("ganbench: error:") and needle in err
    assert not out.exists()
