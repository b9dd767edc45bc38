"""The Inception feature space: weights path resolution, the offline error (exit 2, before any
training, nothing written), and that the state dict at the given path is what gets loaded."""

import os

import pytest
import torch

from ganbench.cli import main
from ganbench.core.errors import GanbenchError
from ganbench.metrics import features


@pytest.fixture
def offline_no_weights(tmp_path, monkeypatch):
    hub = tmp_path / "hub"
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(hub))
    monkeypatch.delenv(features.INCEPTION_ENV, raising=False)
    monkeypatch.setattr(features, "_online", lambda *a, **k: False)
    return hub


def test_offline_without_weights_is_one_clear_error(offline_no_weights):
    with pytest.raises(GanbenchError) as err:
        features.resolve_inception_weights()
    msg = str(err.value)
    assert features.INCEPTION_FILE in msg
    assert str(offline_no_weights / "checkpoints" / features.INCEPTION_FILE) in msg
    assert "--inception-weights" in msg and "--features auto" in msg


def test_cli_exits_2_before_training_and_writes_nothing(
    offline_no_weights, tmp_path, monkeypatch, capsys
):
    import ganbench.harness.run

    def no_training(*a, **k):
        raise AssertionError("training started")

    monkeypatch.setattr(ganbench.harness.run, "train", no_training)
    out = tmp_path / "out"
    code = main(
        [
            "run",
            "--variant",
            "gan",
            "--dataset",
            "mnist",
            "--preset",
            "smoke",
            "--features",
            "inception",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert features.INCEPTION_FILE in err and err.count("\n") == 1
    assert not out.exists()


def test_missing_explicit_path_names_it(offline_no_weights, tmp_path, monkeypatch, capsys):
    missing = tmp_path / "nowhere.pth"
    code = main(
        [
            "run",
            "--variant",
            "gan",
            "--dataset",
            "mnist",
            "--preset",
            "smoke",
            "--features",
            "inception",
            "--inception-weights",
            str(missing),
            "--out",
            str(tmp_path / "out"),
            "--quiet",
        ]
    )
    assert code == 2 and str(missing) in capsys.readouterr().err
    os.environ.pop(features.INCEPTION_ENV, None)  # the CLI sets it for the process


def test_hub_cache_is_used(offline_no_weights):
    path = offline_no_weights / "checkpoints" / features.INCEPTION_FILE
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x")
    assert features.resolve_inception_weights() == path


def test_explicit_path_wins_over_the_hub_cache(offline_no_weights, tmp_path, monkeypatch):
    (offline_no_weights / "checkpoints").mkdir(parents=True)
    (offline_no_weights / "checkpoints" / features.INCEPTION_FILE).write_bytes(b"hub")
    mine = tmp_path / "mine.pth"
    mine.write_bytes(b"mine")
    monkeypatch.setenv(features.INCEPTION_ENV, str(mine))
    assert features.resolve_inception_weights() == mine


def test_the_state_dict_at_the_given_path_is_what_gets_loaded(
    offline_no_weights, tmp_path, monkeypatch
):
    import torch_fidelity.feature_extractor_inceptionv3 as fe

    # a randomly initialised Inception state dict with a recognisable fc bias, saved to a file
    monkeypatch.setattr(fe.FeatureExtractorInceptionV3, "load_state_dict", lambda self, sd: None)
    monkeypatch.setattr(fe.torch, "load", lambda *a, **k: {})
    net = fe.FeatureExtractorInceptionV3(
        "inception-v3-compat", ["2048"], feature_extractor_weights_path="unused"
    )
    monkeypatch.undo()
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(offline_no_weights))
    monkeypatch.setattr(features, "_online", lambda *a, **k: False)
    state = net.state_dict()
    state["fc.bias"] = torch.arange(len(state["fc.bias"]), dtype=torch.float32)
    path = tmp_path / "my-inception.pth"
    torch.save(state, path)
    monkeypatch.setenv(features.INCEPTION_ENV, str(path))

    seen = []
    real_load = torch.load

    def spy(p, *a, **k):
        seen.append(str(p))
        return real_load(p, *a, **k)

    monkeypatch.setattr(fe.torch, "load", spy)
    space = features.resolve_feature_space("inception", "mnist")
    assert space.weights == path and space.id.startswith("inception@")
    assert space.extractor_kwargs["feature_extractor_weights_path"] == str(path)
    ext = features._extractor(space, "cpu")
    assert seen == [str(path)]
    assert torch.equal(ext.fc.bias, state["fc.bias"])
    features._extractor.cache_clear()
