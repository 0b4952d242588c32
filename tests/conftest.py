"""Suite-wide fixtures: the tests never touch the user's real wasios cache."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory):
    # Set for the whole run; CLI subprocesses inherit it through the environment.
    path = tmp_path_factory.mktemp("wasios-cache")
    os.chmod(path, 0o700)
    old = os.environ.get("WASIOS_CACHE_DIR")
    os.environ["WASIOS_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("WASIOS_CACHE_DIR", None)
    else:
        os.environ["WASIOS_CACHE_DIR"] = old
