"""Open file descriptions: what an fd points at (xv6's `struct file`, gVisor's FileDescription).

An `OpenFile` holds what POSIX keeps per open (the offset, the fdflags) and is shared by
every fd that was duplicated from the same open (fd_renumber moves one, spawn shares
stdio with the child). The kinds:

- `NodeFile`: a VFS node (regular file, directory, device); the kernel owns the offset.
- `PipeReadFile` / `PipeWriteFile`: the two ends of a kernel pipe; with ``tty=True`` the
  same end is shown to the guest as a terminal (a character device without seek/tell
  rights, which is what wasi-libc's ``isatty`` tests).
- sockets, in kernel/socket.py.

Every operation a kind does not support has a safe default raising the errno POSIX gives.
Blocking operations are "try, wait for readiness, retry" (`OpenFile._block`); with
``NONBLOCK`` the wait becomes `AGAIN`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TypeVar

from kernel.abi import Errno, Fdflags, Filetype, Rights, Whence
from kernel.errors import KernelError, kernel_error_from_oserror
from kernel.pipe import Pipe
from kernel.wait import WaitQueue, wait_any
from vfs.node import Node, Stat

R = Rights
T = TypeVar("T")

# --- the most rights each kind of file can carry ------------------------------------

#: Rights meaningful on an open regular file (also devices: /dev/null seeks on Linux).
FILE_RIGHTS = (
    R.FD_DATASYNC
    | R.FD_READ
    | R.FD_SEEK
    | R.FD_FDSTAT_SET_FLAGS
    | R.FD_SYNC
    | R.FD_TELL
    | R.FD_WRITE
    | R.FD_ADVISE
    | R.FD_ALLOCATE
    | R.FD_FILESTAT_GET
    | R.FD_FILESTAT_SET_SIZE
    | R.FD_FILESTAT_SET_TIMES
    | R.POLL_FD_READWRITE
)
#: Rights meaningful on an open directory: the path_* family, readdir, stat.
DIRECTORY_RIGHTS = (
    R.FD_DATASYNC
    | R.FD_FDSTAT_SET_FLAGS
    | R.FD_SYNC
    | R.PATH_CREATE_DIRECTORY
    | R.PATH_CREATE_FILE
    | R.PATH_LINK_SOURCE
    | R.PATH_LINK_TARGET
    | R.PATH_OPEN
    | R.FD_READDIR
    | R.PATH_READLINK
    | R.PATH_RENAME_SOURCE
    | R.PATH_RENAME_TARGET
    | R.PATH_FILESTAT_GET
    | R.PATH_FILESTAT_SET_SIZE
    | R.PATH_FILESTAT_SET_TIMES
    | R.FD_FILESTAT_GET
    | R.FD_FILESTAT_SET_TIMES
    | R.PATH_SYMLINK
    | R.PATH_REMOVE_DIRECTORY
    | R.PATH_UNLINK_FILE
    | R.POLL_FD_READWRITE
)
#: What a directory hands down to what is opened through it.
DIRECTORY_INHERITING = DIRECTORY_RIGHTS | FILE_RIGHTS
#: A stream (pipe end, terminal): no seek, no tell, no sizes, no sync.
STREAM_RIGHTS = (
    R.FD_READ | R.FD_WRITE | R.FD_FDSTAT_SET_FLAGS | R.FD_FILESTAT_GET | R.POLL_FD_READWRITE
)
NONE = Rights(0)


class Filestat(NamedTuple):
    """The plain values of a WASI ``filestat`` (the stub packs them, either layout)."""

    dev: int
    ino: int
    filetype: int
    nlink: int
    size: int
    atim: int
    mtim: int
    ctim: int


class Readiness(NamedTuple):
    """What poll_oneoff reports for one fd and one direction."""

    ready: bool
    nbytes: int
    hangup: bool


_ALWAYS = Readiness(True, 0, False)
_synthetic_ino = iter(range(1 << 40, 1 << 62))


def _oserror(fn: Callable[[], T]) -> T:
    """Run a VFS call, turning its `OSError` into the `KernelError` a handler raises."""
    try:
        return fn()
    except OSError as exc:
        raise kernel_error_from_oserror(exc) from exc


class OpenFile:
    """Base open file description: every operation answers the POSIX errno by default."""

    filetype: Filetype = Filetype.UNKNOWN
    max_rights: Rights = NONE
    max_inheriting: Rights = NONE
    #: Whether offsets mean anything (pread/pwrite/seek/tell); streams answer `SPIPE`.
    seekable: bool = False

    def __init__(self, fdflags: int = 0) -> None:
        self.fdflags = Fdflags(fdflags)
        self.refs = 0
        self.closed = False
        self.ino = next(_synthetic_ino)  # for kinds without a VFS node (pipes, sockets)

    # --- lifetime: counted by fd table entries --------------------------------------

    def acquire(self) -> None:
        self.refs += 1

    def release(self) -> None:
        """Drop one fd's reference; the last one closes the description."""
        self.refs -= 1
        if self.refs == 0 and not self.closed:
            self.closed = True
            self.on_close()

    def on_close(self) -> None:
        """Release what the description holds (pipe ends, host descriptors)."""

    # --- blocking helper --------------------------------------------------------------

    async def _block(self, attempt: Callable[[], T | None], queues: list[WaitQueue]) -> T:
        """Try, wait on ``queue`` for a change, retry; `AGAIN` instead of waiting if nonblocking."""
        while True:
            result = attempt()
            if result is not None:
                return result
            if self.fdflags & Fdflags.NONBLOCK:
                raise KernelError(Errno.AGAIN)
            await wait_any(queues)

    # --- I/O --------------------------------------------------------------------------

    async def read(self, n: int) -> bytes:
        raise KernelError(Errno.BADF)

    async def write(self, data: bytes) -> int:
        raise KernelError(Errno.BADF)

    def pread(self, n: int, offset: int) -> bytes:
        raise KernelError(Errno.SPIPE)

    def pwrite(self, data: bytes, offset: int) -> int:
        raise KernelError(Errno.SPIPE)

    def seek(self, offset: int, whence: Whence) -> int:
        raise KernelError(Errno.SPIPE)

    def tell(self) -> int:
        raise KernelError(Errno.SPIPE)

    # --- metadata ---------------------------------------------------------------------

    def filestat(self) -> Filestat:
        """A synthetic stat for kinds without a node: unique ino, no size, no times."""
        return Filestat(0, self.ino, int(self.filetype), 1, 0, 0, 0, 0)

    def set_size(self, size: int) -> None:
        raise KernelError(Errno.INVAL)

    def set_times(self, atim: int | None, mtim: int | None, atim_now: bool, mtim_now: bool) -> None:
        raise KernelError(Errno.INVAL)

    def allocate(self, offset: int, length: int) -> None:
        raise KernelError(Errno.SPIPE)

    def advise(self, offset: int, length: int, advice: int) -> None:
        raise KernelError(Errno.SPIPE)

    def sync(self) -> None:
        raise KernelError(Errno.INVAL)

    def datasync(self) -> None:
        raise KernelError(Errno.INVAL)

    def readdir(self, cookie: int) -> list[tuple[int, int, int, str]]:
        raise KernelError(Errno.NOTDIR)

    @property
    def node(self) -> Node:
        """The VFS directory path_* calls start from; only directories have one."""
        raise KernelError(Errno.NOTDIR)

    # --- readiness (poll_oneoff) ------------------------------------------------------

    def read_readiness(self) -> Readiness:
        return _ALWAYS

    def write_readiness(self) -> Readiness:
        return _ALWAYS

    def queues(self) -> list[WaitQueue]:
        """Where readiness changes are announced; empty if always ready."""
        return []


class _ClosedNode(Node):
    """What a closed NodeFile points at: every operation is the base's safe default."""

    def stat(self) -> Stat:
        raise KernelError(Errno.BADF)


_CLOSED = _ClosedNode()


#: readdir cookies from here up stand for a node's large ones (see `NodeFile.readdir`).
SMALL_COOKIES = 1 << 30


class NodeFile(OpenFile):
    """An open VFS node: the kernel keeps offset and append; the node keeps the bytes."""

    def __init__(self, node: Node, fdflags: int = 0) -> None:
        super().__init__(fdflags)
        self._node = node
        self.offset = 0
        self.filetype = Filetype(int(node.filetype))
        self._big_cookies: list[int] = []
        self._cookie_index: dict[int, int] = {}
        if self.filetype == Filetype.DIRECTORY:
            self.max_rights = DIRECTORY_RIGHTS
            self.max_inheriting = DIRECTORY_INHERITING
        else:
            self.max_rights = FILE_RIGHTS
            self.seekable = True

    @property
    def node(self) -> Node:
        if self.filetype != Filetype.DIRECTORY:
            raise KernelError(Errno.NOTDIR)
        return self._node

    def on_close(self) -> None:
        """Drop the node without `Node.close()`: the same node object may be shared (a
        mount root, a preopen opened again as "."), and closing it would break the mount
        for everyone. A host node releases its descriptor when the last reference goes."""
        self._node = _CLOSED

    def _size(self) -> int:
        return _oserror(self._node.stat).size

    async def read(self, n: int) -> bytes:
        data = _oserror(lambda: self._node.read_at(self.offset, n))
        self.offset += len(data)
        return data

    async def write(self, data: bytes) -> int:
        if self.fdflags & Fdflags.APPEND:
            self.offset = self._size()
        written = _oserror(lambda: self._node.write_at(self.offset, data))
        self.offset += written
        return written

    def pread(self, n: int, offset: int) -> bytes:
        return _oserror(lambda: self._node.read_at(offset, n))

    def pwrite(self, data: bytes, offset: int) -> int:
        # POSIX (Linux) appends even for pwrite on an O_APPEND fd; wasmtime refuses it.
        # We follow the data-safe reading: write where asked, never move the fd offset.
        return _oserror(lambda: self._node.write_at(offset, data))

    def seek(self, offset: int, whence: Whence) -> int:
        if self.filetype == Filetype.DIRECTORY:
            raise KernelError(Errno.BADF, "seek on a directory")  # readdir uses cookies
        if whence == Whence.SET:
            base = 0
        elif whence == Whence.CUR:
            base = self.offset
        elif whence == Whence.END:
            base = self._size()
        else:
            raise KernelError(Errno.INVAL, f"whence {whence}")
        new = base + offset
        if new < 0:
            raise KernelError(Errno.INVAL, "seek before the start of the file")
        if new >= 1 << 63:
            raise KernelError(Errno.OVERFLOW)
        self.offset = new
        return new

    def tell(self) -> int:
        return self.offset

    def filestat(self) -> Filestat:
        st = _oserror(self._node.stat)
        return Filestat(
            st.dev, st.ino, int(st.filetype), st.nlink, st.size, st.atim, st.mtim, st.ctim
        )

    def set_size(self, size: int) -> None:
        _oserror(lambda: self._node.set_size(size))

    def set_times(self, atim: int | None, mtim: int | None, atim_now: bool, mtim_now: bool) -> None:
        _oserror(lambda: self._node.set_times(atim, mtim, atime_now=atim_now, mtime_now=mtim_now))

    def allocate(self, offset: int, length: int) -> None:
        _oserror(lambda: self._node.allocate(offset, length))

    def advise(self, offset: int, length: int, advice: int) -> None:
        """Advice is a hint: accepted and ignored, as the in-memory tree has no cache."""
        if self.filetype == Filetype.DIRECTORY:
            raise KernelError(Errno.BADF)

    def sync(self) -> None:
        _oserror(self._node.sync)

    def datasync(self) -> None:
        _oserror(self._node.datasync)

    def readdir(self, cookie: int) -> list[tuple[int, int, int, str]]:
        """Entries after ``cookie``. A node's own cookies may be large (a host directory's
        are name hashes), but wasi-libc's telldir returns a 32-bit ``long`` on wasm32:
        large cookies are handed out as small numbers, remembered by this description."""
        if self.filetype != Filetype.DIRECTORY:
            raise KernelError(Errno.NOTDIR)
        if cookie >= SMALL_COOKIES:
            index = cookie - SMALL_COOKIES
            if index >= len(self._big_cookies):
                return []  # a cookie we never gave out: the end of the directory
            cookie = self._big_cookies[index]
        entries = _oserror(lambda: list(self._node.readdir(cookie)))
        return [(self._small(e.next_cookie), e.ino, int(e.filetype), e.name) for e in entries]

    def _small(self, cookie: int) -> int:
        if cookie < SMALL_COOKIES:
            return cookie
        index = self._cookie_index.get(cookie)
        if index is None:
            index = self._cookie_index[cookie] = len(self._big_cookies)
            self._big_cookies.append(cookie)
        return SMALL_COOKIES + index

    def read_readiness(self) -> Readiness:
        """Files are always ready; nbytes is what is left to read, as wasmtime reports."""
        if self.filetype == Filetype.REGULAR_FILE:
            try:
                return Readiness(True, max(0, self._size() - self.offset), False)
            except KernelError:
                return _ALWAYS
        return _ALWAYS


class PipeReadFile(OpenFile):
    """The read end of a kernel pipe (a terminal's input when ``tty``)."""

    max_rights = STREAM_RIGHTS & ~R.FD_WRITE

    def __init__(self, pipe: Pipe, fdflags: int = 0, *, tty: bool = False) -> None:
        super().__init__(fdflags)
        self.pipe = pipe
        self.tty = tty
        self.filetype = Filetype.CHARACTER_DEVICE if tty else Filetype.UNKNOWN
        pipe.open_reader()

    def on_close(self) -> None:
        self.pipe.close_reader()

    async def read(self, n: int) -> bytes:
        return await self._block(lambda: self.pipe.try_read(n), [self.pipe.changed])

    def read_readiness(self) -> Readiness:
        return Readiness(*self.pipe.read_ready())

    def write_readiness(self) -> Readiness:
        raise KernelError(Errno.BADF, "not open for writing")

    def queues(self) -> list[WaitQueue]:
        return [self.pipe.changed]


class PipeWriteFile(OpenFile):
    """The write end of a kernel pipe (a terminal's output when ``tty``)."""

    max_rights = STREAM_RIGHTS & ~R.FD_READ

    def __init__(self, pipe: Pipe, fdflags: int = 0, *, tty: bool = False) -> None:
        super().__init__(fdflags)
        self.pipe = pipe
        self.tty = tty
        self.filetype = Filetype.CHARACTER_DEVICE if tty else Filetype.UNKNOWN
        pipe.open_writer()

    def on_close(self) -> None:
        self.pipe.close_writer()

    async def write(self, data: bytes) -> int:
        """POSIX blocking write: all of it (in pieces if large), unless readers vanish."""
        if self.fdflags & Fdflags.NONBLOCK:
            n = self.pipe.try_write(data)
            if n is None:
                raise KernelError(Errno.AGAIN)
            return n
        done = 0
        view = memoryview(data)
        while True:
            try:
                n = await self._block(
                    lambda d=done: self.pipe.try_write(bytes(view[d:])), [self.pipe.changed]
                )
            except KernelError:
                if done:
                    return done  # a partial write is reported; the next write gets PIPE
                raise
            done += n
            if done >= len(data):
                return done

    def read_readiness(self) -> Readiness:
        raise KernelError(Errno.BADF, "not open for reading")

    def write_readiness(self) -> Readiness:
        return Readiness(*self.pipe.write_ready())

    def queues(self) -> list[WaitQueue]:
        return [self.pipe.changed]


def make_pipe(capacity: int | None = None) -> tuple[PipeReadFile, PipeWriteFile]:
    """A new pipe's two ends (not yet in any fd table)."""
    pipe = Pipe() if capacity is None else Pipe(capacity)
    return PipeReadFile(pipe), PipeWriteFile(pipe)


class NullFile(OpenFile):
    """Stdio nobody connected: reads see EOF, writes vanish (a shell's ``</dev/null``).

    Not a terminal (filetype unknown) and not seekable, like a pipe from /dev/null.
    """

    max_rights = STREAM_RIGHTS

    async def read(self, n: int) -> bytes:
        return b""

    async def write(self, data: bytes) -> int:
        return len(data)
