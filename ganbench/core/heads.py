"""Typed heads: what an evaluator may call on a model, one adapter for every kind of thing that
is scored (a trained variant, with its EMA generator when it keeps one; a plug-in generator or
translator; the real data of a reference row). Each head runs in eval mode without grad.

generate(n)                 -> n samples (a conditional model draws uniform labels itself)
translate(a, mask, z)       -> the target for source batch a (mask: the inpainting hole; z: a
                               style code for multimodal translators, None for their own draw)
translate_back(b)           -> the source for target batch b (two-way translators)
classify(x)                 -> logits (N, K), K the data's classes (SGAN's D, AC-GAN's head)
encode(x) / decode(z)       -> a code the generator maps back: decode(encode(x)) ~ x
fresh(n)                    -> reference rows only: n real samples that neither the training set
                               nor the fidelity reference holds, scored by the families whose
                               reference is the training set (memorization) in place of
                               generate's, which then draws real images from the train split
Metrics see these callables only, never a variant (tests/test_layers.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

Tensor = torch.Tensor


@dataclass(frozen=True)
class Heads:
    generate: Callable[[int], Tensor] | None = None
    translate: Callable[..., Tensor] | None = None
    translate_back: Callable[[Tensor], Tensor] | None = None
    classify: Callable[[Tensor], Tensor] | None = None
    encode: Callable[[Tensor], Tensor] | None = None
    decode: Callable[[Tensor], Tensor] | None = None
    fresh: Callable[[int], Tensor] | None = None

    def typed(self) -> dict[str, Callable[[Tensor], Tensor]]:
        """The heads scored beside the main metrics (ganbench.metrics.heads): classify, and
        encode with decode (as `generate`: z -> x) for reconstructions."""
        out: dict[str, Callable[[Tensor], Tensor]] = {}
        if self.classify is not None:
            out["classify"] = self.classify
        if self.encode is not None and self.decode is not None:
            out["encode"], out["generate"] = self.encode, self.decode
        return out
