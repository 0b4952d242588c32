"""Failure paths no family file covered (found by test_table_coverage.py).

The args/environ rows and proc_exit have no way to fail for a well-formed call from a
live process, so their failures are the dispatcher's: a malformed message is `INVAL` and
a process that has ended gets `SRCH`, with nothing changed.
"""

from kernel.abi import Errno

from .conftest import call, err, ok


async def test_args_and_environ_reject_arguments(kernel):
    p = kernel.spawn(["prog", "a"], {"K": "v"})
    # each row spelt out: the coverage meta-test counts literal names only
    assert await err(p, "args_get", 0) == Errno.INVAL
    assert await err(p, "args_sizes_get", 0) == Errno.INVAL
    assert await err(p, "environ_get", 0) == Errno.INVAL
    assert await err(p, "environ_sizes_get", 0) == Errno.INVAL
    assert await ok(p, "args_get") == [[b"prog", b"a"]]  # unchanged by the bad calls
    assert await ok(p, "environ_get") == [[b"K=v"]]


async def test_args_and_environ_of_an_ended_process_are_srch(kernel):
    p = kernel.spawn(["prog"], {"K": "v"})
    await ok(p, "proc_exit", 0)
    assert await call(p, "args_get") == (Errno.SRCH, [])
    assert await call(p, "args_sizes_get") == (Errno.SRCH, [])
    assert await call(p, "environ_get") == (Errno.SRCH, [])
    assert await call(p, "environ_sizes_get") == (Errno.SRCH, [])


async def test_proc_exit_out_of_range_is_inval_and_the_process_lives(kernel, proc):
    for bad in ([2**32], [-1], ["0"], [], [0, 0]):
        assert await err(proc, "proc_exit", *bad) == Errno.INVAL, bad
    assert proc.running and proc.exit_status is None
    assert await ok(proc, "proc_exit", 7) == []
    assert await kernel.wait(proc.pid) == 7


async def test_a_second_proc_exit_is_srch_and_the_first_status_stays(kernel, proc):
    await ok(proc, "proc_exit", 3)
    assert await call(proc, "proc_exit", 4) == (Errno.SRCH, [])
    assert await kernel.wait(proc.pid) == 3
