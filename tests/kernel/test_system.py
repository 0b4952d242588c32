"""Wasm processes end to end: kernel, worker OS processes, channels, stdio, exit statuses."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest
import trio

from kernel import syscalls
from kernel.system import PIPE, DirSpec, System, parse_dirs

from . import programs as P

LIMIT = 60  # seconds: generous bounds on a shared machine; a hang fails, a slow run does not


async def test_hello_stdout_and_exit_status():
    with trio.fail_after(LIMIT):
        async with System() as system:
            r = await system.run(P.HELLO, ["x"])
    assert (r.returncode, r.stdout, r.stderr) == (3, b"hello world\n", b"")
    assert r.args == ["module", "x"]


async def test_stdin_bytes_larger_than_a_pipe_round_trip():
    data = bytes(range(256)) * 1000  # 256 KB: more than the pipe holds
    with trio.fail_after(LIMIT):
        async with System() as system:
            r = await system.run(P.CAT, stdin=data)
    assert r.returncode == 0
    assert r.stdout == data


async def test_two_processes_through_a_kernel_pipe():
    with trio.fail_after(LIMIT):
        async with System() as system:
            rd, wr = system.pipe()
            a = await system.spawn(P.HELLO, stdout=wr, stderr=PIPE)
            b = await system.spawn(P.CAT, stdin=rd, stdout=PIPE, stderr=PIPE)
            out, _ = await b.communicate()
            assert await a.wait() == 3
            assert await b.wait() == 0
    assert out == b"hello world\n"


async def test_a_writer_whose_reader_is_gone_stops():
    """`yes | head`: the reader exits, the writer's next writes fail with PIPE."""
    with trio.fail_after(LIMIT):
        async with System() as system:
            rd, wr = system.pipe()
            yes = await system.spawn(P.YES, stdout=wr, stderr=PIPE)
            head = await system.spawn(P.HEAD_ONCE, stdin=rd, stdout=PIPE, stderr=PIPE)
            out, _ = await head.communicate()
            assert await yes.wait() == 141
    assert out == b"y\n" * 8


async def test_trap_is_134_with_one_line_naming_the_function():
    with trio.fail_after(LIMIT):
        async with System() as system:
            r = await system.run(P.TRAP)
    assert r.returncode == 134
    line = r.stderr.decode()
    assert line.count("\n") == 1 and "unreachable" in line and "boom" in line


@pytest.mark.parametrize(
    "module, message",
    [
        (P.UNKNOWN_IMPORT, "unknown import: `env::__original_main` has not been defined"),
        (P.NO_MEMORY_EXPORT, "missing required memory export"),
        (b"\0asm\x01\0\0\0\x01", "unexpected end"),
    ],
    ids=["unknown-import", "no-memory-export", "malformed"],
)
async def test_a_module_that_cannot_start_says_why_in_one_line(module, message):
    with trio.fail_after(LIMIT):
        async with System() as system:
            r = await system.run(module)
    assert r.returncode == 1
    assert message in r.stderr.decode()
    assert r.stderr.decode().count("\n") == 1


async def test_kill_gives_128_plus_signal():
    with trio.fail_after(LIMIT):
        async with System() as system:
            p = await system.spawn(P.SPIN, stdout=PIPE, stderr=PIPE)
            await trio.sleep(0.05)
            p.kill(signal.SIGTERM)
            assert await p.wait() == 128 + signal.SIGTERM


async def test_timeout_kills_and_raises():
    with trio.fail_after(LIMIT):
        async with System() as system:
            with pytest.raises(subprocess.TimeoutExpired):
                await system.run(P.SPIN, timeout=0.2)


async def test_a_dead_worker_ends_its_process_and_the_pipeline_goes_on():
    """SIGKILL the worker OS process of the first stage: it ends with 137, the next stage
    reads EOF and finishes normally, the kernel carries on."""
    with trio.fail_after(LIMIT):
        async with System() as system:
            rd, wr = system.pipe()
            spin = await system.spawn(P.SPIN, stdout=wr, stderr=PIPE)
            cat = await system.spawn(P.CAT, stdin=rd, stdout=PIPE, stderr=PIPE)
            worker = system.host.workers[spin.pid]
            os.kill(worker.popen.pid, signal.SIGKILL)
            assert await spin.wait() == 128 + signal.SIGKILL
            out, _ = await cat.communicate()
            assert cat.returncode == 0 and out == b""
            r = await system.run(P.HELLO)  # the kernel still serves new processes
            assert r.returncode == 3


async def test_several_processes_in_one_worker_are_killed_one_by_one():
    with trio.fail_after(LIMIT):
        async with System(procs_per_worker=4) as system:
            a = await system.spawn(P.SPIN, stdout=PIPE, stderr=PIPE)
            b = await system.spawn(P.SPIN, stdout=PIPE, stderr=PIPE)
            assert system.host.workers[a.pid] is system.host.workers[b.pid]
            a.kill()
            assert await a.wait() == 137
            assert b.returncode is None
            r = await system.run(P.HELLO)  # the shared worker still runs others
            assert r.returncode == 3
            b.kill()
            assert await b.wait() == 137


async def test_custom_syscall_reads_a_string_and_writes_memory():
    seen = []

    async def greet(ctx, name, n):
        seen.append((ctx.pid, name, n))
        ctx.write(200, b"hi " + name.encode())
        return 3 + len(name)

    syscalls.custom("host", "greet", greet, ["string", "i32"], ["i32"])
    wat = b"""(module
      (import "host" "greet" (func $g (param i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (data (i32.const 100) "wasm")
      (func (export "_start")
        (i32.store (i32.const 4) (call $g (i32.const 100) (i32.const 4) (i32.const -5)))
        (i32.store (i32.const 0) (i32.const 200))
        (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"""
    try:
        with trio.fail_after(LIMIT):
            async with System() as system:
                r = await system.run(wat)
    finally:
        syscalls.unregister("host", "greet")
    assert (r.returncode, r.stdout) == (0, b"hi wasm")
    assert seen == [(1, "wasm", -5)]


async def test_custom_syscall_failure_traps_the_guest():
    def broken(ctx):
        raise RuntimeError("no input today")

    syscalls.custom("host", "get_input", broken)
    wat = b"""(module (import "host" "get_input" (func $g))
      (memory (export "memory") 1) (func (export "_start") (call $g)))"""
    try:
        with trio.fail_after(LIMIT):
            async with System() as system:
                r = await system.run(wat)
    finally:
        syscalls.unregister("host", "get_input")
    assert r.returncode == 134
    assert "no input today" in r.stderr.decode()


async def test_tcplisten_hands_a_host_socket_to_the_guest():
    with trio.fail_after(LIMIT):
        async with System(tcplisten=["127.0.0.1:0"]) as system:
            listener = system.listeners[0]
            port = int(listener.address.rsplit(":", 1)[1])
            server = await system.spawn(P.ECHO_SERVER, stdout=PIPE, stderr=PIPE)
            client = await trio.open_tcp_stream("127.0.0.1", port)
            await client.send_all(b"ping")
            assert await client.receive_some(100) == b"ping"
            await client.send_eof()
            assert await server.wait() == 0
            await client.aclose()


async def test_host_directory_is_preopened(tmp_path):
    (tmp_path / "f.txt").write_bytes(b"data")
    spec = DirSpec.parse(f"{tmp_path}::/sandbox:ro")
    assert spec == DirSpec(str(tmp_path), "/sandbox", True)
    async with System(dirs=[f"{tmp_path}::/sandbox:ro"]) as system:
        p = await system.spawn(P.HELLO, stdout=PIPE, stderr=PIPE)
        entry = p.proc.fds.entries[3]
        assert entry.preopen == "/sandbox"
        await p.wait()


def test_dir_specs(tmp_path):
    assert DirSpec.parse("/a/b") == DirSpec("/a/b", "/a/b", False)
    assert DirSpec.parse(".::/w") == DirSpec(".", "/w", False)
    assert DirSpec.parse("x:ro").readonly
    assert parse_dirs({"/g": str(tmp_path)}) == [DirSpec(str(tmp_path), "/g")]
    assert parse_dirs([f"{tmp_path}::/g:ro"]) == [DirSpec(str(tmp_path), "/g", True)]
    with pytest.raises(ValueError):
        DirSpec.parse("::/g")
    with pytest.raises(NotADirectoryError):
        parse_dirs({"/g": str(tmp_path / "missing")})


async def test_output_before_a_long_computation_is_not_held_back():
    """Writes under credit wait in a batch for at most a few milliseconds."""
    with trio.fail_after(LIMIT):
        async with System() as system:
            p = await system.spawn(P.PRINT_THEN_SPIN, stdout=PIPE, stderr=PIPE)
            while p._out[1] != b"started\n" * 2:
                await trio.sleep(0.01)
            assert p.returncode is None  # still computing
            p.kill()
            assert await p.wait() == 137


async def test_cpu_time_is_reported_at_exit():
    with trio.fail_after(LIMIT):
        async with System() as system:
            p = await system.spawn(P.HELLO, stdout=PIPE, stderr=PIPE)
            assert await p.wait() == 3
            assert p.proc.cpu_time_ns is not None and p.proc.cpu_time_ns > 0


async def test_a_snapshot_0_program_runs():
    wat = b"""(module
      (import "wasi_unstable" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (import "wasi_unstable" "fd_seek" (func $seek (param i32 i64 i32 i32) (result i32)))
      (import "wasi_unstable" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "old\\n")
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 4))
        (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        ;; whence 3 exists in neither numbering: inval; a pipe cannot seek: spipe
        (call $exit (i32.add (i32.mul (call $seek (i32.const 1) (i64.const 0) (i32.const 3)
                                                  (i32.const 32)) (i32.const 100))
                             (call $seek (i32.const 1) (i64.const 0) (i32.const 0)
                                         (i32.const 32))))))"""
    with trio.fail_after(LIMIT):
        async with System() as system:
            r = await system.run(wat)
    assert r.stdout == b"old\n"
    assert r.returncode == 28 * 100 + 70  # INVAL, then SPIPE (statuses are not cut to 8 bits)
