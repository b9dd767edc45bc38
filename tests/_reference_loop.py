"""The two-player training loop as it was before the players-and-updates contract (commit
237291b, ganbench/train.py), kept here as the reference the harness is held against on the same
machine (tests/test_contract_identity.py). Deliberately plain and self-contained: its own batch
order, its own optimizers, its own loss averaging. Per generator step: n_critic times (a fresh real
batch, fresh noise of its size, d_loss, D steps, after_d_step), then fresh noise of the batch size
(uniform labels when conditional), g_loss, G steps. A log row every `log_every` steps holds each
loss's mean since the last row (float32), as the harness's losses.csv does."""

from __future__ import annotations

import torch


def reference_history(
    variant, data, steps: int, batch_size: int, generator: torch.Generator, log_every: int
) -> dict[str, list[float]]:
    x = data.train
    y = data.train_labels if variant.conditional else None
    batch = min(batch_size, len(x))
    order, pos = torch.empty(0, dtype=torch.long), 0
    opt_d = variant.d_optim.build(variant.d_parameters())
    opt_g = variant.g_optim.build(variant.g_parameters())
    for m in variant.modules().values():
        m.train()
    pending: dict[str, list[torch.Tensor]] = {}
    history: dict[str, list[float]] = {"step": []}
    for step in range(1, steps + 1):
        for _ in range(variant.n_critic):
            if pos + batch > len(order):
                order, pos = torch.randperm(len(x), generator=generator), 0
            idx = order[pos : pos + batch]
            pos += batch
            real = x[idx]
            z = variant.noise(batch, "cpu", generator)
            loss_d = variant.d_loss(real, z, None if y is None else y[idx])
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            variant.after_d_step()
        z = variant.noise(batch, "cpu", generator)
        labels = (
            torch.randint(data.spec.num_classes, (batch,), generator=generator)
            if variant.conditional
            else None
        )
        loss_g = variant.g_loss(z, labels)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        for k, v in {"d_loss": loss_d, "g_loss": loss_g, **variant.logs}.items():
            pending.setdefault(k, []).append(v.detach())
        if step % log_every == 0 or step == steps:
            history["step"].append(step)
            for k, v in pending.items():
                history.setdefault(k, []).append(float(torch.stack(v).float().mean()))
            pending.clear()
    return history
