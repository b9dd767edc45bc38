"""The offline translation datasets: pairs align, held-out digits never reach training, masks,
determinism, and the classical baselines' closed forms."""

import numpy as np
import pytest
import torch

from ganbench.cli import main
from ganbench.data import get_dataset
from ganbench.data import translation as tr
from ganbench.data.listing import dataset_rows

NAMES = list(tr.TRANSLATION_SPECS)
SR = {"mnist-sr4": 4, "mnist-sr2": 2}


def test_every_translation_set_is_registered_and_not_a_generation_default():
    from ganbench.data import DEFAULT_DATASETS, dataset_names

    assert set(NAMES) == {
        "edges2mnist",
        "mnist2inverse-thick",
        "mnist-sr4",
        "mnist-sr2",
        "mnist-inpaint-centre",
        "mnist-inpaint-random",
    }
    assert set(NAMES) <= set(dataset_names())
    assert not set(NAMES) & set(DEFAULT_DATASETS)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_dtypes_ranges_and_spec(name):
    d = get_dataset(name)
    s = d.spec
    assert s is tr.TRANSLATION_SPECS[name]
    assert (s.kind, s.task, s.num_classes, s.shape) == (
        "translation",
        "translation",
        10,
        (1, 28, 28),
    )
    side = 28 // SR.get(name, 1)
    assert s.source_shape == (1, side, side)
    assert s.target_domain == ("mnist-inverse-thick" if name == "mnist2inverse-thick" else "mnist")
    n_train = 2000 if s.relation == "unpaired" else 4000
    for t, n, shape in (
        (d.train, n_train, s.shape),
        (d.test, 1000, s.shape),
        (d.train_source, n_train, s.source_shape),
        (d.test_source, 1000, s.source_shape),
    ):
        assert t.shape == (n, *shape) and t.dtype == torch.float32
        assert t.min() >= -1.0 and t.max() <= 1.0 and torch.isfinite(t).all()
    assert d.train_labels.shape == (n_train,) and d.test_labels.shape == (1000,)
    assert d.train_labels.dtype == torch.int64
    assert sorted(d.test_labels.unique().tolist()) == list(range(10))
    assert (d.train_mask is None) == (s.relation != "inpainting")


@pytest.mark.parametrize("name", NAMES)
def test_built_from_the_mnist_split_and_held_out_never_trained_on(name):
    idx = tr.split_indices(name)
    x, y, _, _ = tr._pool()
    mnist = get_dataset("mnist")
    d = get_dataset(name)
    trained = np.concatenate([idx["train"], idx["train_source"]])
    assert not set(idx["test"]) & set(trained)
    assert not set(idx["test_source"]) & set(trained)
    # The rows are the digits the bookkeeping names, and the held-out digits are `mnist`'s.
    assert torch.equal(x[idx["test"]], mnist.test)
    assert torch.equal(d.test_labels, torch.from_numpy(y[idx["test"]]))
    assert torch.equal(d.train_labels, torch.from_numpy(y[idx["train"]]))
    # No held-out target image appears, byte for byte, among the training targets.
    seen = {row.numpy().tobytes() for row in d.train}
    assert not any(row.numpy().tobytes() in seen for row in d.test)


@pytest.mark.parametrize(
    "name",
    ["edges2mnist", "mnist-sr4", "mnist-sr2", "mnist-inpaint-centre", "mnist-inpaint-random"],
)
def test_paired_sources_are_the_stated_transform_of_the_targets(name):
    d = get_dataset(name)
    mnist = get_dataset("mnist")
    assert torch.equal(d.train, mnist.train) and torch.equal(d.test, mnist.test)
    for target, source, mask in (
        (d.train, d.train_source, d.train_mask),
        (d.test, d.test_source, d.test_mask),
    ):
        if name == "edges2mnist":
            expected = tr.edges(target)
        elif name in SR:
            expected = tr.downsample(target, SR[name])
        else:
            expected = tr.apply_hole(target, mask)
            assert (source[mask.bool()] == tr.FILL).all()
        assert torch.equal(source, expected)


def test_unpaired_halves_are_disjoint_balanced_and_held_out_pairs_are_the_transform():
    a, b = tr.unpaired_halves()
    _, y, train_idx, _ = tr._pool()
    assert len(a) == len(b) == 2000 and not set(a) & set(b)
    assert set(a) | set(b) == set(train_idx)
    assert np.bincount(y[a], minlength=10).tolist() == [200] * 10
    idx = tr.split_indices("mnist2inverse-thick")
    assert np.array_equal(idx["train_source"], a) and np.array_equal(idx["train"], b)
    d = get_dataset("mnist2inverse-thick")
    x = tr._pool()[0]
    assert torch.equal(d.train_source, x[a])
    assert torch.equal(d.train, tr.inverse_thick(x[b]))
    assert torch.equal(d.test, tr.inverse_thick(d.test_source))
    assert torch.equal(d.test_source, get_dataset("mnist").test)


def test_inverse_thick_is_a_3x3_dilation_then_inversion():
    x = -torch.ones(1, 1, 28, 28)
    x[0, 0, 10, 12] = 1.0  # one ink pixel
    t = tr.inverse_thick(x)
    expected = torch.ones(1, 1, 28, 28)
    expected[0, 0, 9:12, 11:14] = -1.0
    assert torch.equal(t, expected)
    corner = -torch.ones(1, 1, 28, 28)
    corner[0, 0, 0, 0] = 1.0  # outside the image is ignored, not ink
    assert tr.inverse_thick(corner)[0, 0, :2, :2].eq(-1).all()
    assert tr.inverse_thick(corner).sum() == 28 * 28 - 2 * 4


def test_edges_closed_forms():
    flat = torch.full((2, 1, 28, 28), 0.3)
    inner = tr.edges(flat)[..., 1:-1, 1:-1]
    assert inner.eq(-1).all()  # a constant image has no edge (away from the zero padding)
    step = -torch.ones(1, 1, 28, 28)
    step[..., 14:] = 1.0  # a vertical step from background to ink
    e = tr.edges(step)[0, 0, 1:-1]
    assert e[:, 13:15].eq(1).all() and e[:, :12].eq(-1).all() and e[:, 16:-1].eq(-1).all()
    assert set(tr.edges(get_dataset("mnist").test[:50]).unique().tolist()) == {-1.0, 1.0}


def test_downsample_averages_blocks():
    blocks = torch.arange(49.0).view(1, 1, 7, 7) / 49
    big = blocks.repeat_interleave(4, 2).repeat_interleave(4, 3)
    assert torch.allclose(tr.downsample(big, 4), blocks, atol=1e-7)
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    assert torch.allclose(tr.downsample(x, 2)[:, :, 0, 0], x[:, :, :2, :2].mean((2, 3)))


def test_centre_mask_is_exactly_the_14x14_centre():
    m = tr.centre_mask(5)
    assert m.shape == (5, 1, 28, 28) and m.dtype == torch.float32
    expected = torch.zeros(28, 28)
    expected[7:21, 7:21] = 1.0
    assert all(torch.equal(mi[0], expected) for mi in m)
    assert torch.equal(get_dataset("mnist-inpaint-centre").test_mask, tr.centre_mask(1000))


def _box(mask: torch.Tensor) -> tuple[int, int, int, int]:
    rows = mask.any(1).nonzero().flatten()
    cols = mask.any(0).nonzero().flatten()
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


@pytest.mark.parametrize("split", ["train_mask", "test_mask"])
def test_random_holes_are_7x7_squares_inside_the_image(split):
    m = getattr(get_dataset("mnist-inpaint-random"), split)
    assert m.dtype == torch.float32 and set(m.unique().tolist()) == {0.0, 1.0}
    corners = set()
    for mi in m[:, 0]:
        r0, r1, c0, c1 = _box(mi.bool())
        assert (r1 - r0 + 1, c1 - c0 + 1) == (7, 7) and mi.sum() == 49  # solid and inside
        assert mi[r0 : r1 + 1, c0 : c1 + 1].eq(1).all()
        corners.add((r0, c0))
    assert len(corners) > 100  # positions vary per sample
    rows = [r for r, _ in corners]
    assert min(rows) == 0 and max(rows) == 21  # the edges of the image are reachable


def test_random_masks_follow_their_generator():
    g = lambda s: torch.Generator().manual_seed(s)  # noqa: E731
    assert torch.equal(tr.random_masks(64, g(3)), tr.random_masks(64, g(3)))
    assert not torch.equal(tr.random_masks(64, g(3)), tr.random_masks(64, g(4)))
    d = get_dataset("mnist-inpaint-random")
    assert not torch.equal(d.train_mask[:1000], d.test_mask)  # train and held out: own seeds


@pytest.mark.parametrize("name", NAMES)
def test_two_builds_are_equal(name):
    loader = {
        "edges2mnist": tr.edges2mnist,
        "mnist2inverse-thick": tr.mnist2inverse_thick,
        "mnist-sr4": tr.mnist_sr4,
        "mnist-sr2": tr.mnist_sr2,
        "mnist-inpaint-centre": tr.mnist_inpaint_centre,
        "mnist-inpaint-random": tr.mnist_inpaint_random,
    }[name]
    one, two = loader(), loader()  # bypasses the registry cache
    for field in (
        "train",
        "test",
        "train_source",
        "test_source",
        "train_mask",
        "test_mask",
        "train_labels",
        "test_labels",
    ):
        a, b = getattr(one, field), getattr(two, field)
        assert (a is None and b is None) or torch.equal(a, b), field
    assert one.source == two.source and one.source


def test_bicubic_of_a_constant_is_the_constant_and_output_is_clamped():
    for side, c in ((7, 0.37), (14, -0.8)):
        up = tr.bicubic_up(torch.full((2, 1, side, side), c))
        assert up.shape == (2, 1, 28, 28)
        assert torch.allclose(up, torch.full_like(up, c), atol=1e-6)
    sharp = -torch.ones(1, 1, 7, 7)
    sharp[..., 3] = 1.0  # bicubic overshoots beside a sharp line; the clamp keeps [-1, 1]
    raw = torch.nn.functional.interpolate(sharp, size=(28, 28), mode="bicubic", align_corners=False)
    assert raw.max() > 1.0 or raw.min() < -1.0
    up = tr.bicubic_up(sharp)
    assert up.max() <= 1.0 and up.min() >= -1.0
    assert torch.equal(up, raw.clamp(-1, 1))


def test_mean_fill_changes_only_the_hole():
    d = get_dataset("mnist-inpaint-random")
    x, m = d.test_source[:32], d.test_mask[:32]
    fill = tr.pixel_mean(d.train)
    assert fill.shape == (1, 1, 28, 28)
    assert torch.allclose(fill, d.train.mean(0, keepdim=True))
    for f in (fill, float(d.train.mean())):
        out = tr.mean_fill(x, m, f)
        outside = m == 0
        assert torch.equal(out[outside], x[outside])
        assert torch.equal(out[~outside], torch.as_tensor(f).expand_as(x)[~outside])


def test_list_datasets_shows_task_kind_and_relation(capsys):
    assert main(["list", "--datasets"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "generation" in lines["mnist"] and "generation" in lines["ring8"]
    for name, spec in tr.TRANSLATION_SPECS.items():
        assert "translation" in lines[name] and spec.relation in lines[name]
    assert (
        "1x7x7 -> 1x28x28" in lines["mnist-sr4"] and "centre hole" in lines["mnist-inpaint-centre"]
    )
    assert [r["dataset"] for r in dataset_rows("mnist-sr*")] == ["mnist-sr4", "mnist-sr2"]
