"""The kernel's side of workers: batching of credit writes, call numbering, the pool."""

from __future__ import annotations

from kernel import syscalls
from kernel.abi import CUSTOM_BASE, PREVIEW1, UNSTABLE, UNSTABLE_BASE, call_number
from kernel.pipe import PIPE_BUF
from kernel.workers import WorkerPool, _coalesce, row_of


def test_coalesce_keeps_each_write_whole_and_chunks_small():
    batch = [[1, [b"a", b"b"]], [1, [b"c"]], [2, [b"x"]], [1, [b"d"]]]
    assert _coalesce(batch) == [(1, b"abc"), (2, b"x"), (1, b"d")]
    big = b"z" * (PIPE_BUF + 1)
    small = b"s" * (PIPE_BUF - 10)
    out = _coalesce([[1, [small]], [1, [b"0123456789"]], [1, [b"!"]], [1, [big]]])
    assert out == [(1, small + b"0123456789"), (1, b"!"), (1, big)]
    assert all(len(d) <= PIPE_BUF for _, d in out[:2])


def test_call_numbers_name_rows():
    n = call_number(PREVIEW1, "fd_read")
    assert row_of(n, [])[1].name == "fd_read"
    u = call_number(UNSTABLE, "fd_seek")
    assert u >= UNSTABLE_BASE and row_of(u, []) == (UNSTABLE, syscalls.TABLE["fd_seek"])
    assert call_number(UNSTABLE, "sock_accept") is None
    assert row_of(CUSTOM_BASE, []) is None
    row = syscalls.custom("host", "probe", lambda ctx: None)
    try:
        assert row_of(CUSTOM_BASE, [row]) == ("host", row)
    finally:
        syscalls.unregister("host", "probe")


def test_pool_keeps_warm_workers_and_retires_extras():
    pool = WorkerPool(idle=1)
    try:
        w = pool.take()
        assert len(pool.idle) == 1 and w not in pool.idle
        pool.give_back(w)
        assert w in pool.idle
        extra = pool.start()
        pool.give_back(extra)  # more than idle + 1: retired
        assert extra not in pool.idle and extra.dead
        assert extra.popen.wait(timeout=30) == 0  # it saw its control socket close
    finally:
        pool.shutdown()
