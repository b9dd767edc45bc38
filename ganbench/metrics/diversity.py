"""MS-SSIM diversity (Odena et al. 2017, AC-GAN §4.2): mean MS-SSIM over random pairs of
generated images (higher = less diverse), beside the same statistic on held-out real images.

The 28 px choice: pytorch-msssim 1.0 asserts min(H, W) > (win_size - 1) * 2**4 (4 down-samplings),
so 28x28 digits only pass with win_size = 1, which is degenerate (cs ≡ 1; two noise images score
~1). We keep the standard MS-SSIM (5 scales, Gaussian window 11, σ 1.5, the default weights) and
**upsample every image bilinearly to 176x176** (the smallest multiple of 16 above 160) before
scoring, mapping [-1, 1] to [0, 1] with data_range 1. The same resize applies to generated and
real images, so msssim_gen and msssim_real are comparable with each other (not with numbers
computed at other resolutions). Pairs are unconditional (compare_gan style): i != j drawn
uniformly with a fixed seed; RGB images (stacked-mnist) average over channels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pytorch_msssim import ms_ssim

MSSSIM_SIZE = 176  # > (11 - 1) * 16 = 160
WIN_SIZE = 11
PAIR_BATCH = 50


def random_pairs(
    n: int, pairs: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """`pairs` index pairs (i, j), i != j, uniform over the n images."""
    if n < 2:
        raise ValueError(f"MS-SSIM pairs need at least 2 images, got {n}")
    i = torch.randint(n, (pairs,), generator=generator)
    j = (i + torch.randint(1, n, (pairs,), generator=generator)) % n
    return i, j


def _prepare(x: torch.Tensor) -> torch.Tensor:
    x = (x.float().clamp(-1, 1) + 1) / 2
    if min(x.shape[-2:]) <= (WIN_SIZE - 1) * 16:
        x = F.interpolate(x, size=(MSSSIM_SIZE, MSSSIM_SIZE), mode="bilinear", align_corners=False)
    return x


@torch.no_grad()
def msssim_pairs(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """MS-SSIM of each pair (a[k], b[k]) of images in [-1, 1]: one value per pair."""
    out = []
    # oneDNN's depthwise 1x11 convolution (pytorch-msssim's Gaussian filter) is ~3x slower on
    # CPU than PyTorch's native kernel; the values are the same.
    mkldnn = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        for s in range(0, len(a), PAIR_BATCH):
            out.append(
                ms_ssim(
                    _prepare(a[s : s + PAIR_BATCH]),
                    _prepare(b[s : s + PAIR_BATCH]),
                    data_range=1.0,
                    size_average=False,
                    win_size=WIN_SIZE,
                )
            )
    finally:
        torch.backends.mkldnn.enabled = mkldnn
    return torch.cat(out).cpu()


def mean_msssim(images: torch.Tensor, pairs: int, seed: int) -> float:
    """Mean MS-SSIM over `pairs` random pairs of distinct images (lower = more diverse)."""
    i, j = random_pairs(len(images), pairs, torch.Generator().manual_seed(seed))
    return float(msssim_pairs(images[i], images[j]).double().mean())
