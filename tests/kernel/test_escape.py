"""The escape table through the kernel: hostile paths as a guest sends them, to `dispatch`.

tests/vfs/test_hostfs.py proves the resolver keeps a host mount sealed. This file proves
the same through the syscall layer a guest really reaches: a process whose preopen (fd 3)
is a host mount makes path_* calls with hostile paths and planted host symlinks, and
nothing outside the mount may be read, created, changed or deleted. Each row names the
exact errno it must get. The vfs table's read/write rows and its planted symlinks are
reused as they are; the rows for the other calls are below.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from kernel.abi import Errno, Filetype, Fstflags, Lookupflags, Oflags, Rights
from kernel.errors import HOST_TO_WASI
from kernel.proc import Kernel, Process
from tests.vfs.test_hostfs import HOSTILE, SECRET, _plant, _read, _snapshot, _write

from .conftest import ALL, call

R = Rights
FOLLOW = int(Lookupflags.SYMLINK_FOLLOW)
READ = int(R.FD_READ | R.FD_READDIR | R.FD_FILESTAT_GET)
WRITE = int(R.FD_READ | R.FD_WRITE | R.FD_FILESTAT_SET_SIZE)
PREOPEN = 3


@dataclass
class Mount:
    proc: Process
    tmp: str  # holds mnt/ (the preopen) and outside/ (the canaries)


@pytest.fixture
def mount(kernel: Kernel, tmp_path) -> Mount:
    """tmp/outside/{secret, dir/} outside; tmp/mnt/{f, sub/g} preopened as /m; links planted."""
    out = tmp_path / "outside"
    (out / "dir").mkdir(parents=True)
    (out / "dir" / "keep").write_bytes(b"canary dir content")
    (out / "secret").write_bytes(SECRET)
    mnt = tmp_path / "mnt"
    (mnt / "sub").mkdir(parents=True)
    (mnt / "f").write_bytes(b"inside")
    (mnt / "sub" / "g").write_bytes(b"deeper")
    ns = kernel.namespace
    ns.mount_host(mnt, "/m")
    _plant(tmp_path)  # after mounting: the host changes under a live mount
    proc = kernel.spawn(["escape"], preopens=[("/m", ns.lookup("/m"))])
    return Mount(proc, str(tmp_path))


def _outside_state(tmp: str) -> tuple:
    """Everything a leak could touch: the outside tree, the temp dir's top level, the secret."""
    with open(os.path.join(tmp, "outside", "secret"), "rb") as fh:
        secret = fh.read()
    return _snapshot(os.path.join(tmp, "outside")), sorted(os.listdir(tmp)), secret


def _fill(value, tmp: str):
    return value.replace("{tmp}", tmp) if isinstance(value, str) else value


async def _attempt(m: Mount, setup: list, name: str, args: list) -> tuple[Errno, list]:
    """Run the setup calls (each must succeed), then the hostile call; check no leak."""
    for s_name, s_args in setup:
        errno, _ = await call(m.proc, s_name, *[_fill(a, m.tmp) for a in s_args])
        assert errno == Errno.SUCCESS, f"setup {s_name}{s_args} -> {errno.name}"
    before = _outside_state(m.tmp)
    fds_before = len(m.proc.fds)
    errno, results = await call(m.proc, name, *[_fill(a, m.tmp) for a in args])
    assert _outside_state(m.tmp) == before, "the outside changed"
    assert before[2] == SECRET
    if errno != Errno.SUCCESS:
        assert results == [], "a failed call returned data"
        assert len(m.proc.fds) == fds_before, "a failed call left an fd behind"
    assert not any(isinstance(r, bytes) and SECRET[:6] in r for r in results)
    return errno, results


# --- the vfs table's open rows, as path_open ---------------------------------------------

OPEN_ROWS = [row for row in HOSTILE if row[1] in (_read, _write)]


def _open_args(op, path: str) -> list:
    if op is _read:
        return [PREOPEN, FOLLOW, path, 0, READ, 0, 0]
    return [PREOPEN, FOLLOW, path, int(Oflags.CREAT), WRITE, 0, 0]


@pytest.mark.parametrize("row", OPEN_ROWS, ids=[r[0] for r in OPEN_ROWS])
async def test_vfs_escape_rows_through_path_open(mount, row):
    _desc, op, path, host_errno = row
    errno, _ = await _attempt(mount, [], "path_open", _open_args(op, path))
    assert errno == HOST_TO_WASI[host_errno]


# --- the other path_* calls --------------------------------------------------------------


def _open(path: str, follow: bool = True, oflags: int = 0, rights: int = READ) -> tuple:
    return ("path_open", [PREOPEN, FOLLOW if follow else 0, path, oflags, rights, 0, 0])


def _stat(path: str, follow: bool = True) -> tuple:
    return ("path_filestat_get", [PREOPEN, FOLLOW if follow else 0, path])


def _times(path: str, follow: bool = True) -> tuple:
    flags = int(Fstflags.MTIM | Fstflags.ATIM)
    return ("path_filestat_set_times", [PREOPEN, FOLLOW if follow else 0, path, 5, 6, flags])


def _readlink(path: str) -> tuple:
    return ("path_readlink", [PREOPEN, path, 4096])


def _symlink(target: str, path: str) -> tuple:
    return ("path_symlink", [target, PREOPEN, path])


def _rename(old: str, new: str, new_fd: int = PREOPEN) -> tuple:
    return ("path_rename", [PREOPEN, old, new_fd, new])


def _link(old: str, new: str, follow: bool = False) -> tuple:
    return ("path_link", [PREOPEN, FOLLOW if follow else 0, old, PREOPEN, new])


def _unlink(path: str) -> tuple:
    return ("path_unlink_file", [PREOPEN, path])


def _mkdir(path: str) -> tuple:
    return ("path_create_directory", [PREOPEN, path])


def _rmdir(path: str) -> tuple:
    return ("path_remove_directory", [PREOPEN, path])


def _open_dir_fd(path: str) -> tuple:
    """Opens ``path`` as fd 4 (0-2 stdio, 3 the preopen) with every right the preopen passes on."""
    return ("path_open", [PREOPEN, FOLLOW, path, int(Oflags.DIRECTORY), ALL & ~R.FD_WRITE, ALL, 0])


NC, NOENT, LOOP = Errno.NOTCAPABLE, Errno.NOENT, Errno.LOOP

# (description, setup calls that must succeed, the hostile call, its errno)
ROWS = [
    # path_open beyond the vfs rows: directories, no-follow, fds below the preopen
    ("open .. as a directory", [], _open("..", oflags=int(Oflags.DIRECTORY)), NC),
    ("open a symlinked dir out", [], _open("up_dir", oflags=int(Oflags.DIRECTORY)), NC),
    (
        "open .. from an inner dir fd",
        [_open_dir_fd("sub")],
        ("path_open", [4, 0, "../f", 0, READ, 0, 0]),
        NC,
    ),
    (
        "open ../../ from an inner dir fd",
        [_open_dir_fd("sub")],
        ("path_open", [4, 0, "../../outside/secret", 0, READ, 0, 0]),
        NC,
    ),
    ("truncate via symlink", [], _open("abs_secret", oflags=int(Oflags.TRUNC), rights=WRITE), NC),
    (
        "exclusive create via dangling link",
        [],
        _open("rel_new", oflags=int(Oflags.CREAT | Oflags.EXCL), rights=WRITE),
        Errno.EXIST,
    ),
    ("open a planted link without follow", [], _open("up", follow=False), LOOP),
    # path_filestat_get
    ("stat an absolute link, followed", [], _stat("abs_secret"), NC),
    ("stat a relative link out, followed", [], _stat("up"), NC),
    ("stat through a dir link, no follow", [], _stat("up_dir/secret", follow=False), NC),
    ("stat ../outside", [], _stat("../outside/secret"), NC),
    ("stat the host path", [], _stat("{tmp}/outside/secret"), NC),
    ("stat a chain out", [], _stat("chain1/secret"), NC),
    ("stat a loop", [], _stat("loop_a"), LOOP),
    ("stat /proc/self/root", [], _stat("proc_root/etc/passwd"), NC),
    # path_filestat_set_times
    ("set times through a link out", [], _times("up"), NC),
    ("set times through a dir link", [], _times("abs_dir/secret", follow=False), NC),
    ("set times on ../outside/dir", [], _times("../outside/dir"), NC),
    # path_readlink
    ("readlink ../ a link outside", [], _readlink("../outside/link"), NC),
    ("readlink through a dir link", [], _readlink("up_dir/secret"), NC),
    ("readlink through a chain", [], _readlink("chain1/x"), NC),
    # path_symlink, then a path_open that follows it
    ("make an absolute symlink", [], _symlink("/etc/passwd", "made_abs"), NC),
    ("make a symlink outside", [], _symlink("x", "../outside/made"), NC),
    ("make a symlink in a dir link", [], _symlink("x", "up_dir/made"), NC),
    ("follow a made symlink out", [_symlink("../outside/secret", "made")], _open("made"), NC),
    (
        "write through a made symlink",
        [_symlink("../outside/secret", "made")],
        _open("made", oflags=int(Oflags.CREAT), rights=WRITE),
        NC,
    ),
    (
        "create through a made dangling symlink",
        [_symlink("../outside/new", "made")],
        _open("made", oflags=int(Oflags.CREAT), rights=WRITE),
        NC,
    ),
    (
        "made symlink into sub then up",
        [_symlink("../..", "sub/esc")],
        _stat("sub/esc/outside/secret"),
        NC,
    ),
    (
        "made symlink chain",
        [_symlink("sub/esc", "hop"), _symlink("../../outside", "sub/esc")],
        _open("hop/secret"),
        NC,
    ),
    # path_rename
    ("rename a file out", [], _rename("f", "up_dir/stolen"), NC),
    ("rename a file out via ..", [], _rename("f", "../outside/stolen"), NC),
    ("rename over the secret", [], _rename("f", "abs_dir/secret"), NC),
    ("rename the secret in", [], _rename("../outside/secret", "got"), NC),
    ("rename the secret in via a chain", [], _rename("chain1/secret", "got"), NC),
    ("rename the canary dir in", [], _rename("up_dir/dir", "got"), NC),
    ("rename a dir out", [], _rename("sub", "deep_up/sub"), NC),
    (
        "rename out from an inner dir fd",
        [_open_dir_fd("sub")],
        ("path_rename", [4, "g", 4, "../../outside/g"]),
        NC,
    ),
    # path_link
    ("hard link the secret in", [], _link("../outside/secret", "got"), NC),
    ("hard link through a followed link", [], _link("abs_secret", "got", follow=True), NC),
    ("hard link through a relative link", [], _link("up", "got", follow=True), NC),
    ("hard link a file out", [], _link("f", "up_dir/f"), NC),
    ("hard link via sub/back", [], _link("sub/back/secret", "got"), NC),
    # path_unlink_file
    ("unlink the secret via a dir link", [], _unlink("up_dir/secret"), NC),
    ("unlink the secret via ..", [], _unlink("../outside/secret"), NC),
    ("unlink the secret via an absolute dir link", [], _unlink("abs_dir/secret"), NC),
    ("unlink via a chain", [], _unlink("chain1/secret"), NC),
    ("unlink via the host path", [], _unlink("{tmp}/outside/secret"), NC),
    ("unlink via sub/../..", [], _unlink("sub/../../outside/secret"), NC),
    # path_create_directory / path_remove_directory
    ("mkdir through a dir link", [], _mkdir("up_dir/newdir"), NC),
    ("mkdir ..", [], _mkdir("../newdir"), NC),
    ("mkdir via an absolute link", [], _mkdir("abs_dir/newdir"), NC),
    ("mkdir over a dangling link out", [], _mkdir("rel_new"), Errno.EXIST),
    ("mkdir through a loop", [], _mkdir("loop_a/x"), LOOP),
    ("rmdir the canary dir via ..", [], _rmdir("../outside/dir"), NC),
    ("rmdir the canary dir via a link", [], _rmdir("up_dir/dir"), NC),
    ("rmdir a planted dir link", [], _rmdir("up_dir"), Errno.NOTDIR),
    ("rmdir the mount's parent", [], _rmdir(".."), NC),
]


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
async def test_no_syscall_reaches_outside_the_mount(mount, row):
    _desc, setup, (name, args), expected = row
    errno, _ = await _attempt(mount, setup, name, args)
    assert errno == expected, f"{name}{args} -> {errno.name}, expected {expected.name}"


def test_the_kernel_escape_table_is_big_enough():
    assert len(OPEN_ROWS) + len(ROWS) >= 30
    calls = {row[2][0] for row in ROWS} | {name for row in ROWS for name, _ in row[1]}
    assert calls >= {
        "path_open",
        "path_filestat_get",
        "path_filestat_set_times",
        "path_readlink",
        "path_symlink",
        "path_rename",
        "path_link",
        "path_unlink_file",
        "path_create_directory",
        "path_remove_directory",
    }


# --- what the guest may do to the planted links themselves, harmlessly -------------------


async def test_links_themselves_may_be_read_and_replaced_without_touching_the_target(mount):
    """Operations on a link (not through it) succeed and stay inside the mount."""
    tmp = mount.tmp
    errno, st = await _attempt(mount, [], *_stat("abs_secret", follow=False))
    assert errno == Errno.SUCCESS and st[2] == Filetype.SYMBOLIC_LINK
    errno, (target,) = await _attempt(mount, [], *_readlink("abs_secret"))
    assert target == os.path.join(tmp, "outside", "secret").encode()  # the text, not the data
    errno, _ = await _attempt(mount, [], *_times("up", follow=False))
    assert errno == Errno.SUCCESS
    errno, _ = await _attempt(mount, [], *_open("sub/ok"))  # a link that stays inside
    assert errno == Errno.SUCCESS
    errno, _ = await _attempt(mount, [], *_rename("f", "abs_secret"))  # replaces the link
    assert errno == Errno.SUCCESS
    assert not os.path.islink(os.path.join(tmp, "mnt", "abs_secret"))
    errno, _ = await _attempt(mount, [], *_unlink("up_dir"))  # removes the link only
    assert errno == Errno.SUCCESS and os.path.isdir(os.path.join(tmp, "outside"))
    errno, _ = await _attempt(mount, [], *_link("up", "up_hard"))  # links the link itself
    assert errno == Errno.SUCCESS
    assert os.readlink(os.path.join(tmp, "mnt", "up_hard")) == "../outside/secret"


async def test_the_same_calls_succeed_inside_the_mount(mount):
    """Controls: with inside paths each call works, so the rows fail for their paths alone
    (not for a missing right on fd 3 or on an inner directory fd)."""
    controls = [
        _open_dir_fd("sub"),
        ("path_open", [4, 0, "g", 0, READ, 0, 0]),
        ("path_rename", [4, "g", 4, "g2"]),
        ("path_rename", [4, "g2", PREOPEN, "g3"]),
        _open("g3"),
        _open("new", oflags=int(Oflags.CREAT), rights=WRITE),
        _stat("f"),
        _times("f"),
        _readlink("sub/ok"),
        _symlink("f", "made"),
        _open("made"),
        _rename("new", "sub/new"),
        _link("f", "f2", follow=True),
        _unlink("f2"),
        _mkdir("newdir"),
        _rmdir("newdir"),
    ]
    for name, args in controls:
        errno, _ = await _attempt(mount, [], name, args)
        assert errno == Errno.SUCCESS, f"{name}{args} -> {errno.name}"
