"""The in-memory filesystem: the default root of every namespace.

Regular files hold a ``bytearray``; directories keep, besides their name → node map, a
per-directory sequence number for each entry, which is its readdir cookie: numbers only
grow and a removal never renumbers, so a reader resuming from a cookie neither skips nor
repeats an entry that survived. Timestamps come from the filesystem's injectable clock.
"""

from __future__ import annotations

import bisect
import errno
import itertools
import time
from collections.abc import Iterator

from vfs.errors import fs_error
from vfs.node import (
    FIRST_ENTRY_COOKIE,
    PATH_MAX,
    Clock,
    Directory,
    DirEntry,
    Filesystem,
    FileType,
    Node,
    Stat,
    check_name,
    check_times,
)

#: Default cap on one in-memory file (``EFBIG`` beyond): a guest must not be able to make
#: the kernel allocate unbounded memory with one ``write_at`` at a huge offset.
DEFAULT_MAX_FILE_SIZE = 1 << 32


class MemFs(Filesystem):
    """An in-memory filesystem with its own device id and inode numbers."""

    def __init__(
        self,
        *,
        clock: Clock = time.time_ns,
        readonly: bool = False,
        max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    ) -> None:
        super().__init__(readonly=readonly, clock=clock)
        self.max_file_size = max_file_size
        self._inos = itertools.count(1)
        self.root = MemDir(self, parent=None)

    def new_ino(self) -> int:
        """A fresh inode number, never reused within this filesystem."""
        return next(self._inos)


class MemNode(Node):
    """Metadata shared by every in-memory node (also the base of devices)."""

    def __init__(self, fs: MemFs) -> None:
        self.fs: MemFs = fs
        self.ino = fs.new_ino()
        self.nlink = 1
        now = fs.clock()
        self.atime = self.mtime = self.ctime = now

    def size(self) -> int:
        """Size reported by stat."""
        return 0

    def stat(self) -> Stat:
        return Stat(
            self.fs.dev,
            self.ino,
            self.filetype,
            self.nlink,
            self.size(),
            self.atime,
            self.mtime,
            self.ctime,
        )

    def key(self) -> tuple[object, int, int]:
        return (self.fs, self.fs.dev, self.ino)

    def touch_changed(self) -> None:
        """Metadata changed: ctime = now."""
        self.ctime = self.fs.clock()

    def touch_modified(self) -> None:
        """Contents changed: mtime = ctime = now."""
        self.mtime = self.ctime = self.fs.clock()

    def set_times(
        self,
        atime: int | None = None,
        mtime: int | None = None,
        *,
        atime_now: bool = False,
        mtime_now: bool = False,
    ) -> None:
        check_times(atime, atime_now, mtime, mtime_now)
        self.fs.check_writable()
        now = self.fs.clock()
        if atime_now:
            atime = now
        if mtime_now:
            mtime = now
        if atime is not None:
            self.atime = atime
        if mtime is not None:
            self.mtime = mtime
        self.ctime = now


def _check_offset(offset: int, length: int, fs: MemFs) -> None:
    if offset < 0 or length < 0:
        raise fs_error(errno.EINVAL, "negative offset or length")
    if offset + length > fs.max_file_size:
        raise fs_error(errno.EFBIG)


class MemFile(MemNode):
    """A regular file whose contents live in a bytearray."""

    filetype = FileType.REGULAR_FILE

    def __init__(self, fs: MemFs, data: bytes = b"") -> None:
        super().__init__(fs)
        self.data = bytearray(data)

    def size(self) -> int:
        return len(self.data)

    def read_at(self, offset: int, n: int) -> bytes:
        if offset < 0 or n < 0:
            raise fs_error(errno.EINVAL, "negative offset or length")
        self.atime = self.fs.clock()
        return bytes(self.data[offset : offset + n])

    def write_at(self, offset: int, data: bytes) -> int:
        self.fs.check_writable()
        _check_offset(offset, len(data), self.fs)
        if offset > len(self.data):
            self.data.extend(bytes(offset - len(self.data)))
        self.data[offset : offset + len(data)] = data
        self.touch_modified()
        return len(data)

    def set_size(self, size: int) -> None:
        self.fs.check_writable()
        _check_offset(size, 0, self.fs)
        if size < len(self.data):
            del self.data[size:]
        else:
            self.data.extend(bytes(size - len(self.data)))
        self.touch_modified()

    def allocate(self, offset: int, length: int) -> None:
        if offset < 0 or length <= 0:
            raise fs_error(errno.EINVAL, "allocate needs offset >= 0 and length > 0")
        self.fs.check_writable()
        _check_offset(offset, length, self.fs)
        if offset + length > len(self.data):
            self.data.extend(bytes(offset + length - len(self.data)))
            self.touch_modified()


class MemSymlink(MemNode):
    """A symbolic link; its target is text, interpreted only by the resolver."""

    filetype = FileType.SYMBOLIC_LINK

    def __init__(self, fs: MemFs, target: str) -> None:
        super().__init__(fs)
        self.target = target

    def size(self) -> int:
        return len(self.target.encode("utf-8", "surrogateescape"))

    def readlink(self) -> str:
        self.atime = self.fs.clock()
        return self.target


def check_symlink_target(target: str) -> None:
    """Targets follow ``symlink(2)``: not empty, no NUL, at most PATH_MAX bytes."""
    if not target:
        raise fs_error(errno.ENOENT, "empty symlink target")
    if "\0" in target:
        raise fs_error(errno.EINVAL, "NUL in symlink target")
    if len(target.encode("utf-8", "surrogateescape")) >= PATH_MAX:
        raise fs_error(errno.ENAMETOOLONG, "symlink target")


class MemDir(MemNode, Directory):
    """A directory: name → node, plus the readdir sequence numbers."""

    filetype = FileType.DIRECTORY

    def __init__(self, fs: MemFs, parent: MemDir | None) -> None:
        super().__init__(fs)
        self.nlink = 2
        self.parent = parent
        self.removed = False
        self._entries: dict[str, tuple[int, Node]] = {}
        self._name_of_seq: dict[int, str] = {}
        self._seqs: list[int] = []  # ascending; may hold seqs of removed entries
        self._next_seq = FIRST_ENTRY_COOKIE + 1

    # -- bookkeeping ------------------------------------------------------------------

    def size(self) -> int:
        return len(self._entries)

    def parent_ino(self) -> int:
        return self.parent.ino if self.parent is not None else self.ino

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        """Names of the entries, oldest first (for tests and debugging)."""
        return [self._name_of_seq[s] for s in self._seqs if s in self._name_of_seq]

    def _add(self, name: str, node: Node) -> None:
        seq = self._next_seq
        self._next_seq += 1
        self._entries[name] = (seq, node)
        self._name_of_seq[seq] = name
        self._seqs.append(seq)

    def _remove(self, name: str) -> Node:
        seq, node = self._entries.pop(name)
        del self._name_of_seq[seq]
        if len(self._seqs) > 2 * len(self._entries) + 32:
            self._seqs = [s for s in self._seqs if s in self._name_of_seq]
        return node

    def _alive(self) -> None:
        """Creating in a directory that was removed is ``ENOENT``, as on Linux."""
        if self.removed:
            raise fs_error(errno.ENOENT, "directory was removed")

    def _check_same_fs(self, other: Node) -> MemDir:
        if not isinstance(other, MemDir) or other.fs is not self.fs:
            if not other.is_dir:
                raise fs_error(errno.ENOTDIR)
            raise fs_error(errno.EXDEV)
        return other

    def add(self, name: str, node: MemNode) -> None:
        """Insert an existing node (used to build /dev); ``EEXIST`` if taken."""
        check_name(name, errno.EEXIST)
        self._alive()
        if name in self._entries:
            raise fs_error(errno.EEXIST, name)
        if isinstance(node, MemDir):
            node.parent = self
            self.nlink += 1
        self._add(name, node)
        self.touch_modified()

    # -- lookups ----------------------------------------------------------------------

    def lookup(self, name: str) -> Node:
        check_name(name, errno.EINVAL)
        try:
            return self._entries[name][1]
        except KeyError:
            raise fs_error(errno.ENOENT, name) from None

    def entries_after(self, cookie: int) -> Iterator[DirEntry]:
        seqs = self._seqs
        start = bisect.bisect_right(seqs, cookie)
        for seq in seqs[start:]:
            name = self._name_of_seq.get(seq)
            if name is None:
                continue  # removed (possibly while this listing was being consumed)
            node = self._entries[name][1]
            st = node.stat()
            yield DirEntry(seq, st.ino, st.filetype, name)

    # -- changes ----------------------------------------------------------------------

    def _new_entry(self, name: str, node: MemNode) -> MemNode:
        self._add(name, node)
        self.touch_modified()
        return node

    def _prepare_new(self, name: str) -> None:
        check_name(name, errno.EEXIST)
        self.fs.check_writable()
        self._alive()
        if name in self._entries:
            raise fs_error(errno.EEXIST, name)

    def create(self, name: str, exclusive: bool) -> Node:
        check_name(name, errno.EISDIR)
        if name in self._entries:
            if exclusive:
                raise fs_error(errno.EEXIST, name)
            return self._entries[name][1]
        self._prepare_new(name)
        return self._new_entry(name, MemFile(self.fs))

    def mkdir(self, name: str) -> Node:
        self._prepare_new(name)
        self.nlink += 1
        return self._new_entry(name, MemDir(self.fs, parent=self))

    def symlink(self, name: str, target: str) -> Node:
        check_symlink_target(target)
        self._prepare_new(name)
        return self._new_entry(name, MemSymlink(self.fs, target))

    def unlink(self, name: str) -> None:
        check_name(name, errno.EISDIR)
        node = self.lookup(name)
        if node.is_dir:
            raise fs_error(errno.EISDIR, name)
        self.fs.check_writable()
        self._remove(name)
        assert isinstance(node, MemNode)
        node.nlink -= 1
        node.touch_changed()
        self.touch_modified()

    def rmdir(self, name: str) -> None:
        check_name(name, errno.EINVAL)
        node = self.lookup(name)
        if not isinstance(node, MemDir):
            raise fs_error(errno.ENOTDIR, name)
        if node._entries:
            raise fs_error(errno.ENOTEMPTY, name)
        self.fs.check_writable()
        self._remove(name)
        self._drop_dir(node)
        self.touch_modified()

    def _drop_dir(self, node: MemDir) -> None:
        node.removed = True
        node.nlink = 0
        node.touch_changed()
        self.nlink -= 1

    def _is_ancestor_of(self, node: MemDir) -> bool:
        d: MemDir | None = node
        while d is not None:
            if d is self:
                return True
            d = d.parent
        return False

    def rename(self, old_name: str, new_dir: Node, new_name: str) -> None:
        check_name(old_name, errno.EBUSY)
        check_name(new_name, errno.EBUSY)
        dst_dir = self._check_same_fs(new_dir)
        node = self.lookup(old_name)
        existing = dst_dir._entries.get(new_name)
        target = existing[1] if existing else None
        if target is node:
            return  # same file: POSIX says do nothing
        if node.is_dir:
            assert isinstance(node, MemDir)
            if target is not None and not target.is_dir:
                raise fs_error(errno.ENOTDIR, new_name)
            if node._is_ancestor_of(dst_dir):
                raise fs_error(errno.EINVAL, "directory into its own subtree")
        elif target is not None and target.is_dir:
            raise fs_error(errno.EISDIR, new_name)
        if isinstance(target, MemDir) and target._entries:
            raise fs_error(errno.ENOTEMPTY, new_name)
        self.fs.check_writable()
        dst_dir._alive()
        if target is not None:
            dst_dir._remove(new_name)
            if isinstance(target, MemDir):
                dst_dir._drop_dir(target)
            else:
                assert isinstance(target, MemNode)
                target.nlink -= 1
                target.touch_changed()
        self._remove(old_name)
        dst_dir._add(new_name, node)
        if isinstance(node, MemDir) and dst_dir is not self:
            node.parent = dst_dir
            self.nlink -= 1
            dst_dir.nlink += 1
        assert isinstance(node, MemNode)
        node.touch_changed()
        self.touch_modified()
        dst_dir.touch_modified()

    def link(self, old_name: str, new_dir: Node, new_name: str) -> None:
        check_name(old_name, errno.EPERM)
        check_name(new_name, errno.EEXIST)
        dst_dir = self._check_same_fs(new_dir)
        node = self.lookup(old_name)
        if node.is_dir:
            raise fs_error(errno.EPERM, "hard link to a directory")
        dst_dir._prepare_new(new_name)
        assert isinstance(node, MemNode)
        node.nlink += 1
        node.touch_changed()
        dst_dir._new_entry(new_name, node)
