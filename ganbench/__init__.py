"""ganbench: train every classic GAN variant under fixed seeds and budgets, score them the same way."""

from ganbench.core.version import __version__  # noqa: E402, F401
from ganbench.registry import get_variant, list_variants, register  # noqa: E402

__all__ = ["__version__", "get_variant", "list_variants", "register"]
