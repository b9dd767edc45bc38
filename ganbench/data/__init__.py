"""Datasets: every one works offline. `get_dataset(name)` returns ready tensors."""

from ganbench.data.base import Dataset, DataSpec, Mixture
from ganbench.data.registry import (
    DEFAULT_DATASETS,
    dataset_names,
    get_dataset,
    register_dataset,
)

# Importing the modules registers their datasets.
from ganbench.data import mixtures as _mixtures  # noqa: F401,E402  isort: skip
from ganbench.data import mnist as _mnist  # noqa: F401,E402  isort: skip
from ganbench.data import stacked_mnist as _stacked_mnist  # noqa: F401,E402  isort: skip
from ganbench.data import padded as _padded  # noqa: F401,E402  isort: skip
from ganbench.data import translation as _translation  # noqa: F401,E402  isort: skip
from ganbench.data import fashion as _fashion  # noqa: F401,E402  isort: skip

__all__ = [
    "DEFAULT_DATASETS",
    "DataSpec",
    "Dataset",
    "Mixture",
    "dataset_names",
    "get_dataset",
    "register_dataset",
]
