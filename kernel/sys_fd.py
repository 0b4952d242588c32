"""The fd_* family: I/O, seeking, metadata, readdir, rights, renumbering and preopens.

Each handler starts with the one rights check of its call (`FdTable.get(fd, rights)`),
then asks the open file description, which answers for its kind (file, directory,
device, pipe, socket). Plain values in and out: iovecs arrive as a list of lengths (read)
or a list of byte strings (write); the stub scatters and gathers them in guest memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import Advice, Errno, Fdflags, Filetype, Fstflags, Rights, Whence
from kernel.errors import KernelError

if TYPE_CHECKING:
    from kernel.fdtable import FdEntry
    from kernel.proc import Process

R = Rights

#: One read's cap: a guest may ask for 4 GiB in one iovec; a short read is legal POSIX and
#: keeps a single call from making the kernel allocate (or send) that much.
MAX_IO = 1 << 22
#: Bytes of a dirent before its name (d_next, d_ino, d_namlen, d_type and padding).
DIRENT_SIZE = 24

FDFLAGS_ALL = Fdflags.APPEND | Fdflags.DSYNC | Fdflags.NONBLOCK | Fdflags.RSYNC | Fdflags.SYNC
FSTFLAGS_ALL = Fstflags.ATIM | Fstflags.ATIM_NOW | Fstflags.MTIM | Fstflags.MTIM_NOW


def _io_size(lengths: list[int]) -> int:
    return min(sum(lengths), MAX_IO)


def _data(proc: Process, fd: int, rights: Rights) -> FdEntry:
    """An fd for a data call: `BADF` on a directory (as wasmtime), then the rights."""
    entry = proc.fds.get(fd)
    if entry.file.filetype == Filetype.DIRECTORY:
        raise KernelError(Errno.BADF, f"fd {fd} is a directory")
    return proc.fds.get(fd, rights)


def _seekable(proc: Process, fd: int, rights: Rights) -> FdEntry:
    """An fd for an offset-taking call: `BADF` on a directory, `SPIPE` on streams (as
    POSIX), then the rights."""
    entry = _data(proc, fd, Rights(0))
    if not entry.file.seekable:
        raise KernelError(Errno.SPIPE, f"fd {fd} is not seekable")
    return proc.fds.get(fd, rights)


def times_from_flags(
    atim: int, mtim: int, fst_flags: int
) -> tuple[int | None, int | None, bool, bool]:
    """(atime, mtime, atime_now, mtime_now) from WASI's fstflags; `INVAL` on a contradiction."""
    if fst_flags & ~int(FSTFLAGS_ALL):
        raise KernelError(Errno.INVAL, f"fstflags {fst_flags:#x}")
    f = Fstflags(fst_flags)
    if (Fstflags.ATIM in f and Fstflags.ATIM_NOW in f) or (
        Fstflags.MTIM in f and Fstflags.MTIM_NOW in f
    ):
        raise KernelError(Errno.INVAL, "a time given both as a value and as now")
    return (
        atim if Fstflags.ATIM in f else None,
        mtim if Fstflags.MTIM in f else None,
        Fstflags.ATIM_NOW in f,
        Fstflags.MTIM_NOW in f,
    )


# --- I/O ----------------------------------------------------------------------------


async def fd_read(proc: Process, fd: int, iovs: list[int]) -> list[bytes]:
    """→ [data]; ``len(data)`` is nread (b"" at EOF). Blocks on an empty pipe."""
    entry = _data(proc, fd, R.FD_READ)
    return [await entry.file.read(_io_size(iovs))]


async def fd_write(proc: Process, fd: int, iovs: list[bytes]) -> list[int]:
    """→ [nwritten]. The iovecs are gathered into one write (atomic up to PIPE_BUF)."""
    entry = _data(proc, fd, R.FD_WRITE)
    return [await entry.file.write(b"".join(iovs))]


async def fd_pread(proc: Process, fd: int, iovs: list[int], offset: int) -> list[bytes]:
    """→ [data] read at ``offset``; the fd's offset is unchanged."""
    entry = _seekable(proc, fd, R.FD_READ | R.FD_SEEK)
    return [entry.file.pread(_io_size(iovs), offset)]


async def fd_pwrite(proc: Process, fd: int, iovs: list[bytes], offset: int) -> list[int]:
    """→ [nwritten] at ``offset``; the fd's offset is unchanged."""
    entry = _seekable(proc, fd, R.FD_WRITE | R.FD_SEEK)
    return [entry.file.pwrite(b"".join(iovs), offset)]


async def fd_seek(proc: Process, fd: int, offset: int, whence: int) -> list[int]:
    """→ [new offset]. A pure tell (0, CUR) needs only FD_TELL, as wasmtime."""
    if whence not in (Whence.SET, Whence.CUR, Whence.END):
        raise KernelError(Errno.INVAL, f"whence {whence}")
    need = R.FD_TELL if (offset == 0 and whence == Whence.CUR) else R.FD_SEEK
    entry = _seekable(proc, fd, need)
    return [entry.file.seek(offset, Whence(whence))]


async def fd_tell(proc: Process, fd: int) -> list[int]:
    """→ [offset]."""
    entry = _seekable(proc, fd, R.FD_TELL)
    return [entry.file.tell()]


# --- fd state -------------------------------------------------------------------------


async def fd_close(proc: Process, fd: int) -> list[object]:
    """Close ``fd`` (preopens too); the description closes with its last fd."""
    proc.fds.close(fd)
    return []


async def fd_renumber(proc: Process, fd: int, to: int) -> list[object]:
    """Move ``fd`` onto ``to`` (closing what ``to`` was); both must be open."""
    proc.fds.renumber(fd, to)
    return []


async def fd_fdstat_get(proc: Process, fd: int) -> list[int]:
    """→ [filetype, fdflags, rights_base, rights_inheriting]."""
    entry = proc.fds.get(fd)
    f = entry.file
    return [int(f.filetype), int(f.fdflags), int(entry.rights_base), int(entry.rights_inheriting)]


async def fd_fdstat_set_flags(proc: Process, fd: int, flags: int) -> list[object]:
    """Set the description's fdflags (shared by every fd of the same open, as fcntl)."""
    if flags & ~int(FDFLAGS_ALL):
        raise KernelError(Errno.INVAL, f"fdflags {flags:#x}")
    entry = proc.fds.get(fd, R.FD_FDSTAT_SET_FLAGS)
    entry.file.fdflags = Fdflags(flags)
    return []


async def fd_fdstat_set_rights(
    proc: Process, fd: int, fs_rights_base: int, fs_rights_inheriting: int
) -> list[object]:
    """Drop rights (never add: `NOTCAPABLE`)."""
    proc.fds.set_rights(fd, Rights(fs_rights_base), Rights(fs_rights_inheriting))
    return []


# --- metadata -------------------------------------------------------------------------


async def fd_filestat_get(proc: Process, fd: int) -> list[int]:
    """→ [dev, ino, filetype, nlink, size, atim, mtim, ctim]."""
    entry = proc.fds.get(fd, R.FD_FILESTAT_GET)
    return list(entry.file.filestat())


async def fd_filestat_set_size(proc: Process, fd: int, size: int) -> list[object]:
    """Truncate or extend with zeros. An fd not open for writing is `INVAL`, as in
    wasmtime and Linux's ftruncate (a right dropped from a writable fd: `NOTCAPABLE`)."""
    entry = proc.fds.get(fd)
    if not entry.rights_base & (R.FD_FILESTAT_SET_SIZE | R.FD_WRITE):
        raise KernelError(Errno.INVAL, f"fd {fd} is not open for writing")
    entry = proc.fds.get(fd, R.FD_FILESTAT_SET_SIZE)
    entry.file.set_size(size)
    return []


async def fd_filestat_set_times(
    proc: Process, fd: int, atim: int, mtim: int, fst_flags: int
) -> list[object]:
    """Set atime/mtime to values or to now, per ``fst_flags``."""
    times = times_from_flags(atim, mtim, fst_flags)
    entry = proc.fds.get(fd, R.FD_FILESTAT_SET_TIMES)
    entry.file.set_times(*times)
    return []


async def fd_allocate(proc: Process, fd: int, offset: int, len: int) -> list[object]:
    """Back bytes [offset, offset+len), growing the file if needed."""
    entry = proc.fds.get(fd, R.FD_ALLOCATE)
    if len == 0:
        raise KernelError(Errno.INVAL, "zero length")  # as posix_fallocate
    entry.file.allocate(offset, len)
    return []


async def fd_advise(proc: Process, fd: int, offset: int, len: int, advice: int) -> list[object]:
    """Accept (and ignore) advice about an access pattern; `INVAL` for unknown advice."""
    if advice not in set(Advice):
        raise KernelError(Errno.INVAL, f"advice {advice}")
    entry = proc.fds.get(fd, R.FD_ADVISE)
    entry.file.advise(offset, len, advice)
    return []


async def fd_sync(proc: Process, fd: int) -> list[object]:
    """Flush data and metadata (host files really fsync)."""
    proc.fds.get(fd, R.FD_SYNC).file.sync()
    return []


async def fd_datasync(proc: Process, fd: int) -> list[object]:
    """Flush data (host files really fdatasync)."""
    proc.fds.get(fd, R.FD_DATASYNC).file.datasync()
    return []


# --- directories and preopens -----------------------------------------------------------


async def fd_readdir(proc: Process, fd: int, buf_len: int, cookie: int) -> list[list[list[object]]]:
    """→ [entries], each [d_next, d_ino, d_type, name bytes], from ``cookie`` on.

    Entries are returned until their encoded size (24 bytes + name each) reaches
    ``buf_len``: the last one may not fit. The stub copies them in order and truncates
    the last at ``buf_len``, reporting bufused == buf_len, which is how wasi-libc learns
    to grow its buffer and call again from that entry's cookie.
    """
    if proc.fds.get(fd).file.filetype != Filetype.DIRECTORY:
        raise KernelError(Errno.BADF, f"fd {fd} is not a directory")  # as wasmtime
    entry = proc.fds.get(fd, R.FD_READDIR)
    out: list[list[object]] = []
    used = 0
    if buf_len == 0:
        return [out]
    for d_next, ino, ftype, name in entry.file.readdir(cookie):
        raw = name.encode("utf-8", "surrogateescape")
        out.append([d_next, ino, ftype, raw])
        used += DIRENT_SIZE + len(raw)
        if used >= buf_len:
            break
    return [out]


async def fd_prestat_get(proc: Process, fd: int) -> list[int]:
    """→ [tag (0: dir), name length]; `BADF` if ``fd`` is not a preopen."""
    entry = proc.fds.get(fd)
    if entry.preopen is None:
        raise KernelError(Errno.BADF, f"fd {fd} is not a preopen")
    return [0, len(entry.preopen.encode())]


async def fd_prestat_dir_name(proc: Process, fd: int, path_len: int) -> list[bytes]:
    """→ [the preopen's guest path]; `NAMETOOLONG` if it exceeds ``path_len``."""
    entry = proc.fds.get(fd)
    if entry.preopen is None:
        raise KernelError(Errno.BADF, f"fd {fd} is not a preopen")
    name = entry.preopen.encode()
    if len(name) > path_len:
        raise KernelError(Errno.NAMETOOLONG, f"preopen name needs {len(name)} bytes")
    return [name]
