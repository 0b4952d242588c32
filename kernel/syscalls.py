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
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

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
from kernel.abi import (
    BY_NAME,
    PREVIEW1,
    SIGNATURES,
    UNSTABLE,
    UNSTABLE_WHENCE,
    WIRE,
    Errno,
    Signature,
)
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
    #: The import module: preview1 for the table's rows; anything for a custom syscall.
    module: str = PREVIEW1
    #: A custom syscall's Wasm result types (its handler returns plain values for them).
    result_types: tuple[str, ...] = ()

    @property
    def custom(self) -> bool:
        return self.name not in TABLE or TABLE[self.name] is not self

    @property
    def kinds(self) -> tuple[str, ...]:
        """A custom syscall's parameter kinds, which tell the stub how to read them."""
        return tuple(shape for _, shape in self.params)

    @property
    def signature(self) -> Signature:
        """The Wasm-level signature (pointers, lengths, i32/i64) from the ABI."""
        return BY_NAME[self.name]


def _p(spec: str) -> tuple[tuple[str, str], ...]:
    """'fd:fd iovs:lens' → (('fd', 'fd'), ('iovs', 'lens'))."""
    return tuple(tuple(item.split(":")) for item in spec.split())  # type: ignore[misc]


def _row(name: str, handler: Handler, status: Status = Status.DONE, **kw: object) -> Syscall:
    """A preview1 row: its wire convention comes from `abi.WIRE`, the one place it is written."""
    sends, returns = WIRE[name]
    return Syscall(name, handler, _p(sends), _p(returns), status, **kw)  # type: ignore[arg-type]


CPU_NOTE = (
    "the process/thread CPU-time clocks are read in the worker, from the guest thread's "
    "CPU time (one thread per process); in deterministic mode the kernel's clock answers"
)

_ROWS = [
    _row("args_get", sys_args.args_get, cacheable=True),
    _row("args_sizes_get", sys_args.args_sizes_get, cacheable=True),
    _row("environ_get", sys_args.environ_get, cacheable=True),
    _row("environ_sizes_get", sys_args.environ_sizes_get, cacheable=True),
    _row("clock_res_get", sys_clock.clock_res_get),
    _row("clock_time_get", sys_clock.clock_time_get, note=CPU_NOTE),
    _row(
        "fd_advise",
        sys_fd.fd_advise,
        note="advice is validated and ignored (it is only a hint; no page cache to steer)",
    ),
    _row("fd_allocate", sys_fd.fd_allocate),
    _row("fd_close", sys_fd.fd_close),
    _row("fd_datasync", sys_fd.fd_datasync),
    _row("fd_fdstat_get", sys_fd.fd_fdstat_get),
    _row("fd_fdstat_set_flags", sys_fd.fd_fdstat_set_flags),
    _row("fd_fdstat_set_rights", sys_fd.fd_fdstat_set_rights),
    _row("fd_filestat_get", sys_fd.fd_filestat_get),
    _row("fd_filestat_set_size", sys_fd.fd_filestat_set_size),
    _row("fd_filestat_set_times", sys_fd.fd_filestat_set_times),
    _row("fd_pread", sys_fd.fd_pread),
    _row("fd_prestat_get", sys_fd.fd_prestat_get),
    _row("fd_prestat_dir_name", sys_fd.fd_prestat_dir_name),
    _row("fd_pwrite", sys_fd.fd_pwrite),
    _row("fd_read", sys_fd.fd_read),
    _row("fd_readdir", sys_fd.fd_readdir),
    _row("fd_renumber", sys_fd.fd_renumber),
    _row("fd_seek", sys_fd.fd_seek),
    _row("fd_sync", sys_fd.fd_sync),
    _row("fd_tell", sys_fd.fd_tell),
    _row("fd_write", sys_fd.fd_write),
    _row("path_create_directory", sys_path.path_create_directory),
    _row("path_filestat_get", sys_path.path_filestat_get),
    _row("path_filestat_set_times", sys_path.path_filestat_set_times),
    _row("path_link", sys_path.path_link),
    _row("path_open", sys_path.path_open),
    _row("path_readlink", sys_path.path_readlink),
    _row("path_remove_directory", sys_path.path_remove_directory),
    _row("path_rename", sys_path.path_rename),
    _row("path_symlink", sys_path.path_symlink),
    _row("path_unlink_file", sys_path.path_unlink_file),
    _row(
        "poll_oneoff",
        sys_poll.poll_oneoff,
        note="an absolute timeout on a CPU-time clock fails with notsup (no wall-clock mapping)",
    ),
    _row("proc_exit", sys_proc.proc_exit, noreturn=True),
    _row(
        "proc_raise",
        sys_proc.proc_raise,
        Status.PARTIAL,
        note="no handlers exist in WASI: the default action applies (terminate with 128+sig, or ignore for CHLD/CONT/URG/WINCH); stop signals are ignored until job control exists",
    ),
    _row("sched_yield", sys_poll.sched_yield),
    _row("random_get", sys_random.random_get),
    _row(
        "sock_accept",
        sys_sock.sock_accept,
        note="listeners: in-kernel (kernel/socket.py) or host TCP (kernel/hostsock.py)",
    ),
    _row("sock_recv", sys_sock.sock_recv),
    _row("sock_send", sys_sock.sock_send),
    _row("sock_shutdown", sys_sock.sock_shutdown),
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


#: Parameter kinds of a custom syscall: a Wasm value, or a (pointer, length) pair the stub
#: reads from guest memory and sends as ``str`` or ``bytes``.
CUSTOM_KINDS = ("i32", "i64", "f32", "f64", "string", "bytes")
CUSTOM_RESULTS = ("i32", "i64", "f32", "f64")


def custom(
    module: str,
    name: str,
    handler: Callable[..., Any],
    params: Sequence[str] = (),
    results: Sequence[str] = (),
) -> Syscall:
    """Register ``handler`` as the import ``module.name`` of every process spawned later.

    The handler gets a `SyscallContext` and one plain value per parameter, may be async,
    and returns None, one value or a tuple (one per result). ``ctx.write(addr, data)``
    asks the stub to copy ``data`` into guest memory: the kernel never touches it.
    An exception in the handler traps the guest with its message.
    """
    for k in params:
        if k not in CUSTOM_KINDS:
            raise ValueError(f"parameter kind {k!r}: expected one of {', '.join(CUSTOM_KINDS)}")
    for t in results:
        if t not in CUSTOM_RESULTS:
            raise ValueError(f"result type {t!r}: expected one of {', '.join(CUSTOM_RESULTS)}")
    row = Syscall(
        name,
        handler,
        tuple((f"arg{i}", k) for i, k in enumerate(params)),
        tuple((f"result{i}", t) for i, t in enumerate(results)),
        note="custom syscall",
        module=module,
        result_types=tuple(results),
    )
    register(module, row)
    return row


def unregister(module: str, name: str) -> None:
    CUSTOM.pop((module, name), None)


class SyscallContext:
    """What a custom syscall's handler sees: the calling process, and a way to write
    into its memory through the stub."""

    def __init__(self, proc: Process) -> None:
        self.proc = proc
        self.writes: list[list[object]] = []

    @property
    def pid(self) -> int:
        return self.proc.pid

    def write(self, addr: int, data: bytes) -> None:
        if not isinstance(addr, int) or addr < 0:
            raise ValueError(f"bad guest address {addr!r}")
        self.writes.append([addr, bytes(data)])


async def dispatch_custom(proc: Process, row: Syscall, args: list | tuple) -> list:
    """Run a custom syscall: → [0, results, writes], or [1, message, []] when it failed."""
    if not isinstance(args, list | tuple) or len(args) != len(row.params):
        return [1, f"{row.name} takes {len(row.params)} arguments", []]
    ctx = SyscallContext(proc)
    try:
        out = row.handler(ctx, *args)
        if inspect.isawaitable(out):
            out = await out
    except Exception as e:
        return [1, f"{type(e).__name__}: {e}", []]
    results = [] if out is None else list(out) if isinstance(out, tuple | list) else [out]
    return [0, results, ctx.writes]


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
    if shape in ("fd", "u32") and v.__class__ is int and 0 <= v <= U32_MAX:  # type: ignore[operator]
        return v
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
    proc: Process, name: str, args: list | tuple, *, module: str = PREVIEW1, scoped: bool = True
) -> tuple[int, list]:
    """Run one syscall for ``proc``: → (errno, results). Never raises for the guest's sake.

    `KernelError` is the expected failure (its errno). An `OSError` escaping a handler is
    mapped by `errno_from_oserror`. Anything else is a kernel bug: logged with its
    traceback, answered with `IO`, and the kernel carries on. A call cancelled because
    the process died meanwhile answers `INTR` (nobody is left to read it). A caller that
    runs all of a process's calls inside the process's own cancel scope (the channel
    server) passes ``scoped=False`` and saves a scope per call.
    """
    row = lookup(module, name)
    if row is None:
        return int(Errno.NOSYS), []
    if not proc.running:
        return int(Errno.SRCH), []
    try:
        decoded = decode_args(row, args, module)
        if not scoped:
            return 0, await row.handler(proc, *decoded)
        scope = proc.syscall_scope()
        try:
            with scope:
                return 0, await row.handler(proc, *decoded)
            return int(Errno.INTR), []
        finally:
            proc.end_syscall(scope)
    except KernelError as exc:
        return int(exc.errno), []
    except OSError as exc:
        return int(errno_from_oserror(exc)), []
    except Exception:
        log.exception("kernel bug in %s.%s (pid %d, args %.200r)", module, name, proc.pid, args)
        return int(Errno.IO), []
