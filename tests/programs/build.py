"""Rebuild the C test programs: tests/programs/NAME.c → NAME.wasm, and their MANIFEST.json.

The .wasm files are committed so that the tests need no compiler; the manifest records
the hash of every input (the source, the shared header, the flags, the compiler version)
and of the output, and a test checks it, so a source edited without a rebuild is caught.
Flags are fixed and debug info is stripped: a rebuild gives the same bytes.

    python tests/programs/build.py            # rebuild what changed
    python tests/programs/build.py --force    # rebuild everything
    python tests/programs/build.py --check    # rebuild into a temp dir, compare, change nothing
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "MANIFEST.json"
HEADERS = ["transcript.h"]
FLAGS = ["-target", "wasm32-wasi", "-O2", "-s"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def programs() -> list[str]:
    """Every top-level C file is one program, named by its stem."""
    return sorted(p.stem for p in HERE.glob("*.c"))


def input_digest(name: str) -> str:
    """One hash over everything that decides the output except the compiler itself."""
    h = hashlib.sha256()
    for part in [f"{name}.c", *HEADERS]:
        h.update(part.encode() + b"\0" + (HERE / part).read_bytes() + b"\0")
    h.update(" ".join(FLAGS).encode())
    return h.hexdigest()


def compiler_version() -> str:
    """Part of the manifest: another zig may give other bytes from the same source."""
    out = subprocess.run(
        [sys.executable, "-m", "ziglang", "version"], capture_output=True, text=True, check=True
    )
    return "zig " + out.stdout.strip()


def compile_one(name: str, out: Path) -> None:
    """Compile one program; a compiler error is reported as one line plus its output."""
    cmd = [sys.executable, "-m", "ziglang", "cc", *FLAGS, f"{name}.c", "-o", str(out)]
    done = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"build.py: {name}.c does not compile:\n{done.stderr.strip()}")


def load_manifest() -> dict:
    try:
        return json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return {}


def build(force: bool = False) -> list[str]:
    """Rebuild the programs whose inputs changed; rewrite the manifest. → names rebuilt."""
    old = load_manifest()
    zig = compiler_version()
    entries = {}
    rebuilt = []
    for name in programs():
        wasm = HERE / f"{name}.wasm"
        digest = input_digest(name)
        prev = old.get("programs", {}).get(name, {})
        fresh = (
            not force
            and old.get("compiler") == zig
            and prev.get("inputs") == digest
            and wasm.exists()
            and sha256(wasm.read_bytes()) == prev.get("wasm")
        )
        if not fresh:
            compile_one(name, wasm)
            rebuilt.append(name)
        entries[name] = {"inputs": digest, "wasm": sha256(wasm.read_bytes())}
    manifest = {"compiler": zig, "flags": FLAGS, "programs": entries}
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return rebuilt


def check() -> list[str]:
    """Rebuild every program into a temp dir; → the names whose bytes differ from the committed."""
    differ = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in programs():
            out = Path(tmp) / f"{name}.wasm"
            compile_one(name, out)
            committed = HERE / f"{name}.wasm"
            if not committed.exists() or committed.read_bytes() != out.read_bytes():
                differ.append(name)
    return differ


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true", help="rebuild every program")
    ap.add_argument("--check", action="store_true", help="verify the committed .wasm files")
    opts = ap.parse_args(argv)
    if opts.check:
        differ = check()
        for name in differ:
            print(f"build.py: {name}.wasm is not what {name}.c builds to", file=sys.stderr)
        return 1 if differ else 0
    for name in build(opts.force):
        print(f"built {name}.wasm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
