"""For variants whose generator step also needs real data (relativistic, Softmax GAN, unrolled
GAN, AAE, BiGAN, VAE-GAN): the harness hands g_loss no real batch, so d_loss keeps its batch."""

from __future__ import annotations

import torch


class RemembersRealBatch:
    _real: torch.Tensor | None = None

    def remember_real(self, real: torch.Tensor) -> None:
        self._real = real

    def last_real(self) -> torch.Tensor:
        if self._real is None:
            raise RuntimeError(
                f"{getattr(self, 'name', type(self).__name__)}: g_loss needs the real batch of a "
                "preceding d_loss call (the harness runs d_loss first); call d_loss before g_loss"
            )
        return self._real
