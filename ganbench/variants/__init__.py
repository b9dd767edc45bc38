"""The built-in zoo: every module in this package registers its variants when imported.
Adding a variant touches one file; nothing keeps a list of variants by hand."""

import importlib
import pkgutil

for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _mod != "base" and not _mod.startswith("_"):
        importlib.import_module(f"{__name__}.{_mod}")
