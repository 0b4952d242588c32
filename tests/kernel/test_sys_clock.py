"""Clocks: deterministic start, advancing with trio's (mock) clock; CPU time; errors."""

import trio

from kernel.abi import Clockid, Errno
from kernel.sys_clock import DETERMINISTIC_START_NS, KernelClock

from .conftest import err, ok


async def test_deterministic_realtime_starts_fixed_and_advances(autojump_clock, proc):
    (t0,) = await ok(proc, "clock_time_get", Clockid.REALTIME, 0)
    assert t0 == DETERMINISTIC_START_NS
    (m0,) = await ok(proc, "clock_time_get", Clockid.MONOTONIC, 1000)
    await trio.sleep(2.5)
    (t1,) = await ok(proc, "clock_time_get", Clockid.REALTIME, 0)
    (m1,) = await ok(proc, "clock_time_get", Clockid.MONOTONIC, 0)
    assert t1 - t0 == m1 - m0 == 2_500_000_000


async def test_cpu_time_clocks(autojump_clock, proc):
    await trio.sleep(1)
    (pt,) = await ok(proc, "clock_time_get", Clockid.PROCESS_CPUTIME_ID, 0)
    assert pt == 1_000_000_000  # time since spawn until the worker reports
    proc.cpu_time_ns = 1234
    assert await ok(proc, "clock_time_get", Clockid.THREAD_CPUTIME_ID, 0) == [1234]


async def test_resolution(proc):
    for cid in Clockid:
        (res,) = await ok(proc, "clock_res_get", cid)
        assert res >= 1


async def test_unknown_clock_is_inval(proc):
    assert await err(proc, "clock_time_get", 4, 0) == Errno.INVAL
    assert await err(proc, "clock_res_get", 99) == Errno.INVAL


async def test_host_realtime_when_not_deterministic():
    import time

    clock = KernelClock()
    assert abs(clock.realtime_ns() - time.time_ns()) < 10**9
