import os

import pytest
import torch

# pytest -n 2 runs two workers on two cores: more threads per worker only oversubscribes them.
torch.set_num_threads(1)

# Tests use their own feature/statistics cache so a user's cache never changes a result.
os.environ.setdefault(
    "GANBENCH_CACHE", os.path.join(os.path.dirname(__file__), "..", ".pytest_cache", "ganbench")
)


@pytest.fixture
def tmp_out(tmp_path):
    return tmp_path / "out"
