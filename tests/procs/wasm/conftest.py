"""Shared fixtures for engine tests: building C programs to WASI with ziglang (cached)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SHARED_BENCH = REPO.parent / "shared" / "bench"
CACHE = Path(os.environ.get("WASIOS_TEST_CACHE", Path.home() / ".cache" / "wasios-tests"))


def build_c(source: Path, flags: tuple[str, ...] = ("-O2",)) -> bytes:
    """Compile a C file to wasm32-wasi with ziglang; cached by source and flags."""
    text = source.read_bytes()
    key = hashlib.sha256(text + repr(flags).encode()).hexdigest()[:24]
    out = CACHE / f"{source.stem}-{key}.wasm"
    if not out.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".tmp{os.getpid()}")
        subprocess.run(
            [sys.executable, "-m", "ziglang", "cc", "-target", "wasm32-wasi", *flags, "-s",
             str(source), "-o", str(tmp)],
            check=True,
            capture_output=True,
        )  # fmt: skip
        tmp.replace(out)
    return out.read_bytes()


@pytest.fixture(scope="session")
def bench_wasm():
    """name -> wasm bytes of each program in ../shared/bench/c."""
    return {p.stem: build_c(p) for p in sorted((SHARED_BENCH / "c").glob("*.c"))}
