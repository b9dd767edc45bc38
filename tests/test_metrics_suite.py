"""The whole image evaluation: columns, the feature net's weights, caches, the run folder files."""

import hashlib
import json

import torch

from ganbench.core.config import get_preset
from ganbench.data import Dataset, get_dataset
from ganbench.metrics import classifier
from ganbench.metrics.features import resolve_feature_space
from ganbench.metrics.fidelity import real_features
from ganbench.metrics.image_suite import evaluate_images

COLUMNS = {
    "is_mean",
    "is_std",
    "fid",
    "kid_mean",
    "kid_std",
    "precision",
    "recall",
    "density",
    "coverage",
    "msssim_gen",
    "msssim_real",
    "nn_ratio",
    "authenticity",
    "authenticity_real",
    "ct_z",
    "modes_covered",
    "modes_total",
    "reverse_kl",
}


def test_feature_net_weights_match_their_json():
    meta = json.loads(classifier.META_FILE.read_text())
    digest = hashlib.sha256(classifier.WEIGHTS_FILE.read_bytes()).hexdigest()
    assert digest == meta["sha256"]
    assert meta["accuracy"] >= 0.975 and meta["seed"] == 0
    assert classifier.WEIGHTS_FILE.stat().st_size < 1_000_000


def _noisy_test_sampler(data, seed=0):
    g = torch.Generator().manual_seed(seed)

    def sampler(n):
        idx = torch.randint(len(data.test), (n,), generator=g)
        return (data.test[idx] + 0.05 * torch.randn(n, *data.spec.shape, generator=g)).clamp(-1, 1)

    return sampler


def test_every_column_is_there_and_named():
    data = get_dataset("mnist")
    sizes = get_preset("smoke").eval
    ev = evaluate_images(_noisy_test_sampler(data), data, sizes, 0, "auto", "cpu")
    assert COLUMNS <= set(ev.metrics)
    sha = classifier.weights_meta()["sha256"][:12]
    assert ev.features == f"mnist-cnn@{sha}"
    assert ev.n_gen == sizes.n_gen_image and ev.n_real == sizes.n_real_image
    assert ev.metrics["modes_total"] == 10 and ev.metrics["feature_net_accuracy"] >= 0.975
    assert ev.artifacts["samples"].shape == (64, 1, 28, 28)
    again = evaluate_images(_noisy_test_sampler(data), data, sizes, 0, "auto", "cpu")
    assert again.metrics == ev.metrics  # same seed, same numbers


def test_stacked_mnist_scores_1000_modes():
    full = get_dataset("stacked-mnist")
    # a slice of the dataset keeps the first (uncached) feature pass short; same spec and code path
    data = Dataset(full.spec, full.train[:1000], full.test[:400], source=full.source)
    sizes = get_preset("smoke").eval
    ev = evaluate_images(_noisy_test_sampler(data), data, sizes, 0, "auto", "cpu")
    assert ev.metrics["modes_total"] == 1000 and 100 < ev.metrics["modes_covered"] <= 200
    assert COLUMNS <= set(ev.metrics)


def test_corrupt_cache_is_a_warning_and_a_recompute(tmp_path, monkeypatch, capsys):
    from ganbench.metrics import fidelity

    monkeypatch.setenv("GANBENCH_CACHE", str(tmp_path))
    monkeypatch.setattr(fidelity, "_MEMO", {})
    data = get_dataset("mnist")
    space = resolve_feature_space("auto", "mnist")
    first = real_features(data, "test", space)
    files = list(tmp_path.glob("mnist-test-mnist-cnn-*.pt"))
    assert len(files) == 1
    files[0].write_bytes(b"not a torch file")
    monkeypatch.setattr(fidelity, "_MEMO", {})
    again = real_features(data, "test", space)
    assert torch.equal(first["features"], again["features"])
    assert "corrupt" in capsys.readouterr().err
    assert torch.load(files[0], weights_only=True).keys() == {"logits", "features"}


def test_cache_key_changes_with_dataset_split_and_space():
    from ganbench.metrics.fidelity import real_cache_key

    mnist, stacked = get_dataset("mnist"), get_dataset("stacked-mnist")
    space = resolve_feature_space("auto", "mnist")
    other = space.__class__(**{**space.__dict__, "sha12": "000000000000"})
    keys = {
        real_cache_key(mnist, "test", space),
        real_cache_key(mnist, "train", space),
        real_cache_key(stacked, "test", space),
        real_cache_key(mnist, "test", other),
    }
    assert len(keys) == 4


def test_run_folder_has_closest_pairs(tmp_path):
    from ganbench.cli import main

    out = tmp_path / "out"
    assert (
        main(
            [
                "run",
                "--variant",
                "gan",
                "--dataset",
                "mnist",
                "--preset",
                "smoke",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    folder = out / "runs" / "gan" / "mnist" / "seed0"
    pairs = json.loads((folder / "closest_pairs.json").read_text())
    assert len(pairs["train_index"]) == 8 and (folder / "closest_pairs.png").exists()
    row = json.loads((folder / "result.json").read_text())
    assert row["features"].startswith("mnist-cnn@") and row["feature_net_accuracy"] >= 0.975
