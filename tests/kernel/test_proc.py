"""The process table: spawn, exit, kill, wait, stdio, preopens, tenants."""

import pytest
import trio

from kernel.abi import Errno, Filetype, Signal
from kernel.errors import KernelError
from kernel.file import make_pipe
from kernel.proc import Kernel, State

from .conftest import call, ok


async def test_spawn_sets_up_stdio_and_preopens(kernel, proc):
    assert proc.pid == 1 and proc.parent is None and proc.tenant == "default"
    assert proc.argv == ["prog", "arg1"] and proc.environ == ["HOME=/sandbox"]
    assert sorted(proc.fds.entries) == [0, 1, 2, 3]
    assert proc.fds.get(3).preopen == "/sandbox"
    child = kernel.spawn(["child"], parent=proc)
    assert child.pid == 2 and child.parent == 1 and kernel.children(proc) == [child]


async def test_default_stdio_is_empty_input_and_sinks(proc):
    assert await ok(proc, "fd_read", 0, [10]) == [b""]
    assert await ok(proc, "fd_write", 1, [b"gone"]) == [4]
    ftype, *_ = await ok(proc, "fd_fdstat_get", 0)
    assert ftype != Filetype.CHARACTER_DEVICE  # not a terminal


async def test_preopen_must_be_a_directory(kernel):
    f = kernel.namespace.root.create("file", exclusive=True)
    with pytest.raises(KernelError) as exc:
        kernel.spawn(["x"], preopens=[("/file", f)])
    assert exc.value.errno == Errno.NOTDIR


async def test_exit_status_and_wait_reaps(kernel, proc):
    await ok(proc, "proc_exit", 7)
    assert proc.state is State.ZOMBIE
    assert await kernel.wait(proc.pid) == 7
    assert proc.state is State.REAPED and proc.pid not in kernel.procs
    with pytest.raises(KernelError) as exc:
        await kernel.wait(proc.pid)
    assert exc.value.errno == Errno.CHILD


async def test_exit_closes_fds_so_pipe_readers_see_eof(kernel):
    r, w = make_pipe()
    writer = kernel.spawn(["w"], stdio=[None, w, None])
    reader = kernel.spawn(["r"], stdio=[r, None, None])
    await ok(writer, "fd_write", 1, [b"last words"])
    kernel.exit(writer, 0)
    assert await ok(reader, "fd_read", 0, [100]) == [b"last words"]
    assert await ok(reader, "fd_read", 0, [100]) == [b""]


async def test_kill_gives_128_plus_signal_and_cancels_blocked_call(kernel):
    r, w = make_pipe()
    p = kernel.spawn(["sleeper"], stdio=[r, None, None])
    seen = []
    p.on_exit.append(seen.append)
    result = []

    async def blocked():
        result.append(await call(p, "fd_read", 0, [10]))

    async with trio.open_nursery() as n:
        n.start_soon(blocked)
        await trio.testing.wait_all_tasks_blocked()
        kernel.kill(p.pid, Signal.TERM)
    assert result == [(Errno.INTR, [])]
    assert seen == [128 + 15]
    assert await kernel.wait(p.pid) == 143


async def test_kill_errors_and_idempotence(kernel, proc):
    with pytest.raises(KernelError) as exc:
        kernel.kill(999)
    assert exc.value.errno == Errno.SRCH
    with pytest.raises(KernelError) as exc:
        kernel.kill(proc.pid, 0)
    assert exc.value.errno == Errno.INVAL
    kernel.exit(proc, 3)
    kernel.kill(proc.pid)  # already ended: the first status stands
    assert await kernel.wait(proc.pid) == 3


async def test_calls_from_an_ended_process_are_refused(kernel, proc):
    kernel.exit(proc, 0)
    assert await call(proc, "fd_write", 1, [b"x"]) == (Errno.SRCH, [])


async def test_tenant_is_inherited(kernel):
    parent = kernel.spawn(["p"], tenant="alice")
    assert kernel.spawn(["c"], parent=parent).tenant == "alice"
    assert kernel.spawn(["d"], parent=parent, tenant="bob").tenant == "bob"


def test_kernel_builds_outside_trio():
    k = Kernel(deterministic=True)
    assert k.namespace.lookup("/dev/null") is not None


async def test_trap_writes_one_line_and_exits_134(kernel):
    r, w = make_pipe()
    p = kernel.spawn(["t"], stdio=[None, None, w])
    await kernel.trap(p, "wasm trap: integer divide by zero in function 'div'\n")
    assert await kernel.wait(p.pid) == 134
    r.acquire()
    assert await r.read(200) == b"wasm trap: integer divide by zero in function 'div'\n"


async def test_trap_does_not_hang_on_a_full_stderr(autojump_clock, kernel):
    r, w = make_pipe(4096)
    p = kernel.spawn(["t"], stdio=[None, None, w])
    await ok(p, "fd_write", 2, [b"x" * 4096])
    await kernel.trap(p, "trap")
    assert p.exit_status == 134
    assert r  # the reader never read


async def test_spawn_refuses_nul_in_argv_or_environ(kernel):
    for argv, env in ((["a\0b"], {}), (["a"], {"K": "v\0w"})):
        with pytest.raises(KernelError) as exc:
            kernel.spawn(argv, env)
        assert exc.value.errno == Errno.INVAL
