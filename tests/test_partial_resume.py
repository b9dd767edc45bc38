"""A run cut off mid-way (killed right after a save of its unfinished training, partial.pt) goes on
from that save on the next attempt and ends with exactly the result of a run never cut off."""

import csv

import pytest
import torch

import ganbench.harness.run as run_module
from ganbench.harness.partial import PARTIAL, load_partial
from ganbench.harness.suite import plan_runs, run_one

TIMING = {"wall_seconds", "train_seconds", "eval_seconds", "curve_eval_seconds"}


class _Killed(BaseException):
    """Stands in for SIGKILL: not an Exception, so run_one writes no failed row."""


def _kill_after_save_at(monkeypatch, step: int) -> None:
    real = run_module.save_partial

    def save_then_die(folder, spec, saved):
        real(folder, spec, saved)
        if saved["step"] >= step:
            raise _Killed

    monkeypatch.setattr(run_module, "save_partial", save_then_die)


def _curve(folder):
    rows = list(csv.DictReader((folder / "curve.csv").open()))
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


@pytest.mark.parametrize("variant,dataset", [("dragan", "ring8"), ("dcgan", "mnist")])
def test_a_run_cut_off_mid_way_goes_on_to_the_uninterrupted_result(
    tmp_path, monkeypatch, variant, dataset
):
    """dragan draws from the global torch RNG in its loss; dcgan's G has batch norm."""
    (spec,) = plan_runs([variant], [dataset], [0], "smoke", device="cpu")
    straight = run_one(spec, tmp_path / "a", log_every=2, save_every_seconds=None)
    cut_at = spec.budget.steps // 4 * 2  # a log row (log_every 2) about half-way
    folder = spec.folder(tmp_path / "b")
    with monkeypatch.context() as m:
        _kill_after_save_at(m, cut_at)
        with pytest.raises(_Killed):
            run_one(spec, tmp_path / "b", log_every=2, save_every_seconds=0.0)
    assert (folder / PARTIAL).is_file() and not (folder / "result.json").exists()
    saved = load_partial(folder, spec.as_dict())
    assert saved["step"] == cut_at and saved["curve"]["rows"]  # the curve so far is kept

    resumed = run_one(spec, tmp_path / "b", log_every=2, save_every_seconds=1e9)
    assert resumed["status"] == straight["status"] == "ok"
    assert resumed.pop("resumed_at") == str(cut_at) and "resumed_at" not in straight
    same = {k: v for k, v in straight.items() if k not in TIMING}
    assert repr({k: v for k, v in resumed.items() if k not in TIMING}) == repr(same)
    a = spec.folder(tmp_path / "a")
    assert (folder / "losses.csv").read_bytes() == (a / "losses.csv").read_bytes()
    assert _curve(folder) == _curve(a)
    ca, cb = (torch.load(p / "checkpoint.pt", weights_only=True) for p in (a, folder))
    for net in ca:
        for k, t in ca[net].items():
            assert torch.equal(t, cb[net][k]), (net, k)
    assert not (folder / PARTIAL).exists()  # gone once the run has its result


def test_a_save_from_other_settings_or_unreadable_is_kept_aside_and_the_run_starts_over(
    tmp_path, monkeypatch
):
    s0, s1 = plan_runs(["gan"], ["ring8"], [0, 1], "smoke", device="cpu")
    with monkeypatch.context() as m:
        _kill_after_save_at(m, 10)
        with pytest.raises(_Killed):
            run_one(s0, tmp_path, log_every=2, save_every_seconds=0.0)
    f0, f1 = s0.folder(tmp_path), s1.folder(tmp_path)
    f1.mkdir(parents=True)
    (f1 / PARTIAL).write_bytes((f0 / PARTIAL).read_bytes())  # seed 0's save in seed 1's folder
    row = run_one(s1, tmp_path, log_every=2)
    assert row["status"] == "ok" and "resumed_at" not in row
    assert (f1 / f"{PARTIAL}.saved-under-other-settings").is_file()

    (f0 / PARTIAL).write_bytes(b"torn")
    row = run_one(s0, tmp_path, log_every=2)
    assert row["status"] == "ok" and "resumed_at" not in row
    assert (f0 / f"{PARTIAL}.unreadable").read_bytes() == b"torn"
