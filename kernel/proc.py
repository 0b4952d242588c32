"""The process table: the kernel's view of every Wasm process.

A `Process` is what the kernel knows of a guest: identity (pid, parent, tenant), argv and
environ, its fd table, limits, and how it ended. Where its code runs is not the kernel's
business: next session a worker OS process runs it and calls `syscalls.dispatch` for
every syscall; today tests drive a process by calling the dispatcher themselves.

Exit statuses follow wasmtime (DESIGN.md §3): ``proc_exit(n)`` → n, a trap → 134
(`TRAP_STATUS`, reported by the worker through `Kernel.exit`), a kill by signal s → 128 + s.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import trio

from kernel.abi import Errno, Rights, Signal
from kernel.errors import KernelError
from kernel.fdtable import DEFAULT_MAX_FDS, FdTable
from kernel.file import (
    DIRECTORY_INHERITING,
    DIRECTORY_RIGHTS,
    NodeFile,
    NullFile,
    OpenFile,
)
from kernel.sys_clock import KernelClock
from kernel.sys_random import RandomSource
from vfs.namespace import Namespace
from vfs.node import Node

log = logging.getLogger("wasios.kernel")

TRAP_STATUS = 134  # wasmtime's status for a trap (that of abort())
TRAP_WRITE_TIMEOUT = 5.0


def signal_status(sig: int) -> int:
    """Exit status of a process ended by signal ``sig``: 128 + sig, as a shell reports it."""
    return 128 + sig


class State(enum.Enum):
    RUNNING = "running"
    ZOMBIE = "zombie"  # exited, status not collected yet
    REAPED = "reaped"  # waited for; gone from the table


@dataclass(slots=True)
class Limits:
    """Per-process limits the kernel enforces."""

    max_fds: int = DEFAULT_MAX_FDS


class Process:
    """One Wasm process as the kernel sees it."""

    def __init__(
        self,
        kernel: Kernel,
        pid: int,
        parent: int | None,
        tenant: str,
        argv: Sequence[str],
        environ: Sequence[str],
        limits: Limits,
    ) -> None:
        self.kernel = kernel
        self.pid = pid
        self.parent = parent
        self.tenant = tenant
        self.argv = list(argv)
        self.environ = list(environ)
        self.limits = limits
        self.fds = FdTable(limits.max_fds)
        self.state = State.RUNNING
        self.exit_status: int | None = None
        self.exited = trio.Event()
        self.start_ns = kernel.clock.monotonic_ns()
        #: CPU time reported by the worker that runs the guest (None: not reported yet).
        self.cpu_time_ns: int | None = None
        #: Called with the exit status when the process ends for a reason the guest did not
        #: choose (kill, proc_raise): the worker side stops the guest there.
        self.on_exit: list[Callable[[int], None]] = []
        self._in_flight: set[trio.CancelScope] = set()

    def __repr__(self) -> str:
        return f"<Process {self.pid} {self.argv[:1]} {self.state.value}>"

    @property
    def running(self) -> bool:
        return self.state is State.RUNNING

    def syscall_scope(self) -> trio.CancelScope:
        """A cancel scope for one syscall; cancelled if the process dies while it waits."""
        scope = trio.CancelScope()
        self._in_flight.add(scope)
        return scope

    def end_syscall(self, scope: trio.CancelScope) -> None:
        self._in_flight.discard(scope)


class Kernel:
    """The process table and the resources every process shares."""

    def __init__(
        self,
        *,
        deterministic: bool = False,
        seed: int = 0,
        clock: KernelClock | None = None,
        namespace: Namespace | None = None,
    ) -> None:
        self.clock = clock or KernelClock(deterministic=deterministic)
        self.clock.monotonic_ns()  # anchors the clock at boot when built inside trio
        self.random = RandomSource(seed if deterministic else None)
        #: The VFS namespace (mount table) that path_* calls resolve in; by default an
        #: in-memory root with /dev, stamped by the kernel clock (fixed in deterministic mode).
        self.namespace = namespace or Namespace(
            clock=self.clock.realtime_ns, random_source=self.random
        )
        self.procs: dict[int, Process] = {}
        self._next_pid = 1
        self.log = log
        #: In-kernel virtual sockets: listeners by address (kernel/socket.py).
        self.listeners: dict[str, object] = {}

    # --- lifecycle -------------------------------------------------------------------

    def spawn(
        self,
        argv: Sequence[str],
        environ: Sequence[str] | Mapping[str, str] = (),
        *,
        parent: Process | None = None,
        tenant: str | None = None,
        stdio: Sequence[OpenFile | None] = (None, None, None),
        preopens: Iterable[tuple[str, Node]] = (),
        limits: Limits | None = None,
        sockets: Sequence[OpenFile] = (),
    ) -> Process:
        """Create a running process with stdio on 0, 1, 2, then ``sockets`` (listeners
        handed over, as ``--tcplisten``), then the preopens.

        ``stdio`` entries are open file descriptions (a pipe end, a terminal, a file); a
        given description is shared, not copied (a child writing to its parent's stdout).
        None gives an empty input (stdin) or a sink (stdout, stderr), as when a shell
        redirects from /dev/null. ``preopens`` are (guest path, VFS directory) pairs.
        """
        if isinstance(environ, Mapping):
            environ = [f"{k}={v}" for k, v in environ.items()]
        for s in [*argv, *environ]:
            if "\0" in s:  # the guest sees C strings: a NUL would silently cut one
                raise KernelError(Errno.INVAL, f"NUL in argument or environment {s!r}")
        pid = self._next_pid
        self._next_pid += 1
        proc = Process(
            self,
            pid,
            parent.pid if parent else None,
            tenant if tenant is not None else (parent.tenant if parent else "default"),
            argv,
            environ,
            limits or Limits(),
        )
        for fd, file in enumerate(stdio):
            if file is None:
                file = NullFile()
            proc.fds.install(file, file.max_rights, file.max_inheriting, fd=fd)
        for sock in sockets:
            proc.fds.install(sock, sock.max_rights, sock.max_inheriting)
        for guest_path, node in preopens:
            d = NodeFile(node)
            if d.filetype != d.filetype.DIRECTORY:
                raise KernelError(Errno.NOTDIR, f"preopen {guest_path!r} is not a directory")
            proc.fds.install(d, DIRECTORY_RIGHTS, DIRECTORY_INHERITING, preopen=guest_path)
        self.procs[pid] = proc
        return proc

    def exit(self, proc: Process, status: int) -> None:
        """End ``proc`` with ``status``: close its fds, cancel its blocked syscalls, wake waiters.

        Idempotent: only the first end counts (a kill racing a proc_exit).
        """
        if not proc.running:
            return
        proc.state = State.ZOMBIE
        proc.exit_status = status
        for scope in list(proc._in_flight):
            scope.cancel()
        proc.fds.close_all()
        proc.exited.set()

    async def trap(self, proc: Process, message: str, status: int = TRAP_STATUS) -> None:
        """The worker reports a trap: one line on the process's stderr, then status 134
        (or ``status``: a module that could not start at all ends with 1).

        The line is best effort: a stderr nobody drains may not hold the process open
        for more than `TRAP_WRITE_TIMEOUT` seconds.
        """
        entry = proc.fds.entries.get(2)
        if proc.running and entry is not None and entry.rights_base & Rights.FD_WRITE:
            with trio.move_on_after(TRAP_WRITE_TIMEOUT):
                try:
                    await entry.file.write(message.rstrip("\n").encode() + b"\n")
                except KernelError:
                    pass  # stderr closed or unwritable: the status still tells
        self.exit(proc, status)

    def kill(self, pid: int, sig: int = Signal.KILL) -> None:
        """Kill by signal: status 128 + sig; the worker is told through ``on_exit``."""
        proc = self.procs.get(pid)
        if proc is None:
            raise KernelError(Errno.SRCH, f"no process {pid}")
        if not 0 < sig <= max(Signal):
            raise KernelError(Errno.INVAL, f"signal {sig}")
        self._end_by_signal(proc, sig)

    def _end_by_signal(self, proc: Process, sig: int) -> None:
        if not proc.running:
            return
        status = signal_status(sig)
        self.exit(proc, status)
        for hook in proc.on_exit:
            try:
                hook(status)
            except Exception:  # a broken hook must not stop the kill
                log.exception("on_exit hook of pid %d failed", proc.pid)

    async def wait(self, pid: int) -> int:
        """Wait for ``pid`` to end, collect its status and remove it from the table."""
        proc = self.procs.get(pid)
        if proc is None:
            raise KernelError(Errno.CHILD, f"no process {pid}")
        await proc.exited.wait()
        if proc.state is State.ZOMBIE:
            proc.state = State.REAPED
            self.procs.pop(pid, None)
        assert proc.exit_status is not None
        return proc.exit_status

    def children(self, proc: Process) -> list[Process]:
        return [p for p in self.procs.values() if p.parent == proc.pid]
