"""Shared fixtures for the VFS tests: a fake clock and a sandbox with a sentinel outside."""

from __future__ import annotations

import pytest


class FakeClock:
    """A clock that moves only when told to (ns since the epoch)."""

    def __init__(self, start: int = 1_000_000_000_000_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, ns: int = 1_000) -> int:
        self.now += ns
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
