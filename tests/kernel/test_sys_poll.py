"""poll_oneoff over clocks and fds, and sched_yield."""

import trio

from kernel.abi import Clockid, Errno, Eventrwflags, Eventtype, Oflags, Rights
from kernel.file import make_pipe

from .conftest import call, err, ok, open_file

CLOCK, READ, WRITE = Eventtype.CLOCK, Eventtype.FD_READ, Eventtype.FD_WRITE
HUP = Eventrwflags.FD_READWRITE_HANGUP
ABS = 1


def clock_sub(userdata, timeout_ns, clock_id=Clockid.MONOTONIC, flags=0):
    return [userdata, CLOCK, clock_id, timeout_ns, 0, flags]


async def mono(proc):
    return (await ok(proc, "clock_time_get", Clockid.MONOTONIC, 0))[0]


async def test_relative_clock_sleeps_exactly(autojump_clock, proc):
    t0 = await mono(proc)
    assert await ok(proc, "poll_oneoff", [clock_sub(9, 1_500_000_000)]) == [[[9, 0, CLOCK, 0, 0]]]
    assert await mono(proc) - t0 == 1_500_000_000


async def test_absolute_clocks(autojump_clock, proc):
    t0 = await mono(proc)
    await ok(proc, "poll_oneoff", [clock_sub(1, t0 + 2_000_000_000, flags=ABS)])
    assert await mono(proc) - t0 == 2_000_000_000
    (now,) = await ok(proc, "clock_time_get", Clockid.REALTIME, 0)
    t1 = await mono(proc)
    await ok(proc, "poll_oneoff", [clock_sub(2, now + 500_000_000, Clockid.REALTIME, ABS)])
    assert await mono(proc) - t1 == 500_000_000
    # a deadline in the past fires at once
    assert await ok(proc, "poll_oneoff", [clock_sub(3, 0, flags=ABS)]) == [[[3, 0, CLOCK, 0, 0]]]


async def test_earliest_clock_wins(autojump_clock, proc):
    (events,) = await ok(proc, "poll_oneoff", [clock_sub(1, 5 * 10**9), clock_sub(2, 10**9)])
    assert events == [[2, 0, CLOCK, 0, 0]]


async def test_poll_argument_errors(proc):
    assert await err(proc, "poll_oneoff", []) == Errno.INVAL
    assert await err(proc, "poll_oneoff", [[1, 7, 0]]) == Errno.INVAL
    # malformed clock subscriptions fail the whole call, as in wasmtime
    assert await err(proc, "poll_oneoff", [clock_sub(4, 0, clock_id=9)]) == Errno.INVAL
    assert await err(proc, "poll_oneoff", [clock_sub(5, 0, flags=2)]) == Errno.INVAL
    cpu_abs = clock_sub(6, 0, Clockid.PROCESS_CPUTIME_ID, ABS)
    assert await err(proc, "poll_oneoff", [cpu_abs]) == Errno.NOTSUP


async def test_bad_fds_fail_the_call(proc):
    assert await err(proc, "poll_oneoff", [[1, READ, 99], clock_sub(2, 0)]) == Errno.BADF
    _, _, base, inh = await ok(proc, "fd_fdstat_get", 0)
    await ok(proc, "fd_fdstat_set_rights", 0, base & ~Rights.POLL_FD_READWRITE, inh)
    assert await err(proc, "poll_oneoff", [[2, READ, 0], clock_sub(3, 0)]) == Errno.NOTCAPABLE


async def test_pipe_read_readiness_nbytes_and_wakeup(autojump_clock, kernel):
    r, w = make_pipe()
    p = kernel.spawn(["p"], stdio=[r, None, None])
    writer = kernel.spawn(["w"], stdio=[None, w, None])
    # nothing to read: the clock fires
    (events,) = await ok(p, "poll_oneoff", [[1, READ, 0], clock_sub(2, 10**9)])
    assert events == [[2, 0, CLOCK, 0, 0]]
    result = []

    async def poller():
        result.append(await ok(p, "poll_oneoff", [[1, READ, 0], clock_sub(2, 10**12)]))

    async with trio.open_nursery() as n:
        n.start_soon(poller)
        await trio.testing.wait_all_tasks_blocked()
        await ok(writer, "fd_write", 1, [b"12345"])
    assert result == [[[[1, 0, READ, 5, 0]]]]
    # writer gone: ready with hangup (data still counted)
    kernel.exit(writer, 0)
    (events,) = await ok(p, "poll_oneoff", [[1, READ, 0]])
    assert events == [[1, 0, READ, 5, HUP]]


async def test_pipe_write_readiness_and_hangup(kernel):
    r, w = make_pipe()
    p = kernel.spawn(["p"], stdio=[None, w, None])
    reader = kernel.spawn(["r"], stdio=[r, None, None])
    (events,) = await ok(p, "poll_oneoff", [[7, WRITE, 1]])
    assert events == [[7, 0, WRITE, 65536, 0]]
    kernel.exit(reader, 0)
    (events,) = await ok(p, "poll_oneoff", [[7, WRITE, 1]])
    assert events == [[7, 0, WRITE, 0, HUP]]
    (events,) = await ok(p, "poll_oneoff", [[8, READ, 1]])  # wrong direction
    assert events == [[8, Errno.BADF, READ, 0, 0]]


async def test_files_are_always_ready_with_remaining_bytes(proc):
    fd = await open_file(proc, "f", Oflags.CREAT)
    await ok(proc, "fd_write", fd, [b"0123456789"])
    await ok(proc, "fd_seek", fd, 4, 0)
    (events,) = await ok(proc, "poll_oneoff", [[1, READ, fd], [2, WRITE, fd], [3, READ, 3]])
    assert events == [[1, 0, READ, 6, 0], [2, 0, WRITE, 0, 0], [3, 0, READ, 0, 0]]


async def test_every_ready_event_is_returned(autojump_clock, kernel):
    r, w = make_pipe()
    p = kernel.spawn(["p"], stdio=[r, w, None])
    await ok(p, "fd_write", 1, [b"x"])
    (events,) = await ok(p, "poll_oneoff", [[1, READ, 0], [2, WRITE, 1], clock_sub(3, 0)])
    assert sorted(e[0] for e in events) == [1, 2, 3]


async def test_killed_while_polling(autojump_clock, kernel):
    p = kernel.spawn(["p"])
    got = []

    async def poller():
        got.append(await call(p, "poll_oneoff", [clock_sub(1, 10**15)]))

    async with trio.open_nursery() as n:
        n.start_soon(poller)
        await trio.testing.wait_all_tasks_blocked()
        kernel.kill(p.pid)
    assert got == [(Errno.INTR, [])]


async def test_sched_yield(proc):
    assert await ok(proc, "sched_yield") == []
