"""Encoder / hybrid variants: aae, bigan, vaegan, cogan.

Each loss is checked against the paper's equation on a tiny fixed input, with the networks
replaced by parameter-free functions so every number can be worked out by hand; VAE/GAN's split
of gradients between encoder and decoder is checked too; then each variant trains a few steps on
every default dataset it supports."""

from __future__ import annotations

import math

import pytest
import torch
from _variant_smoke import REAL, Fn, Z, smoke_run, sp, supported_datasets
from torch import nn

from ganbench.data import get_dataset
from ganbench.registry import get_variant

TOL = 1e-6


def make(name: str, dataset: str = "ring8", **hp):
    return get_variant(name).cls(get_dataset(dataset).spec, **hp)


def test_aae_loss_by_hand():
    v = make("aae")
    v.E = Fn(lambda x: 0.5 * x)  # code
    v.G = Fn(lambda c: 2 * c + 0.1)  # decoder: G(E(x)) = x + 0.1
    v.D = Fn(lambda c: c.sum(1))  # latent discriminator logits
    # D(z ~ prior) = [0.5, -0.1];  D(E(real)) = [0.15, -0.05]
    d = (sp(-0.5) + sp(0.1)) / 2 + (sp(0.15) + sp(-0.05)) / 2
    assert v.d_loss(REAL, Z, None).item() == pytest.approx(d, abs=TOL)
    g = 0.1**2 + (sp(-0.15) + sp(0.05)) / 2  # per-pixel MSE + encoder fooling D
    assert v.g_loss(Z, None).item() == pytest.approx(g, abs=TOL)


def test_g_step_without_a_real_batch_is_a_clear_error():
    v = make("aae")
    with pytest.raises(RuntimeError, match="call d_loss before g_loss"):
        v.g_loss(Z, None)


def test_bigan_loss_by_hand():
    v = make("bigan")
    v.E = Fn(lambda x: -x)
    v.G = Fn(lambda z: z + 1)
    v.D = Fn(lambda x, z: (x * z).sum(1))
    # D(x, E(x)) = [-0.05, -0.25];  G(z) = [[1.5, 1], [0.8, 1.1]];  D(G(z), z) = [0.75, -0.05]
    d = (sp(0.05) + sp(0.25)) / 2 + (sp(0.75) + sp(-0.05)) / 2
    g = (sp(-0.75) + sp(0.05)) / 2 + (sp(-0.05) + sp(-0.25)) / 2
    assert v.d_loss(REAL, Z, None).item() == pytest.approx(d, abs=TOL)
    assert v.g_loss(Z, None).item() == pytest.approx(g, abs=TOL)


class _TinyDis(nn.Module):
    """Dis_l(x) = 2x (features); D(x) = sum of the features (logit)."""

    def __init__(self) -> None:
        super().__init__()
        self.features = Fn(lambda x: 2 * x)

    def forward(self, x):
        return self.features(x).sum(1)


def test_vaegan_loss_by_hand():
    v = make("vaegan")
    gamma = v.hp["gamma"]
    # logvar = -60: sigma = e^-30, so z~ = mu to 1e-13 and the KL is still finite
    v.E = Fn(lambda x: (0.5 * x, torch.full_like(x, -60.0)))
    v.G = Fn(lambda z: z + 0.1)
    v.D = _TinyDis()
    # mu = [[0.05, 0.1], [0.15, -0.2]];  x~ = [[0.15, 0.2], [0.25, -0.1]];  x_p = G(z)
    # D(x) = [0.6, -0.2];  D(x~) = [0.7, 0.3];  D(x_p) = [1.4, 0.2]
    d = (sp(-0.6) + sp(0.2)) / 2 + (sp(0.7) + sp(0.3)) / 2 + (sp(1.4) + sp(0.2)) / 2
    assert v.d_loss(REAL, Z, None).item() == pytest.approx(d, abs=TOL)
    e = math.exp(-60)
    prior = (
        0.5 * (2 * 59 + 0.05**2 + 0.1**2 + 2 * e) + 0.5 * (2 * 59 + 0.15**2 + 0.2**2 + 2 * e)
    ) / 2
    # Dis_l(x~) - Dis_l(x) = 2 * [[0.05, 0], [-0.05, 0.3]]
    llike = 0.5 * ((0.1**2) + (0.1**2 + 0.6**2)) / 2
    gan = (sp(-0.7) + sp(-0.3)) / 2 + (sp(-1.4) + sp(-0.2)) / 2
    assert v.g_loss(Z, None).item() == pytest.approx(prior + gamma * llike + gan, abs=TOL)


def test_vaegan_splits_gradients_as_the_paper():
    """Enc gets grad(L_prior + L_llike), Dec gets grad(gamma L_llike - L_GAN), from one loss."""
    v = make("vaegan", gamma=0.01)
    a = nn.Parameter(torch.tensor(0.5, dtype=torch.float64))  # encoder: mu = a x
    b = nn.Parameter(torch.tensor(0.1, dtype=torch.float64))  # decoder: G(z) = z + b
    v.E = Fn(lambda x: (a * x, torch.full_like(x, -60.0)))
    v.G = Fn(lambda z: z + b)
    v.D = _TinyDis()
    v.d_loss(REAL, Z, None)
    v.g_loss(Z, None).backward()

    def parts(a_, b_):
        mu = a_ * REAL
        prior = (-0.5 * (1 - 60 - mu**2 - math.exp(-60)).sum(1)).mean()
        llike = 0.5 * ((2 * (mu + b_) - 2 * REAL) ** 2).sum(1).mean()
        gan_tilde = nn.functional.softplus(-(2 * (mu + b_)).sum(1)).mean()
        gan_p = nn.functional.softplus(-(2 * (Z + b_)).sum(1)).mean()
        return prior, llike, gan_tilde, gan_p

    a2 = a.detach().clone().requires_grad_(True)
    prior, llike, _, _ = parts(a2, b.detach())
    (ga,) = torch.autograd.grad(prior + llike, a2)
    b2 = b.detach().clone().requires_grad_(True)
    _, llike, gt, gp = parts(a.detach(), b2)
    (gb,) = torch.autograd.grad(0.01 * llike + gt + gp, b2)
    assert a.grad.item() == pytest.approx(ga.item(), abs=1e-6)
    assert b.grad.item() == pytest.approx(gb.item(), abs=1e-6)


class _TinyCoupledG(nn.Module):
    def both(self, z):
        return z, 0.2 - z

    def forward(self, z):
        return self.both(z)[0]


def test_cogan_loss_by_hand():
    v = make("cogan", "mnist")
    v.G = _TinyCoupledG()
    v.D = Fn(lambda x, dom: x.sum(1) if dom == "a" else x[:, 0] - x[:, 1])
    real = torch.tensor([[0.1, 0.2], [0.3, -0.4], [0.5, 0.6], [-0.7, 0.8]], dtype=torch.float64)
    # domain A = first half; domain B = negatives of the second half: [[-0.5, -0.6], [0.7, -0.8]]
    # D_A(A) = [0.3, -0.1];  D_B(B) = [0.1, 1.5]
    # fakes: G_A(z) = z, G_B(z) = 0.2 - z = [[-0.3, 0.2], [0.4, 0.1]]
    # D_A(G_A) = [0.5, -0.1];  D_B(G_B) = [-0.5, 0.3]
    d = (
        (sp(-0.3) + sp(0.1)) / 2
        + (sp(0.5) + sp(-0.1)) / 2
        + (sp(-0.1) + sp(-1.5)) / 2
        + (sp(-0.5) + sp(0.3)) / 2
    )
    g = (sp(-0.5) + sp(0.1)) / 2 + (sp(0.5) + sp(-0.3)) / 2
    assert v.d_loss(real, Z, None).item() == pytest.approx(d, abs=TOL)
    assert v.g_loss(Z, None).item() == pytest.approx(g, abs=TOL)


def test_cogan_shares_the_right_layers():
    v = make("cogan", "mnist")
    z = torch.randn(3, v.latent_dim)
    v.G.eval()
    a, b = v.G.both(z)
    assert a.shape == b.shape == (3, 1, 28, 28)
    assert torch.equal(v.G(z), a)  # samples for the metrics come from domain A
    shared_g = {id(p) for p in v.G.shared.parameters()}
    assert shared_g and not shared_g & {id(p) for p in v.G.head_a.parameters()}
    assert v.D.first_a is not v.D.first_b


CASES = {  # recon_error: the encode head, scored by ganbench.metrics.heads
    "aae": ("recon_error",),
    "bigan": ("recon_error",),
    "vaegan": ("recon_error",),
    "cogan": ("pair_agreement",),
}


@pytest.mark.parametrize("name,dataset", [(n, d) for n in CASES for d in supported_datasets(n)])
def test_trains_and_scores(name, dataset, tmp_path):
    smoke_run(name, dataset, tmp_path, CASES[name])


def test_cogan_is_image_only():
    assert supported_datasets("cogan") and all(
        get_dataset(d).spec.kind == "image" for d in supported_datasets("cogan")
    )
    assert "two-domain" in get_variant("cogan").supports
