"""The path_* family through the VFS namespace: results, filesystem effects, errors."""

from kernel.abi import Errno, Fdflags, Filetype, Fstflags, Lookupflags, Oflags, Rights
from kernel.proc import Limits
from vfs.memfs import MemFs

from .conftest import ALL, err, ok, open_file

R = Rights
FOLLOW = Lookupflags.SYMLINK_FOLLOW


async def mkfile(proc, name, data=b""):
    fd = await open_file(proc, name, Oflags.CREAT)
    if data:
        await ok(proc, "fd_write", fd, [data])
    await ok(proc, "fd_close", fd)


async def drop_rights(proc, fd, rights):
    _, _, base, inh = await ok(proc, "fd_fdstat_get", fd)
    await ok(proc, "fd_fdstat_set_rights", fd, base & ~rights, inh)


# --- path_open --------------------------------------------------------------------------


async def test_path_open_creates_and_opens(proc, sandbox):
    (fd,) = await ok(proc, "path_open", 3, 0, "new", Oflags.CREAT, ALL, ALL, 0)
    assert fd == 4 and sandbox.lookup("new").filetype == Filetype.REGULAR_FILE
    (fd2,) = await ok(proc, "path_open", 3, 0, b"new", 0, ALL, ALL, Fdflags.APPEND)
    assert (await ok(proc, "fd_fdstat_get", fd2))[1] == Fdflags.APPEND


async def test_path_open_oflags_errors(proc):
    await mkfile(proc, "f", b"data")
    assert await err(proc, "path_open", 3, 0, "f", Oflags.CREAT | Oflags.EXCL, ALL, ALL, 0) == (
        Errno.EXIST
    )
    assert await err(proc, "path_open", 3, 0, "missing", 0, ALL, ALL, 0) == Errno.NOENT
    assert await err(proc, "path_open", 3, 0, "f", Oflags.DIRECTORY, ALL, ALL, 0) == Errno.NOTDIR
    assert await err(proc, "path_open", 3, 0, "f/x", 0, ALL, ALL, 0) == Errno.NOTDIR
    assert await err(proc, "path_open", 3, 0, "f", 0x10, ALL, ALL, 0) == Errno.INVAL
    assert await err(proc, "path_open", 3, 0, "f", 0, ALL, ALL, 0x40) == Errno.INVAL
    assert await err(proc, "path_open", 3, 2, "f", 0, ALL, ALL, 0) == Errno.INVAL
    assert await err(proc, "path_open", 99, 0, "f", 0, ALL, ALL, 0) == Errno.BADF


async def test_path_open_trunc(proc, sandbox):
    await mkfile(proc, "f", b"0123456789")
    await open_file(proc, "f", Oflags.TRUNC)
    assert sandbox.lookup("f").stat().size == 0


async def test_path_open_cannot_leave_the_preopen(kernel, proc):
    kernel.namespace.root.create("secret", exclusive=True)
    await ok(proc, "path_create_directory", 3, "a")
    for path in ("../secret", "/secret", "a/../../secret", "./../secret", "/sandbox/x"):
        assert await err(proc, "path_open", 3, 0, path, 0, ALL, ALL, 0) == Errno.NOTCAPABLE
    await ok(proc, "path_symlink", "../secret", 3, "link")
    assert await err(proc, "path_open", 3, FOLLOW, "link", 0, ALL, ALL, 0) == Errno.NOTCAPABLE


async def test_path_open_rights_are_cut_to_the_directory_inheriting(proc):
    await mkfile(proc, "f")
    _, _, base, inh = await ok(proc, "fd_fdstat_get", 3)
    await ok(proc, "fd_fdstat_set_rights", 3, base, inh & ~R.FD_WRITE)
    fd = await open_file(proc, "f")  # asks for everything
    _, _, fbase, finh = await ok(proc, "fd_fdstat_get", fd)
    assert fbase & R.FD_READ and not fbase & R.FD_WRITE and finh == 0
    assert await err(proc, "fd_write", fd, [b"x"]) == Errno.NOTCAPABLE


async def test_path_open_directory_rights_and_isdir(proc):
    await ok(proc, "path_create_directory", 3, "d")
    fd = await open_file(proc, "d", Oflags.DIRECTORY, int(ALL & ~R.FD_WRITE))
    ftype, _, base, inh = await ok(proc, "fd_fdstat_get", fd)
    assert ftype == Filetype.DIRECTORY and base & R.PATH_OPEN and inh & R.FD_WRITE
    await ok(proc, "path_open", fd, 0, "inner", Oflags.CREAT, ALL, ALL, 0)
    assert await err(proc, "path_open", 3, 0, "d", 0, ALL, ALL, 0) == Errno.ISDIR  # for writing
    assert await err(proc, "path_open", 3, 0, "d", Oflags.CREAT, ALL, ALL, 0) == Errno.ISDIR


async def test_path_open_needs_rights(proc):
    await mkfile(proc, "f")
    await drop_rights(proc, 3, R.PATH_CREATE_FILE | R.PATH_FILESTAT_SET_SIZE)
    assert await err(proc, "path_open", 3, 0, "g", Oflags.CREAT, ALL, ALL, 0) == Errno.NOTCAPABLE
    assert await err(proc, "path_open", 3, 0, "f", Oflags.TRUNC, ALL, ALL, 0) == Errno.NOTCAPABLE
    await open_file(proc, "f")  # a plain open still works
    await drop_rights(proc, 3, R.PATH_OPEN)
    assert await err(proc, "path_open", 3, 0, "f", 0, ALL, ALL, 0) == Errno.NOTCAPABLE


async def test_path_open_through_a_file_fd_is_notdir(proc):
    fd = await open_file(proc, "f", Oflags.CREAT)
    assert await err(proc, "path_open", fd, 0, "x", 0, ALL, ALL, 0) == Errno.NOTDIR


async def test_path_open_symlinks(proc):
    await mkfile(proc, "target", b"T")
    await ok(proc, "path_symlink", "target", 3, "link")
    fd = await open_file(proc, "link")  # dirflags FOLLOW (open_file's default)
    assert await ok(proc, "fd_read", fd, [10]) == [b"T"]
    assert await err(proc, "path_open", 3, 0, "link", 0, ALL, ALL, 0) == Errno.LOOP
    await ok(proc, "path_symlink", "loop2", 3, "loop1")
    await ok(proc, "path_symlink", "loop1", 3, "loop2")
    assert await err(proc, "path_open", 3, FOLLOW, "loop1", 0, ALL, ALL, 0) == Errno.LOOP


async def test_path_open_bad_paths(proc):
    assert await err(proc, "path_open", 3, 0, b"\xff\xfe", 0, ALL, ALL, 0) == Errno.ILSEQ
    assert await err(proc, "path_open", 3, 0, "a\0b", 0, ALL, ALL, 0) == Errno.INVAL
    assert await err(proc, "path_open", 3, 0, "", 0, ALL, ALL, 0) == Errno.NOENT
    assert await err(proc, "path_open", 3, 0, "x" * 300, 0, ALL, ALL, 0) == Errno.NAMETOOLONG


async def test_path_open_on_read_only_mount_is_rofs(kernel):
    ro = MemFs(readonly=True)
    kernel.namespace.mount("/ro", ro.root)
    p = kernel.spawn(["p"], preopens=[("/ro", kernel.namespace.lookup("/ro"))])
    assert await err(p, "path_open", 3, 0, "f", Oflags.CREAT, ALL, ALL, 0) == Errno.ROFS
    assert await err(p, "path_create_directory", 3, "d") == Errno.ROFS


async def test_path_open_respects_the_fd_limit(kernel, sandbox):
    p = kernel.spawn(["p"], preopens=[("/sandbox", sandbox)], limits=Limits(max_fds=5))
    await open_file(p, "a", Oflags.CREAT)
    assert await err(p, "path_open", 3, 0, "a", 0, ALL, ALL, 0) == Errno.MFILE


# --- directories --------------------------------------------------------------------------


async def test_path_create_directory(proc, sandbox):
    assert await ok(proc, "path_create_directory", 3, "d") == []
    assert sandbox.lookup("d").filetype == Filetype.DIRECTORY
    await ok(proc, "path_create_directory", 3, "d/e")
    assert await err(proc, "path_create_directory", 3, "d") == Errno.EXIST
    assert await err(proc, "path_create_directory", 3, "x/y") == Errno.NOENT
    assert await err(proc, "path_create_directory", 3, "../up") == Errno.NOTCAPABLE
    await drop_rights(proc, 3, R.PATH_CREATE_DIRECTORY)
    assert await err(proc, "path_create_directory", 3, "z") == Errno.NOTCAPABLE


async def test_path_remove_directory(proc, sandbox):
    await ok(proc, "path_create_directory", 3, "d")
    await ok(proc, "path_create_directory", 3, "d/e")
    await mkfile(proc, "f")
    assert await err(proc, "path_remove_directory", 3, "d") == Errno.NOTEMPTY
    assert await err(proc, "path_remove_directory", 3, "f") == Errno.NOTDIR
    assert await err(proc, "path_remove_directory", 3, "nope") == Errno.NOENT
    assert await ok(proc, "path_remove_directory", 3, "d/e") == []
    assert await ok(proc, "path_remove_directory", 3, "d") == []
    assert "d" not in sandbox.names()
    await drop_rights(proc, 3, R.PATH_REMOVE_DIRECTORY)
    assert await err(proc, "path_remove_directory", 3, "f") == Errno.NOTCAPABLE


# --- stat and times -------------------------------------------------------------------------


async def test_path_filestat_get_follows_or_not(proc, sandbox):
    await mkfile(proc, "f", b"12345")
    await ok(proc, "path_symlink", "f", 3, "l")
    st = await ok(proc, "path_filestat_get", 3, FOLLOW, "l")
    assert st[2] == Filetype.REGULAR_FILE and st[4] == 5 and st[1] == sandbox.lookup("f").stat().ino
    lst = await ok(proc, "path_filestat_get", 3, 0, "l")
    assert lst[2] == Filetype.SYMBOLIC_LINK and lst[4] == 1
    assert len(st) == 8
    assert await err(proc, "path_filestat_get", 3, 0, "missing") == Errno.NOENT
    await drop_rights(proc, 3, R.PATH_FILESTAT_GET)
    assert await err(proc, "path_filestat_get", 3, 0, "f") == Errno.NOTCAPABLE


async def test_path_filestat_set_times(proc, sandbox):
    await mkfile(proc, "f")
    flags = Fstflags.ATIM | Fstflags.MTIM
    assert await ok(proc, "path_filestat_set_times", 3, FOLLOW, "f", 5, 6, flags) == []
    st = sandbox.lookup("f").stat()
    assert (st.atim, st.mtim) == (5, 6)
    bad = Fstflags.MTIM | Fstflags.MTIM_NOW
    assert await err(proc, "path_filestat_set_times", 3, 0, "f", 0, 0, bad) == Errno.INVAL
    assert await err(proc, "path_filestat_set_times", 3, 0, "nope", 0, 0, flags) == Errno.NOENT
    await drop_rights(proc, 3, R.PATH_FILESTAT_SET_TIMES)
    assert await err(proc, "path_filestat_set_times", 3, 0, "f", 0, 0, flags) == Errno.NOTCAPABLE


# --- links ------------------------------------------------------------------------------------


async def test_path_link(proc, sandbox):
    await mkfile(proc, "f", b"shared")
    assert await ok(proc, "path_link", 3, 0, "f", 3, "g") == []
    assert sandbox.lookup("g") is sandbox.lookup("f")
    assert (await ok(proc, "path_filestat_get", 3, 0, "f"))[3] == 2  # nlink
    assert await err(proc, "path_link", 3, 0, "f", 3, "g") == Errno.EXIST
    assert await err(proc, "path_link", 3, 0, "nope", 3, "h") == Errno.NOENT
    await ok(proc, "path_create_directory", 3, "d")
    assert await err(proc, "path_link", 3, 0, "d", 3, "d2") == Errno.PERM
    await drop_rights(proc, 3, R.PATH_LINK_TARGET)
    assert await err(proc, "path_link", 3, 0, "f", 3, "h") == Errno.NOTCAPABLE


async def test_path_symlink_and_readlink(proc, sandbox):
    assert await ok(proc, "path_symlink", "some/where", 3, "l") == []
    assert sandbox.lookup("l").readlink() == "some/where"
    assert await ok(proc, "path_readlink", 3, "l", 100) == [b"some/where"]
    assert await ok(proc, "path_readlink", 3, "l", 4) == [b"some"]  # cut, as POSIX
    assert await err(proc, "path_symlink", "x", 3, "l") == Errno.EXIST
    await mkfile(proc, "f")
    assert await err(proc, "path_readlink", 3, "f", 100) == Errno.INVAL
    assert await err(proc, "path_readlink", 3, "nope", 100) == Errno.NOENT
    await drop_rights(proc, 3, R.PATH_SYMLINK | R.PATH_READLINK)
    assert await err(proc, "path_symlink", "x", 3, "m") == Errno.NOTCAPABLE
    assert await err(proc, "path_readlink", 3, "l", 100) == Errno.NOTCAPABLE


async def test_path_symlink_bad_target_encoding(proc):
    assert await err(proc, "path_symlink", b"\xff", 3, "l") == Errno.ILSEQ


async def test_path_unlink_file(proc, sandbox):
    await mkfile(proc, "f")
    assert await ok(proc, "path_unlink_file", 3, "f") == []
    assert "f" not in sandbox.names()
    assert await err(proc, "path_unlink_file", 3, "f") == Errno.NOENT
    await ok(proc, "path_create_directory", 3, "d")
    assert await err(proc, "path_unlink_file", 3, "d") == Errno.ISDIR
    await mkfile(proc, "g")
    await drop_rights(proc, 3, R.PATH_UNLINK_FILE)
    assert await err(proc, "path_unlink_file", 3, "g") == Errno.NOTCAPABLE


async def test_unlinked_open_file_stays_readable(proc):
    await mkfile(proc, "f", b"still here")
    fd = await open_file(proc, "f")
    await ok(proc, "path_unlink_file", 3, "f")
    assert await ok(proc, "fd_read", fd, [100]) == [b"still here"]


# --- rename -----------------------------------------------------------------------------------


async def test_path_rename(proc, sandbox):
    await mkfile(proc, "a", b"A")
    await ok(proc, "path_create_directory", 3, "d")
    dfd = await open_file(proc, "d", Oflags.DIRECTORY, int(ALL & ~R.FD_WRITE))
    assert await ok(proc, "path_rename", 3, "a", dfd, "b") == []
    assert "a" not in sandbox.names() and sandbox.lookup("d").lookup("b").read_at(0, 9) == b"A"
    await mkfile(proc, "c", b"C")
    await ok(proc, "path_rename", 3, "c", 3, "d/b")  # replaces a file
    assert sandbox.lookup("d").lookup("b").read_at(0, 9) == b"C"


async def test_path_rename_errors(proc):
    await ok(proc, "path_create_directory", 3, "d")
    await ok(proc, "path_create_directory", 3, "e")
    await mkfile(proc, "e/x")
    await mkfile(proc, "f")
    assert await err(proc, "path_rename", 3, "nope", 3, "x") == Errno.NOENT
    assert await err(proc, "path_rename", 3, "d", 3, "e") == Errno.NOTEMPTY
    assert await err(proc, "path_rename", 3, "f", 3, "d") == Errno.ISDIR
    assert await err(proc, "path_rename", 3, "d", 3, "f") == Errno.NOTDIR
    assert await err(proc, "path_rename", 3, "d", 3, "d/sub") == Errno.INVAL
    assert await err(proc, "path_rename", 3, "f", 3, "../f") == Errno.NOTCAPABLE
    await drop_rights(proc, 3, R.PATH_RENAME_SOURCE)
    assert await err(proc, "path_rename", 3, "f", 3, "g") == Errno.NOTCAPABLE


async def test_path_rename_across_filesystems_is_xdev(kernel):
    other = MemFs()
    kernel.namespace.root.mkdir("top")
    kernel.namespace.mount("/top/mnt", other.root)
    p = kernel.spawn(["p"], preopens=[("/top", kernel.namespace.lookup("/top"))])
    await mkfile(p, "f")
    assert await err(p, "path_rename", 3, "f", 3, "mnt/f") == Errno.XDEV


async def test_host_mount_through_the_kernel(kernel, tmp_path):
    host = tmp_path / "shared"
    host.mkdir()
    (tmp_path / "outside").write_text("secret")
    (host / "escape").symlink_to(tmp_path / "outside")
    kernel.namespace.mount_host(host, "/mnt")
    p = kernel.spawn(["p"], preopens=[("/mnt", kernel.namespace.lookup("/mnt"))])
    fd = await open_file(p, "hello.txt", Oflags.CREAT | Oflags.TRUNC)
    await ok(p, "fd_write", fd, [b"from the guest"])
    await ok(p, "fd_sync", fd)
    await ok(p, "fd_close", fd)
    assert (host / "hello.txt").read_bytes() == b"from the guest"
    # opening the preopen itself again and closing it must not break the mount
    dot = await open_file(p, ".", Oflags.DIRECTORY, int(ALL & ~R.FD_WRITE))
    await ok(p, "fd_close", dot)
    (entries,) = await ok(p, "fd_readdir", 3, 4096, 0)
    assert b"hello.txt" in [e[3] for e in entries]
    assert await err(p, "path_open", 3, FOLLOW, "escape", 0, ALL, ALL, 0) == Errno.NOTCAPABLE
    assert await err(p, "path_open", 3, 0, "../outside", 0, ALL, ALL, 0) == Errno.NOTCAPABLE
    assert (tmp_path / "outside").read_text() == "secret"


async def test_read_only_host_mount(kernel, tmp_path):
    (tmp_path / "f").write_text("ro")
    kernel.namespace.mount_host(tmp_path, "/ro", readonly=True)
    p = kernel.spawn(["p"], preopens=[("/ro", kernel.namespace.lookup("/ro"))])
    read_only = int(ALL & ~(R.FD_WRITE | R.FD_FILESTAT_SET_SIZE))
    fd = await open_file(p, "f", 0, read_only)
    assert await ok(p, "fd_read", fd, [10]) == [b"ro"]
    assert await err(p, "path_open", 3, 0, "f", 0, ALL, ALL, 0) == Errno.ROFS
    assert await err(p, "path_unlink_file", 3, "f") == Errno.ROFS
    assert await err(p, "path_create_directory", 3, "d") == Errno.ROFS
    assert (tmp_path / "f").read_text() == "ro"
