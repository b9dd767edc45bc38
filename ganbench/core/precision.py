"""How a run's training arithmetic is done (`--precision`), recorded in every row:

fp32     float32 everywhere; on CUDA, TF32 matmuls and convolutions switched off (the default:
         the numbers of a CPU run)
tf32     float32 tensors, TF32 matmuls and convolutions on CUDA (Ampere and later); as fp32 on a CPU
bf16     tf32, and the losses (forward passes) under bfloat16 autocast; gradients, optimizer
         state and the evaluation stay float32
bf16-cl  bf16, with the image networks in channels_last memory format

Evaluation always runs in float32, so a row's metrics never depend on the training precision
except through the trained weights. Rows record it as `train_precision` (`precision` is the
PRDC metric). The GPU job (ganbench/jobs/gpu.py) chooses one per variant
family by measurement."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

import torch
from torch import nn

PRECISIONS = ("fp32", "tf32", "bf16", "bf16-cl")


def check_precision(name: str) -> str:
    from ganbench.core.errors import GanbenchError

    if name not in PRECISIONS:
        raise GanbenchError(f"unknown --precision {name!r}; choose one of: {', '.join(PRECISIONS)}")
    return name


def configure(name: str, device: torch.device) -> None:
    """The process-wide TF32 switches for a run of precision `name` on `device`."""
    if device.type == "cuda":
        tf32 = name != "fp32"
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32


def prepare(name: str, modules: Iterable[nn.Module]) -> None:
    """channels_last for image networks (4-D weights) under bf16-cl."""
    if name == "bf16-cl":
        for m in modules:
            m.to(memory_format=torch.channels_last)


@contextlib.contextmanager
def autocast(name: str, device: torch.device) -> Iterator[None]:
    """Around a loss's forward pass: bfloat16 autocast under bf16 / bf16-cl, else nothing."""
    if name in ("bf16", "bf16-cl"):
        with torch.autocast(device.type, dtype=torch.bfloat16):
            yield
    else:
        yield
