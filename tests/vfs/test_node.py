"""vfs/node.py: the protocol's safe defaults, name checks, FileType numbering."""

from __future__ import annotations

import errno

import pytest

from vfs.node import (
    NAME_MAX,
    Directory,
    Filesystem,
    FileType,
    Node,
    Stat,
    check_name,
    check_times,
    new_dev_id,
)


class Bare(Node):
    """A node that supports nothing but stat: every default must answer with an errno."""

    filetype = FileType.UNKNOWN

    def __init__(self) -> None:
        self.fs = Filesystem()

    def stat(self) -> Stat:
        return Stat(self.fs.dev, 7, self.filetype, 1, 0, 0, 0, 0)


class BareDir(Directory):
    def __init__(self) -> None:
        self.fs = Filesystem()

    def stat(self) -> Stat:
        return Stat(self.fs.dev, 9, self.filetype, 2, 0, 0, 0, 0)

    def entries_after(self, cookie):
        return iter(())


def _errno(fn, *args) -> int:
    with pytest.raises(OSError) as info:
        r = fn(*args)
        if hasattr(r, "__next__"):
            list(r)
    return info.value.errno


def test_filetype_numbers_are_wasis():
    assert [int(t) for t in FileType] == list(range(8))
    assert FileType.DIRECTORY == 3 and FileType.REGULAR_FILE == 4
    assert FileType.SYMBOLIC_LINK == 7 and FileType.CHARACTER_DEVICE == 2


def test_defaults_of_a_non_directory():
    n = Bare()
    assert _errno(n.read_at, 0, 1) == errno.EINVAL
    assert _errno(n.write_at, 0, b"x") == errno.EINVAL
    assert _errno(n.set_size, 0) == errno.EINVAL
    assert _errno(n.allocate, 0, 1) == errno.ENODEV
    assert _errno(n.readlink) == errno.EINVAL
    assert _errno(n.set_times, 1, 1) == errno.ENOTSUP
    for fn, args in [
        (n.lookup, ("a",)),
        (n.create, ("a", False)),
        (n.mkdir, ("a",)),
        (n.symlink, ("a", "b")),
        (n.unlink, ("a",)),
        (n.rmdir, ("a",)),
        (n.rename, ("a", n, "b")),
        (n.link, ("a", n, "b")),
        (n.readdir, (0,)),
    ]:
        assert _errno(fn, *args) == errno.ENOTDIR, fn.__name__
    n.sync()
    n.datasync()
    n.close()
    assert not n.is_dir and not n.read_only
    assert n.key() == (n.fs, n.fs.dev, 7)


def test_defaults_of_a_directory():
    d = BareDir()
    for fn, args in [
        (d.read_at, (0, 1)),
        (d.write_at, (0, b"x")),
        (d.set_size, (0,)),
        (d.allocate, (0, 1)),
    ]:
        assert _errno(fn, *args) == errno.EISDIR
    assert d.is_dir
    assert list(d.readdir()) == [(1, 9, FileType.DIRECTORY, "."), (2, 9, FileType.DIRECTORY, "..")]
    assert [e.name for e in d.readdir(1)] == [".."]
    assert list(d.readdir(2)) == []
    assert _errno(d.readdir, -1) == errno.EINVAL


def test_check_name():
    check_name("ok", errno.EEXIST)
    check_name("x" * NAME_MAX, errno.EEXIST)
    assert _errno(check_name, ".", errno.EEXIST) == errno.EEXIST
    assert _errno(check_name, "..", errno.EBUSY) == errno.EBUSY
    assert _errno(check_name, "", errno.EEXIST) == errno.ENOENT
    assert _errno(check_name, "a/b", errno.EEXIST) == errno.EINVAL
    assert _errno(check_name, "a\0", errno.EEXIST) == errno.EINVAL
    assert _errno(check_name, "x" * (NAME_MAX + 1), errno.EEXIST) == errno.ENAMETOOLONG
    # the limit is in UTF-8 bytes, not characters
    assert _errno(check_name, "é" * 128, errno.EEXIST) == errno.ENAMETOOLONG


def test_check_times():
    check_times(1, False, None, True)
    assert _errno(check_times, 1, True, None, False) == errno.EINVAL
    assert _errno(check_times, None, False, 1, True) == errno.EINVAL
    assert _errno(check_times, -1, False, None, False) == errno.EINVAL


def test_read_only_filesystem_refuses():
    fs = Filesystem(readonly=True)
    assert _errno(fs.check_writable) == errno.EROFS
    Filesystem().check_writable()


def test_device_ids_are_unique_and_above_host_range():
    a, b = new_dev_id(), new_dev_id()
    assert a != b and min(a, b) >= 1 << 48
