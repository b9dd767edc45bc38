"""Translation metrics against closed forms: paired metrics (metrics/paired.py) and the whole
translation evaluation (metrics/translation_suite.py) on small datasets built here."""

import math

import numpy as np
import pytest
import torch

from ganbench.core.config import EvalSizes
from ganbench.core.directions import DIRECTIONS, HIGHER, LOWER, direction
from ganbench.data import get_dataset
from ganbench.data.base import Dataset, DataSpec
from ganbench.metrics import paired
from ganbench.metrics.evaluate import SamplerError
from ganbench.metrics.image_suite import real_subset
from ganbench.metrics.translation_suite import (
    TRIPLETS,
    evaluate_translation,
    pair_indices,
)

SIZES = EvalSizes(n_gen_image=150, n_real_image=100, kid_subset_size=50)
N_TEST = 200  # held-out pairs of the test datasets: 100 outside the FID reference, 100 inside
BASE = ["l1", "psnr", "ssim", "label_preservation", "label_preservation_real"]
FIDELITY = ["fid", "kid_mean", "kid_std", "fid_real", "kid_mean_real", "kid_std_real"]
HOLE = ["hole_l1", "hole_l2", "hole_psnr"]


def _images(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 1, 28, 28, generator=g, dtype=torch.float64) * 2 - 1).float()


# --- paired metrics: closed forms ----------------------------------------------------------------


def test_identical_images_score_the_perfect_values():
    x = _images(6)
    assert paired.l1(x, x) == 0.0 and paired.l2(x, x) == 0.0
    assert paired.psnr(x, x) == paired.PSNR_CAP == 100.0  # capped, not inf
    assert abs(paired.ssim(x, x) - 1.0) < 1e-6


@pytest.mark.parametrize("d", [0.02, 0.1, 0.5, 1.0, 2.0])
def test_constant_offset_closed_forms(d):
    x = _images(4).double() * 0.3  # stays in [-1, 1] after the shift for every d <= 0.7
    y = x + d
    assert math.isclose(paired.l1(y, x), d / 2, rel_tol=1e-12)
    assert math.isclose(paired.l2(y, x), d**2 / 4, rel_tol=1e-12)
    assert math.isclose(paired.psnr(y, x), 10 * math.log10(4 / d**2), abs_tol=1e-9)
    # the same as the [0, 1] scale with data range 1
    mse01 = float(((((y + 1) / 2) - ((x + 1) / 2)) ** 2).mean())
    assert math.isclose(paired.psnr(y, x), -10 * math.log10(mse01), abs_tol=1e-9)


def test_psnr_cap_applies_per_image():
    x = _images(2).double()
    y = x.clone()
    y[1] += 0.1  # image 0 identical (capped at 100), image 1 at 10 log10(4 / 0.01)
    expect = (100.0 + 10 * math.log10(4 / 0.01)) / 2
    assert math.isclose(paired.psnr(y, x), expect, abs_tol=1e-9)
    assert paired.psnr(x + 1e-9, x) == 100.0  # 200 dB uncapped


@pytest.mark.parametrize("a,b", [(0.5, -0.5), (0.2, 0.3), (-1.0, 1.0), (0.0, 0.0), (-1.0, -0.9)])
def test_ssim_of_constant_images(a, b):
    # zero variance: SSIM = (2 a' b' + C1) / (a'^2 + b'^2 + C1) on the [0, 1] scale
    # (a' = (a + 1) / 2), C1 = 0.01^2: SSIM is not shift-invariant, the scale is part of it
    x = torch.full((1, 1, 28, 28), a, dtype=torch.float64)
    y = torch.full((1, 1, 28, 28), b, dtype=torch.float64)
    a, b, c1 = (a + 1) / 2, (b + 1) / 2, 0.01**2
    assert math.isclose(paired.ssim(x, y), (2 * a * b + c1) / (a * a + b * b + c1), abs_tol=1e-9)


def _noisy_pair(n=8, seed=1):
    x = _images(n, seed)
    g = torch.Generator().manual_seed(seed + 100)
    return x, (x * 0.7 + 0.3 * torch.randn(x.shape, generator=g)).clamp(-1, 1)


def test_ssim_matches_pytorch_msssim():
    """pytorch-msssim's gaussian SSIM (valid filtering, same window and constants): its window is
    float32, so the two agree to ~1e-8; the tolerance is 1e-6."""
    from pytorch_msssim import ssim as pm_ssim

    x, y = _noisy_pair()
    ours = paired.ssim_per_image(x, y)
    x01, y01 = (x.double() + 1) / 2, (y.double() + 1) / 2  # SSIM's convention: [0, 1], range 1
    theirs = pm_ssim(x01, y01, data_range=1, size_average=False, win_size=11, win_sigma=1.5)
    assert torch.allclose(ours, theirs.double(), atol=1e-6)
    assert ours.max() < 0.9  # a real test: the pair is not trivially similar


def test_ssim_matches_skimage():
    """skimage with Wang et al.'s settings (gaussian_weights, sigma 1.5, population covariance):
    it filters with reflection and crops the border, i.e. the same valid region; float64 in both,
    so the tolerance is 1e-10."""
    sk = pytest.importorskip("skimage.metrics")
    x, y = _noisy_pair()
    ours = paired.ssim_per_image(x, y)
    for i in range(len(x)):
        ref = sk.structural_similarity(
            (x[i, 0].double().numpy() + 1) / 2,
            (y[i, 0].double().numpy() + 1) / 2,
            data_range=1.0,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
        )
        assert abs(float(ours[i]) - ref) < 1e-10


def test_hole_metrics_see_only_the_hole():
    x = _images(3).double() * 0.3
    mask = torch.zeros(3, 1, 28, 28, dtype=torch.float64)
    mask[:, :, 7:21, 7:21] = 1
    d = 0.4
    y = x + d * mask  # off by d inside the hole only
    assert math.isclose(paired.hole_l1(y, x, mask), d / 2, rel_tol=1e-12)
    assert math.isclose(paired.hole_l2(y, x, mask), d**2 / 4, rel_tol=1e-12)
    assert math.isclose(paired.hole_psnr(y, x, mask), 10 * math.log10(4 / d**2), abs_tol=1e-9)
    y_out = x + 0.9 * (1 - mask)  # wrong outside the hole only: the hole metrics are perfect
    assert paired.hole_l1(y_out, x, mask) == 0 and paired.hole_psnr(y_out, x, mask) == 100.0
    with pytest.raises(ValueError, match="non-empty hole"):
        paired.hole_l1(y, x, torch.zeros_like(mask))


# --- the evaluation -------------------------------------------------------------------------------


def _spec(name, relation, source_side=28, hole=""):
    return DataSpec(
        name,
        "translation",
        (1, 28, 28),
        num_classes=10,
        n_modes=10,
        value_range=(-1.0, 1.0),
        source_shape=(1, source_side, source_side),
        relation=relation,
        hole=hole,
        target_domain="mnist",
    )


@pytest.fixture(scope="module")
def digits():
    """Held-out mnist digits (a class-mixed subset) and their labels: the targets."""
    m = get_dataset("mnist")
    idx = torch.randperm(len(m.test), generator=torch.Generator().manual_seed(3))[:N_TEST]
    return m.test[idx].clone(), m.test_labels[idx].clone(), m.train[:50].clone()


def _dataset(digits, relation, source, name, mask=None, source_side=28):
    b, labels, train = digits
    return Dataset(
        _spec(name, relation, source_side, "centre" if mask is not None else ""),
        train,
        b,
        labels[:50],
        labels,
        train_source=source(train),
        test_source=source(b),
        test_mask=mask,
        train_mask=None if mask is None else mask[:1].expand(len(train), -1, -1, -1).clone(),
    )


@pytest.fixture(scope="module")
def negated(digits):
    """A paired set whose truth is known: source = -target."""
    return _dataset(digits, "paired", lambda x: -x, "edges2mnist")


@pytest.fixture(scope="module")
def inpaint(digits):
    mask = torch.zeros(N_TEST, 1, 28, 28)
    mask[:, :, 7:21, 7:21] = 1
    return _dataset(
        digits, "inpainting", lambda x: x * (1 - mask[: len(x)]), "mnist-inpaint-centre", mask
    )


@pytest.fixture(scope="module")
def sr(digits):
    return _dataset(
        digits, "super-resolution", lambda x: torch.nn.functional.avg_pool2d(x, 4), "mnist-sr4",
        source_side=7,
    )  # fmt: skip


def _truth_of(data):
    """The ground-truth translator: looks each source (and mask) up among the held-out pairs."""
    keys = {}
    for i in range(len(data.test)):
        m = b"" if data.test_mask is None else data.test_mask[i].numpy().tobytes()
        keys.setdefault(data.test_source[i].numpy().tobytes() + m, i)

    def translate(a, mask=None):
        rows = []
        for j in range(len(a)):
            m = b"" if mask is None else mask[j].cpu().numpy().tobytes()
            rows.append(keys[a[j].cpu().numpy().tobytes() + m])
        return data.test[rows]

    return translate


def test_perfect_translator_scores_the_closed_forms_and_the_real_columns(negated):
    ev = evaluate_translation(_truth_of(negated), negated, SIZES, 0, "auto", "cpu")
    m = ev.metrics
    assert list(m) == BASE[:3] + BASE[3:] + FIDELITY
    assert m["l1"] == 0 and m["psnr"] == paired.PSNR_CAP and abs(m["ssim"] - 1) < 1e-6
    assert m["label_preservation"] == m["label_preservation_real"] > 0.9
    assert math.isclose(m["fid"], m["fid_real"], abs_tol=1e-6)
    # float32 sums: the two KIDs agree to float32 rounding, which depends on the CPU kernels
    assert math.isclose(m["kid_mean"], m["kid_mean_real"], rel_tol=1e-5, abs_tol=1e-7)
    assert ev.n_gen == SIZES.n_gen_image and ev.n_real == SIZES.n_real_image
    assert ev.features.startswith("mnist-cnn@")
    # 150 pairs of 200, the 100 outside the 100-image reference first: the real columns are an
    # independent-sample floor here, not a zero point
    assert m["fid_real"] > 0


def test_returning_the_input_gives_its_known_values(negated):
    ev = evaluate_translation(lambda a, mask: a, negated, SIZES, 0, "auto", "cpu")
    idx = pair_indices(N_TEST, SIZES.n_gen_image, SIZES.n_real_image, 0)
    b = negated.test[idx].double().numpy()
    # output -b against b: |(-b) - b| / 2 = |b|
    assert math.isclose(ev.metrics["l1"], float(np.abs(b).mean()), rel_tol=1e-9)
    mse = (b**2).reshape(len(b), -1).mean(1)  # ((-b - b) / 2)^2 = b^2
    assert math.isclose(ev.metrics["psnr"], float((-10 * np.log10(mse)).mean()), rel_tol=1e-9)
    assert ev.metrics["label_preservation"] < 0.5  # inverted digits fool the plain-digit CNN


def test_inpainting_input_unchanged(inpaint):
    ev = evaluate_translation(lambda a, mask: a, inpaint, SIZES, 1, "auto", "cpu")
    m = ev.metrics
    assert list(m) == BASE[:3] + HOLE + BASE[3:] + FIDELITY
    idx = pair_indices(N_TEST, SIZES.n_gen_image, SIZES.n_real_image, 1)
    t = inpaint.test[idx].double().numpy()[:, 0]
    hole = np.zeros((28, 28), bool)
    hole[7:21, 7:21] = True
    # the source holds 0 in the hole, the truth t: per-pixel error |t| / 2 in the hole, 0 outside
    err = np.where(hole, np.abs(t) / 2, 0.0)
    assert math.isclose(m["l1"], float(err.mean()), rel_tol=1e-9)
    assert math.isclose(
        m["psnr"], float((-10 * np.log10((err**2).mean((1, 2)))).mean()), rel_tol=1e-9
    )
    hole_err = np.abs(t[:, hole]) / 2
    assert math.isclose(m["hole_l1"], float(hole_err.mean()), rel_tol=1e-9)
    assert math.isclose(m["hole_l2"], float((hole_err**2).mean()), rel_tol=1e-9)
    hole_psnr = (-10 * np.log10((hole_err**2).mean(1))).mean()
    assert math.isclose(m["hole_psnr"], float(hole_psnr), rel_tol=1e-9)
    # the perfect inpainter: 0 / the cap on the hole too
    perfect = evaluate_translation(_truth_of(inpaint), inpaint, SIZES, 1, "auto", "cpu").metrics
    assert perfect["hole_l1"] == 0 and perfect["hole_l2"] == 0
    assert perfect["hole_psnr"] == perfect["psnr"] == paired.PSNR_CAP


def test_super_resolution_shapes_and_a_baseline(sr):
    up = lambda a, mask: torch.nn.functional.interpolate(a, size=28, mode="nearest")  # noqa: E731
    m = evaluate_translation(up, sr, SIZES, 0, "auto", "cpu").metrics
    assert 0 < m["l1"] < 0.5 and 5 < m["psnr"] < 40 and 0 < m["ssim"] < 1
    with pytest.raises(SamplerError, match=r"shape \(150, 1, 7, 7\).*expected \(150, 1, 28, 28\)"):
        evaluate_translation(lambda a, mask: a, sr, SIZES, 0, "auto", "cpu")


@pytest.mark.parametrize(
    "bad,match",
    [
        (lambda a, mask: a[:, :, :14], "shape"),
        (lambda a, mask: a[:-1], "shape"),
        (lambda a, mask: torch.full_like(a, math.nan), "NaN or inf"),
        (lambda a, mask: a.numpy(), "ndarray, expected a torch.Tensor"),
        (lambda a, mask: (a > 0).long(), "dtype"),
    ],
)
def test_bad_translators_raise_one_line(negated, bad, match):
    with pytest.raises(SamplerError, match=match) as err:
        evaluate_translation(bad, negated, SIZES, 0, "auto", "cpu")
    assert "\n" not in str(err.value)


def test_cycle_l1(negated):
    flip = lambda x: -x  # noqa: E731
    m = evaluate_translation(
        lambda a, mask: -a, negated, SIZES, 0, "auto", "cpu", translate_back=flip
    ).metrics
    assert m["cycle_l1"] == 0.0  # an exact inverse pair
    assert list(m)[-1] == "cycle_l1"
    m2 = evaluate_translation(
        lambda a, mask: -a, negated, SIZES, 0, "auto", "cpu", translate_back=lambda b: b
    ).metrics
    idx = pair_indices(N_TEST, SIZES.n_gen_image, SIZES.n_real_image, 0)
    a = negated.test_source[idx].double()
    assert math.isclose(m2["cycle_l1"], float(a.abs().mean()), rel_tol=1e-9)  # |-a - a| / 2
    with pytest.raises(SamplerError, match="translate_back returned shape"):
        evaluate_translation(
            lambda a, mask: -a, negated, SIZES, 0, "auto", "cpu", translate_back=lambda b: b[:, 0]
        )


def test_pairs_are_fixed_by_seed_and_avoid_the_reference_first():
    a, b = pair_indices(N_TEST, 150, 100, 0), pair_indices(N_TEST, 150, 100, 0)
    assert torch.equal(a, b) and len(set(a.tolist())) == 150
    assert not torch.equal(a, pair_indices(N_TEST, 150, 100, 1))
    ref = set(real_subset(N_TEST, 100).tolist())
    assert not ref & set(a[:100].tolist())  # the 100 outside the reference come first
    assert len(pair_indices(N_TEST, 10_000, None, 0)) == N_TEST  # capped at the split


def test_triplets_are_the_same_pairs_for_every_seed(negated):
    seen = []
    for seed in (0, 1):
        ev = evaluate_translation(lambda a, mask: -a, negated, SIZES, seed, "auto", "cpu")
        src, out, truth = ev.artifacts["triplets"]
        assert src.shape == out.shape == truth.shape == (TRIPLETS, 1, 28, 28)
        assert torch.equal(out, truth)  # -(-b) = b
        assert ev.artifacts["samples"].shape == (SIZES.n_gen_image, 1, 28, 28)
        seen.append(truth)
    assert torch.equal(seen[0], seen[1])


def test_every_translation_column_has_a_direction():
    cols = BASE + FIDELITY + HOLE + ["cycle_l1"]
    assert all(c in DIRECTIONS for c in cols)
    assert {direction(c) for c in ["l1", "hole_l1", "hole_l2", "cycle_l1", "fid"]} == {LOWER}
    assert {direction(c) for c in ["psnr", "ssim", "hole_psnr", "label_preservation"]} == {HIGHER}
    assert all(direction(c) is None for c in cols if c.endswith("_real") or c.endswith("_std"))


# --- convergence curves ---------------------------------------------------------------------------


def test_curve_kind_and_checkpoint_metrics(negated):
    from ganbench.harness.curves import COLUMNS, HEADLINE, CurveEvaluator, kind_of

    assert kind_of(negated) == "translation" and HEADLINE["translation"] == "psnr"
    ev = CurveEvaluator(negated, "auto", "cpu")
    perfect = ev(lambda a, mask: -a)
    assert list(perfect) == COLUMNS["translation"]
    assert perfect["l1"] == 0 and perfect["psnr"] == 100.0 and abs(perfect["ssim"] - 1) < 1e-6
    assert perfect["psnr_se"] == 0
    assert abs(perfect["fid"]) < 1e-6  # the same pairs' targets are the curve's reference
    worse = ev(lambda a, mask: (-a + 0.2).clamp(-1, 1))
    assert worse["psnr"] < perfect["psnr"] and worse["fid"] > 0 and worse["psnr_se"] > 0
    broken = ev(lambda a, mask: torch.full_like(a, math.nan))
    assert all(math.isnan(v) for v in broken.values())


def test_translation_converged_and_best_step():
    from ganbench.harness.curves import PSNR_SE_TOL, PSNR_TOL, best_step, converged

    def curve(psnrs, se=0.01):
        steps = [10, 50, 100, 125, 150, 175, 200][-len(psnrs) :]
        return [{"step": s, "psnr": p, "psnr_se": se} for s, p in zip(steps, psnrs, strict=True)]

    steady = curve([5.0, 12.0, 18.0, 18.1, 18.0 + PSNR_TOL, 18.2, 18.3])
    assert converged(steady, "translation")
    rising = curve([5.0, 12.0, 18.0, 18.4, 18.8, 19.2, 19.6])
    assert not converged(rising, "translation")
    assert not converged(curve([18.0, 18.0, math.nan, 18.0, 18.0]), "translation")
    # a translator whose per-image PSNRs spread widely (random holes): the tolerance is 5 SE
    wide = curve([10.0, 20.0, 25.0, 25.9, 25.2, 25.0, 25.5], se=0.3)
    assert PSNR_SE_TOL * 0.3 > 0.9 > PSNR_TOL and converged(wide, "translation")
    assert not converged(curve([10.0, 20.0, 25.0, 25.9, 25.2, 25.0, 25.5], se=0.05), "translation")
    assert best_step(rising, "translation") == 200
    assert best_step(curve([5.0, 20.0, 20.0, 19.0]), "translation") == 150  # tie: earlier step
    # a translator that sits at its first checkpoint's PSNR (a flat start) has not learned
    assert not converged(curve([18.0, 18.1, 18.0, 18.2, 18.1, 18.0, 18.1]), "translation")


# --- reference rows: the ground truth and the classical baselines --------------------------------


def test_baseline_names_are_reserved_and_are_reference_rows():
    import pandas as pd

    from ganbench.core.errors import RegistryError
    from ganbench.registry import RESERVED_NAMES, register
    from ganbench.results.references import drop_reference, is_reference

    assert set(RESERVED_NAMES) == {"real", "bicubic", "mean-fill"}
    for name in RESERVED_NAMES:
        with pytest.raises(RegistryError, match="reserved"):
            register(name, family="x", paper="y")(type("V", (), {}))
        assert is_reference(name, "reference") and is_reference(name)
    assert not is_reference("bicubic", "builtin")
    frame = pd.DataFrame(
        {"variant": ["pix2pix", "real", "bicubic"], "origin": ["builtin"] + ["reference"] * 2}
    )
    assert list(drop_reference(frame)["variant"]) == ["pix2pix"]


def test_reference_names_by_relation():
    from ganbench.harness.reference import reference_names, reference_names_for

    assert reference_names_for(get_dataset("mnist").spec) == ("real",)
    assert reference_names_for(_spec("x", "super-resolution", 7)) == ("real", "bicubic")
    assert reference_names_for(_spec("x", "inpainting", hole="random")) == ("real", "mean-fill")
    assert reference_names_for(_spec("x", "paired")) == ("real",)
    assert reference_names_for(_spec("x", "unpaired")) == ("real",)
    assert reference_names("mnist-sr2") == ("real", "bicubic")  # a registered dataset


def test_reference_translators_on_known_data(inpaint, sr):
    from ganbench.harness.reference import baseline_translator

    truth = evaluate_translation(baseline_translator("real", inpaint), inpaint, SIZES, 0).metrics
    assert truth["l1"] == 0 and truth["hole_psnr"] == 100.0
    assert math.isclose(truth["fid"], truth["fid_real"], abs_tol=1e-6)
    m = evaluate_translation(baseline_translator("mean-fill", inpaint), inpaint, SIZES, 0).metrics
    fill = inpaint.train.double().mean(0).numpy()[0, 7:21, 7:21]  # per pixel, train targets
    idx = pair_indices(N_TEST, SIZES.n_gen_image, SIZES.n_real_image, 0)
    t = inpaint.test[idx].double().numpy()[:, 0, 7:21, 7:21]
    assert math.isclose(m["hole_l1"], float(np.abs(t - fill).mean() / 2), rel_tol=1e-5)
    # outside the hole the baseline returns the source, which is the truth there: l1 is the hole's
    # error spread over the whole image
    whole = np.abs(t - fill).sum(axis=(1, 2)).mean() / 2 / (28 * 28)
    assert math.isclose(m["l1"], float(whole), rel_tol=1e-5)
    b = evaluate_translation(baseline_translator("bicubic", sr), sr, SIZES, 0).metrics
    assert 0 < b["l1"] < 0.3 and b["psnr"] < 100
    with pytest.raises(ValueError, match="not a held-out pair"):
        baseline_translator("real", inpaint)(torch.zeros(1, 1, 28, 28), torch.zeros(1, 1, 28, 28))


def test_reference_rows_of_a_translation_dataset(tmp_path):
    from ganbench.core.io import read_result
    from ganbench.harness.reference import ensure_reference_rows, reference_folder

    rows = ensure_reference_rows(tmp_path, [("mnist-sr2", 0)], "smoke")
    by = {r["variant"]: r for r in rows}
    assert set(by) == {"real", "bicubic"} and all(r["status"] == "ok" for r in rows)
    assert all(r["origin"] == "reference" for r in rows)
    real, bicubic = by["real"], by["bicubic"]
    assert real["l1"] == 0 and real["psnr"] == 100.0 and abs(real["ssim"] - 1) < 1e-6
    assert math.isclose(real["fid"], real["fid_real"], abs_tol=1e-6)
    assert real["label_preservation"] == real["label_preservation_real"]
    assert 10 < bicubic["psnr"] < real["psnr"] and bicubic["fid_real"] == real["fid_real"]
    for name in ("real", "bicubic"):
        folder = reference_folder(tmp_path, "mnist-sr2", 0, name)
        assert (folder / "samples.png").exists()
        assert "ground truth" in read_result(folder, "")["spec"]["reference"] or name != "real"
