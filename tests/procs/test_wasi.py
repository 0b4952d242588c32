"""The generated WASI stubs: what they read from guest memory, send, and write back.

A fake channel stands in for the kernel: each test checks the plain values the stub
sent, the bytes it wrote into memory, and the errno the guest got — including FAULT
for pointers outside memory, which must never reach the kernel.
"""

from __future__ import annotations

import struct
from types import SimpleNamespace
from typing import Any

import pytest

from kernel import abi
from kernel.abi import CREDIT, MSG_REVOKE, MSG_WRITES, PREVIEW1, UNSTABLE, Errno
from kernel.syscalls import TABLE
from procs import wasi
from procs.wasi import Guest, ProcExit, build_stub

PAGE = 65536


class FakeChannel:
    def __init__(self, replies: list[list[Any]] | None = None) -> None:
        self.replies = list(replies or [])
        self.calls: list[tuple[str, int, list[Any]]] = []
        self.revoked: dict[int, int] = {}
        self.pending: list[list[Any]] = []

    def call(self, number: int, args: list[Any]) -> list[Any]:
        self.calls.append(("call", number, args))
        return self.replies.pop(0)

    def send_nowait(self, number: int, args: list[Any]) -> None:
        self.calls.append(("send", number, args))

    def send(self, msg: list[Any]) -> None:
        self.calls.append(("raw", msg[0], msg[1]))

    def poll_revoked(self) -> dict[int, int]:
        for msg in self.pending:
            assert msg[0] == MSG_REVOKE
            self.revoked[msg[1]] = msg[2]
        self.pending.clear()
        return self.revoked


def inst(size: int = PAGE) -> SimpleNamespace:
    return SimpleNamespace(mems=[SimpleNamespace(data=bytearray(size))])


def stub(name: str, replies: list[list[Any]], module: str = PREVIEW1):
    chan = FakeChannel(replies)
    return build_stub(Guest(chan), module, name), chan  # type: ignore[arg-type]


def num(name: str, module: str = PREVIEW1) -> int:
    n = abi.call_number(module, name)
    assert n is not None
    return n


def u32(mem: bytearray, at: int) -> int:
    return struct.unpack_from("<I", mem, at)[0]


def test_every_call_has_a_stub_in_both_modules():
    for sig in abi.SIGNATURES:
        for module in (PREVIEW1, UNSTABLE):
            if abi.call_number(module, sig.name) is None:
                continue
            f = build_stub(Guest(FakeChannel()), module, sig.name)  # type: ignore[arg-type]
            assert callable(f), sig.name


def test_the_wire_matches_the_kernel_table():
    for name, row in TABLE.items():
        sends, returns = abi.WIRE[name]
        assert " ".join(f"{n}:{s}" for n, s in row.params) == sends
        assert " ".join(f"{n}:{s}" for n, s in row.results) == returns


def test_fd_write_gathers_iovecs_and_writes_nwritten():
    f, chan = stub("fd_write", [[0, [5]]])
    i = inst()
    mem = i.mems[0].data
    mem[100:103], mem[200:202] = b"abc", b"de"
    struct.pack_into("<IIII", mem, 0, 100, 3, 200, 2)
    assert f(i, 1, 0, 2, 50) == 0
    assert chan.calls == [("call", num("fd_write"), [1, [b"abc", b"de"]])]
    assert u32(mem, 50) == 5


def test_fd_write_under_credit_is_batched_and_sees_a_revocation():
    chan = FakeChannel([[0, [1], CREDIT], [int(Errno.BADF), []]])
    guest = Guest(chan)  # type: ignore[arg-type]
    f = build_stub(guest, PREVIEW1, "fd_write")
    i = inst()
    mem = i.mems[0].data
    mem[100:102] = b"xy"
    struct.pack_into("<IIII", mem, 0, 100, 1, 101, 1)
    assert f(i, 1, 0, 1, 50) == 0  # granted credit
    assert f(i, 1, 0, 1, 50) == 0  # queued, no reply awaited
    assert f(i, 2, 8, 1, 50) == Errno.BADF  # fd 2 has no credit: a call, after the batch
    assert chan.calls[0] == ("call", num("fd_write"), [1, [b"x"]])
    assert chan.calls[1][0] == "raw"  # the queued write went out before the next call
    assert chan.calls[1][1:] == (MSG_WRITES, [[1, [b"x"]]])
    assert chan.calls[2] == ("call", num("fd_write"), [2, [b"y"]])
    chan.calls.clear()
    assert f(i, 1, 8, 1, 50) == 0 and u32(mem, 50) == 1
    assert chan.calls == []  # still waiting in the batch
    guest.flush()
    assert chan.calls == [("raw", MSG_WRITES, [[1, [b"y"]]])]
    chan.pending.append([MSG_REVOKE, 1, int(Errno.PIPE)])
    chan.poll_revoked()
    assert f(i, 1, 0, 1, 50) == Errno.PIPE  # an earlier write failed: this one says so
    chan.replies.append([int(Errno.PIPE), []])
    assert f(i, 1, 0, 1, 50) == Errno.PIPE  # credit gone: asks the kernel again
    assert chan.calls[-1][0] == "call"


@pytest.mark.parametrize(
    "iovs, count, nwritten",
    [(PAGE - 4, 1, 0), (0, 1, PAGE - 2), (0, 1 << 29, 0)],
    ids=["iovec-array-out", "nwritten-out", "huge-count"],
)
def test_fd_write_fault_never_reaches_the_kernel(iovs, count, nwritten):
    f, chan = stub("fd_write", [])
    assert f(inst(), 1, iovs, count, nwritten) == Errno.FAULT
    assert chan.calls == []


def test_fd_write_fault_for_a_buffer_outside_memory():
    f, chan = stub("fd_write", [])
    i = inst()
    struct.pack_into("<II", i.mems[0].data, 0, PAGE - 1, 2)
    assert f(i, 1, 0, 1, 8) == Errno.FAULT
    assert chan.calls == []


def test_fd_read_scatters_into_iovecs():
    f, chan = stub("fd_read", [[0, [b"hello"]]])
    i = inst()
    mem = i.mems[0].data
    struct.pack_into("<IIII", mem, 0, 100, 2, 200, 10)
    assert f(i, 0, 0, 2, 50) == 0
    assert chan.calls == [("call", num("fd_read"), [0, [2, 10]])]
    assert mem[100:102] == b"he" and mem[200:203] == b"llo"
    assert u32(mem, 50) == 5


def test_read_lengths_are_capped():
    f, chan = stub("fd_read", [[0, [b""]]])
    i = inst(4 * PAGE)
    struct.pack_into("<II", i.mems[0].data, 0, 100, 3 * PAGE)
    wasi_max = abi.MAX_IO
    assert f(i, 0, 0, 1, 50) == 0
    assert chan.calls[0][2][1] == [min(3 * PAGE, wasi_max)]


def test_path_is_read_by_its_len_parameter():
    f, chan = stub("path_open", [[0, [7]]])
    i = inst()
    mem = i.mems[0].data
    mem[300:307] = b"dir/a.x"
    assert f(i, 3, 1, 300, 7, 9, 0xFF, 0xEE, 4, 60) == 0
    assert chan.calls == [("call", num("path_open"), [3, 1, b"dir/a.x", 9, 0xFF, 0xEE, 4])]
    assert u32(mem, 60) == 7


def test_errno_is_returned_and_nothing_written():
    f, chan = stub("path_open", [[int(Errno.NOENT), []]])
    i = inst()
    i.mems[0].data[60:64] = b"\xaa" * 4
    assert f(i, 3, 0, 300, 1, 0, 0, 0, 0, 60) == Errno.NOENT
    assert i.mems[0].data[60:64] == b"\xaa" * 4


def test_fdstat_is_packed_into_one_struct():
    f, _ = stub("fd_fdstat_get", [[0, [2, 1, 0x1234, 0x55]]])
    i = inst()
    assert f(i, 1, 40) == 0
    assert abi.FDSTAT.unpack_from(i.mems[0].data, 40) == (2, 1, 0x1234, 0x55)


@pytest.mark.parametrize(
    "module, layout", [(PREVIEW1, abi.FILESTAT), (UNSTABLE, abi.UNSTABLE_FILESTAT)]
)
def test_filestat_layout_per_module(module, layout):
    res = [1, 2, 4, 3, 100, 5, 6, 7]
    f, _ = stub("fd_filestat_get", [[0, res]], module)
    i = inst()
    assert f(i, 3, 8) == 0
    assert list(layout.unpack_from(i.mems[0].data, 8)) == res


def test_prestat_and_its_dir_name():
    f, _ = stub("fd_prestat_get", [[0, [0, 4]]])
    i = inst()
    assert f(i, 3, 16) == 0
    assert abi.PRESTAT.unpack_from(i.mems[0].data, 16) == (0, 4)
    g, chan = stub("fd_prestat_dir_name", [[0, [b"/tmp"]]])
    assert g(i, 3, 100, 4) == 0
    assert chan.calls == [("call", num("fd_prestat_dir_name"), [3, 4])]
    assert i.mems[0].data[100:104] == b"/tmp"


def test_args_strings_are_nul_terminated_with_pointers():
    f, _ = stub("args_get", [[0, [[b"prog", b"x y"]]]])
    i = inst()
    mem = i.mems[0].data
    assert f(i, 0, 100) == 0
    assert (u32(mem, 0), u32(mem, 4)) == (100, 105)
    assert mem[100:109] == b"prog\0x y\0"


def test_cached_answers_skip_the_kernel():
    chan = FakeChannel()
    n = num("args_sizes_get")
    f = build_stub(Guest(chan, {n: [2, 9]}), PREVIEW1, "args_sizes_get")  # type: ignore[arg-type]
    i = inst()
    assert f(i, 0, 4) == 0
    assert (u32(i.mems[0].data, 0), u32(i.mems[0].data, 4)) == (2, 9)
    assert chan.calls == []


def test_readdir_packs_dirents_and_truncates_at_buf_len():
    entries = [[1, 10, 4, b"a"], [2, 11, 3, "bcd"]]
    f, chan = stub("fd_readdir", [[0, [entries]]])
    i = inst()
    mem = i.mems[0].data
    buf_len = 24 + 1 + 24 + 2  # the second name is cut
    assert f(i, 3, 1000, buf_len, 0, 50) == 0
    assert chan.calls == [("call", num("fd_readdir"), [3, buf_len, 0])]
    assert u32(mem, 50) == buf_len
    assert abi.DIRENT.unpack_from(mem, 1000) == (1, 10, 1, 4)
    assert mem[1024:1025] == b"a"
    assert abi.DIRENT.unpack_from(mem, 1025) == (2, 11, 3, 3)
    assert mem[1049:1051] == b"bc" and mem[1051] == 0


def test_readlink_copies_and_reports_bufused():
    f, chan = stub("path_readlink", [[0, [b"target"]]])
    i = inst()
    mem = i.mems[0].data
    mem[10:12] = b"ln"
    assert f(i, 3, 10, 2, 100, 4, 50) == 0
    assert chan.calls == [("call", num("path_readlink"), [3, b"ln", 4])]
    assert mem[100:104] == b"targ" and mem[104] == 0 and u32(mem, 50) == 4


@pytest.mark.parametrize("module", [PREVIEW1, UNSTABLE])
def test_poll_subscriptions_and_events(module):
    i = inst()
    mem = i.mems[0].data
    if module == PREVIEW1:
        size = abi.SUBSCRIPTION_SIZE
        struct.pack_into("<QB7xIxxxxQQH", mem, 0, 7, 0, 1, 1000, 5, 1)
    else:
        size = abi.UNSTABLE_SUBSCRIPTION_SIZE
        struct.pack_into("<QB7xQIxxxxQQH", mem, 0, 7, 0, 99, 1, 1000, 5, 1)
    struct.pack_into("<QB7xI", mem, size, 8, 1, 0)
    events = [[7, 0, 0, 0, 0], [8, 0, 1, 3, 1]]
    f, chan = stub("poll_oneoff", [[0, [events]]], module)
    assert f(i, 0, 500, 2, 50) == 0
    assert chan.calls[0][2] == [[[7, 0, 1, 1000, 5, 1], [8, 1, 0]]]
    assert u32(mem, 50) == 2
    assert abi.EVENT.unpack_from(mem, 532) == (8, 0, 1, 3, 1)


def test_random_get_fills_the_buffer():
    f, chan = stub("random_get", [[0, [b"\x01\x02\x03"]]])
    i = inst()
    assert f(i, 10, 3) == 0
    assert chan.calls == [("call", num("random_get"), [3])]
    assert i.mems[0].data[10:13] == b"\x01\x02\x03"


def test_sock_recv_scatters_and_writes_both_outputs():
    f, _ = stub("sock_recv", [[0, [b"abc", 1]]])
    i = inst()
    mem = i.mems[0].data
    struct.pack_into("<II", mem, 0, 100, 8)
    assert f(i, 4, 0, 1, 0, 40, 44) == 0
    assert mem[100:103] == b"abc" and u32(mem, 40) == 3
    assert struct.unpack_from("<H", mem, 44)[0] == 1


def test_proc_exit_sends_and_unwinds():
    f, chan = stub("proc_exit", [])
    with pytest.raises(ProcExit) as e:
        f(inst(), 7)
    assert e.value.status == 7
    assert chan.calls[0][:2] == ("raw", abi.MSG_CPU) and chan.calls[0][2] > 0  # CPU time first
    assert chan.calls[1:] == [("send", num("proc_exit"), [7])]


def test_cpu_clocks_are_read_in_the_worker():
    chan = FakeChannel([[0, [123]]])
    guest = Guest(chan)  # type: ignore[arg-type]
    guest.local_cpu_clock = True
    f = build_stub(guest, PREVIEW1, "clock_time_get")
    i = inst()
    assert f(i, int(abi.Clockid.THREAD_CPUTIME_ID), 1, 16) == 0
    assert chan.calls == []  # no round trip
    assert 0 < struct.unpack_from("<Q", i.mems[0].data, 16)[0] < 10**12
    assert f(i, int(abi.Clockid.MONOTONIC), 1, 24) == 0  # the others ask the kernel
    assert chan.calls == [("call", num("clock_time_get"), [1, 1])]
    assert struct.unpack_from("<Q", i.mems[0].data, 24)[0] == 123
    assert f(i, int(abi.Clockid.PROCESS_CPUTIME_ID), 1, PAGE - 4) == Errno.FAULT


def test_fd_table_changes_drop_write_credit():
    chan = FakeChannel([[0, [4]]])
    g = Guest(chan)  # type: ignore[arg-type]
    g.credit.add(1)
    f = build_stub(g, PREVIEW1, "fd_renumber")
    assert f(inst(), 4, 1) == 0
    assert g.credit == set()


def test_custom_stub_reads_strings_and_applies_writes():
    chan = FakeChannel([[0, [5], [[200, b"hello"]]]])
    g = Guest(chan)  # type: ignore[arg-type]
    f = wasi.build_custom_stub(g, 1000, "host::greet", ["string", "i32"], ["i32"])
    i = inst()
    i.mems[0].data[10:13] = b"bob"
    assert f(i, 10, 3, 0xFFFFFFFF) == 5
    assert chan.calls == [("call", 1000, ["bob", -1])]
    assert i.mems[0].data[200:205] == b"hello"


def test_custom_stub_failure_traps():
    chan = FakeChannel([[1, "ValueError: nope", []]])
    f = wasi.build_custom_stub(Guest(chan), 1000, "host::x", [], [])  # type: ignore[arg-type]
    with pytest.raises(wasi.HostError, match="nope"):
        f(inst())
