"""The environment a command-line run gives its programs (wasmtime's flags)."""

from __future__ import annotations

import os
from collections.abc import Iterable


def environment(inherit: bool, items: Iterable[str]) -> dict[str, str]:
    """``--inherit-env``, then each ``--env K=V`` (or ``--env K``: K's value on the host)
    in order; a malformed item is a ValueError with a one-line message."""
    env = dict(os.environ) if inherit else {}
    for item in items:
        key, sep, value = item.partition("=")
        if not key:
            raise ValueError(f"--env {item!r}: expected KEY=VALUE or KEY")
        if sep:
            env[key] = value
        elif key in os.environ:
            env[key] = os.environ[key]
    return env
