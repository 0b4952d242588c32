"""THE syscall table (one row per wasi_snapshot_preview1 function) and the dispatcher.

A row says what a call means to the kernel: its handler, its support status, and the
plain-value calling convention the worker-side stub follows (DESIGN.md §2) — the
parameters it sends after decoding guest memory and the results it writes back. The stub
(procs/, next session) can be generated from these rows plus `abi.SIGNATURES` (which
gives the Wasm-level parameters and pointer layouts); --strace reads names from them too.

Parameter shapes (what the stub sends):
  ``fd``, ``u32``   an int in [0, 2**32)            ``u64``  an int in [0, 2**64)
  ``s64``           a signed 64-bit int (a raw u64 is reinterpreted)
  ``path``          str, or the raw bytes from guest memory (invalid UTF-8 → ``ilseq``)
  ``lens``          list of iovec lengths (reads: the kernel returns at most their sum)
  ``bufs``          list of byte strings, one per iovec (writes)
  ``subs``          list of poll subscriptions, each ``[userdata, 0, clock_id, timeout,
                    precision, flags]`` or ``[userdata, 1|2, fd]``
Result shapes (what the stub writes back, in order, through the signature's pointers):
  ``u32``/``u64``/``fd``  an int           ``bytes``  data to scatter into the iovecs (its
  length is the count the call reports) or copy into the buffer
  ``strings``  list of bytes, each written NUL-terminated with a pointer (args, environ)
  ``dirents``  list of ``[d_next, d_ino, d_type, name]``: the stub packs each as a 24-byte
               dirent plus name, truncating at buf_len (bufused = min(total, buf_len))
  ``events``   list of ``[userdata, errno, type, nbytes, flags]`` (nevents = its length)
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kernel import (
    sys_args,
    sys_clock,
    sys_fd,
    sys_path,
    sys_poll,
    sys_proc,
    sys_random,
    sys_sock,
)
from kernel.abi import BY_NAME, PREVIEW1, SIGNATURES, UNSTABLE, UNSTABLE_WHENCE, Errno, Signature
from kernel.errors import KernelError, errno_from_oserror
from kernel.proc import Process

log = logging.getLogger("wasios.kernel")

Handler = Callable[..., Awaitable[list]]


class Status(enum.Enum):
    DONE = "done"
    PARTIAL = "partial"  # works, with a limitation named in the row's note
    UNSUPPORTED = "unsupported"  # always answers the row's errno


@dataclass(frozen=True, slots=True)
class Syscall:
    """One row: a WASI function as the kernel implements it."""

    name: str
    handler: Handler
    params: tuple[tuple[str, str], ...]  # (name, shape) sent by the stub
    results: tuple[tuple[str, str], ...]  # (name, shape) written back by the stub
    status: Status = Status.DONE
    note: str = ""
    errno: Errno | None = None  # what an UNSUPPORTED row answers
    #: The answer never changes during a process's life: a worker may answer it locally.
    cacheable: bool = False
    #: No reply reaches the guest (proc_exit): the stub unwinds it instead.
    noreturn: bool = False

    @property
    def signature(self) -> Signature:
        """The Wasm-level signature (pointers, lengths, i32/i64) from the ABI."""
        return BY_NAME[self.name]


def _p(spec: str) -> tuple[tuple[str, str], ...]:
    """'fd:fd iovs:lens' → (('fd', 'fd'), ('iovs', 'lens'))."""
    return tuple(tuple(item.split(":")) for item in spec.split())  # type: ignore[misc]


FILESTAT = "dev:u64 ino:u64 filetype:u32 nlink:u64 size:u64 atim:u64 mtim:u64 ctim:u64"
CPU_NOTE = (
    "process/thread CPU time is what the worker reports for the guest; until it reports, "
    "the time since spawn"
)

_ROWS = [
    Syscall("args_get", sys_args.args_get, (), _p("argv:strings"), cacheable=True),
    Syscall(
        "args_sizes_get",
        sys_args.args_sizes_get,
        (),
        _p("argc:u32 argv_buf_size:u32"),
        cacheable=True,
    ),
    Syscall("environ_get", sys_args.environ_get, (), _p("environ:strings"), cacheable=True),
    Syscall(
        "environ_sizes_get",
        sys_args.environ_sizes_get,
        (),
        _p("environc:u32 environ_buf_size:u32"),
        cacheable=True,
    ),
    Syscall("clock_res_get", sys_clock.clock_res_get, _p("id:u32"), _p("resolution:u64")),
    Syscall(
        "clock_time_get",
        sys_clock.clock_time_get,
        _p("id:u32 precision:u64"),
        _p("time:u64"),
        Status.PARTIAL,
        CPU_NOTE,
    ),
    Syscall(
        "fd_advise",
        sys_fd.fd_advise,
        _p("fd:fd offset:u64 len:u64 advice:u32"),
        (),
        note="advice is validated and ignored (it is only a hint; no page cache to steer)",
    ),
    Syscall("fd_allocate", sys_fd.fd_allocate, _p("fd:fd offset:u64 len:u64"), ()),
    Syscall("fd_close", sys_fd.fd_close, _p("fd:fd"), ()),
    Syscall("fd_datasync", sys_fd.fd_datasync, _p("fd:fd"), ()),
    Syscall(
        "fd_fdstat_get",
        sys_fd.fd_fdstat_get,
        _p("fd:fd"),
        _p("fs_filetype:u32 fs_flags:u32 fs_rights_base:u64 fs_rights_inheriting:u64"),
    ),
    Syscall("fd_fdstat_set_flags", sys_fd.fd_fdstat_set_flags, _p("fd:fd flags:u32"), ()),
    Syscall(
        "fd_fdstat_set_rights",
        sys_fd.fd_fdstat_set_rights,
        _p("fd:fd fs_rights_base:u64 fs_rights_inheriting:u64"),
        (),
    ),
    Syscall("fd_filestat_get", sys_fd.fd_filestat_get, _p("fd:fd"), _p(FILESTAT)),
    Syscall("fd_filestat_set_size", sys_fd.fd_filestat_set_size, _p("fd:fd size:u64"), ()),
    Syscall(
        "fd_filestat_set_times",
        sys_fd.fd_filestat_set_times,
        _p("fd:fd atim:u64 mtim:u64 fst_flags:u32"),
        (),
    ),
    Syscall("fd_pread", sys_fd.fd_pread, _p("fd:fd iovs:lens offset:u64"), _p("data:bytes")),
    Syscall("fd_prestat_get", sys_fd.fd_prestat_get, _p("fd:fd"), _p("tag:u32 pr_name_len:u32")),
    Syscall(
        "fd_prestat_dir_name",
        sys_fd.fd_prestat_dir_name,
        _p("fd:fd path_len:u32"),
        _p("path:bytes"),
    ),
    Syscall("fd_pwrite", sys_fd.fd_pwrite, _p("fd:fd iovs:bufs offset:u64"), _p("nwritten:u32")),
    Syscall("fd_read", sys_fd.fd_read, _p("fd:fd iovs:lens"), _p("data:bytes")),
    Syscall(
        "fd_readdir",
        sys_fd.fd_readdir,
        _p("fd:fd buf_len:u32 cookie:u64"),
        _p("entries:dirents"),
    ),
    Syscall("fd_renumber", sys_fd.fd_renumber, _p("fd:fd to:fd"), ()),
    Syscall("fd_seek", sys_fd.fd_seek, _p("fd:fd offset:s64 whence:u32"), _p("newoffset:u64")),
    Syscall("fd_sync", sys_fd.fd_sync, _p("fd:fd"), ()),
    Syscall("fd_tell", sys_fd.fd_tell, _p("fd:fd"), _p("offset:u64")),
    Syscall("fd_write", sys_fd.fd_write, _p("fd:fd iovs:bufs"), _p("nwritten:u32")),
    Syscall("path_create_directory", sys_path.path_create_directory, _p("fd:fd path:path"), ()),
    Syscall(
        "path_filestat_get",
        sys_path.path_filestat_get,
        _p("fd:fd flags:u32 path:path"),
        _p(FILESTAT),
    ),
    Syscall(
        "path_filestat_set_times",
        sys_path.path_filestat_set_times,
        _p("fd:fd flags:u32 path:path atim:u64 mtim:u64 fst_flags:u32"),
        (),
    ),
    Syscall(
        "path_link",
        sys_path.path_link,
        _p("old_fd:fd old_flags:u32 old_path:path new_fd:fd new_path:path"),
        (),
    ),
    Syscall(
        "path_open",
        sys_path.path_open,
        _p(
            "fd:fd dirflags:u32 path:path oflags:u32 fs_rights_base:u64 "
            "fs_rights_inheriting:u64 fdflags:u32"
        ),
        _p("fd_out:fd"),
    ),
    Syscall(
        "path_readlink",
        sys_path.path_readlink,
        _p("fd:fd path:path buf_len:u32"),
        _p("target:bytes"),
    ),
    Syscall("path_remove_directory", sys_path.path_remove_directory, _p("fd:fd path:path"), ()),
    Syscall(
        "path_rename",
        sys_path.path_rename,
        _p("fd:fd old_path:path new_fd:fd new_path:path"),
        (),
    ),
    Syscall("path_symlink", sys_path.path_symlink, _p("old_path:path fd:fd new_path:path"), ()),
    Syscall("path_unlink_file", sys_path.path_unlink_file, _p("fd:fd path:path"), ()),
    Syscall(
        "poll_oneoff",
        sys_poll.poll_oneoff,
        _p("subscriptions:subs"),
        _p("events:events"),
        note="an absolute timeout on a CPU-time clock fails with notsup (no wall-clock mapping)",
    ),
    Syscall("proc_exit", sys_proc.proc_exit, _p("rval:u32"), (), noreturn=True),
    Syscall(
        "proc_raise",
        sys_proc.proc_raise,
        _p("sig:u32"),
        (),
        Status.PARTIAL,
        "no handlers exist in WASI: the default action applies (terminate with 128+sig, or "
        "ignore for CHLD/CONT/URG/WINCH); stop signals are ignored until job control exists",
    ),
    Syscall("sched_yield", sys_poll.sched_yield, (), ()),
    Syscall("random_get", sys_random.random_get, _p("buf_len:u32"), _p("data:bytes")),
    Syscall(
        "sock_accept",
        sys_sock.sock_accept,
        _p("fd:fd flags:u32"),
        _p("fd_out:fd"),
        note="listeners: in-kernel (kernel/socket.py) or host TCP (kernel/hostsock.py)",
    ),
    Syscall(
        "sock_recv",
        sys_sock.sock_recv,
        _p("fd:fd ri_data:lens ri_flags:u32"),
        _p("data:bytes ro_flags:u32"),
    ),
    Syscall(
        "sock_send",
        sys_sock.sock_send,
        _p("fd:fd si_data:bufs si_flags:u32"),
        _p("so_datalen:u32"),
    ),
    Syscall(
        "sock_shutdown",
        sys_sock.sock_shutdown,
        _p("fd:fd how:u32"),
        (),
    ),
]

#: THE table, in abi.SIGNATURES order.
TABLE: dict[str, Syscall] = {row.name: row for row in _ROWS}
assert list(TABLE) == [s.name for s in SIGNATURES], "table must list every preview1 call"

#: Calls added at run time (custom syscalls of embedders), by (module, name).
CUSTOM: dict[tuple[str, str], Syscall] = {}


def lookup(module: str, name: str) -> Syscall | None:
    """The row a guest import ``module.name`` is served by (None: no such call)."""
    if module == PREVIEW1 or (module == UNSTABLE and name != "sock_accept"):
        row = TABLE.get(name)
        if row is not None:
            return row
    return CUSTOM.get((module, name))


def register(module: str, row: Syscall) -> None:
    """Add a custom syscall (``module.row.name``) served by ``row.handler``."""
    if module in (PREVIEW1, UNSTABLE) and row.name in TABLE:
        raise ValueError(f"{module}.{row.name} is a WASI call; it cannot be replaced")
    CUSTOM[(module, row.name)] = row


# --- argument checking at the IPC edge --------------------------------------------------

U32_MAX, U64_MAX = (1 << 32) - 1, (1 << 64) - 1


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _int(v: object, hi: int) -> int:
    if not _is_int(v) or not 0 <= v <= hi:  # type: ignore[operator]
        raise KernelError(Errno.INVAL, f"bad integer argument {v!r}")
    return int(v)  # type: ignore[call-overload]


def _convert(shape: str, v: object) -> object:
    """Check one plain value against its shape: a malformed message is `INVAL`, not a bug."""
    if shape in ("fd", "u32"):
        return _int(v, U32_MAX)
    if shape == "u64":
        return _int(v, U64_MAX)
    if shape == "s64":
        if not _is_int(v) or not -(1 << 63) <= v <= U64_MAX:  # type: ignore[operator]
            raise KernelError(Errno.INVAL, f"bad integer argument {v!r}")
        n = int(v)  # type: ignore[call-overload]
        return n - (1 << 64) if n >= 1 << 63 else n
    if shape == "path":
        if not isinstance(v, str | bytes):
            raise KernelError(Errno.INVAL, "path must be str or bytes")
        return v
    if shape == "lens":
        if not isinstance(v, list | tuple):
            raise KernelError(Errno.INVAL, "iovec lengths must be a list")
        return [_int(x, U32_MAX) for x in v]
    if shape == "bufs":
        if not isinstance(v, list | tuple) or not all(isinstance(b, bytes) for b in v):
            raise KernelError(Errno.INVAL, "iovec data must be a list of bytes")
        return list(v)
    if shape == "subs":
        if not isinstance(v, list | tuple):
            raise KernelError(Errno.INVAL, "subscriptions must be a list")
        out = []
        for sub in v:
            if not isinstance(sub, list | tuple) or len(sub) < 2:
                raise KernelError(Errno.INVAL, "bad subscription")
            want = 6 if sub[1] == 0 else 3
            if len(sub) != want:
                raise KernelError(Errno.INVAL, "bad subscription")
            out.append(
                [_int(sub[0], U64_MAX), _int(sub[1], 255)] + [_int(x, U64_MAX) for x in sub[2:]]
            )
        return out
    raise AssertionError(f"unknown parameter shape {shape}")


def decode_args(row: Syscall, args: list | tuple, module: str = PREVIEW1) -> list[object]:
    """Check ``args`` against the row; snapshot 0's whence numbering becomes preview1's."""
    if not isinstance(args, list | tuple) or len(args) != len(row.params):
        raise KernelError(Errno.INVAL, f"{row.name} takes {len(row.params)} arguments")
    out = [_convert(shape, v) for (_, shape), v in zip(row.params, args, strict=True)]
    if module == UNSTABLE and row.name == "fd_seek":
        whence = UNSTABLE_WHENCE.get(out[2])  # type: ignore[arg-type]
        if whence is None:
            raise KernelError(Errno.INVAL, f"whence {out[2]}")
        out[2] = int(whence)
    return out


# --- the dispatcher ---------------------------------------------------------------------


async def dispatch(
    proc: Process, name: str, args: list | tuple, *, module: str = PREVIEW1
) -> tuple[int, list]:
    """Run one syscall for ``proc``: → (errno, results). Never raises for the guest's sake.

    `KernelError` is the expected failure (its errno). An `OSError` escaping a handler is
    mapped by `errno_from_oserror`. Anything else is a kernel bug: logged with its
    traceback, answered with `IO`, and the kernel carries on. A call cancelled because
    the process died meanwhile answers `INTR` (nobody is left to read it).
    """
    row = lookup(module, name)
    if row is None:
        return int(Errno.NOSYS), []
    if not proc.running:
        return int(Errno.SRCH), []
    scope = proc.syscall_scope()
    try:
        decoded = decode_args(row, args, module)
        with scope:
            results = await row.handler(proc, *decoded)
            return 0, results
        return int(Errno.INTR), []
    except KernelError as exc:
        return int(exc.errno), []
    except OSError as exc:
        return int(errno_from_oserror(exc)), []
    except Exception:
        log.exception("kernel bug in %s.%s (pid %d, args %.200r)", module, name, proc.pid, args)
        return int(Errno.IO), []
    finally:
        proc.end_syscall(scope)
