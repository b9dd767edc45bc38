"""BigGAN at 32 px: each defining piece against values worked by hand (class-conditional batch
norm, the shared embedding and hierarchical z routed into it, the projection discriminator,
orthogonal regularisation of G, the hinge loss), the EMA's half-life as BigGAN's 0.9999 per step,
truncation at sampling only and recorded in the row, a few training steps through the harness
and the command line, its place in `run --all` (conditional: mnist32 only), bad input refused."""

from __future__ import annotations

import json
import math

import pytest
import torch
from _variant_smoke import Fn
from torch import nn

from ganbench.cli import main
from ganbench.core.config import Budget
from ganbench.core.errors import GanbenchError
from ganbench.core.seeding import make_generator, seed_everything
from ganbench.data import get_dataset
from ganbench.harness.ema import ema_beta
from ganbench.harness.suite import plan_runs
from ganbench.harness.train import train
from ganbench.nets.biggan_nets import (
    ConditionalBatchNorm2d,
    ProjectionHead,
    chunk_sizes,
    orthogonal_penalty,
    orthogonal_regulariser,
    truncated_normal,
)
from ganbench.nets.sagan_nets import DBlock, SelfAttention
from ganbench.registry import get_variant

TOL = 1e-6


@pytest.fixture(scope="module")
def spec():
    return get_dataset("mnist32").spec


def make(spec, **hp):
    return get_variant("biggan").cls(spec, **hp)


def _weights(module: nn.Module, values) -> None:
    with torch.no_grad():
        module.weight.copy_(torch.tensor(values, dtype=module.weight.dtype))


# --- class-conditional batch norm -----------------------------------------------------------------


def test_initialisation_default_and_the_authors_orthogonal_one(spec):
    torch.manual_seed(0)
    assert make(spec).hp["init"] == "default"
    v = make(spec, init="ortho")
    e = v.G.shared.weight  # 10 classes x 128: orthonormal rows, class codes of norm 1
    assert torch.allclose(e @ e.t(), torch.eye(10), atol=1e-5)
    w = v.G.blocks[0].conv1.parametrizations.weight.original.flatten(1)  # 32 x 288
    assert torch.allclose(w @ w.t(), torch.eye(32), atol=1e-5)
    assert orthogonal_penalty(w).item() == pytest.approx(0.0, abs=1e-8)


def test_the_authors_32px_initialisation_n02(spec):
    """`init=n02`: N(0, 0.02) in every Linear / Conv / Embedding of G and D (BigGAN-PyTorch's
    --G_init / --D_init N02, its CIFAR launch script), before spectral normalisation."""
    torch.manual_seed(0)
    v = make(spec, init="n02")
    weights = [
        v.G.shared.weight,
        v.G.blocks[0].conv1.parametrizations.weight.original,
        v.D.head.embed.parametrizations.weight.original,
        v.D.features.first.conv1.parametrizations.weight.original,
    ]
    for w in weights:
        assert w.mean().item() == pytest.approx(0.0, abs=0.005)
        assert w.std().item() == pytest.approx(0.02, rel=0.1)
    # the default is PyTorch's, but for the shared embedding: N(0, 0.02), the authors' scale
    default = make(spec)
    assert default.G.shared.weight.std().item() == pytest.approx(0.02, rel=0.1)
    w = default.G.blocks[0].conv1.parametrizations.weight.original
    assert w.std().item() == pytest.approx(1 / math.sqrt(3 * 32 * 9), rel=0.1)  # kaiming-uniform


def test_conditional_batch_norm_by_hand():
    """One channel, x = (1, 3) over the batch: BN gives (-1, 1)/sqrt(1 + eps). c = e_1, e_2 and
    W_γ = (0.5, -1), W_β = (2, 3): γ = (0.5, -1), β = (2, 3); out = BN(x)(1 + γ) + β."""
    cbn = ConditionalBatchNorm2d(1, 2).double()
    _weights(cbn.gain, [[0.5, -1.0]])
    _weights(cbn.bias, [[2.0, 3.0]])
    x = torch.tensor([1.0, 3.0], dtype=torch.float64).view(2, 1, 1, 1)
    c = torch.eye(2, dtype=torch.float64)
    n = 1 / math.sqrt(1 + cbn.bn.eps)
    out = cbn(x, c).flatten().tolist()
    assert out == pytest.approx([-n * 1.5 + 2.0, n * 0.0 + 3.0], abs=TOL)
    assert not cbn.bn.affine  # the gain and bias come from c only
    _weights(cbn.gain, [[0.0, 0.0]])
    _weights(cbn.bias, [[0.0, 0.0]])
    assert cbn(x, c).flatten().tolist() == pytest.approx([-n, n], abs=TOL)  # c -> 0: plain BN


def test_shared_embedding_and_hierarchical_z_feed_every_block(spec):
    torch.manual_seed(0)
    v = make(spec)
    G = v.G
    assert v.latent_dim == 120 and G.chunks == 4 and chunk_sizes(120, 4) == [30, 30, 30, 30]
    assert chunk_sizes(100, 3) == [34, 33, 33]
    assert isinstance(G.shared, nn.Embedding) and G.shared.embedding_dim == 128
    assert G.fc.in_features == 30  # z_0 alone reaches the input layer
    seen = []
    for block in G.blocks:
        for norm in (block.norm1, block.norm2):
            assert isinstance(norm, ConditionalBatchNorm2d) and norm.gain.in_features == 30 + 128
        block.norm1.register_forward_hook(lambda m, args, out: seen.append(args[1]))
    z, y = torch.randn(5, 120), torch.tensor([0, 3, 3, 7, 9])
    x = G(z, y)
    assert x.shape == (5, 1, 32, 32) and len(seen) == 3
    e = G.shared(y)
    for k, c in enumerate(seen, start=1):  # block k is conditioned on [z_k, e(y)]
        assert torch.equal(c, torch.cat([z[:, 30 * k : 30 * (k + 1)], e], 1))
    G.eval()
    a, b = G(z, torch.zeros(5, dtype=torch.long)), G(z, torch.ones(5, dtype=torch.long))
    assert not torch.allclose(a, b)  # the class reaches the image
    z2 = z.clone()
    z2[:, 90:] += 1.0  # only the 32 px block's chunk
    assert not torch.allclose(G(z2, y), G(z, y))


def test_the_authors_32px_layout_residual_to_32px_and_D_down_to_8px(spec):
    """BigGAN-PyTorch's G_arch[32] / D_arch[32]: G's last block is a residual up-block to 32 px
    followed by a 3x3 convolution (not SAGAN's cheap 4x4 transposed convolution), and D's four
    residual blocks end at 8 px (not 4 px). On SAGAN's cheap stages BigGAN scored FID 140.6 at
    500 steps where the authors' code scored 5.8 (docs/variants.md, item 8)."""
    torch.manual_seed(0)
    v = make(spec)
    sizes = []
    for block in v.G.blocks:
        block.register_forward_hook(lambda m, args, out: sizes.append(out.shape[-1]))
    v.G(torch.randn(2, 120), torch.tensor([1, 2]))
    assert sizes == [8, 16, 32]
    assert isinstance(v.G.out.conv, nn.Conv2d) and v.G.out.conv.kernel_size == (3, 3)
    body = v.D.features
    maps = []
    for block in (body.first, *body.blocks):
        assert isinstance(block, DBlock)
        block.register_forward_hook(lambda m, args, out: maps.append(out.shape[-1]))
    body(torch.randn(2, *spec.shape))
    assert maps == [16, 8, 8, 8]
    assert not body.first.preactivation and all(b.preactivation for b in body.blocks)


def test_dblock_without_preactivation_reads_negative_inputs():
    """The first D block reads the image in [-1, 1]: a ReLU in front would zero its dark half."""
    torch.manual_seed(0)
    pre, raw = DBlock(1, 4), DBlock(1, 4, preactivation=False)
    raw.load_state_dict(pre.state_dict())
    x = -torch.rand(1, 1, 8, 8)  # all negative
    conv_path = lambda b, x: b.conv2(torch.relu(b.conv1(x)))  # noqa: E731
    relu_free = conv_path(raw, x) + raw.shortcut(x)
    assert torch.allclose(raw(x), torch.nn.functional.avg_pool2d(relu_free, 2), atol=1e-6)
    blind = conv_path(pre, torch.zeros_like(x)) + pre.shortcut(x)
    assert torch.allclose(pre(x), torch.nn.functional.avg_pool2d(blind, 2), atol=1e-6)
    assert not torch.allclose(pre(x), raw(x))


def test_optimiser_is_the_authors_32px_launch_script(spec):
    """launch_cifar_ema.sh: four D steps per G step, Adam(2e-4, (0, 0.999), eps 1e-8) for both.
    The ImageNet script's one D step at 4e-4 / 1e-4 trains slowly at 32 px with the hierarchical
    z, in the authors' code too (docs/variants.md, item 8)."""
    v = make(spec)
    assert v.n_critic == 4
    for spec_ in (v.d_optim, v.g_optim):
        assert spec_.lr == 2e-4 and spec_.betas == (0.0, 0.999) and spec_.extra == {"eps": 1e-8}


# --- projection discriminator ---------------------------------------------------------------------


def test_projection_head_by_hand():
    """ψ(φ) = (1, -1, 0.5)·φ + 0.25; e_D(0) = (1, 0, 2), e_D(1) = (0, -1, 1).
    φ_1 = (1, 2, 3), y = 1: 0.75 + 1 = 1.75;  φ_2 = (0.5, 0, -1), y = 0: 0.25 - 1.5 = -1.25."""
    head = ProjectionHead(3, 2).double()
    _weights(head.psi, [[1.0, -1.0, 0.5]])
    with torch.no_grad():
        head.psi.bias.fill_(0.25)
    _weights(head.embed, [[1.0, 0.0, 2.0], [0.0, -1.0, 1.0]])
    phi = torch.tensor([[1.0, 2.0, 3.0], [0.5, 0.0, -1.0]], dtype=torch.float64)
    assert head(phi, torch.tensor([1, 0])).tolist() == pytest.approx([1.75, -1.25], abs=TOL)
    # the same features with the other labels: the inner-product term follows y
    assert head(phi, torch.tensor([0, 1])).tolist() == pytest.approx([0.75 + 7, 0.25 + -1], abs=TOL)


def test_discriminator_projects_the_label_and_is_spectrally_normalised(spec):
    torch.manual_seed(0)
    v = make(spec)
    assert isinstance(v.D.head, ProjectionHead) and v.D.head.embed.num_embeddings == 10
    x = torch.randn(4, *spec.shape)
    v.D.eval()
    assert v.D(x, torch.zeros(4, dtype=torch.long)).shape == (4,)
    assert not torch.allclose(
        v.D(x, torch.zeros(4, dtype=torch.long)), v.D(x, torch.ones(4, dtype=torch.long))
    )
    layers = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)
    for name, net in v.nets.items():
        weights = [m for m in net.modules() if isinstance(m, layers) and m is not v.G.out.conv]
        assert len(weights) > 5 and all(hasattr(m, "parametrizations") for m in weights), name
        attention = [m for m in net.modules() if isinstance(m, SelfAttention)]
        assert len(attention) == 1 and attention[0].gamma.item() == 0.0
    assert hasattr(v.D.head.embed, "parametrizations")  # SN on the projection's embedding
    assert not hasattr(v.G.shared, "parametrizations")  # G's shared embedding is plain
    assert hasattr(v.G.out.conv, "parametrizations")  # the authors' code: SN on the output too
    assert not hasattr(make(spec, g_sn_output=False).G.out.conv, "parametrizations")


# --- orthogonal regularisation --------------------------------------------------------------------

W = [[1.0, 2.0], [3.0, 4.0], [0.0, 1.0]]  # three filters of two weights
# Gram matrix of the filters: [[5, 11, 2], [11, 25, 4], [2, 4, 1]]; off-diagonal squares:
# 2 (11² + 2² + 4²) = 282
ORTHO_W = 282.0


def test_orthogonal_penalty_by_hand():
    w = torch.tensor(W, dtype=torch.float64)
    assert orthogonal_penalty(w).item() == pytest.approx(ORTHO_W)
    assert orthogonal_penalty(w.view(3, 2, 1, 1)).item() == pytest.approx(ORTHO_W)  # a conv
    assert orthogonal_penalty(torch.eye(3) * 7).item() == 0.0  # norms are not constrained
    q, _ = torch.linalg.qr(torch.randn(6, 4, dtype=torch.float64))
    assert orthogonal_penalty(q.t()).item() == pytest.approx(0.0, abs=1e-12)


class TinyG(nn.Module):
    """G(z, y) = L z with L = W (3 x 2), and a shared embedding (not a layer: not regularised)."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 3, bias=False).double()
        self.shared = nn.Embedding(2, 2).double()
        _weights(self.lin, W)
        _weights(self.shared, [[5.0, 6.0], [7.0, 8.0]])  # would add 2·83² if counted

    def forward(self, z, y):
        return self.lin(z)


def test_orthogonal_regulariser_sums_the_layers_of_G_without_the_embedding():
    g = TinyG()
    assert orthogonal_regulariser(g).item() == pytest.approx(ORTHO_W)
    # a transposed convolution's filters are along its second dimension: W as (in, out, 1, 1)
    g.up = nn.ConvTranspose2d(2, 3, 1, bias=False).double()
    _weights(g.up, torch.tensor(W).t().reshape(2, 3, 1, 1).tolist())
    assert orthogonal_regulariser(g).item() == pytest.approx(2 * ORTHO_W)
    # under spectral normalisation, the trained (un-normalised) weight is the one regularised
    torch.nn.utils.parametrizations.spectral_norm(g.lin)
    assert orthogonal_regulariser(g).item() == pytest.approx(2 * ORTHO_W)


Y = torch.tensor([0, 1])
REAL = torch.tensor([[0.1, 0.2], [0.3, -0.4]], dtype=torch.float64)
Z = torch.tensor([[0.5, 0.0], [-0.2, 0.1]], dtype=torch.float64)


def test_generator_loss_is_hinge_plus_beta_times_the_regulariser(spec):
    v = make(spec, ortho_beta=0.5)
    v.G = TinyG()
    v.D = Fn(lambda x, y: x.sum(1) - y.double())
    fake = [[0.5, 1.5, 0.0], [0.0, -0.2, 0.1]]  # G(z) = W z
    scores = [sum(fake[0]) - 0, sum(fake[1]) - 1]  # 2.0, -1.1
    loss = v.g_loss(Z, Y)
    assert loss.item() == pytest.approx(-sum(scores) / 2 + 0.5 * ORTHO_W, abs=TOL)
    assert v.logs["ortho"].item() == pytest.approx(ORTHO_W)
    assert make(spec).hp["ortho_beta"] == 1e-4  # the paper's β


def test_regulariser_on_the_built_G_only(spec):
    torch.manual_seed(0)
    v = make(spec)
    z, y = torch.randn(4, v.latent_dim), torch.tensor([1, 2, 3, 4])
    v.g_loss(z, y)
    expected = orthogonal_regulariser(v.G)
    assert v.logs["ortho"].item() == pytest.approx(expected.item())
    with torch.no_grad():  # D's weights do not enter it
        for p in v.D.parameters():
            p.add_(1.0)
    v.g_loss(z, y)
    assert v.logs["ortho"].item() == pytest.approx(expected.item())


def test_hinge_losses_on_known_scores(spec):
    v = make(spec)
    v.G = Fn(lambda z, y: z + y[:, None].double())  # G(z|y)
    v.D = Fn(lambda x, y: x.sum(1) - 0.5 * y.double())  # D(x, y)
    # D(real) = (0.3, -0.1 - 0.5);  G(z|y) = ((0.5, 0), (0.8, 1.1));  D(fake) = (0.5, 1.4)
    d = (max(0.0, 1 - 0.3) + max(0.0, 1 + 0.6)) / 2 + (max(0.0, 1 + 0.5) + max(0.0, 1 + 1.4)) / 2
    assert v.d_loss(REAL, Z, Y).item() == pytest.approx(d, abs=TOL)
    assert v.g_loss(Z, Y).item() == pytest.approx(-(0.5 + 1.4) / 2, abs=TOL)  # no G weights


# --- EMA and truncation ---------------------------------------------------------------------------


def test_ema_half_life_is_biggans_decay_at_batch_64(spec):
    v = make(spec)
    half = v.hp["ema_half_life"]
    assert half == 443_592 == round(64 * math.log(0.5) / math.log(0.9999))
    assert ema_beta(64, 10**9, half, None) == pytest.approx(0.9999, abs=1e-9)
    assert ema_beta(64, 10**9, half, v.hp["ema_rampup"]) == pytest.approx(0.9999, abs=1e-9)
    assert v.ema_nets == ("G",)


def test_truncated_normal_is_the_normal_restricted_to_the_range():
    g = torch.Generator().manual_seed(0)
    tau = 0.8
    z = truncated_normal((200_000,), tau, "cpu", g, torch.float64)
    assert z.abs().max() <= tau
    pdf = math.exp(-(tau**2) / 2) / math.sqrt(2 * math.pi)
    mass = math.erf(tau / math.sqrt(2))  # Φ(τ) - Φ(-τ)
    assert z.mean().item() == pytest.approx(0.0, abs=0.01)
    assert z.var().item() == pytest.approx(1 - 2 * tau * pdf / mass, abs=0.01)
    a = truncated_normal((5, 3), tau, "cpu", torch.Generator().manual_seed(1))
    b = truncated_normal((5, 3), tau, "cpu", torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.dtype == torch.get_default_dtype()


def test_truncation_at_sampling_only(spec):
    torch.manual_seed(0)
    v = make(spec, truncation=0.5)
    seen = []
    v.G.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    x = v.sample(64, "cpu", make_generator(0, "cpu"), torch.arange(64) % 10)
    assert x.shape == (64, 1, 32, 32)
    assert seen[-1].abs().max() <= 0.5  # the z the sample was drawn from
    assert v.noise(64, "cpu", make_generator(0, "cpu")).abs().max() > 0.5  # training's z
    plain = make(spec)
    plain.G.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    plain.sample(64, "cpu", make_generator(0, "cpu"), torch.arange(64) % 10)
    assert seen[-1].abs().max() > 0.5  # default None: no truncation


# --- registration, training, command line ----------------------------------------------------------


def test_registered_conditional_on_labelled_32px_data_only():
    info = get_variant("biggan")
    assert info.conditional and info.cls.generator_conditioned()
    assert info.datasets == ("mnist32",) and "points" not in info.supports
    assert "arXiv:1809.11096" in info.paper
    stacked = get_dataset("stacked-mnist32").spec
    assert not info.supports_data(stacked.kind, stacked.num_classes)  # no labels there
    with pytest.raises(GanbenchError, match="does not train on 'stacked-mnist32'"):
        plan_runs(["biggan"], ["stacked-mnist32"], [0], "smoke")
    doc = __import__(info.cls.__module__, fromlist=["_"]).__doc__
    assert "max(0, 1 - D(x, y))" in doc and "keeps" in doc and "drops" in doc and "443,592" in doc


def test_trains_a_few_steps_through_the_harness_with_the_ema():
    data = get_dataset("mnist32")
    seed_everything(0)
    v = make(data.spec)
    res = train(v, data, Budget(3, 16), torch.device("cpu"), make_generator(0, "cpu"), log_every=1)
    assert res.steps_done == 3 and res.diverged_step is None
    assert {"d_loss", "g_loss", "ortho"} <= set(res.history)
    assert all(math.isfinite(x) for xs in res.history.values() for x in xs)
    assert set(v.averaged) == {"G"}
    live, avg = dict(v.G.named_parameters()), dict(v.averaged["G"].named_parameters())
    assert any(not torch.equal(live[k], avg[k]) for k in live)  # an average, not a copy
    labels = torch.arange(10)
    x = v.sample(10, "cpu", make_generator(1, "cpu"), labels)
    assert x.shape == (10, 1, 32, 32) and torch.isfinite(x).all()
    assert x.min() >= -1 and x.max() <= 1


def test_cli_smoke_run_gives_an_ok_row_with_truncation_and_ema(tmp_path):
    out = tmp_path / "out"
    args = ["run", "--variant", "biggan", "--dataset", "mnist32", "--preset", "smoke"]
    assert main([*args, "--hp", "truncation=0.5", "--out", str(out), "--no-report", "--quiet"]) == 0
    (result,) = out.glob("runs/biggan/mnist32/seed0*/result.json")
    row = json.loads(result.read_text())
    assert row["status"] == "ok", row.get("error")
    assert "truncation=0.5" in row["hp_effective"] and "ortho_beta=0.0001" in row["hp_effective"]
    assert row["ema"] == "G half-life 443592 images, ramp-up 0.05"
    assert str(row["generator_conditioned"]).lower() == "true"
    assert math.isfinite(row["fid"])


def test_run_all_includes_it_on_mnist32_only():
    specs = plan_runs(None, None, [0], "quick")
    assert [s.dataset for s in specs if s.variant == "biggan"] == ["mnist32"]


@pytest.mark.parametrize(
    "extra, needle",
    [
        (
            ["--dataset", "mnist"],
            "biggan builds 32x32 images (4 -> 8 -> 16 -> 32), not 28x28; use mnist32",
        ),
        (["--dataset", "mnist32", "--hp", "truncation=-1"], "truncation takes a positive number"),
        (["--dataset", "mnist32", "--hp", "ortho_beta=-0.1"], "ortho_beta takes a number >= 0"),
        (["--dataset", "mnist32", "--hp", "latent_dim=3"], "latent_dim takes an integer >= 4"),
        (["--dataset", "mnist32", "--hp", "init=xavier"], "init takes one of 'default', 'ortho'"),
    ],
)
def test_bad_input_exit_2_one_line_nothing_written(tmp_path, capsys, extra, needle):
    out = tmp_path / "out"
    assert main(["run", "--variant", "biggan", *extra, "--preset", "smoke", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("ganbench: error:") and needle in err
    assert not out.exists()
