"""Endless shuffled mini-batches from tensors already on the device (no DataLoader, no decoding).

Generation data give (x, labels) batches; translation data give a `Pair` batch: the source `a`,
the target `b` (the same indices when paired, an independent draw when unpaired) and the mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ganbench.data.base import Dataset


class BatchStream:
    """Shuffled mini-batches of (x, y); a new permutation each pass."""

    def __init__(
        self, x: torch.Tensor, y: torch.Tensor | None, batch_size: int, generator: torch.Generator
    ) -> None:
        if batch_size > len(x):
            batch_size = len(x)
        self.x, self.y, self.batch_size, self.g = x, y, batch_size, generator
        self._order = torch.empty(0, dtype=torch.long, device=x.device)
        self._pos = 0

    def indices(self) -> torch.Tensor:
        if self._pos + self.batch_size > len(self._order):
            self._order = torch.randperm(len(self.x), generator=self.g, device=self.x.device)
            self._pos = 0
        idx = self._order[self._pos : self._pos + self.batch_size]
        self._pos += self.batch_size
        return idx

    def next(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        idx = self.indices()
        return self.x[idx], (None if self.y is None else self.y[idx])

    def state_dict(self) -> dict:
        """Where the stream is (its permutation and position), for a resumed run."""
        return {"order": self._order.cpu(), "pos": self._pos}

    def load_state_dict(self, state: dict) -> None:
        self._order = state["order"].to(self.x.device)
        self._pos = int(state["pos"])


@dataclass
class Pair:
    """One translation batch. `b` is the target domain; `mask` is 1 in the hole (inpainting)."""

    a: torch.Tensor
    b: torch.Tensor
    mask: torch.Tensor | None = None


class PairStream:
    """Translation batches: paired data draw one index set for a, b and mask; unpaired data draw
    the two domains independently (no pair is ever seen)."""

    def __init__(
        self, data: Dataset, batch_size: int, generator: torch.Generator, device: torch.device
    ) -> None:
        if data.train_source is None:
            raise ValueError(f"dataset {data.spec.name!r} has no source images to translate")
        self.paired = data.spec.relation != "unpaired"
        self.a = data.train_source.to(device)
        self.b = data.train.to(device)
        self.mask = None if data.train_mask is None else data.train_mask.to(device)
        self._sa = BatchStream(self.a, None, batch_size, generator)
        self._sb = self._sa if self.paired else BatchStream(self.b, None, batch_size, generator)
        self.batch_size = self._sa.batch_size

    def next(self) -> Pair:
        ia = self._sa.indices()
        ib = ia if self.paired else self._sb.indices()
        return Pair(self.a[ia], self.b[ib], None if self.mask is None else self.mask[ia])

    def state_dict(self) -> dict:
        return {"a": self._sa.state_dict(), "b": self._sb.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self._sa.load_state_dict(state["a"])
        if not self.paired:
            self._sb.load_state_dict(state["b"])


def make_stream(
    data: Dataset, batch_size: int, generator: torch.Generator, device: torch.device
) -> BatchStream | PairStream:
    """The stream the data's task calls for."""
    if data.spec.task == "translation":
        return PairStream(data, batch_size, generator, device)
    labels = data.train_labels.to(device) if data.train_labels is not None else None
    return BatchStream(data.train.to(device), labels, batch_size, generator)
