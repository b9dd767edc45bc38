"""What a dataset is: a spec the networks are built for, plus train and held-out tensors."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class DataSpec:
    """Everything a variant needs to build its networks; nothing about where the data came from."""

    name: str
    kind: str  # "points" (2-D mixtures) or "image"
    shape: tuple[int, ...]  # one sample: (2,) or (C, H, W)
    num_classes: int = 0  # 0: no labels
    n_modes: int = 0
    value_range: tuple[float, float] | None = None  # images: (-1, 1); points: unbounded

    @property
    def dim(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    @property
    def channels(self) -> int:
        return self.shape[0] if self.kind == "image" else 0


@dataclass(frozen=True)
class Mixture:
    """An isotropic Gaussian mixture with equal weights (the VEEGAN / PacGAN toy data)."""

    centres: torch.Tensor  # (M, 2)
    sigma: float


@dataclass
class Dataset:
    spec: DataSpec
    train: torch.Tensor  # float32, samples in spec.value_range
    test: torch.Tensor  # held out: never trained on; the reference for every metric
    train_labels: torch.Tensor | None = None  # int64
    test_labels: torch.Tensor | None = None
    mixture: Mixture | None = None
    source: str = ""
