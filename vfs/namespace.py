"""The namespace and the project's only path resolver.

A `Namespace` is an in-memory root plus a mount table (host directories, ``/dev``,
other in-memory trees). `Namespace.resolve` walks a guest path component by component
from a *start* directory — the WASI directory fd the guest passed — keeping the stack of
directories it went through: ``..`` pops that stack, so it can never rise above the start
(``ENOTCAPABLE``), and crossing back out of a mount needs no parent pointers. Symlinks,
wherever they live (in memory or planted on a host), are read as text and walked by the
same loop, so they obey the same rule; absolute paths and absolute symlink targets are
``ENOTCAPABLE`` because a WASI path is always relative to a directory fd.

The ``path_*`` methods (`open`, `mkdir`, `unlink`, ...) give the POSIX/wasmtime answer for
each edge case (trailing slashes, ``.``/``..`` as the final name, symlinks at the end,
mount points), so the kernel only checks rights and calls one method.
"""

from __future__ import annotations

import errno
import os
import time
from collections import deque
from typing import NamedTuple

from vfs.devices import RandomSource, make_devfs
from vfs.errors import ENOTCAPABLE, fs_error
from vfs.hostfs import HostFs
from vfs.memfs import MemFs
from vfs.node import NAME_MAX, PATH_MAX, Clock, FileType, Node, Stat

#: Symlinks followed in one resolution before ``ELOOP`` (Linux's MAXSYMLINKS).
MAX_SYMLINKS = 40


class Parent(NamedTuple):
    """Where a path's final component lives: for create, unlink, rename, link, symlink.

    ``name`` may be ``.`` or ``..`` (the directory methods answer those with each
    operation's errno); ``trailing_slash`` records a final ``/`` (the entry must then be
    a directory).
    """

    dir: Node
    name: str
    trailing_slash: bool


def _parse(path: str | bytes, what: str = "path") -> tuple[list[str], bool, bool]:
    """Split and check a path: (components, absolute, trailing slash).

    Checks are those of wasmtime: invalid UTF-8 is ``EILSEQ``, NUL is ``EINVAL``, too
    long (whole or one component) is ``ENAMETOOLONG``, empty is ``ENOENT``.
    """
    if isinstance(path, bytes):
        try:
            path = path.decode("utf-8")
        except UnicodeDecodeError:
            raise fs_error(errno.EILSEQ, what) from None
    if "\0" in path:
        raise fs_error(errno.EINVAL, f"NUL in {what}")
    if not path:
        raise fs_error(errno.ENOENT, f"empty {what}")
    if len(path.encode("utf-8", "surrogateescape")) >= PATH_MAX:
        raise fs_error(errno.ENAMETOOLONG, what)
    comps = [c for c in path.split("/") if c]
    for c in comps:
        if len(c.encode("utf-8", "surrogateescape")) > NAME_MAX:
            raise fs_error(errno.ENAMETOOLONG, c[:32] + "...")
    return comps, path.startswith("/"), path.endswith("/")


class Namespace:
    """An in-memory root, ``/dev``, and host or in-memory trees mounted anywhere."""

    def __init__(
        self,
        *,
        clock: Clock = time.time_ns,
        random_source: RandomSource = os.urandom,
        devices: bool = True,
    ) -> None:
        self.fs = MemFs(clock=clock)
        self.root: Node = self.fs.root
        self._mounts: dict[tuple[object, int, int], Node] = {}
        self._covered_fs: set[object] = set()
        if devices:
            self.mount("/dev", make_devfs(clock=clock, random_source=random_source).root)

    # -- mounts -----------------------------------------------------------------------

    def mount(self, guest_path: str, root: Node, *, create: bool = True) -> Node:
        """Mount the tree whose root directory is ``root`` at ``guest_path`` (absolute).

        Missing directories on the way are created in memory when ``create`` is set.
        Mounting on an existing mount point stacks the new tree on top. Returns ``root``.
        """
        if not root.is_dir:
            raise fs_error(errno.ENOTDIR, "mount root")
        covered = self._makedirs(guest_path) if create else self._lookup_shared(guest_path)
        if not covered.is_dir:
            raise fs_error(errno.ENOTDIR, guest_path)
        self._mounts[covered.key()] = root
        self._covered_fs.add(covered.fs)
        return root

    def mount_host(
        self, host_path: str | os.PathLike[str], guest_path: str, *, readonly: bool = False
    ) -> HostFs:
        """Mount a host directory (``--dir HOST::GUEST[:ro]``); returns its filesystem."""
        fs = HostFs(host_path, readonly=readonly)
        self.mount(guest_path, fs.root)
        return fs

    def umount(self, guest_path: str) -> Node:
        """Remove the topmost mount at ``guest_path``; returns the root it had."""
        top = self._lookup_shared(guest_path)
        for key, root in self._mounts.items():
            if root is top:
                del self._mounts[key]
                return root
        raise fs_error(errno.EINVAL, f"{guest_path} is not a mount point")

    def is_mount_point(self, node: Node) -> bool:
        """True if ``node`` (as found by a lookup in its parent) has a tree mounted on it."""
        return node.is_dir and node.fs in self._covered_fs and node.key() in self._mounts

    def _cross(self, node: Node) -> Node:
        # Only directories of a filesystem that has a mount point in it can be covered;
        # checking the filesystem first spares a host fstat on almost every lookup.
        while node.is_dir and node.fs in self._covered_fs:
            top = self._mounts.get(node.key())
            if top is None:
                break
            node = top
        return node

    def _child(self, directory: Node, name: str) -> Node:
        return self._cross(directory.lookup(name))

    def _makedirs(self, path: str) -> Node:
        comps, absolute, _ = _parse(path)
        if not absolute:
            raise fs_error(errno.EINVAL, "mount path must be absolute")
        node = self._cross(self.root)
        for name in comps:
            if name in (".", ".."):
                raise fs_error(errno.EINVAL, "mount path must be normalised")
            try:
                node = self._child(node, name)
            except FileNotFoundError:
                node.mkdir(name)
                node = self._child(node, name)
        return node

    # -- the resolver -----------------------------------------------------------------

    def lookup(self, path: str, *, follow_final_symlink: bool = True) -> Node:
        """Resolve an administrator's absolute path from the namespace root.

        For the kernel's own use (preopens, mounts), never for guest paths: absolute
        symlink targets restart at the namespace root instead of being refused. The node
        returned is the caller's own (see `Node.dup`).
        """
        return self._lookup_shared(path, follow_final_symlink).dup()

    def _lookup_shared(self, path: str, follow_final_symlink: bool = True) -> Node:
        root = self._cross(self.root)
        result = self._walk(root, path, follow_final_symlink, False, root)
        assert isinstance(result, Node)
        return result

    def resolve(self, start: Node, path: str | bytes, follow_final_symlink: bool) -> Node:
        """The node ``path`` names, relative to directory ``start`` and never above it.

        The result may be shared (the start itself, a mount root): use it, do not close
        it; `open` and `lookup` return nodes the caller owns.
        """
        result = self._walk(start, path, follow_final_symlink, False, None)
        assert isinstance(result, Node)
        return result

    def resolve_parent(
        self, start: Node, path: str | bytes, follow_final_symlink: bool = False
    ) -> Parent:
        """The directory holding ``path``'s final component, and that component's name.

        With ``follow_final_symlink``, a final symlink is followed (even dangling: the
        result is where its target would be), as ``open(O_CREAT)`` does.
        """
        result = self._walk(start, path, follow_final_symlink, True, None)
        assert isinstance(result, Parent)
        return result

    def _walk(
        self,
        start: Node,
        path: str | bytes,
        follow_final: bool,
        want_parent: bool,
        root: Node | None,
    ) -> Node | Parent:
        if not start.is_dir:
            raise fs_error(errno.ENOTDIR, "start is not a directory")
        comps, absolute, trailing = _parse(path)
        stack = [start]
        if absolute:
            if root is None:
                raise fs_error(ENOTCAPABLE, "absolute path")
            stack = [root]
        todo = deque(comps)
        links = 0
        while todo:
            name = todo.popleft()
            last = not todo
            if name == "." or name == "..":
                if name == ".." and len(stack) == 1 and root is None:
                    raise fs_error(ENOTCAPABLE, "'..' above the start directory")
                if last and want_parent:
                    return Parent(stack[-1], name, trailing)
                if name == ".." and len(stack) > 1:
                    stack.pop()
                continue
            directory = stack[-1]
            if last and want_parent and not follow_final:
                return Parent(directory, name, trailing)
            try:
                node = self._child(directory, name)
            except FileNotFoundError:
                if last and want_parent:
                    return Parent(directory, name, trailing)
                raise
            if node.filetype == FileType.SYMBOLIC_LINK and (
                not last or follow_final or (trailing and not want_parent)
            ):
                links += 1
                if links > MAX_SYMLINKS:
                    raise fs_error(errno.ELOOP, name)
                tcomps, tabsolute, ttrailing = _parse(node.readlink(), "symlink target")
                if tabsolute:
                    if root is None:
                        raise fs_error(ENOTCAPABLE, f"symlink {name!r} is absolute")
                    stack = [root]
                if last and ttrailing:
                    trailing = True
                todo.extendleft(reversed(tcomps))
                continue
            if last:
                if want_parent:
                    return Parent(directory, name, trailing)
                if trailing and not node.is_dir:
                    raise fs_error(errno.ENOTDIR, name)
                return node
            if not node.is_dir:
                raise fs_error(errno.ENOTDIR, name)
            stack.append(node)
        if want_parent:
            return Parent(stack[-1], ".", trailing)
        return stack[-1]

    # -- path operations (one per WASI path_* call) -------------------------------------

    def open(
        self,
        start: Node,
        path: str | bytes,
        *,
        follow: bool = True,
        create: bool = False,
        exclusive: bool = False,
        directory: bool = False,
    ) -> Node:
        """Find or create the node ``path_open`` opens (flags: follow, O_CREAT, O_EXCL,
        O_DIRECTORY). Truncation, rights and offsets are the kernel's."""
        if not create:
            node = self.resolve(start, path, follow)
            if node.filetype == FileType.SYMBOLIC_LINK:
                raise fs_error(errno.ELOOP, "final component is a symlink")
            if directory and not node.is_dir:
                raise fs_error(errno.ENOTDIR)
            # A directory result may be the start itself or a mount root, shared with
            # others: hand out a node of the caller's own, so its close() harms nobody.
            return node.dup() if node.is_dir else node
        if directory:
            raise fs_error(errno.EINVAL, "O_CREAT with O_DIRECTORY")
        p = self.resolve_parent(start, path, follow and not exclusive)
        if p.name in (".", ".."):
            raise fs_error(errno.EEXIST if exclusive else errno.EISDIR, p.name)
        if p.trailing_slash:
            raise fs_error(errno.EISDIR, "O_CREAT with a trailing slash")
        node = self._cross(p.dir.create(p.name, exclusive))
        if node.is_dir:
            raise fs_error(errno.EISDIR, p.name)
        if node.filetype == FileType.SYMBOLIC_LINK:
            raise fs_error(errno.ELOOP, "final component is a symlink")
        return node

    def stat(self, start: Node, path: str | bytes, *, follow: bool = True) -> Stat:
        """``path_filestat_get``."""
        return self.resolve(start, path, follow).stat()

    def set_times(
        self,
        start: Node,
        path: str | bytes,
        *,
        follow: bool = True,
        atime: int | None = None,
        mtime: int | None = None,
        atime_now: bool = False,
        mtime_now: bool = False,
    ) -> None:
        """``path_filestat_set_times``."""
        node = self.resolve(start, path, follow)
        node.set_times(atime, mtime, atime_now=atime_now, mtime_now=mtime_now)

    def mkdir(self, start: Node, path: str | bytes) -> Node:
        """``path_create_directory``."""
        p = self.resolve_parent(start, path)
        return p.dir.mkdir(p.name)

    def rmdir(self, start: Node, path: str | bytes) -> None:
        """``path_remove_directory``: never through a symlink; ``EBUSY`` on a mount point."""
        p = self.resolve_parent(start, path)
        if p.name not in (".", ".."):
            node = p.dir.lookup(p.name)
            if not node.is_dir:
                raise fs_error(errno.ENOTDIR, p.name)
            if self.is_mount_point(node):
                raise fs_error(errno.EBUSY, p.name)
        p.dir.rmdir(p.name)

    def unlink(self, start: Node, path: str | bytes) -> None:
        """``path_unlink_file``; a trailing slash answers as for the entry it names."""
        p = self.resolve_parent(start, path)
        if p.trailing_slash and p.name not in (".", ".."):
            node = self.resolve(start, path, True)
            raise fs_error(errno.EISDIR if node.is_dir else errno.ENOTDIR, p.name)
        p.dir.unlink(p.name)

    def rename(
        self, old_start: Node, old_path: str | bytes, new_start: Node, new_path: str | bytes
    ) -> None:
        """``path_rename``: POSIX rules; ``EXDEV`` across filesystems, ``EBUSY`` for
        ``.``/``..`` and mount points."""
        src = self.resolve_parent(old_start, old_path)
        dst = self.resolve_parent(new_start, new_path)
        for p in (src, dst):
            if p.name in (".", ".."):
                raise fs_error(errno.EBUSY, p.name)
        node = src.dir.lookup(src.name)
        if (src.trailing_slash or dst.trailing_slash) and not node.is_dir:
            raise fs_error(errno.ENOTDIR, src.name)
        if self.is_mount_point(node):
            raise fs_error(errno.EBUSY, src.name)
        try:
            existing = dst.dir.lookup(dst.name)
        except FileNotFoundError:
            existing = None
        if existing is not None and self.is_mount_point(existing):
            raise fs_error(errno.EBUSY, dst.name)
        src.dir.rename(src.name, dst.dir, dst.name)

    def link(
        self,
        old_start: Node,
        old_path: str | bytes,
        new_start: Node,
        new_path: str | bytes,
        *,
        follow: bool = False,
    ) -> None:
        """``path_link``; ``follow`` is ``lookupflags.symlink_follow`` for the source."""
        src = self.resolve_parent(old_start, old_path, follow)
        if src.trailing_slash and src.name not in (".", ".."):
            node = self.resolve(old_start, old_path, True)
            raise fs_error(errno.EPERM if node.is_dir else errno.ENOTDIR, src.name)
        dst = self.resolve_parent(new_start, new_path)
        if dst.trailing_slash:
            raise fs_error(errno.ENOENT, "link name with a trailing slash")
        src.dir.link(src.name, dst.dir, dst.name)

    def symlink(self, target: str, start: Node, path: str | bytes) -> Node:
        """``path_symlink``: the target is stored verbatim and checked when followed, but
        an absolute target is refused at once (``ENOTCAPABLE``), as wasmtime does: it
        could never resolve inside the sandbox and would mislead host programs."""
        if isinstance(target, str) and target.startswith("/"):
            raise fs_error(ENOTCAPABLE, "absolute symlink target")
        p = self.resolve_parent(start, path)
        if p.trailing_slash and p.name not in (".", ".."):
            try:
                p.dir.lookup(p.name)
            except FileNotFoundError:
                raise fs_error(errno.ENOENT, "symlink name with a trailing slash") from None
            raise fs_error(errno.EEXIST, p.name)
        return p.dir.symlink(p.name, target)

    def readlink(self, start: Node, path: str | bytes) -> str:
        """``path_readlink``."""
        return self.resolve(start, path, False).readlink()
