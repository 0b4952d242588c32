"""sock_accept, sock_recv, sock_send, sock_shutdown on the kernel's sockets (kernel/socket.py).

preview1 has no socket creation: a process gets listening sockets at spawn (``--tcplisten``
or an in-kernel listener) and accepts on them. A non-socket fd is `NOTSOCK` (checked
before rights, as POSIX answers for the kind of file first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import Errno, Fdflags, Riflags, Rights, Sdflags
from kernel.errors import KernelError
from kernel.socket import ListenSocketFile, StreamSocketFile
from kernel.sys_fd import MAX_IO

if TYPE_CHECKING:
    from kernel.proc import Process


def _kind(proc: Process, fd: int) -> StreamSocketFile | ListenSocketFile:
    file = proc.fds.get(fd).file
    if not isinstance(file, StreamSocketFile | ListenSocketFile):
        raise KernelError(Errno.NOTSOCK, f"fd {fd} is not a socket")
    return file


def _connected(proc: Process, fd: int, rights: Rights) -> StreamSocketFile:
    """A connected socket fd holding ``rights`` (kind errors before rights, as POSIX)."""
    file = _kind(proc, fd)
    if not isinstance(file, StreamSocketFile):
        raise KernelError(Errno.NOTCONN, f"fd {fd} is a listening socket")
    proc.fds.get(fd, rights)
    return file


async def sock_accept(proc: Process, fd: int, flags: int) -> list[int]:
    """→ [new fd] for the next connection; blocks unless the listener is nonblocking."""
    if flags & ~int(Fdflags.NONBLOCK):
        raise KernelError(Errno.INVAL, f"accept flags {flags:#x}")
    listener = _kind(proc, fd)
    if not isinstance(listener, ListenSocketFile):
        raise KernelError(Errno.INVAL, f"fd {fd} is not listening")
    proc.fds.get(fd, Rights.SOCK_ACCEPT)
    conn = await listener.accept(flags)
    try:
        return [proc.fds.install(conn, conn.max_rights)]
    except KernelError:
        conn.acquire()
        conn.release()  # no fd for it: close it so the client sees EOF
        raise


async def sock_recv(proc: Process, fd: int, ri_data: list[int], ri_flags: int) -> list[object]:
    """→ [data, roflags]. PEEK leaves the data queued; WAITALL waits for the whole buffer."""
    if ri_flags & ~int(Riflags.RECV_PEEK | Riflags.RECV_WAITALL):
        raise KernelError(Errno.INVAL, f"riflags {ri_flags:#x}")
    sock = _connected(proc, fd, Rights.FD_READ)
    data = await sock.recv(min(sum(ri_data), MAX_IO), ri_flags)
    return [data, 0]


async def sock_send(proc: Process, fd: int, si_data: list[bytes], si_flags: int) -> list[int]:
    """→ [bytes sent]. No send flags are defined in preview1 (`INVAL` for any)."""
    if si_flags:
        raise KernelError(Errno.INVAL, f"siflags {si_flags:#x}")
    sock = _connected(proc, fd, Rights.FD_WRITE)
    return [await sock.write(b"".join(si_data))]


async def sock_shutdown(proc: Process, fd: int, how: int) -> list[object]:
    """Shut down reading (RD), writing (WR: the peer reads EOF) or both."""
    if not how or how & ~int(Sdflags.RD | Sdflags.WR):
        raise KernelError(Errno.INVAL, f"sdflags {how:#x}")
    sock = _connected(proc, fd, Rights.SOCK_SHUTDOWN)
    sock.shutdown(how)
    return []
