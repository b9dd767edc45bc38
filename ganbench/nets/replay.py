"""Replay buffer of past fakes (Shrivastava et al. 2017, section 2.3; used by CycleGAN, Zhu et al.
2017, section 4): D is shown a mix of the newest fakes and fakes from earlier generators, so it does
not forget them and G cannot oscillate between modes it has already been caught on.

The CycleGAN rule, per image: while the buffer has fewer than `size` images, store the new image
and return it; once full, with probability 1/2 return a stored image chosen uniformly and store
the new one in its place, otherwise return the new image. The draws come from the run's
torch.Generator (on the data's device), so a seeded run replays the same mix; images are processed
in order, as the rule is written, without copying anything to the host."""

from __future__ import annotations

import torch


class ReplayBuffer:
    """`push_and_pop(fakes, generator)` -> a batch of the same shape: the mix D trains on."""

    def __init__(self, size: int = 50) -> None:
        if size < 1:
            raise ValueError("a replay buffer holds at least one image")
        self.size = size
        self.store: torch.Tensor | None = None  # (size, C, H, W) once the first batch arrives
        self.count = 0  # images stored so far (<= size)

    def __len__(self) -> int:
        return self.count

    @torch.no_grad()
    def push_and_pop(self, fakes: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        fakes = fakes.detach()
        if self.store is None:
            self.store = torch.empty(
                self.size, *fakes.shape[1:], dtype=fakes.dtype, device=fakes.device
            )
        n_fill = min(self.size - self.count, len(fakes))
        if n_fill:  # filling: store and return as is
            self.store[self.count : self.count + n_fill] = fakes[:n_fill]
            self.count += n_fill
        rest = fakes[n_fill:]
        if not len(rest):
            return fakes.clone()
        dev = generator.device
        swap = torch.rand(len(rest), generator=generator, device=dev) < 0.5
        slot = torch.randint(self.size, (len(rest),), generator=generator, device=dev)
        swap, slot = swap.to(fakes.device), slot.to(fakes.device)
        out = []
        for j in range(len(rest)):  # in order: a slot drawn twice returns the first newcomer
            i = slot[j : j + 1]
            old = self.store.index_select(0, i)
            out.append(torch.where(swap[j], old, rest[j : j + 1]))
            self.store.index_copy_(0, i, torch.where(swap[j], rest[j : j + 1], old))
        return torch.cat([fakes[:n_fill], *out])
