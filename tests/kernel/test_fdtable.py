"""fd tables: lowest-free numbering, rights enforcement, renumber, shared descriptions."""

import pytest

from kernel.abi import ALL_RIGHTS, Errno, Rights
from kernel.errors import KernelError
from kernel.fdtable import FdTable
from kernel.file import STREAM_RIGHTS, NullFile, make_pipe


def errno_of(fn, *args, **kw):
    with pytest.raises(KernelError) as exc:
        fn(*args, **kw)
    return exc.value.errno


def test_lowest_free_numbering():
    t = FdTable()
    assert [t.install(NullFile(), ALL_RIGHTS) for _ in range(4)] == [0, 1, 2, 3]
    t.close(1)
    assert t.install(NullFile(), ALL_RIGHTS) == 1
    assert t.install(NullFile(), ALL_RIGHTS) == 4


def test_rights_are_cut_to_what_the_kind_supports():
    t = FdTable()
    fd = t.install(NullFile(), ALL_RIGHTS, ALL_RIGHTS)
    e = t.get(fd)
    assert e.rights_base == STREAM_RIGHTS and e.rights_inheriting == 0


def test_get_checks_open_and_rights():
    t = FdTable()
    fd = t.install(NullFile(), Rights.FD_READ)
    assert t.get(fd, Rights.FD_READ).file is not None
    assert errno_of(t.get, fd, Rights.FD_WRITE) == Errno.NOTCAPABLE
    assert errno_of(t.get, 99) == Errno.BADF
    assert errno_of(t.close, 99) == Errno.BADF


def test_set_rights_only_drops():
    t = FdTable()
    fd = t.install(NullFile(), Rights.FD_READ | Rights.FD_WRITE)
    t.set_rights(fd, Rights.FD_READ, Rights(0))
    assert t.get(fd).rights_base == Rights.FD_READ
    assert errno_of(t.set_rights, fd, Rights.FD_READ | Rights.FD_WRITE, 0) == Errno.NOTCAPABLE


def test_max_fds_gives_mfile():
    t = FdTable(max_fds=2)
    t.install(NullFile(), 0)
    t.install(NullFile(), 0)
    assert errno_of(t.install, NullFile(), 0) == Errno.MFILE


def test_renumber_moves_entry_and_closes_target():
    t = FdTable()
    r, w = make_pipe()
    a = t.install(r, ALL_RIGHTS, preopen=None)
    b = t.install(w, ALL_RIGHTS)
    c = t.install(NullFile(), ALL_RIGHTS)
    t.renumber(b, c)
    assert b not in t and t.get(c).file is w
    t.renumber(a, a)  # same fd: nothing happens
    assert t.get(a).file is r
    assert errno_of(t.renumber, a, 42) == Errno.BADF
    assert errno_of(t.renumber, 42, a) == Errno.BADF


def test_description_closes_with_its_last_fd():
    t, other = FdTable(), FdTable()
    r, w = make_pipe()
    t.install(r, ALL_RIGHTS)
    fd = t.install(w, ALL_RIGHTS)
    t.share_into(fd, other)
    t.close(fd)
    assert r.pipe.writers == 1  # the other table still holds the write end
    other.close_all()
    assert r.pipe.writers == 0 and w.closed


def test_install_at_an_open_fd_replaces_it():
    t = FdTable()
    first = NullFile()
    t.install(first, 0)
    t.install(NullFile(), 0, fd=0)
    assert first.closed
    assert errno_of(t.install, NullFile(), 0, fd=-1) == Errno.BADF
