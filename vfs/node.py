"""The one node protocol every kind of file implements.

A `Node` is an inode: it has identity (device, inode number), metadata and contents, but no
offset, open flags or rights — those belong to the kernel's open-file descriptions. Every
operation has a safe default here that raises the errno POSIX gives when a kind of file does
not support it (reading a directory is ``EISDIR``, looking a name up in a regular file is
``ENOTDIR``, ...), so a new kind of file only overrides what it actually does.

Directory operations take a single *name* (never a path) and never see ``.`` or ``..``:
path walking, symlinks and mounts are the resolver's job (`vfs.namespace`). Each directory
method still checks its name, so a bug elsewhere cannot turn ``..`` into a host call.
"""

from __future__ import annotations

import errno
import itertools
import time
from collections.abc import Callable, Iterator
from enum import IntEnum
from typing import NamedTuple

from vfs.errors import fs_error

#: A clock for timestamps: nanoseconds since the Unix epoch. Injected, so tests are
#: deterministic.
Clock = Callable[[], int]

#: The longest name of one directory entry, in UTF-8 bytes (POSIX NAME_MAX on Linux).
NAME_MAX = 255
#: The longest path (and symlink target) accepted, in UTF-8 bytes (Linux PATH_MAX).
PATH_MAX = 4096

#: readdir cookies: 0 starts a listing; "." ends at 1 and ".." at 2, so entries proper
#: always carry cookies greater than `FIRST_ENTRY_COOKIE`.
COOKIE_START = 0
FIRST_ENTRY_COOKIE = 2


class FileType(IntEnum):
    """Kind of a node. Numbered as WASI's ``filetype`` so the kernel converts by value."""

    UNKNOWN = 0
    BLOCK_DEVICE = 1
    CHARACTER_DEVICE = 2
    DIRECTORY = 3
    REGULAR_FILE = 4
    SOCKET_DGRAM = 5
    SOCKET_STREAM = 6
    SYMBOLIC_LINK = 7


class Stat(NamedTuple):
    """What ``fd_filestat_get`` reports; times in nanoseconds since the epoch."""

    dev: int
    ino: int
    filetype: FileType
    nlink: int
    size: int
    atim: int
    mtim: int
    ctim: int


class DirEntry(NamedTuple):
    """One readdir entry. ``next_cookie`` resumes the listing just after this entry."""

    next_cookie: int
    ino: int
    filetype: FileType
    name: str


_dev_ids = itertools.count(1 << 48)


def new_dev_id() -> int:
    """A device id for a synthetic filesystem.

    Allocated far above the range Linux encodes host device numbers in, so an in-memory
    filesystem never shares a ``dev`` with a host mount (``(dev, ino)`` stays unique).
    """
    return next(_dev_ids)


class Filesystem:
    """One mounted filesystem: its device id and whether it refuses writes.

    Renames and hard links work only within one `Filesystem` (``EXDEV`` across).
    """

    def __init__(self, *, readonly: bool = False, clock: Clock = time.time_ns) -> None:
        self.dev = new_dev_id()
        self.readonly = readonly
        self.clock = clock

    def check_writable(self) -> None:
        """Raise ``EROFS`` on a read-only filesystem: every write path calls this first."""
        if self.readonly:
            raise fs_error(errno.EROFS)


def check_times(atime: int | None, atime_now: bool, mtime: int | None, mtime_now: bool) -> None:
    """A time given both as a value and as "now" is ``EINVAL`` (as ``utimensat``)."""
    if (atime is not None and atime_now) or (mtime is not None and mtime_now):
        raise fs_error(errno.EINVAL, "time given both as a value and as now")
    for t in (atime, mtime):
        if t is not None and t < 0:
            raise fs_error(errno.EINVAL, "negative time")


def check_name(name: str, dots_errno: int) -> None:
    """Validate one directory-entry name for a directory operation.

    ``.`` and ``..`` raise ``dots_errno`` (each operation has its own POSIX answer: mkdir
    gives ``EEXIST``, rmdir ``EINVAL``, rename ``EBUSY``, ...). A slash or NUL can never
    reach a directory method through the resolver; finding one is ``EINVAL`` so that no
    host call ever receives a multi-component path.
    """
    if name in (".", ".."):
        raise fs_error(dots_errno, name)
    if not name:
        raise fs_error(errno.ENOENT, "empty name")
    if "/" in name or "\0" in name:
        raise fs_error(errno.EINVAL, repr(name))
    if len(name.encode("utf-8", "surrogateescape")) > NAME_MAX:
        raise fs_error(errno.ENAMETOOLONG, name[:32] + "...")


class Node:
    """Base of every node, with the safe default for every operation.

    Subclasses set ``fs`` and ``filetype`` and override what they support.
    """

    fs: Filesystem
    filetype: FileType = FileType.UNKNOWN

    # -- metadata ---------------------------------------------------------------------

    def stat(self) -> Stat:
        """Metadata of this node."""
        raise NotImplementedError

    @property
    def is_dir(self) -> bool:
        """True for directories (the resolver descends only into these)."""
        return self.filetype == FileType.DIRECTORY

    @property
    def read_only(self) -> bool:
        """True when every write to this node will fail with ``EROFS``.

        The kernel checks it at open time, as POSIX ``open(O_WRONLY)`` does.
        """
        return self.fs.readonly

    def key(self) -> tuple[object, int, int]:
        """Identity of the inode within the namespace: (filesystem, dev, ino).

        Two node objects with equal keys are the same file (host lookups create a new
        object each time). Mount points are keyed by it.
        """
        st = self.stat()
        return (self.fs, st.dev, st.ino)

    def set_times(
        self,
        atime: int | None = None,
        mtime: int | None = None,
        *,
        atime_now: bool = False,
        mtime_now: bool = False,
    ) -> None:
        """Set access/modification times (ns); None leaves one unchanged."""
        raise fs_error(errno.ENOTSUP, "set_times")

    # -- contents ---------------------------------------------------------------------

    def read_at(self, offset: int, n: int) -> bytes:
        """Up to ``n`` bytes from ``offset``; fewer (or none) at end of file."""
        raise fs_error(errno.EINVAL, "read")

    def write_at(self, offset: int, data: bytes) -> int:
        """Write ``data`` at ``offset`` (extending with zeros); returns bytes written."""
        raise fs_error(errno.EINVAL, "write")

    def set_size(self, size: int) -> None:
        """Truncate or extend (with zeros) to ``size`` bytes."""
        raise fs_error(errno.EINVAL, "set_size")

    def allocate(self, offset: int, length: int) -> None:
        """Make sure bytes [offset, offset+length) are backed; extends the size if needed."""
        raise fs_error(errno.ENODEV, "allocate")

    def sync(self) -> None:
        """Flush data and metadata to stable storage. Nothing to flush by default."""

    def datasync(self) -> None:
        """Flush data to stable storage. Nothing to flush by default."""

    def readlink(self) -> str:
        """Target of a symbolic link, verbatim."""
        raise fs_error(errno.EINVAL, "readlink")

    def close(self) -> None:
        """Release host resources (descriptors) early; the node is unusable afterwards.

        Only for nodes the caller owns (from `dup`, `Namespace.open`, `Namespace.lookup`);
        nodes that are not closed release their descriptors when garbage-collected.
        """

    def dup(self) -> Node:
        """The same inode as a node the caller owns: closing it affects no other holder.

        In-memory nodes are shared objects whose `close` does nothing, so they return
        themselves; host nodes duplicate their descriptor.
        """
        return self

    # -- directories ------------------------------------------------------------------

    def lookup(self, name: str) -> Node:
        """The entry ``name`` (not following it if it is a symlink)."""
        raise fs_error(errno.ENOTDIR)

    def create(self, name: str, exclusive: bool) -> Node:
        """Create a regular file, or return the existing entry unless ``exclusive``."""
        raise fs_error(errno.ENOTDIR)

    def mkdir(self, name: str) -> Node:
        """Create a directory (``EEXIST`` if the name is taken, whatever it is)."""
        raise fs_error(errno.ENOTDIR)

    def symlink(self, name: str, target: str) -> Node:
        """Create a symbolic link holding ``target`` verbatim (resolved only when used)."""
        raise fs_error(errno.ENOTDIR)

    def unlink(self, name: str) -> None:
        """Remove a non-directory entry."""
        raise fs_error(errno.ENOTDIR)

    def rmdir(self, name: str) -> None:
        """Remove an empty directory."""
        raise fs_error(errno.ENOTDIR)

    def rename(self, old_name: str, new_dir: Node, new_name: str) -> None:
        """Move entry ``old_name`` of this directory to ``new_name`` in ``new_dir``."""
        raise fs_error(errno.ENOTDIR)

    def link(self, old_name: str, new_dir: Node, new_name: str) -> None:
        """Make ``new_name`` in ``new_dir`` a hard link to entry ``old_name`` of this one."""
        raise fs_error(errno.ENOTDIR)

    def readdir(self, cookie: int = COOKIE_START) -> Iterator[DirEntry]:
        """Entries after ``cookie``: ``.`` and ``..`` first, then the rest.

        A cookie stays valid while entries are added and removed: resuming from it never
        skips or repeats an entry that existed throughout.
        """
        raise fs_error(errno.ENOTDIR)


class Directory(Node):
    """Base of directories: content operations fail with ``EISDIR``; readdir adds dots."""

    filetype = FileType.DIRECTORY

    def read_at(self, offset: int, n: int) -> bytes:
        raise fs_error(errno.EISDIR)

    def write_at(self, offset: int, data: bytes) -> int:
        raise fs_error(errno.EISDIR)

    def set_size(self, size: int) -> None:
        raise fs_error(errno.EISDIR)

    def allocate(self, offset: int, length: int) -> None:
        raise fs_error(errno.EISDIR)

    def parent_ino(self) -> int:
        """Inode number reported for ``..`` (a filesystem root reports its own)."""
        return self.stat().ino

    def readdir(self, cookie: int = COOKIE_START) -> Iterator[DirEntry]:
        if cookie < 0:
            raise fs_error(errno.EINVAL, "negative cookie")
        return self._readdir(cookie)

    def _readdir(self, cookie: int) -> Iterator[DirEntry]:
        if cookie < 1:
            yield DirEntry(1, self.stat().ino, FileType.DIRECTORY, ".")
        if cookie < 2:
            yield DirEntry(2, self.parent_ino(), FileType.DIRECTORY, "..")
        yield from self.entries_after(max(cookie, FIRST_ENTRY_COOKIE))

    def entries_after(self, cookie: int) -> Iterator[DirEntry]:
        """Entries (without dots) whose cookie is greater than ``cookie``, in cookie order."""
        raise NotImplementedError
