"""Hyper-parameters: --hp parsing and checking, per-data-kind defaults, recorded and kept apart."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from ganbench.cli import main
from ganbench.core.hparams import HyperParameterError, check_hp, freeze, hp_key, hp_text, parse_hp
from ganbench.data import get_dataset
from ganbench.harness.suite import plan_runs, run_suite
from ganbench.registry import get_variant

RING = get_dataset("ring8").spec
MNIST = get_dataset("mnist").spec


def test_parse_hp_literals_and_strings():
    hp = parse_hp(["gp_weight=0.1", "d_betas=(0.5, 0.9)", "minimax=True", "loss=ls", "n_critic=3"])
    assert hp == {
        "gp_weight": 0.1,
        "d_betas": (0.5, 0.9),
        "minimax": True,
        "loss": "ls",
        "n_critic": 3,
    }
    assert parse_hp(None) == {}


@pytest.mark.parametrize("bad", ["gp_weight", "=0.1", "gp_weight=", "a=1 a=2"])
def test_parse_hp_rejects_malformed(bad):
    with pytest.raises(HyperParameterError, match="--hp"):
        parse_hp(bad.split())


def test_check_hp_names_the_known_keys_and_the_kind():
    known = get_variant("wgan-gp").cls.known_hparams("points")
    with pytest.raises(HyperParameterError, match="no hyper-parameter 'gp_weigh'.*known:.*gp_weight"):
        check_hp("wgan-gp", known, {"gp_weigh": 1.0})
    with pytest.raises(HyperParameterError, match="does not match its default"):
        check_hp("wgan-gp", known, {"gp_weight": "ten"})
    with pytest.raises(HyperParameterError, match="does not match its default"):
        check_hp("wgan-gp", known, {"d_betas": 0.5} | {"gp_weight": 1.0, "n_critic": True})
    check_hp("wgan-gp", known, {"gp_weight": 1, "d_betas": (0.5, 0.9), "n_critic": 3})


def test_canonical_text_and_key_are_order_free():
    a, b = {"b": 1, "a": (0.5, 0.9)}, {"a": [0.5, 0.9], "b": 1}
    assert hp_text(freeze(a)) == hp_text(freeze(b)) == "a=(0.5, 0.9) b=1"
    assert hp_key(freeze(a)) == hp_key(freeze(b)) and len(hp_key(a)) == 8
    assert hp_text({}) == "" and hp_key({}) == ""


def test_wgan_gp_uses_the_authors_toy_settings_on_points_and_the_paper_on_images():
    cls = get_variant("wgan-gp").cls
    pts, img = cls(RING), cls(MNIST)
    # gan_toy.py: LAMBDA = .1, Adam(1e-4, beta1 .5, beta2 .9); the image paper: 10, (0, 0.9)
    assert pts.hp["gp_weight"] == 0.1 and pts.d_optim.betas == (0.5, 0.9) == pts.g_optim.betas
    assert img.hp["gp_weight"] == 10.0 and img.d_optim.betas == (0.0, 0.9) == img.g_optim.betas
    assert pts.d_optim.lr == img.d_optim.lr == 1e-4
    # an explicit override wins over the data kind's default
    assert cls(RING, gp_weight=10.0).hp["gp_weight"] == 10.0


def test_common_hps_reach_the_optimizers_and_the_critic_schedule():
    v = get_variant("gan").cls(RING, d_lr=1e-3, g_betas=(0.8, 0.999), n_critic=3)
    assert v.d_optim.lr == 1e-3 and v.g_optim.betas == (0.8, 0.999) and v.n_critic == 3
    assert type(v).d_optim.lr == 2e-4  # the class default is untouched
    opt = v.d_optim.build(v.d_parameters())
    assert opt.param_groups[0]["lr"] == 1e-3


def test_runs_with_other_hps_get_their_own_folder_and_row(tmp_path):
    base = plan_runs(["gan"], ["ring8"], [0], "smoke", "cpu", steps=5)
    other = plan_runs(["gan"], ["ring8"], [0], "smoke", "cpu", steps=5, hp={"d_lr": 1e-3})
    assert base[0].folder(tmp_path) != other[0].folder(tmp_path)
    run_suite(base + other, tmp_path)
    board = pd.read_csv(tmp_path / "leaderboard.csv", keep_default_na=False)
    runs = board[board["variant"] == "gan"]
    assert sorted(runs["hp"]) == ["", "d_lr=0.001"]
    assert all("d_lr=" in e for e in runs["hp_effective"])
    summary = pd.read_csv(tmp_path / "leaderboard_summary.csv", keep_default_na=False)
    assert sorted(summary[summary["variant"] == "gan"]["hp"]) == ["", "d_lr=0.001"]
    # resume: the same two plans skip both, they never mix
    again = run_suite(base + other, tmp_path)
    assert again.ran == 0 and again.skipped == 2


def test_plan_rejects_an_unknown_hp_for_any_planned_variant():
    with pytest.raises(HyperParameterError, match="'lsgan' has no hyper-parameter 'gp_weight'"):
        plan_runs(["wgan-gp", "lsgan"], ["ring8"], [0], "smoke", "cpu", hp={"gp_weight": 0.1})


def test_cli_bad_hp_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        ["run", "--variant", "wgan-gp", "--dataset", "ring8", "--preset", "smoke", "--out",
         str(out), "--hp", "gp_weigh=0.1"]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "known:" in err
    assert not out.exists()


def test_began_code_size_is_a_hyper_parameter_per_data_kind():
    cls = get_variant("began").cls
    assert cls(RING).D.code_dim == 1 and cls(MNIST).hp["code_dim"] == 32  # the zoo's
    assert cls(RING, code_dim=2).D.code_dim == 2
    assert cls(MNIST, code_dim=16).D.encode(torch.zeros(2, 1, 28, 28)).shape == (2, 16)


def test_the_quick_preset_trains_each_variant_on_its_first_supported_dataset():
    specs = plan_runs(["gan", "cogan"], None, [0], "quick", "cpu")
    assert [(s.variant, s.dataset) for s in specs] == [("gan", "ring8"), ("cogan", "mnist")]
    both = plan_runs(["gan"], ["ring8", "mnist"], [0], "quick", "cpu")  # --dataset: as asked
    assert [s.dataset for s in both] == ["ring8", "mnist"]


def test_sngan_uses_the_papers_resnet_schedule_on_points_and_setting_c_on_images():
    cls = get_variant("sngan").cls
    pts, img = cls(RING), cls(MNIST)
    assert pts.n_critic == 5 and pts.d_optim.betas == (0.0, 0.9) == pts.g_optim.betas
    assert img.n_critic == 1 and img.d_optim.betas == (0.5, 0.999)
    assert pts.d_optim.lr == img.d_optim.lr == 2e-4


def test_mode_conditioned_generators_are_ranked_apart_on_the_mixtures(tmp_path):
    from ganbench.results.report import write_report

    run_suite(plan_runs(["gan", "cgan", "sgan"], ["ring8"], [0], "smoke", "cpu", steps=5), tmp_path)
    board = pd.read_csv(tmp_path / "leaderboard.csv")
    given = dict(zip(board["variant"], board["generator_conditioned"].astype(str), strict=False))
    assert given["cgan"] == "True" and given["gan"] == "False"
    assert given["sgan"] == "False"  # SGAN's labels reach only its discriminator
    _, md = write_report(tmp_path)
    text = md.read_text()
    head, apart = text.split("Generators given the mode", 1)
    ring_table = head.rsplit("Dataset: ring8", 1)[1]
    assert "| cgan" not in ring_table and "cgan" in apart.split("###", 1)[0]
    assert "gan" in ring_table and "sgan" in ring_table
