"""The resolution check of the variants whose networks build 4 -> 8 -> 16 -> 32 (SAGAN, BigGAN):
their `data_problem` message. Not a variant module (the leading underscore keeps the zoo loader
away)."""

from __future__ import annotations

from ganbench.data.base import DataSpec


def refuse_unless_32px(name: str, spec: DataSpec, fix: str) -> str:
    """Empty for (C, 32, 32) images; otherwise one line naming the size and the fix."""
    shape = tuple(spec.shape)
    if spec.kind == "image" and len(shape) == 3 and shape[1:] == (32, 32):
        return ""
    size = "x".join(map(str, shape[1:])) if spec.kind == "image" else f"{spec.kind} data"
    return f"{name} builds 32x32 images (4 -> 8 -> 16 -> 32), not {size}; {fix}"
