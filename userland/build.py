"""Build the bundled userland: every userland/src/NAME.c → userland/bin/NAME.wasm.

One script, fixed flags, no debug info, so the committed .wasm files can be rebuilt
byte for byte and checked against userland/bin/MANIFEST (which records the hash of
every input and output). Usage:

    python userland/build.py [--force] [--check] [--out DIR] [NAME...]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
LIB = SRC / "lib"
BIN = HERE / "bin"
MANIFEST = BIN / "MANIFEST"
# A 1 MiB stack instead of zig's 16 MiB: linear memory is resident in full, so the
# smaller initial memory (17 pages instead of 257) is what a mostly-idle process costs.
FLAGS = ["-target", "wasm32-wasi", "-Os", "-s", "-Ilib", "-Wl,-z,stack-size=1048576"]


def sha256(path: Path) -> str:
    """Hex digest of a file, the unit of every check in the manifest."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def program_names() -> list[str]:
    """Every program is one top-level C file; the name is the file's stem."""
    return sorted(p.stem for p in SRC.glob("*.c"))


def lib_files() -> list[Path]:
    """The shared helper sources linked into (or included by) every program."""
    return sorted(p for p in LIB.iterdir() if p.suffix in (".c", ".h"))


def lib_digest() -> str:
    """One hash over the shared library, so a change to it invalidates every program."""
    h = hashlib.sha256()
    for p in lib_files():
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def compiler_version() -> str:
    """The zig version is part of the manifest: another compiler may give other bytes."""
    out = subprocess.run(
        [sys.executable, "-m", "ziglang", "version"], capture_output=True, text=True, check=True
    )
    return "zig " + out.stdout.strip()


def compile_one(name: str, out_dir: Path) -> Path:
    """Compile one program with the shared library; raises RuntimeError with zig's message."""
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{name}.wasm"
    with tempfile.TemporaryDirectory() as tmp:
        tmp_out = Path(tmp) / f"{name}.wasm"
        lib_c = [f"lib/{p.name}" for p in lib_files() if p.suffix == ".c"]
        cmd = [
            sys.executable,
            "-m",
            "ziglang",
            "cc",
            *FLAGS,
            f"{name}.c",
            *lib_c,
            "-o",
            str(tmp_out),
        ]
        res = subprocess.run(cmd, cwd=SRC, capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(f"{name}: compile failed:\n{res.stderr.strip()}")
        out.write_bytes(tmp_out.read_bytes())
    return out


def load_manifest() -> dict:
    """The manifest as written by the last build, or an empty one."""
    try:
        return json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return {}


def check(manifest: dict, names: list[str]) -> list[str]:
    """Problems that make the committed binaries stale (empty list: up to date)."""
    problems = []
    if manifest.get("flags") != FLAGS:
        problems.append("flags differ from the manifest")
    if manifest.get("lib") != lib_digest():
        problems.append("shared library changed since the last build")
    progs = manifest.get("programs", {})
    for name in names:
        entry = progs.get(name)
        wasm = BIN / f"{name}.wasm"
        if entry is None:
            problems.append(f"{name}: not in the manifest")
        elif entry.get("source") != sha256(SRC / f"{name}.c"):
            problems.append(f"{name}: source changed since the last build")
        elif not wasm.exists() or entry.get("wasm") != sha256(wasm):
            problems.append(f"{name}: {wasm.name} does not match the manifest")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Build what changed (or everything with --force) and rewrite the manifest."""
    ap = argparse.ArgumentParser(prog="build.py", description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="programs to build (default: all)")
    ap.add_argument("--force", action="store_true", help="rebuild even if up to date")
    ap.add_argument("--check", action="store_true", help="only check the manifest; exit 1 if stale")
    ap.add_argument("--out", type=Path, help="build into DIR and leave the manifest alone")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="parallel compiles (default 2)")
    args = ap.parse_args(argv)

    all_names = program_names()
    unknown = [n for n in args.names if n not in all_names]
    if unknown:
        print(f"build.py: no such program: {', '.join(unknown)}", file=sys.stderr)
        return 2
    names = args.names or all_names
    manifest = load_manifest()

    if args.check:
        problems = check(manifest, names)
        for p in problems:
            print(f"build.py: {p}", file=sys.stderr)
        return 1 if problems else 0

    try:
        version = compiler_version()
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"build.py: cannot run ziglang: {e}", file=sys.stderr)
        return 1
    out_dir = args.out or BIN
    lib = lib_digest()
    progs = dict(manifest.get("programs", {})) if args.out is None else {}
    fresh = (
        manifest.get("compiler") == version
        and manifest.get("flags") == FLAGS
        and manifest.get("lib") == lib
    )
    if not fresh and args.out is None:
        names = all_names  # a new compiler, flags or library invalidates every binary
    todo = []
    for name in names:
        entry = progs.get(name)
        wasm = out_dir / f"{name}.wasm"
        if (
            args.force
            or args.out is not None
            or not fresh
            or entry is None
            or entry.get("source") != sha256(SRC / f"{name}.c")
            or not wasm.exists()
            or entry.get("wasm") != sha256(wasm)
        ):
            todo.append(name)

    failed = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(compile_one, n, out_dir): n for n in todo}
        for fut in concurrent.futures.as_completed(futures):
            name = futures[fut]
            try:
                path = fut.result()
            except RuntimeError as e:
                print(f"build.py: {e}", file=sys.stderr)
                failed.append(name)
                progs.pop(name, None)
                continue
            progs[name] = {"source": sha256(SRC / f"{name}.c"), "wasm": sha256(path)}
            print(f"built {path.relative_to(out_dir.parent) if args.out is None else path}")

    if args.out is None:
        # forget programs whose source is gone, and their binaries
        for name in list(progs):
            if name not in all_names:
                progs.pop(name)
                (BIN / f"{name}.wasm").unlink(missing_ok=True)
        new = {
            "compiler": version,
            "flags": FLAGS,
            "lib": lib,
            "programs": dict(sorted(progs.items())),
        }
        MANIFEST.write_text(json.dumps(new, indent=1) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
