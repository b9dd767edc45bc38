"""K seeds trained as one batched model (ganbench/harness/batched.py) against separate runs.

The strong check runs in float64: member k draws what the separate run of seed k draws, so the two
differ only by rounding (vmap batches the matmuls, which may reorder the sums). In float64 that is
~1e-16 relative per operation; Adam divides by sqrt(v), which amplifies it where a gradient is near
zero, so we allow 1e-8 absolute on parameters that move ~1e-3 in these budgets (a wrong draw or a
mixed-up member moves them by that much). In float32 the same amplification compounds over
longer budgets, which is why the float32 checks are in distribution (a Welch t-test) or loose.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch
from scipy import stats

from ganbench.core.config import Budget, get_preset
from ganbench.core.seeding import make_generator, seed_everything
from ganbench.data import get_dataset
from ganbench.harness.batched import (
    BatchedUnsupported,
    build_members,
    supports_batched,
    train_batched,
    train_members,
)
from ganbench.harness.train import train
from ganbench.metrics.evaluate import evaluate
from ganbench.registry import get_variant
from ganbench.variants.lsgan import LSGAN

CPU = torch.device("cpu")
PARAM_ATOL = 1e-8  # float64: rounding only (see the module docstring)
HIST_RTOL = 1e-9


@pytest.fixture
def float64():
    """Default dtype float64 (weights and noise) and the data converted, restored afterwards."""
    old = torch.get_default_dtype()

    def load(name: str):
        torch.set_default_dtype(old)  # a dataset built (and cached) now must stay float32
        d = get_dataset(name)
        torch.set_default_dtype(torch.float64)
        return dataclasses.replace(d, train=d.train.double(), test=d.test.double())

    torch.set_default_dtype(torch.float64)
    try:
        yield load
    finally:
        torch.set_default_dtype(old)


def separate(name, data, seed, budget, log_every, hp=None, **kw):
    """A separate run as run_one makes it: seed_everything, constructor, train(generator(seed))."""
    seed_everything(seed)
    v = get_variant(name).cls(data.spec, **(hp or {}))
    res = train(v, data, budget, CPU, make_generator(seed), log_every, **kw)
    return v, res


def params(v):
    return {
        f"{net}.{k}": p.detach()
        for net in ("G", "D")
        for k, p in getattr(v, net).named_parameters()
    }


def assert_same_run(batched_variant, batched_result, sep_variant, sep_result, atol, rtol):
    assert batched_result.steps_done == sep_result.steps_done
    assert batched_result.diverged_step == sep_result.diverged_step
    assert batched_result.history.keys() == sep_result.history.keys()
    for k, col in sep_result.history.items():
        assert torch.allclose(
            torch.tensor(batched_result.history[k]),
            torch.tensor(col),
            rtol=rtol,
            atol=0,
            equal_nan=True,
        ), k
    pb, ps = params(batched_variant), params(sep_variant)
    for k in ps:
        assert torch.allclose(pb[k], ps[k], rtol=0, atol=atol), (k, (pb[k] - ps[k]).abs().max())


# gan (Adam), lsgan, pacgan (packed D), wgan (RMSprop + weight clipping on the stacked D, n_critic
# 5), cgan (labels drawn per member), on both 2-D mixtures.
@pytest.mark.parametrize(
    "name,dataset",
    [
        ("gan", "ring8"),
        ("gan", "grid25"),
        ("lsgan", "ring8"),
        ("pacgan", "ring8"),
        ("wgan", "ring8"),
        ("cgan", "grid25"),
    ],
)
def test_member_equals_its_separate_run(float64, name, dataset):
    data = float64(dataset)
    budget, seeds = Budget(20, 32), [3, 7]
    runs = train_batched(name, data, seeds, budget, CPU, log_every=5)
    assert [r.seed for r in runs] == seeds
    moved = 0.0
    for r in runs:
        v, res = separate(name, data, r.seed, budget, 5)
        assert_same_run(r.variant, r.result, v, res, PARAM_ATOL, HIST_RTOL)
        seed_everything(r.seed)
        v0 = get_variant(name).cls(data.spec)
        moved = max(
            moved, max((params(v)[k] - p).abs().max().item() for k, p in params(v0).items())
        )
    assert moved > 1e3 * PARAM_ATOL  # the tolerance is far below how far training moves them


def test_float32_member_tracks_its_separate_run():
    """Default dtype: the same draws, rounding apart; a short budget keeps the losses close."""
    data = get_dataset("ring8")
    budget = Budget(10, 32)
    runs = train_batched("gan", data, [0, 1], budget, CPU, log_every=5)
    for r in runs:
        v, res = separate("gan", data, r.seed, budget, 5)
        assert_same_run(r.variant, r.result, v, res, atol=1e-3, rtol=1e-3)


def test_members_agree_in_distribution_with_separate_runs():
    """K = 4 seeds, batched vs separate, scored by the normal evaluator: no metric differs
    between the two groups (Welch's t-test, p >= 0.01 on each metric)."""
    data = get_dataset("ring8")
    budget, seeds = Budget(150, 64), [0, 1, 2, 3]
    sizes = get_preset("smoke").eval

    def score(v, seed):
        sampler = v.typed_heads(CPU, make_generator(seed + 1_000_003)).generate
        return evaluate(sampler, data, sizes, seed).metrics

    runs = train_batched("gan", data, seeds, budget, CPU)
    batched = [score(r.variant, r.seed) for r in runs]
    apart = [score(separate("gan", data, s, budget, 50)[0], s) for s in seeds]
    for metric in ("hq_fraction", "reverse_kl"):
        a = [m[metric] for m in batched]
        b = [m[metric] for m in apart]
        if a == b:  # identical samples: nothing to test (and t is undefined)
            continue
        p = stats.ttest_ind(a, b, equal_var=False).pvalue
        assert p >= 0.01, (metric, a, b, p)


def test_same_seeds_twice_give_identical_numbers():
    data = get_dataset("ring8")
    budget = Budget(15, 32)
    one = train_batched("lsgan", data, [5, 6, 7], budget, CPU, log_every=5)
    two = train_batched("lsgan", data, [5, 6, 7], budget, CPU, log_every=5)
    for a, b in zip(one, two, strict=True):
        assert a.result.history == b.result.history
        pa, pb = params(a.variant), params(b.variant)
        assert all(torch.equal(pa[k], pb[k]) for k in pa)


def test_a_diverged_member_stops_alone(float64):
    """A member whose losses are NaN is marked diverged at the log step a separate run would stop
    at, and the other members train exactly as they would alone."""
    data = float64("ring8")
    budget, seeds = Budget(12, 32), [1, 2]
    members = build_members("gan", data, seeds)
    with torch.no_grad():
        for p in members[1].G.parameters():
            p.fill_(float("nan"))
    results = train_members(members, data, budget, CPU, [make_generator(s) for s in seeds], 4)
    assert results[1].diverged_step == 1 and results[1].steps_done == 4
    v, res = separate("gan", data, 1, budget, 4)
    assert_same_run(members[0], results[0], v, res, PARAM_ATOL, HIST_RTOL)


def test_checkpoints_see_each_members_weights(float64):
    data = float64("ring8")
    budget, seeds, at = Budget(12, 32), [4, 9], (3, 12)
    z = torch.randn(64, 2, generator=make_generator(0))
    seen: dict[tuple[int, int], torch.Tensor] = {}
    members = build_members("gan", data, seeds)
    results = train_members(
        members,
        data,
        budget,
        CPU,
        [make_generator(s) for s in seeds],
        4,
        at,
        lambda k, step: seen.__setitem__((seeds[k], step), members[k].G(z)),
    )
    assert all(r.steps_done == 12 for r in results)
    for s in seeds:
        alone: dict[int, torch.Tensor] = {}
        holder: list = []

        def record(step, holder=holder, alone=alone):
            alone[step] = holder[0].G(z)

        seed_everything(s)
        v = get_variant("gan").cls(data.spec)
        holder.append(v)
        train(v, data, budget, CPU, make_generator(s), 4, checkpoints=at, on_checkpoint=record)
        for step in at:
            assert torch.allclose(seen[(s, step)], alone[step], rtol=0, atol=PARAM_ATOL)


def test_supported_variants_say_so():
    spec = get_dataset("ring8").spec
    for name in ("gan", "lsgan", "pacgan", "wgan", "cgan"):
        assert supports_batched(name, spec) == supports_batched(get_variant(name), spec)
        assert supports_batched(name, spec).ok and supports_batched(name, spec).exact, name


@pytest.mark.parametrize(
    "name,hp,kind,why",
    [
        ("began", None, "points", "state outside G and D"),
        ("sngan", None, "points", "parametrizations"),
        ("sgan", None, "points", "torch.func.vmap"),
        ("aae", None, "points", "networks besides G and D"),
        ("unrolled-gan", None, "points", "after_d_step"),
        ("pacgan", {"arch": "pacgan-2d"}, "points", "batch norm"),
        ("gan", None, "image", "only 2-D points"),
        ("cyclegan", None, "points", "Translator"),
    ],
)
def test_unsupported_variants_raise_a_clear_error(name, hp, kind, why):
    data = get_dataset("ring8")
    if kind != "points":
        data = dataclasses.replace(data, spec=dataclasses.replace(data.spec, kind=kind))
    support = supports_batched(name, data.spec, hp)
    assert not support.ok and why in support.reason, support
    with pytest.raises(BatchedUnsupported, match=why):
        train_batched(name, data, [0, 1], Budget(2, 8), CPU, hp=hp)


class _NoisyLSGAN(LSGAN):
    """A loss that draws from the global RNG (not the run's generator), as WGAN-GP's interpolate
    does: batched members can then match separate runs in distribution only."""

    name = "noisy-lsgan"

    def d_loss(self, real, z, labels):
        return super().d_loss(real + 0.01 * torch.randn_like(real), z, labels)


def test_global_rng_draws_are_supported_but_not_exact():
    data = get_dataset("ring8")
    support = supports_batched(_NoisyLSGAN, data.spec)
    assert support.ok and not support.exact and "global RNG" in support.reason
    assert supports_batched("lsgan", data.spec).exact
    one = train_batched(_NoisyLSGAN, data, [0, 1], Budget(6, 16), CPU, log_every=3)
    two = train_batched(_NoisyLSGAN, data, [0, 1], Budget(6, 16), CPU, log_every=3)
    assert [r.result.history for r in one] == [r.result.history for r in two]


def test_one_seed_is_the_plain_loop():
    data = get_dataset("ring8")
    budget = Budget(8, 16)
    (run,) = train_batched("gan", data, [3], budget, CPU, log_every=4)
    v, res = separate("gan", data, 3, budget, 4)
    assert run.result.history == res.history
    pa, ps = params(run.variant), params(v)
    assert all(torch.equal(pa[k], ps[k]) for k in ps)
    with pytest.raises(BatchedUnsupported, match="batch norm"):
        train_batched("pacgan", data, [3], budget, CPU, hp={"arch": "pacgan-2d"})


def test_gradient_penalty_runs_batched_and_equals_each_members_own():
    """WGAN-GP / DRAGAN / WGAN-div take the critic's input gradient with torch.func.grad, which
    vmap can batch: the stacked penalty is each member's own penalty (their interpolation draws
    use the global RNG, so such members match separate runs in distribution only)."""
    from torch.func import functional_call, stack_module_state, vmap

    from ganbench.nets.losses import gradient_penalty

    spec = get_dataset("ring8").spec
    for name in ("wgan-gp", "dragan", "wgan-div"):
        support = supports_batched(name, spec)
        assert support.ok and not support.exact, (name, support)
    critics = []
    for seed in (0, 1, 2):
        seed_everything(seed)
        critics.append(get_variant("wgan-gp").cls(spec).D)
    params, buffers = stack_module_state(critics)
    points = torch.randn(3, 16, 2)

    def penalty(p, b, x):
        return gradient_penalty(lambda y: functional_call(critics[0], (p, b), (y,)), x)

    batched = vmap(penalty)(params, buffers, points)
    for k, critic in enumerate(critics):
        assert torch.allclose(batched[k], gradient_penalty(critic, points[k]), rtol=1e-5), k
