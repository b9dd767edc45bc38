"""Context Encoder, CCGAN, SRGAN and ESRGAN: each loss against values computed by hand with
stand-in networks, the completed image equal to the input outside the hole, the SR generators'
shapes for x2 and x4, ESRGAN's warm-up window through the harness, the hyper-parameters and a
smoke training on small synthetic inpainting / super-resolution sets."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganbench.core.config import Budget
from ganbench.core.errors import GanbenchError
from ganbench.core.hparams import HyperParameterError, parse_hp
from ganbench.data.base import Dataset, DataSpec
from ganbench.data.streams import Pair
from ganbench.harness.train import train
from ganbench.nets.srnets import RRDBNet, SRResNet, VGGDiscriminator, upscale_stages
from ganbench.registry import get_variant
from ganbench.variants.ccgan import low_resolution
from ganbench.variants.context_encoder import complete, hole_patches
from ganbench.variants.esrgan import esrgan_content
from ganbench.variants.updates import StepContext

NAMES = ("context-encoder", "ccgan", "srgan", "esrgan")
INPAINT = ("context-encoder", "ccgan")


class Fn(nn.Module):
    """A parameter-free network given as a function (the equation stays visible in the test)."""

    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *args, **kwargs):
        return self.fn(*args, **kwargs)


def sp(x: float) -> float:
    """softplus(x) = -log sigmoid(-x)."""
    return math.log1p(math.exp(x))


def image_mean(x: torch.Tensor) -> torch.Tensor:
    """A stand-in D: one logit per image, its mean grey value."""
    return x.mean((1, 2, 3))


def synthetic(relation: str, source_side: int = 28, hole: str = "centre", n: int = 24) -> Dataset:
    """Digits-shaped noise with the contract's layout: SR sources are box downsamples of the
    targets; inpainting sources are the targets with the hole (centre 14 px or random 7 px)
    filled with 0."""
    g = torch.Generator().manual_seed(0)
    target = torch.rand(n, 1, 28, 28, generator=g) * 2 - 1
    mask = None
    if relation == "super-resolution":
        source = F.avg_pool2d(target, 28 // source_side)
    else:
        mask = torch.zeros(n, 1, 28, 28)
        for i in range(n):
            if hole == "centre":
                r = c = 7
                side = 14
            else:
                r, c = torch.randint(0, 22, (2,), generator=g).tolist()
                side = 7
            mask[i, :, r : r + side, c : c + side] = 1
        source = torch.where(mask > 0.5, torch.zeros_like(target), target)
    spec = DataSpec(
        f"synthetic-{relation}-{source_side}-{hole}",
        "translation",
        (1, 28, 28),
        num_classes=10,
        value_range=(-1.0, 1.0),
        source_shape=tuple(source.shape[1:]),
        relation=relation,
        hole=hole if mask is not None else "",
        target_domain="mnist",
    )
    half = n // 2
    labels = torch.arange(n) % 10
    return Dataset(
        spec,
        train=target[:half],
        test=target[half:],
        train_labels=labels[:half],
        test_labels=labels[half:],
        train_source=source[:half],
        test_source=source[half:],
        train_mask=None if mask is None else mask[:half],
        test_mask=None if mask is None else mask[half:],
    )


def data_for(name: str, **kw) -> Dataset:
    if name == "context-encoder":
        return synthetic("inpainting", hole="centre", **kw)
    if name == "ccgan":
        return synthetic("inpainting", hole="random", **kw)
    return synthetic("super-resolution", source_side=7, **kw)


def stub_content(v) -> None:
    """SR variants: a stand-in feature net and distance (squared error of the images)."""
    v.content_net = nn.Identity()
    v.content_fn = lambda net, x, y: ((net(x) - net(y)) ** 2).mean()


def build(name: str, data: Dataset | None = None, **hp):
    v = get_variant(name).cls((data or data_for(name)).spec, **hp)
    if name in ("srgan", "esrgan"):
        stub_content(v)
    return v


class FixedStream:
    """Always the same batch: a loss method's inputs are then known exactly."""

    def __init__(self, pair: Pair) -> None:
        self.pair, self.batch_size = pair, len(pair.a)

    def next(self) -> Pair:
        return self.pair


def ctx_for(pair: Pair, step: int = 1, total: int = 10) -> StepContext:
    return StepContext(
        FixedStream(pair), step, total, torch.device("cpu"), torch.Generator(), len(pair.a)
    )


def const_g(value: float, shape=(1, 28, 28)):
    """A stand-in G: every output pixel `value`, whatever the input (and any extra input)."""
    return Fn(lambda x, **kw: torch.full((len(x), *shape), value))


# --- hole patches and completion ---------------------------------------------------------------


def test_hole_patches_cut_each_images_own_square():
    x = torch.arange(2 * 28 * 28, dtype=torch.float32).view(2, 1, 28, 28)
    mask = torch.zeros(2, 1, 28, 28)
    mask[0, :, 3:10, 5:12] = 1
    mask[1, :, 20:27, 0:7] = 1
    p = hole_patches(x, mask)
    assert p.shape == (2, 1, 7, 7)
    assert torch.equal(p[0], x[0, :, 3:10, 5:12]) and torch.equal(p[1], x[1, :, 20:27, 0:7])


def test_hole_patches_refuse_holes_of_other_shapes():
    mask = torch.zeros(2, 1, 28, 28)
    mask[0, :, 0:7, 0:7] = 1
    mask[1, :, 0:5, 0:5] = 1  # another size
    with pytest.raises(ValueError, match="square"):
        hole_patches(torch.zeros(2, 1, 28, 28), mask)
    mask[1] = 0
    mask[1, :, 0:7, 0:6] = 1  # not square
    with pytest.raises(ValueError, match="square"):
        hole_patches(torch.zeros(2, 1, 28, 28), mask)


@pytest.mark.parametrize("name", INPAINT)
def test_completed_image_is_the_input_outside_the_hole_exactly(name):
    data = data_for(name)
    v = build(name, data)
    a, mask = data.test_source, data.test_mask
    out = v.heads_eval(v.translate, a, mask)
    outside = mask == 0
    assert torch.equal(out[outside], a[outside])
    # ... and the generator's prediction inside it
    with torch.no_grad():
        for m in v.nets.values():
            m.eval()
        pred = v.G(a) if name == "context-encoder" else v.G(a, extra=low_resolution(a))
    assert torch.equal(out[~outside], pred[~outside])
    assert not torch.equal(out[~outside], a[~outside])  # the 0 fill was replaced
    with pytest.raises(ValueError, match="mask"):
        v.translate(a)


def test_complete_takes_prediction_in_the_hole_only():
    a, pred = torch.full((1, 1, 2, 2), 0.3), torch.full((1, 1, 2, 2), -0.7)
    mask = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])
    assert complete(a, mask, pred).flatten().tolist() == pytest.approx([-0.7, 0.3, 0.3, 0.3])


# --- Context Encoder -----------------------------------------------------------------------------


def test_context_encoder_losses_by_hand():
    data = data_for("context-encoder")
    v = build("context-encoder", data, rec_weight=0.9, adv_weight=0.1)
    b = torch.ones(2, 1, 28, 28)
    b[1] = -1.0
    mask = data.train_mask[:2]
    a = torch.where(mask > 0.5, torch.zeros_like(b), b)
    v.G = const_g(0.5)
    v.D = Fn(image_mean)
    ctx = ctx_for(Pair(a, b, mask))
    # hole patches: real 1 / -1, predicted 0.5; L_rec = mean (0.5 - b)² = (0.25 + 2.25) / 2
    rec = (0.25 + 2.25) / 2
    adv = sp(-0.5)  # -log σ(D(patch)), D = 0.5 for both predicted patches
    g = v.g_step(ctx)
    assert v.logs["rec"].item() == pytest.approx(rec, rel=1e-6)
    assert v.logs["adv"].item() == pytest.approx(adv, rel=1e-6)
    assert g.item() == pytest.approx(0.9 * rec + 0.1 * adv, rel=1e-6)
    # D: -log σ(D(real patch)) - log(1 - σ(D(fake patch))), batch means
    d = v.d_step(ctx)
    assert d.item() == pytest.approx((sp(-1.0) + sp(1.0)) / 2 + sp(0.5), rel=1e-6)


def test_context_encoder_d_sees_only_the_patch():
    data = data_for("context-encoder")
    v = build("context-encoder", data)
    seen = []
    v.D = Fn(lambda x: (seen.append(tuple(x.shape)), image_mean(x))[1])
    batch = Pair(data.train_source[:3], data.train[:3], data.train_mask[:3])
    v.g_step(ctx := ctx_for(batch))
    v.d_step(ctx)
    assert seen and set(seen) == {(3, 1, 14, 14)}  # the centre hole, never the whole image


# --- CCGAN ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("d_input", ["completed", "raw"])
def test_ccgan_losses_by_hand(d_input):
    v = build("ccgan", d_input=d_input)
    b = torch.ones(2, 1, 28, 28)
    mask = torch.zeros(2, 1, 28, 28)
    mask[:, :, 0:7, 0:7] = 1
    a = torch.where(mask > 0.5, torch.zeros_like(b), b)
    got = {}

    def g(x, extra):
        got["extra"] = extra
        return torch.full_like(x, 0.25)

    v.G = Fn(g)
    v.D = Fn(image_mean)
    ctx = ctx_for(Pair(a, b, mask))
    # x_G: 1 outside the hole, 0.25 in its 49 of 784 pixels; the raw output is 0.25 everywhere
    m = (784 - 49 + 49 * 0.25) / 784 if d_input == "completed" else 0.25
    assert v.g_step(ctx).item() == pytest.approx((m - 1) ** 2, rel=1e-6)
    assert v.d_step(ctx).item() == pytest.approx(0.5 * 0.0 + 0.5 * m**2, rel=1e-6)
    # the low-resolution copy is the 4 x box downsample of the masked input
    assert got["extra"].shape == (2, 1, 7, 7)
    assert torch.equal(got["extra"], F.avg_pool2d(a, 4))
    assert got["extra"][0, 0, 0, 0].item() == 0.0  # a 4 x 4 cell inside the hole
    assert got["extra"][0, 0, 1, 1].item() == pytest.approx(
        (16 - 9) / 16
    )  # 3 x 3 of it in the hole


def test_ccgan_rejects_unknown_d_input():
    with pytest.raises(ValueError, match="d_input"):
        build("ccgan", d_input="patch")


# --- SRGAN ---------------------------------------------------------------------------------------


def sr_batch() -> Pair:
    b = torch.ones(2, 1, 28, 28)
    b[1] = 0.0
    return Pair(F.avg_pool2d(b, 4), b)


@pytest.mark.parametrize("content", ["perceptual", "mse"])
def test_srgan_losses_by_hand(content):
    v = build("srgan", content=content, content_weight=2.0, adv_weight=0.1)
    v.G = const_g(0.2)
    v.D = Fn(image_mean)
    ctx = ctx_for(sr_batch())
    # content: the stub feature net is the identity with squared error, so both forms give
    # mean (0.2 - b)² = (0.64 + 0.04) / 2
    mse = (0.64 + 0.04) / 2
    adv = sp(-0.2)  # -log σ(D(G(x))), D = 0.2
    assert v.g_step(ctx).item() == pytest.approx(2.0 * mse + 0.1 * adv, rel=1e-6)
    assert v.logs["mse"].item() == pytest.approx(mse, rel=1e-6)
    # D: -log σ(D(x_HR)) - log(1 - σ(D(G(x_LR)))): real logits 1 and 0
    d = (sp(-1.0) + sp(0.0)) / 2 + sp(0.2)
    assert v.d_step(ctx).item() == pytest.approx(d, rel=1e-6)
    # pre-training (SRResNet): the pixel MSE alone
    assert v.pretrain_step(ctx_for(sr_batch())).item() == pytest.approx(mse, rel=1e-6)


def test_srgan_perceptual_content_goes_through_the_feature_net():
    v = build("srgan", adv_weight=0.0)
    v.content_net = Fn(lambda x: 3 * x)  # a "feature net" that triples
    v.G = const_g(0.2)
    v.D = Fn(lambda x: torch.zeros(len(x)))
    loss = v.g_step(ctx_for(sr_batch()))
    assert loss.item() == pytest.approx(9 * (0.64 + 0.04) / 2, rel=1e-6)


@pytest.mark.parametrize("name,key", [("srgan", "pretrain"), ("esrgan", "warmup")])
def test_pixel_only_window_then_adversarial_through_the_harness(name, key):
    data = data_for(name)
    v = build(name, data, **{key: 0.25})
    first = "pretrain_step" if name == "srgan" else "warmup_step"
    ran: dict[str, list[int]] = {first: [], "g_step": [], "d_step": []}
    for method_name in ran:
        method = getattr(v, method_name)

        def spy(ctx, _m=method, _n=method_name):
            ran[_n].append(ctx.step)
            return _m(ctx)

        setattr(v, method_name, spy)
    res = train(v, data, Budget(8, 4), torch.device("cpu"), torch.Generator().manual_seed(0))
    assert ran == {first: [1, 2], "g_step": list(range(3, 9)), "d_step": list(range(3, 9))}
    assert res.diverged_step is None


def test_srgan_rejects_unknown_content():
    with pytest.raises(ValueError, match="content"):
        build("srgan", content="vgg")


# --- ESRGAN --------------------------------------------------------------------------------------


def test_esrgan_losses_by_hand():
    v = build("esrgan", perceptual_weight=0.5, adv_weight=0.2, pixel_weight=0.3)
    v.G = const_g(0.2)
    v.D = Fn(image_mean)
    ctx = ctx_for(sr_batch())
    c_r, c_f = [1.0, 0.0], [0.2, 0.2]  # critic logits: real images 1 and 0, fakes 0.2
    mr, mf = sum(c_r) / 2, sum(c_f) / 2
    # L_G^Ra = -E_r[log(1 - D_Ra(x_r, x_f))] - E_f[log D_Ra(x_f, x_r)]
    g_ra = sum(sp(r - mf) for r in c_r) / 2 + sum(sp(-(f - mr)) for f in c_f) / 2
    # L_D = -E_r[log D_Ra(x_r, x_f)] - E_f[log(1 - D_Ra(x_f, x_r))]
    d_ra = sum(sp(-(r - mf)) for r in c_r) / 2 + sum(sp(f - mr) for f in c_f) / 2
    pixel = (0.8 + 0.2) / 2
    percep = (0.64 + 0.04) / 2  # the stub: squared error of the images
    g = v.g_step(ctx)
    assert g.item() == pytest.approx(0.5 * percep + 0.2 * g_ra + 0.3 * pixel, rel=1e-6)
    assert v.logs["pixel"].item() == pytest.approx(pixel, rel=1e-6)
    assert v.d_step(ctx).item() == pytest.approx(d_ra, rel=1e-6)
    # warm-up: the pixel L1 alone
    assert v.warmup_step(ctx_for(sr_batch())).item() == pytest.approx(pixel, rel=1e-6)


def test_esrgan_content_is_l1_of_maps_before_the_activation():
    from ganbench.backbones.perceptual import CONTENT_LAYER

    calls = []

    def net(x, before_activation=False):
        calls.append(before_activation)
        maps = [x * 0 for _ in range(CONTENT_LAYER + 1)]
        maps[CONTENT_LAYER] = 2 * x - 1  # "pre-activation" map: can be negative
        return maps

    x, y = torch.full((2, 1, 4, 4), 0.1), torch.full((2, 1, 4, 4), 0.4)
    assert esrgan_content(Fn(net), x, y).item() == pytest.approx(2 * 0.3, rel=1e-6)
    assert calls == [True, True]


def test_esrgan_warmup_window_as_updates():
    v = build("esrgan", warmup=0.25)
    ups = {u.loss.__name__: u for u in v.updates()}
    total = 8
    for step in range(1, total + 1):
        warm = step <= 2  # w x budget = 2 steps
        assert ups["warmup_step"].active(step, total) is warm
        assert ups["g_step"].active(step, total) is not warm
        assert ups["d_step"].active(step, total) is not warm
    assert ups["warmup_step"].player == ups["g_step"].player == "G"


@pytest.mark.parametrize("name,key", [("srgan", "pretrain"), ("esrgan", "warmup")])
def test_pixel_only_window_must_be_a_fraction(name, key):
    with pytest.raises(ValueError, match=key):
        build(name, **{key: 1.5})


def test_sr_variants_load_the_frozen_feature_net_outside_their_nets():
    try:
        from ganbench.backbones.perceptual import load_perceptual_net

        load_perceptual_net("cpu")
    except GanbenchError as e:  # weights not shipped in this tree yet
        pytest.skip(str(e))
    data = data_for("srgan")
    for name in ("srgan", "esrgan"):
        v = get_variant(name).cls(data.spec)  # no stub: the shipped net, loaded on first use
        batch = Pair(data.train_source[:4], data.train[:4])
        loss = v.g_step(ctx_for(batch))
        assert torch.isfinite(loss)
        net = v.content_net
        assert net is not None and net not in v.nets.values()
        assert not net.training and not any(p.requires_grad for p in net.parameters())


# --- SR generator shapes -------------------------------------------------------------------------


@pytest.mark.parametrize("side,stages", [(7, 2), (14, 1)])
def test_sr_generators_upscale_x4_and_x2(side, stages):
    assert upscale_stages((1, side, side), (1, 28, 28)) == stages
    x = torch.rand(3, 1, side, side) * 2 - 1
    for g in (SRResNet((1, side, side), (1, 28, 28)), RRDBNet((1, side, side), (1, 28, 28))):
        shuffles = [m for m in g.modules() if isinstance(m, nn.PixelShuffle)]
        assert len(shuffles) == stages
        assert g(x).shape == (3, 1, 28, 28)
    data = synthetic("super-resolution", source_side=side)
    for name in ("srgan", "esrgan"):
        v = build(name, data)
        out = v.heads_eval(v.translate, data.test_source)
        assert out.shape == data.test.shape and out.min() >= -1 and out.max() <= 1


def test_upscale_stages_refuses_non_power_of_two():
    for src in ((1, 28, 28), (1, 10, 10), (1, 7, 14)):
        with pytest.raises(ValueError, match="power of 2"):
            upscale_stages(src, (1, 28, 28))


def test_esrgan_generator_has_no_batch_norm_and_srgan_d_one_logit():
    g = RRDBNet((1, 7, 7), (1, 28, 28))
    assert not any(isinstance(m, nn.BatchNorm2d) for m in g.modules())
    assert VGGDiscriminator((1, 28, 28))(torch.zeros(5, 1, 28, 28)).shape == (5,)


# --- hyper-parameters, registry, smoke training --------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_default_is_a_settable_hp(name):
    cls = get_variant(name).cls
    data = data_for(name)
    v = build(name, data, **dict(cls.defaults))  # every key accepted with its own value
    assert {k: v.hp[k] for k in cls.defaults} == cls.defaults
    with pytest.raises(HyperParameterError):
        build(name, data, no_such_key=1.0)
    hp = parse_hp(["lr=0.001", "betas=(0.1,0.2)"])
    v = build(name, data, **hp)
    for player in v.players().values():
        opt = player.optim
        assert opt.lr == 0.001 and opt.betas == (0.1, 0.2)


@pytest.mark.parametrize("name", NAMES)
def test_registered_on_its_relation_and_default_dataset(name):
    info = get_variant(name)
    relation = info.cls.relations[0]
    expected = {
        "context-encoder": "mnist-inpaint-centre",
        "ccgan": "mnist-inpaint-random",
        "srgan": "mnist-sr4",
        "esrgan": "mnist-sr4",
    }[name]
    assert info.datasets == (expected,)
    assert info.supports_data("translation", 10, relation)
    assert not info.supports_data("translation", 10, "unpaired")


# the SR variants' pixel-only window over half of the 4 steps, so both phases run
HALF_WINDOW = {"srgan": {"pretrain": 0.5}, "esrgan": {"warmup": 0.5}}


@pytest.mark.parametrize("name", NAMES)
def test_smoke_training_gives_finite_losses(name):
    data = data_for(name)
    v = build(name, data, **HALF_WINDOW.get(name, {}))
    res = train(v, data, Budget(4, 8), torch.device("cpu"), torch.Generator().manual_seed(0))
    assert res.steps_done == 4 and res.diverged_step is None
    for key in ("g_loss", "d_loss"):
        assert res.history[key] and all(math.isfinite(x) for x in res.history[key])
    out = v.heads_eval(v.translate, data.test_source, data.test_mask)
    assert out.shape == data.test.shape and torch.isfinite(out).all()


@pytest.mark.parametrize("name", ["srgan", "esrgan"])
def test_sr_variants_train_at_x2(name):
    data = synthetic("super-resolution", source_side=14)
    v = build(name, data, **HALF_WINDOW[name])
    res = train(v, data, Budget(4, 8), torch.device("cpu"), torch.Generator().manual_seed(0))
    assert res.diverged_step is None and all(math.isfinite(x) for x in res.history["g_loss"])
    assert v.heads_eval(v.translate, data.test_source).shape == data.test.shape


@pytest.mark.parametrize("name,hole", [("context-encoder", "random"), ("ccgan", "centre")])
def test_inpainting_variants_take_the_other_hole_too(name, hole):
    data = synthetic("inpainting", hole=hole)
    v = build(name, data)
    res = train(v, data, Budget(3, 8), torch.device("cpu"), torch.Generator().manual_seed(0))
    assert res.diverged_step is None
    out = v.heads_eval(v.translate, data.test_source, data.test_mask)
    assert torch.equal(out[data.test_mask == 0], data.test_source[data.test_mask == 0])
