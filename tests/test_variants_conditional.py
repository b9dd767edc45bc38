"""Conditional and latent-code variants: cgan, acgan, infogan, sgan, clustergan.

Each loss is checked against the paper's equation on a tiny fixed input, with the networks
replaced by parameter-free functions so every number can be worked out by hand; then each
variant trains a few steps on every default dataset it supports."""

from __future__ import annotations

import pytest
import torch
from _variant_smoke import REAL, Fn, Z, ce, lse, smoke_run, sp, supported_datasets

from ganbench.data.base import DataSpec
from ganbench.registry import get_variant

TOL = 1e-6
POINTS2 = DataSpec("tiny", "points", (2,), num_classes=2, n_modes=2)
Y = torch.tensor([0, 1])


def make(name: str, spec: DataSpec = POINTS2, **hp):
    return get_variant(name).cls(spec, **hp)


def test_cgan_loss_by_hand():
    v = make("cgan")
    v.G = Fn(lambda z, y: z + y[:, None].float())  # G(z|y)
    v.D = Fn(lambda x, y: x.sum(1) - 0.5 * y.float())  # D(x|y), logits
    # D(real|y) = [0.3, -0.1 - 0.5];  G(z|y) = [[0.5, 0], [0.8, 1.1]];  D(fake|y) = [0.5, 1.4]
    d = (sp(-0.3) + sp(0.6)) / 2 + (sp(0.5) + sp(1.4)) / 2
    g = (sp(-0.5) + sp(-1.4)) / 2
    assert v.d_loss(REAL, Z, Y).item() == pytest.approx(d, abs=TOL)
    assert v.g_loss(Z, Y).item() == pytest.approx(g, abs=TOL)


def test_cgan_nets_see_the_label():
    from ganbench.data import get_dataset

    spec = get_dataset("mnist").spec
    v = make("cgan", spec)
    v.G.eval()
    v.D.eval()
    z = torch.randn(2, v.latent_dim)
    a, b = v.G(z, torch.tensor([0, 0])), v.G(z, torch.tensor([1, 1]))
    assert not torch.allclose(a, b)
    assert not torch.allclose(v.D(a, torch.tensor([0, 0])), v.D(a, torch.tensor([3, 3])))


def test_acgan_loss_by_hand():
    v = make("acgan")
    v.G = Fn(lambda z, y: z + y[:, None].float())
    v.D = Fn(lambda x: {"source": x.sum(1), "cls": x})  # 2 class logits = the coordinates
    # real: source [0.3, -0.1], class logits [0.1, 0.2] (y 0), [0.3, -0.4] (y 1)
    # fake = [[0.5, 0], [0.8, 1.1]]: source [0.5, 1.9]
    l_s_d = (sp(-0.3) + sp(0.1)) / 2 + (sp(0.5) + sp(1.9)) / 2
    l_c_real = (ce([0.1, 0.2], 0) + ce([0.3, -0.4], 1)) / 2
    l_c_fake = (ce([0.5, 0.0], 0) + ce([0.8, 1.1], 1)) / 2
    assert v.d_loss(REAL, Z, Y).item() == pytest.approx(l_s_d + l_c_real + l_c_fake, abs=TOL)
    g = (sp(-0.5) + sp(-1.9)) / 2 + l_c_fake
    assert v.g_loss(Z, Y).item() == pytest.approx(g, abs=TOL)


def test_infogan_loss_by_hand():
    v = make("infogan", latent_dim=1, n_continuous=1)
    assert (v.n_cat, v.n_cont) == (2, 1)  # n_modes categories on the mixtures
    # noise layout [z (1), onehot(c) (2), u (1)]
    z = torch.tensor([[0.3, 1.0, 0.0, 0.5], [-0.1, 0.0, 1.0, -0.2]], dtype=torch.float64)
    v.G = Fn(lambda z: z[:, :2] + z[:, 2:])  # fake = [[0.3, 1.5], [0.9, -0.2]]
    v.D = Fn(lambda x: {"d": x.sum(1), "q": torch.cat([x, 2 * x[:, :1]], 1)})
    # D(fake) = [1.8, 0.7]; Q: cat logits [0.3, 1.5] (c 0), [0.9, -0.2] (c 1); means [0.6, 1.8]
    info = (ce([0.3, 1.5], 0) + ce([0.9, -0.2], 1)) / 2 + 0.5 * (
        (0.5 - 0.6) ** 2 + (-0.2 - 1.8) ** 2
    ) / 2
    d = (sp(-0.3) + sp(0.1)) / 2 + (sp(1.8) + sp(0.7)) / 2 + info
    g = (sp(-1.8) + sp(-0.7)) / 2 + info
    assert v.d_loss(REAL, z, None).item() == pytest.approx(d, abs=TOL)
    assert v.g_loss(z, None).item() == pytest.approx(g, abs=TOL)


def test_infogan_noise_carries_codes():
    v = make("infogan")
    z = v.noise(500, "cpu", torch.Generator().manual_seed(0))
    assert z.shape == (500, v.latent_dim + 2 + 2)
    onehot = z[:, v.latent_dim : v.latent_dim + 2]
    assert torch.equal(onehot.sum(1), torch.ones(500))
    u = z[:, v.latent_dim + 2 :]
    assert u.min() >= -1 and u.max() <= 1


def test_sgan_loss_by_hand():
    v = make("sgan")
    v.G = Fn(lambda z: 2 * z)
    v.D = Fn(lambda x: torch.cat([x, x.sum(1, keepdim=True)], 1))  # classes 0, 1 and fake = 2
    # real logits [0.1, 0.2, 0.3] (y 0), [0.3, -0.4, -0.1] (y 1)
    # fake = [[1, 0], [-0.4, 0.2]]: logits [1, 0, 1], [-0.4, 0.2, -0.2], class 2
    # the labelled subset is these two samples (the first of each class in the stream)
    d = (ce([0.1, 0.2, 0.3], 0) + ce([0.3, -0.4, -0.1], 1)) / 2 + (
        ce([1.0, 0.0, 1.0], 2) + ce([-0.4, 0.2, -0.2], 2)
    ) / 2
    # unlabelled real term: -log(1 - p(fake | x)) on the same real batch
    d += ((lse(0.1, 0.2, 0.3) - lse(0.1, 0.2)) + (lse(0.3, -0.4, -0.1) - lse(0.3, -0.4))) / 2
    # G: -log(1 - p(fake class)) = -log(p0 + p1)
    g = ((lse(1.0, 0.0, 1.0) - lse(1.0, 0.0)) + (lse(-0.4, 0.2, -0.2) - lse(-0.4, 0.2))) / 2
    assert v.d_loss(REAL, Z, Y).item() == pytest.approx(d, abs=TOL)
    assert v.g_loss(Z, Y).item() == pytest.approx(g, abs=TOL)


def test_clustergan_loss_by_hand():
    v = make("clustergan", latent_dim=2)
    assert v.n_cat == 2
    w = torch.tensor([0.3, -0.4], dtype=torch.float64)
    v.D = Fn(lambda x: x @ w)  # linear critic: ||grad|| = 0.5 everywhere, so GP = (0.5 - 1)^2
    v.G = Fn(lambda z: z[:, 2:] + z[:, :2])  # onehot z_c + z_n
    v.E = Fn(lambda x: torch.cat([x, x], 1))  # [zeta_n (2), 2 cluster logits]
    z = torch.tensor([[0.1, 0.3, 1.0, 0.0], [-0.2, 0.0, 0.0, 1.0]], dtype=torch.float64)
    # fake = [[1.1, 0.3], [-0.2, 1.0]]; D(fake) = [0.21, -0.46]; D(real) = [-0.05, 0.25]
    d = (0.21 - 0.46) / 2 - (-0.05 + 0.25) / 2 + 10 * (0.5 - 1) ** 2
    assert v.d_loss(REAL, z, None).item() == pytest.approx(d, abs=TOL)
    # E(fake): zeta_n = fake, logits = fake; z_n term is the mean over the 2 x 2 elements
    zn = ((0.1 - 1.1) ** 2 + (0.3 - 0.3) ** 2 + (-0.2 + 0.2) ** 2 + (0.0 - 1.0) ** 2) / 4
    c = (ce([1.1, 0.3], 0) + ce([-0.2, 1.0], 1)) / 2
    g = -(0.21 - 0.46) / 2 + 10 * zn + 10 * c
    assert v.g_loss(z, None).item() == pytest.approx(g, abs=TOL)


def test_clustergan_noise_is_paper_prior():
    v = make("clustergan", latent_dim=4)
    z = v.noise(4000, "cpu", torch.Generator().manual_seed(1))
    assert z[:, :4].std().item() == pytest.approx(0.1, abs=0.01)  # sigma_n = 0.1
    assert torch.equal(z[:, 4:].sum(1), torch.ones(4000))


CASES = {
    "cgan": ("label_accuracy",),
    "acgan": ("label_accuracy", "classify_accuracy"),  # classify: metrics/heads.py
    "infogan": ("code_accuracy",),
    "sgan": ("classify_accuracy", "ssl_labels"),
    "clustergan": ("code_accuracy",),
}


@pytest.mark.parametrize("name,dataset", [(n, d) for n in CASES for d in supported_datasets(n)])
def test_trains_and_scores(name, dataset, tmp_path):
    cols = CASES[name]
    if dataset in ("ring8", "grid25", "mnist"):  # labelled data: the label-based columns too
        cols += {
            "infogan": ("code_label_accuracy",),
            "clustergan": ("cluster_purity", "cluster_accuracy"),
        }.get(name, ())
    smoke_run(name, dataset, tmp_path, cols)


def test_conditional_variants_cover_mnist_and_mixtures():
    for name in ("cgan", "acgan", "sgan"):
        assert get_variant(name).conditional
        assert {"ring8", "grid25", "mnist"} <= set(supported_datasets(name))


class _Oracle:
    """A 'conditional generator' that returns a random held-out sample of the requested class."""

    conditional = True

    def __init__(self, data):
        from ganbench.metrics.oracle import project_oracle

        self.data = data
        self.oracle = project_oracle  # what the harness injects

    def sample(self, n, device, generator, labels):
        idx = []
        for y in labels.tolist():
            members = (self.data.test_labels == y).nonzero()[:, 0]
            idx.append(int(members[torch.randint(len(members), (1,), generator=generator)]))
        return self.data.test[idx]


@pytest.mark.parametrize("dataset", ["ring8", "mnist"])
def test_label_accuracy_of_an_oracle_is_high(dataset):
    from ganbench.data import get_dataset
    from ganbench.variants._latent import label_accuracy

    data = get_dataset(dataset)
    acc = label_accuracy(
        _Oracle(data), data, torch.device("cpu"), torch.Generator().manual_seed(0), n=200
    )["label_accuracy"]
    assert acc > 0.9  # nearest centre on the mixture; the project CNN on real digits


def test_matched_accuracy_and_purity_by_hand():
    from ganbench.variants._latent import matched_accuracy, purity

    clusters = torch.tensor([0, 0, 0, 1, 1, 2])
    classes = torch.tensor([1, 1, 0, 0, 0, 0])
    # best one-to-one map: 0->1 (2 right), 1->0 (2 right), 2 unmatched -> 4/6
    assert matched_accuracy(clusters, classes, 3, 2) == pytest.approx(4 / 6)
    # purity: cluster 0 majority 2, cluster 1: 2, cluster 2: 1 -> 5/6
    assert purity(clusters, classes, 3, 2) == pytest.approx(5 / 6)
