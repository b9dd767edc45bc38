"""Dataset registry: a name maps to a loader; loaded datasets are cached per process.

Besides the bundled names: datasets registered by installed packages through the entry-point
group `ganbench.datasets` (an entry point is a module whose import calls `register_dataset`, or a
loader `() -> Dataset` registered under the entry point's name), loaded on the first name not
found, so spawned workers (`--jobs N`) find them as the parent did; and your own data
(`folder:PATH`, `npz:PATH`, `torchvision:NAME:ROOT`: ganbench.data.sources), resolved once by
`resolve_dataset_name` into a name safe in file names and found by that name in any process."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from ganbench.core.errors import RegistryError, UnknownNameError
from ganbench.data.base import Dataset

_LOADERS: dict[str, Callable[[], Dataset]] = {}
DEFAULT_DATASETS: list[str] = []  # what `run --all` trains on, where a variant supports it
ENTRY_POINT_GROUP = "ganbench.datasets"
_plugins_loaded = False


def register_dataset(name: str, *, default: bool = True):
    def wrap(loader: Callable[[], Dataset]) -> Callable[[], Dataset]:
        if name in _LOADERS:
            raise RegistryError(f"dataset {name!r} is registered twice; pick another name")
        _LOADERS[name] = loader
        if default:
            DEFAULT_DATASETS.append(name)
        return loader

    return wrap


def load_dataset_plugins() -> None:
    """Import every `ganbench.datasets` entry point once (a broken one is a RegistryError)."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _LOADERS:
            continue
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plug-in must not take the bundled sets down
            raise RegistryError(
                f"dataset plug-in entry point {ep.name!r} ({ep.value}) failed to import: {exc}; "
                "fix or uninstall that package"
            ) from exc
        if ep.name not in _LOADERS and callable(obj) and not isinstance(obj, type):
            register_dataset(ep.name, default=False)(obj)


def dataset_names() -> list[str]:
    load_dataset_plugins()
    return list(_LOADERS)


def _find(name: str) -> bool:
    """Whether `name` is known here, after plug-ins and the recorded user sources are tried."""
    if name in _LOADERS:
        return True
    load_dataset_plugins()
    if name in _LOADERS:
        return True
    from ganbench.data.sources import load_record

    src = load_record(name)
    if src is not None and src.name == name:
        _register_source(src)
        return True
    return False


def check_dataset_name(name: str) -> None:
    if not _find(name):
        from ganbench.data.sources import is_source_text

        hint = (
            "; resolve it first (ganbench.data.registry.resolve_dataset_name)"
            if is_source_text(name) else ", or folder:PATH, npz:PATH[:KEY], torchvision:NAME:ROOT"
        )
        raise UnknownNameError(
            f"unknown dataset {name!r}; choose one of: {', '.join(_LOADERS)}{hint}"
        )


def _register_source(src) -> str:
    from ganbench.data.sources import load_source

    if src.name not in _LOADERS:
        _LOADERS[src.name] = lambda: load_source(src)
    return src.name


def resolve_dataset_name(
    text: str, resolution: int | None = None, download: bool = False, check: bool = True
) -> str:
    """The dataset name for `--dataset` text: a registered name as it is; `folder:` / `npz:` /
    `torchvision:` sources registered under their slug (recorded for other processes) and
    loaded once here when `check`, so that a bad source is a usage error before anything runs."""
    from ganbench.data.sources import is_source_text, parse_source

    if not is_source_text(text):
        if resolution is not None:
            raise UnknownNameError(
                f"--resolution applies to your own data (folder:, npz:, torchvision:), not to the "
                f"bundled dataset {text!r}; leave it out"
            )
        check_dataset_name(text)
        return text
    return register_source(parse_source(text, resolution, download), check)


def register_source(src, check: bool = True) -> str:
    """Register a ganbench.data.sources.Source under its name (loaded now when `check`) and
    record it for other processes; returns the name."""
    from ganbench.data.sources import save_record

    name = _register_source(src)
    if check:
        get_dataset(name)  # decode (or read the cache) now: errors before anything is written
    save_record(src)
    return name


@cache
def get_dataset(name: str) -> Dataset:
    check_dataset_name(name)
    return _LOADERS[name]()
