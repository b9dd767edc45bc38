"""The players-and-updates harness: windows, repeats, lazy updates, the loss history's alignment
when a column starts late, and a clear error for an update naming no player."""

import math

import pytest
import torch

from ganbench.core.config import Budget
from ganbench.data import get_dataset
from ganbench.harness.train import train
from ganbench.variants.gan import DCGAN
from ganbench.variants.updates import Update


def test_window_is_a_budget_fraction():
    warm, adv = Update("G", "pixel", stop=0.25), Update("G", "adv", start=0.25)
    total = 8
    assert [s for s in range(1, total + 1) if warm.active(s, total)] == [1, 2]
    assert [s for s in range(1, total + 1) if adv.active(s, total)] == [3, 4, 5, 6, 7, 8]
    lazy = Update("D", "r1", every=4)
    assert [s for s in range(1, total + 1) if lazy.active(s, total)] == [4, 8]


def test_repeat_reads_an_attribute():
    class V:
        n_critic = 5

    assert Update("D", "d", repeat="n_critic").times(V()) == 5
    assert Update("D", "d", repeat=2).times(V()) == 2
    assert Update("D", "d_step", log="d_loss").column == "d_loss"
    assert Update("D", "d_step").column == "d_step"


class _LateExtra(DCGAN):
    """DCGAN plus a generator update that only runs in the second half of the budget."""

    calls: list[int]

    def updates(self):
        self.calls = []
        return [*super().updates(), Update("G", "late_step", start=0.5, log="late")]

    def late_step(self, ctx):
        self.calls.append(ctx.step)
        return self.g_step(ctx)


def test_late_column_lands_on_its_own_rows():
    data = get_dataset("ring8")
    v = _LateExtra(data.spec)
    res = train(v, data, Budget(8, 16), torch.device("cpu"), torch.Generator().manual_seed(0), 2)
    assert v.calls == [5, 6, 7, 8]
    assert res.history["step"] == [2, 4, 6, 8]
    late = res.history["late"]
    assert math.isnan(late[0]) and math.isnan(late[1])
    assert all(math.isfinite(x) for x in late[2:])
    assert all(math.isfinite(x) for x in res.history["g_loss"])


class _NoSuchPlayer(DCGAN):
    def updates(self):
        return [Update("critic", "d_step")]


def test_update_naming_no_player_is_refused():
    data = get_dataset("ring8")
    with pytest.raises(ValueError, match="player 'critic'.*D, G"):
        train(_NoSuchPlayer(data.spec), data, Budget(2, 8), torch.device("cpu"), torch.Generator())
