"""vfs/hostfs.py: host-directory mounts, their node operations and their sandbox.

The second half is the escape table: hostile guest paths and symlinks planted on the host
(before and after mounting) against a mount in a temporary directory, with a sentinel
tree outside the mount that must never be read, written, or added to.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import os

import pytest

from vfs.errors import ENOTCAPABLE
from vfs.hostfs import HostDir, HostFile, HostFs, HostOther, HostSymlink, name_cookie
from vfs.namespace import Namespace
from vfs.node import FileType

SECRET = b"SECRET: must never be read through the mount"


def err(fn, *args, **kw) -> int:
    with pytest.raises(OSError) as info:
        fn(*args, **kw)
    return info.value.errno


@pytest.fixture
def tree(tmp_path):
    """tmp/outside/{secret, dir/}, tmp/mnt/{f, sub/g}."""
    out = tmp_path / "outside"
    (out / "dir").mkdir(parents=True)
    (out / "secret").write_bytes(SECRET)
    mnt = tmp_path / "mnt"
    (mnt / "sub").mkdir(parents=True)
    (mnt / "f").write_bytes(b"inside")
    (mnt / "sub" / "g").write_bytes(b"deeper")
    return tmp_path


@pytest.fixture
def hfs(tree) -> HostFs:
    fs = HostFs(tree / "mnt")
    yield fs
    fs.root.close()


# -- node operations on the host ----------------------------------------------------------


def test_lookup_kinds_and_stat_match_the_host(hfs, tree):
    os.symlink("f", tree / "mnt" / "l")
    os.mkfifo(tree / "mnt" / "fifo")
    root = hfs.root
    f = root.lookup("f")
    assert isinstance(f, HostFile) and f.filetype == FileType.REGULAR_FILE
    assert isinstance(root.lookup("sub"), HostDir)
    assert isinstance(root.lookup("l"), HostSymlink)
    fifo = root.lookup("fifo")  # must not block
    assert isinstance(fifo, HostOther) and fifo.filetype == FileType.UNKNOWN
    assert err(fifo.read_at, 0, 1) == errno.ENOTSUP
    assert err(fifo.write_at, 0, b"x") == errno.ENOTSUP
    host = os.stat(tree / "mnt" / "f")
    st = f.stat()
    assert (st.dev, st.ino, st.size, st.nlink) == (host.st_dev, host.st_ino, 6, 1)
    assert (st.atim, st.mtim, st.ctim) == (host.st_atime_ns, host.st_mtime_ns, host.st_ctime_ns)
    assert root.lookup("l").stat().filetype == FileType.SYMBOLIC_LINK
    assert root.lookup("l").readlink() == "f"
    assert err(root.lookup, "nope") == errno.ENOENT
    assert err(root.lookup, "..") == errno.EINVAL
    assert err(root.lookup, "sub/g") == errno.EINVAL
    assert err(f.lookup, "x") == errno.ENOTDIR


def test_file_io(hfs, tree):
    f = hfs.root.lookup("f")
    assert f.read_at(0, 100) == b"inside"
    assert f.read_at(2, 2) == b"si"
    assert f.write_at(6, b"!!") == 2
    assert (tree / "mnt" / "f").read_bytes() == b"inside!!"
    f.set_size(3)
    assert (tree / "mnt" / "f").read_bytes() == b"ins"
    f.allocate(0, 10)
    assert f.stat().size == 10
    assert err(f.read_at, -1, 1) == errno.EINVAL
    assert err(f.write_at, -1, b"") == errno.EINVAL
    assert err(f.set_size, -1) == errno.EINVAL
    assert err(f.allocate, 0, 0) == errno.EINVAL


def test_open_file_survives_rename_and_unlink(hfs, tree):
    root = hfs.root
    f = root.lookup("f")
    root.rename("f", root.lookup("sub"), "moved")
    assert f.read_at(0, 100) == b"inside"
    f.write_at(0, b"I")
    assert (tree / "mnt" / "sub" / "moved").read_bytes() == b"Inside"
    root.lookup("sub").unlink("moved")
    assert f.read_at(0, 100) == b"Inside"


def test_directory_operations(hfs, tree):
    root = hfs.root
    mnt = tree / "mnt"
    new = root.create("new", exclusive=True)
    assert isinstance(new, HostFile) and (mnt / "new").exists()
    assert err(root.create, "new", exclusive=True) == errno.EEXIST
    assert root.create("new", exclusive=False).stat().ino == new.stat().ino
    d = root.mkdir("d")
    assert isinstance(d, HostDir) and (mnt / "d").is_dir()
    assert err(root.mkdir, "d") == errno.EEXIST
    s = root.symlink("s", "new")
    assert os.readlink(mnt / "s") == "new" and isinstance(s, HostSymlink)
    root.link("new", d, "hard")
    assert os.stat(mnt / "d" / "hard").st_ino == os.stat(mnt / "new").st_ino
    assert root.lookup("new").stat().nlink == 2
    assert err(root.link, "d", root, "dl") == errno.EPERM
    assert err(root.rmdir, "d") == errno.ENOTEMPTY
    assert err(root.unlink, "d") == errno.EISDIR
    assert err(root.rmdir, "new") == errno.ENOTDIR
    d.unlink("hard")
    root.rmdir("d")
    root.unlink("s")
    assert not (mnt / "d").exists() and not os.path.lexists(mnt / "s")
    assert err(root.rmdir, ".") == errno.EINVAL
    assert err(root.unlink, "..") == errno.EISDIR
    assert err(root.mkdir, "..") == errno.EEXIST


def test_rename_rules_on_the_host(hfs, tree):
    root = hfs.root
    sub = root.lookup("sub")
    root.mkdir("empty")
    assert err(root.rename, "f", root, "sub") == errno.EISDIR
    assert err(root.rename, "sub", root, "f") == errno.ENOTDIR
    assert err(root.rename, "empty", root, "sub") == errno.ENOTEMPTY
    assert err(root.rename, "sub", sub, "x") == errno.EINVAL
    assert err(root.rename, ".", root, "x") == errno.EBUSY
    assert err(root.rename, "f", root.lookup("f"), "x") == errno.ENOTDIR
    root.rename("sub", root, "empty")  # onto an empty directory
    assert (tree / "mnt" / "empty" / "g").exists()


def test_exdev_between_mounts(tree):
    a, b = HostFs(tree / "mnt"), HostFs(tree / "mnt")  # even the same host directory
    assert err(a.root.rename, "f", b.root, "f2") == errno.EXDEV
    assert err(a.root.link, "f", b.root, "f2") == errno.EXDEV


def test_readdir_on_the_host(hfs, tree):
    root = hfs.root
    for i in range(30):
        (tree / "mnt" / f"e{i}").write_bytes(b"")
    os.symlink("f", tree / "mnt" / "l")
    entries = list(root.readdir())
    assert [e.name for e in entries[:2]] == [".", ".."]
    assert entries[0].ino == entries[1].ino == os.stat(tree / "mnt").st_ino  # root: no leak
    names = [e.name for e in entries[2:]]
    assert sorted(names) == sorted(os.listdir(tree / "mnt"))
    kinds = {e.name: e.filetype for e in entries}
    assert kinds["sub"] == FileType.DIRECTORY and kinds["l"] == FileType.SYMBOLIC_LINK
    assert kinds["f"] == FileType.REGULAR_FILE
    cookies = [e.next_cookie for e in entries]
    assert cookies == sorted(cookies) and len(set(cookies)) == len(cookies)
    assert all(e.next_cookie == name_cookie(e.name) for e in entries[2:])
    sub_entries = list(root.lookup("sub").readdir())
    assert sub_entries[1].ino == os.stat(tree / "mnt").st_ino


def test_host_readdir_cookies_survive_churn(hfs, tree):
    mnt = tree / "mnt"
    for i in range(40):
        (mnt / f"n{i}").write_bytes(b"")
    root = hfs.root
    seen: list[str] = []
    cookie = 0
    removed: set[str] = set()
    step = 0
    while True:
        chunk = list(root.readdir(cookie))[:5]
        if not chunk:
            break
        seen += [e.name for e in chunk]
        cookie = chunk[-1].next_cookie
        step += 1
        victim = f"n{(step * 7) % 40}"
        if victim not in removed:
            (mnt / victim).unlink()
            removed.add(victim)
        (mnt / f"added{step}").write_bytes(b"")
    listed = seen[2:]
    assert len(listed) == len(set(listed))
    survivors = {f"n{i}" for i in range(40)} - removed | {"f", "sub"}
    assert survivors <= set(listed)


def test_set_times_on_host_nodes(hfs, tree):
    os.symlink("f", tree / "mnt" / "l")
    root = hfs.root
    f = root.lookup("f")
    f.set_times(1_000_000_000, 2_000_000_000)
    st = os.stat(tree / "mnt" / "f")
    assert (st.st_atime_ns, st.st_mtime_ns) == (1_000_000_000, 2_000_000_000)
    f.set_times(mtime=3_000_000_000)  # atime omitted: unchanged
    st = os.stat(tree / "mnt" / "f")
    assert (st.st_atime_ns, st.st_mtime_ns) == (1_000_000_000, 3_000_000_000)
    f.set_times(atime_now=True, mtime_now=True)
    assert os.stat(tree / "mnt" / "f").st_mtime_ns > 3_000_000_000
    sub = root.lookup("sub")
    sub.set_times(5_000_000_000, 6_000_000_000)
    assert os.stat(tree / "mnt" / "sub").st_mtime_ns == 6_000_000_000
    link = root.lookup("l")
    link.set_times(7_000_000_000, 8_000_000_000)
    assert os.lstat(tree / "mnt" / "l").st_mtime_ns == 8_000_000_000
    assert os.stat(tree / "mnt" / "f").st_mtime_ns != 8_000_000_000  # not followed
    assert err(f.set_times, 1, None, atime_now=True) == errno.EINVAL


def test_sync_really_fsyncs_the_file(hfs, tree, monkeypatch):
    synced: list[tuple[str, int]] = []
    real_fsync, real_fdatasync = os.fsync, os.fdatasync

    def spy(kind, real):
        def call(fd):
            synced.append((kind, os.fstat(fd).st_ino))
            return real(fd)

        return call

    monkeypatch.setattr(os, "fsync", spy("fsync", real_fsync))
    monkeypatch.setattr(os, "fdatasync", spy("fdatasync", real_fdatasync))
    f = hfs.root.lookup("f")
    ino = os.stat(tree / "mnt" / "f").st_ino
    f.sync()
    f.write_at(0, b"x")
    f.datasync()
    sub = hfs.root.lookup("sub")
    sub.sync()
    sub.datasync()
    dino = os.stat(tree / "mnt" / "sub").st_ino
    assert synced == [("fsync", ino), ("fdatasync", ino), ("fsync", dino), ("fdatasync", dino)]


def test_read_only_mount_refuses_every_write(tree):
    fs = HostFs(tree / "mnt", readonly=True)
    root = fs.root
    os.symlink("f", tree / "mnt" / "l")
    f = root.lookup("f")
    before = (tree / "mnt" / "f").read_bytes()
    assert f.read_at(0, 100) == b"inside" and f.read_only
    for fn, args in [
        (f.write_at, (0, b"x")),
        (f.set_size, (0,)),
        (f.allocate, (0, 10)),
        (f.set_times, (1, 1)),
        (root.lookup("sub").set_times, (1, 1)),
        (root.lookup("l").set_times, (1, 1)),
        (root.create, ("new", True)),
        (root.create, ("new2", False)),
        (root.mkdir, ("d",)),
        (root.symlink, ("s", "f")),
        (root.unlink, ("f",)),
        (root.rmdir, ("sub",)),
        (root.rename, ("f", root, "g")),
        (root.link, ("f", root, "g")),
    ]:
        assert err(fn, *args) == errno.EROFS, fn.__name__
    assert root.create("f", exclusive=False).stat().ino == f.stat().ino
    assert (tree / "mnt" / "f").read_bytes() == before
    assert sorted(os.listdir(tree / "mnt")) == ["f", "l", "sub"]
    f.sync()  # syncing is not writing


def test_closed_nodes_and_no_descriptor_leak(hfs):
    f = hfs.root.lookup("f")
    f.read_at(0, 1)
    f.close()
    assert err(f.read_at, 0, 1) == errno.EBADF
    gc.collect()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(200):
        hfs.root.lookup("sub").lookup("g").read_at(0, 10)
        list(hfs.root.lookup("sub").readdir())
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) <= before


def test_a_directory_swapped_for_a_symlink_at_lookup_is_seen_as_the_symlink(hfs, tree, monkeypatch):
    """The race: "sub" is checked as a directory, then replaced by a symlink to outside.

    Lookup opens first (O_PATH|O_NOFOLLOW) and checks the opened inode, so whatever it
    sees is what it uses: here the symlink, which the resolver then refuses.
    """
    ns = Namespace(devices=False)
    ns.mount("/m", hfs.root)
    start = ns.lookup("/m")
    real_open = os.open
    swapped = []

    def racing_open(path, flags, *args, **kw):
        if path == "sub" and flags & os.O_PATH and not swapped:
            os.rename(tree / "mnt" / "sub", tree / "mnt" / "sub_old")
            os.symlink("../outside", tree / "mnt" / "sub")
            swapped.append(True)
        return real_open(path, flags, *args, **kw)

    monkeypatch.setattr(os, "open", racing_open)
    assert err(ns.resolve, start, "sub/secret", True) == ENOTCAPABLE
    assert swapped


def test_a_pinned_directory_stays_itself_after_a_swap(hfs, tree):
    ns = Namespace(devices=False)
    ns.mount("/m", hfs.root)
    start = ns.lookup("/m")
    sub = ns.resolve(start, "sub", True)
    os.rename(tree / "mnt" / "sub", tree / "mnt" / "sub_old")
    os.symlink("../outside", tree / "mnt" / "sub")
    assert ns.resolve(sub, "g", True).read_at(0, 10) == b"deeper"
    assert err(ns.resolve, sub, "secret", True) == errno.ENOENT
    assert err(ns.resolve, start, "sub/secret", True) == ENOTCAPABLE


# -- the escape table ---------------------------------------------------------------------


def _snapshot(path) -> dict[str, tuple]:
    """Everything under ``path``: names, kinds, contents hashes and mtimes."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            digest = ""
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()
            out[os.path.relpath(p, path)] = (st.st_mode, st.st_size, st.st_mtime_ns, digest)
    return out


def _plant(tree) -> None:
    """Symlinks planted on the host side, after mounting."""
    m = tree / "mnt"
    out = tree / "outside"
    links = {
        "abs_secret": str(out / "secret"),
        "abs_dir": str(out),
        "abs_root": "/",
        "abs_new": str(out / "created"),
        "up": "../outside/secret",
        "up_dir": "../outside",
        "up_trail": "../outside/",
        "deep_up": "sub/../../outside",
        "dotdot": "..",
        "dotdot2": "./../mnt/..",
        "chain1": "chain2",
        "chain2": "chain3",
        "chain3": "../outside",
        "loop_a": "loop_b",
        "loop_b": "loop_a",
        "self": "self",
        "proc_root": "/proc/self/root",
        "proc_rel": "../" * 20 + "proc/self/root",
        "proc_cwd": "/proc/self/cwd",
        "proc_fd": "/proc/self/fd/0",
        "rel_new": "../outside/created",
        "sub/back": "../../outside",
        "sub/ok": "../f",
    }
    for i in range(45):
        links[f"long{i}"] = f"long{i + 1}"
    links["long45"] = "f"
    for name, target in links.items():
        os.symlink(target, m / name)


def _read(ns, start, path):
    node = ns.open(start, path)
    return node.read_at(0, 1 << 16)


def _write(ns, start, path):
    node = ns.open(start, path, create=True)
    node.write_at(0, b"PWNED")
    node.set_size(5)


# (description, operation, path, expected errno); every row must fail and leave the
# outside untouched.
HOSTILE = [
    ("dotdot", _read, "../outside/secret", ENOTCAPABLE),
    ("dotdot twice", _read, "../../etc/passwd", ENOTCAPABLE),
    ("dotdot from sub", _read, "sub/../../outside/secret", ENOTCAPABLE),
    ("dot dance", _read, "sub/./../.././outside/secret", ENOTCAPABLE),
    ("dotdot through a file", _read, "f/../../outside/secret", errno.ENOTDIR),
    ("dotdot after a missing dir", _read, "nope/../../outside/secret", errno.ENOENT),
    ("absolute path", _read, "/etc/passwd", ENOTCAPABLE),
    ("absolute host path", _read, "{tmp}/outside/secret", ENOTCAPABLE),
    ("absolute symlink to the secret", _read, "abs_secret", ENOTCAPABLE),
    ("absolute symlink to a dir", _read, "abs_dir/secret", ENOTCAPABLE),
    ("symlink to /", _read, "abs_root/etc/passwd", ENOTCAPABLE),
    ("relative symlink climbing out", _read, "up", ENOTCAPABLE),
    ("relative dir symlink climbing out", _read, "up_dir/secret", ENOTCAPABLE),
    ("trailing-slash target climbing out", _read, "up_trail/secret", ENOTCAPABLE),
    ("symlink .. via sub", _read, "deep_up/secret", ENOTCAPABLE),
    ("symlink to ..", _read, "dotdot/outside/secret", ENOTCAPABLE),
    ("symlink ./../mnt/..", _read, "dotdot2/outside/secret", ENOTCAPABLE),
    ("chain of symlinks", _read, "chain1/secret", ENOTCAPABLE),
    ("symlink loop", _read, "loop_a", errno.ELOOP),
    ("self loop", _read, "self/x", errno.ELOOP),
    ("41 symlinks in a row", _read, "long0", errno.ELOOP),
    ("/proc/self/root", _read, "proc_root/etc/passwd", ENOTCAPABLE),
    ("relative /proc/self/root", _read, "proc_rel/etc/passwd", ENOTCAPABLE),
    ("/proc/self/cwd", _read, "proc_cwd", ENOTCAPABLE),
    ("/proc/self/fd/0", _read, "proc_fd", ENOTCAPABLE),
    ("symlink in sub climbing out", _read, "sub/back/secret", ENOTCAPABLE),
    ("write via symlink", _write, "up", ENOTCAPABLE),
    ("write via absolute symlink", _write, "abs_secret", ENOTCAPABLE),
    ("create via dangling absolute", _write, "abs_new", ENOTCAPABLE),
    ("create via dangling relative", _write, "rel_new", ENOTCAPABLE),
    ("create via dotdot", _write, "../outside/created", ENOTCAPABLE),
    ("create in a symlinked dir", _write, "up_dir/created", ENOTCAPABLE),
    ("mkdir outside", lambda ns, s, p: ns.mkdir(s, p), "up_dir/newdir", ENOTCAPABLE),
    ("mkdir ..", lambda ns, s, p: ns.mkdir(s, p), "../newdir", ENOTCAPABLE),
    ("unlink outside", lambda ns, s, p: ns.unlink(s, p), "up_dir/secret", ENOTCAPABLE),
    ("rmdir outside", lambda ns, s, p: ns.rmdir(s, p), "../outside/dir", ENOTCAPABLE),
    ("rename out", lambda ns, s, p: ns.rename(s, "f", s, p), "up_dir/stolen", ENOTCAPABLE),
    ("rename in", lambda ns, s, p: ns.rename(s, p, s, "got"), "../outside/secret", ENOTCAPABLE),
    (
        "rename via symlink",
        lambda ns, s, p: ns.rename(s, p, s, "got"),
        "chain1/secret",
        ENOTCAPABLE,
    ),
    ("hard link in", lambda ns, s, p: ns.link(s, p, s, "got"), "../outside/secret", ENOTCAPABLE),
    (
        "hard link via symlink",
        lambda ns, s, p: ns.link(s, p, s, "got", follow=True),
        "abs_secret",
        ENOTCAPABLE,
    ),
    ("hard link out", lambda ns, s, p: ns.link(s, "f", s, p), "up_dir/f", ENOTCAPABLE),
    ("stat outside", lambda ns, s, p: ns.stat(s, p), "abs_secret", ENOTCAPABLE),
    ("set_times outside", lambda ns, s, p: ns.set_times(s, p, mtime=1), "up", ENOTCAPABLE),
    ("readdir outside", lambda ns, s, p: list(ns.open(s, p).readdir()), "up_dir", ENOTCAPABLE),
    (
        "guest-made symlink climbing out",
        lambda ns, s, p: (ns.symlink("../outside/secret", s, "made"), _read(ns, s, p)),
        "made",
        ENOTCAPABLE,
    ),
    (
        "guest-made absolute symlink",
        lambda ns, s, p: ns.symlink("/etc/passwd", s, p),
        "made_abs",
        ENOTCAPABLE,
    ),
    ("NUL smuggling", _read, "f\0/../../outside/secret", errno.EINVAL),
]


@pytest.mark.parametrize("row", HOSTILE, ids=[r[0] for r in HOSTILE])
def test_no_path_reaches_outside_the_mount(tree, row):
    _desc, op, path, expected = row
    ns = Namespace(devices=False)
    ns.mount_host(tree / "mnt", "/m")
    _plant(tree)  # after mounting: the host changes under a live mount
    start = ns.lookup("/m")
    before_out = _snapshot(tree / "outside")
    before_top = sorted(os.listdir(tree))
    path = path.replace("{tmp}", str(tree))
    with pytest.raises(OSError) as info:
        op(ns, start, path)
    assert info.value.errno == expected
    assert _snapshot(tree / "outside") == before_out
    assert sorted(os.listdir(tree)) == before_top
    assert (tree / "outside" / "secret").read_bytes() == SECRET


def test_the_escape_table_is_big_enough():
    assert len(HOSTILE) >= 30


def test_legitimate_paths_still_work(tree):
    ns = Namespace(devices=False)
    ns.mount_host(tree / "mnt", "/m")
    _plant(tree)
    start = ns.lookup("/m")
    assert _read(ns, start, "sub/ok") == b"inside"
    assert _read(ns, start, "sub/../f") == b"inside"
    assert _read(ns, start, "./sub//g") == b"deeper"
    ns.symlink("../f", start, "sub/rel")
    assert _read(ns, start, "sub/rel") == b"inside"
    assert ns.readlink(start, "abs_secret") == str(tree / "outside" / "secret")  # text only
