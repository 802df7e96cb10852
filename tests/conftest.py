"""What every test shares: licite's cache (`licite.cache`) in a folder of the test run,
never the user's ~/.cache/licite, for the tests' processes and those they start."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    previous = os.environ.get("LICITE_CACHE_DIR")
    os.environ["LICITE_CACHE_DIR"] = str(tmp_path_factory.mktemp("licite-cache"))
    yield
    if previous is None:
        os.environ.pop("LICITE_CACHE_DIR", None)
    else:
        os.environ["LICITE_CACHE_DIR"] = previous
