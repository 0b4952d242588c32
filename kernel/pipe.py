"""Kernel pipes: a bounded byte buffer shared by read ends and write ends.

The pipe itself never blocks: `try_read` and `try_write` either make progress or say
"would block" (None), and the file layer (kernel/file.py) waits on `changed` and retries,
or answers `AGAIN` for a nonblocking fd. So blocking and nonblocking reads share one code
path and poll_oneoff can ask the same questions (`read_ready`, `write_ready`).

POSIX rules kept: a read returns what is there (at most what was asked), an empty pipe
with no writers reads as EOF, a write with no readers fails with `PIPE`, a write of at
most `PIPE_BUF` bytes is atomic (all or nothing), a larger one may be split.
"""

from __future__ import annotations

from kernel.abi import Errno
from kernel.errors import KernelError
from kernel.wait import WaitQueue

PIPE_BUF = 4096  # POSIX atomicity bound (Linux value)
DEFAULT_CAPACITY = 65536  # Linux's default pipe size


class Pipe:
    """The shared buffer; ends are counted so EOF and `PIPE` can be decided."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < PIPE_BUF:
            raise ValueError(f"pipe capacity {capacity} is below PIPE_BUF ({PIPE_BUF})")
        self.capacity = capacity
        self.buf = bytearray()
        self.readers = 0
        self.writers = 0
        self.changed = WaitQueue()

    # --- ends -----------------------------------------------------------------------

    def open_reader(self) -> None:
        self.readers += 1

    def open_writer(self) -> None:
        self.writers += 1

    def close_reader(self) -> None:
        """Drop a read end; when the last one goes, blocked writers wake to get `PIPE`."""
        self.readers -= 1
        if self.readers == 0:
            self.buf.clear()  # nobody can ever read it
        self.changed.notify()

    def close_writer(self) -> None:
        """Drop a write end; when the last one goes, blocked readers wake to see EOF."""
        self.writers -= 1
        self.changed.notify()

    def discard(self) -> None:
        """Drop what is buffered, as a terminal flushes its queues on an interrupt."""
        if self.buf:
            self.buf.clear()
            self.changed.notify()

    # --- non-blocking steps ---------------------------------------------------------

    @property
    def free(self) -> int:
        return self.capacity - len(self.buf)

    def try_read(self, n: int) -> bytes | None:
        """Up to ``n`` bytes; b"" at EOF (or for n == 0); None if the caller must wait."""
        if n <= 0:
            return b""
        if self.buf:
            data = bytes(self.buf[:n])
            del self.buf[:n]
            self.changed.notify()
            return data
        if self.writers == 0:
            return b""
        return None

    def peek(self, n: int) -> bytes | None:
        """As `try_read` but leaves the bytes in the pipe (sockets' RECV_PEEK)."""
        if n <= 0:
            return b""
        if self.buf:
            return bytes(self.buf[:n])
        if self.writers == 0:
            return b""
        return None

    def try_write(self, data: bytes) -> int | None:
        """Bytes accepted now, or None if the caller must wait; `PIPE` without readers."""
        if self.readers == 0:
            raise KernelError(Errno.PIPE, "pipe has no readers")
        if not data:
            return 0
        free = self.free
        if len(data) <= PIPE_BUF and free < len(data):
            return None  # atomic: all or nothing
        if free == 0:
            return None
        n = min(free, len(data))
        self.buf += data[:n]
        self.changed.notify()
        return n

    # --- readiness (poll_oneoff) ----------------------------------------------------

    def read_ready(self) -> tuple[bool, int, bool]:
        """(ready, bytes available, hangup): hangup once all writers are gone."""
        hangup = self.writers == 0
        return bool(self.buf) or hangup, len(self.buf), hangup

    def write_ready(self) -> tuple[bool, int, bool]:
        """(ready, free space, hangup): ready when PIPE_BUF bytes fit or readers are gone."""
        hangup = self.readers == 0
        return hangup or self.free >= PIPE_BUF, self.free if not hangup else 0, hangup
