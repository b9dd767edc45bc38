"""Paired image metrics: an output against its ground truth, per image, then the mean.

Inputs are (N, C, H, W) tensors in [-1, 1] (the project's value range, data range 2). Every
metric is computed in float64 and returned as a Python float.

  l1, l2       mean absolute / squared difference as a fraction of the data range, i.e. on the
               [0, 1] scale the papers report (pix2pix, Context Encoder): l1 = mean|x - y| / 2,
               l2 = mean((x - y) / 2)^2.
  psnr         10 log10(range^2 / MSE) with range 2 on [-1, 1], which is the same number as
               10 log10(1 / MSE) on [0, 1]; per image, then the mean over images. Identical
               images have an infinite PSNR: each image's value is capped at PSNR_CAP = 100 dB
               (an MSE of 1e-10 on the [0, 1] scale), so a perfect output scores exactly 100.
  ssim         single-scale SSIM (Wang et al. 2004) of the images mapped to [0, 1] (x + 1) / 2, data
               range 1 (SSIM's luminance term is not shift-invariant, so the scale is part of the
               definition; [0, 1] is the convention of skimage and pytorch-msssim users and of the
               papers): Gaussian window 11 x 11, sigma 1.5, K1 0.01, K2 0.03, population
               (co)variances, the SSIM map over the 'valid' region only (18 x 18 at 28 px, as the
               authors' reference code filters), its mean per image and channel, then the mean
               over channels and images. Single-scale because MS-SSIM's 4
               down-samplings need a side > 160 px with this window (metrics/diversity.py resizes
               for that); at 28 px the single scale is the standard choice.
  hole_l1, hole_l2, hole_psnr
               the same on the pixels where mask == 1 only (the Context Encoder protocol: L1, L2
               and PSNR of the missing region): per image over its hole pixels, then the mean
               over images. An image whose mask is empty is an error.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

DATA_RANGE = 2.0  # images in [-1, 1]
PSNR_CAP = 100.0  # dB; identical images would otherwise score +inf
SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03


def _pair(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if x.shape != y.shape or x.ndim != 4:
        raise ValueError(
            f"paired metrics need two (N, C, H, W) tensors of one shape, got {tuple(x.shape)} "
            f"and {tuple(y.shape)}"
        )
    return x.detach().double().cpu(), y.detach().double().cpu()


def _per_image_mse(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """MSE per image on the [0, 1] scale."""
    return (((x - y) / DATA_RANGE) ** 2).flatten(1).mean(1)


def _psnr_from_mse(mse: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR (dB) from an MSE on the [0, 1] scale, capped at PSNR_CAP."""
    floor = 10 ** (-PSNR_CAP / 10)
    return (-10 * torch.log10(mse.clamp_min(floor))).clamp_max(PSNR_CAP)


def l1(x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean |x - y| as a fraction of the data range ([0, 1] scale)."""
    x, y = _pair(x, y)
    return float(((x - y).abs() / DATA_RANGE).mean())


def l2(x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean squared error on the [0, 1] scale."""
    x, y = _pair(x, y)
    return float(_per_image_mse(x, y).mean())


def psnr_per_image(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    x, y = _pair(x, y)
    return _psnr_from_mse(_per_image_mse(x, y))


def psnr(x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean over images of each image's PSNR (dB), each capped at PSNR_CAP."""
    return float(psnr_per_image(x, y).mean())


def gaussian_window(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> torch.Tensor:
    """The normalised 1-D Gaussian taps (float64)."""
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(r**2) / (2 * sigma**2))
    return g / g.sum()


def _blur(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian filter of (M, 1, H, W), 'valid' region only."""
    x = F.conv2d(x, g.view(1, 1, 1, -1))
    return F.conv2d(x, g.view(1, 1, -1, 1))


def ssim_per_image(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Single-scale SSIM of each image (mean over its channels); module docstring."""
    x, y = _pair(x, y)
    x, y = (x + 1) / DATA_RANGE, (y + 1) / DATA_RANGE  # [-1, 1] -> [0, 1], data range 1
    n, c, h, w = x.shape
    if min(h, w) < SSIM_WINDOW:
        raise ValueError(f"SSIM's {SSIM_WINDOW}-px window needs images of at least that side")
    g = gaussian_window()
    xs, ys = x.reshape(n * c, 1, h, w), y.reshape(n * c, 1, h, w)
    mu_x, mu_y = _blur(xs, g), _blur(ys, g)
    var_x = _blur(xs * xs, g) - mu_x**2
    var_y = _blur(ys * ys, g) - mu_y**2
    cov = _blur(xs * ys, g) - mu_x * mu_y
    c1, c2 = SSIM_K1**2, SSIM_K2**2
    smap = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )
    return smap.flatten(1).mean(1).reshape(n, c).mean(1)


def ssim(x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean single-scale SSIM over images."""
    return float(ssim_per_image(x, y).mean())


# --- the hole only (inpainting) -----------------------------------------------------------------


def _hole(x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor):
    x, y = _pair(x, y)
    m = mask.detach().double().cpu()
    if m.shape[0] != x.shape[0] or m.shape[2:] != x.shape[2:] or m.shape[1] not in (1, x.shape[1]):
        raise ValueError(f"mask of shape {tuple(m.shape)} does not fit images {tuple(x.shape)}")
    m = (m > 0.5).double().expand_as(x)
    count = m.flatten(1).sum(1)
    if (count == 0).any():
        raise ValueError("hole metrics need a non-empty hole (mask == 1) in every image")
    return (x - y) / DATA_RANGE, m, count


def hole_l1(x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> float:
    """Per image mean |x - y| over its hole ([0, 1] scale), then the mean over images."""
    d, m, count = _hole(x, y, mask)
    return float(((d.abs() * m).flatten(1).sum(1) / count).mean())


def _hole_mse(x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    d, m, count = _hole(x, y, mask)
    return (d**2 * m).flatten(1).sum(1) / count


def hole_l2(x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> float:
    """Per image MSE over its hole ([0, 1] scale), then the mean over images."""
    return float(_hole_mse(x, y, mask).mean())


def hole_psnr(x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> float:
    """Per image PSNR of its hole (capped at PSNR_CAP), then the mean over images."""
    return float(_psnr_from_mse(_hole_mse(x, y, mask)).mean())
