"""Dataset registry: a name maps to a loader; loaded datasets are cached per process."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from ganbench.core.errors import RegistryError, UnknownNameError
from ganbench.data.base import Dataset

_LOADERS: dict[str, Callable[[], Dataset]] = {}
DEFAULT_DATASETS: list[str] = []  # what `run --all` trains on, where a variant supports it


def register_dataset(name: str, *, default: bool = True):
    def wrap(loader: Callable[[], Dataset]) -> Callable[[], Dataset]:
        if name in _LOADERS:
            raise RegistryError(f"dataset {name!r} is registered twice; pick another name")
        _LOADERS[name] = loader
        if default:
            DEFAULT_DATASETS.append(name)
        return loader

    return wrap


def dataset_names() -> list[str]:
    return list(_LOADERS)


def check_dataset_name(name: str) -> None:
    if name not in _LOADERS:
        raise UnknownNameError(f"unknown dataset {name!r}; choose one of: {', '.join(_LOADERS)}")


@cache
def get_dataset(name: str) -> Dataset:
    check_dataset_name(name)
    return _LOADERS[name]()
