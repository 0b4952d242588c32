"""A writer whose reader is gone must stop (EPIPE → status 141, no message).

With the kernel runner this is `yes | head -3`; until then the reader is the test
itself, on a real host pipe that it closes (see run_tool_reader_gone).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from .conftest import BIN, EXIT_OUT_OF_RANGE, run_tool_reader_gone

# run_tool_reader_gone always uses wasmtime, which traps on proc_exit(141)
# ("invalid exit status"); the kernel tests below see the real 141.
EPIPE_STATUS = EXIT_OUT_OF_RANGE
BIG = b"".join(b"line %d\n" % i for i in range(40000))


@pytest.mark.parametrize(
    "args,expect",
    [([], b"y\ny\ny\n"), (["a", "b"], b"a b\na b\n"), ([""], b"\n\n\n")],
)
def test_yes_stops_when_reader_goes(args, expect):
    status, got, err = run_tool_reader_gone("yes", args, len(expect))
    assert got == expect
    assert status == EPIPE_STATUS
    assert err == b""


@pytest.mark.parametrize(
    "name,args",
    [
        ("cat", []),
        ("cat", ["-n"]),
        ("tee", []),
        ("head", ["-n", "100000"]),
        ("tail", ["-n", "+1"]),
        ("sort", []),
        ("grep", ["line"]),
        ("tr", ["a-z", "A-Z"]),
        ("cut", ["-c", "1-"]),
        ("od", []),
        ("hexdump", ["-C"]),
        ("seq", ["1000000"]),
        ("uniq", []),
    ],
)
def test_writers_stop_when_reader_goes(name, args):
    status, got, err = run_tool_reader_gone(name, args, 10, stdin=BIG)
    assert len(got) == 10
    assert status == EPIPE_STATUS
    assert err == b""


async def _pipeline(first: list[str], second: list[str], stdin: bytes = b"") -> tuple:
    """first | second through a kernel pipe; returns (status1, status2, stdout2, stderr1)."""
    import trio

    import wasios

    async with wasios.System() as system:
        r, w = system.pipe()
        p1 = await system.spawn(
            BIN / f"{first[0]}.wasm",
            first[1:],
            argv0=first[0],
            stdin=stdin,
            stdout=w,
            stderr=wasios.PIPE,
        )
        p2 = await system.spawn(
            BIN / f"{second[0]}.wasm", second[1:], argv0=second[0], stdin=r, stdout=wasios.PIPE
        )
        with trio.fail_after(60):  # a writer that ignores EPIPE would hang here
            out, _ = await p2.communicate()
            _, err1 = await p1.communicate()
        return p1.returncode, p2.returncode, out, err1


@pytest.mark.parametrize(
    "first,second,expect",
    [
        (["yes"], ["head", "-3"], b"y\ny\ny\n"),
        (["seq", "1000000"], ["head", "-n", "2"], b"1\n2\n"),
        (["cat"], ["head", "-c", "5"], b"line "),
    ],
)
async def test_pipeline_through_kernel(first, second, expect):
    """`yes | head -3` on the wasios kernel: head ends, yes gets EPIPE and exits 141."""
    s1, s2, out, err1 = await _pipeline(first, second, stdin=BIG)
    assert out == expect
    assert s2 == 0
    assert s1 == 141
    assert err1 == b""


@pytest.mark.parametrize(
    "name,args,line,expect",
    [
        ("cat", [], b"abc\n", b"abc\n"),
        ("cat", ["-n"], b"abc\n", b"     1\tabc\n"),
        ("tr", ["a-z", "A-Z"], b"abc\n", b"ABC\n"),
        ("grep", ["b"], b"abc\n", b"abc\n"),
        ("cut", ["-c2"], b"abc\n", b"b\n"),
        ("head", ["-n", "5"], b"abc\n", b"abc\n"),
        ("tee", [], b"abc\n", b"abc\n"),
    ],
)
def test_filters_answer_before_input_ends(name, args, line, expect):
    """A filter must show its output for a line before it waits for the next one."""
    import os
    import select
    import threading

    import wasmtime

    from .conftest import _wasmtime_engine, _wasmtime_module

    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    wasi = wasmtime.WasiConfig()
    wasi.argv = [name, *args]
    wasi.stdin_file = f"/proc/self/fd/{in_r}"
    wasi.stdout_file = f"/proc/self/fd/{out_w}"
    os.close(in_r)
    os.close(out_w)
    engine = _wasmtime_engine()
    store = wasmtime.Store(engine)
    store.set_wasi(wasi)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()

    def body() -> None:
        instance = linker.instantiate(store, _wasmtime_module(name))
        try:
            instance.exports(store)["_start"](store)
        except wasmtime.ExitTrap:
            pass

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    try:
        os.write(in_w, line)
        got = b""
        while len(got) < len(expect):
            ready, _, _ = select.select([out_r], [], [], 30)
            assert ready, f"{name} held back its output while waiting for input"
            chunk = os.read(out_r, 4096)
            if not chunk:
                break
            got += chunk
        assert got == expect
    finally:
        os.close(in_w)
        thread.join(timeout=30)
        os.close(out_r)
    assert not thread.is_alive()


@pytest.mark.parametrize("name,args", [("echo", ["hi"]), ("cat", []), ("seq", ["3"]), ("yes", [])])
def test_other_write_errors_are_reported(name, args):
    """A full disk is not a closed pipe: a message and status 1."""
    import wasmtime

    from .conftest import _wasmtime_engine, _wasmtime_module

    with tempfile.TemporaryDirectory() as io:
        (Path(io) / "in").write_bytes(b"data\n")
        wasi = wasmtime.WasiConfig()
        wasi.argv = [name, *args]
        wasi.stdin_file = str(Path(io) / "in")
        wasi.stdout_file = "/dev/full"
        wasi.stderr_file = str(Path(io) / "err")
        store = wasmtime.Store(_wasmtime_engine())
        store.set_wasi(wasi)
        linker = wasmtime.Linker(_wasmtime_engine())
        linker.define_wasi()
        instance = linker.instantiate(store, _wasmtime_module(name))
        with pytest.raises(wasmtime.ExitTrap) as exc:
            instance.exports(store)["_start"](store)
        assert exc.value.code == 1
        assert (
            Path(io) / "err"
        ).read_bytes() == f"{name}: write error: No space left on device\n".encode()
