"""Typed heads (issue 10): variants expose `classify` / `encode`, and one evaluator
(ganbench.metrics.heads.score_heads), which sees callables only, turns them into
`classify_accuracy` and `recon_error`. The evaluator against closed forms with constructed
callables; which variants declare which heads; the heads run in eval mode without grad; and a
smoke run through the suite writes the columns, equal to the heads scored by hand."""

from __future__ import annotations

import math

import pytest
import torch
from _variant_smoke import Fn, smoke_run
from torch import nn

from ganbench.data import get_dataset
from ganbench.data.base import Dataset, DataSpec
from ganbench.metrics.heads import classify_accuracy, recon_error, score_heads
from ganbench.registry import get_variant, list_variants

CPU = torch.device("cpu")
K = 3


def labelled(n: int = 1203) -> Dataset:
    """Held-out points (label, index): the first coordinate is the label."""
    y = torch.arange(n) % K
    y[:100] = 0  # unequal shares, so a constant classifier's score is not 1/K
    x = torch.stack([y.float(), torch.arange(n).float()], 1)
    spec = DataSpec("lab", "points", (2,), num_classes=K, n_modes=K)
    return Dataset(spec, train=x, test=x, train_labels=y, test_labels=y)


def perfect(x: torch.Tensor) -> torch.Tensor:
    return 5.0 * nn.functional.one_hot(x[:, 0].long(), K).float()


def constant(x: torch.Tensor) -> torch.Tensor:
    return torch.tensor([0.0, 1.0, 0.0]).expand(len(x), K)  # always class 1


# --- the evaluator, closed forms ----------------------------------------------------------------


def test_a_perfect_classifier_scores_one_and_a_constant_one_its_class_share():
    data = labelled()
    assert classify_accuracy(perfect, data, CPU) == 1.0
    share = float((data.test_labels == 1).float().mean())
    assert share != pytest.approx(1 / K)
    assert classify_accuracy(constant, data, CPU) == pytest.approx(share, abs=1e-7)
    assert score_heads({"classify": perfect}, data, CPU) == {"classify_accuracy": 1.0}


def test_classify_accuracy_uses_the_whole_held_out_split():
    data = labelled()
    def late_wrong(x):  # right on the first 1,000 only: the score must count all 1,203
        return torch.where((x[:, 1:] >= 1000), perfect(x).roll(1, 1), perfect(x))

    assert classify_accuracy(late_wrong, data, CPU) == pytest.approx(1000 / 1203)


def test_classify_without_labels_is_nan_and_wrong_logits_are_an_error():
    data = labelled()
    unlabelled = Dataset(data.spec, data.train, data.test)
    assert math.isnan(classify_accuracy(perfect, unlabelled, CPU))
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        classify_accuracy(lambda x: torch.zeros(len(x), K + 1), data, CPU)  # SGAN's fake class


def test_identity_reconstruction_is_zero_and_a_known_perturbation_its_mse():
    data = labelled()
    same = lambda x: x  # noqa: E731
    assert recon_error(same, same, data, CPU) == 0.0
    # +0.3 on one of the two coordinates: per-element MSE 0.09 / 2
    shift = lambda z: z + torch.tensor([0.3, 0.0])  # noqa: E731
    assert recon_error(same, shift, data, CPU) == pytest.approx(0.045, abs=1e-7)
    # encode and generate both count: G(E(x)) = x + 0.3 + 0.3 on the first coordinate
    assert recon_error(shift, shift, data, CPU) == pytest.approx(0.36 / 2, abs=1e-6)
    assert score_heads({"encode": same, "generate": shift}, data, CPU) == pytest.approx(
        {"recon_error": 0.045}, abs=1e-7
    )


def test_recon_error_reads_the_first_1000_held_out_samples():
    data = labelled(1500)
    data.test[1000:] = 1e3  # a generator wrong only there must not be seen
    far = lambda z: torch.where(z[:, :1] > 100, z + 50.0, z + 0.1)  # noqa: E731
    assert recon_error(lambda x: x, far, data, CPU) == pytest.approx(0.01, abs=1e-6)


def test_score_heads_gives_columns_only_for_the_heads_given():
    data = labelled()
    assert score_heads({}, data, CPU) == {}
    with pytest.raises(ValueError, match="generate"):
        score_heads({"encode": lambda x: x}, data, CPU)
    with pytest.raises(ValueError, match="no metric for heads"):
        score_heads({"clasify": perfect}, data, CPU)


# --- which variants have which heads -------------------------------------------------------------

HEADS = {
    "sgan": ("classify",),
    "acgan": ("classify",),
    "bigan": ("encode",),
    "aae": ("encode",),
    "vaegan": ("encode",),
}


def test_each_variant_declares_exactly_its_heads():
    builtin = [info for info in list_variants() if not info.external]
    assert {info.name for info in builtin} >= set(HEADS)
    got = {info.name: info.cls.heads() for info in builtin}
    assert got == {name: HEADS.get(name, ()) for name in got}


class _Spy(nn.Module):
    """A net that records, at each call, whether it was in training mode and grad was on."""

    def __init__(self, fn) -> None:
        super().__init__()
        self.fn, self.seen = fn, []

    def forward(self, x):
        self.seen.append((self.training, torch.is_grad_enabled()))
        return self.fn(x)


RING = get_dataset("ring8")
X = RING.test[:7]


def test_sgan_classifies_with_ds_real_class_logits_in_eval_mode():
    v = get_variant("sgan").cls(RING.spec)
    logits = torch.arange(7 * 9, dtype=torch.float32).reshape(7, 9)  # 8 classes + fake
    v.D = _Spy(lambda x: logits)
    fns = v.head_fns()
    assert set(fns) == {"classify"}
    assert torch.equal(fns["classify"](X), logits[:, :8])
    assert v.D.seen == [(False, False)] and v.D.training  # eval, no grad, mode restored


def test_acgan_classifies_with_its_class_head():
    v = get_variant("acgan").cls(RING.spec)
    cls = torch.randn(7, 8)
    v.D = _Spy(lambda x: {"source": torch.zeros(7, 1), "cls": cls})
    assert torch.equal(v.head_fns()["classify"](X), cls)
    assert v.D.seen == [(False, False)]


@pytest.mark.parametrize("name", ["bigan", "aae"])
def test_encoders_encode_with_e_and_reconstruct_through_g(name):
    v = get_variant(name).cls(RING.spec)
    v.E = _Spy(lambda x: 2 * x)
    fns = v.head_fns()
    assert set(fns) == {"encode", "generate"}
    assert torch.equal(fns["encode"](X), 2 * X)
    assert v.E.seen == [(False, False)] and v.E.training
    v.G.train()
    out = fns["generate"](fns["encode"](X))
    assert out.shape == X.shape and not out.requires_grad and v.G.training


def test_vaegan_encodes_with_the_posterior_mean():
    v = get_variant("vaegan").cls(RING.spec)
    v.E = Fn(lambda x: (0.5 * x, torch.zeros_like(x)))  # sigma 1: a sample would differ
    assert torch.equal(v.head_fns()["encode"](X), 0.5 * X)


def test_variants_without_typed_heads_give_the_evaluator_nothing():
    v = get_variant("gan").cls(RING.spec)
    assert v.heads() == () and v.head_fns() == {}
    assert score_heads(v.head_fns(), RING, CPU) == {}


# --- through the suite ---------------------------------------------------------------------------


def _trained(name: str, tmp_path):
    from ganbench.harness.suite import plan_runs

    (spec,) = plan_runs([name], ["ring8"], [0], "smoke", device="cpu", steps=6)
    v = get_variant(name).cls(RING.spec)
    state = torch.load(spec.folder(tmp_path) / "checkpoint.pt")
    for k, m in v.modules().items():
        m.load_state_dict(state[k])
        m.eval()
    return v


def test_sgan_run_has_classify_accuracy_equal_to_its_head_by_hand(tmp_path):
    row = smoke_run("sgan", "ring8", tmp_path, ("classify_accuracy", "ssl_labels"))
    assert "ssl_accuracy" not in row and "recon_error" not in row
    v = _trained("sgan", tmp_path)
    with torch.no_grad():
        pred = v.D(RING.test)[:, :8].argmax(1)
    assert row["classify_accuracy"] == pytest.approx(
        float((pred == RING.test_labels).float().mean()), abs=1e-6
    )


def test_bigan_run_has_recon_error_equal_to_g_of_e_by_hand(tmp_path):
    row = smoke_run("bigan", "ring8", tmp_path, ("recon_error",))
    assert "classify_accuracy" not in row
    v = _trained("bigan", tmp_path)
    x = RING.test[:1000]
    with torch.no_grad():
        want = float(((v.G(v.E(x)) - x) ** 2).mean())
    assert row["recon_error"] == pytest.approx(want, rel=1e-5)
