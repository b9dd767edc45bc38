"""Variant registry: `@register("wgan-gp", family=..., paper=...)` beside the class, one way in.

User packages add variants through the entry-point group `ganbench.variants` (each entry point is a
module or object whose import calls `register`) or by calling `ganbench.register` at import.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from importlib.metadata import entry_points

from ganbench.core.errors import RegistryError, UnknownNameError
from ganbench.results.references import RESERVED_NAMES

# What a variant can train on: 2-D points, images, labelled data, two coupled domains, and
# translation data (a source image -> a target image; which relations, the class's `relations`).
CAPABILITIES = frozenset({"points", "image", "labels", "two-domain", "translation"})
ENTRY_POINT_GROUP = "ganbench.variants"
# Names of the reference rows (ganbench/harness/reference.py): real data and the classical translation
# baselines; no variant may take them.


@dataclass(frozen=True)
class VariantInfo:
    name: str
    cls: type
    family: str
    paper: str
    conditional: bool
    supports: frozenset[str]
    external: bool = False  # registered by a user package
    datasets: tuple[str, ...] = ()  # where `run` trains it when no --dataset is given ("" = preset's)

    def supports_data(self, kind: str, num_classes: int, relation: str = "") -> bool:
        if kind not in self.supports:
            return False
        if kind == "translation":
            return relation in getattr(self.cls, "relations", ())
        return not (self.conditional and num_classes == 0)


_REGISTRY: dict[str, VariantInfo] = {}


def register(
    name: str,
    *,
    family: str,
    paper: str,
    conditional: bool = False,
    supports: tuple[str, ...] = ("points", "image"),
    external: bool = False,
    datasets: tuple[str, ...] = (),
):
    """Class decorator: register a variant under `name` with its metadata."""
    unknown = set(supports) - CAPABILITIES
    if unknown:
        raise RegistryError(
            f"variant {name!r} declares unknown capabilities {sorted(unknown)}; "
            f"use only: {', '.join(sorted(CAPABILITIES))}"
        )
    if not supports:
        raise RegistryError(f"variant {name!r} supports nothing; declare 'points' and/or 'image'")

    def wrap(cls: type) -> type:
        if name in RESERVED_NAMES:
            raise RegistryError(
                f"variant name {name!r} is reserved for a reference row ({', '.join(RESERVED_NAMES)}"
                "); choose another name"
            )
        if name in _REGISTRY:
            raise RegistryError(
                f"variant name {name!r} is already registered by {_REGISTRY[name].cls.__module__}; "
                "choose another name"
            )
        _REGISTRY[name] = VariantInfo(
            name, cls, family, paper, conditional, frozenset(supports), external, tuple(datasets)
        )
        cls.name = name
        cls.conditional = conditional
        return cls

    return wrap


def unregister(name: str) -> None:
    """Remove a variant (for tests and for users replacing a variant of their own)."""
    _REGISTRY.pop(name, None)


_plugins_loaded = False


def load_builtin_and_plugins() -> None:
    """Import the built-in zoo, then every module named in the `ganbench.variants` entry points."""
    global _plugins_loaded
    import ganbench.variants  # noqa: F401  registers the built-in zoo

    if _plugins_loaded:
        return
    _plugins_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception as exc:  # a broken plug-in must not take the zoo down
            raise RegistryError(
                f"plug-in entry point {ep.name!r} ({ep.value}) failed to import: {exc}; "
                "fix or uninstall that package"
            ) from exc


def get_variant(name: str) -> VariantInfo:
    load_builtin_and_plugins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown variant {name!r}; `ganbench list` shows the registered ones"
        ) from None


def list_variants(pattern: str = "*") -> list[VariantInfo]:
    load_builtin_and_plugins()
    return [info for name, info in sorted(_REGISTRY.items()) if fnmatch.fnmatch(name, pattern)]
