"""What a dataset is: a spec the networks are built for, plus train and held-out tensors."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class DataSpec:
    """Everything a variant needs to build its networks; nothing about where the data came from."""

    name: str
    kind: str  # "points" (2-D mixtures), "image", or "translation" (source image -> target image)
    shape: tuple[int, ...]  # one sample: (2,) or (C, H, W); for translation, the target's
    num_classes: int = 0  # 0: no labels
    n_modes: int = 0
    value_range: tuple[float, float] | None = None  # images: (-1, 1); points: unbounded
    # Translation only: how the source relates to the target.
    source_shape: tuple[int, ...] | None = None  # one source sample (C, H, W); SR: smaller
    # "paired" | "super-resolution" | "inpainting": train pairs aligned by index;
    # "unpaired": the two domains come from disjoint digits, no pair is ever seen in training.
    relation: str = ""
    hole: str = ""  # inpainting: "centre" or "random" (the mask marks the hole with 1)
    target_domain: str = ""  # feature space of the target images, e.g. "mnist", "mnist-inverse-thick"

    @property
    def task(self) -> str:
        """generation (noise, labels -> sample) or translation (source sample -> target sample)."""
        return "translation" if self.kind == "translation" else "generation"

    @property
    def dim(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    @property
    def channels(self) -> int:
        return self.shape[0] if self.kind in ("image", "translation") else 0


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
    # Translation: `train` / `test` hold targets, these the sources. Paired data align by index;
    # unpaired train halves come from disjoint digits. `test_source[i] -> test[i]` is always the
    # ground truth (every target is a known transform), used for scoring only.
    train_source: torch.Tensor | None = None
    test_source: torch.Tensor | None = None
    train_mask: torch.Tensor | None = None  # inpainting: (N, 1, H, W), 1 in the hole
    test_mask: torch.Tensor | None = None
