"""In-kernel virtual sockets: one Wasm process can serve another without the host network.

A connected stream socket is two kernel pipes, one per direction, so sockets inherit the
pipes' blocking, EOF and `PIPE` rules and poll readiness for free. A listener is a queue of
connections waiting for sock_accept. Listeners live in the kernel under an address string
(``"tcp:127.0.0.1:8080"`` or any name); `connect` is the kernel-level call a client side
(another process's stub, the embedding API, a test) uses to reach one.

Host TCP listeners (``--tcplisten``, kernel/hostsock.py) feed the same `ListenSocketFile`:
their accepted connections are pumped through the same pipes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from kernel.abi import Errno, Fdflags, Filetype, Riflags, Sdflags
from kernel.abi import Rights as R
from kernel.errors import KernelError
from kernel.file import OpenFile, Readiness
from kernel.pipe import Pipe
from kernel.wait import WaitQueue

if TYPE_CHECKING:
    from kernel.proc import Kernel

STREAM_SOCKET_RIGHTS = (
    R.FD_READ
    | R.FD_WRITE
    | R.FD_FDSTAT_SET_FLAGS
    | R.FD_FILESTAT_GET
    | R.POLL_FD_READWRITE
    | R.SOCK_SHUTDOWN
)
LISTEN_SOCKET_RIGHTS = (
    R.SOCK_ACCEPT | R.FD_FDSTAT_SET_FLAGS | R.FD_FILESTAT_GET | R.POLL_FD_READWRITE
)


class StreamSocketFile(OpenFile):
    """One end of a connected stream socket: reads ``rx``, writes ``tx``."""

    filetype = Filetype.SOCKET_STREAM
    max_rights = STREAM_SOCKET_RIGHTS

    def __init__(self, rx: Pipe, tx: Pipe, fdflags: int = 0) -> None:
        super().__init__(fdflags)
        self.rx, self.tx = rx, tx
        rx.open_reader()
        tx.open_writer()
        self.rd_open = self.wr_open = True

    def shutdown(self, how: int) -> None:
        """Close one or both directions: the peer reads EOF after SHUT_WR."""
        if how & Sdflags.RD and self.rd_open:
            self.rd_open = False
            self.rx.close_reader()
        if how & Sdflags.WR and self.wr_open:
            self.wr_open = False
            self.tx.close_writer()

    def on_close(self) -> None:
        self.shutdown(Sdflags.RD | Sdflags.WR)

    async def recv(self, n: int, flags: int = 0) -> bytes:
        """Up to ``n`` bytes; PEEK leaves them queued; WAITALL waits for all n (or EOF)."""
        if not self.rd_open:
            return b""
        if flags & Riflags.RECV_PEEK:
            return await self._block(lambda: self.rx.peek(n), [self.rx.changed])
        data = await self._block(lambda: self.rx.try_read(n), [self.rx.changed])
        if flags & Riflags.RECV_WAITALL:
            while data and len(data) < n:
                more = await self._block(
                    partial(self.rx.try_read, n - len(data)), [self.rx.changed]
                )
                if not more:
                    break
                data += more
        return data

    async def read(self, n: int) -> bytes:
        return await self.recv(n)

    async def write(self, data: bytes) -> int:
        if not self.wr_open:
            raise KernelError(Errno.PIPE, "socket shut down for writing")
        if self.fdflags & Fdflags.NONBLOCK:  # what fits now
            k = self.tx.try_write(data)
            if k is None:
                raise KernelError(Errno.AGAIN)
            return k
        done = 0
        while done < len(data):
            try:
                done += await self._block(
                    lambda d=done: self.tx.try_write(data[d:]), [self.tx.changed]
                )
            except KernelError:
                if done:
                    return done
                raise
        return done

    def read_readiness(self) -> Readiness:
        if not self.rd_open:
            return Readiness(True, 0, True)
        return Readiness(*self.rx.read_ready())

    def write_readiness(self) -> Readiness:
        if not self.wr_open:
            return Readiness(True, 0, True)
        return Readiness(*self.tx.write_ready())

    def queues(self) -> list[WaitQueue]:
        return [self.rx.changed, self.tx.changed]


def socketpair() -> tuple[StreamSocketFile, StreamSocketFile]:
    """Two connected stream sockets (the kernel side of a connection)."""
    a_to_b, b_to_a = Pipe(), Pipe()
    return StreamSocketFile(b_to_a, a_to_b), StreamSocketFile(a_to_b, b_to_a)


class ListenSocketFile(OpenFile):
    """A listening socket: sock_accept takes connections from its backlog."""

    filetype = Filetype.SOCKET_STREAM
    max_rights = LISTEN_SOCKET_RIGHTS

    def __init__(self, kernel: Kernel, address: str, backlog: int = 128) -> None:
        super().__init__()
        self.kernel = kernel
        self.address = address
        self.backlog_max = backlog
        self.backlog: deque[StreamSocketFile] = deque()
        self.changed = WaitQueue()
        #: Called when the listener closes (a host listener stops accepting there).
        self.close_hooks: list[Callable[[], None]] = []

    def on_close(self) -> None:
        for hook in self.close_hooks:
            hook()
        if self.kernel.listeners.get(self.address) is self:
            del self.kernel.listeners[self.address]
        while self.backlog:
            pending = self.backlog.popleft()
            pending.acquire()
            pending.release()  # the client sees EOF / PIPE
        self.changed.notify()

    def enqueue(self, server_end: StreamSocketFile) -> None:
        if len(self.backlog) >= self.backlog_max:
            raise KernelError(Errno.CONNREFUSED, f"backlog of {self.address} is full")
        self.backlog.append(server_end)
        self.changed.notify()

    async def accept(self, fdflags: int) -> StreamSocketFile:
        def attempt() -> StreamSocketFile | None:
            return self.backlog.popleft() if self.backlog else None

        conn = await self._block(attempt, [self.changed])
        conn.fdflags = Fdflags(fdflags)
        return conn

    async def read(self, n: int) -> bytes:
        raise KernelError(Errno.NOTCONN)

    async def write(self, data: bytes) -> int:
        raise KernelError(Errno.NOTCONN)

    def read_readiness(self) -> Readiness:
        """A listener is readable when a connection waits (nbytes: how many)."""
        return Readiness(bool(self.backlog), len(self.backlog), False)

    def write_readiness(self) -> Readiness:
        return Readiness(False, 0, False)

    def queues(self) -> list[WaitQueue]:
        return [self.changed]


def listen(kernel: Kernel, address: str, backlog: int = 128) -> ListenSocketFile:
    """Create a listener at ``address`` (hand it to a process as an fd at spawn)."""
    if address in kernel.listeners:
        raise KernelError(Errno.ADDRINUSE, address)
    listener = ListenSocketFile(kernel, address, backlog)
    kernel.listeners[address] = listener
    return listener


def connect(kernel: Kernel, address: str) -> StreamSocketFile:
    """Connect to the listener at ``address``: returns the client end at once (the
    connection waits in the backlog until accepted). `CONNREFUSED` if nobody listens."""
    listener = kernel.listeners.get(address)
    if not isinstance(listener, ListenSocketFile) or listener.closed:
        raise KernelError(Errno.CONNREFUSED, address)
    client, server = socketpair()
    listener.enqueue(server)
    return client
