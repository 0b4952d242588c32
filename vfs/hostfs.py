"""Host-directory mounts, sandboxed.

A `HostFs` exposes one host directory. Nothing in it ever hands the host a path with more
than one component: every node holds a host descriptor, and every operation is a
``*at`` call relative to a directory descriptor with a single checked name, with
``O_NOFOLLOW`` wherever the host could follow a symlink. Host symlinks are read as text
and followed by our resolver (`vfs.namespace`), which keeps them inside the sandbox, so
``..``, absolute targets, links planted on the host and directories swapped for symlinks
between check and use all stay inside the mount.

Lookups open the entry with ``O_PATH | O_NOFOLLOW`` first and decide its kind from
``fstat`` of that descriptor, so the check and the use are the same inode. Regular files
are reopened for I/O through ``/proc/self/fd/N`` (a magic link to that same inode), which
also keeps an open file working after it is renamed. Linux-only, as is the project.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat as st_mod
import time
from collections.abc import Iterator

from vfs.errors import fs_error
from vfs.memfs import check_symlink_target
from vfs.node import (
    FIRST_ENTRY_COOKIE,
    Directory,
    DirEntry,
    Filesystem,
    FileType,
    Node,
    Stat,
    check_name,
    check_times,
)

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_PATH_FLAGS = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC

#: Longest single host read (a guest asking for 4 GiB gets a short read).
MAX_HOST_READ = 1 << 24


def filetype_of_mode(mode: int) -> FileType:
    """Map a host ``st_mode`` to a FileType (FIFOs have no WASI type: UNKNOWN)."""
    if st_mod.S_ISREG(mode):
        return FileType.REGULAR_FILE
    if st_mod.S_ISDIR(mode):
        return FileType.DIRECTORY
    if st_mod.S_ISLNK(mode):
        return FileType.SYMBOLIC_LINK
    if st_mod.S_ISCHR(mode):
        return FileType.CHARACTER_DEVICE
    if st_mod.S_ISBLK(mode):
        return FileType.BLOCK_DEVICE
    if st_mod.S_ISSOCK(mode):
        return FileType.SOCKET_STREAM
    return FileType.UNKNOWN


def _to_stat(s: os.stat_result) -> Stat:
    return Stat(
        s.st_dev,
        s.st_ino,
        filetype_of_mode(s.st_mode),
        s.st_nlink,
        s.st_size,
        s.st_atime_ns,
        s.st_mtime_ns,
        s.st_ctime_ns,
    )


def name_cookie(name: str) -> int:
    """The readdir cookie of a host entry: a 62-bit hash of its name, above the dots.

    The host gives no position that stays valid while a directory changes, so entries are
    listed in hash order and a cookie names a point in that order (as ext4's hashed
    directories do): adding or removing other entries moves nothing.
    """
    digest = hashlib.blake2b(name.encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return (int.from_bytes(digest, "little") >> 2) + FIRST_ENTRY_COOKIE + 1


def _utime_args(
    node: Node, atime: int | None, mtime: int | None, atime_now: bool, mtime_now: bool
) -> tuple[int, int] | None:
    """The ``ns`` pair for os.utime, or None for "both now" (host time)."""
    check_times(atime, atime_now, mtime, mtime_now)
    if atime_now and mtime_now:
        return None
    if atime_now or mtime_now:
        now = time.time_ns()
        atime = now if atime_now else atime
        mtime = now if mtime_now else mtime
    if atime is None or mtime is None:
        cur = node.stat()
        atime = cur.atim if atime is None else atime
        mtime = cur.mtim if mtime is None else mtime
    return (atime, mtime)


class HostFs(Filesystem):
    """One host directory mounted into the namespace, optionally read-only."""

    def __init__(self, host_path: str | os.PathLike[str], *, readonly: bool = False) -> None:
        super().__init__(readonly=readonly)
        self.host_path = os.fspath(host_path)
        # The administrator's path is trusted and may itself go through host symlinks;
        # only what lies below it is sandboxed.
        fd = os.open(self.host_path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self.root = HostDir(self, fd, is_root=True)

    def close(self) -> None:
        """Release the root descriptor (after umount); nodes handed out keep their own."""
        self.root.close()

    def lookup_in(self, parent: HostDir, name: str) -> Node:
        """Open entry ``name`` of ``parent`` without following it; the node owns the fd."""
        pfd = os.open(name, _PATH_FLAGS, dir_fd=parent._fd())
        try:
            mode = os.fstat(pfd).st_mode
            if st_mod.S_ISDIR(mode):
                # Reopen the very inode we just checked, for reading (scandir) and fsync.
                fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=pfd)
        except BaseException:
            os.close(pfd)
            raise
        if st_mod.S_ISDIR(mode):
            os.close(pfd)
            return HostDir(self, fd, is_root=False)
        # From here the node owns pfd (the constructors only store it).
        if st_mod.S_ISLNK(mode):
            return HostSymlink(self, pfd, mode, parent, name)
        if st_mod.S_ISREG(mode):
            return HostFile(self, pfd, mode, parent, name)
        return HostOther(self, pfd, mode, parent, name)


class _HostFd:
    """Owns one host descriptor, closed at `close()` or when the node is collected."""

    fd: int

    def close(self) -> None:
        fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def _fd(self) -> int:
        if self.fd < 0:
            raise fs_error(errno.EBADF, "node closed")
        return self.fd


class HostDir(_HostFd, Directory):
    """A host directory, held open by descriptor."""

    def __init__(self, fs: HostFs, fd: int, *, is_root: bool) -> None:
        self.fs: HostFs = fs
        self.fd = fd
        self.is_root = is_root

    def stat(self) -> Stat:
        return _to_stat(os.fstat(self._fd()))

    def dup(self) -> Node:
        return HostDir(self.fs, os.dup(self._fd()), is_root=self.is_root)

    def parent_ino(self) -> int:
        if self.is_root:
            return self.stat().ino  # the host's parent is outside the sandbox
        return os.stat("..", dir_fd=self._fd(), follow_symlinks=False).st_ino

    def set_times(
        self,
        atime: int | None = None,
        mtime: int | None = None,
        *,
        atime_now: bool = False,
        mtime_now: bool = False,
    ) -> None:
        ns = _utime_args(self, atime, mtime, atime_now, mtime_now)
        self.fs.check_writable()
        if ns is None:
            os.utime(self._fd())
        else:
            os.utime(self._fd(), ns=ns)

    def sync(self) -> None:
        os.fsync(self._fd())

    def datasync(self) -> None:
        os.fdatasync(self._fd())

    def lookup(self, name: str) -> Node:
        check_name(name, errno.EINVAL)
        return self.fs.lookup_in(self, name)

    def entries_after(self, cookie: int) -> Iterator[DirEntry]:
        listing = []
        with os.scandir(self._fd()) as it:
            for entry in it:
                c = name_cookie(entry.name)
                if c > cookie:
                    listing.append((c, entry.name, entry))
        listing.sort(key=lambda t: (t[0], t[1]))
        for c, name, entry in listing:
            try:
                if entry.is_symlink():
                    ft = FileType.SYMBOLIC_LINK
                elif entry.is_dir(follow_symlinks=False):
                    ft = FileType.DIRECTORY
                elif entry.is_file(follow_symlinks=False):
                    ft = FileType.REGULAR_FILE
                else:
                    ft = filetype_of_mode(entry.stat(follow_symlinks=False).st_mode)
            except OSError:
                continue  # vanished since the listing
            yield DirEntry(c, entry.inode(), ft, name)

    def _other(self, new_dir: Node) -> HostDir:
        if not new_dir.is_dir:
            raise fs_error(errno.ENOTDIR)
        if not isinstance(new_dir, HostDir) or new_dir.fs is not self.fs:
            raise fs_error(errno.EXDEV)
        return new_dir

    def create(self, name: str, exclusive: bool) -> Node:
        check_name(name, errno.EISDIR)
        if not exclusive:
            try:
                return self.lookup(name)
            except FileNotFoundError:
                pass
        self.fs.check_writable()
        flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(name, flags, 0o666, dir_fd=self._fd())
        except FileExistsError:
            if exclusive:
                raise
            return self.lookup(name)  # created by someone else meanwhile
        os.close(fd)
        return self.lookup(name)

    def mkdir(self, name: str) -> Node:
        check_name(name, errno.EEXIST)
        self.fs.check_writable()
        os.mkdir(name, 0o777, dir_fd=self._fd())
        return self.lookup(name)

    def symlink(self, name: str, target: str) -> Node:
        check_symlink_target(target)
        check_name(name, errno.EEXIST)
        self.fs.check_writable()
        os.symlink(target, name, dir_fd=self._fd())
        return self.lookup(name)

    def unlink(self, name: str) -> None:
        check_name(name, errno.EISDIR)
        self.fs.check_writable()
        os.unlink(name, dir_fd=self._fd())

    def rmdir(self, name: str) -> None:
        check_name(name, errno.EINVAL)
        self.fs.check_writable()
        os.rmdir(name, dir_fd=self._fd())

    def rename(self, old_name: str, new_dir: Node, new_name: str) -> None:
        check_name(old_name, errno.EBUSY)
        check_name(new_name, errno.EBUSY)
        dst = self._other(new_dir)
        self.fs.check_writable()
        os.rename(old_name, new_name, src_dir_fd=self._fd(), dst_dir_fd=dst._fd())

    def link(self, old_name: str, new_dir: Node, new_name: str) -> None:
        check_name(old_name, errno.EPERM)
        check_name(new_name, errno.EEXIST)
        dst = self._other(new_dir)
        self.fs.check_writable()
        os.link(
            old_name,
            new_name,
            src_dir_fd=self._fd(),
            dst_dir_fd=dst._fd(),
            follow_symlinks=False,
        )


class _HostLeaf(_HostFd, Node):
    """A non-directory host entry, pinned by an ``O_PATH`` descriptor."""

    def __init__(self, fs: HostFs, pfd: int, mode: int, parent: HostDir, name: str) -> None:
        self.fs: HostFs = fs
        self.fd = pfd
        self.parent = parent  # only for set_times on symlinks (no fd-based call exists)
        self.name = name
        self.mode = mode
        self.filetype = filetype_of_mode(mode)

    def stat(self) -> Stat:
        return _to_stat(os.fstat(self._fd()))

    def dup(self) -> Node:
        return type(self)(self.fs, os.dup(self._fd()), self.mode, self.parent, self.name)


class HostFile(_HostLeaf):
    """A regular host file; I/O descriptors are opened on first use and kept."""

    def __init__(self, fs: HostFs, pfd: int, mode: int, parent: HostDir, name: str) -> None:
        self._rfd = -1
        self._wfd = -1
        super().__init__(fs, pfd, mode, parent, name)

    def _reopen(self, flags: int) -> int:
        return os.open(f"/proc/self/fd/{self._fd()}", flags | os.O_CLOEXEC)

    def _reader(self) -> int:
        if self._rfd < 0:
            self._rfd = self._reopen(os.O_RDONLY)
        return self._rfd

    def _writer(self) -> int:
        self.fs.check_writable()
        if self._wfd < 0:
            self._wfd = self._reopen(os.O_WRONLY)
        return self._wfd

    def close(self) -> None:
        for attr in ("_rfd", "_wfd"):
            fd = getattr(self, attr, -1)
            setattr(self, attr, -1)
            if fd >= 0:
                os.close(fd)
        super().close()

    def read_at(self, offset: int, n: int) -> bytes:
        if offset < 0 or n < 0:
            raise fs_error(errno.EINVAL, "negative offset or length")
        return os.pread(self._reader(), min(n, MAX_HOST_READ), offset)

    def write_at(self, offset: int, data: bytes) -> int:
        if offset < 0:
            raise fs_error(errno.EINVAL, "negative offset")
        return os.pwrite(self._writer(), data, offset)

    def set_size(self, size: int) -> None:
        if size < 0:
            raise fs_error(errno.EINVAL, "negative size")
        os.ftruncate(self._writer(), size)

    def allocate(self, offset: int, length: int) -> None:
        if offset < 0 or length <= 0:
            raise fs_error(errno.EINVAL, "allocate needs offset >= 0 and length > 0")
        os.posix_fallocate(self._writer(), offset, length)

    def set_times(
        self,
        atime: int | None = None,
        mtime: int | None = None,
        *,
        atime_now: bool = False,
        mtime_now: bool = False,
    ) -> None:
        ns = _utime_args(self, atime, mtime, atime_now, mtime_now)
        self.fs.check_writable()
        fd = self._reader()
        if ns is None:
            os.utime(fd)
        else:
            os.utime(fd, ns=ns)

    def sync(self) -> None:
        os.fsync(self._wfd if self._wfd >= 0 else self._reader())

    def datasync(self) -> None:
        os.fdatasync(self._wfd if self._wfd >= 0 else self._reader())


class HostSymlink(_HostLeaf):
    """A host symlink: its text is read without ever being followed by the host."""

    def readlink(self) -> str:
        return os.readlink("", dir_fd=self._fd())

    def set_times(
        self,
        atime: int | None = None,
        mtime: int | None = None,
        *,
        atime_now: bool = False,
        mtime_now: bool = False,
    ) -> None:
        ns = _utime_args(self, atime, mtime, atime_now, mtime_now)
        self.fs.check_writable()
        check_name(self.name, errno.EINVAL)
        # No fd-based call sets a symlink's times; go by name and check it is still ours.
        pinned = os.fstat(self._fd())
        now = os.stat(self.name, dir_fd=self.parent._fd(), follow_symlinks=False)
        if (now.st_dev, now.st_ino) != (pinned.st_dev, pinned.st_ino):
            raise fs_error(errno.ESTALE, self.name)
        os.utime(self.name, ns=ns, dir_fd=self.parent._fd(), follow_symlinks=False)


class HostOther(_HostLeaf):
    """A host FIFO, socket or device: stat works, I/O is refused.

    Opening a FIFO or a device could block the kernel or touch host hardware; a mounted
    directory is for files.
    """

    def read_at(self, offset: int, n: int) -> bytes:
        raise fs_error(errno.ENOTSUP, "I/O on a host special file")

    def write_at(self, offset: int, data: bytes) -> int:
        raise fs_error(errno.ENOTSUP, "I/O on a host special file")
