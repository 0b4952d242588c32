"""Host TCP listeners (``--tcplisten HOST:PORT``) bridged onto kernel sockets.

A host connection is accepted by a kernel task as soon as it arrives and becomes a
kernel socket pair: the guest end waits in the listener's backlog for sock_accept, the
other end is pumped to and from the host socket by two tasks. So the guest sees exactly
the same sockets as for in-kernel connections (blocking, EOF, `PIPE`, poll readiness,
RECV_PEEK/WAITALL), and backpressure is the kernel pipe's: a full pipe stops the pump
reading the host socket, and TCP flow control does the rest.
"""

from __future__ import annotations

import socket as _socket
from typing import TYPE_CHECKING

import trio

from kernel.abi import Sdflags
from kernel.errors import KernelError, kernel_error_from_oserror
from kernel.socket import ListenSocketFile, StreamSocketFile, socketpair

if TYPE_CHECKING:
    from kernel.proc import Kernel

CHUNK = 65536


async def _host_to_kernel(conn: trio.socket.SocketType, end: StreamSocketFile) -> None:
    try:
        while data := await conn.recv(CHUNK):
            await end.write(data)
    except (OSError, KernelError):
        pass  # reset by the host, or the guest closed its end
    finally:
        end.shutdown(Sdflags.WR)  # the guest reads EOF


async def _kernel_to_host(conn: trio.socket.SocketType, end: StreamSocketFile) -> None:
    try:
        while data := await end.read(CHUNK):
            view = memoryview(data)
            while view:
                sent = await conn.send(view)
                view = view[sent:]
        conn.shutdown(_socket.SHUT_WR)
    except (OSError, KernelError):
        pass


async def _bridge(conn: trio.socket.SocketType, end: StreamSocketFile) -> None:
    """Pump one host connection both ways until both directions are done."""
    end.acquire()
    try:
        async with trio.open_nursery() as n:
            n.start_soon(_host_to_kernel, conn, end)
            n.start_soon(_kernel_to_host, conn, end)
    finally:
        end.release()
        conn.close()


async def _serve(
    listener: ListenSocketFile, sock: trio.socket.SocketType, nursery: trio.Nursery
) -> None:
    scope = trio.CancelScope()
    listener.close_hooks.append(scope.cancel)
    with scope, sock:
        while not listener.closed:
            conn, _ = await sock.accept()
            host_end, guest_end = socketpair()
            try:
                listener.enqueue(guest_end)
            except KernelError:
                conn.close()  # backlog full: refuse, as a full listen queue does
                continue
            nursery.start_soon(_bridge, conn, host_end)


async def tcp_listen(
    kernel: Kernel, nursery: trio.Nursery, host: str, port: int, backlog: int = 128
) -> tuple[ListenSocketFile, int]:
    """Listen on host ``host:port`` (port 0: any); → (the listener to hand to a process,
    the bound port). Accepting and pumping run in ``nursery``, the kernel's."""
    sock = trio.socket.socket(_socket.AF_INET6 if ":" in host else _socket.AF_INET)
    try:
        sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
        await sock.bind((host, port))
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise kernel_error_from_oserror(exc) from exc
    bound = sock.getsockname()[1]
    listener = ListenSocketFile(kernel, f"tcp:{host}:{bound}", backlog)
    kernel.listeners[listener.address] = listener
    nursery.start_soon(_serve, listener, sock, nursery)
    return listener, bound
