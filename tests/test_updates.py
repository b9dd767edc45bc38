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


def pixel(ctx):
    return torch.zeros(())


def test_window_is_a_budget_fraction():
    warm, adv = Update("G", pixel, stop=0.25), Update("G", pixel, start=0.25)
    total = 8
    assert [s for s in range(1, total + 1) if warm.active(s, total)] == [1, 2]
    assert [s for s in range(1, total + 1) if adv.active(s, total)] == [3, 4, 5, 6, 7, 8]
    lazy = Update("D", pixel, every=4)
    assert [s for s in range(1, total + 1) if lazy.active(s, total)] == [4, 8]


def test_an_update_is_a_callable_with_a_column():
    v = DCGAN(get_dataset("ring8").spec, n_critic=3)
    d, g = v.updates()
    assert d.loss == v.d_step and d.repeat == 3 and d.column == "d_loss"
    assert g.loss == v.g_step and g.repeat == 1
    assert Update("D", pixel).column == "pixel"  # the loss function's name by default
    with pytest.raises(TypeError, match="loss must be callable"):
        Update("D", "d_step")  # names are gone: a typo cannot look up another method


class _LateExtra(DCGAN):
    """DCGAN plus a generator update that only runs in the second half of the budget."""

    calls: list[int]

    def updates(self):
        self.calls = []
        return [*super().updates(), Update("G", self.late_step, start=0.5, log="late")]

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
        return [Update("critic", self.d_step)]


def test_update_naming_no_player_is_refused():
    data = get_dataset("ring8")
    with pytest.raises(ValueError, match="player 'critic'.*D, G"):
        train(_NoSuchPlayer(data.spec), data, Budget(2, 8), torch.device("cpu"), torch.Generator())


def test_simultaneous_update_takes_both_gradients_before_either_step():
    """update=simultaneous: D's and G's gradients at the same parameters, from one real batch and
    one noise draw; both step together. Checked against the update written out by hand."""
    data = get_dataset("ring8")
    torch.manual_seed(0)
    v = DCGAN(data.spec, update="simultaneous")
    hand = DCGAN(data.spec, update="simultaneous")
    hand.G.load_state_dict(v.G.state_dict())
    hand.D.load_state_dict(v.D.state_dict())
    train(v, data, Budget(1, 16), torch.device("cpu"), torch.Generator().manual_seed(3), 1)

    gen = torch.Generator().manual_seed(3)
    idx = torch.randperm(len(data.train), generator=gen)[:16]
    real, z = data.train[idx], torch.randn(16, hand.latent_dim, generator=gen)
    d_loss, g_loss = hand.d_loss(real, z, None), hand.g_loss(z, None)
    d_grads = torch.autograd.grad(d_loss, list(hand.D.parameters()))
    g_grads = torch.autograd.grad(g_loss, list(hand.G.parameters()))
    for net, grads, spec in ((hand.D, d_grads, hand.d_optim), (hand.G, g_grads, hand.g_optim)):
        params = list(net.parameters())
        for p, grad in zip(params, grads, strict=True):
            p.grad = grad
        spec.build(params).step()
    for a, b in zip([*v.G.parameters(), *v.D.parameters()],
                    [*hand.G.parameters(), *hand.D.parameters()], strict=True):
        torch.testing.assert_close(a, b)


def test_simultaneous_differs_from_alternating():
    data = get_dataset("ring8")
    nets = {}
    for mode in ("alternating", "simultaneous"):
        torch.manual_seed(0)
        v = DCGAN(data.spec, update=mode)
        train(v, data, Budget(3, 16), torch.device("cpu"), torch.Generator().manual_seed(3), 1)
        nets[mode] = torch.cat([p.flatten() for p in v.G.parameters()])
    assert not torch.allclose(nets["alternating"], nets["simultaneous"])
