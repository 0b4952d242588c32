"""Per-process fd tables: numbers → (open file description, rights, preopen name).

Rights are capabilities (WASI preview1): every call names the rights it needs and `get`
refuses with `NOTCAPABLE` when one is missing, so the check is one line per handler and
cannot be forgotten by a kind of file. Rights can only shrink: an entry never holds more
than its kind of file supports (`OpenFile.max_rights`), `set_rights` may only drop bits,
and a path_open through a directory gets at most that directory's inheriting rights.

Numbers are allocated lowest-free, as POSIX and wasi-libc expect: stdio is 0, 1, 2, the
preopens follow (wasi-libc discovers them by probing fd_prestat_get from 3 upwards until
`BADF`), and later opens take the lowest free number.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.abi import Errno, Rights
from kernel.errors import KernelError
from kernel.file import OpenFile

DEFAULT_MAX_FDS = 1024
FD_MAX = (1 << 31) - 1  # fds are u32 on the wire; keep them positive i32 as POSIX


@dataclass(slots=True)
class FdEntry:
    """One fd: the shared description plus this fd's own rights and preopen name."""

    file: OpenFile
    rights_base: Rights
    rights_inheriting: Rights
    preopen: str | None = None  # the guest path of a preopened directory


class FdTable:
    """The fds of one process."""

    def __init__(self, max_fds: int = DEFAULT_MAX_FDS) -> None:
        self.max_fds = max_fds
        self.entries: dict[int, FdEntry] = {}

    def __contains__(self, fd: int) -> bool:
        return fd in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, fd: int, rights: int = 0) -> FdEntry:
        """The entry of ``fd`` if it holds every right in ``rights``: `BADF` / `NOTCAPABLE`."""
        entry = self.entries.get(fd)
        if entry is None:
            raise KernelError(Errno.BADF, f"fd {fd} is not open")
        missing = int(rights) & ~int(entry.rights_base)
        if missing:
            raise KernelError(Errno.NOTCAPABLE, f"fd {fd} lacks {Rights(missing)!r}")
        return entry

    def lowest_free(self) -> int:
        fd = 0
        while fd in self.entries:
            fd += 1
        return fd

    def install(
        self,
        file: OpenFile,
        rights_base: int,
        rights_inheriting: int = 0,
        *,
        preopen: str | None = None,
        fd: int | None = None,
    ) -> int:
        """Give ``file`` a number (lowest free, or ``fd``); rights are cut to what it supports.

        Installing at an ``fd`` that is open closes the old one first (as dup2 does).
        """
        if fd is None:
            if len(self.entries) >= self.max_fds:
                raise KernelError(Errno.MFILE, f"{self.max_fds} fds open")
            fd = self.lowest_free()
        elif not 0 <= fd <= FD_MAX:
            raise KernelError(Errno.BADF, f"fd {fd} out of range")
        elif fd in self.entries:
            self.close(fd)
        elif len(self.entries) >= self.max_fds:
            raise KernelError(Errno.MFILE, f"{self.max_fds} fds open")
        file.acquire()
        self.entries[fd] = FdEntry(
            file,
            Rights(rights_base & file.max_rights),
            Rights(rights_inheriting & file.max_inheriting),
            preopen,
        )
        return fd

    def close(self, fd: int) -> None:
        """Drop ``fd``; the description closes when its last fd goes (EOF for pipe peers)."""
        entry = self.entries.pop(fd, None)
        if entry is None:
            raise KernelError(Errno.BADF, f"fd {fd} is not open")
        entry.file.release()

    def renumber(self, fd_from: int, fd_to: int) -> None:
        """fd_renumber: move ``fd_from`` onto ``fd_to`` (both must be open, as wasmtime)."""
        entry = self.get(fd_from)
        self.get(fd_to)
        if fd_from == fd_to:
            return
        self.close(fd_to)
        self.entries[fd_to] = self.entries.pop(fd_from)
        del entry  # same object, now under fd_to: rights and preopen travel with it

    def set_rights(self, fd: int, base: Rights, inheriting: Rights) -> None:
        """fd_fdstat_set_rights: only ever drop rights (`NOTCAPABLE` for an added one)."""
        entry = self.get(fd)
        if int(base) & ~int(entry.rights_base) or int(inheriting) & ~int(entry.rights_inheriting):
            raise KernelError(Errno.NOTCAPABLE, "rights can only be dropped")
        entry.rights_base = Rights(base)
        entry.rights_inheriting = Rights(inheriting)

    def share_into(self, fd: int, other: FdTable, at: int | None = None) -> int:
        """Give ``other`` an fd sharing this fd's description and rights (spawn's stdio)."""
        entry = self.get(fd)
        return other.install(
            entry.file, entry.rights_base, entry.rights_inheriting, preopen=entry.preopen, fd=at
        )

    def close_all(self) -> None:
        """Close every fd (process exit): peers of pipes and sockets see EOF at once."""
        for fd in sorted(self.entries):
            self.close(fd)
