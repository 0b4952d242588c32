"""vfs/memfs.py: the in-memory tree."""

from __future__ import annotations

import errno
import random

import pytest

from vfs.memfs import MemDir, MemFile, MemFs, MemSymlink
from vfs.node import FileType


def err(fn, *args, **kw) -> int:
    with pytest.raises(OSError) as info:
        fn(*args, **kw)
    return info.value.errno


@pytest.fixture
def fs(clock) -> MemFs:
    return MemFs(clock=clock)


# -- regular files ----------------------------------------------------------------------


def test_file_read_write_extend_truncate(fs):
    f = fs.root.create("f", exclusive=True)
    assert isinstance(f, MemFile) and f.filetype == FileType.REGULAR_FILE
    assert f.write_at(0, b"hello") == 5
    assert f.read_at(0, 100) == b"hello"
    assert f.read_at(1, 3) == b"ell"
    assert f.read_at(10, 3) == b""
    assert f.write_at(8, b"!") == 1  # a hole is zeros
    assert f.read_at(0, 100) == b"hello\0\0\0!"
    assert f.stat().size == 9
    f.set_size(4)
    assert f.read_at(0, 100) == b"hell"
    f.set_size(6)
    assert f.read_at(0, 100) == b"hell\0\0"
    f.allocate(0, 2)
    assert f.stat().size == 6
    f.allocate(4, 10)
    assert f.stat().size == 14


def test_file_errors(fs):
    f = fs.root.create("f", exclusive=True)
    assert err(f.read_at, -1, 1) == errno.EINVAL
    assert err(f.write_at, -1, b"x") == errno.EINVAL
    assert err(f.set_size, -1) == errno.EINVAL
    assert err(f.allocate, 0, 0) == errno.EINVAL
    assert err(f.allocate, -1, 4) == errno.EINVAL
    assert err(f.readlink) == errno.EINVAL
    assert err(f.lookup, "x") == errno.ENOTDIR
    assert err(f.readdir) == errno.ENOTDIR


def test_file_size_cap_is_efbig(clock):
    fs = MemFs(clock=clock, max_file_size=100)
    f = fs.root.create("f", exclusive=True)
    assert err(f.write_at, 99, b"xx") == errno.EFBIG
    assert err(f.set_size, 101) == errno.EFBIG
    assert err(f.allocate, 50, 51) == errno.EFBIG
    assert f.write_at(98, b"xx") == 2


def test_create_exclusive_and_existing(fs):
    f = fs.root.create("f", exclusive=True)
    assert fs.root.create("f", exclusive=False) is f
    assert err(fs.root.create, "f", exclusive=True) == errno.EEXIST
    fs.root.mkdir("d")
    assert fs.root.create("d", exclusive=False).is_dir  # the caller decides (EISDIR)
    assert err(fs.root.create, ".", exclusive=False) == errno.EISDIR


# -- identity and timestamps ------------------------------------------------------------


def test_inode_numbers_unique_and_devices_distinct(clock):
    a, b = MemFs(clock=clock), MemFs(clock=clock)
    nodes = [a.root, a.root.mkdir("d"), a.root.create("f", True), a.root.symlink("l", "f")]
    inos = [n.stat().ino for n in nodes]
    assert len(set(inos)) == len(inos)
    assert a.root.stat().dev != b.root.stat().dev
    assert {n.stat().dev for n in nodes} == {a.dev}


def test_timestamps_follow_the_clock(fs, clock):
    t0 = clock.now
    f = fs.root.create("f", exclusive=True)
    st = f.stat()
    assert (st.atim, st.mtim, st.ctim) == (t0, t0, t0)
    t1 = clock.advance()
    f.write_at(0, b"abc")
    st = f.stat()
    assert (st.atim, st.mtim, st.ctim) == (t0, t1, t1)
    t2 = clock.advance()
    f.read_at(0, 1)
    assert f.stat().atim == t2 and f.stat().mtim == t1
    t3 = clock.advance()
    f.set_size(1)
    assert f.stat().mtim == t3 == f.stat().ctim


def test_set_times(fs, clock):
    f = fs.root.create("f", exclusive=True)
    t1 = clock.advance()
    f.set_times(5, 7)
    st = f.stat()
    assert (st.atim, st.mtim, st.ctim) == (5, 7, t1)
    t2 = clock.advance()
    f.set_times(mtime_now=True)  # atime omitted
    st = f.stat()
    assert (st.atim, st.mtim, st.ctim) == (5, t2, t2)
    t3 = clock.advance()
    f.set_times(atime_now=True, mtime=9)
    st = f.stat()
    assert (st.atim, st.mtim) == (t3, 9)
    assert err(f.set_times, 1, None, atime_now=True) == errno.EINVAL
    assert err(f.set_times, None, 1, mtime_now=True) == errno.EINVAL


def test_directory_times_change_with_entries(fs, clock):
    d = fs.root.mkdir("d")
    t1 = clock.advance()
    d.create("f", exclusive=True)
    assert d.stat().mtim == t1 and d.stat().ctim == t1
    t2 = clock.advance()
    d.unlink("f")
    assert d.stat().mtim == t2
    t3 = clock.advance()
    d.symlink("l", "x")
    assert d.stat().mtim == t3


# -- directories ------------------------------------------------------------------------


def test_mkdir_rmdir_nlink(fs):
    root = fs.root
    assert root.stat().nlink == 2
    d = root.mkdir("d")
    assert isinstance(d, MemDir) and d.stat().nlink == 2
    assert root.stat().nlink == 3
    d.mkdir("e")
    assert d.stat().nlink == 3
    assert err(root.mkdir, "d") == errno.EEXIST
    assert err(root.mkdir, ".") == errno.EEXIST
    assert err(root.rmdir, "d") == errno.ENOTEMPTY
    d.rmdir("e")
    root.rmdir("d")
    assert root.stat().nlink == 2
    assert d.stat().nlink == 0
    assert err(root.lookup, "d") == errno.ENOENT
    # creating inside a removed directory fails as on Linux
    assert err(d.create, "x", exclusive=True) == errno.ENOENT
    assert err(d.mkdir, "x") == errno.ENOENT


def test_rmdir_unlink_kinds(fs):
    root = fs.root
    root.create("f", exclusive=True)
    root.mkdir("d")
    root.symlink("l", "d")
    assert err(root.rmdir, "f") == errno.ENOTDIR
    assert err(root.rmdir, "l") == errno.ENOTDIR
    assert err(root.unlink, "d") == errno.EISDIR
    assert err(root.unlink, "nope") == errno.ENOENT
    assert err(root.rmdir, "nope") == errno.ENOENT
    assert err(root.rmdir, ".") == errno.EINVAL
    assert err(root.unlink, "..") == errno.EISDIR
    root.unlink("l")  # a symlink to a directory is unlinked, not followed
    assert root.lookup("d").is_dir


def test_lookup_rejects_dots_and_slashes(fs):
    assert err(fs.root.lookup, ".") == errno.EINVAL
    assert err(fs.root.lookup, "..") == errno.EINVAL
    assert err(fs.root.lookup, "a/b") == errno.EINVAL
    assert err(fs.root.lookup, "") == errno.ENOENT


def test_symlinks(fs):
    link = fs.root.symlink("l", "some/where")
    assert isinstance(link, MemSymlink) and link.filetype == FileType.SYMBOLIC_LINK
    assert link.readlink() == "some/where"
    assert link.stat().size == len("some/where")
    assert err(link.read_at, 0, 1) == errno.EINVAL
    assert err(fs.root.symlink, "l", "x") == errno.EEXIST
    assert err(fs.root.symlink, "m", "") == errno.ENOENT
    assert err(fs.root.symlink, "m", "a\0b") == errno.EINVAL
    assert err(fs.root.symlink, "m", "x" * 5000) == errno.ENAMETOOLONG
    fs.root.symlink("abs", "/etc/passwd")  # stored verbatim; the resolver refuses it


def test_hard_links(fs, clock):
    root = fs.root
    f = root.create("f", exclusive=True)
    f.write_at(0, b"data")
    d = root.mkdir("d")
    t1 = clock.advance()
    root.link("f", d, "g")
    assert d.lookup("g") is f
    assert f.stat().nlink == 2 and f.stat().ctim == t1
    root.unlink("f")
    assert f.stat().nlink == 1
    assert d.lookup("g").read_at(0, 10) == b"data"
    assert err(root.link, "d", root, "d2") == errno.EPERM
    assert err(d.link, "g", d, "g") == errno.EEXIST
    assert err(d.link, "nope", d, "h") == errno.ENOENT
    assert err(d.link, ".", d, "h") == errno.EPERM
    other = MemFs(clock=clock)
    assert err(d.link, "g", other.root, "h") == errno.EXDEV
    assert err(d.link, "g", f, "h") == errno.ENOTDIR


# -- rename -----------------------------------------------------------------------------


def test_rename_within_and_across_directories(fs, clock):
    root = fs.root
    f = root.create("a", exclusive=True)
    d = root.mkdir("d")
    root.rename("a", root, "b")
    assert root.lookup("b") is f and err(root.lookup, "a") == errno.ENOENT
    t = clock.advance()
    root.rename("b", d, "c")
    assert d.lookup("c") is f
    assert f.stat().ctim == t and d.stat().mtim == t and root.stat().mtim == t


def test_rename_replaces_file_and_empty_directory(fs):
    root = fs.root
    a = root.create("a", exclusive=True)
    b = root.create("b", exclusive=True)
    root.rename("a", root, "b")
    assert root.lookup("b") is a and b.stat().nlink == 0
    x = root.mkdir("x")
    root.mkdir("y")
    n = root.stat().nlink
    root.rename("x", root, "y")
    assert root.lookup("y") is x and root.stat().nlink == n - 1


def test_rename_errors(fs, clock):
    root = fs.root
    root.create("f", exclusive=True)
    d = root.mkdir("d")
    d.create("inner", exclusive=True)
    e = root.mkdir("e")
    sub = e.mkdir("sub")
    assert err(root.rename, "f", root, "d") == errno.EISDIR
    assert err(root.rename, "e", root, "f") == errno.ENOTDIR
    assert err(root.rename, "e", root, "d") == errno.ENOTEMPTY
    assert err(root.rename, "e", e, "x") == errno.EINVAL  # into itself
    assert err(root.rename, "e", sub, "x") == errno.EINVAL  # into its subtree
    assert err(root.rename, "nope", root, "x") == errno.ENOENT
    assert err(root.rename, ".", root, "x") == errno.EBUSY
    assert err(root.rename, "f", root, "..") == errno.EBUSY
    assert err(root.rename, "f", MemFs(clock=clock).root, "x") == errno.EXDEV
    assert err(root.rename, "f", root.lookup("f"), "x") == errno.ENOTDIR


def test_rename_onto_a_hard_link_of_itself_does_nothing(fs):
    root = fs.root
    f = root.create("f", exclusive=True)
    root.link("f", root, "g")
    root.rename("f", root, "g")
    assert root.lookup("f") is f and root.lookup("g") is f and f.stat().nlink == 2
    root.rename("f", root, "f")
    assert root.lookup("f") is f


def test_rename_directory_updates_parent_and_nlink(fs):
    root = fs.root
    a = root.mkdir("a")
    b = root.mkdir("b")
    c = a.mkdir("c")
    a.rename("c", b, "c2")
    assert a.stat().nlink == 2 and b.stat().nlink == 3
    dots = {e.name: e.ino for e in c.readdir()}
    assert dots[".."] == b.stat().ino
    assert {e.name: e.ino for e in root.readdir()}[".."] == root.stat().ino


def test_rename_into_removed_directory(fs):
    root = fs.root
    root.create("f", exclusive=True)
    d = root.mkdir("d")
    root.rmdir("d")
    assert err(root.rename, "f", d, "f") == errno.ENOENT


# -- readdir ----------------------------------------------------------------------------


def test_readdir_dots_first_and_resume(fs):
    root = fs.root
    d = root.mkdir("d")
    for name in ["x", "y", "z"]:
        d.create(name, exclusive=True)
    entries = list(d.readdir())
    assert [e.name for e in entries] == [".", "..", "x", "y", "z"]
    assert entries[0].ino == d.stat().ino and entries[1].ino == root.stat().ino
    assert entries[2].filetype == FileType.REGULAR_FILE
    cookies = [e.next_cookie for e in entries]
    assert cookies == sorted(cookies) and len(set(cookies)) == 5
    for i, e in enumerate(entries):
        assert [x.name for x in d.readdir(e.next_cookie)] == [x.name for x in entries[i + 1 :]]


def test_readdir_cookies_survive_removal_and_addition(fs):
    d = fs.root.mkdir("d")
    for name in "abcdef":
        d.create(name, exclusive=True)
    first = list(d.readdir())[:4]  # ., .., a, b
    d.unlink("b")  # the entry the cookie points after is gone
    d.unlink("e")
    d.create("g", exclusive=True)
    d.create("a2", exclusive=True)
    rest = [e.name for e in d.readdir(first[-1].next_cookie)]
    assert rest == ["c", "d", "f", "g", "a2"]


def test_readdir_while_a_listing_is_live(fs):
    d = fs.root.mkdir("d")
    for name in "abc":
        d.create(name, exclusive=True)
    it = d.readdir(2)
    assert next(it).name == "a"
    d.unlink("b")
    assert [e.name for e in it] == ["c"]


def test_readdir_random_churn_never_skips_or_repeats_survivors(clock):
    rng = random.Random(1234)
    for _round in range(20):
        fs = MemFs(clock=clock)
        d = fs.root
        names = [f"n{i}" for i in range(60)]
        for n in names:
            d.create(n, exclusive=True)
        present = set(names)
        survivors = set(names)
        seen: list[str] = []
        cookie = 0
        counter = 0
        while True:
            chunk = list(d.readdir(cookie))[: rng.randint(1, 7)]
            if not chunk:
                break
            seen += [e.name for e in chunk]
            cookie = chunk[-1].next_cookie
            for _ in range(rng.randint(0, 4)):  # churn between reads
                if rng.random() < 0.5 and present:
                    victim = rng.choice(sorted(present))
                    d.unlink(victim)
                    present.discard(victim)
                    survivors.discard(victim)
                else:
                    counter += 1
                    d.create(f"new{counter}", exclusive=True)
                    present.add(f"new{counter}")
        assert seen[:2] == [".", ".."]
        listed = seen[2:]
        assert len(listed) == len(set(listed)), "an entry was repeated"
        assert survivors <= set(listed), "a surviving entry was skipped"
        assert set(listed) <= set(names) | {f"new{i}" for i in range(counter + 1)}


def test_readdir_compaction_keeps_cookies(fs):
    d = fs.root.mkdir("d")
    for i in range(200):
        d.create(f"f{i}", exclusive=True)
    mid = list(d.readdir())[100]  # ., .., f0..f97 → this is f98
    assert mid.name == "f98"
    for i in range(0, 200):
        if i != 150 and i != 199:
            d.unlink(f"f{i}")  # forces compaction of the sequence list
    assert [e.name for e in d.readdir(mid.next_cookie)] == ["f150", "f199"]
    assert d.names() == ["f150", "f199"]
    assert d.stat().size == 2 == len(d)


# -- read-only --------------------------------------------------------------------------


def test_read_only_memfs_refuses_every_write(clock):
    rw = MemFs(clock=clock)
    fs = MemFs(clock=clock, readonly=True)
    # build content through the back door, as an image would be
    f = MemFile(fs, b"abc")
    fs.root.add("f", f)
    sub = MemDir(fs, parent=None)
    fs.root.add("d", sub)
    root = fs.root
    assert f.read_at(0, 3) == b"abc"
    assert root.create("f", exclusive=False) is f  # opening an existing file is fine
    for fn, args in [
        (f.write_at, (0, b"x")),
        (f.set_size, (0,)),
        (f.allocate, (0, 1)),
        (f.set_times, (1, 1)),
        (root.create, ("new", True)),
        (root.mkdir, ("new",)),
        (root.symlink, ("new", "x")),
        (root.unlink, ("f",)),
        (root.rmdir, ("d",)),
        (root.rename, ("f", root, "g")),
        (root.link, ("f", root, "g")),
    ]:
        assert err(fn, *args) == errno.EROFS, fn.__name__
    assert f.read_only and not rw.root.read_only
