"""Reproduction protocols: the published tables, the verdict rule, PacGAN's 2-D nets, and
`ganbench reproduce` end to end (tiny scale), including resume after --max-minutes."""

import csv
import math
from pathlib import Path

import pytest
import torch

from ganbench.cli import main
from ganbench.core.errors import GanbenchError
from ganbench.core.hparams import HyperParameterError
from ganbench.data import get_dataset
from ganbench.nets.pacgan_mlp import Maxout, PacGAN2DDiscriminator, PacGAN2DGenerator
from ganbench.registry import get_variant
from ganbench.reproduce import PROTOCOLS, REPRO_COLUMNS, get_protocol, reproduce
from ganbench.reproduce.verdict import all_converged, mean_and_se, verdict

# Typed from ../shared/reference/METRIC_PROTOCOLS.md section 1.3 / 1.4 (the papers' tables),
# independently of ganbench/reproduce/protocols.py.
PACGAN_T1 = {
    # (row, dataset): (modes, hq %, reverse KL), each (mean, standard error)
    ("GAN", "ring8"): ((6.3, 0.5), (98.2, 0.2), (0.45, 0.09)),
    ("PacGAN2", "ring8"): ((7.9, 0.1), (95.6, 2.0), (0.07, 0.03)),
    ("PacGAN3", "ring8"): ((7.8, 0.1), (97.7, 0.3), (0.10, 0.02)),
    ("PacGAN4", "ring8"): ((7.8, 0.1), (95.9, 1.4), (0.07, 0.02)),
    ("GAN", "grid25"): ((17.3, 0.8), (94.8, 0.7), (0.70, 0.07)),
    ("PacGAN2", "grid25"): ((23.8, 0.7), (91.3, 0.8), (0.13, 0.04)),
    ("PacGAN3", "grid25"): ((24.6, 0.4), (94.2, 0.4), (0.06, 0.02)),
    ("PacGAN4", "grid25"): ((24.8, 0.2), (93.6, 0.6), (0.04, 0.01)),
}
VEEGAN_T1 = {  # modes / %HQ, no error bars; WGAN-GP from GDPP Table 1
    ("GAN", "ring8"): (1, 99.3),
    ("Unrolled GAN", "ring8"): (7.6, 35.6),
    ("WGAN-GP", "ring8"): (6.8, 59.6),
    ("GAN", "grid25"): (3.3, 0.5),
    ("Unrolled GAN", "grid25"): (23.6, 16),
    ("WGAN-GP", "grid25"): (24.2, 28.7),
}
PACGAN_T2 = {  # Stacked-MNIST, VEEGAN setting: modes, KL (mean, s.e.)
    "DCGAN": ((78.9, 6.46), (4.50, 0.127)),
    "PacDCGAN2": ((1000.0, 0.0), (0.06, 0.003)),
}
R3GAN_T3 = {  # R3GAN (arXiv:2501.05441) Table 3: modes, KL; no error bars
    "R3GAN": (1000.0, 0.029),
    "StyleGAN2": (940.0, 0.42),
    "DCGAN": (99.0, 3.40),
    "WGAN-GP": (959.0, 0.73),
    "PacGAN": (992.0, 0.28),
}


def _published(name):
    return {(p.label, p.dataset, p.metric): (p.mean, p.err) for p in get_protocol(name).published}


def test_pacgan_table1_numbers_equal_the_paper():
    expected = {
        (row, ds, m): v
        for (row, ds), values in PACGAN_T1.items()
        for m, v in zip(("modes", "hq_percent", "reverse_kl"), values, strict=True)
    }
    assert _published("pacgan-table1") == expected


def test_veegan_table1_numbers_equal_the_paper_without_error_bars():
    expected = {
        (row, ds, m): (float(v), None)
        for (row, ds), values in VEEGAN_T1.items()
        for m, v in zip(("modes", "hq_percent"), values, strict=True)
    }
    assert _published("veegan-table1") == expected


def test_stacked_mnist_numbers_equal_the_paper():
    expected = {
        (row, "stacked-mnist-full", m): v
        for row, values in PACGAN_T2.items()
        for m, v in zip(("modes", "kl"), values, strict=True)
    } | {
        (row, "stacked-mnist32-full", m): (v, None)
        for row, values in R3GAN_T3.items()
        for m, v in zip(("modes", "kl"), values, strict=True)
    }
    assert _published("stacked-mnist") == expected


def test_pacgan_table1_pins_the_papers_setting():
    p = get_protocol("pacgan-table1")
    assert p.trials == 10 and len(p.cells) == 8
    for c in p.cells:
        hp = dict(c.hp)
        m = hp["pack"]
        assert c.variant == "pacgan" and hp["arch"] == "pacgan-2d" and hp["latent_dim"] == 2
        assert hp["d_lr"] == hp["g_lr"] == 1e-4
        assert hp["d_betas"] == hp["g_betas"] == (0.8, 0.999)
        assert c.batch_size == 100 * m and c.paper_steps == 400_000
        assert c.label == ("GAN" if m == 1 else f"PacGAN{m}")
    for name in PROTOCOLS:
        assert get_protocol(name).differences, name  # every protocol states its differences


def test_veegan_table1_runs_gdpps_released_settings():
    """Every setting the protocol states is the one its trials run with: each cell's variant,
    built with the cell's hyper-parameters, has GDPP's networks, optimizer and (GAN) update."""
    from ganbench.nets.gdpp_mlp import ORTHOGONAL_GAIN, GDPP2DDiscriminator, GDPP2DGenerator
    from ganbench.reproduce.protocols import GDPP_HP, VEEGAN_BATCH, VEEGAN_STEPS

    p = get_protocol("veegan-table1")
    assert p.version == "2" and len(p.cells) == 6 and p.trials == 5
    assert (VEEGAN_STEPS, VEEGAN_BATCH) == (25_000, 512)
    assert GDPP_HP == {
        "arch": "gdpp-2d", "latent_dim": 256, "d_lr": 1e-4, "g_lr": 1e-3,
        "d_betas": (0.5, 0.999), "g_betas": (0.5, 0.999),
    }
    for c in p.cells:
        assert c.batch_size == 512 and c.paper_steps == 25_000
        v = get_variant(c.variant).cls(get_dataset(c.dataset).spec, **dict(c.hp))
        for k, value in GDPP_HP.items():
            assert v.hp[k] == value, (c.label, k)
        assert (v.d_optim.lr, v.g_optim.lr) == (1e-4, 1e-3)
        assert v.d_optim.betas == v.g_optim.betas == (0.5, 0.999)
        assert isinstance(v.G, GDPP2DGenerator) and isinstance(v.D, GDPP2DDiscriminator)
        assert v.G.net[0][0].in_features == 256
        assert v.hp["update"] == ("simultaneous" if c.label == "GAN" else "alternating")
        assert (c.label, v.n_critic) != ("WGAN-GP", 1)
        assert f"arch={v.hp['arch']}" in p.networks and f"{v.g_optim.lr:g}" in p.optimizer
    w = GDPP2DGenerator(256).net[0][0].weight  # orthogonal with gain 1.4: W W^T = 1.4^2 I
    torch.testing.assert_close(w @ w.T, ORTHOGONAL_GAIN**2 * torch.eye(128), atol=1e-4, rtol=0)


def test_stacked_mnist_protocol_uses_the_full_mnist():
    p = get_protocol("stacked-mnist")
    assert {c.dataset for c in p.cells} == {"stacked-mnist-full", "stacked-mnist32-full"}
    pacgan_table = [c for c in p.cells if c.dataset == "stacked-mnist-full"]
    assert {dict(c.hp)["pack"] for c in pacgan_table} == {1, 2}
    r3gan_table = [c for c in p.cells if c.dataset == "stacked-mnist32-full"]
    assert {c.variant for c in r3gan_table} == {"r3gan", "stylegan2", "dcgan", "wgan-gp", "pacgan"}
    assert {(c.batch_size, c.paper_steps) for c in r3gan_table} == {(512, 19_531)}  # 10 Mimg
    assert p.preset == "standard"  # 26,000 samples for the mode count


@pytest.mark.parametrize(
    ("paper", "perr", "ours", "oerr", "conv", "want"),
    [
        (1.0, 0.3, 1.0 + 2 * 0.5, 0.4, None, "agrees"),  # exactly on the 2-combined-s.e. edge
        (1.0, 0.3, 2.1, 0.4, None, "higher"),
        (1.0, 0.3, -0.1, 0.4, None, "lower"),
        (1.0, 0.3, -0.1, 0.4, False, "not converged"),
        (1.0, 0.3, 1.2, 0.4, False, "not converged"),  # no verdict for runs still moving
        (1.0, 0.3, 2.1, 0.4, True, "higher"),
        (99.3, None, 99.15, 0.1, None, "agrees"),  # no paper error bar: ours alone
        (99.3, None, 98.0, 0.1, None, "lower"),
        (5.0, 0.0, 5.0, None, None, "agrees"),  # one trial, no spread
        (5.0, 0.5, math.nan, None, None, "no trials"),
    ],
)
def test_verdict_rule(paper, perr, ours, oerr, conv, want):
    assert verdict(paper, perr, ours, oerr, conv) == want


def test_mean_and_standard_error():
    mean, se = mean_and_se([1.0, 2.0, 3.0])
    assert mean == 2.0 and se == pytest.approx(1.0 / math.sqrt(3))
    assert mean_and_se([4.0]) == (4.0, None)
    assert all_converged([{"converged": True}, {"converged": False}]) is False
    assert all_converged([{"converged": True}, {}]) is True
    assert all_converged([{}, {"status": "ok"}]) is None


def test_pacgan_2d_nets_shapes():
    G = PacGAN2DGenerator(2, 2)
    linears = [m for m in G.modules() if isinstance(m, torch.nn.Linear)]
    bns = [m for m in G.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert [(lin.in_features, lin.out_features) for lin in linears] == [
        (2, 400), (400, 400), (400, 400), (400, 400), (400, 2)
    ]  # fmt: skip
    assert [lin.bias is None for lin in linears] == [True] * 4 + [False]  # BN follows: no bias
    assert len(bns) == 4 and all(b.num_features == 400 for b in bns)
    assert G(torch.randn(10, 2)).shape == (10, 2)
    D = PacGAN2DDiscriminator(2 * 3)
    maxouts = [m for m in D.modules() if isinstance(m, Maxout)]
    assert len(maxouts) == 3 and all(m.units == 200 and m.pieces == 5 for m in maxouts)
    assert maxouts[0].linear.in_features == 6 and maxouts[0].linear.out_features == 1000
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in D.modules())
    assert D(torch.randn(7, 6)).shape == (7,)


def test_maxout_takes_the_max_over_each_units_pieces():
    mo = Maxout(1, units=2, pieces=3)
    with torch.no_grad():
        mo.linear.weight.copy_(torch.tensor([[1.0], [-2.0], [0.5], [3.0], [0.0], [-1.0]]))
        mo.linear.bias.zero_()
    assert mo(torch.tensor([[2.0]])).tolist() == [[2.0, 6.0]]
    assert mo(torch.tensor([[-1.0]])).tolist() == [[2.0, 1.0]]


def test_pacgan_arch_on_the_variant():
    spec = get_dataset("ring8").spec
    v = get_variant("pacgan").cls(spec, arch="pacgan-2d", pack=4)
    assert isinstance(v.G, PacGAN2DGenerator)
    assert v.D.inner.features[0].linear.in_features == 8  # packed input 2m
    assert v.D(torch.randn(400, 2)).shape == (100,)
    assert not isinstance(get_variant("pacgan").cls(spec).G, PacGAN2DGenerator)  # default arch
    with pytest.raises(HyperParameterError, match="arch"):
        get_variant("pacgan").cls(spec, arch="nope")
    with pytest.raises(HyperParameterError, match="built for points data"):
        get_variant("pacgan").cls(get_dataset("mnist").spec, arch="pacgan-2d")


def test_list(capsys):
    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    for name in ("pacgan-table1", "veegan-table1", "stacked-mnist"):
        assert name in out


def test_unknown_protocol_is_a_one_line_error(capsys):
    assert main(["reproduce", "no-such-table"]) == 2
    assert "pacgan-table1" in capsys.readouterr().err


def _csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_pacgan_table1_end_to_end_tiny_scale(tmp_out):
    code = main(
        ["reproduce", "pacgan-table1", "--trials", "2", "--scale", "0.00001", "--out",
         str(tmp_out), "--device", "cpu", "--jobs", "1", "--quiet"]
    )  # fmt: skip
    assert code == 0
    rows = _csv(tmp_out / "reproduction.csv")
    assert tuple(rows[0]) == REPRO_COLUMNS
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert len(body) == 8 * 3  # 8 cells x (modes, hq_percent, reverse_kl)
    assert {r["n_trials"] for r in body} == {"2"} and {r["scale"] for r in body} == {"1e-05"}
    assert {r["protocol"] for r in body} == {"pacgan-table1"}
    assert all(r["verdict"] in ("agrees", "higher", "lower", "not converged") for r in body)
    gan_ring_hq = next(
        r
        for r in body
        if (r["variant"], r["dataset"], r["metric"]) == ("GAN", "ring8", "hq_percent")
    )
    assert gan_ring_hq["paper_mean"] == "98.2" and gan_ring_hq["paper_err"] == "0.2"
    md = (tmp_out / "reproduction.md").read_text()
    assert "pacgan-table1" in md and "1e-05" in md and "Table 1" in md
    assert (tmp_out / "protocol.json").exists()
    # the report opens with the published table beside ours
    html = (tmp_out / "report.html").read_text()
    assert html.index("Reproduction: pacgan-table1") < html.index("Dataset: ring8")
    assert "98.2 ± 0.2" in html and "Scale 1e-05" in html
    # runs of one variant with other settings are other leaderboard rows, named by their --hp
    assert "pack=1 " in html and "pack=4 " in html
    # every trial went through the harness: rows carry the protocol's hyper-parameters and budget
    results = list((tmp_out / "runs" / "pacgan").glob("*/*/result.json"))
    assert len(results) == 16
    # --tables-only trains nothing and writes the same tables from the finished trials
    table = (tmp_out / "reproduction.csv").read_text()
    (tmp_out / "reproduction.csv").unlink()
    mtimes = {p: p.stat().st_mtime_ns for p in results}
    again = main(["reproduce", "pacgan-table1", "--trials", "2", "--scale", "0.00001", "--out",
                  str(tmp_out), "--device", "cpu", "--tables-only", "--quiet"])  # fmt: skip
    assert again == 0 and (tmp_out / "reproduction.csv").read_text() == table
    assert {p: p.stat().st_mtime_ns for p in results} == mtimes


def test_resume_after_max_minutes_leaves_no_duplicates(tmp_out):
    kw = dict(out=tmp_out, trials=1, scale=0.00001, device="cpu", jobs=1, datasets=["ring8"])
    first = reproduce("pacgan-table1", max_minutes=1e-9, **kw)  # the first trial, then stop
    assert first.ran == 1 and first.runs_left == 3 and not first.complete
    partial = _csv(tmp_out / "reproduction.csv")
    assert tuple(partial[0]) == REPRO_COLUMNS and len(partial) == 1 + 4 * 3
    assert "Incomplete" in (tmp_out / "reproduction.md").read_text()
    second = reproduce("pacgan-table1", **kw)
    assert second.ran == 3 and second.complete
    third = reproduce("pacgan-table1", **kw)
    assert third.ran == 0
    rows = _csv(tmp_out / "reproduction.csv")[1:]
    keys = [tuple(r[:4]) for r in rows]
    assert len(keys) == len(set(keys)) == 4 * 3
    assert {r[REPRO_COLUMNS.index("n_trials")] for r in rows} == {"1"}
    with pytest.raises(GanbenchError, match="another --out"):
        reproduce("pacgan-table1", **{**kw, "scale": 0.00002})


PUBLISHED = sorted(
    (Path(__file__).resolve().parents[1] / "leaderboards" / "reproductions").glob(
        "*/reproduction.csv"
    )
)


@pytest.mark.parametrize("table", PUBLISHED, ids=[p.parent.name for p in PUBLISHED])
def test_published_reproductions_have_the_contract_and_say_how(table):
    rows = _csv(table)
    assert tuple(rows[0]) == REPRO_COLUMNS and len(rows) > 1
    assert {r[0] for r in rows[1:]} == {table.parent.name}  # folder named after the protocol
    protocol = get_protocol(table.parent.name)
    for r in rows[1:]:
        paper = protocol.paper(r[1], r[2], r[3])
        assert paper is not None and float(r[4]) == paper.mean  # the paper's number, unchanged
    for r in rows[1:]:  # every verdict recomputes from the row's own numbers
        row = dict(zip(REPRO_COLUMNS, r, strict=True))
        num = {k: float(row[k]) if row[k] != "" else None for k in REPRO_COLUMNS[4:8]}
        converged = int(row["n_converged"]) == int(row["n_trials"])
        ours = math.nan if num["ours_mean"] is None else num["ours_mean"]
        want = verdict(num["paper_mean"], num["paper_err"], ours, num["ours_err"], converged)
        assert row["verdict"] == want, row
    readme = (table.parent / "README.md").read_text()
    assert "ganbench reproduce" in readme and "torch" in readme
    assert (table.parent / "reproduction.md").exists()
    assert not list(table.parent.rglob("*.pt"))  # no checkpoints published


def test_report_section_reads_the_reproduction_files(tmp_path):
    from ganbench.results.report.reproduction import reproduction_sections

    assert reproduction_sections(tmp_path) == []  # not a reproduce folder: no section
    rows = [
        ["pacgan-table1", "GAN", "ring8", "modes", "6.3", "0.5", "8", "0", "3", "3", "0.5", "higher"],
        ["pacgan-table1", "GAN", "ring8", "hq_percent", "98.2", "0.2", "37", "4.8", "3", "1", "0.5",
         "not converged"],
    ]  # fmt: skip
    text = ",".join(REPRO_COLUMNS) + "\n" + "\n".join(",".join(r) for r in rows) + "\n"
    (tmp_path / "reproduction.csv").write_text(text)
    (sec,) = reproduction_sections(tmp_path)
    assert sec.title == "Reproduction: pacgan-table1"
    (table,) = [b for b in sec.blocks if hasattr(b, "rows")]
    assert [c.text for c in table.rows[0]] == ["GAN", "ring8", "modes", "6.3 ± 0.5", "8 ± 0", "3",
                                               "higher"]  # fmt: skip
    assert not table.rows[0][0].muted and all(c.muted for c in table.rows[1])
