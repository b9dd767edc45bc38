"""The variant registry, as the layers above the variants reach it (ganbench.variants.registry:
`@register` beside each class, entry-point discovery of plug-ins)."""

from ganbench.variants.registry import (
    CAPABILITIES,
    ENTRY_POINT_GROUP,
    RESERVED_NAMES,
    VariantInfo,
    get_variant,
    list_variants,
    load_builtin_and_plugins,
    register,
    unregister,
)

__all__ = [
    "CAPABILITIES",
    "ENTRY_POINT_GROUP",
    "RESERVED_NAMES",
    "VariantInfo",
    "get_variant",
    "list_variants",
    "load_builtin_and_plugins",
    "register",
    "unregister",
]
