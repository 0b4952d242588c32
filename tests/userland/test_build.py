"""The committed userland/bin/*.wasm files are built from the committed sources."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "userland"
SRC, BIN = ROOT / "src", ROOT / "bin"
MANIFEST = json.loads((BIN / "MANIFEST").read_text())


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_manifest_lists_every_program():
    assert sorted(MANIFEST["programs"]) == sorted(p.stem for p in SRC.glob("*.c"))
    assert sorted(p.stem for p in BIN.glob("*.wasm")) == sorted(MANIFEST["programs"])


@pytest.mark.parametrize("name", sorted(p.stem for p in SRC.glob("*.c")))
def test_binary_matches_its_source(name):
    entry = MANIFEST["programs"][name]
    assert entry["source"] == digest((SRC / f"{name}.c").read_bytes()), (
        f"{name}.c changed: run python userland/build.py"
    )
    assert entry["wasm"] == digest((BIN / f"{name}.wasm").read_bytes()), (
        f"{name}.wasm is not the one the manifest records: run python userland/build.py"
    )


def test_shared_library_unchanged():
    h = hashlib.sha256()
    for p in sorted(q for q in (SRC / "lib").iterdir() if q.suffix in (".c", ".h")):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    assert MANIFEST["lib"] == h.hexdigest(), (
        "userland/src/lib changed: run python userland/build.py"
    )


def test_build_check_agrees():
    res = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--check"], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr


def test_flags_strip_debug_info():
    assert "-s" in MANIFEST["flags"]
    for wasm in BIN.glob("*.wasm"):
        assert b".debug_" not in wasm.read_bytes(), wasm.name


def test_rebuild_is_byte_identical(tmp_path):
    version = subprocess.run(
        [sys.executable, "-m", "ziglang", "version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert MANIFEST["compiler"] == f"zig {version}", "installed zig differs from the manifest's"
    res = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--out", str(tmp_path), "true"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "true.wasm").read_bytes() == (BIN / "true.wasm").read_bytes()


def test_unknown_program_is_a_clear_error():
    res = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--check", "nosuch"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2
    assert res.stderr == "build.py: no such program: nosuch\n"
