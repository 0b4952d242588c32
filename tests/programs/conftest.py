"""Running the C test programs under wasmtime (the reference) and under wasios, alike.

Both runners take the same arguments and answer ``(status, stdout, stderr)``. The host
directory is preopened as `GUEST_DIR` in both, argv[0] is the module's file name in both,
and stdin is always a byte string (empty unless given), so that any difference in the
transcripts is a difference between the runtimes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import wasmtime

HERE = Path(__file__).resolve().parent
GUEST_DIR = "/work"  # the programs chdir here (transcript.h: WORKDIR)
TRAP_STATUS = 134  # wasmtime's status for a trap, which wasios follows
TIMEOUT = 120.0

_engine: wasmtime.Engine | None = None
_modules: dict[Path, wasmtime.Module] = {}


def _module(wasm: Path) -> tuple[wasmtime.Engine, wasmtime.Module]:
    global _engine
    if _engine is None:
        _engine = wasmtime.Engine()
    wasm = Path(wasm).resolve()
    if wasm not in _modules:
        _modules[wasm] = wasmtime.Module.from_file(_engine, str(wasm))
    return _engine, _modules[wasm]


def run_wasmtime(
    wasm: str | os.PathLike[str],
    args: Sequence[str] = (),
    stdin: bytes = b"",
    env: Mapping[str, str] | None = None,
    dir: str | os.PathLike[str] | None = None,
) -> tuple[int, bytes, bytes]:
    """Run ``wasm`` under wasmtime's WASI with ``dir`` preopened as `GUEST_DIR`.

    Status as the wasmtime CLI reports it: 0 when ``_start`` returns, proc_exit's value,
    134 for a trap.
    """
    engine, module = _module(Path(wasm))
    with tempfile.TemporaryDirectory(prefix="wasmtime-io-") as io:
        fin, fout, ferr = (os.path.join(io, n) for n in ("stdin", "stdout", "stderr"))
        Path(fin).write_bytes(stdin)
        config = wasmtime.WasiConfig()
        config.argv = [Path(wasm).name, *args]
        config.env = sorted((env or {}).items())
        config.stdin_file = fin
        config.stdout_file = fout
        config.stderr_file = ferr
        if dir is not None:
            config.preopen_dir(str(dir), GUEST_DIR)
        store = wasmtime.Store(engine)
        store.set_wasi(config)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        status = 0
        try:
            instance = linker.instantiate(store, module)
            instance.exports(store)["_start"](store)
        except wasmtime.ExitTrap as exc:
            status = exc.code
        except (wasmtime.Trap, wasmtime.WasmtimeError):  # a trap, or a call it refuses
            status = TRAP_STATUS
        del store  # closes the files wasmtime holds
        return status, Path(fout).read_bytes(), Path(ferr).read_bytes()


def run_wasios(
    wasm: str | os.PathLike[str],
    args: Sequence[str] = (),
    stdin: bytes = b"",
    env: Mapping[str, str] | None = None,
    dir: str | os.PathLike[str] | None = None,
) -> tuple[int, bytes, bytes]:
    """The same run under ``wasios.run`` (the embedding API of issue 4)."""
    import wasios

    done = wasios.run(
        str(wasm),
        list(args),
        stdin=stdin,
        env=dict(env or {}),
        dirs={} if dir is None else {GUEST_DIR: str(dir)},
        timeout=TIMEOUT,
        argv0=Path(wasm).name,
    )
    return done.returncode, done.stdout, done.stderr


def tree(root: str | os.PathLike[str]) -> dict[str, tuple]:
    """What a program left behind: kinds, sizes, contents and link targets, not times or modes."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = ("link", os.readlink(p))
            elif os.path.isdir(p):
                out[rel] = ("dir",)
            elif os.path.isfile(p):
                data = Path(p).read_bytes()
                out[rel] = ("file", len(data), hashlib.sha256(data).hexdigest())
            else:
                out[rel] = ("other",)
    return out


def seed(root: Path) -> None:
    """The files every run starts with: the programs read, stat and rename these."""
    (root / "input.txt").write_bytes(b"alpha\nbeta\ngamma\n")
    (root / "sub").mkdir()
    (root / "sub" / "inner.txt").write_bytes(b"inner file\n")
    (root / "empty").mkdir()
