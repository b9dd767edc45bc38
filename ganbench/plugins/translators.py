"""Plug-in translators: turn an nn.Module `T(a)` / `T(a, mask)`, a callable `translate(a, mask=None)`
or a factory into (a, mask) -> raw output (adapt_translator), and that into the translate callable
evaluate_translation scores, every call timed out and checked against the output contract
(ganbench/plugins/checks.py). An object with a callable `translate_back(b)` is two-way: its way
back is scored too (the cycle_l1 column)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ganbench.data.base import DataSpec
from ganbench.plugins.checks import check_output
from ganbench.plugins.generators import warn_if_nonnegative
from ganbench.plugins.loading import (
    DEFAULT_TIMEOUT,
    PluginError,
    build_if_factory,
    call_with_timeout,
)

ROLE = "translator"


@dataclass
class AdaptedTranslator:
    raw: Callable[[torch.Tensor, torch.Tensor | None], Any]  # (a, mask) -> what the plug-in returns
    back: Callable[[torch.Tensor], Any] | None  # b -> a, two-way translators only
    kind: str  # "module" or "callable"
    notes: list[str] = field(default_factory=list)


def _mask_style(fn: Any) -> str:
    """How fn takes the mask: "positional" (a second positional input), "keyword" (a keyword-only
    `mask`) or "none" (fn(a) only). A PluginError when fn needs more than (a, mask)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without a signature: the simplest call
        return "none"
    params = list(sig.parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if len(required) > 2 or any(
        p.kind == p.KEYWORD_ONLY and p.default is p.empty and p.name != "mask" for p in params
    ):
        raise PluginError(
            f"{fn!r} needs more inputs than a translator gets; it is called as "
            "translate(a, mask=None) (mask: inpainting datasets only)"
        )
    if len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params):
        return "positional"
    if "mask" in sig.parameters:
        return "keyword"
    if not positional:
        raise PluginError(
            f"{fn!r} takes no input; a translator is called as translate(a, mask=None)"
        )
    return "none"


def adapt_translator(
    obj: Any, spec: DataSpec, device: torch.device, timeout: float | None = DEFAULT_TIMEOUT
) -> AdaptedTranslator:
    """Turn a module, a translate(a, mask=None) callable or a factory into (a, mask) -> output."""
    obj = build_if_factory(
        obj, spec, timeout, ROLE, "an nn.Module or a translate(a, mask=None) callable"
    )
    if isinstance(obj, nn.Module):
        obj = obj.to(device).eval()
        fn, kind = obj, "module"
        style = _mask_style(obj.forward)
    elif callable(obj):
        fn, kind = obj, "callable"
        style = _mask_style(obj)
    else:
        raise PluginError(
            f"the translator is of type {type(obj).__name__}, not something that translates; "
            "export an nn.Module called as T(a) or T(a, mask), a function translate(a, mask=None), "
            "or a factory returning either"
        )

    @torch.no_grad()  # in the calling thread: no_grad is per thread
    def raw(a: torch.Tensor, mask: torch.Tensor | None) -> Any:
        if style == "positional":
            return fn(a, mask)
        if style == "keyword":
            return fn(a, mask=mask)
        return fn(a)

    back_fn = getattr(obj, "translate_back", None)
    back = None
    if callable(back_fn):

        @torch.no_grad()
        def back(b: torch.Tensor) -> Any:
            return back_fn(b)

    how = {"positional": "called with (a, mask)", "keyword": "mask=", "none": "called as (a)"}
    notes = [f"{'nn.Module' if kind == 'module' else 'callable'}, {how[style]}"]
    if back is not None:
        notes.append("two-way (translate_back)")
    if spec.relation == "inpainting" and style == "none":
        notes.append("takes no mask: the hole is only visible as the source's fill")
    return AdaptedTranslator(raw, back, kind, notes)


def make_checked_translator(
    adapted: AdaptedTranslator, spec: DataSpec, timeout: float | None, label: str
) -> tuple[Callable[..., torch.Tensor], Callable[[torch.Tensor], torch.Tensor] | None]:
    """(translate(a, mask=None), translate_back(b) or None) for evaluate_translation: each call
    timed out, its output checked (float32 on the CPU, in [-1, 1])."""
    warned: list[bool] = []

    def translate(a: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        n = len(a)
        x = call_with_timeout(
            adapted.raw, timeout, f"{label} translating n={n}", a, mask, role=ROLE
        )
        x = check_output(x, n, spec, label, ROLE)
        warn_if_nonnegative(x, label, warned)
        return x

    if adapted.back is None:
        return translate, None
    source_shape = tuple(spec.source_shape or spec.shape)

    def back(b: torch.Tensor) -> torch.Tensor:
        n = len(b)
        what = f"{label} translate_back n={n}"
        x = call_with_timeout(adapted.back, timeout, what, b, role=ROLE)
        return check_output(x, n, spec, f"{label} translate_back", ROLE, source_shape)

    return translate, back
