"""Runners for the userland tests: a bundled program, and the GNU tool it imitates.

`run_tool` runs userland/bin/NAME.wasm on wasios (``USERLAND_BACKEND=wasmtime`` runs the
same tests on the reference runtime instead, to tell a program's bug from a kernel's).
"""

from __future__ import annotations

import functools
import os
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

import pytest

BACKEND = os.environ.get("USERLAND_BACKEND", "wasios")  # or "wasmtime", as a reference

# wasmtime refuses proc_exit(n) for n >= 126 (it traps instead); this status stands for that.
EXIT_OUT_OF_RANGE = -1

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / "userland" / "bin"


def big_status(n: int) -> int:
    """The status a test should expect for exit(n): wasmtime cannot report n >= 126."""
    return EXIT_OUT_OF_RANGE if BACKEND == "wasmtime" and n >= 126 else n


class Run(NamedTuple):
    status: int
    stdout: bytes
    stderr: bytes


@functools.cache
def _wasmtime_module(name: str):
    import wasmtime

    engine = _wasmtime_engine()
    return wasmtime.Module.from_file(engine, str(BIN / f"{name}.wasm"))


@functools.cache
def _wasmtime_engine():
    import wasmtime

    return wasmtime.Engine()


def _run_wasmtime(name: str, args: list[str], stdin: bytes, cwd: Path, env: dict[str, str]) -> Run:
    import wasmtime

    engine = _wasmtime_engine()
    module = _wasmtime_module(name)
    with tempfile.TemporaryDirectory() as io:
        io_dir = Path(io)
        (io_dir / "in").write_bytes(stdin)
        wasi = wasmtime.WasiConfig()
        wasi.argv = [name, *args]
        wasi.env = list(env.items())
        wasi.stdin_file = str(io_dir / "in")
        wasi.stdout_file = str(io_dir / "out")
        wasi.stderr_file = str(io_dir / "err")
        wasi.preopen_dir(str(cwd), ".")
        wasi.preopen_dir(str(cwd), "/")
        store = wasmtime.Store(engine)
        store.set_wasi(wasi)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        instance = linker.instantiate(store, module)
        status = 0
        try:
            instance.exports(store)["_start"](store)
        except wasmtime.ExitTrap as e:
            status = e.code
        except wasmtime.Trap:
            status = 134
        except wasmtime.WasmtimeError as e:
            if "invalid exit status" not in str(e):
                raise
            status = EXIT_OUT_OF_RANGE
        del store, instance
        return Run(status, (io_dir / "out").read_bytes(), (io_dir / "err").read_bytes())


def _run_wasios(name: str, args: list[str], stdin: bytes, cwd: Path, env: dict[str, str]) -> Run:
    import wasios

    done = wasios.run(
        BIN / f"{name}.wasm",
        args,
        stdin=stdin,
        env=env,
        dirs={"/": str(cwd)},  # wasi-libc resolves relative paths from its cwd, "/"
        argv0=name,
        timeout=60,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def run_tool(
    name: str,
    args: list[str] | tuple[str, ...] = (),
    *,
    stdin: bytes = b"",
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """Run a bundled program with `cwd` preopened as "." (and "/"); PWD=/ unless env says."""
    env = {"PWD": "/", **(env or {})}
    if cwd is None:
        with tempfile.TemporaryDirectory() as tmp:
            return run_tool(name, args, stdin=stdin, cwd=Path(tmp), env=env)
    runner = _run_wasios if BACKEND == "wasios" else _run_wasmtime
    return runner(name, list(args), stdin, Path(cwd), env)


def run_gnu(
    name: str,
    args: list[str] | tuple[str, ...] = (),
    *,
    stdin: bytes = b"",
    cwd: Path | None = None,
) -> Run:
    """Run the host's GNU tool in the C locale (the only locale WASI programs see)."""
    env = {"LC_ALL": "C", "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TZ": "UTC"}
    res = subprocess.run(
        [name, *args], input=stdin, capture_output=True, cwd=cwd, env=env, timeout=30
    )
    return Run(res.returncode, res.stdout, res.stderr)


@pytest.fixture(autouse=True, scope="session")
def _drop_wasmtime_objects():
    # free wasmtime objects while the library is still loaded (not at interpreter exit)
    yield
    _wasmtime_module.cache_clear()
    _wasmtime_engine.cache_clear()
    import gc

    gc.collect()


@pytest.fixture
def same(tmp_path):
    """Check that the bundled tool and GNU give the same stdout and status in tmp_path."""

    def check(name: str, args=(), stdin: bytes = b"", status: bool = True) -> Run:
        ours = run_tool(name, args, stdin=stdin, cwd=tmp_path)
        gnu = run_gnu(name, args, stdin=stdin, cwd=tmp_path)
        assert ours.stdout == gnu.stdout, (name, args, ours.stderr)
        if status:
            assert ours.status == gnu.status, (name, args, ours.stderr, gnu.stderr)
        return ours

    return check


def run_tool_reader_gone(
    name: str, args: list[str], keep: int, *, stdin: bytes = b"", cwd: Path | None = None
) -> tuple[int, bytes, bytes]:
    """Run NAME with stdout on a pipe whose reader takes `keep` bytes and then closes it.

    This is `NAME ARGS | head -c KEEP` without a kernel: the writer must notice the
    closed pipe (EPIPE; WASI has no SIGPIPE) and end. Returns (status, bytes read,
    stderr); a writer that never ends fails the test after a bounded wait.
    """
    import threading

    import wasmtime

    with tempfile.TemporaryDirectory() as io:
        io_dir = Path(io)
        (io_dir / "in").write_bytes(stdin)
        r, w = os.pipe()
        wasi = wasmtime.WasiConfig()
        wasi.argv = [name, *args]
        wasi.stdin_file = str(io_dir / "in")
        wasi.stdout_file = f"/proc/self/fd/{w}"  # reopens the pipe's write end
        wasi.stderr_file = str(io_dir / "err")
        wasi.preopen_dir(str(cwd or io_dir), ".")
        os.close(w)
        engine = _wasmtime_engine()
        store = wasmtime.Store(engine)
        store.set_wasi(wasi)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        result: list[int] = []

        def body() -> None:
            instance = linker.instantiate(store, _wasmtime_module(name))
            try:
                instance.exports(store)["_start"](store)
                result.append(0)
            except wasmtime.ExitTrap as e:
                result.append(e.code)
            except wasmtime.WasmtimeError as e:
                result.append(EXIT_OUT_OF_RANGE if "invalid exit status" in str(e) else 134)

        thread = threading.Thread(target=body, daemon=True)
        thread.start()
        got = bytearray()
        while len(got) < keep:
            chunk = os.read(r, keep - len(got))
            if not chunk:
                break
            got += chunk
        os.close(r)
        thread.join(timeout=30)
        assert not thread.is_alive(), f"{name} kept running after its reader went away"
        return result[0], bytes(got), (io_dir / "err").read_bytes()
