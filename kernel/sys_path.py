"""The path_* family, through the VFS namespace (the project's only resolver).

Each handler finds the directory fd (`NOTDIR` if it is not one: the kind of file answers
first, as POSIX ``openat`` does), checks the rights of its call (`NOTCAPABLE`), and calls
the one namespace method for it; the namespace decides every path edge case (``..``
above the preopen, symlinks, trailing slashes, mounts). Paths arrive as str or as the raw
bytes from guest memory (invalid UTF-8 becomes `ILSEQ` in the resolver).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import Errno, Filetype, Lookupflags, Oflags, Rights
from kernel.errors import KernelError
from kernel.file import NodeFile
from kernel.sys_fd import FDFLAGS_ALL, times_from_flags
from vfs.node import Node

if TYPE_CHECKING:
    from kernel.fdtable import FdEntry
    from kernel.proc import Process

R = Rights
OFLAGS_ALL = Oflags.CREAT | Oflags.DIRECTORY | Oflags.EXCL | Oflags.TRUNC


def _dir(proc: Process, fd: int, rights: Rights) -> tuple[FdEntry, Node]:
    """The directory node behind ``fd``, after its kind and then its rights are checked."""
    entry = proc.fds.get(fd)
    node = entry.file.node  # NOTDIR for anything but a directory
    return proc.fds.get(fd, rights), node


def _follow(flags: int) -> bool:
    if flags & ~int(Lookupflags.SYMLINK_FOLLOW):
        raise KernelError(Errno.INVAL, f"lookupflags {flags:#x}")
    return bool(flags & Lookupflags.SYMLINK_FOLLOW)


def _text(path: str | bytes) -> str:
    if isinstance(path, bytes):
        try:
            return path.decode("utf-8")
        except UnicodeDecodeError:
            raise KernelError(Errno.ILSEQ, "path is not UTF-8") from None
    return path


async def path_open(
    proc: Process,
    fd: int,
    dirflags: int,
    path: str | bytes,
    oflags: int,
    fs_rights_base: int,
    fs_rights_inheriting: int,
    fdflags: int,
) -> list[int]:
    """→ [new fd]. Rights asked for are cut to the directory's inheriting rights."""
    follow = _follow(dirflags)
    if oflags & ~int(OFLAGS_ALL):
        raise KernelError(Errno.INVAL, f"oflags {oflags:#x}")
    if fdflags & ~int(FDFLAGS_ALL):
        raise KernelError(Errno.INVAL, f"fdflags {fdflags:#x}")
    need = R.PATH_OPEN
    if oflags & Oflags.CREAT:
        need |= R.PATH_CREATE_FILE
    if oflags & Oflags.TRUNC:
        need |= R.PATH_FILESTAT_SET_SIZE
    entry, directory = _dir(proc, fd, need)
    base = Rights(fs_rights_base & entry.rights_inheriting)
    inheriting = Rights(fs_rights_inheriting & entry.rights_inheriting)
    ns = proc.kernel.namespace
    node = ns.open(
        directory,
        path,
        follow=follow,
        create=bool(oflags & Oflags.CREAT),
        exclusive=bool(oflags & Oflags.EXCL),
        directory=bool(oflags & Oflags.DIRECTORY),
    )
    file = NodeFile(node, fdflags)
    try:
        is_dir = file.filetype == Filetype.DIRECTORY
        writes = bool(base & R.FD_WRITE) or bool(oflags & Oflags.TRUNC)
        if is_dir and writes:
            raise KernelError(Errno.ISDIR, "a directory cannot be opened for writing")
        if writes and node.read_only:
            raise KernelError(Errno.ROFS)
        if oflags & Oflags.TRUNC and file.filetype == Filetype.REGULAR_FILE:
            node.set_size(0)
        return [proc.fds.install(file, base, inheriting)]
    except BaseException:
        file.acquire()
        file.release()  # never installed: release the node (host descriptors)
        raise


async def path_create_directory(proc: Process, fd: int, path: str | bytes) -> list[object]:
    """Make a directory (`EXIST` if the name is taken)."""
    _, d = _dir(proc, fd, R.PATH_CREATE_DIRECTORY)
    proc.kernel.namespace.mkdir(d, path)
    return []


async def path_filestat_get(proc: Process, fd: int, flags: int, path: str | bytes) -> list[int]:
    """→ [dev, ino, filetype, nlink, size, atim, mtim, ctim] of the named file."""
    follow = _follow(flags)
    _, d = _dir(proc, fd, R.PATH_FILESTAT_GET)
    st = proc.kernel.namespace.stat(d, path, follow=follow)
    return [st.dev, st.ino, int(st.filetype), st.nlink, st.size, st.atim, st.mtim, st.ctim]


async def path_filestat_set_times(
    proc: Process,
    fd: int,
    flags: int,
    path: str | bytes,
    atim: int,
    mtim: int,
    fst_flags: int,
) -> list[object]:
    """Set the named file's atime/mtime to values or now."""
    follow = _follow(flags)
    atime, mtime, atime_now, mtime_now = times_from_flags(atim, mtim, fst_flags)
    _, d = _dir(proc, fd, R.PATH_FILESTAT_SET_TIMES)
    proc.kernel.namespace.set_times(
        d, path, follow=follow, atime=atime, mtime=mtime, atime_now=atime_now, mtime_now=mtime_now
    )
    return []


async def path_link(
    proc: Process,
    old_fd: int,
    old_flags: int,
    old_path: str | bytes,
    new_fd: int,
    new_path: str | bytes,
) -> list[object]:
    """Hard link: needs PATH_LINK_SOURCE on the old directory, PATH_LINK_TARGET on the new."""
    follow = _follow(old_flags)
    _, old_dir = _dir(proc, old_fd, R.PATH_LINK_SOURCE)
    _, new_dir = _dir(proc, new_fd, R.PATH_LINK_TARGET)
    proc.kernel.namespace.link(old_dir, old_path, new_dir, new_path, follow=follow)
    return []


async def path_readlink(proc: Process, fd: int, path: str | bytes, buf_len: int) -> list[bytes]:
    """→ [target bytes], cut to ``buf_len`` as POSIX readlink does (no NUL added)."""
    _, d = _dir(proc, fd, R.PATH_READLINK)
    target = proc.kernel.namespace.readlink(d, path)
    return [target.encode("utf-8", "surrogateescape")[:buf_len]]


async def path_remove_directory(proc: Process, fd: int, path: str | bytes) -> list[object]:
    """Remove an empty directory (`NOTEMPTY`, `NOTDIR`, `BUSY` for a mount point)."""
    _, d = _dir(proc, fd, R.PATH_REMOVE_DIRECTORY)
    proc.kernel.namespace.rmdir(d, path)
    return []


async def path_rename(
    proc: Process, fd: int, old_path: str | bytes, new_fd: int, new_path: str | bytes
) -> list[object]:
    """Rename: PATH_RENAME_SOURCE on ``fd``, PATH_RENAME_TARGET on ``new_fd``."""
    _, old_dir = _dir(proc, fd, R.PATH_RENAME_SOURCE)
    _, new_dir = _dir(proc, new_fd, R.PATH_RENAME_TARGET)
    proc.kernel.namespace.rename(old_dir, old_path, new_dir, new_path)
    return []


async def path_symlink(
    proc: Process, old_path: str | bytes, fd: int, new_path: str | bytes
) -> list[object]:
    """Create ``new_path`` holding ``old_path`` verbatim (checked only when followed)."""
    target = _text(old_path)
    _, d = _dir(proc, fd, R.PATH_SYMLINK)
    proc.kernel.namespace.symlink(target, d, new_path)
    return []


async def path_unlink_file(proc: Process, fd: int, path: str | bytes) -> list[object]:
    """Remove a non-directory entry (`ISDIR` for a directory)."""
    _, d = _dir(proc, fd, R.PATH_UNLINK_FILE)
    proc.kernel.namespace.unlink(d, path)
    return []
