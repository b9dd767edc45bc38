"""One test per defect the image audit (issue 23, docs/variants.md "The image audit") found, at the
level of the network that it corrects."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganbench.core.seeding import seed_everything
from ganbench.data import get_dataset
from ganbench.nets import ConvGenerator
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
    """AAE's encoder loss w_rec * d(G(E(x)), x) + w_adv * BCE with w_adv = 1 on images gave blurred
    blobs after 500 steps (FID 280; w_adv 0.001: 32): on images the adversarial term of the
    encoder's loss is weighed 0.001 (the zoo's), on the 2-D mixtures it stays 1 (their
    leaderboards)."""
    seed_everything(0)
    v = get_variant("aae").cls(mnist.spec)
    assert v.hp["adv_weight"] == 0.001 and v.hp["recon_weight"] == 1.0
    real = mnist.train[:16]
    v.d_loss(real, torch.randn(16, v.latent_dim), None)  # remembers the batch for g_loss
    code = v.E(real)
    rec = (v.G(code) - real).abs().mean()
    adv = torch.nn.functional.softplus(-v.D(code)).mean()  # BCE(D(E(x)), 1) on logits
    torch.testing.assert_close(v.g_loss(None, None), rec + 0.001 * adv)
    assert get_variant("aae").cls(get_dataset("ring8").spec).hp["adv_weight"] == 1.0


def test_aae_on_images_has_the_canonical_mlps_and_l1(mnist):
    """With the weight fixed, AAE on MNIST still trailed the zoo (FID 31.8 against 11.7 at 500
    steps; 14.8 against 6.3 at 2,000): its conv encoder and the shared conv G with a squared
    pixel error. The zoo's aae.py (the canonical code; the authors released none): MLPs 512 -> 512
    with batch norm on the second layer and LeakyReLU(0.2), tanh out, an L1 pixel loss; in
    ganbench they score 5.5 at 500 steps, and each change alone does not (MLPs with squared error
    72, the conv pair with L1 64). The mixtures keep the shared MLPs and the squared error."""
    seed_everything(0)
    v = get_variant("aae").cls(mnist.spec)
    assert v.hp["recon"] == "l1" and v.hp["nets"] == "mlp"
    for net, d_in, d_out in ((v.E, 784, v.latent_dim), (v.G, v.latent_dim, 784)):
        linear = [(m.in_features, m.out_features) for m in net.modules() if isinstance(m, nn.Linear)]
        assert linear == [(d_in, 512), (512, 512), (512, d_out)]
        assert [m.num_features for m in net.modules() if isinstance(m, nn.BatchNorm1d)] == [512]
        assert [m.negative_slope for m in net.modules() if isinstance(m, nn.LeakyReLU)] == [0.2] * 2
        assert not any(isinstance(m, nn.Conv2d) for m in net.modules())
    assert isinstance(list(v.G.modules())[-1], nn.Tanh)
    assert v.G(v.E(mnist.train[:4])).shape == (4, 1, 28, 28)
    conv = get_variant("aae").cls(mnist.spec, nets="conv", recon="mse")
    assert any(isinstance(m, nn.Conv2d) for m in conv.G.modules())  # the old pair, asked
    ring = get_variant("aae").cls(get_dataset("ring8").spec)
    assert ring.hp["recon"] == "mse"


def _layout(module: nn.Module) -> list[tuple]:
    """The layer types and shapes of a network, weights aside."""
    out = []
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            out.append(("conv", m.in_channels, m.out_channels, m.kernel_size, m.stride))
        elif isinstance(m, nn.Linear):
            out.append(("linear", m.in_features, m.out_features))
        elif isinstance(m, (nn.ELU, nn.Upsample)):
            out.append((type(m).__name__,))
    return out


def test_began_on_images_has_the_papers_decoder_shaped_networks(mnist):
    """BEGAN on MNIST ran on the shared conv pair's G (batch norm, ReLU, tanh) against a small
    strided auto-encoder: G settled on a flat grey image the auto-encoder reconstructs about as
    well as a digit, k stayed 0 and nothing moved it (FID 575 / 647 / 711 at 500 steps, seeds 0-2,
    where the zoo's BEGAN draws digit-shaped blobs). The paper's networks (section 3.5): 3x3
    convolutions with ELU, no batch norm, nearest-neighbour upsampling, a linear code and a linear
    output, and a G with the same architecture as D's decoder (not the same weights)."""
    seed_everything(0)
    v = get_variant("began").cls(mnist.spec, width=32, nets="paper", code_dim=64)
    decoder = _layout(v.D.decoder)
    assert _layout(v.G) == [("linear", v.latent_dim, decoder[0][2]), *decoder[1:]]
    for net in (v.G, v.D):
        assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in net.modules())
        assert not any(isinstance(m, (nn.Tanh, nn.ReLU, nn.LeakyReLU)) for m in net.modules())
        assert sum(isinstance(m, nn.Upsample) for m in net.modules()) == 2
        assert all(m.mode == "nearest" for m in net.modules() if isinstance(m, nn.Upsample))
    assert isinstance(list(v.G.modules())[-1], nn.Conv2d)  # a linear output, as D's
    assert v.D.encode(mnist.train[:4]).shape == (4, 64)  # the paper's h
    assert v.G(torch.randn(4, v.latent_dim)).shape == v.D(mnist.train[:4]).shape == (4, 1, 28, 28)
    shared = get_variant("began").cls(mnist.spec, width=32, nets="shared")
    assert any(isinstance(m, nn.BatchNorm2d) for m in shared.G.modules())  # the old pair, asked


def test_began_on_images_defaults_to_the_canonical_implementations_networks_and_settings(mnist):
    """The paper's networks (above) fixed the 500-step grey field but not BEGAN: at 2,500 steps
    on MNIST they drew only 1s (FID 62.0, 1 of 10 classes; with γ 0.75: 54.3, 2 classes), where
    the PyTorch-GAN zoo's began.py draws all ten digits (23.9). Its networks and settings inside
    ganbench score 5.0 with ten classes; its networks at the paper's γ 0.5 and lr 1e-4 drift to
    noise. The zoo's: G linear -> 128 x 7 x 7 -> BN -> two [2x up, 3x3 conv, BN eps 0.8,
    LeakyReLU 0.2] (128, 64) -> 3x3 conv -> tanh; D 3x3 stride-2 conv 64, ReLU -> linear to a
    32-unit code, BN eps 0.8, ReLU -> linear back, BN, ReLU -> 2x up -> 3x3 conv, linear output;
    conv weights N(0, 0.02); γ 0.75, Adam lr 2e-4, z of 62."""
    seed_everything(0)
    v = get_variant("began").cls(mnist.spec, width=32)
    assert v.hp["nets"] == "zoo"
    assert (v.hp["gamma"], v.g_optim.lr, v.d_optim.lr, v.latent_dim) == (0.75, 2e-4, 2e-4, 62)
    g = [m for m in v.G.modules() if isinstance(m, (nn.Linear, nn.Conv2d, nn.BatchNorm2d))]
    assert [type(m).__name__ for m in g] == [
        "Linear", "BatchNorm2d", "Conv2d", "BatchNorm2d", "Conv2d", "BatchNorm2d", "Conv2d"
    ]
    assert g[0].out_features == 128 * 7 * 7 and [m.out_channels for m in g[2::2]] == [128, 64, 1]
    assert [m.eps for m in g[1::2]] == [1e-5, 0.8, 0.8]
    assert [m.negative_slope for m in v.G.modules() if isinstance(m, nn.LeakyReLU)] == [0.2, 0.2]
    assert isinstance(list(v.G.modules())[-1], nn.Tanh)
    assert all(float(m.weight.detach().std()) == pytest.approx(0.02, rel=0.2) for m in g[2::2])
    d = [m for m in v.D.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    assert [_shape(m) for m in d] == [(1, 64), (64 * 14 * 14, 32), (32, 64 * 14 * 14), (64, 1)]
    assert d[0].stride == (2, 2)
    assert [m.eps for m in v.D.modules() if isinstance(m, nn.BatchNorm1d)] == [0.8, 1e-5]
    assert isinstance(list(v.D.modules())[-1], nn.Conv2d)  # a linear reconstruction
    assert v.D.encode(mnist.train[:4]).shape == (4, 32)
    x = mnist.train[:4]
    assert v.G(torch.randn(4, 62)).shape == v.D(x).shape == x.shape
    assert v.resolved_hp()["width"] is None  # fixed widths: the preset's width is unused
    paper = get_variant("began").cls(mnist.spec, width=32, nets="paper")
    assert not any(isinstance(m, nn.BatchNorm2d) for m in paper.G.modules())  # the paper's, asked


def test_began_on_points_keeps_its_mlp_autoencoder():
    from ganbench.nets.autoencoder import MLPAutoEncoder

    v = get_variant("began").cls(get_dataset("ring8").spec)
    assert isinstance(v.D, MLPAutoEncoder) and v.D.code_dim == 1


def test_clustergan_on_images_has_the_authors_mnist_networks(mnist):
    """ClusterGAN on MNIST ran on the shared conv pair at width 32 (G 0.18M parameters, a 25k
    critic with layer norm) and trailed the PyTorch-GAN zoo's port of the paper's networks at
    2,000 steps (FID 13.7 against 8.9 at the paper's sigma 0.10). The authors' mnist/clus_wgan.py:
    G FC 1024 -> FC 7x7x128 -> 4x4 deconv 64 -> 4x4 deconv 1, batch norm and ReLU between; D and
    E 4x4 conv 64 -> 4x4 conv 128 (stride 2, 'SAME') -> FC 1024, LeakyReLU 0.2, no normalisation;
    N(0, 0.02) weights except D's and E's last layer."""
    seed_everything(0)
    v = get_variant("clustergan").cls(mnist.spec, width=32)
    z_dim = v.latent_dim + v.n_cat
    assert (v.latent_dim, v.n_cat) == (30, 10)
    g_layers = [m for m in v.G.modules() if isinstance(m, (nn.Linear, nn.ConvTranspose2d))]
    assert [_shape(m) for m in g_layers] == [(z_dim, 1024), (1024, 7 * 7 * 128), (128, 64), (64, 1)]
    norms = [m.num_features for m in v.G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert norms == [1024, 7 * 7 * 128, 64]
    assert sum(isinstance(m, nn.ReLU) for m in v.G.modules()) == 3
    assert isinstance(list(v.G.modules())[-1], nn.Tanh)
    for net, out in ((v.D, 1), (v.E, z_dim)):
        layers = [m for m in net.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
        assert [_shape(m) for m in layers] == [(1, 64), (64, 128), (7 * 7 * 128, 1024), (1024, out)]
        assert all(m.stride == (2, 2) and m.kernel_size == (4, 4) for m in layers[:2])
        assert not any(isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.LayerNorm)) for m in net.modules())  # noqa: E501
        assert [m.negative_slope for m in net.modules() if isinstance(m, nn.LeakyReLU)] == [0.2] * 3
        for m in layers[:-1]:  # N(0, 0.02), zero bias
            assert float(m.weight.detach().std()) == pytest.approx(0.02, rel=0.1)
            assert not m.bias.any()
        assert float(layers[-1].weight.detach().std()) > 0.03  # Glorot uniform, TensorFlow's default
    assert sum(p.numel() for p in v.G.parameters()) == 6_617_665  # the zoo's port counts the same
    x = mnist.train[:4]
    assert v.G(v.noise(4, "cpu")).shape == x.shape
    assert v.D(x).shape == (4, 1) and v.E(x).shape == (4, z_dim)
    assert v.resolved_hp()["width"] is None  # fixed-size networks: the preset's width is unused
    shared = get_variant("clustergan").cls(mnist.spec, width=32, nets="shared")
    assert isinstance(shared.G, ConvGenerator)  # the shared pair, asked


def test_clustergan_on_points_keeps_the_shared_mlps():
    from ganbench.nets import MLPGenerator

    v = get_variant("clustergan").cls(get_dataset("ring8").spec)
    assert isinstance(v.G, MLPGenerator)


def _shape(m: nn.Module) -> tuple[int, int]:
    if isinstance(m, nn.Linear):
        return (m.in_features, m.out_features)
    return (m.in_channels, m.out_channels)
