"""The output contract of plug-in code, generators and translators alike: a tensor (or NumPy
array) of exactly n samples of the dataset's sample shape; images as float in [-1, 1] or uint8 in
0..255 (converted to [-1, 1]); finite values. Returned as float32 on the CPU."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ganbench.data.base import DataSpec
from ganbench.plugins.loading import PluginError

RANGE_TOLERANCE = 1e-3


def check_output(
    x: Any,
    n: int,
    spec: DataSpec,
    where: str = "the generator",
    role: str = "generator",
    shape: tuple[int, ...] | None = None,
) -> torch.Tensor:
    """The plug-in's output as float32 in the dataset's range, or a PluginError naming the fix.
    `shape`: one sample's shape when it is not spec.shape (a translator's way back: the source's)."""
    images = spec.kind != "points"  # image and translation data: pictures in [-1, 1]
    want = tuple(spec.shape if shape is None else shape)
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise PluginError(
            f"{where} returned a {type(x).__name__}, expected a torch.Tensor of "
            f"shape {(n, *want)}; return a tensor"
        )
    got_shape = tuple(x.shape)
    if len(got_shape) == 0 or got_shape[0] != n:
        got = "a scalar" if len(got_shape) == 0 else f"{got_shape[0]} samples (shape {got_shape})"
        raise PluginError(f"{where} returned {got} when asked for n={n}; return exactly n samples")
    if got_shape[1:] != want:
        raise PluginError(
            f"{where} returned samples of shape {got_shape[1:]}, dataset {spec.name!r} "
            f"needs {want} (the batch is {(n, *want)}); "
            "reshape the output"
        )
    if x.dtype == torch.uint8:
        if not images:
            raise PluginError(f"{where} returned uint8 for 2-D points; return float coordinates")
        return x.detach().float().cpu() / 127.5 - 1.0
    if not (x.dtype.is_floating_point):
        fix = "float in [-1, 1] or uint8 pixels in 0..255" if images else "float coordinates"
        raise PluginError(f"{where} returned dtype {x.dtype}; return {fix}")
    x = x.detach().float().cpu()
    bad = ~torch.isfinite(x)
    if bad.any():
        raise PluginError(
            f"{where} returned {int(bad.sum())} NaN/inf values in {x.numel()}; "
            f"make the {role}'s output finite (a diverged model or a bad input?)"
        )
    if images:
        lo, hi = float(x.min()), float(x.max())
        if lo < -1 - RANGE_TOLERANCE or hi > 1 + RANGE_TOLERANCE:
            hint = (
                " (these look like 0..255 pixels as float: return uint8, or x / 127.5 - 1)"
                if lo >= 0 and hi > 2
                else ""
            )
            raise PluginError(
                f"{where} returned values in [{lo:.3g}, {hi:.3g}], images must be "
                f"in [-1, 1]{hint}; scale the output, e.g. with tanh"
            )
        x = x.clamp(-1, 1)
    return x
