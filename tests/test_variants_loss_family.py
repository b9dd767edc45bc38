"""Loss-family and mode-collapse variants: each loss equals its paper's equation evaluated by hand
on a tiny fixed input, and each variant trains a few steps on 2-D points and on MNIST.

Fixed input (float64): G is the identity, so the fakes are z; D is the affine critic
C(x) = w·x + b with w = (0.5, -1), b = 0.25.
    real = (1, 0), (0, 2)       -> C_r = ( 0.75, -1.75)
    fake = (0.5, 0.5), (-1, 1)  -> C_f = ( 0.00, -1.25)
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from ganbench.core.config import Budget
from ganbench.core.seeding import make_generator, seed_everything
from ganbench.data import get_dataset
from ganbench.data.base import DataSpec
from ganbench.harness.train import train
from ganbench.registry import get_variant

MINE = [
    "wgan-div",
    "dragan",
    "bgan",
    "ebgan",
    "began",
    "rgan",
    "ragan",
    "rsgan",
    "softmax-gan",
    "sngan",
    "pacgan",
    "unrolled-gan",
]
SPEC = DataSpec(name="tiny", kind="points", shape=(2,))
REAL = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
Z = torch.tensor([[0.5, 0.5], [-1.0, 1.0]], dtype=torch.float64)
W, B = (0.5, -1.0), 0.25
C_R = [0.75, -1.75]
C_F = [0.0, -1.25]


def softplus(y: float) -> float:
    return math.log1p(math.exp(y))


def sigmoid(y: float) -> float:
    return 1 / (1 + math.exp(-y))


def mean(xs) -> float:
    xs = list(xs)
    return sum(xs) / len(xs)


class Identity(nn.Module):
    def forward(self, z):
        return z


class Affine(nn.Module):
    """C(x) = x·w + b on flattened x, as a one-output critic (returns shape (N,))."""

    def __init__(self, w, b):
        super().__init__()
        self.lin = nn.Linear(len(w), 1).double()
        with torch.no_grad():
            self.lin.weight.copy_(torch.tensor([w], dtype=torch.float64))
            self.lin.bias.fill_(b)

    def forward(self, x):
        return self.lin(x.flatten(1)).squeeze(1)


def tiny(name: str, **hp):
    v = get_variant(name).cls(SPEC, **hp)
    v.G, v.D = Identity(), Affine(W, B)
    return v


def close(t: torch.Tensor, expected: float) -> None:
    assert float(t.detach()) == pytest.approx(expected, abs=1e-6, rel=1e-6)


def test_the_fixed_input_is_what_the_docstring_says():
    d = Affine(W, B)
    assert d(REAL).tolist() == C_R and d(Z).tolist() == C_F


# --- losses against the equations ---------------------------------------------------------------


def test_wgan_div_loss():
    # The critic is linear, so ∇D = w at every x̂: the penalty is k ||w||^p whatever ε is drawn.
    v = tiny("wgan-div")
    norm2 = W[0] ** 2 + W[1] ** 2
    close(v.d_loss(REAL, Z, None), mean(C_F) - mean(C_R) + 2.0 * norm2 ** (6 / 2))
    close(v.g_loss(Z, None), -mean(C_F))
    assert v.n_critic == 5


def test_dragan_loss():
    v = tiny("dragan")
    gp = (math.sqrt(W[0] ** 2 + W[1] ** 2) - 1) ** 2  # ∇D = w at every perturbed point
    close(
        v.d_loss(REAL, Z, None),
        mean(softplus(-c) for c in C_R) + mean(softplus(c) for c in C_F) + 10.0 * gp,
    )
    close(v.g_loss(Z, None), mean(-math.log(sigmoid(c)) for c in C_F))


def test_dragan_penalty_points_stay_near_the_data():
    from ganbench.variants.dragan import perturb_real

    torch.manual_seed(0)
    x = torch.randn(256, 2)
    p = perturb_real(x, 0.5)
    d = p - x
    assert (d >= 0).all() and (d <= 0.5 * x.std() + 1e-6).all()


def test_bgan_loss():
    v = tiny("bgan")
    close(
        v.d_loss(REAL, Z, None),
        mean(-math.log(sigmoid(c)) for c in C_R) + mean(-math.log(1 - sigmoid(c)) for c in C_F),
    )
    # ½ E[(log D - log(1 - D))²] with D = σ(C)
    close(
        v.g_loss(Z, None),
        0.5 * mean((math.log(sigmoid(c)) - math.log(1 - sigmoid(c))) ** 2 for c in C_F),
    )


def test_sngan_loss():
    v = tiny("sngan")
    close(
        v.d_loss(REAL, Z, None),
        mean(max(0.0, 1 - c) for c in C_R) + mean(max(0.0, 1 + c) for c in C_F),
    )
    close(v.g_loss(Z, None), -mean(C_F))


def test_sngan_discriminator_is_spectrally_normalised():
    for spec in (get_dataset("ring8").spec, get_dataset("mnist").spec):
        v = get_variant("sngan").cls(spec)
        torch.manual_seed(0)
        x = torch.randn(8, *spec.shape)
        for _ in range(30):  # power iterations run in training mode
            v.D(x)
        v.D.eval()
        linears = [m for m in v.D.modules() if isinstance(m, nn.Linear)]
        assert linears and all(hasattr(m, "parametrizations") for m in linears)
        for m in linears:
            assert torch.linalg.matrix_norm(m.weight, ord=2).item() == pytest.approx(1.0, abs=0.05)
        assert not any(isinstance(m, nn.BatchNorm2d) for m in v.D.modules())


def test_softmax_gan_loss():
    v = tiny("softmax-gan")
    log_z = math.log(sum(math.exp(-c) for c in C_R + C_F))
    close(v.d_loss(REAL, Z, None), sum(C_R) / 2 + log_z)  # targets 1/|B+| on real
    close(v.g_loss(Z, None), sum(C_R + C_F) / 4 + log_z)  # targets 1/|B| on all


def test_rsgan_loss():
    v = tiny("rsgan")
    pairs = list(zip(C_R, C_F, strict=True))
    close(v.d_loss(REAL, Z, None), mean(-math.log(sigmoid(r - f)) for r, f in pairs))
    close(v.g_loss(Z, None), mean(-math.log(sigmoid(f - r)) for r, f in pairs))


def test_rgan_loss_is_the_general_paired_form():
    v = tiny("rgan")  # default: least squares, f1(y) = (y - 1)²
    close(v.d_loss(REAL, Z, None), mean((r - f - 1) ** 2 for r, f in zip(C_R, C_F, strict=True)))
    close(v.g_loss(Z, None), mean((f - r - 1) ** 2 for r, f in zip(C_R, C_F, strict=True)))
    h = tiny("rgan", loss="hinge")
    pairs = list(zip(C_R, C_F, strict=True))
    close(h.d_loss(REAL, Z, None), mean(max(0.0, 1 - (r - f)) for r, f in pairs))
    s = tiny("rgan", loss="sgan")  # RSGAN is rgan's sgan instance
    close(s.d_loss(REAL, Z, None), float(tiny("rsgan").d_loss(REAL, Z, None).detach()))


def test_ragan_loss():
    v = tiny("ragan")
    mr, mf = mean(C_R), mean(C_F)
    close(
        v.d_loss(REAL, Z, None),
        mean(-math.log(sigmoid(r - mf)) for r in C_R)
        + mean(-math.log(1 - sigmoid(f - mr)) for f in C_F),
    )
    close(
        v.g_loss(Z, None),
        mean(-math.log(sigmoid(f - mr)) for f in C_F)
        + mean(-math.log(1 - sigmoid(r - mf)) for r in C_R),
    )
    ls = tiny("ragan", loss="ls")
    close(
        ls.d_loss(REAL, Z, None),
        mean((r - mf - 1) ** 2 for r in C_R) + mean((f - mr + 1) ** 2 for f in C_F),
    )


def test_the_three_relativistic_variants_differ():
    d = {n: float(tiny(n).d_loss(REAL, Z, None).detach()) for n in ("rgan", "ragan", "rsgan")}
    assert len({round(x, 6) for x in d.values()}) == 3, d
    with pytest.raises(ValueError, match="unknown loss"):
        tiny("ragan", loss="wasserstein")
    with pytest.raises(ValueError, match="has no hyper-parameter"):
        get_variant("rsgan").cls(SPEC, loss="ls")  # RSGAN's loss is fixed


def test_pacgan_packs_consecutive_samples():
    w4 = (0.5, -1.0, 1.0, 2.0)
    v = get_variant("pacgan").cls(SPEC)
    v.G = Identity()
    v.D.inner = Affine(w4, B)
    # one pack per two samples: (x1 ++ x2)·w4 + b
    c_real = 1 * 0.5 + 0 * -1 + 0 * 1 + 2 * 2 + B
    c_fake = 0.5 * 0.5 + 0.5 * -1 + -1 * 1 + 1 * 2 + B
    close(v.D(REAL)[0], c_real)
    close(v.d_loss(REAL, Z, None), softplus(-c_real) + softplus(c_fake))
    close(v.g_loss(Z, None), softplus(-c_fake))
    # images: the m samples are stacked along channels
    spec = get_dataset("mnist").spec
    img = get_variant("pacgan").cls(spec, pack=3)
    seen = {}

    def keep_input(module, args, out):
        seen["x"] = args[0]

    img.D.inner.register_forward_hook(keep_input)
    x = torch.randn(7, *spec.shape)
    assert img.D(x).shape == (2,)
    assert seen["x"].shape == (2, 3, 28, 28)
    assert torch.equal(seen["x"][1, 2], x[5, 0])


class ScaleSwapAE(nn.Module):
    """Enc(x) = 0.5 x, Dec(h) = (h_2, h_1): reconstruction (0.5 x_2, 0.5 x_1)."""

    def encode(self, x):
        return 0.5 * x

    def decode(self, h):
        return h.flip(1)

    def forward(self, x):
        return self.decode(self.encode(x))


def _recon(x):
    return (0.5 * x[1], 0.5 * x[0])


REAL_L = [(1.0, 0.0), (0.0, 2.0)]
FAKE_L = [(0.5, 0.5), (-1.0, 1.0)]


def test_ebgan_loss():
    v = get_variant("ebgan").cls(SPEC, margin=1.0)
    v.G, v.D = Identity(), ScaleSwapAE()

    def energy(x):  # ||Dec(Enc(x)) - x||² averaged over the 2 dimensions
        r = _recon(x)
        return ((r[0] - x[0]) ** 2 + (r[1] - x[1]) ** 2) / 2

    e_r = [energy(x) for x in REAL_L]  # 0.625, 2.5
    e_f = [energy(x) for x in FAKE_L]  # 0.0625, 1.0
    close(v.d_loss(REAL, Z, None), mean(e_r) + mean(max(0.0, 1.0 - e) for e in e_f))
    z3 = torch.tensor([[0.5, 0.5], [-1.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    pts = [(0.5, 0.5), (-1.0, 1.0), (1.0, 0.0)]

    def cos(a, b):
        return (a[0] * b[0] + a[1] * b[1]) / math.hypot(*a) / math.hypot(*b)

    pairs = [(a, b) for i, a in enumerate(pts) for j, b in enumerate(pts) if i != j]
    pt = sum(cos(a, b) ** 2 for a, b in pairs) / (3 * 2)
    assert pt == pytest.approx(1 / 3)  # cos² = 0, 1/2, 1/2 over the three pairs, each twice
    close(v.g_loss(z3, None), mean(energy(x) for x in pts) + 0.1 * pt)


def test_began_loss_control_and_convergence_measure():
    v = get_variant("began").cls(SPEC, k0=0.3)
    v.G, v.D = Identity(), ScaleSwapAE()

    def l1(x):  # |v - D(v)| averaged over the dimensions
        r = _recon(x)
        return (abs(r[0] - x[0]) + abs(r[1] - x[1])) / 2

    lr, lf = mean(l1(x) for x in REAL_L), mean(l1(x) for x in FAKE_L)
    close(v.d_loss(REAL, Z, None), lr - 0.3 * lf)
    close(v.logs["M"], lr + abs(0.5 * lr - lf))
    close(v.logs["k"], 0.3)
    close(v.k, min(1.0, max(0.0, 0.3 + 0.001 * (0.5 * lr - lf))))
    close(v.g_loss(Z, None), lf)
    w = get_variant("began").cls(SPEC, k0=0.0, lambda_k=10.0)
    w.G, w.D = Identity(), ScaleSwapAE()
    w.d_loss(REAL, 4 * Z, None)  # fakes reconstruct badly: k would go negative, clipped to 0
    assert float(w.k) == 0.0


def _by_hand_unrolled(A, k, lr, minimax):
    """f_K for G(z) = z·A, D(x) = w·x + b, K plain SGD steps on D's cross-entropy."""
    fake = [
        tuple(sum(zi * A[i][j] for i, zi in enumerate(z)) for j in range(2)) for z in Z.tolist()
    ]
    real = REAL.tolist()
    w, b = list(W), B
    for _ in range(k):
        cr = [w[0] * x[0] + w[1] * x[1] + b for x in real]
        cf = [w[0] * x[0] + w[1] * x[1] + b for x in fake]
        # ∂/∂(w, b) of mean softplus(-C_r) + mean softplus(C_f)
        gw = [
            mean(-sigmoid(-c) * x[j] for c, x in zip(cr, real, strict=True))
            + mean(sigmoid(c) * x[j] for c, x in zip(cf, fake, strict=True))
            for j in range(2)
        ]
        gb = mean(-sigmoid(-c) for c in cr) + mean(sigmoid(c) for c in cf)
        w, b = [w[0] - lr * gw[0], w[1] - lr * gw[1]], b - lr * gb
    cr = [w[0] * x[0] + w[1] * x[1] + b for x in real]
    cf = [w[0] * x[0] + w[1] * x[1] + b for x in fake]
    if minimax:  # f = E log D(x) + E log(1 - D(G(z)))
        return mean(math.log(sigmoid(c)) for c in cr) + mean(math.log(1 - sigmoid(c)) for c in cf)
    return mean(-math.log(sigmoid(c)) for c in cf)


class LinearG(nn.Module):
    def __init__(self, A):
        super().__init__()
        self.A = nn.Parameter(torch.tensor(A, dtype=torch.float64))

    def forward(self, z):
        return z @ self.A


@pytest.mark.parametrize("minimax", [True, False])
def test_unrolled_gan_loss_through_k_sgd_steps(minimax):
    A = [[1.0, 0.5], [-0.5, 1.5]]
    v = get_variant("unrolled-gan").cls(
        SPEC, unroll_steps=3, unroll_optim="sgd", unroll_lr=0.5, minimax=minimax
    )
    v.G, v.D = LinearG(A), Affine(W, B)
    fake = Z @ torch.tensor(A, dtype=torch.float64)
    close(
        v.d_loss(REAL, Z, None),
        mean(softplus(-c) for c in C_R) + mean(softplus(float(c)) for c in v.D(fake).detach()),
    )
    loss = v.g_loss(Z, None)
    close(loss, _by_hand_unrolled(A, 3, 0.5, minimax))
    # G's gradient flows through the unrolled steps (second-order term kept): finite differences
    (grad,) = torch.autograd.grad(loss, v.G.A)
    eps = 1e-6
    for i in range(2):
        for j in range(2):
            up = [row[:] for row in A]
            dn = [row[:] for row in A]
            up[i][j] += eps
            dn[i][j] -= eps
            fd = _by_hand_unrolled(up, 3, 0.5, minimax) - _by_hand_unrolled(dn, 3, 0.5, minimax)
            assert grad[i, j].item() == pytest.approx(fd / (2 * eps), abs=1e-6)
    # the discriminator itself is not changed by the unrolling
    assert v.D.lin.weight.tolist() == [list(W)]
    # K = 0 is the plain GAN
    v0 = get_variant("unrolled-gan").cls(SPEC, unroll_steps=0, minimax=minimax)
    v0.G, v0.D = LinearG(A), Affine(W, B)
    v0.d_loss(REAL, Z, None)
    close(v0.g_loss(Z, None), _by_hand_unrolled(A, 0, 0.5, minimax))


# --- training smoke: every variant of this family on points and images --------------------------


@pytest.mark.parametrize("dataset", ["ring8", "mnist"])
@pytest.mark.parametrize("name", MINE)
def test_trains_a_few_steps_and_samples(name, dataset):
    data = get_dataset(dataset)
    seed_everything(0)
    info = get_variant(name)
    assert info.supports_data(data.spec.kind, data.spec.num_classes)
    v = info.cls(data.spec)
    budget = Budget(4, 32) if data.spec.kind == "points" else Budget(2, 16)
    res = train(v, data, budget, torch.device("cpu"), make_generator(0, "cpu"), log_every=2)
    assert res.steps_done == budget.steps and res.diverged_step is None
    assert all(math.isfinite(x) for k, xs in res.history.items() for x in xs)
    x = v.sample(10, "cpu", make_generator(1, "cpu"))
    assert x.shape == (10, *data.spec.shape) and torch.isfinite(x).all()
    if data.spec.kind == "image":
        assert x.min() >= -1 and x.max() <= 1
    if name == "began":
        assert {"M", "k"} <= set(res.history)


def test_registered_with_family_and_paper():
    for name in MINE:
        info = get_variant(name)
        assert info.family == ("mode-collapse" if name in ("pacgan", "unrolled-gan") else "loss")
        assert "arXiv:" in info.paper and not info.conditional
        module_doc = __import__(info.cls.__module__, fromlist=["_"]).__doc__
        assert module_doc and ("min" in module_doc or "L_D" in module_doc)  # the equations


@pytest.mark.parametrize("name", ["rgan", "ragan", "rsgan", "softmax-gan", "unrolled-gan"])
def test_g_step_before_any_d_step_is_a_clear_error(name):
    with pytest.raises(RuntimeError, match="needs the real batch"):
        tiny(name).g_loss(Z, None)


@pytest.mark.parametrize("name", MINE)
def test_full_suite_row_on_ring8(name, tmp_path):
    """Through the real suite (plan_runs -> run_one): a complete row and a reloadable checkpoint."""
    from _variant_smoke import smoke_run

    smoke_run(name, "ring8", tmp_path, ("modes_covered", "hq_fraction"), points_steps=4)


@pytest.mark.parametrize("name", ["sngan", "pacgan", "began"])
def test_full_suite_row_on_mnist(name, tmp_path):
    from _variant_smoke import smoke_run

    smoke_run(name, "mnist", tmp_path, ())
