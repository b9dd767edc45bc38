"""Pictures of samples: a grid for images, a scatter over the real mixture for 2-D data."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from ganbench.core.io import save_figure_atomic  # noqa: E402
from ganbench.data.base import Dataset  # noqa: E402


def image_grid(images: torch.Tensor, nrow: int = 8, pad: int = 2) -> torch.Tensor:
    """(N, C, H, W) in [-1, 1] -> one (H', W', C) tensor in [0, 1] for imshow."""
    images = ((images.clamp(-1, 1) + 1) / 2)[: nrow * nrow]
    n, c, h, w = images.shape
    rows = (n + nrow - 1) // nrow
    grid = torch.ones(c, rows * (h + pad) + pad, nrow * (w + pad) + pad)
    for i in range(n):
        r, col = divmod(i, nrow)
        grid[
            :,
            pad + r * (h + pad) : pad + r * (h + pad) + h,
            pad + col * (w + pad) : pad + col * (w + pad) + w,
        ] = images[i]
    return grid.permute(1, 2, 0)


def translation_strip(
    source: torch.Tensor, output: torch.Tensor, truth: torch.Tensor, n: int = 8
) -> torch.Tensor:
    """Three rows of n images for image_grid(nrow=n): inputs (upsampled, nearest, to the target
    size when smaller), outputs, ground truth."""
    size = truth.shape[-2:]
    if source.shape[-2:] != size:
        source = torch.nn.functional.interpolate(source[:n], size=size, mode="nearest")
    return torch.cat([source[:n], output[:n], truth[:n]])


def save_samples_picture(
    samples: torch.Tensor, dataset: Dataset, path: Path, title: str = ""
) -> Path:
    path = Path(path)
    if dataset.spec.kind == "points":
        fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
        real = dataset.test[:2500]
        ax.scatter(real[:, 0], real[:, 1], s=2, c="0.7", label="real")
        ax.scatter(samples[:, 0], samples[:, 1], s=2, c="tab:red", alpha=0.5, label="generated")
        c = dataset.mixture.centres
        ax.scatter(c[:, 0], c[:, 1], s=30, marker="+", c="k", label="centres")
        span = float(c.abs().max()) * 1.5
        ax.set_xlim(-span, span)
        ax.set_ylim(-span, span)
        ax.set_aspect("equal")
        ax.legend(loc="upper right", fontsize=6, markerscale=3)
    else:
        grid = image_grid(samples)
        h, w = grid.shape[0], grid.shape[1]
        # square grids as before; wide strips (translation: 3 rows of 8) get a wide figure
        size = (4, 4) if h >= w else (6, max(1.5, 6 * h / w + 0.5))
        fig, ax = plt.subplots(figsize=size, dpi=100)
        ax.imshow(
            grid.squeeze(-1).numpy() if grid.shape[-1] == 1 else grid.numpy(),
            cmap="gray",
            vmin=0,
            vmax=1,
            interpolation="nearest",
        )
        ax.axis("off")
    if title:
        ax.set_title(title, fontsize=8)
    fig.tight_layout()
    try:
        save_figure_atomic(fig, path)
    finally:
        plt.close(fig)
    return path
