"""The harness: determinism, divergence as a result, budgets, batches."""

import math

import pytest
import torch

from ganbench.core.config import Budget
from ganbench.data import get_dataset
from ganbench.harness.suite import plan_runs, run_one, run_suite
from ganbench.harness.train import BatchStream, train
from ganbench.registry import register, unregister
from ganbench.variants.gan import DCGAN

VOLATILE = {"wall_seconds", "train_seconds", "eval_seconds", "curve_eval_seconds"}


def _stable(row):
    return {k: v for k, v in row.items() if k not in VOLATILE}


@pytest.mark.parametrize("dataset", ["ring8", "mnist"])
def test_same_spec_same_seed_gives_identical_numbers(tmp_path, dataset, monkeypatch):
    # A cold feature cache (a fresh clone): run a builds the feature net, run b reads the cache.
    monkeypatch.setenv("GANBENCH_CACHE", str(tmp_path / "cache"))
    (spec,) = plan_runs(["wgan-gp"], [dataset], [3], "smoke", device="cpu")
    a = run_one(spec, tmp_path / "a", log_every=5)
    b = run_one(spec, tmp_path / "b", log_every=5)
    assert a["status"] == "ok"
    assert _stable(a) == _stable(b)
    ca = torch.load(spec.folder(tmp_path / "a") / "checkpoint.pt")
    cb = torch.load(spec.folder(tmp_path / "b") / "checkpoint.pt")
    for net in ca:
        for k in ca[net]:
            assert torch.equal(ca[net][k], cb[net][k]), (net, k)
    assert (spec.folder(tmp_path / "a") / "losses.csv").read_text() == (
        spec.folder(tmp_path / "b") / "losses.csv"
    ).read_text()


def test_different_seeds_differ(tmp_path):
    s0, s1 = plan_runs(["gan"], ["ring8"], [0, 1], "smoke", device="cpu")
    assert _stable(run_one(s0, tmp_path, 5)) != _stable(run_one(s1, tmp_path, 5))


class _ExplodesAtStep7(DCGAN):
    """A deliberately unstable run: its critic loss is inf from the 7th generator step on."""

    calls = 0

    def d_loss(self, real, z, labels):
        self.calls += 1
        loss = super().d_loss(real, z, labels)
        return loss * math.inf if self.calls >= 7 else loss


@pytest.fixture
def exploding():
    """Registered for this test only, so registry-wide tests never see it."""
    register("test-explodes", family="test", paper="-", supports=("points",))(_ExplodesAtStep7)
    yield "test-explodes"
    unregister("test-explodes")


def test_diverged_run_is_a_row_and_the_suite_goes_on(tmp_path, exploding):
    specs = plan_runs([exploding, "gan"], ["ring8"], [0], "smoke", device="cpu")
    outcome = run_suite(specs, tmp_path)
    by_variant = {r["variant"]: r for r in outcome.rows}
    bad = by_variant[exploding]
    assert bad["status"] == "diverged"
    assert bad["diverged_step"] == 7  # located exactly although losses sync every 10 steps
    assert by_variant["gan"]["status"] == "ok"
    board = (tmp_path / "leaderboard.csv").read_text().splitlines()
    # header, two runs and the real reference row
    assert len(board) == 4 and any(",diverged," in line for line in board)


def test_real_unstable_configuration_diverges_without_crashing():
    """GAN trained by SGD at an absurd learning rate: a genuine blow-up, recorded not raised."""
    data = get_dataset("ring8")
    v = DCGAN(data.spec)
    v.d_optim = v.g_optim = type(v.d_optim)("sgd", lr=1e12)
    res = train(v, data, Budget(200, 64), torch.device("cpu"), torch.Generator().manual_seed(0), 25)
    assert res.diverged_step is not None and res.diverged_step <= 200
    assert res.steps_done < 200 or res.diverged_step <= 200


def test_max_seconds_cap_is_recorded():
    data = get_dataset("ring8")
    res = train(
        DCGAN(data.spec),
        data,
        Budget(10_000, 32, max_seconds=0.2),
        torch.device("cpu"),
        torch.Generator().manual_seed(0),
        5,
    )
    assert res.stopped_by_time and res.steps_done < 10_000


def test_batch_stream_visits_every_sample_once_per_epoch():
    x = torch.arange(10).float().unsqueeze(1)
    s = BatchStream(x, None, 5, torch.Generator().manual_seed(0))
    seen = torch.cat([s.next()[0] for _ in range(2)]).flatten()
    assert sorted(seen.tolist()) == list(range(10))


def test_history_has_one_entry_per_log_interval():
    data = get_dataset("ring8")
    res = train(
        DCGAN(data.spec),
        data,
        Budget(45, 32),
        torch.device("cpu"),
        torch.Generator().manual_seed(0),
        10,
    )
    assert res.history["step"] == [10, 20, 30, 40, 45]
    assert len(res.history["d_loss"]) == 5 and all(math.isfinite(v) for v in res.history["g_loss"])
