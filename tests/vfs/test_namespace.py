"""vfs/namespace.py: the resolver, mounts and the path_* operations."""

from __future__ import annotations

import errno
import os

import pytest

from vfs.devices import DevNull, seeded_random
from vfs.errors import ENOTCAPABLE
from vfs.memfs import MemFs
from vfs.namespace import MAX_SYMLINKS, Namespace, Parent
from vfs.node import FileType


def err(fn, *args, **kw) -> int:
    with pytest.raises(OSError) as info:
        fn(*args, **kw)
    return info.value.errno


@pytest.fixture
def ns(clock) -> Namespace:
    """/a/b/f ("data"), /a/g, /top, symlinks in /a: up -> .., sib -> b/f, dir -> b."""
    n = Namespace(clock=clock, random_source=seeded_random(1))
    root = n.root
    a = root.mkdir("a")
    b = a.mkdir("b")
    b.create("f", exclusive=True).write_at(0, b"data")
    a.create("g", exclusive=True)
    root.create("top", exclusive=True)
    a.symlink("up", "..")
    a.symlink("sib", "b/f")
    a.symlink("dir", "b")
    a.symlink("dangling", "b/new")
    return n


def start_a(ns: Namespace):
    return ns.lookup("/a")


# -- the resolver -------------------------------------------------------------------------


def test_plain_paths(ns):
    a = start_a(ns)
    assert ns.resolve(a, "b/f", True).read_at(0, 9) == b"data"
    assert ns.resolve(a, "./b//./f", True).read_at(0, 9) == b"data"
    assert ns.resolve(a, "b/../b/f", True).read_at(0, 9) == b"data"
    assert ns.resolve(a, ".", True) is a
    assert ns.resolve(a, "b/..", True) is a
    assert ns.resolve(a, "b/", True).is_dir


def test_dotdot_never_rises_above_the_start(ns):
    a = start_a(ns)
    b = ns.resolve(a, "b", True)
    assert err(ns.resolve, a, "..", True) == ENOTCAPABLE
    assert err(ns.resolve, a, "../top", True) == ENOTCAPABLE
    assert err(ns.resolve, a, "b/../../top", True) == ENOTCAPABLE
    assert err(ns.resolve, b, "..", True) == ENOTCAPABLE  # b as a start is a sandbox too
    assert err(ns.resolve, a, "up/top", True) == ENOTCAPABLE  # via a symlink
    assert ns.resolve(ns.root, "a/up/top", True).stat().filetype == FileType.REGULAR_FILE


def test_absolute_paths_and_targets_are_not_capable(ns):
    a = start_a(ns)
    assert err(ns.resolve, a, "/a/b/f", True) == ENOTCAPABLE
    assert err(ns.resolve, a, "/", True) == ENOTCAPABLE
    ns.root.lookup("a").symlink("abs", "/top")
    assert err(ns.resolve, a, "abs", True) == ENOTCAPABLE
    assert ns.resolve(a, "abs", False).readlink() == "/top"  # not followed: fine


def test_symlinks_followed_relative_to_their_directory(ns):
    a = start_a(ns)
    assert ns.resolve(a, "sib", True).read_at(0, 9) == b"data"
    assert ns.resolve(a, "dir/f", True).read_at(0, 9) == b"data"
    assert ns.resolve(a, "sib", False).filetype == FileType.SYMBOLIC_LINK
    ns.resolve(a, "b", True).symlink("back", "../g")
    assert ns.resolve(a, "b/back", True).stat().filetype == FileType.REGULAR_FILE
    assert ns.resolve(a, "dir/back", True).stat().filetype == FileType.REGULAR_FILE


def test_trailing_slash(ns):
    a = start_a(ns)
    assert err(ns.resolve, a, "g/", True) == errno.ENOTDIR
    assert err(ns.resolve, a, "sib/", True) == errno.ENOTDIR
    assert ns.resolve(a, "dir/", False).is_dir  # a trailing slash follows the final link
    assert err(ns.resolve, a, "nope/", True) == errno.ENOENT


def test_symlink_depth_limit(ns, clock):
    fs = MemFs(clock=clock)
    d = fs.root
    for i in range(MAX_SYMLINKS):
        d.symlink(f"l{i}", f"l{i + 1}")
    d.create(f"l{MAX_SYMLINKS}", exclusive=True)
    ns.mount("/deep", d)
    start = ns.lookup("/deep")
    assert ns.resolve(start, "l0", True).filetype == FileType.REGULAR_FILE  # exactly 40
    d.symlink("m", "l0")
    assert err(ns.resolve, start, "m", True) == errno.ELOOP  # 41
    d.symlink("loop", "loop")
    assert err(ns.resolve, start, "loop", True) == errno.ELOOP
    assert err(ns.resolve, start, "loop/x", False) == errno.ELOOP
    assert ns.resolve(start, "loop", False).filetype == FileType.SYMBOLIC_LINK


def test_bad_paths(ns):
    a = start_a(ns)
    assert err(ns.resolve, a, "", True) == errno.ENOENT
    assert err(ns.resolve, a, "b\0/f", True) == errno.EINVAL
    assert err(ns.resolve, a, b"b/\xff", True) == errno.EILSEQ
    assert ns.resolve(a, b"b/f", True).read_at(0, 9) == b"data"
    assert err(ns.resolve, a, "x" * 256, True) == errno.ENAMETOOLONG
    assert err(ns.resolve, a, "b/" * 2048, True) == errno.ENAMETOOLONG
    assert err(ns.resolve, a, "nope/f", True) == errno.ENOENT
    assert err(ns.resolve, a, "g/f", True) == errno.ENOTDIR
    assert err(ns.resolve, a, "g/..", True) == errno.ENOTDIR
    g = ns.resolve(a, "g", True)
    assert err(ns.resolve, g, "x", True) == errno.ENOTDIR


def test_resolve_parent(ns):
    a = start_a(ns)
    b = ns.resolve(a, "b", True)
    p = ns.resolve_parent(a, "b/new")
    assert isinstance(p, Parent) and p.dir is b and p.name == "new" and not p.trailing_slash
    assert ns.resolve_parent(a, "b/new/").trailing_slash
    assert ns.resolve_parent(a, "sib").name == "sib"  # not followed
    followed = ns.resolve_parent(a, "sib", True)
    assert followed.dir is b and followed.name == "f"
    dangling = ns.resolve_parent(a, "dangling", True)  # where O_CREAT would create
    assert dangling.dir is b and dangling.name == "new"
    assert ns.resolve_parent(a, "b/..") == Parent(b, "..", False)
    assert ns.resolve_parent(a, ".").name == "."
    assert err(ns.resolve_parent, a, "..") == ENOTCAPABLE
    assert err(ns.resolve_parent, a, "nope/x") == errno.ENOENT


# -- mounts -------------------------------------------------------------------------------


def test_dev_is_mounted(ns):
    null = ns.open(ns.root, "dev/null")
    assert isinstance(null, DevNull)
    assert [e.name for e in ns.lookup("/dev").readdir()][2:] == ["null", "zero", "urandom"]
    assert ns.open(ns.root, "dev/zero").read_at(0, 3) == b"\0\0\0"
    assert len(ns.open(ns.root, "dev/urandom").read_at(0, 8)) == 8
    assert "dev" not in [e.name for e in ns.lookup("/dev").readdir()]
    assert Namespace(devices=False).root.stat().nlink == 2


def test_crossing_mounts_both_ways(ns, clock):
    other = MemFs(clock=clock)
    other.root.mkdir("inner").create("x", exclusive=True)
    ns.mount("/a/mnt", other.root)
    a = start_a(ns)
    assert ns.resolve(a, "mnt/inner/x", True).stat().dev == other.dev
    assert ns.resolve(a, "mnt/inner/../../g", True).stat().dev == ns.fs.dev
    assert ns.resolve(a, "mnt/..", True).stat().ino == a.stat().ino
    m = ns.lookup("/a/mnt")
    assert m is other.root
    assert err(ns.resolve, m, "../g", True) == ENOTCAPABLE  # a preopened mount root
    other.root.lookup("inner").symlink("out", "../../g")
    assert ns.resolve(a, "mnt/inner/out", True).stat().dev == ns.fs.dev
    assert err(ns.resolve, m, "inner/out", True) == ENOTCAPABLE


def test_mount_creates_missing_directories_and_stacks(ns, clock):
    one, two = MemFs(clock=clock), MemFs(clock=clock)
    ns.mount("/x/y", one.root)
    ns.mount("/x/y", two.root)
    assert ns.lookup("/x/y") is two.root
    assert ns.umount("/x/y") is two.root
    assert ns.lookup("/x/y") is one.root
    ns.umount("/x/y")
    assert ns.lookup("/x/y").stat().dev == ns.fs.dev
    assert err(ns.umount, "/x/y") == errno.EINVAL
    assert err(ns.mount, "/a/g", one.root, create=False) == errno.ENOTDIR
    assert err(ns.mount, "/m", one.root.mkdir("d").create("f", True)) == errno.ENOTDIR
    assert err(ns.mount, "relative", one.root) == errno.EINVAL
    assert err(ns.mount, "/a/../m", one.root) == errno.EINVAL


def test_mount_points_are_busy_and_mounts_are_separate_filesystems(ns, clock):
    other = MemFs(clock=clock)
    other.root.create("x", exclusive=True)
    ns.mount("/a/mnt", other.root)
    a = start_a(ns)
    assert err(ns.rmdir, a, "mnt") == errno.EBUSY
    assert err(ns.rename, a, "mnt", a, "mnt2") == errno.EBUSY
    assert err(ns.rename, a, "b", a, "mnt") == errno.EBUSY
    assert err(ns.rename, a, "mnt/x", a, "x") == errno.EXDEV
    assert err(ns.link, a, "mnt/x", a, "x") == errno.EXDEV
    assert ns.is_mount_point(ns.root.lookup("a").lookup("mnt"))


def test_admin_lookup_allows_absolute_paths_and_targets(ns):
    ns.root.lookup("a").symlink("abs", "/top")
    assert ns.lookup("/a/abs").stat().filetype == FileType.REGULAR_FILE
    assert ns.lookup("/../../a/b/f").read_at(0, 4) == b"data"  # /.. is /
    assert ns.lookup("/a/abs", follow_final_symlink=False).filetype == FileType.SYMBOLIC_LINK


def test_host_mount_and_owned_nodes(ns, tmp_path):
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "file").write_bytes(b"host")
    fs = ns.mount_host(tmp_path / "h", "/host")
    pre = ns.lookup("/host")
    opened = ns.open(pre, ".")
    assert opened is not fs.root and opened.stat().ino == fs.root.stat().ino
    opened.close()  # the caller's own: the mount and the preopen keep working
    pre.close()
    assert ns.open(ns.lookup("/host"), "file").read_at(0, 9) == b"host"
    ro = ns.mount_host(tmp_path / "h", "/ro", readonly=True)
    assert ro.readonly
    assert err(ns.open, ns.lookup("/ro"), "new", create=True) == errno.EROFS
    assert ns.open(ns.lookup("/ro"), "file").read_only
    assert err(ns.rename, ns.lookup("/host"), "file", ns.lookup("/ro"), "f") == errno.EXDEV


# -- path operations ----------------------------------------------------------------------


def test_open(ns):
    a = start_a(ns)
    assert ns.open(a, "b/f").read_at(0, 9) == b"data"
    assert err(ns.open, a, "sib", follow=False) == errno.ELOOP
    assert ns.open(a, "sib").read_at(0, 9) == b"data"
    assert ns.open(a, "b", directory=True).is_dir
    assert err(ns.open, a, "g", directory=True) == errno.ENOTDIR
    new = ns.open(a, "new", create=True)
    assert new.filetype == FileType.REGULAR_FILE
    assert ns.open(a, "new", create=True).stat().ino == new.stat().ino
    assert err(ns.open, a, "new", create=True, exclusive=True) == errno.EEXIST
    assert err(ns.open, a, "b", create=True) == errno.EISDIR
    assert err(ns.open, a, "zz/", create=True) == errno.EISDIR
    assert err(ns.open, a, "zz", create=True, directory=True) == errno.EINVAL
    assert err(ns.open, a, ".", create=True) == errno.EISDIR
    assert err(ns.open, a, "..", create=True) == ENOTCAPABLE


def test_open_create_through_a_dangling_symlink(ns):
    a = start_a(ns)
    assert err(ns.open, a, "dangling", create=True, exclusive=True) == errno.EEXIST
    assert err(ns.open, a, "dangling", create=True, follow=False) == errno.ELOOP
    ns.open(a, "dangling", create=True)
    assert ns.resolve(a, "b/new", True).filetype == FileType.REGULAR_FILE


def test_mkdir_unlink_rmdir_edges(ns):
    a = start_a(ns)
    ns.mkdir(a, "newd")
    assert err(ns.mkdir, a, "newd/") == errno.EEXIST
    assert err(ns.mkdir, a, ".") == errno.EEXIST
    assert err(ns.mkdir, a, "b/..") == errno.EEXIST
    assert err(ns.mkdir, a, "..") == ENOTCAPABLE
    assert err(ns.mkdir, a, "dangling") == errno.EEXIST
    assert err(ns.unlink, a, "dangling/") == errno.ENOENT
    assert err(ns.unlink, a, "g/") == errno.ENOTDIR
    assert err(ns.unlink, a, "dir/") == errno.EISDIR
    assert err(ns.unlink, a, "b") == errno.EISDIR
    assert err(ns.unlink, a, ".") == errno.EISDIR
    assert err(ns.rmdir, a, ".") == errno.EINVAL
    assert err(ns.rmdir, a, "b/..") == errno.EINVAL
    assert err(ns.rmdir, a, "dir") == errno.ENOTDIR  # never through a symlink
    assert err(ns.rmdir, a, "dir/") == errno.ENOTDIR
    assert err(ns.rmdir, a, "g") == errno.ENOTDIR
    assert err(ns.rmdir, a, "b") == errno.ENOTEMPTY
    ns.unlink(a, "dir")
    assert ns.resolve(a, "b", True).is_dir  # the symlink went, not its target
    ns.rmdir(a, "newd/")
    assert err(ns.resolve, a, "newd", True) == errno.ENOENT


def test_rename_edges(ns):
    a = start_a(ns)
    assert err(ns.rename, a, "b", a, "b/x") == errno.EINVAL
    assert err(ns.rename, a, "g", a, "b") == errno.EISDIR
    assert err(ns.rename, a, "b", a, "g") == errno.ENOTDIR
    assert err(ns.rename, a, ".", a, "q") == errno.EBUSY
    assert err(ns.rename, a, "g", a, ".") == errno.EBUSY
    assert err(ns.rename, a, "g/", a, "h") == errno.ENOTDIR
    assert err(ns.rename, a, "g", a, "h/") == errno.ENOTDIR
    assert err(ns.rename, a, "sib/", a, "h") == errno.ENOTDIR
    assert err(ns.rename, a, "nope", a, "h") == errno.ENOENT
    ns.rename(a, "g", a, "g")
    ns.mkdir(a, "e")
    ns.rename(a, "e/", a, "e2/")
    ns.rename(a, "sib", a, "sib2")  # renames the link itself
    assert ns.resolve(a, "sib2", False).readlink() == "b/f"
    b = ns.resolve(a, "b", True)
    ns.rename(a, "g", b, "g")  # across directories, with two start fds
    assert ns.resolve(a, "b/g", True).filetype == FileType.REGULAR_FILE


def test_link(ns):
    a = start_a(ns)
    ns.link(a, "b/f", a, "hard")
    assert ns.stat(a, "hard").nlink == 2
    ns.link(a, "sib", a, "hard_link_to_link")
    assert ns.stat(a, "hard_link_to_link", follow=False).filetype == FileType.SYMBOLIC_LINK
    ns.link(a, "sib", a, "hard_followed", follow=True)
    assert ns.stat(a, "hard_followed", follow=False).nlink == 3
    assert err(ns.link, a, "b", a, "x") == errno.EPERM
    assert err(ns.link, a, "g/", a, "x") == errno.ENOTDIR
    assert err(ns.link, a, "b/", a, "x") == errno.EPERM
    assert err(ns.link, a, "g", a, "x/") == errno.ENOENT
    assert err(ns.link, a, "g", a, "b/..") == errno.EEXIST
    assert err(ns.link, a, "g", a, "g") == errno.EEXIST


def test_symlink_and_readlink(ns):
    a = start_a(ns)
    ns.symlink("../x", a, "s2")
    assert ns.readlink(a, "s2") == "../x"
    assert err(ns.symlink, "/etc/passwd", a, "s1") == ENOTCAPABLE
    assert err(ns.symlink, "g", a, "s3/") == errno.ENOENT
    assert err(ns.symlink, "g", a, "g/") == errno.EEXIST
    assert err(ns.symlink, "g", a, "nodir/s4") == errno.ENOENT
    assert err(ns.symlink, "g", a, "g") == errno.EEXIST
    assert err(ns.symlink, "g", a, "dangling") == errno.EEXIST
    assert err(ns.symlink, "", a, "s5") == errno.ENOENT
    assert err(ns.symlink, "g", a, "..") == ENOTCAPABLE
    assert err(ns.readlink, a, "g") == errno.EINVAL


def test_stat_and_set_times(ns, clock):
    a = start_a(ns)
    assert ns.stat(a, "sib").filetype == FileType.REGULAR_FILE
    assert ns.stat(a, "sib", follow=False).filetype == FileType.SYMBOLIC_LINK
    assert ns.stat(a, "dangling", follow=False).size == len("b/new")
    assert err(ns.stat, a, "dangling") == errno.ENOENT
    t = clock.advance()
    ns.set_times(a, "sib", atime=3, mtime_now=True)
    st = ns.stat(a, "b/f")
    assert (st.atim, st.mtim) == (3, t)
    ns.set_times(a, "sib", follow=False, mtime=11)
    assert ns.stat(a, "sib", follow=False).mtim == 11
    assert ns.stat(a, "b/f").mtim == t


# -- the same answers as wasmtime ---------------------------------------------------------

WASI = {
    0: 0,
    errno.EPERM: 63,
    errno.ENOENT: 44,
    errno.EEXIST: 20,
    errno.EINVAL: 28,
    errno.EISDIR: 31,
    errno.ENOTDIR: 54,
    errno.ELOOP: 32,
    errno.EILSEQ: 25,
    errno.ENAMETOOLONG: 37,
    errno.EBUSY: 10,
    errno.ENOTEMPTY: 55,
    ENOTCAPABLE: 63,  # wasmtime answers escapes with `perm`
}

PROBE_WAT = r"""
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory"
    (func $mkdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file"
    (func $unlink (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_remove_directory"
    (func $rmdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get"
    (func $stat (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename"
    (func $rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink"
    (func $symlink (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "open") (param i32 i32 i32 i32) (result i32)
    (call $open (i32.const 3) (local.get 2) (local.get 0) (local.get 1) (local.get 3)
      (i64.const 0x4000002) (i64.const 0) (i32.const 0) (i32.const 8192)))
  (func (export "mkdir") (param i32 i32) (result i32)
    (call $mkdir (i32.const 3) (local.get 0) (local.get 1)))
  (func (export "unlink") (param i32 i32) (result i32)
    (call $unlink (i32.const 3) (local.get 0) (local.get 1)))
  (func (export "rmdir") (param i32 i32) (result i32)
    (call $rmdir (i32.const 3) (local.get 0) (local.get 1)))
  (func (export "stat") (param i32 i32 i32) (result i32)
    (call $stat (i32.const 3) (local.get 2) (local.get 0) (local.get 1) (i32.const 8192)))
  (func (export "rename") (param i32 i32 i32 i32) (result i32)
    (call $rename (i32.const 3) (local.get 0) (local.get 1) (i32.const 3) (local.get 2)
      (local.get 3)))
  (func (export "symlink") (param i32 i32 i32 i32) (result i32)
    (call $symlink (local.get 0) (local.get 1) (i32.const 3) (local.get 2) (local.get 3))))
"""

# (call, paths, extra args for wasmtime, our operation); run in order on both sides.
PARITY = [
    ("open", ["f"], (1, 0), lambda ns, s: ns.open(s, "f")),
    ("open", ["/f"], (1, 0), lambda ns, s: ns.open(s, "/f")),
    ("open", [".."], (1, 0), lambda ns, s: ns.open(s, "..")),
    ("open", ["sub/../../m/f"], (1, 0), lambda ns, s: ns.open(s, "sub/../../m/f")),
    ("open", ["sub//..//f"], (1, 0), lambda ns, s: ns.open(s, "sub//..//f")),
    ("open", ["abs"], (1, 0), lambda ns, s: ns.open(s, "abs")),
    ("open", ["abs"], (0, 0), lambda ns, s: ns.open(s, "abs", follow=False)),
    ("open", ["up"], (1, 0), lambda ns, s: ns.open(s, "up")),
    ("open", ["loop"], (1, 0), lambda ns, s: ns.open(s, "loop")),
    ("open", ["lf/"], (1, 0), lambda ns, s: ns.open(s, "lf/")),
    ("open", ["f/"], (1, 0), lambda ns, s: ns.open(s, "f/")),
    ("open", ["dangle"], (1, 0), lambda ns, s: ns.open(s, "dangle")),
    ("open", ["dangle"], (0, 0), lambda ns, s: ns.open(s, "dangle", follow=False)),
    ("open", [""], (1, 0), lambda ns, s: ns.open(s, "")),
    ("open", ["f\0x"], (1, 0), lambda ns, s: ns.open(s, "f\0x")),
    ("open", [b"\xff"], (1, 0), lambda ns, s: ns.open(s, b"\xff")),
    ("open", ["a" * 256], (1, 0), lambda ns, s: ns.open(s, "a" * 256)),
    ("open", ["sub/" + "a/" * 2100], (1, 0), lambda ns, s: ns.open(s, "sub/" + "a/" * 2100)),
    ("open", ["f"], (1, 5), lambda ns, s: ns.open(s, "f", create=True, exclusive=True)),
    ("open", ["zz/"], (1, 1), lambda ns, s: ns.open(s, "zz/", create=True)),
    ("open", ["zz2"], (1, 3), lambda ns, s: ns.open(s, "zz2", create=True, directory=True)),
    ("open", ["dangle"], (1, 1), lambda ns, s: ns.open(s, "dangle", create=True)),
    ("stat", ["f"], (0,), lambda ns, s: ns.stat(s, "f", follow=False)),
    ("stat", [".."], (0,), lambda ns, s: ns.stat(s, "..", follow=False)),
    ("stat", ["sub/.."], (0,), lambda ns, s: ns.stat(s, "sub/..", follow=False)),
    ("stat", ["lsub/"], (0,), lambda ns, s: ns.stat(s, "lsub/", follow=False)),
    ("stat", ["f/"], (0,), lambda ns, s: ns.stat(s, "f/", follow=False)),
    ("stat", ["new/"], (0,), lambda ns, s: ns.stat(s, "new/", follow=False)),
    ("mkdir", ["newd"], (), lambda ns, s: ns.mkdir(s, "newd")),
    ("mkdir", ["newd/"], (), lambda ns, s: ns.mkdir(s, "newd/")),
    ("mkdir", ["."], (), lambda ns, s: ns.mkdir(s, ".")),
    ("mkdir", [".."], (), lambda ns, s: ns.mkdir(s, "..")),
    ("mkdir", ["sub/.."], (), lambda ns, s: ns.mkdir(s, "sub/..")),
    ("mkdir", ["lf"], (), lambda ns, s: ns.mkdir(s, "lf")),
    ("unlink", ["f/"], (), lambda ns, s: ns.unlink(s, "f/")),
    ("unlink", ["."], (), lambda ns, s: ns.unlink(s, ".")),
    ("unlink", [".."], (), lambda ns, s: ns.unlink(s, "..")),
    ("unlink", ["sub"], (), lambda ns, s: ns.unlink(s, "sub")),
    ("unlink", ["sub/.."], (), lambda ns, s: ns.unlink(s, "sub/..")),
    ("unlink", ["lsub/"], (), lambda ns, s: ns.unlink(s, "lsub/")),
    ("rmdir", ["."], (), lambda ns, s: ns.rmdir(s, ".")),
    ("rmdir", ["sub/."], (), lambda ns, s: ns.rmdir(s, "sub/.")),
    ("rmdir", ["sub/.."], (), lambda ns, s: ns.rmdir(s, "sub/..")),
    ("rmdir", ["f"], (), lambda ns, s: ns.rmdir(s, "f")),
    ("rmdir", ["full"], (), lambda ns, s: ns.rmdir(s, "full")),
    ("rename", ["sub", "sub/x"], (), lambda ns, s: ns.rename(s, "sub", s, "sub/x")),
    ("rename", ["f", "sub"], (), lambda ns, s: ns.rename(s, "f", s, "sub")),
    ("rename", ["sub", "f"], (), lambda ns, s: ns.rename(s, "sub", s, "f")),
    ("rename", [".", "q"], (), lambda ns, s: ns.rename(s, ".", s, "q")),
    ("rename", ["newd", "sub"], (), lambda ns, s: ns.rename(s, "newd", s, "sub")),
    ("rename", ["f", "f"], (), lambda ns, s: ns.rename(s, "f", s, "f")),
    ("rename", ["f/", "g"], (), lambda ns, s: ns.rename(s, "f/", s, "g")),
    ("rename", ["f", "g/"], (), lambda ns, s: ns.rename(s, "f", s, "g/")),
    ("symlink", ["/etc/passwd", "s1"], (), lambda ns, s: ns.symlink("/etc/passwd", s, "s1")),
    ("symlink", ["../x", "s2"], (), lambda ns, s: ns.symlink("../x", s, "s2")),
    ("symlink", ["f", "s3/"], (), lambda ns, s: ns.symlink("f", s, "s3/")),
    ("symlink", ["f", "lf"], (), lambda ns, s: ns.symlink("f", s, "lf")),
]


def _parity_tree(base) -> str:
    m = base / "m"
    (m / "sub").mkdir(parents=True)
    (m / "full").mkdir()
    (m / "full" / "x").write_bytes(b"")
    (m / "f").write_bytes(b"x")
    (base / "secret").write_bytes(b"s")
    for name, target in [
        ("abs", "/etc/passwd"),
        ("up", "../secret"),
        ("loop", "loop"),
        ("lsub", "sub"),
        ("lf", "f"),
        ("dangle", "nothere"),
    ]:
        os.symlink(target, m / name)
    return str(m)


def _run_wasmtime(m: str) -> list[int]:
    wasmtime = pytest.importorskip("wasmtime")
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    cfg = wasmtime.WasiConfig()
    cfg.preopen_dir(m, "/m")
    store.set_wasi(cfg)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    exports = linker.instantiate(store, wasmtime.Module(engine, PROBE_WAT)).exports(store)
    memory = exports["memory"]
    out = []
    for call, paths, extra, _ in PARITY:
        args, at = [], 0
        for p in paths:
            data = p if isinstance(p, bytes) else p.encode()
            memory.write(store, data, at)
            args += [at, len(data)]
            at += 4096
        out.append(exports[call](store, *args, *extra))
    return out


def _run_ours(m: str) -> list[int]:
    ns = Namespace(devices=False)
    ns.mount_host(m, "/m")
    start = ns.lookup("/m")
    out = []
    for _call, _paths, _extra, op in PARITY:
        try:
            op(ns, start)
            out.append(0)
        except OSError as e:
            out.append(WASI[e.errno])
    return out


def test_same_errnos_as_wasmtime(tmp_path):
    theirs = _run_wasmtime(_parity_tree(tmp_path / "wasmtime"))
    ours = _run_ours(_parity_tree(tmp_path / "ours"))
    diffs = [
        f"{row[0]} {row[1]!r}: wasmtime {t}, wasios {o}"
        for row, t, o in zip(PARITY, theirs, ours, strict=True)
        if t != o
    ]
    assert not diffs, "\n".join(diffs)
    assert sorted(os.listdir(tmp_path / "ours" / "m")) == sorted(
        os.listdir(tmp_path / "wasmtime" / "m")
    )
