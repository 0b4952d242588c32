"""The kernel's one error type and the one place host errors become WASI errors.

Handlers raise `KernelError(Errno.X)`; the dispatcher turns it into the errno reply.
Everything below the kernel (the VFS, host files, host sockets) raises `OSError` with
POSIX errno values, and `errno_from_oserror` is the only function that translates them
(DESIGN.md §2), so a new host error is taught to the kernel in exactly one table.
"""

from __future__ import annotations

import errno as _e

from kernel.abi import Errno
from vfs.errors import ENOTCAPABLE


class KernelError(Exception):
    """A syscall failed with a WASI errno: the expected, guest-visible kind of failure."""

    def __init__(self, errno: Errno, detail: str = "") -> None:
        super().__init__(f"{errno.name.lower()}{': ' + detail if detail else ''}")
        self.errno = Errno(errno)
        self.detail = detail


# POSIX errno -> WASI errno. Built from names so that numbers missing on a host
# (errno values differ between Linux, macOS and BSD) are simply skipped.
_BY_NAME = {
    "E2BIG": Errno.TOOBIG,
    "EACCES": Errno.ACCES,
    "EADDRINUSE": Errno.ADDRINUSE,
    "EADDRNOTAVAIL": Errno.ADDRNOTAVAIL,
    "EAFNOSUPPORT": Errno.AFNOSUPPORT,
    "EAGAIN": Errno.AGAIN,
    "EWOULDBLOCK": Errno.AGAIN,
    "EALREADY": Errno.ALREADY,
    "EBADF": Errno.BADF,
    "EBADMSG": Errno.BADMSG,
    "EBUSY": Errno.BUSY,
    "ECANCELED": Errno.CANCELED,
    "ECHILD": Errno.CHILD,
    "ECONNABORTED": Errno.CONNABORTED,
    "ECONNREFUSED": Errno.CONNREFUSED,
    "ECONNRESET": Errno.CONNRESET,
    "EDEADLK": Errno.DEADLK,
    "EDESTADDRREQ": Errno.DESTADDRREQ,
    "EDOM": Errno.DOM,
    "EDQUOT": Errno.DQUOT,
    "EEXIST": Errno.EXIST,
    "EFAULT": Errno.FAULT,
    "EFBIG": Errno.FBIG,
    "EHOSTUNREACH": Errno.HOSTUNREACH,
    "EIDRM": Errno.IDRM,
    "EILSEQ": Errno.ILSEQ,
    "EINPROGRESS": Errno.INPROGRESS,
    "EINTR": Errno.INTR,
    "EINVAL": Errno.INVAL,
    "EIO": Errno.IO,
    "EISCONN": Errno.ISCONN,
    "EISDIR": Errno.ISDIR,
    "ELOOP": Errno.LOOP,
    "EMFILE": Errno.MFILE,
    "EMLINK": Errno.MLINK,
    "EMSGSIZE": Errno.MSGSIZE,
    "EMULTIHOP": Errno.MULTIHOP,
    "ENAMETOOLONG": Errno.NAMETOOLONG,
    "ENETDOWN": Errno.NETDOWN,
    "ENETRESET": Errno.NETRESET,
    "ENETUNREACH": Errno.NETUNREACH,
    "ENFILE": Errno.NFILE,
    "ENOBUFS": Errno.NOBUFS,
    "ENODEV": Errno.NODEV,
    "ENOENT": Errno.NOENT,
    "ENOEXEC": Errno.NOEXEC,
    "ENOLCK": Errno.NOLCK,
    "ENOLINK": Errno.NOLINK,
    "ENOMEM": Errno.NOMEM,
    "ENOMSG": Errno.NOMSG,
    "ENOPROTOOPT": Errno.NOPROTOOPT,
    "ENOSPC": Errno.NOSPC,
    "ENOSYS": Errno.NOSYS,
    "ENOTCONN": Errno.NOTCONN,
    "ENOTDIR": Errno.NOTDIR,
    "ENOTEMPTY": Errno.NOTEMPTY,
    "ENOTRECOVERABLE": Errno.NOTRECOVERABLE,
    "ENOTSOCK": Errno.NOTSOCK,
    "ENOTSUP": Errno.NOTSUP,
    "EOPNOTSUPP": Errno.NOTSUP,
    "ENOTTY": Errno.NOTTY,
    "ENXIO": Errno.NXIO,
    "EOVERFLOW": Errno.OVERFLOW,
    "EOWNERDEAD": Errno.OWNERDEAD,
    "EPERM": Errno.PERM,
    "EPIPE": Errno.PIPE,
    "EPROTO": Errno.PROTO,
    "EPROTONOSUPPORT": Errno.PROTONOSUPPORT,
    "EPROTOTYPE": Errno.PROTOTYPE,
    "ERANGE": Errno.RANGE,
    "EROFS": Errno.ROFS,
    "ESPIPE": Errno.SPIPE,
    "ESRCH": Errno.SRCH,
    "ESTALE": Errno.STALE,
    "ETIMEDOUT": Errno.TIMEDOUT,
    "ETXTBSY": Errno.TXTBSY,
    "EXDEV": Errno.XDEV,
}
HOST_TO_WASI: dict[int, Errno] = {
    getattr(_e, name): wasi for name, wasi in _BY_NAME.items() if hasattr(_e, name)
}
HOST_TO_WASI[ENOTCAPABLE] = Errno.NOTCAPABLE


def errno_from_oserror(exc: OSError) -> Errno:
    """The WASI errno for a host or VFS `OSError` (the only such translation).

    An `OSError` without an errno, or with one we do not know, is an I/O error: the guest
    learns that the operation failed, never a number from another numbering.
    """
    code = exc.errno
    if code is None:
        return Errno.IO
    return HOST_TO_WASI.get(code, Errno.IO)


def kernel_error_from_oserror(exc: OSError) -> KernelError:
    """Wrap an `OSError` as the `KernelError` a handler raises (keeps the host message)."""
    return KernelError(errno_from_oserror(exc), str(exc))
