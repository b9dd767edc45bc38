"""The project MNIST classifier: a small CNN trained by `scripts/train_feature_net.py` with a fixed
seed on the `mnist` train split only. Its weights ship in `ganbench/weights/mnist_cnn.pt`, with
their SHA-256 and held-out accuracy in `mnist_cnn.json`; loading checks the hash.

It is the project feature network (penultimate layer -> FID/KID/PRDC/memorization, logits -> IS)
and the oracle for classifier mode coverage (10 modes on `mnist`, 1,000 on `stacked-mnist`).
Input: (N, 1, 28, 28) float in [-1, 1]; output: (N, 10) logits.

Domains: the same architecture is trained per target domain of the translation datasets (same
script and seed, `--domain NAME`): `mnist` (plain digits, `mnist_cnn.pt`) and
`mnist-inverse-thick` (data.translation.inverse_thick of the same digits,
`mnist_inverse_thick_cnn.pt`). `classify(images, domain=...)` scores label preservation there.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import torch
from torch import nn

from ganbench.backbones.weights import WEIGHTS_DIR, load_verified
from ganbench.core.errors import GanbenchError
from ganbench.core.seeding import rng_untouched

WEIGHTS_FILE = WEIGHTS_DIR / "mnist_cnn.pt"
META_FILE = WEIGHTS_DIR / "mnist_cnn.json"
FEATURE_DIM = 128
# Target domain -> stem of its weights / json in WEIGHTS_DIR (one MnistCNN per domain).
DOMAINS = {
    "mnist": "mnist_cnn",
    "mnist-inverse-thick": "mnist_inverse_thick_cnn",
    "fashion-mnist": "fashion_mnist_cnn",  # Fashion-MNIST's own net (data.fashion)
}


class MnistCNN(nn.Module):
    """Four 3x3 conv blocks (16-32 | 64 | 128 channels, batch norm, ReLU, max-pool twice), global
    average pool, a 128-d penultimate layer and 10 logits. About 115k parameters (< 0.5 MB)."""

    def __init__(self) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

        self.body = nn.Sequential(
            *block(1, 16),
            *block(16, 32),
            nn.MaxPool2d(2),  # 14 px
            *block(32, 64),
            nn.MaxPool2d(2),  # 7 px
            *block(64, 128),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.penultimate = nn.Sequential(nn.Linear(128, FEATURE_DIM), nn.ReLU())
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(FEATURE_DIM, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) in [-1, 1] -> (N, 128) penultimate activations."""
        return self.penultimate(self.body(x))

    def features_and_logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.features(x)
        return f, self.head(self.dropout(f))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features_and_logits(x)[1]


def weights_files(domain: str = "mnist") -> tuple[Path, Path]:
    """(weights .pt, json) of the network for `domain`."""
    if domain not in DOMAINS:
        raise GanbenchError(
            f"no project classifier for domain {domain!r}; known: {', '.join(DOMAINS)}"
        )
    stem = WEIGHTS_DIR / DOMAINS[domain]
    return stem.with_suffix(".pt"), stem.with_suffix(".json")


def _retrain(domain: str) -> str:
    flag = "" if domain == "mnist" else f" --domain {domain}"
    return f"scripts/train_feature_net.py{flag}"


@cache
def weights_meta(domain: str = "mnist") -> dict:
    """The json written beside the weights: sha256, held-out accuracy, seed, command."""
    meta_file = weights_files(domain)[1]
    if not meta_file.exists():
        raise GanbenchError(f"{meta_file} is missing; reinstall ganbench or run {_retrain(domain)}")
    return json.loads(meta_file.read_text())


def load_state_verified(
    path: Path | None = None, expected_sha256: str | None = None, domain: str = "mnist"
) -> dict:
    """The state dict at `path` (default: the shipped weights of `domain`), after checking its
    SHA-256 against the shipped json."""
    weights, meta_file = weights_files(domain)
    path = Path(path or weights)
    # the json is read only when the weights exist, so a missing file is named as missing
    expected = expected_sha256 or (weights_meta(domain)["sha256"] if path.exists() else "")
    return load_verified(
        path,
        expected,
        "feature network",
        _retrain(domain),
        source=meta_file.name,
        otherwise=", or pass --features inception",
    )


@cache
def _cpu_classifier(domain: str = "mnist") -> MnistCNN:
    with rng_untouched():  # its random initial weights are overwritten: not the caller's draw
        net = MnistCNN()
    net.load_state_dict(load_state_verified(domain=domain))
    net.eval().requires_grad_(False)
    return net


def load_classifier(device: torch.device | str = "cpu", domain: str = "mnist") -> nn.Module:
    """The project CNN of `domain` in eval mode on `device`: logits for (N, 1, 28, 28) in
    [-1, 1]."""
    net = _cpu_classifier(domain)
    if torch.device(device).type == "cpu":
        return net
    import copy

    return copy.deepcopy(net).to(device)


def to_digit_size(images: torch.Tensor) -> torch.Tensor:
    """28 px digits as the project CNN takes them: 32 px images (the padded sets, ganbench/data/
    padded.py) lose their 2-pixel border; other sizes pass unchanged (and are refused later)."""
    if tuple(images.shape[-2:]) == (32, 32):
        return images[..., 2:30, 2:30]
    return images


@torch.no_grad()
def classify(
    images: torch.Tensor,
    device: torch.device | str = "cpu",
    batch_size: int = 1000,
    domain: str = "mnist",
) -> torch.Tensor:
    """Predicted digits (LongTensor on the CPU) for (N, 1, 28, 28) images in [-1, 1], by the
    classifier of `domain` (a translation dataset's spec.target_domain); 32 px digits are
    cropped to their centre 28 px (to_digit_size)."""
    images = to_digit_size(images)
    if images.ndim != 4 or tuple(images.shape[1:]) != (1, 28, 28):
        raise ValueError(f"classify expects (N, 1, 28, 28) images, got {tuple(images.shape)}")
    net = load_classifier(device, domain)
    out = [
        net(images[i : i + batch_size].to(device).float()).argmax(1).cpu()
        for i in range(0, len(images), batch_size)
    ]
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)
