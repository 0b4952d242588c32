"""The fd_* family: results, effects on files, and every error path."""

from kernel.abi import (
    Advice,
    Errno,
    Fdflags,
    Filetype,
    Fstflags,
    Oflags,
    Rights,
    Whence,
)
from kernel.file import DIRECTORY_RIGHTS, PipeReadFile, PipeWriteFile, make_pipe
from kernel.pipe import Pipe
from kernel.sys_fd import DIRENT_SIZE

from .conftest import ALL, call, err, ok, open_file

R = Rights
READ_ONLY = int(ALL & ~(R.FD_WRITE | R.FD_FILESTAT_SET_SIZE | R.FD_ALLOCATE))


async def new_file(proc, name="f", data=b""):
    fd = await open_file(proc, name, Oflags.CREAT)
    if data:
        await ok(proc, "fd_write", fd, [data])
        await ok(proc, "fd_seek", fd, 0, Whence.SET)
    return fd


# --- read / write ---------------------------------------------------------------------


async def test_fd_write_and_fd_read_roundtrip(proc, sandbox):
    fd = await open_file(proc, "f", Oflags.CREAT)
    assert await ok(proc, "fd_write", fd, [b"hello ", b"", b"world"]) == [11]
    assert sandbox.lookup("f").read_at(0, 100) == b"hello world"
    assert await ok(proc, "fd_read", fd, [10]) == [b""]  # offset is at the end
    await ok(proc, "fd_seek", fd, 0, Whence.SET)
    assert await ok(proc, "fd_read", fd, [5, 3]) == [b"hello wo"]
    assert await ok(proc, "fd_read", fd, [100]) == [b"rld"]


async def test_fd_read_write_errors(proc):
    assert await err(proc, "fd_read", 99, [1]) == Errno.BADF
    assert await err(proc, "fd_write", 99, [b"x"]) == Errno.BADF
    await new_file(proc)
    ro = await open_file(proc, "f", 0, READ_ONLY)
    assert await err(proc, "fd_write", ro, [b"x"]) == Errno.NOTCAPABLE
    assert await err(proc, "fd_read", 3, [1]) == Errno.BADF  # a directory, as wasmtime
    assert await err(proc, "fd_write", 3, [b"x"]) == Errno.BADF
    wo = await open_file(proc, "f", 0, int(R.FD_WRITE))
    assert await err(proc, "fd_read", wo, [1]) == Errno.NOTCAPABLE


async def test_fd_read_blocks_on_pipe_and_write_to_closed_pipe_is_pipe(kernel):
    r, w = make_pipe()
    p = kernel.spawn(["p"], stdio=[r, w, None])
    await ok(p, "fd_write", 1, [b"ab"])
    assert await ok(p, "fd_read", 0, [10]) == [b"ab"]
    await ok(p, "fd_close", 0)
    assert await err(p, "fd_write", 1, [b"x"]) == Errno.PIPE


async def test_fd_pread_fd_pwrite_leave_offset(proc):
    fd = await new_file(proc, data=b"0123456789")
    assert await ok(proc, "fd_pread", fd, [4], 3) == [b"3456"]
    assert await ok(proc, "fd_pwrite", fd, [b"AB"], 8) == [2]
    assert await ok(proc, "fd_tell", fd) == [0]
    assert await ok(proc, "fd_read", fd, [20]) == [b"01234567AB"]
    assert await ok(proc, "fd_pwrite", fd, [b"Z"], 12) == [1]  # a hole of zeros
    assert await ok(proc, "fd_pread", fd, [20], 10) == [b"\0\0Z"]


async def test_fd_pread_pwrite_errors(kernel, proc):
    fd = await new_file(proc)
    no_seek = await open_file(proc, "f", 0, int(ALL & ~R.FD_SEEK))
    assert await err(proc, "fd_pread", no_seek, [1], 0) == Errno.NOTCAPABLE
    assert await err(proc, "fd_pwrite", no_seek, [b"x"], 0) == Errno.NOTCAPABLE
    r, w = make_pipe()
    p = kernel.spawn(["p"], stdio=[r, w, None])
    assert await err(p, "fd_pread", 0, [1], 0) == Errno.SPIPE
    assert await err(p, "fd_pwrite", 1, [b"x"], 0) == Errno.SPIPE
    assert await err(proc, "fd_pread", 99, [1], 0) == Errno.BADF
    assert fd


# --- seek / tell ----------------------------------------------------------------------


async def test_fd_seek_whences(proc):
    fd = await new_file(proc, data=b"0123456789")
    assert await ok(proc, "fd_seek", fd, 4, Whence.SET) == [4]
    assert await ok(proc, "fd_seek", fd, 2, Whence.CUR) == [6]
    assert await ok(proc, "fd_seek", fd, -3, Whence.END) == [7]
    assert await ok(proc, "fd_seek", fd, 2**64 - 1, Whence.CUR) == [6]  # raw u64 -1
    assert await ok(proc, "fd_seek", fd, 100, Whence.SET) == [100]  # past the end is fine
    assert await ok(proc, "fd_tell", fd) == [100]


async def test_fd_seek_errors(kernel, proc):
    fd = await new_file(proc)
    assert await err(proc, "fd_seek", fd, -1, Whence.SET) == Errno.INVAL
    assert await err(proc, "fd_seek", fd, 0, 3) == Errno.INVAL
    assert await err(proc, "fd_seek", 99, 0, Whence.SET) == Errno.BADF
    tell_only = await open_file(proc, "f", 0, int(ALL & ~R.FD_SEEK))
    assert await ok(proc, "fd_seek", tell_only, 0, Whence.CUR) == [0]  # a tell
    assert await err(proc, "fd_seek", tell_only, 1, Whence.SET) == Errno.NOTCAPABLE
    r, w = make_pipe()
    p = kernel.spawn(["p"], stdio=[r, w, None])
    assert await err(p, "fd_seek", 0, 0, Whence.CUR) == Errno.SPIPE
    assert await err(p, "fd_tell", 1) == Errno.SPIPE
    assert await err(proc, "fd_seek", 3, 0, Whence.SET) == Errno.BADF  # directories
    assert await err(proc, "fd_tell", 3) == Errno.BADF
    assert await err(proc, "fd_pread", 3, [1], 0) == Errno.BADF


async def test_fd_tell_needs_right(proc):
    await new_file(proc, data=b"abc")
    fd = await open_file(proc, "f", 0, int(ALL & ~R.FD_TELL))
    assert await err(proc, "fd_tell", fd) == Errno.NOTCAPABLE
    assert await err(proc, "fd_tell", 99) == Errno.BADF


# --- close / renumber -----------------------------------------------------------------


async def test_fd_close(proc):
    fd = await new_file(proc)
    assert await ok(proc, "fd_close", fd) == []
    assert await err(proc, "fd_close", fd) == Errno.BADF
    assert await err(proc, "fd_read", fd, [1]) == Errno.BADF
    assert await ok(proc, "fd_close", 3) == []  # a preopen can be closed
    assert await err(proc, "fd_prestat_get", 3) == Errno.BADF


async def test_fd_renumber(proc, sandbox):
    a = await new_file(proc, "a")
    b = await new_file(proc, "b")
    assert await ok(proc, "fd_renumber", a, b) == []
    assert await err(proc, "fd_write", a, [b"x"]) == Errno.BADF
    await ok(proc, "fd_write", b, [b"to a"])
    assert sandbox.lookup("a").read_at(0, 10) == b"to a"
    assert sandbox.lookup("b").read_at(0, 10) == b""
    assert await err(proc, "fd_renumber", b, 50) == Errno.BADF
    assert await err(proc, "fd_renumber", 50, b) == Errno.BADF
    await ok(proc, "fd_renumber", 3, 0)  # the preopen moves with its name
    assert await ok(proc, "fd_prestat_get", 0) == [0, len("/sandbox")]


async def test_new_fds_take_the_lowest_free_number(proc):
    assert await new_file(proc, "a") == 4
    assert await new_file(proc, "b") == 5
    await ok(proc, "fd_close", 4)
    assert await open_file(proc, "b") == 4


# --- fdstat ---------------------------------------------------------------------------


async def test_fd_fdstat_get_file_and_directory(proc):
    fd = await open_file(proc, "f", Oflags.CREAT, READ_ONLY, Fdflags.APPEND)
    ftype, flags, base, inh = await ok(proc, "fd_fdstat_get", fd)
    assert ftype == Filetype.REGULAR_FILE and flags == Fdflags.APPEND
    assert base & R.FD_READ and not base & R.FD_WRITE and inh == 0
    ftype, flags, base, inh = await ok(proc, "fd_fdstat_get", 3)
    assert ftype == Filetype.DIRECTORY and base == DIRECTORY_RIGHTS and inh
    assert await err(proc, "fd_fdstat_get", 99) == Errno.BADF


def isatty(fdstat):
    """wasi-libc's isatty test."""
    ftype, _, base, _ = fdstat
    return ftype == Filetype.CHARACTER_DEVICE and not base & (R.FD_SEEK | R.FD_TELL)


async def test_stdio_isatty_for_terminals_not_pipes(kernel):
    term_in, term_out = Pipe(), Pipe()
    t = kernel.spawn(
        ["t"],
        stdio=[PipeReadFile(term_in, tty=True), PipeWriteFile(term_out, tty=True), None],
    )
    r, w = make_pipe()
    p = kernel.spawn(["p"], stdio=[r, w, None])
    assert isatty(await ok(t, "fd_fdstat_get", 0)) and isatty(await ok(t, "fd_fdstat_get", 1))
    assert not isatty(await ok(p, "fd_fdstat_get", 0))
    assert not isatty(await ok(p, "fd_fdstat_get", 1))
    assert not isatty(await ok(p, "fd_fdstat_get", 2))
    null = await open_file(kernel.spawn(["n"], preopens=[("/", kernel.namespace.root)]), "dev/null")
    assert null == 4  # /dev/null is a character device but seekable: not a tty


async def test_fd_fdstat_set_flags(proc, sandbox):
    fd = await new_file(proc, data=b"abc")
    assert await ok(proc, "fd_fdstat_set_flags", fd, Fdflags.APPEND) == []
    await ok(proc, "fd_write", fd, [b"d"])
    assert sandbox.lookup("f").read_at(0, 10) == b"abcd"
    assert (await ok(proc, "fd_fdstat_get", fd))[1] == Fdflags.APPEND
    assert await err(proc, "fd_fdstat_set_flags", fd, 0x20) == Errno.INVAL
    no_right = await open_file(proc, "f", 0, int(ALL & ~R.FD_FDSTAT_SET_FLAGS))
    assert await err(proc, "fd_fdstat_set_flags", no_right, 0) == Errno.NOTCAPABLE
    assert await err(proc, "fd_fdstat_set_flags", 99, 0) == Errno.BADF


async def test_nonblocking_flag_on_empty_pipe_gives_again(kernel):
    r, w = make_pipe()
    p = kernel.spawn(["p"], stdio=[r, w, None])
    await ok(p, "fd_fdstat_set_flags", 0, Fdflags.NONBLOCK)
    assert await err(p, "fd_read", 0, [10]) == Errno.AGAIN


async def test_fd_fdstat_set_rights_only_drops(proc):
    fd = await new_file(proc)
    _, _, base, inh = await ok(proc, "fd_fdstat_get", fd)
    assert await ok(proc, "fd_fdstat_set_rights", fd, base & ~R.FD_WRITE, inh) == []
    assert await err(proc, "fd_write", fd, [b"x"]) == Errno.NOTCAPABLE
    assert await err(proc, "fd_fdstat_set_rights", fd, base, inh) == Errno.NOTCAPABLE
    assert await err(proc, "fd_fdstat_set_rights", 99, 0, 0) == Errno.BADF
    # a directory that drops PATH_OPEN can no longer open anything
    _, _, dbase, dinh = await ok(proc, "fd_fdstat_get", 3)
    await ok(proc, "fd_fdstat_set_rights", 3, dbase & ~R.PATH_OPEN, dinh)
    assert await err(proc, "path_open", 3, 0, "f", 0, ALL, ALL, 0) == Errno.NOTCAPABLE


# --- filestat -------------------------------------------------------------------------


async def test_fd_filestat_get(kernel, proc, sandbox):
    fd = await new_file(proc, data=b"12345")
    dev, ino, ftype, nlink, size, atim, mtim, ctim = await ok(proc, "fd_filestat_get", fd)
    st = sandbox.lookup("f").stat()
    assert (dev, ino, ftype, nlink, size) == (st.dev, st.ino, Filetype.REGULAR_FILE, 1, 5)
    assert mtim == st.mtim
    r, w = make_pipe()
    p = kernel.spawn(["p"], stdio=[r, w, None])
    a, b = await ok(p, "fd_filestat_get", 0), await ok(p, "fd_filestat_get", 1)
    assert a[2] == b[2] == Filetype.UNKNOWN and a[1] != b[1]  # distinct synthetic inodes
    assert await err(proc, "fd_filestat_get", 99) == Errno.BADF


async def test_fd_filestat_set_size(proc, sandbox):
    fd = await new_file(proc, data=b"0123456789")
    assert await ok(proc, "fd_filestat_set_size", fd, 4) == []
    assert sandbox.lookup("f").read_at(0, 100) == b"0123"
    await ok(proc, "fd_filestat_set_size", fd, 6)
    assert sandbox.lookup("f").read_at(0, 100) == b"0123\0\0"
    ro = await open_file(proc, "f", 0, READ_ONLY)  # not open for writing: INVAL, as Linux
    assert await err(proc, "fd_filestat_set_size", ro, 0) == Errno.INVAL
    assert await err(proc, "fd_filestat_set_size", 99, 0) == Errno.BADF
    base = proc.fds.get(fd).rights_base
    await ok(proc, "fd_fdstat_set_rights", fd, base & ~Rights.FD_FILESTAT_SET_SIZE, 0)
    assert await err(proc, "fd_filestat_set_size", fd, 0) == Errno.NOTCAPABLE
    assert sandbox.lookup("f").read_at(0, 100) == b"0123\0\0"


async def test_fd_filestat_set_times(autojump_clock, proc, sandbox):
    fd = await new_file(proc)
    assert (
        await ok(proc, "fd_filestat_set_times", fd, 111, 222, Fstflags.ATIM | Fstflags.MTIM) == []
    )
    st = sandbox.lookup("f").stat()
    assert (st.atim, st.mtim) == (111, 222)
    await ok(proc, "fd_filestat_set_times", fd, 0, 0, Fstflags.MTIM_NOW)
    (now,) = await ok(proc, "clock_time_get", 0, 0)
    st = sandbox.lookup("f").stat()
    assert st.atim == 111 and st.mtim == now
    both = Fstflags.ATIM | Fstflags.ATIM_NOW
    assert await err(proc, "fd_filestat_set_times", fd, 1, 1, both) == Errno.INVAL
    assert await err(proc, "fd_filestat_set_times", fd, 1, 1, 0x10) == Errno.INVAL
    no_right = await open_file(proc, "f", 0, int(ALL & ~R.FD_FILESTAT_SET_TIMES))
    assert await err(proc, "fd_filestat_set_times", no_right, 1, 1, 1) == Errno.NOTCAPABLE


# --- allocate / advise / sync -----------------------------------------------------------


async def test_fd_allocate(proc, sandbox):
    fd = await new_file(proc, data=b"ab")
    assert await ok(proc, "fd_allocate", fd, 0, 10) == []
    assert sandbox.lookup("f").stat().size == 10
    await ok(proc, "fd_allocate", fd, 0, 4)  # never shrinks
    assert sandbox.lookup("f").stat().size == 10
    assert await err(proc, "fd_allocate", fd, 0, 0) == Errno.INVAL
    ro = await open_file(proc, "f", 0, READ_ONLY)
    assert await err(proc, "fd_allocate", ro, 0, 1) == Errno.NOTCAPABLE
    assert await err(proc, "fd_allocate", 3, 0, 1) == Errno.NOTCAPABLE  # a directory


async def test_fd_advise(proc):
    fd = await new_file(proc)
    for advice in Advice:
        assert await ok(proc, "fd_advise", fd, 0, 100, advice) == []
    assert await err(proc, "fd_advise", fd, 0, 0, 6) == Errno.INVAL
    assert await err(proc, "fd_advise", 99, 0, 0, 0) == Errno.BADF
    assert await err(proc, "fd_advise", 3, 0, 0, 0) == Errno.NOTCAPABLE


async def test_fd_sync_and_fd_datasync(kernel, proc):
    fd = await new_file(proc, data=b"x")
    assert await ok(proc, "fd_sync", fd) == []
    assert await ok(proc, "fd_datasync", fd) == []
    assert await ok(proc, "fd_sync", 3) == []  # directories sync too
    r, w = make_pipe()
    p = kernel.spawn(["p"], stdio=[r, w, None])
    assert await err(p, "fd_sync", 1) == Errno.NOTCAPABLE
    assert await err(p, "fd_datasync", 1) == Errno.NOTCAPABLE
    assert await err(proc, "fd_sync", 99) == Errno.BADF


# --- readdir --------------------------------------------------------------------------


async def test_fd_readdir_entries_and_cookies(proc, sandbox):
    for name in ("a", "bb", "ccc"):
        await new_file(proc, name)
    (entries,) = await ok(proc, "fd_readdir", 3, 4096, 0)
    names = [e[3] for e in entries]
    assert names == [b".", b"..", b"a", b"bb", b"ccc"]
    assert entries[2][1] == sandbox.lookup("a").stat().ino
    assert entries[2][2] == Filetype.REGULAR_FILE and entries[0][2] == Filetype.DIRECTORY
    # resume after "a": exactly the entries that follow
    (rest,) = await ok(proc, "fd_readdir", 3, 4096, entries[2][0])
    assert [e[3] for e in rest] == [b"bb", b"ccc"]
    (none,) = await ok(proc, "fd_readdir", 3, 4096, entries[-1][0])
    assert none == []


async def test_fd_readdir_stops_once_the_budget_is_reached(proc):
    for name in ("a", "b", "c"):
        await new_file(proc, name)
    # "." (25 bytes) and ".." (26) exceed 40: the second entry is returned but will not
    # fit; the stub truncates it and reports bufused == buf_len.
    (entries,) = await ok(proc, "fd_readdir", 3, 40, 0)
    assert [e[3] for e in entries] == [b".", b".."]
    (entries,) = await ok(proc, "fd_readdir", 3, DIRENT_SIZE + 1, 0)
    assert [e[3] for e in entries] == [b"."]  # fits exactly: stop there
    assert await ok(proc, "fd_readdir", 3, 0, 0) == [[]]


async def test_fd_readdir_like_wasi_libc_over_many_entries(proc):
    names = {f"file-{i:04d}" for i in range(1000)}
    for n in names:
        proc.kernel.namespace.lookup("/sandbox").create(n, exclusive=True)
    seen, cookie, buf_len = [], 0, 4096
    while True:
        (entries,) = await ok(proc, "fd_readdir", 3, buf_len, cookie)
        used = sum(DIRENT_SIZE + len(e[3]) for e in entries)
        full = used >= buf_len
        complete = entries[:-1] if full else entries  # the last may be cut off
        seen += [e[3].decode() for e in complete]
        if not full:
            break
        cookie = complete[-1][0]
    assert sorted(seen) == sorted(names | {".", ".."}) and len(seen) == 1002


async def test_fd_readdir_errors(proc):
    fd = await new_file(proc)
    assert await err(proc, "fd_readdir", fd, 100, 0) == Errno.BADF  # as wasmtime
    assert await err(proc, "fd_readdir", 99, 100, 0) == Errno.BADF
    _, _, base, inh = await ok(proc, "fd_fdstat_get", 3)
    await ok(proc, "fd_fdstat_set_rights", 3, base & ~R.FD_READDIR, inh)
    assert await err(proc, "fd_readdir", 3, 100, 0) == Errno.NOTCAPABLE


# --- preopens ---------------------------------------------------------------------------


async def test_fd_prestat_get_and_dir_name(proc):
    assert await ok(proc, "fd_prestat_get", 3) == [0, 8]
    assert await ok(proc, "fd_prestat_dir_name", 3, 8) == [b"/sandbox"]
    assert await ok(proc, "fd_prestat_dir_name", 3, 100) == [b"/sandbox"]
    assert await err(proc, "fd_prestat_dir_name", 3, 7) == Errno.NAMETOOLONG
    # wasi-libc probes upwards from 3 until BADF
    assert await err(proc, "fd_prestat_get", 4) == Errno.BADF
    assert await err(proc, "fd_prestat_get", 0) == Errno.BADF  # stdio is not a preopen
    assert await err(proc, "fd_prestat_dir_name", 0, 10) == Errno.BADF
    assert await err(proc, "fd_prestat_dir_name", 9, 10) == Errno.BADF


async def test_fd_preopens_numbered_after_stdio(kernel, sandbox):
    p = kernel.spawn(["p"], preopens=[("/sandbox", sandbox), ("/", kernel.namespace.root)])
    assert await ok(p, "fd_prestat_dir_name", 3, 20) == [b"/sandbox"]
    assert await ok(p, "fd_prestat_dir_name", 4, 20) == [b"/"]
    assert (await call(p, "fd_prestat_get", 5))[0] == Errno.BADF


async def test_devices_through_fds(kernel):
    p = kernel.spawn(["p"], preopens=[("/", kernel.namespace.root)])
    zero = await open_file(p, "dev/zero")
    assert await ok(p, "fd_read", zero, [4, 4]) == [b"\0" * 8]
    null = await open_file(p, "dev/null")
    assert await ok(p, "fd_write", null, [b"gone"]) == [4]
    assert await ok(p, "fd_read", null, [10]) == [b""]
    ftype, _, base, _ = await ok(p, "fd_fdstat_get", null)
    assert ftype == Filetype.CHARACTER_DEVICE and base & Rights.FD_SEEK
    urandom = await open_file(p, "dev/urandom")
    (data,) = await ok(p, "fd_read", urandom, [16])
    assert len(data) == 16
