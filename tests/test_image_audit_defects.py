"""One test per defect the image audit (issue 23, docs/variants.md "The image audit") found, at the
level of the network that it corrects."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganbench.core.seeding import seed_everything
from ganbench.data import get_dataset
from ganbench.nets.goodfellow_mlp import GoodfellowDiscriminator, GoodfellowGenerator
from ganbench.nets.pacgan_mlp import Maxout
from ganbench.registry import get_variant


@pytest.fixture(scope="module")
def mnist():
    return get_dataset("mnist")


def test_gan_on_images_has_the_papers_mnist_networks(mnist):
    """`gan` on MNIST had 3x256 ReLU / LeakyReLU MLPs that its comment called the paper's; after
    500 steps its samples were a grey field (FID 1,786 against the zoo's 395). The paper's released
    mnist.yaml (goodfeli/adversarial): G 100 -> 1200 -> 1200 -> 784 ReLU, U(-0.05, 0.05); D two
    maxout layers of 240 units x 5 pieces, dropout 0.2 on the input and 0.5 after, U(-0.005, 0.005)."""
    seed_everything(0)
    v = get_variant("gan").cls(mnist.spec)
    assert isinstance(v.G, GoodfellowGenerator) and isinstance(v.D, GoodfellowDiscriminator)
    g_linear = [m for m in v.G.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in g_linear] == [
        (v.latent_dim, 1200), (1200, 1200), (1200, 784)
    ]
    assert all(m.weight.abs().max() <= 0.05 for m in g_linear)
    assert all(m.weight.abs().max() > 0.045 for m in g_linear)  # uniform over the whole range
    maxouts = [m for m in v.D.modules() if isinstance(m, Maxout)]
    assert [(m.linear.in_features, m.units, m.pieces) for m in maxouts] == [
        (784, 240, 5), (240, 240, 5)
    ]
    assert [m.p for m in v.D.modules() if isinstance(m, nn.Dropout)] == [0.2, 0.5, 0.5]
    assert all(m.weight.abs().max() <= 0.005 for m in v.D.modules() if isinstance(m, nn.Linear))
    x = mnist.train[:8]
    assert v.G(torch.randn(8, v.latent_dim)).shape == x.shape and v.D(x).shape == (8,)


def test_gan_on_points_keeps_the_shared_mlp_pair():
    from ganbench.nets import MLPDiscriminator, MLPGenerator

    v = get_variant("gan").cls(get_dataset("ring8").spec)
    assert isinstance(v.G, MLPGenerator) and isinstance(v.D, MLPDiscriminator)


def test_wgan_critic_separates_real_from_fake_under_clipping(mnist):
    """WGAN clips its critic's weights to [-0.01, 0.01]. On the shared pair's batch norm (the zoo's
    eps 0.8) the pre-norm activations stayed tiny and unscaled, so the critic's scores differed by
    ~1e-13 between real and fake and G learned nothing in 500 steps (losses ~1e-6, a grey field,
    FID 616). The authors' critic (martinarjovsky/WassersteinGAN, models/dcgan.py) uses PyTorch's
    eps 1e-5, which rescales them: the gap is many orders of magnitude larger."""
    seed_everything(0)
    v = get_variant("wgan").cls(mnist.spec, width=32)
    norms = [m for m in v.D.modules() if isinstance(m, nn.BatchNorm2d)]
    assert norms and all(m.eps == 1e-5 for m in norms)
    v.after_d_step()  # the clipping, as after every critic update
    v.D.train()
    with torch.no_grad():
        real = v.D(mnist.train[:64])
        fake = v.D(v.G(torch.randn(64, v.latent_dim)))
    assert (real.mean() - fake.mean()).abs() > 1e-7
    assert real.std() > 1e-6


def test_the_shared_pair_keeps_the_zoos_batch_norm_eps(mnist):
    """The eps of 0.8 is the zoo's DCGAN's and was measured to help LSGAN (docs/variants.md): only
    the clipped critic asks for PyTorch's."""
    for name in ("dcgan", "lsgan"):
        v = get_variant(name).cls(mnist.spec, width=32)
        assert {m.eps for m in v.D.modules() if isinstance(m, nn.BatchNorm2d)} == {0.8}


def test_aae_weighs_the_adversarial_term_down_on_images_only(mnist):
    """AAE's encoder loss w_rec * MSE + w_adv * BCE with w_adv = 1 on images gave blurred blobs
    after 500 steps (FID 280; w_adv 0.001: 32): on images the adversarial term of the encoder's
    loss is weighed 0.001 (the zoo's), on the 2-D mixtures it stays 1 (their leaderboards)."""
    seed_everything(0)
    v = get_variant("aae").cls(mnist.spec)
    assert v.hp["adv_weight"] == 0.001 and v.hp["recon_weight"] == 1.0
    real = mnist.train[:16]
    v.d_loss(real, torch.randn(16, v.latent_dim), None)  # remembers the batch for g_loss
    code = v.E(real)
    rec = ((v.G(code) - real) ** 2).mean()
    adv = torch.nn.functional.softplus(-v.D(code)).mean()  # BCE(D(E(x)), 1) on logits
    torch.testing.assert_close(v.g_loss(None, None), rec + 0.001 * adv)
    assert get_variant("aae").cls(get_dataset("ring8").spec).hp["adv_weight"] == 1.0
