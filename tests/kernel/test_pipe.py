"""kernel/pipe.py and its file ends: bounded buffer, EOF, PIPE, atomicity, blocking."""

import pytest
import trio

from kernel.abi import Errno, Fdflags
from kernel.errors import KernelError
from kernel.file import make_pipe
from kernel.pipe import PIPE_BUF, Pipe


def ends(capacity=PIPE_BUF * 2):
    r, w = make_pipe(capacity)
    r.acquire()
    w.acquire()
    return r, w


def test_capacity_below_pipe_buf_is_refused():
    with pytest.raises(ValueError):
        Pipe(100)


async def test_read_returns_what_is_there_and_eof_after_writers_go():
    r, w = ends()
    assert await w.write(b"hello") == 5
    assert await r.read(3) == b"hel"
    assert await r.read(100) == b"lo"
    w.release()
    assert await r.read(10) == b""  # EOF
    assert await r.read(0) == b""


async def test_write_without_readers_is_pipe():
    r, w = ends()
    r.release()
    with pytest.raises(KernelError) as exc:
        await w.write(b"x")
    assert exc.value.errno == Errno.PIPE


async def test_empty_pipe_blocks_reader_until_data():
    r, w = ends()
    got = []

    async def reader():
        got.append(await r.read(100))

    async with trio.open_nursery() as n:
        n.start_soon(reader)
        await trio.testing.wait_all_tasks_blocked()
        assert got == []
        await w.write(b"data")
    assert got == [b"data"]


async def test_empty_pipe_reader_wakes_at_eof():
    r, w = ends()
    got = []

    async def reader():
        got.append(await r.read(100))

    async with trio.open_nursery() as n:
        n.start_soon(reader)
        await trio.testing.wait_all_tasks_blocked()
        w.release()
    assert got == [b""]


async def test_nonblocking_ends_get_again():
    r, w = ends()
    r.fdflags = Fdflags.NONBLOCK
    w.fdflags = Fdflags.NONBLOCK
    with pytest.raises(KernelError) as exc:
        await r.read(1)
    assert exc.value.errno == Errno.AGAIN
    assert await w.write(b"a" * (PIPE_BUF * 2 + 10)) == PIPE_BUF * 2  # partial: what fits
    with pytest.raises(KernelError) as exc:
        await w.write(b"b")
    assert exc.value.errno == Errno.AGAIN


async def test_small_writes_are_atomic():
    r, w = ends()
    w.fdflags = Fdflags.NONBLOCK
    await w.write(b"x" * (PIPE_BUF * 2 - 10))
    with pytest.raises(KernelError) as exc:  # 20 bytes do not fit in 10: nothing written
        await w.write(b"y" * 20)
    assert exc.value.errno == Errno.AGAIN
    assert len(r.pipe.buf) == PIPE_BUF * 2 - 10


async def test_full_pipe_blocks_writer_until_reader_drains():
    r, w = ends()
    big = bytes(range(256)) * 64  # 16 KiB into an 8 KiB pipe
    received = bytearray()
    result = []

    async def writer():
        result.append(await w.write(big))
        w.release()

    async with trio.open_nursery() as n:
        n.start_soon(writer)
        await trio.testing.wait_all_tasks_blocked()
        assert result == []  # parked on a full pipe
        while chunk := await r.read(3000):
            received += chunk
    assert result == [len(big)] and bytes(received) == big


async def test_blocked_writer_sees_pipe_when_readers_vanish():
    r, w = ends()
    await w.write(b"z" * (PIPE_BUF * 2))
    outcome = []

    async def writer():
        try:
            await w.write(b"more")
        except KernelError as exc:
            outcome.append(exc.errno)

    async with trio.open_nursery() as n:
        n.start_soon(writer)
        await trio.testing.wait_all_tasks_blocked()
        r.release()
    assert outcome == [Errno.PIPE]


async def test_large_blocking_write_reports_partial_count_when_readers_vanish():
    r, w = ends()
    result = []

    async def writer():
        result.append(await w.write(b"q" * (PIPE_BUF * 3)))

    async with trio.open_nursery() as n:
        n.start_soon(writer)
        await trio.testing.wait_all_tasks_blocked()
        r.release()
    assert result == [PIPE_BUF * 2]


def test_readiness():
    p = Pipe(PIPE_BUF)
    p.open_reader()
    p.open_writer()
    assert p.read_ready() == (False, 0, False)
    assert p.write_ready() == (True, PIPE_BUF, False)
    p.try_write(b"abc")
    assert p.read_ready() == (True, 3, False)
    assert p.write_ready()[0] is False  # less than PIPE_BUF free
    p.close_writer()
    assert p.read_ready() == (True, 3, True)
    p.close_reader()
    assert p.write_ready() == (True, 0, True)


def test_discard_drops_buffered_bytes_and_wakes_writers():
    from kernel.pipe import Pipe

    p = Pipe()
    p.open_reader()
    p.open_writer()
    assert p.try_write(b"x" * p.capacity) == p.capacity
    assert p.try_write(b"y") is None  # full
    p.discard()
    assert p.free == p.capacity and p.try_write(b"y") == 1
    assert p.try_read(10) == b"y"
