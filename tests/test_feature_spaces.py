"""The feature space must fit the data: `--features auto` per dataset, the refusal before any
training when nothing fits, a user feature module recorded by name and weights hash; the Fréchet
distance through eigenvalues against closed forms; nearest-neighbour decisions exact for ties;
the `real` row an independent real sample."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from ganbench.cli import main
from ganbench.core.errors import GanbenchError
from ganbench.data import get_dataset
from ganbench.data.registry import resolve_dataset_name
from ganbench.metrics import features as F
from ganbench.metrics.fidelity import (
    fid,
    fid_closed_form,
    fid_commuting_closed_form,
    frechet_distance,
)
from ganbench.metrics.neighbours import exact_sq, knn
from ganbench.metrics.prdc import prdc


@pytest.fixture
def no_inception(tmp_path, monkeypatch):
    monkeypatch.delenv(F.INCEPTION_ENV, raising=False)
    monkeypatch.setenv("GANBENCH_OFFLINE", "1")
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))


def colour_folder(root, n=12):
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(root / f"{i}.png")
    return root


# --- which space --------------------------------------------------------------------------------


def test_auto_picks_the_network_of_each_bundled_dataset(no_inception):
    assert F.resolve_feature_space("auto", "mnist").name == "mnist-cnn"
    assert F.resolve_feature_space("auto", "mnist32").name == "mnist-cnn"
    assert F.resolve_feature_space("auto", "fashion-mnist").name == "fashion-mnist-cnn"
    with pytest.raises(GanbenchError, match="no feature network fits dataset 'digits'"):
        F.resolve_feature_space("auto", "digits")  # not MNIST: the MNIST net never scores it
    with pytest.raises(GanbenchError, match="project network of fashion-mnist.*not of 'mnist'"):
        F.check_feature_space("fashion-mnist-cnn", ["mnist"])
    with pytest.raises(GanbenchError, match="not of 'fashion-mnist'"):
        F.check_feature_space("mnist-cnn", ["fashion-mnist"])


def test_auto_uses_inception_when_its_weights_are_here(tmp_path, monkeypatch):
    w = tmp_path / F.INCEPTION_FILE
    w.write_bytes(b"not really weights")
    monkeypatch.setenv(F.INCEPTION_ENV, str(w))
    assert F.resolve_feature_space("auto", "digits").name == "inception"


def test_run_stops_before_training_when_no_space_fits(tmp_path, capsys, no_inception):
    folder = colour_folder(tmp_path / "photos")
    out = tmp_path / "out"
    rc = main(["run", "--variant", "dcgan", "--dataset", f"folder:{folder}", "--preset", "smoke",
               "--device", "cpu", "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert F.INCEPTION_FILE in err and str(tmp_path / "hub" / "checkpoints") in err
    assert "--inception-weights" in err and "--features auto | mnist-cnn" in err
    assert "MODULE:ATTR" in err and not out.exists()


def test_a_named_project_network_may_score_your_own_grey_28px_images(tmp_path, no_inception):
    folder = tmp_path / "digits_png"
    folder.mkdir()
    for i, x in enumerate(get_dataset("mnist").test[:20]):
        a = ((x[0] + 1) * 127.5).round().byte().numpy()
        Image.fromarray(a, mode="L").save(folder / f"{i}.png")
    name = resolve_dataset_name(f"folder:{folder}")
    F.check_feature_space("mnist-cnn", [name])
    assert F.resolve_feature_space("mnist-cnn", name).name == "mnist-cnn"
    with pytest.raises(GanbenchError, match="no feature network fits"):
        F.check_feature_space("auto", [name])  # auto never picks it: only when named


def test_user_module_is_recorded_by_name_and_weights_hash(tmp_path):
    mod = tmp_path / "myfeat.py"
    mod.write_text(
        "import torch\nfrom torch import nn\n"
        "class Net(nn.Module):\n"
        "    input_size = (12, 12); input_range = (-1.0, 1.0); feature_dim = 6; input_channels = 3\n"
        "    def __init__(self, scale=1.0):\n"
        "        super().__init__(); self.lin = nn.Linear(3 * 144, 6)\n"
        "        torch.nn.init.constant_(self.lin.weight, scale / 432)\n"
        "    def forward(self, x):\n"
        "        f = self.lin(x.flatten(1)); return f, torch.stack([f[:, 0], -f[:, 0]], 1)\n"
        "def other():\n    return Net(2.0)\n"
    )
    space = F.resolve_feature_space(f"{mod}:Net", "mnist")
    assert space.id.startswith("Net@") and len(space.sha12) == 12
    out = F.extract(space, get_dataset("mnist").test[:10])  # grey repeated to its 3 channels
    assert out["features"].shape == (10, 6) and out["logits"].shape == (10, 2)
    assert F.resolve_feature_space(f"{mod}:other", "mnist").sha12 != space.sha12  # other weights


# --- Fréchet distance ---------------------------------------------------------------------------


def test_frechet_distance_matches_the_closed_form_of_gaussians():
    rng = np.random.default_rng(0)
    d = 16
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))  # shared eigenvectors: a closed form exists
    a, b = rng.uniform(0.1, 3.0, d), rng.uniform(0.1, 3.0, d)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    s1, s2 = (q * a) @ q.T, (q * b) @ q.T
    exact = fid_commuting_closed_form(mu1, a, mu2, b)
    assert abs(frechet_distance(mu1, s1, mu2, s2) - exact) < 1e-9 * max(1.0, exact)
    assert abs(frechet_distance(mu1, s1, mu1, s1)) < 1e-9
    # covariances that do not commute: the eigenvalues of S1 S2 (a second route) agree
    m = rng.normal(size=(d, d))
    s3 = m @ m.T / d
    assert abs(frechet_distance(mu1, s1, mu2, s3) - fid_closed_form(mu1, s1, mu2, s3)) < 1e-8
    # and on Gaussian features: the sample FID approaches the population value
    g = torch.Generator().manual_seed(1)
    std1, std2 = torch.from_numpy(np.sqrt(a)).float(), torch.from_numpy(np.sqrt(b)).float()
    x = (torch.randn(40_000, d, generator=g) * std1) @ torch.from_numpy(q.T).float()
    y = (torch.randn(40_000, d, generator=g) * std2) @ torch.from_numpy(q.T).float()
    x, y = x + torch.from_numpy(mu1).float(), y + torch.from_numpy(mu2).float()
    assert abs(fid(x, y) - exact) < 0.02 * exact


def test_frechet_distance_does_not_use_sqrtm():
    import inspect

    from ganbench.metrics import fidelity

    assert "sqrtm" not in inspect.getsource(fidelity).replace("scipy.linalg.sqrtm (", "")


# --- exact ties ---------------------------------------------------------------------------------


def test_exact_distances_are_symmetric_bit_for_bit():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(500, 128, generator=g), torch.randn(500, 128, generator=g)
    assert torch.equal(exact_sq(a, b), exact_sq(b, a))
    assert (exact_sq(a, a) == 0).all()


def test_density_on_an_exact_copy_of_the_reference_is_exactly_one():
    from ganbench.metrics.fidelity import real_features

    data = get_dataset("mnist")
    f = real_features(data, "test", F.resolve_feature_space("auto", "mnist"))["features"]
    perm = torch.randperm(len(f), generator=torch.Generator().manual_seed(3))
    for fake, chunk in ((f.clone(), 2048), (f[perm], 100)):  # any order, any blocking
        m = prdc(f, fake, chunk=chunk)
        assert m == {"precision": 1.0, "recall": 1.0, "density": 1.0, "coverage": 1.0}


def test_knn_ties_break_by_the_lower_index():
    ref = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0], [2.0, 2.0]])
    d, i = knn(torch.zeros(1, 2), ref, 3)
    assert i.tolist() == [[0, 1, 2]] and d.tolist() == [[1.0, 1.0, 1.0]]
    dup = torch.cat([ref, ref[:2]])  # exact duplicates count as neighbours, self does not
    d, i = knn(dup, dup, 1, exclude_self=True)
    assert i[:2, 0].tolist() == [5, 6] and i[5, 0] == 0 and d[0, 0] == 0


# --- the real row -------------------------------------------------------------------------------


def test_real_row_is_an_independent_sample_never_the_reference_itself():
    from ganbench.harness.reference import score_reference

    row, _, tb = score_reference("mnist", 0, "smoke")
    assert row["status"] == "ok", tb
    assert row["fid"] > 0.05 and row["precision"] < 1.0 and row["coverage"] < 1.0
    assert row["n_fake"] == 200 and row["n_real"] == 200
    assert row["real_sample"].startswith("fidelity, MS-SSIM, modes: train[200 of 4000]")
    # memorization scores held-out digits (outside the fidelity reference at this preset)
    assert "test[200 outside the fidelity reference + 0 inside]" in row["real_sample"]
    assert 0.5 < row["nn_ratio"] < 2.0


def test_a_stored_self_compared_real_row_is_scored_again(tmp_path):
    import json

    from ganbench.harness.reference import SELF_COMPARED_HOW, ensure_reference_rows

    folder = tmp_path / "runs" / "real" / "mnist" / "seed0"
    folder.mkdir(parents=True)
    old = {"variant": "real", "dataset": "mnist", "seed": 0, "preset": "smoke", "status": "ok",
           "fid": 3.7e-12, "spec": {"reference": SELF_COMPARED_HOW, "preset": "smoke",
                                    "features": "auto"}}  # fmt: skip
    (folder / "result.json").write_text(json.dumps(old))
    (row,) = ensure_reference_rows(tmp_path, [("mnist", 0)], "smoke")
    assert row["fid"] > 0.05 and "real_sample" in row
    again = ensure_reference_rows(tmp_path, [("mnist", 0)], "smoke")  # now kept on resume
    assert again[0]["fid"] == row["fid"]
