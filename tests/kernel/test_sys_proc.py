"""proc_exit and proc_raise."""

from kernel.abi import Errno, Signal
from kernel.file import make_pipe

from .conftest import call, err, ok


async def test_proc_exit_status_and_no_further_calls(kernel, proc):
    assert await ok(proc, "proc_exit", 42) == []
    assert await kernel.wait(proc.pid) == 42
    assert await call(proc, "sched_yield") == (Errno.SRCH, [])


async def test_proc_exit_keeps_large_status(kernel, proc):
    await ok(proc, "proc_exit", 300)
    assert await kernel.wait(proc.pid) == 300  # the CLI decides how a host shows it


async def test_proc_raise_terminating_signal(kernel):
    r, w = make_pipe()
    p = kernel.spawn(["p"], stdio=[None, w, None])
    hooks = []
    p.on_exit.append(hooks.append)
    assert await ok(p, "proc_raise", Signal.ABRT) == []
    assert await kernel.wait(p.pid) == 128 + 6 and hooks == [134]
    assert r.pipe.writers == 0  # fds closed


async def test_proc_raise_ignored_and_none(kernel, proc):
    for sig in (Signal.NONE, Signal.CHLD, Signal.WINCH, Signal.URG, Signal.CONT, Signal.TSTP):
        assert await ok(proc, "proc_raise", sig) == []
    assert proc.running


async def test_proc_raise_bad_signal(proc):
    assert await err(proc, "proc_raise", 31) == Errno.INVAL
