"""Hyper-parameters set from the command line (`--hp key=value`): parsed, checked against the
variant's known hyper-parameters, written canonically into every row, and hashed into the run
folder so that differently-configured runs never share a folder (a resume never mixes them)."""

from __future__ import annotations

import ast
import hashlib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ganbench.core.errors import GanbenchError

HP = tuple[tuple[str, Any], ...]  # sorted (key, value) pairs: hashable, for frozen RunSpecs


class HyperParameterError(GanbenchError, ValueError):
    """Also a ValueError: building a variant with a bad keyword is a value error in Python too."""


def parse_value(text: str) -> Any:
    """A Python literal (`0.1`, `(0.5, 0.9)`, `True`, `'x'`) or, failing that, the bare string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_hp(items: Iterable[str] | None) -> dict[str, Any]:
    """`["gp_weight=0.1", "d_betas=(0.5,0.9)"]` -> {"gp_weight": 0.1, "d_betas": (0.5, 0.9)}."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or not value.strip():
            raise HyperParameterError(
                f"--hp expects key=value (e.g. --hp gp_weight=0.1), got {item!r}"
            )
        if key in out:
            raise HyperParameterError(f"--hp {key} given twice; give each key once")
        out[key] = parse_value(value.strip())
    return out


@dataclass(frozen=True)
class Rule:
    """What values a hyper-parameter takes, where its default alone does not say (a default of
    None, a fixed set of choices, a bound): `ok(value)` and the words for the error message."""

    ok: Callable[[Any], bool]
    expects: str  # "a positive number", "one of 'adam', 'sgd'"


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def positive_number() -> Rule:
    return Rule(lambda v: _number(v) and v > 0, "a positive number (e.g. 0.0002)")


def positive_int() -> Rule:
    return Rule(
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
        "a positive integer (e.g. 1)",
    )


def non_negative_number() -> Rule:
    return Rule(lambda v: _number(v) and v >= 0, "a number >= 0")


def betas() -> Rule:
    return Rule(
        lambda v: isinstance(v, tuple | list)
        and len(v) == 2
        and all(_number(b) and 0 <= b < 1 for b in v),
        "two numbers in [0, 1) (e.g. (0.5, 0.999))",
    )


def fraction() -> Rule:
    return Rule(lambda v: _number(v) and 0 < v <= 1, "a number in (0, 1]")


def dropout_rate() -> Rule:
    return Rule(lambda v: _number(v) and 0 <= v < 1, "a number in [0, 1)")


def optional(rule: Rule) -> Rule:
    """The rule, or None (the setting off)."""
    return Rule(lambda v: v is None or rule.ok(v), f"{rule.expects}, or None")


def one_of(*choices: Any) -> Rule:
    return Rule(lambda v: v in choices, "one of " + ", ".join(map(repr, choices)))


def _compatible(default: Any, value: Any) -> bool:
    if default is None:  # "what the data / the class call for": any value of a plain type
        return isinstance(value, int | float | str | bool | tuple | list)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(default, tuple | list):
        return isinstance(value, tuple | list) and len(value) == len(default)
    return isinstance(value, type(default))


def check_hp(
    variant: str,
    known: Mapping[str, Any],
    hp: Mapping[str, Any],
    rules: Mapping[str, Rule] | None = None,
) -> None:
    """Raise a one-line error naming the known keys when `hp` has an unknown key, or naming what
    the key takes when a value breaks its rule (`rules`) or is not of its default's type."""
    unknown = sorted(set(hp) - set(known))
    if unknown:
        raise HyperParameterError(
            f"variant {variant!r} has no hyper-parameter {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(known))}"
        )
    for k, v in hp.items():
        rule = (rules or {}).get(k)
        if rule is not None:
            if not rule.ok(v):
                raise HyperParameterError(
                    f"variant {variant!r}: --hp {k}={v!r} is not valid; {k} takes {rule.expects}"
                )
            continue
        if not _compatible(known[k], v):
            raise HyperParameterError(
                f"variant {variant!r}: --hp {k}={v!r} does not match its default {known[k]!r}; "
                "give a value of the same kind"
            )


def freeze(hp: Mapping[str, Any]) -> HP:
    """Sorted, hashable form; lists become tuples."""
    return tuple(
        sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in hp.items())
    )


def hp_text(hp: Mapping[str, Any] | HP) -> str:
    """Canonical text of the overrides, `""` for the defaults: `d_betas=(0.5, 0.9) gp_weight=0.1`."""
    items = hp.items() if isinstance(hp, Mapping) else hp
    return " ".join(f"{k}={v!r}" for k, v in sorted(items))


def hp_key(hp: Mapping[str, Any] | HP | str) -> str:
    """Short stable key for the run folder (from pairs or the canonical text); `""` for the
    defaults."""
    text = hp if isinstance(hp, str) else hp_text(hp)
    return hashlib.sha256(text.encode()).hexdigest()[:8] if text else ""


def run_leaf(seed: int, hp: Mapping[str, Any] | HP | str = "") -> str:
    """The run folder's last part: `seed<k>`, or `seed<k>-hp<key>` for overridden hyper-parameters
    (`hp` as pairs, or as the row's canonical `hp` text)."""
    key = hp_key(hp)
    return f"seed{int(seed)}" + (f"-hp{key}" if key else "")
