"""The runner: walks the tree `shell.parse` returns and asks the kernel to do the work.

Every program runs as a kernel process spawned through `kernel.system.System`; pipes are
kernel pipes, redirections are kernel open files of VFS nodes, and the shell's own
descriptors (``Fds``) are open files with references held, so a pipe's reader sees EOF
exactly when the last holder lets go (the shell drops its references right after a
spawn, as a forking shell closes them in the parent).

WASI has no current directory: the shell keeps one, preopens the VFS root as ``/`` for
every program and passes the directory in ``PWD``; the bundled userland chdir()s there
at start, so wasi-libc resolves relative paths against it (RATIONALE: "Why PWD?").

Things a forking shell gets from fork() are explicit here: a subshell or a pipeline
stage runs on a copy of the `State`; a background job is a trio task with a `Job`
in a context variable, so every process it spawns is known to ``kill %1``; tracers for
``strace``/``time`` travel in another context variable that the kernel's tasks inherit.
"""

from __future__ import annotations

import contextvars
import errno as errno_mod
import logging
import os
import posixpath
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import trio

from kernel.abi import Fdflags, Rights, Signal
from kernel.errors import KernelError
from kernel.file import FILE_RIGHTS, NodeFile, NullFile, OpenFile, make_pipe
from kernel.proc import Process
from kernel.proc import State as ProcState
from kernel.system import fed_pipe
from kernel.workers import Image
from shell._expand import Context, expand_assignment, expand_heredoc, expand_word, expand_words
from shell._nodes import (
    AndOr,
    Arith,
    Background,
    BraceGroup,
    CmdSub,
    Command,
    HereDoc,
    Lit,
    Param,
    Pipeline,
    Redir,
    Sequence,
    Simple,
    Subshell,
    Word,
)
from shell._unparse import unparse
from shell.errors import ExpansionError, ShellError

if TYPE_CHECKING:
    from kernel.system import System, WasmProcess
    from vfs.node import Node

log = logging.getLogger("wasios.shell")

#: What wasios prints before every message of its own (``wasios: foo: command not found``).
PROG = "wasios"
STATUS_NOT_FOUND = 127
STATUS_NOT_EXECUTABLE = 126
STATUS_USAGE = 2
WASM_MAGIC = b"\0asm"


class ShellExit(Exception):
    """``exit N``: unwinds to the nearest subshell boundary or the session."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class CommandError(ShellError):
    """A command could not be prepared (redirection, lookup): one line, then a status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------- descriptors


class Fds:
    """A shell descriptor table: fd number → kernel open file, each reference held.

    Copies share the open files (as dup() does); `close` drops this table's references.
    """

    def __init__(self, files: Mapping[int, OpenFile] | None = None) -> None:
        self.files: dict[int, OpenFile] = {}
        self.closed = False
        for fd, f in (files or {}).items():
            self.set(fd, f)

    def copy(self) -> Fds:
        return Fds(self.files)

    def get(self, fd: int) -> OpenFile | None:
        return self.files.get(fd)

    def set(self, fd: int, file: OpenFile) -> None:
        file.acquire()
        old = self.files.get(fd)
        self.files[fd] = file
        if old is not None:
            old.release()

    def close_fd(self, fd: int) -> None:
        old = self.files.pop(fd, None)
        if old is not None:
            old.release()

    def close(self) -> None:
        """Drop every reference (idempotent)."""
        if self.closed:
            return
        self.closed = True
        files, self.files = self.files, {}
        for f in files.values():
            f.release()

    async def write(self, fd: int, data: str | bytes) -> bool:
        """Write all of ``data`` (a builtin's output); False if the fd is closed or broken."""
        f = self.files.get(fd)
        if f is None:
            return False
        raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
        try:
            view = memoryview(raw)
            while view:
                n = await f.write(bytes(view))
                view = view[n:]
        except KernelError:
            return False
        return True

    async def read_all(self, fd: int) -> bytes:
        f = self.files.get(fd)
        if f is None:
            return b""
        out = bytearray()
        try:
            while data := await f.read(65536):
                out += data
        except KernelError:
            pass
        return bytes(out)


# ---------------------------------------------------------------- state


@dataclass
class State:
    """What a subshell copies: variables, exports, cwd, positional parameters, options."""

    vars: dict[str, str]
    exported: set[str]
    cwd: str = "/"
    args: list[str] = field(default_factory=list)
    arg0: str = PROG
    status: int = 0
    last_bg: int | None = None
    options: set[str] = field(default_factory=set)  # e u x f
    subshell: bool = False

    def copy(self) -> State:
        return State(
            dict(self.vars),
            set(self.exported),
            self.cwd,
            list(self.args),
            self.arg0,
            self.status,
            self.last_bg,
            set(self.options),
            True,
        )

    def environ(self, extra: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
        """The environment a program gets: exported variables, ``extra`` (``A=1 cmd``),
        and always ``PWD``, the shell's current directory (how programs learn it)."""
        env = {k: self.vars[k] for k in sorted(self.exported) if k in self.vars}
        env.update(extra)
        env["PWD"] = self.cwd
        return env

    def set_var(self, name: str, value: str, export: bool = False) -> None:
        self.vars[name] = value
        if export or "a" in self.options:
            self.exported.add(name)


# ---------------------------------------------------------------- jobs


@dataclass(eq=False)
class Job:
    """A pipeline or list started with ``&`` (or the one running in the foreground)."""

    id: int
    text: str
    pids: list[int] = field(default_factory=list)
    live: set[WasmProcess] = field(default_factory=set)
    scope: trio.CancelScope | None = None
    done: trio.Event = field(default_factory=trio.Event)
    status: int | None = None
    leader: int | None = None  # $!
    pseudo: Process | None = None  # a kernel entry for a job with no process of its own
    killed_by: int | None = None
    reported: bool = False

    @property
    def running(self) -> bool:
        return not self.done.is_set()

    def kill(self, sig: int) -> None:
        """Signal every process of the job; a list stops running its next commands."""
        self.killed_by = sig
        for wp in list(self.live):
            wp.kill(sig)
        if self.scope is not None and (self.pseudo is not None or not self.live):
            self.scope.cancel()


_JOB: contextvars.ContextVar[Job | None] = contextvars.ContextVar("wasios_shell_job", default=None)
_TRACERS: contextvars.ContextVar[tuple[Any, ...]] = contextvars.ContextVar(
    "wasios_shell_tracers", default=()
)


class TraceRouter:
    """The System's one tracer: forwards each report to the tracers of the command that
    spawned the process (a context variable the kernel's per-process tasks inherit), so
    ``strace cmd`` traces cmd and nothing that runs beside it."""

    def syscall(self, pid: int, *rest: Any) -> None:
        for t in _TRACERS.get():
            t.syscall(pid, *rest)

    def event(self, pid: int, text: str) -> None:
        for t in _TRACERS.get():
            t.event(pid, text)


class SyscallCounter:
    """A tracer that only counts (for ``time``)."""

    def __init__(self) -> None:
        self.calls = 0
        self.errors = 0

    def syscall(self, pid: int, module: str, row: Any, args: Any, errno: int, *rest: Any) -> None:
        self.calls += 1
        self.errors += errno != 0

    def event(self, pid: int, text: str) -> None:
        pass


# ---------------------------------------------------------------- host statistics


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def worker_cpu_ns(host_pid: int | None) -> int | None:
    """CPU time (user + system) a worker OS process has used, from /proc; None if unknown.

    The fallback while a process runs (the worker reports `Process.cpu_time_ns` only at
    its end) or when it was killed: a worker hosts one process at a time, so its CPU
    time since the spawn is the process's, at the host's clock-tick resolution."""
    if host_pid is None:
        return None
    try:
        with open(f"/proc/{host_pid}/stat", "rb") as f:
            text = f.read().decode("ascii", "replace")
        fields = text[text.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) * 1_000_000_000 // _CLK_TCK
    except (OSError, ValueError, IndexError):
        return None


def worker_peak_rss_kib(host_pid: int | None) -> int | None:
    if host_pid is None:
        return None
    try:
        with open(f"/proc/{host_pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def reset_peak_rss(host_pid: int | None) -> None:
    """Start a new peak-RSS window (Linux ``clear_refs`` 5) for the worker about to run."""
    if host_pid is None:
        return
    try:
        with open(f"/proc/{host_pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


@dataclass
class ProcRecord:
    """What the shell remembers of a process it spawned (for ps, time, wait)."""

    pid: int
    argv: list[str]
    worker_pid: int | None
    cpu_start_ns: int | None
    cpu_ns: int | None = None
    peak_rss_kib: int | None = None
    status: int | None = None

    def cpu_now_ns(self) -> int | None:
        if self.cpu_ns is not None:
            return self.cpu_ns
        now = worker_cpu_ns(self.worker_pid)
        if now is None or self.cpu_start_ns is None:
            return None
        return max(0, now - self.cpu_start_ns)


# ---------------------------------------------------------------- the runner


def _has_cmdsub(obj: Any) -> bool:
    if isinstance(obj, CmdSub):
        return True
    if isinstance(obj, Word):
        return any(_has_cmdsub(p) for p in obj.parts)
    if isinstance(obj, Param):
        return obj.arg is not None and _has_cmdsub(obj.arg)
    if isinstance(obj, Arith):
        return _has_cmdsub(obj.expr)
    if isinstance(obj, HereDoc):
        return _has_cmdsub(obj.body)
    if isinstance(obj, tuple | list):
        return any(_has_cmdsub(o) for o in obj)
    return False


def _errtext(exc: BaseException) -> str:
    if isinstance(exc, KernelError):
        return str(exc.errno.name.lower()) if not str(exc) else str(exc)
    if isinstance(exc, OSError):
        if exc.errno is not None:
            if exc.errno == errno_mod.EROFS:
                return "Read-only file system"
            return exc.strerror or os.strerror(exc.errno)
        return str(exc)
    return str(exc)


def _looks_like_module(data: bytes) -> bool:
    """Binary Wasm, or WAT text (``(module``, possibly after comments and blanks)."""
    if data.startswith(WASM_MAGIC):
        return True
    text = data[:4096].decode("utf-8", "replace")
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text.startswith(";;", i):
            j = text.find("\n", i)
            i = len(text) if j < 0 else j + 1
        elif text.startswith("(;", i):
            j = text.find(";)", i)
            i = len(text) if j < 0 else j + 2
        else:
            return text[i] == "("
    return False


class _GlobFS:
    def __init__(self, runner: Runner, cwd: str) -> None:
        self.runner = runner
        self.cwd = cwd

    def listdir(self, path: str) -> list[str] | None:
        try:
            node = self.runner.lookup(self.cwd, path)
        except OSError:
            return None
        try:
            if not node.is_dir:
                return None
            return [e.name for e in node.readdir() if e.name not in (".", "..")]
        except OSError:
            return None
        finally:
            node.close()


class _TextSink:
    """A text stream the kernel's Tracer writes to; lines go to a shell fd from a task."""

    def __init__(self) -> None:
        self.send, self.recv = trio.open_memory_channel[str](float("inf"))

    def write(self, text: str) -> int:
        try:
            self.send.send_nowait(text)
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            pass
        return len(text)

    def flush(self) -> None:
        pass

    async def forward(self, fds: Fds, fd: int) -> None:
        async with self.recv:
            async for text in self.recv:
                await fds.write(fd, text)


class Runner:
    """Runs shell trees for one session (see `shell.Session`, which owns one)."""

    def __init__(
        self,
        system: System,
        nursery: trio.Nursery,
        shell_proc: Process,
        *,
        builtins: Mapping[str, Callable[..., Any]],
        interactive: bool = False,
    ) -> None:
        self.system = system
        self.kernel = system.kernel
        self.namespace = system.kernel.namespace
        self.nursery = nursery
        self.shell_proc = shell_proc
        self.builtins = builtins
        self.interactive = interactive
        self.jobs: dict[int, Job] = {}
        self.records: dict[int, ProcRecord] = {}
        self.mounts: list[tuple[str, str, bool]] = []  # (host, guest, readonly)
        self.history: list[str] = []
        self.on_job_done: Callable[[Job], None] | None = None
        #: Called with each process's record right after it is spawned (a front end may
        #: show pids; tests learn that a program is running without polling).
        self.on_spawn: Callable[[ProcRecord], None] | None = None
        #: Background jobs that ended and were not reported yet (`Session.take_notifications`).
        self.finished: list[Job] = []
        self.foreground: Job | None = None
        self._module_cache: dict[str, tuple[tuple[Any, ...], bytes]] = {}

    # ------------------------------------------------------------ paths and files

    def abspath(self, cwd: str, path: str) -> str:
        """Lexically absolute (``..`` left for the resolver, which knows symlinks)."""
        return posixpath.join(cwd, path) if path else cwd

    def lookup(self, cwd: str, path: str) -> Node:
        """The node ``path`` names from ``cwd`` (the caller closes it)."""
        return self.namespace.lookup(self.abspath(cwd, path))

    def _root(self) -> Node:
        return self.namespace.lookup("/")

    def open_file(self, cwd: str, path: str, op: str) -> OpenFile:
        """The open file a redirection ``op`` (``< > >| >> <>``) makes of ``path``."""
        full = self.abspath(cwd, path)
        rel = full.lstrip("/") or "."
        root = self._root()
        if op == "<":
            node = self.namespace.open(root, rel)
            f = NodeFile(node)
            f.max_rights = f.max_rights & ~(Rights.FD_WRITE | Rights.FD_ALLOCATE)
            return f
        try:
            node = self.namespace.open(root, rel)  # an existing file (or device) as it is
        except FileNotFoundError:
            node = self.namespace.open(root, rel, create=True)
        if node.is_dir:
            raise IsADirectoryError(errno_mod.EISDIR, "Is a directory")
        if node.read_only:
            raise OSError(errno_mod.EROFS, "Read-only file system")
        if op in (">", ">|") and int(node.filetype) == 4:
            node.set_size(0)
        f = NodeFile(node, Fdflags.APPEND if op == ">>" else 0)
        if op != "<>":
            f.max_rights = FILE_RIGHTS & ~Rights.FD_READ
        return f

    def read_file(self, cwd: str, path: str) -> bytes:
        node = self.namespace.open(self._root(), self.abspath(cwd, path).lstrip("/") or ".")
        if node.is_dir:
            raise IsADirectoryError(errno_mod.EISDIR, "Is a directory")
        out = bytearray()
        while chunk := node.read_at(len(out), 1 << 20):
            out += chunk
        return bytes(out)

    # ------------------------------------------------------------ expansion

    def context(self, st: State) -> Context:
        return Context(
            vars=st.vars,
            args=st.args,
            arg0=st.arg0,
            status=st.status,
            pid=self.shell_proc.pid,
            last_bg=st.last_bg,
            flags="".join(sorted(st.options)),
            nounset="u" in st.options,
            fs=None if "f" in st.options else _GlobFS(self, st.cwd),
        )

    async def expand(self, fn: Callable[..., Any], arg: Any, st: State) -> Any:
        """Run a pure expansion function; with ``$(…)`` inside, in a thread that calls
        back into trio for each substitution (expansion itself is synchronous)."""
        ctx = self.context(st)
        if not _has_cmdsub(arg):
            return fn(arg, ctx)
        token = trio.lowlevel.current_trio_token()
        job, tracers = _JOB.get(), _TRACERS.get()

        async def sub(program: Sequence) -> str:
            _JOB.set(job)
            _TRACERS.set(tracers)
            return await self.substitute(program, st)

        def substitute(program: Sequence) -> str:
            return trio.from_thread.run(sub, program, trio_token=token)

        ctx.substitute = substitute
        return await trio.to_thread.run_sync(fn, arg, ctx)

    async def substitute(self, program: Sequence, st: State) -> str:
        """``$(…)``: run in a subshell with stdout into a pipe; its output as text."""
        r, w = make_pipe()
        sub = st.copy()
        fds = self.base_fds.copy()
        fds.set(1, w)
        reader = Fds({0: r})
        out = bytearray()

        async def drain() -> None:
            out.extend(await reader.read_all(0))
            reader.close()

        async with trio.open_nursery() as n:
            n.start_soon(drain)
            try:
                status = await self.run_in_subshell(program, sub, fds)
            finally:
                fds.close()
        st.status = status
        return out.decode("utf-8", "surrogateescape")

    # ------------------------------------------------------------ the tree

    base_fds: Fds  # the session's stdio, set by the session

    async def run(self, node: Command, st: State, fds: Fds) -> int:
        """Run one command tree; ``st.status`` follows as ``$?`` does."""
        if isinstance(node, Sequence):
            status = 0
            for cmd in node.commands:
                status = await self.run(cmd, st, fds)
                st.status = status
            return status
        if isinstance(node, Background):
            await self.background(node.command, st, fds)
            st.status = 0
            return 0
        if isinstance(node, AndOr):  # `set -e` ignores every command of the chain
            status = await self.pipeline(node.first, st, fds)
            for op, cmd in node.rest:
                st.status = status
                if (op == "&&") == (status == 0):
                    status = await self.pipeline(cmd, st, fds)
            return status
        status = await self.pipeline(node, st, fds)
        if (
            status
            and "e" in st.options
            and not (isinstance(node, Pipeline) and node.negate)
            and not isinstance(node, Subshell | BraceGroup)
        ):
            raise ShellExit(status)
        return status

    async def run_in_subshell(self, node: Command, st: State, fds: Fds) -> int:
        try:
            return await self.run(node, st, fds)
        except ShellExit as e:
            return e.status

    async def pipeline(
        self,
        node: Command,
        st: State,
        fds: Fds,
        started: Callable[[list[int | None]], None] | None = None,
    ) -> int:
        """A pipeline (or one command): statuses into ``PIPESTATUS``, ``!`` applied."""
        commands = node.commands if isinstance(node, Pipeline) else (node,)
        negate = isinstance(node, Pipeline) and node.negate
        timed = _keyword(commands[0])
        if timed is not None:
            word, rest = timed
            if word == "time":
                statuses = await self.timed(rest, commands[1:], st, fds, started)
            else:
                statuses = await self.traced(rest, commands[1:], st, fds, started)
        else:
            statuses = await self.stages(commands, st, fds, started)
        st.vars["PIPESTATUS"] = " ".join(map(str, statuses))
        status = statuses[-1]
        if negate:
            status = int(status == 0)
        return status

    async def stages(
        self,
        commands: tuple[Command, ...] | list[Command],
        st: State,
        fds: Fds,
        started: Callable[[list[int | None]], None] | None = None,
    ) -> list[int]:
        if not commands:
            if started:
                started([])
            return [0]
        if len(commands) == 1:
            reported = False

            def one(pid: int | None) -> None:
                nonlocal reported
                if not reported:
                    reported = True
                    if started is not None:
                        started([pid])

            status = await self.command(commands[0], st, fds, one)
            one(None)
            return [status]
        n = len(commands)
        pipes = [make_pipe() for _ in range(n - 1)]
        statuses = [0] * n
        stage_pids: list[int | None] = []
        async with trio.open_nursery() as nursery:
            for k, cmd in enumerate(commands):
                sf = fds.copy()
                if k > 0:
                    sf.set(0, pipes[k - 1][0])
                if k < n - 1:
                    sf.set(1, pipes[k][1])
                pid = await nursery.start(self._stage, cmd, st.copy(), sf, statuses, k)
                stage_pids.append(pid)
            if started:
                started(stage_pids)
        return statuses

    async def _stage(
        self,
        cmd: Command,
        st: State,
        sf: Fds,
        statuses: list[int],
        k: int,
        task_status: Any = trio.TASK_STATUS_IGNORED,
    ) -> None:
        done = False

        def started(pid: int | None) -> None:
            nonlocal done
            if not done:
                done = True
                task_status.started(pid)

        try:
            statuses[k] = await self.command(cmd, st, sf, started, own=True)
        except ShellExit as e:
            statuses[k] = e.status
        finally:
            sf.close()
            started(None)

    async def command(
        self,
        cmd: Command,
        st: State,
        fds: Fds,
        started: Callable[[int | None], None],
        own: bool = False,
    ) -> int:
        """One stage. ``own``: ``fds`` is this stage's alone, to be closed as soon as a
        spawned program holds what it needs (so pipe ends reach EOF when they should)."""
        if isinstance(cmd, Simple):
            return await self.simple(cmd, st, fds, started, own)
        started(None)
        if isinstance(cmd, Subshell | BraceGroup):
            cfds = fds.copy()
            try:
                try:
                    await self.redirect(cmd.redirs, st, cfds)
                except CommandError as e:
                    await self.error(fds, str(e))
                    return e.status
                if isinstance(cmd, Subshell):
                    return await self.run_in_subshell(cmd.body, st.copy(), cfds)
                return await self.run(cmd.body, st, cfds)
            finally:
                cfds.close()
        return await self.run(cmd, st, fds)

    # ------------------------------------------------------------ simple commands

    async def simple(
        self,
        cmd: Simple,
        st: State,
        fds: Fds,
        started: Callable[[int | None], None],
        own: bool,
    ) -> int:
        try:
            argv = await self.expand(expand_words, cmd.words, st) if cmd.words else []
            assigns = [
                (a.name, await self.expand(expand_assignment, a.value, st)) for a in cmd.assigns
            ]
        except ExpansionError as e:
            started(None)
            await self.error(fds, str(e))
            return 1
        if "x" in st.options:
            shown = [f"{k}={v}" for k, v in assigns] + argv
            await fds.write(2, "+ " + " ".join(shown) + "\n")
        cfds = fds.copy()
        try:
            try:
                await self.redirect(cmd.redirs, st, cfds)
            except CommandError as e:
                started(None)
                await self.error(fds, str(e))
                return e.status
            if argv == ["exec"]:  # `exec 3>f`: the redirections stay, in the caller's table
                started(None)
                for fd, f in cfds.files.items():
                    if fds.get(fd) is not f:
                        fds.set(fd, f)
                for fd in [fd for fd in fds.files if fd not in cfds.files]:
                    fds.close_fd(fd)
                return 0
            if not argv:
                started(None)
                for k, v in assigns:
                    st.set_var(k, v, export=k in st.exported)
                return (
                    st.status if cmd.assigns and _has_cmdsub([a.value for a in cmd.assigns]) else 0
                )
            return await self.run_argv(argv, st, cfds, started, assigns=assigns, own=own, outer=fds)
        finally:
            cfds.close()

    async def run_argv(
        self,
        argv: list[str],
        st: State,
        fds: Fds,
        started: Callable[[int | None], None] = lambda pid: None,
        *,
        assigns: list[tuple[str, str]] | None = None,
        own: bool = False,
        outer: Fds | None = None,
    ) -> int:
        """Run an expanded command: a builtin, or a program found by `find_program`."""
        assigns = assigns or []
        name = argv[0]
        builtin = self.builtins.get(name)
        if builtin is not None:
            started(None)
            saved = {k: st.vars.get(k) for k, _ in assigns}
            for k, v in assigns:
                st.vars[k] = v
            try:
                return await builtin(self, argv, st, fds)
            except (ShellExit, trio.Cancelled):
                raise
            except Exception as e:  # a bug in a builtin: logged, one line, the shell goes on
                log.exception("builtin %s failed", name)
                await self.error(fds, f"{PROG}: {name}: internal error: {type(e).__name__}: {e}")
                return 1
            finally:
                for k, value in saved.items():
                    if value is None:
                        st.vars.pop(k, None)
                    else:
                        st.vars[k] = value
        try:
            path, data = self.find_program(name, st)
        except CommandError as e:
            started(None)
            await self.error(fds, str(e))
            return e.status
        try:
            wp = await self.spawn(data, path, argv, st.environ(assigns), fds)
        except (KernelError, OSError) as e:
            started(None)
            await self.error(fds, f"{PROG}: {name}: {_errtext(e)}")
            return STATUS_NOT_EXECUTABLE
        started(wp.pid)
        if own:
            fds.close()
            if outer is not None:
                outer.close()
        return await self.wait_process(wp)

    def find_program(self, name: str, st: State) -> tuple[str, bytes]:
        """(path, module bytes) of a command: a name with ``/`` is that file (from the cwd);
        otherwise the first of NAME, NAME.wasm, NAME.wat in each ``PATH`` directory."""
        if not name:
            raise CommandError(f"{PROG}: : command not found", STATUS_NOT_FOUND)
        if "/" in name:
            base = self.abspath(st.cwd, name)
            path = next((p for p in _candidates(base) if self._exists(p)), base)
            try:
                return path, self._load(path)
            except FileNotFoundError:
                raise CommandError(
                    f"{PROG}: {name}: No such file or directory", STATUS_NOT_FOUND
                ) from None
            except OSError as e:
                raise CommandError(
                    f"{PROG}: {name}: {_errtext(e)}", STATUS_NOT_EXECUTABLE
                ) from None
        found = self.which(name, st)
        if found is None:
            raise CommandError(f"{PROG}: {name}: command not found", STATUS_NOT_FOUND)
        try:
            return found, self._load(found)
        except OSError as e:
            raise CommandError(f"{PROG}: {name}: {_errtext(e)}", STATUS_NOT_EXECUTABLE) from None

    def which(self, name: str, st: State) -> str | None:
        """The path PATH lookup gives ``name`` (regular files only), or None."""
        if "/" in name:
            base = self.abspath(st.cwd, name)
            return next((p for p in _candidates(base) if self._exists(p)), None)
        for d in st.vars.get("PATH", "/bin").split(":"):
            base = self.abspath(st.cwd, d or ".")
            for path in _candidates(posixpath.join(base, name)):
                try:
                    node = self.namespace.lookup(path)
                except OSError:
                    continue
                try:
                    if int(node.filetype) == 4:  # regular file
                        return path
                finally:
                    node.close()
        return None

    def _exists(self, path: str) -> bool:
        try:
            self.namespace.lookup(path).close()
        except OSError:
            return False
        return True

    def path_commands(self, st: State) -> list[str]:
        """Every command name PATH offers (for completion), without .wasm/.wat."""
        names: set[str] = set()
        for d in st.vars.get("PATH", "/bin").split(":"):
            try:
                node = self.lookup(st.cwd, d or ".")
            except OSError:
                continue
            try:
                for e in node.readdir():
                    if int(e.filetype) in (4, 7) and e.name not in (".", ".."):
                        n = e.name
                        for ext in (".wasm", ".wat"):
                            if n.endswith(ext):
                                n = n[: -len(ext)]
                        names.add(n)
            except OSError:
                pass
            finally:
                node.close()
        return sorted(names)

    def _load(self, path: str) -> bytes:
        node = self.namespace.lookup(path)
        try:
            if node.is_dir:
                raise IsADirectoryError(errno_mod.EISDIR, "Is a directory")
            st = node.stat()
            key = (st.dev, st.ino, st.size, st.mtim)
            cached = self._module_cache.get(path)
            if cached is not None and cached[0] == key:
                return cached[1]
            out = bytearray()
            while chunk := node.read_at(len(out), 1 << 20):
                out += chunk
        finally:
            node.close()
        data = bytes(out)
        if not _looks_like_module(data):
            raise OSError(errno_mod.ENOEXEC, "cannot execute: not a WebAssembly module")
        self._module_cache[path] = (key, data)
        return data

    async def spawn(
        self, data: bytes, path: str, argv: list[str], env: Mapping[str, str], fds: Fds
    ) -> WasmProcess:
        stdio = [fds.get(i) for i in range(3)]
        wp = await self.system.spawn(
            Image(data, posixpath.basename(path)),
            argv[1:],
            argv0=argv[0],
            env=env,
            stdin=stdio[0] if stdio[0] is not None else NullFile(),
            stdout=stdio[1] if stdio[1] is not None else NullFile(),
            stderr=stdio[2] if stdio[2] is not None else NullFile(),
            parent=self.shell_proc,
            preopens=[("/", self._root())],
        )
        worker = self.system.host.workers.get(wp.pid) if self.system.host else None
        wpid = worker.popen.pid if worker is not None else None
        rec = ProcRecord(wp.pid, list(argv), wpid, worker_cpu_ns(wpid))
        self.records[wp.pid] = rec
        if len(self.records) > 4096:
            for old in list(self.records)[:1024]:
                if self.records[old].status is not None:
                    del self.records[old]
        for t in _TRACERS.get():
            hook = getattr(t, "spawned", None)
            if hook is not None:
                hook(rec)
        job = _JOB.get()
        if job is not None:
            job.pids.append(wp.pid)
            job.live.add(wp)
        if self.on_spawn is not None:
            self.on_spawn(rec)
        return wp

    async def wait_process(self, wp: WasmProcess) -> int:
        """Wait for a process, note its CPU time, and reap it from the process table."""
        rec = self.records.get(wp.pid)
        try:
            await wp.proc.exited.wait()
        finally:
            if rec is not None and wp.proc.cpu_time_ns is not None:
                rec.cpu_ns = wp.proc.cpu_time_ns  # the guest thread's own, reported at exit
                rec.peak_rss_kib = worker_peak_rss_kib(rec.worker_pid)
            elif rec is not None and rec.cpu_ns is None:
                end = worker_cpu_ns(rec.worker_pid)
                if end is not None and rec.cpu_start_ns is not None:
                    rec.cpu_ns = max(0, end - rec.cpu_start_ns)
                rec.peak_rss_kib = worker_peak_rss_kib(rec.worker_pid)
        status = await wp.wait()
        if wp.proc.state is ProcState.ZOMBIE:
            await self.kernel.wait(wp.pid)
        if rec is not None:
            rec.status = status
        job = _JOB.get()
        if job is not None:
            job.live.discard(wp)
        return status

    # ------------------------------------------------------------ redirections

    async def redirect(self, redirs: tuple[Redir, ...], st: State, fds: Fds) -> None:
        """Apply redirections in order to ``fds``; `CommandError` on the first failure."""
        for r in redirs:
            try:
                await self._redirect(r, st, fds)
            except ExpansionError as e:
                raise CommandError(f"{PROG}: {e}") from None

    async def _redirect(self, r: Redir, st: State, fds: Fds) -> None:
        if isinstance(r.target, HereDoc):
            text = await self.expand(expand_heredoc, r.target, st)
            fds.set(r.fd, self.heredoc(text.encode("utf-8", "surrogateescape")))
            return
        target = await self.expand(expand_word, r.target, st)
        if r.op in ("<&", ">&"):
            if target == "-":
                fds.close_fd(r.fd)
                return
            if target.isdigit():
                src = fds.get(int(target))
                if src is None:
                    raise CommandError(f"{PROG}: {target}: Bad file descriptor")
                fds.set(r.fd, src)
                return
            if r.op == ">&" and r.fd == 1:  # `>& file`: stdout and stderr to the file
                f = self._open(st, target, ">")
                fds.set(1, f)
                fds.set(2, f)
                return
            raise CommandError(f"{PROG}: {target}: ambiguous redirect")
        if not target:
            raise CommandError(f"{PROG}: : No such file or directory")
        fds.set(r.fd, self._open(st, target, r.op))

    def _open(self, st: State, target: str, op: str) -> OpenFile:
        try:
            return self.open_file(st.cwd, target, op)
        except OSError as e:
            raise CommandError(f"{PROG}: {target}: {_errtext(e)}") from None
        except KernelError as e:
            raise CommandError(f"{PROG}: {target}: {_errtext(e)}") from None

    def heredoc(self, data: bytes) -> OpenFile:
        """A pipe holding ``data`` (fed from a task when it exceeds the pipe's buffer)."""
        return fed_pipe(data, self.nursery)

    async def error(self, fds: Fds, message: str) -> None:
        await fds.write(2, message.rstrip("\n") + "\n")

    # ------------------------------------------------------------ jobs

    async def background(self, cmd: Command, st: State, fds: Fds) -> Job:
        """Start ``cmd`` as a job; ``$!`` becomes its last process (or its own entry)."""
        job_id = max(self.jobs, default=0) + 1
        job = Job(job_id, unparse(cmd))
        self.jobs[job_id] = job
        bfds = fds.copy()
        bfds.set(0, NullFile())  # as POSIX without job control; its own `<` still applies
        await self.nursery.start(self._job_task, job, cmd, st.copy(), bfds)
        st.last_bg = job.leader
        if self.interactive:
            await self.error(self.base_fds, f"[{job.id}] {job.leader}")
        return job

    async def _job_task(
        self,
        job: Job,
        cmd: Command,
        st: State,
        fds: Fds,
        task_status: Any = trio.TASK_STATUS_IGNORED,
    ) -> None:
        _JOB.set(job)
        status = 0
        is_started = False

        def started(pids: list[int | None]) -> None:
            nonlocal is_started
            if is_started:
                return
            is_started = True
            last = pids[-1] if pids else None
            if last is None:
                job.pseudo = self.kernel.spawn(
                    ["sh", "-c", job.text], {}, parent=self.shell_proc, stdio=[NullFile()] * 3
                )
                job.pseudo.on_exit.append(lambda s: job.kill(s - 128))
                last = job.pseudo.pid
            job.leader = last
            task_status.started()

        try:
            with trio.CancelScope() as job.scope:
                if isinstance(cmd, Pipeline | Simple):
                    status = await self.pipeline(cmd, st, fds, started)
                else:
                    started([])
                    status = await self.run_in_subshell(cmd, st, fds)
        except ShellExit as e:
            status = e.status
        finally:
            fds.close()
            started([])
            if job.killed_by is not None and (job.scope is None or job.scope.cancelled_caught):
                status = 128 + job.killed_by
            job.status = status
            if job.pseudo is not None:
                self.kernel.exit(job.pseudo, status)
                if job.pseudo.pid in self.kernel.procs:
                    await self.kernel.wait(job.pseudo.pid)
            job.done.set()
            self.finished.append(job)
            if self.on_job_done is not None:
                try:
                    self.on_job_done(job)
                except Exception:  # noqa: BLE001 - a front end's hook must not kill the job
                    pass

    def job_line(self, job: Job, current: bool = False) -> str:
        if job.running:
            state = "Running"
        elif job.status == 0:
            state = "Done"
        elif job.killed_by is not None:
            try:
                state = Signal(job.killed_by).name.title()
            except ValueError:
                state = f"Signal {job.killed_by}"
            if job.killed_by == Signal.KILL:
                state = "Killed"
            elif job.killed_by == Signal.TERM:
                state = "Terminated"
        else:
            state = f"Exit {job.status}"
        mark = "+" if current else " "
        return f"[{job.id}]{mark}  {state:<22}{job.text}"

    def find_job(self, spec: str) -> Job | None:
        """``%N``, ``%%``/``%+``/``%`` (the latest), ``%-`` (the one before), ``%text``."""
        if not self.jobs:
            return None
        ids = sorted(self.jobs)
        if spec in ("%", "%%", "%+"):
            return self.jobs[ids[-1]]
        if spec == "%-":
            return self.jobs[ids[-2]] if len(ids) > 1 else None
        body = spec[1:]
        if body.isdigit():
            return self.jobs.get(int(body))
        for i in reversed(ids):
            if self.jobs[i].text.startswith(body):
                return self.jobs[i]
        return None

    def job_of_pid(self, pid: int) -> Job | None:
        for job in self.jobs.values():
            if pid == job.leader or pid in job.pids:
                return job
        return None

    def forget_done_jobs(self) -> None:
        for i in [i for i, j in self.jobs.items() if not j.running and j.reported]:
            del self.jobs[i]

    # ------------------------------------------------------------ time and strace

    async def timed(
        self,
        rest: Command | None,
        more: tuple[Command, ...],
        st: State,
        fds: Fds,
        started: Any,
    ) -> list[int]:
        """``time pipeline``: wall time, CPU time of the workers, syscalls, peak RSS."""
        counter = SyscallCounter()
        spawned: list[ProcRecord] = []

        class Watch(SyscallCounter):
            def syscall(self, *a: Any) -> None:
                counter.syscall(*a)

            def spawned(self, rec: ProcRecord) -> None:
                reset_peak_rss(rec.worker_pid)
                spawned.append(rec)

        token = _TRACERS.set(_TRACERS.get() + (Watch(),))
        t0 = time.perf_counter()
        try:
            statuses = await self.stages(([rest] if rest else []) + list(more), st, fds, started)
        finally:
            _TRACERS.reset(token)
        wall = time.perf_counter() - t0
        cpus = [r.cpu_ns for r in spawned]
        rss = [r.peak_rss_kib for r in spawned if r.peak_rss_kib is not None]
        cpu = "?" if any(c is None for c in cpus) else _seconds(sum(c or 0 for c in cpus) / 1e9)
        lines = [
            f"real\t{_seconds(wall)}",
            f"cpu\t{cpu}",
            f"syscalls\t{counter.calls}"
            + (f" ({counter.errors} failed)" if counter.errors else ""),
            f"maxrss\t{max(rss)} KiB (worker)" if rss else "maxrss\t?",
        ]
        await fds.write(2, "\n".join(lines) + "\n")
        return statuses

    async def traced(
        self,
        rest: Command | None,
        more: tuple[Command, ...],
        st: State,
        fds: Fds,
        started: Any,
    ) -> list[int]:
        """``strace [-c] [-o FILE] pipeline``: the kernel's trace of these processes only."""
        from kernel.strace import Tracer

        summary = False
        out_path: str | None = None
        words = list(rest.words) if isinstance(rest, Simple) else []
        while words:
            lit = words[0].literal()
            if lit == "-c":
                summary = True
                words.pop(0)
            elif lit == "-o" and len(words) > 1:
                out_path = await self.expand(expand_word, words[1], st)
                words = words[2:]
            elif lit == "--":
                words.pop(0)
                break
            else:
                break
        if isinstance(rest, Simple):
            rest = (
                Simple(rest.assigns, tuple(words), rest.redirs, rest.pos)
                if words or rest.redirs
                else None
            )
        sink = _TextSink()
        out_fds = fds
        if out_path is not None:
            try:
                f = self._open(st, out_path, ">")
            except CommandError as e:
                await self.error(fds, str(e))
                return [1]
            out_fds = Fds({2: f})
        tracer = Tracer(sink, summary=summary)  # type: ignore[arg-type]
        token = _TRACERS.set(_TRACERS.get() + (tracer,))
        try:
            async with trio.open_nursery() as n:
                n.start_soon(sink.forward, out_fds, 2)
                try:
                    statuses = await self.stages(
                        ([rest] if rest else []) + list(more), st, fds, started
                    )
                finally:
                    tracer.close()
                    sink.send.close()
        finally:
            _TRACERS.reset(token)
            if out_fds is not fds:
                out_fds.close()
        return statuses

    # ------------------------------------------------------------ ps

    def process_rows(self) -> list[tuple[int, int | None, str, str, int | None, str]]:
        """(pid, ppid, tenant, state, cpu ns, command) of every process in the kernel."""
        rows = []
        for proc in sorted(self.kernel.procs.values(), key=lambda p: p.pid):
            rec = self.records.get(proc.pid)
            cpu = proc.cpu_time_ns
            if cpu is None and rec is not None:
                cpu = rec.cpu_now_ns()
            rows.append(
                (proc.pid, proc.parent, proc.tenant, proc.state.value, cpu, " ".join(proc.argv))
            )
        return rows


def _candidates(path: str) -> tuple[str, str, str]:
    """A command names a module file with or without its extension (``/bin/cat`` is
    ``/bin/cat.wasm``): the userland keeps the names it was built with."""
    return path, path + ".wasm", path + ".wat"


def _seconds(s: float) -> str:
    m, sec = divmod(s, 60)
    return f"{int(m)}m{sec:.3f}s"


def _keyword(cmd: Command) -> tuple[str, Command | None] | None:
    """``time …``/``strace …`` at the head of a pipeline: (keyword, the rest of the stage)."""
    if not isinstance(cmd, Simple) or cmd.assigns or not cmd.words:
        return None
    w = cmd.words[0]
    if w.literal() not in ("time", "strace") or w.raw not in ("time", "strace"):
        return None
    if len(w.parts) != 1 or not isinstance(w.parts[0], Lit) or w.parts[0].quoted:
        return None
    rest_words = cmd.words[1:]
    if not rest_words and not cmd.redirs:
        return w.raw, None
    return w.raw, Simple((), rest_words, cmd.redirs, cmd.pos)
