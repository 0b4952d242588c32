"""The guest side of WASI: host functions that turn a Wasm call into a kernel request.

A stub reads the call's arguments out of linear memory, sends them to the kernel as plain
values, and writes the results back (DESIGN.md §2). Stubs are generated, not written one
by one: `abi.SIGNATURES` gives each call's Wasm parameters and `abi.WIRE` the values the
kernel takes and returns, and parameter names tie the two together — a ``path`` value is
read from the parameters ``path`` and ``path_len``; a result ``nwritten`` is written
through the pointer parameter ``nwritten``; a ``bytes`` result goes into the iovecs its
call read lengths from, or into the output buffer. Only the layouts of structs differ
between `wasi_snapshot_preview1` and `wasi_unstable`.

This is the only place a guest pointer is checked: a region outside memory answers
FAULT before anything reaches the kernel, so a bad pointer never has a side effect.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from kernel import abi
from kernel.abi import (
    CREDIT,
    DIRENT,
    EVENT,
    FDSTAT,
    FILESTAT,
    IOVEC,
    MAX_IO,
    MSG_WRITES,
    PRESTAT,
    PTR,
    SUBSCRIPTION_SIZE,
    UNSTABLE,
    UNSTABLE_FILESTAT,
    UNSTABLE_SUBSCRIPTION_SIZE,
    Errno,
)
from procs.channel import Channel

FAULT = int(Errno.FAULT)
U32 = struct.Struct("<I")
U64 = struct.Struct("<Q")
_F32 = struct.Struct("<f")
U16 = struct.Struct("<H")
_SCALAR = {"u16": U16, "u32": U32, "fd": U32, "u64": U64}
#: Calls after which the kernel's fd table may differ from what credit was granted for.
_FD_TABLE_CHANGES = frozenset(
    {"fd_close", "fd_renumber", "path_open", "sock_accept", "fd_fdstat_set_flags"}
)


class Fault(Exception):
    """A guest pointer outside linear memory."""


class ProcExit(BaseException):
    """Unwinds the guest after proc_exit (BaseException: guest-level handlers never see it)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class HostError(Exception):
    """A custom syscall's handler failed: the guest traps with this message."""


# --- guest memory ------------------------------------------------------------------------


def read(mem: bytearray, ptr: int, n: int) -> bytes:
    if ptr + n > len(mem):
        raise Fault
    return bytes(mem[ptr : ptr + n])


def write(mem: bytearray, ptr: int, data: bytes) -> None:
    end = ptr + len(data)
    if end > len(mem):
        raise Fault
    mem[ptr:end] = data


def iovecs(mem: bytearray, ptr: int, count: int) -> list[tuple[int, int]]:
    """The (buf, len) pairs of an iovec array, each checked to lie inside memory."""
    end = ptr + 8 * count
    if end > len(mem):
        raise Fault
    out = list(IOVEC.iter_unpack(mem[ptr:end]))
    size = len(mem)
    for buf, n in out:
        if buf + n > size:
            raise Fault
    return out


def gather(mem: bytearray, vecs: list[tuple[int, int]]) -> list[bytearray]:
    """The data of write iovecs (copies: msgpack sends a bytearray as bytes), at most
    MAX_IO bytes in all (a partial write)."""
    out, room = [], MAX_IO
    for buf, n in vecs:
        n = min(n, room)
        out.append(mem[buf : buf + n])
        room -= n
        if not room:
            break
    return out


def scatter(mem: bytearray, vecs: list[tuple[int, int]], data: bytes) -> None:
    pos = 0
    for buf, n in vecs:
        if pos >= len(data):
            break
        chunk = data[pos : pos + n]
        mem[buf : buf + len(chunk)] = chunk
        pos += len(chunk)


def capped_lens(vecs: list[tuple[int, int]]) -> list[int]:
    out, room = [], MAX_IO
    for _, n in vecs:
        n = min(n, room)
        out.append(n)
        room -= n
    return out


# --- the process's view of the kernel ---------------------------------------------------


#: Writes under credit are sent in batches: when this many bytes or writes are waiting,
#: before any other call, at exit, and at the latest `FLUSH_DELAY` seconds later.
FLUSH_BYTES = 1 << 16
FLUSH_WRITES = 512
FLUSH_DELAY = 0.002


class Guest:
    """What the stubs of one process share: its channel, answers cached for its whole
    life (args, environ), the fds it holds write credit for, and its unsent writes."""

    def __init__(
        self,
        chan: Channel,
        cached: dict[int, list[Any]] | None = None,
        flusher: Flusher | None = None,
    ) -> None:
        self.chan = chan
        self.cached = cached or {}
        self.credit: set[int] = set()
        self.pending: list[list[Any]] = []
        self.pending_bytes = 0
        self.flusher = flusher
        self.lock = threading.Lock()  # the flusher sends from its own thread
        #: Answer the CPU-time clocks here, from the guest thread's own CPU time (off in
        #: deterministic mode, where the kernel's fake clock answers).
        self.local_cpu_clock = False

    def call(self, number: int, args: list[Any]) -> list[Any]:
        hit = self.cached.get(number)
        if hit is not None:
            return [0, hit]
        with self.lock:
            self._flush()
            return self.chan.call(number, args)

    def send_nowait(self, number: int, args: list[Any]) -> None:
        with self.lock:
            self._flush()
            self.chan.send_nowait(number, args)

    def queue_write(self, fd: int, bufs: list[bytes], n: int) -> int:
        """A write under credit: 0, or the errno of an earlier write the kernel failed."""
        revoked = self.chan.revoked
        if fd in revoked:
            self.credit.discard(fd)
            return revoked.pop(fd)
        with self.lock:
            first = not self.pending
            self.pending.append([fd, bufs])
            self.pending_bytes += n
            if self.pending_bytes >= FLUSH_BYTES or len(self.pending) >= FLUSH_WRITES:
                self._flush()
            elif first and self.flusher is not None:
                self.flusher.soon(self)
        return 0

    def flush(self) -> None:
        with self.lock:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            batch, self.pending, self.pending_bytes = self.pending, [], 0
            self.chan.send([MSG_WRITES, batch])
            self.chan.poll_revoked()


class Flusher:
    """One thread per worker that sends writes left waiting in a batch for `FLUSH_DELAY`
    (a program that prints a line, then computes for a minute, shows the line at once)."""

    def __init__(self) -> None:
        self._due: list[Guest] = []
        self._wake = threading.Condition()
        threading.Thread(target=self._run, name="write-flusher", daemon=True).start()

    def soon(self, guest: Guest) -> None:
        with self._wake:
            self._due.append(guest)
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._due:
                    self._wake.wait()
            time.sleep(FLUSH_DELAY)
            with self._wake:
                due, self._due = self._due, []
            for guest in due:
                # A guest holding its lock is inside a call, which flushed first.
                if not guest.lock.acquire(blocking=False):
                    continue
                try:
                    guest._flush()
                except Exception:  # noqa: BLE001 - a closed channel: its process is gone
                    pass
                finally:
                    guest.lock.release()


Stub = Callable[..., Any]


def _param_index(sig: abi.Signature) -> dict[str, int]:
    return {p.name: i for i, p in enumerate(sig.params)}


def _spec(text: str) -> list[tuple[str, str]]:
    return [tuple(item.split(":")) for item in text.split()]  # type: ignore[misc]


def _subscriptions(unstable: bool) -> Callable[[bytearray, int, int], list[list[int]]]:
    size = UNSTABLE_SUBSCRIPTION_SIZE if unstable else SUBSCRIPTION_SIZE
    clock = "<QB7xQIxxxxQQH6x" if unstable else "<QB7xIxxxxQQH6x"
    clock_s = struct.Struct(clock)
    fd_s = struct.Struct("<QB7xI")

    def read_subs(mem: bytearray, ptr: int, n: int) -> list[list[int]]:
        end = ptr + size * n
        if end > len(mem):
            raise Fault
        out = []
        for k in range(n):
            at = ptr + size * k
            tag = mem[at + 8]
            if tag == 0:
                fields = clock_s.unpack_from(mem, at)
                if unstable:  # (userdata, tag, identifier, id, timeout, precision, flags)
                    fields = fields[:2] + fields[3:]
                out.append(list(fields))
            else:
                userdata, tag, fd = fd_s.unpack_from(mem, at)
                out.append([userdata, tag, fd])
        return out

    return read_subs


def build_stub(guest: Guest, module: str, name: str, *, generic: bool = False) -> Stub:
    """The host function for WASI call ``module.name`` of this guest (``generic``: without
    the worker-side shortcuts, straight from the ABI)."""
    sig = abi.BY_NAME[name]
    number = abi.call_number(module, name)
    assert number is not None
    unstable = module == UNSTABLE
    pos = _param_index(sig)
    sends_spec, returns_spec = abi.WIRE[name]
    sends, returns = _spec(sends_spec), _spec(returns_spec)

    if name == "proc_exit":
        return _proc_exit(guest, number)
    if name == "fd_write" and not unstable and not generic:
        return _fd_write(guest, number)
    if name == "clock_time_get" and guest.local_cpu_clock and not generic:
        return _cpu_clock(build_stub(guest, module, name, generic=True))

    # -- how each value the kernel takes is read from the Wasm arguments --
    readers: list[Callable[[bytearray, tuple], Any]] = []
    used: set[str] = set()
    scatter_from: str | None = None
    for pname, shape in sends:
        if shape in ("fd", "u32", "u64", "s64"):
            i = pos[pname]
            readers.append(lambda mem, a, i=i: a[i])
            used.add(pname)
        elif shape == "path":
            i, j = pos[pname], pos[pname + "_len"]
            readers.append(lambda mem, a, i=i, j=j: read(mem, a[i], a[j]))
            used |= {pname, pname + "_len"}
        elif shape == "lens":
            i, j = pos[pname], pos[pname + "_len"]
            readers.append(lambda mem, a, i=i, j=j: capped_lens(iovecs(mem, a[i], a[j])))
            used |= {pname, pname + "_len"}
            scatter_from = pname
        elif shape == "bufs":
            i, j = pos[pname], pos[pname + "_len"]
            readers.append(lambda mem, a, i=i, j=j: gather(mem, iovecs(mem, a[i], a[j])))
            used |= {pname, pname + "_len"}
        elif shape == "subs":
            i, j = pos["in"], pos["nsubscriptions"]
            read_subs = _subscriptions(unstable)
            readers.append(lambda mem, a, i=i, j=j, rs=read_subs: rs(mem, a[i], a[j]))
            used |= {"in", "nsubscriptions"}
        else:  # pragma: no cover - the ABI test keeps shapes in this set
            raise AssertionError(f"{name}: unknown shape {shape}")
    outs = [p.name for p in sig.params if p.kind == PTR and p.name not in used]
    write_results = _writer(name, unstable, pos, returns, outs, scatter_from)
    changes_fds = name in _FD_TABLE_CHANGES

    def stub(inst: Any, *a: int) -> int:
        mem = inst.mems[0].data
        try:
            args = [r(mem, a) for r in readers]
            reply = guest.call(number, args)
            if changes_fds:
                guest.credit.clear()
            if reply[0]:
                return reply[0]
            write_results(mem, a, reply[1])
        except Fault:
            return FAULT
        return 0

    stub.__name__ = name
    return stub


def _writer(
    name: str,
    unstable: bool,
    pos: dict[str, int],
    returns: list[tuple[str, str]],
    outs: list[str],
    scatter_from: str | None,
) -> Callable[[bytearray, tuple, list], None]:
    """How the kernel's results are written through the call's output pointers."""
    shapes = [shape for _, shape in returns]
    names = [n for n, _ in returns]
    if not returns:
        return lambda mem, a, res: None
    if shapes == ["strings"]:  # args_get / environ_get: pointer array + string buffer
        pi, bi = pos[outs[0]], pos[outs[1]]

        def strings(mem: bytearray, a: tuple, res: list) -> None:
            ptrs, buf = a[pi], a[bi]
            for k, s in enumerate(res[0]):
                write(mem, ptrs + 4 * k, U32.pack(buf))
                write(mem, buf, s + b"\0")
                buf += len(s) + 1

        return strings
    if shapes == ["dirents"]:
        bi, li, ui = pos[outs[0]], pos["buf_len"], pos[outs[1]]

        def dirents(mem: bytearray, a: tuple, res: list) -> None:
            parts = []
            for d_next, d_ino, d_type, dname in res[0]:
                raw = dname if isinstance(dname, bytes) else dname.encode()
                parts.append(DIRENT.pack(d_next, d_ino, len(raw), d_type) + raw)
            data = b"".join(parts)[: a[li]]
            write(mem, a[bi], data)
            write(mem, a[ui], U32.pack(len(data)))

        return dirents
    if shapes == ["events"]:
        oi, ni = pos[outs[0]], pos[outs[1]]

        def events(mem: bytearray, a: tuple, res: list) -> None:
            data = b"".join(EVENT.pack(*ev) for ev in res[0])
            write(mem, a[oi], data)
            write(mem, a[ni], U32.pack(len(res[0])))

        return events
    if shapes[0] == "bytes":
        rest = [(pos[n], _SCALAR[s]) for n, s in returns[1:]]  # sock_recv's ro_flags
        free = [o for o in outs if o not in names[1:]]
        if scatter_from is not None:  # fd_read, fd_pread, sock_recv: into the iovecs
            vi, vn, ci = pos[scatter_from], pos[scatter_from + "_len"], pos[free[0]]

            def scattered(mem: bytearray, a: tuple, res: list) -> None:
                vecs = iovecs(mem, a[vi], a[vn])
                scatter(mem, vecs, res[0][: sum(n for _, n in vecs)])
                write(mem, a[ci], U32.pack(min(len(res[0]), sum(n for _, n in vecs))))
                for (i, fmt), v in zip(rest, res[1:], strict=True):
                    write(mem, a[i], fmt.pack(v))

            return scattered
        bi, li = pos[free[0]], pos[free[0] + "_len"]
        ui = pos[free[1]] if len(free) > 1 else None  # readlink's bufused

        def copied(mem: bytearray, a: tuple, res: list) -> None:
            data = res[0][: a[li]]
            write(mem, a[bi], data)
            if ui is not None:
                write(mem, a[ui], U32.pack(len(data)))

        return copied
    if all(n in pos for n in names):  # each result through its own pointer
        targets = [(pos[n], _SCALAR[s]) for n, s in returns]

        def scalars(mem: bytearray, a: tuple, res: list) -> None:
            for (i, fmt), v in zip(targets, res, strict=True):
                write(mem, a[i], fmt.pack(v))

        return scalars
    # several fields of one struct through the single output pointer
    (out,) = outs
    oi = pos[out]
    layout = {4: FDSTAT, 2: PRESTAT, 8: UNSTABLE_FILESTAT if unstable else FILESTAT}[len(returns)]

    def packed(mem: bytearray, a: tuple, res: list) -> None:
        write(mem, a[oi], layout.pack(*res))

    return packed


CPU_CLOCKS = (int(abi.Clockid.PROCESS_CPUTIME_ID), int(abi.Clockid.THREAD_CPUTIME_ID))


def _cpu_clock(kernel_stub: Stub) -> Stub:
    """clock_time_get: the CPU-time clocks are the guest thread's (one thread per process,
    so both are the process's), read where it runs; the others ask the kernel."""
    thread_time_ns = time.thread_time_ns

    def clock_time_get(inst: Any, id: int, precision: int, out: int) -> int:
        if id not in CPU_CLOCKS:
            return kernel_stub(inst, id, precision, out)
        mem = inst.mems[0].data
        if out + 8 > len(mem):
            return FAULT
        mem[out : out + 8] = U64.pack(thread_time_ns())
        return 0

    return clock_time_get


def _proc_exit(guest: Guest, number: int) -> Stub:
    def proc_exit(inst: Any, rval: int) -> None:
        with guest.lock:
            guest._flush()
            guest.chan.send([abi.MSG_CPU, time.thread_time_ns()])
            guest.chan.send_nowait(number, [rval])
        raise ProcExit(rval)

    return proc_exit


def _fd_write(guest: Guest, number: int) -> Stub:
    """fd_write, the hottest call, written out: under write credit it does not wait."""
    credit, queue_write = guest.credit, guest.queue_write
    pack_u32, iovec_at = U32.pack, IOVEC.unpack_from

    def fd_write(inst: Any, fd: int, iovs: int, iovs_len: int, nwritten: int) -> int:
        mem = inst.mems[0].data
        size = len(mem)
        try:
            if iovs_len == 1 and iovs + 8 <= size:  # the usual write(2): one buffer
                buf, n = iovec_at(mem, iovs)
                if buf + n > size:
                    return FAULT
                if n > MAX_IO:
                    n = MAX_IO
                bufs = [mem[buf : buf + n]]
            else:
                bufs = gather(mem, iovecs(mem, iovs, iovs_len))
                n = sum(map(len, bufs))
            if nwritten + 4 > size:
                return FAULT
            if fd in credit:
                errno = queue_write(fd, bufs, n)
                if errno:
                    return errno
                mem[nwritten : nwritten + 4] = pack_u32(n)
                return 0
            reply = guest.call(number, [fd, bufs])
            if reply[0]:
                return reply[0]
            if len(reply) > 2 and reply[2] == CREDIT:
                credit.add(fd)
            mem[nwritten : nwritten + 4] = pack_u32(reply[1][0])
        except Fault:
            return FAULT
        return 0

    return fd_write


# --- custom syscalls ------------------------------------------------------------------------


def _to_wasm(t: str, v: Any) -> Any:
    """A handler's plain result as the engine holds it (i32/i64 unsigned, floats as float)."""
    if t in ("i32", "i64"):
        if not isinstance(v, int):
            raise HostError(f"expected an integer result, got {type(v).__name__}")
        return v & (0xFFFFFFFF if t == "i32" else 0xFFFFFFFFFFFFFFFF)
    if t == "f32":
        return _F32.unpack(_F32.pack(float(v)))[0]
    return float(v)


def _signed(v: int, bits: int) -> int:
    return v - (1 << bits) if v >= 1 << (bits - 1) else v


def build_custom_stub(
    guest: Guest, number: int, label: str, kinds: Sequence[str], result_types: Sequence[str]
) -> Stub:
    """The host function of a custom syscall: ``string``/``bytes`` parameters are (ptr, len)
    pairs read here; the kernel's reply lists the results and the (addr, bytes) writes
    its handler asked for, applied here (a write outside memory traps)."""

    def stub(inst: Any, *a: Any) -> Any:
        mem = inst.mems[0].data if inst.mems else bytearray()
        args: list[Any] = []
        k = 0
        try:
            for kind in kinds:
                if kind in ("string", "bytes"):
                    raw = read(mem, a[k], a[k + 1])
                    args.append(raw.decode("utf-8", "replace") if kind == "string" else raw)
                    k += 2
                else:
                    v = a[k]
                    args.append(_signed(v, 32 if kind == "i32" else 64) if kind[0] == "i" else v)
                    k += 1
        except Fault:
            raise HostError(f"{label}: argument points outside memory") from None
        reply = guest.call(number, args)
        if reply[0]:
            raise HostError(f"{label}: {reply[1]}")
        results, writes = reply[1], reply[2]
        try:
            for addr, data in writes:
                write(mem, addr, data)
        except Fault:
            raise HostError(f"{label}: wrote outside memory") from None
        if len(results) != len(result_types):
            raise HostError(f"{label}: returned {len(results)} values, not {len(result_types)}")
        out = [_to_wasm(t, v) for t, v in zip(result_types, results, strict=True)]
        if not out:
            return None
        return out[0] if len(out) == 1 else tuple(out)

    stub.__name__ = label
    return stub
