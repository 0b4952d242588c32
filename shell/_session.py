"""A shell session: one kernel, its VFS with the userland in /bin, the shell's state and
its jobs. Front ends (``wasios shell -c``, scripts, the interactive line editor) drive it:

    async with Session(stdout=CAPTURE) as sh:
        status = await sh.run_script("cat /etc/x | wc -l")
        sh.output(1)

The shell is itself an entry in the kernel's process table (``$$``, the parent of what
it runs; never scheduled on a worker) whose fds 0–2 are the session's stdio: kernel
pipes pumped to and from the host, so every program and builtin writes to the same open
file and output keeps its order, as processes sharing a terminal do.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import trio

from kernel.abi import Signal
from kernel.errors import KernelError
from kernel.file import NullFile, OpenFile, PipeReadFile, PipeWriteFile
from kernel.pipe import Pipe
from kernel.proc import State as ProcState
from kernel.system import System, drain, fed_pipe, pump_to_host, read_host
from shell._builtins import BUILTINS, KEYWORDS
from shell._parser import parse
from shell._runner import (
    _JOB,
    PROG,
    STATUS_USAGE,
    Fds,
    Job,
    Runner,
    ShellExit,
    State,
    TraceRouter,
)
from shell.errors import ShellSyntaxError

CHUNK = 1 << 16
#: Where the bundled programs are: mounted read-only at /bin.
DEFAULT_BIN = Path(__file__).resolve().parents[1] / "userland" / "bin"


class _Capture:
    def __repr__(self) -> str:
        return "CAPTURE"


#: For ``stdout=``/``stderr=``: keep the output in the session (`Session.output`).
CAPTURE = _Capture()


class Session:
    """A shell over its own kernel, inside ``async with``.

    ``stdin``/``stdout``/``stderr`` are host fd numbers (the default: the host's own),
    `CAPTURE` (outputs), ``bytes`` (stdin), None (nothing) or kernel open files.
    ``env`` is the starting environment (all exported; ``PATH=/bin``, ``HOME=/`` and
    ``PWD`` are added when missing); ``dirs`` are host directories mounted into the VFS
    (``HOST[::GUEST][:ro]`` or {guest: host}), as ``wasios run --dir``.
    """

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        dirs: Mapping[str, str] | Iterable[str] = (),
        stdin: Any = 0,
        stdout: Any = 1,
        stderr: Any = 2,
        interactive: bool = False,
        arg0: str = PROG,
        args: Iterable[str] = (),
        cwd: str = "/",
        bin_dir: str | os.PathLike[str] | None = DEFAULT_BIN,
        jit: str | None = None,
    ) -> None:
        self._stdio = (stdin, stdout, stderr)
        self.interactive = interactive
        self.system = System(dirs=dirs or None, env={}, jit=jit, tracer=TraceRouter())
        self.bin_dir = bin_dir
        variables = {"PATH": "/bin", "HOME": "/", **dict(env or {})}
        variables["PWD"] = cwd
        self.state = State(variables, set(variables), cwd, list(args), arg0)
        self.exited = False
        self._captured: dict[int, bytearray] = {}
        self._out_done: list[trio.Event] = []
        self._out_pipes: list[Pipe] = []  # stdout/stderr pipes pumped to the host
        self._pumping = [0]  # writes to the host in progress
        self._cms: list[Any] = []
        #: Interactive: host input is read only while a line runs (between lines the
        #: line editor owns the terminal).
        self._gate = _Gate() if interactive else None
        self.runner: Runner

    # ------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Session:
        system = await self.system.__aenter__()
        self._cms.append(self.system)
        nursery_cm = trio.open_nursery()
        self.nursery = await nursery_cm.__aenter__()
        self._cms.append(nursery_cm)
        try:
            ns = system.kernel.namespace
            mounts: list[tuple[str, str, bool]] = [
                (os.path.abspath(d.host), d.mount_point(), d.readonly) for d in system.dirs
            ]
            if self.bin_dir is not None and os.path.isdir(self.bin_dir):
                ns.mount_host(self.bin_dir, "/bin", readonly=True)
                mounts.insert(0, (str(self.bin_dir), "/bin", True))
            root = ns.lookup("/")
            for d in ("tmp",):
                try:
                    ns.mkdir(root, d)
                except FileExistsError:
                    pass
            files = [self._stdio_file(fd, choice) for fd, choice in enumerate(self._stdio)]
            shell_proc = system.kernel.spawn(["wasios-shell"], {}, stdio=files, tenant="default")
            self.runner = Runner(system, self.nursery, shell_proc, builtins=BUILTINS)
            self.runner.interactive = self.interactive
            self.runner.mounts = mounts
            self.runner.base_fds = Fds(dict(enumerate(files)))
        except BaseException:
            await self._close_cms()
            raise
        return self

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await self.close()
        finally:
            await self._close_cms()

    async def _close_cms(self) -> None:
        cms, self._cms = self._cms, []
        for cm in reversed(cms):
            if cm is not self.system:
                self.nursery.cancel_scope.cancel()
            await cm.__aexit__(None, None, None)

    async def close(self) -> None:
        """End every job, release the shell's stdio and let the output pumps finish."""
        r = self.runner
        for job in list(r.jobs.values()):
            if job.running:
                job.kill(Signal.KILL)
        for proc in list(r.kernel.procs.values()):
            if proc.running and proc is not r.shell_proc:
                r.kernel.kill(proc.pid, Signal.KILL)
        r.base_fds.close()
        r.kernel.exit(r.shell_proc, self.state.status)
        with trio.move_on_after(5):
            for ev in self._out_done:
                await ev.wait()

    # ------------------------------------------------------------ stdio

    def _stdio_file(self, fd: int, choice: Any) -> OpenFile:
        if choice is None:
            return NullFile()
        if isinstance(choice, OpenFile):
            return choice
        pipe = Pipe()
        if fd == 0:
            if isinstance(choice, bytes | bytearray):
                return fed_pipe(bytes(choice), self.nursery)
            if isinstance(choice, int) and not isinstance(choice, bool):
                w = PipeWriteFile(pipe)
                w.acquire()
                self.nursery.start_soon(_pump_in, choice, w, self._gate)
                return PipeReadFile(pipe, tty=_isatty(choice))
            raise TypeError(f"stdin={choice!r}")
        reader = PipeReadFile(pipe)
        reader.acquire()
        done = trio.Event()
        self._out_done.append(done)
        if choice is CAPTURE:
            buf = self._captured[fd] = bytearray()
            self.nursery.start_soon(drain, reader, buf, done)
            return PipeWriteFile(pipe)
        if isinstance(choice, int) and not isinstance(choice, bool):
            self._out_pipes.append(pipe)
            self.nursery.start_soon(pump_to_host, reader, choice, done, self._pumping)
            return PipeWriteFile(pipe, tty=_isatty(choice))
        reader.release()
        raise TypeError(f"stdout/stderr={choice!r}")

    async def settle_output(self, timeout: float = 1.0) -> None:
        """Wait (a little) until what programs wrote has reached the host's stdout and
        stderr, so that a prompt comes after a command's output, not inside it."""
        with trio.move_on_after(timeout):
            while self._pumping[0] or any(p.buf for p in self._out_pipes):
                await trio.sleep(0.002)

    def output(self, fd: int = 1) -> bytes:
        """What a `CAPTURE`d stdout (1) or stderr (2) has received so far."""
        return bytes(self._captured.get(fd, b""))

    # ------------------------------------------------------------ running

    @property
    def status(self) -> int:
        """``$?``."""
        return self.state.status

    @property
    def cwd(self) -> str:
        return self.state.cwd

    @property
    def history(self) -> list[str]:
        return self.runner.history

    @property
    def on_job_done(self) -> Callable[[Job], None] | None:
        """Called (in the kernel's thread) when a background job ends, for a front end
        that wants to redraw its prompt; `take_notifications` gives the lines to print."""
        return self.runner.on_job_done

    @on_job_done.setter
    def on_job_done(self, hook: Callable[[Job], None] | None) -> None:
        self.runner.on_job_done = hook

    async def run_line(self, text: str) -> int:
        """Run one line typed by a user (recorded in ``history``); the status."""
        if text.strip():
            self.runner.history.append(text.rstrip("\n"))
        return await self.run_script(text, "line")

    async def run_script(self, text: str, name: str = "-c") -> int:
        """Parse all of ``text`` (a syntax error: one line, status 2, nothing runs), then
        run it. After ``exit`` the session is `exited` and runs nothing more."""
        if self.exited:
            return self.state.status
        try:
            tree = parse(text)
        except ShellSyntaxError as e:
            await self.runner.base_fds.write(2, f"{PROG}: {name}: {e}\n")
            self.state.status = STATUS_USAGE
            return STATUS_USAGE
        job = Job(0, text.strip())
        self.runner.foreground = job
        token = _JOB.set(job)
        if self._gate is not None:
            self._gate.open()
        status = self.state.status
        try:
            with trio.CancelScope() as job.scope:
                try:
                    status = await self.runner.run(tree, self.state, self.runner.base_fds)
                except ShellExit as e:
                    status = e.status
                    self.exited = True
            if job.scope.cancelled_caught:
                status = 128 + (job.killed_by or Signal.INT)
        finally:
            if self._gate is not None:
                self._gate.close()
            _JOB.reset(token)
            self.runner.foreground = None
            await self._reap(job)
        self.state.status = status
        return status

    async def _reap(self, job: Job) -> None:
        """Processes a cancelled line left behind: killed, then reaped."""
        for wp in list(job.live):
            wp.kill(Signal.KILL)
        for pid in job.pids:
            proc = self.runner.kernel.procs.get(pid)
            if proc is not None and proc.state is ProcState.ZOMBIE:
                await self.runner.kernel.wait(pid)

    def interrupt(self, sig: int = Signal.INT) -> None:
        """Ctrl-C: kill the foreground line's processes and abandon the rest of the line."""
        job = self.runner.foreground
        if job is None:
            return
        job.killed_by = sig
        for wp in list(job.live):
            wp.kill(sig)
        if self.interactive:  # a terminal discards the output not yet shown (no NOFLSH)
            for fd in (1, 2):
                pipe = getattr(self.runner.base_fds.get(fd), "pipe", None)
                if pipe is not None:
                    pipe.discard()
        if job.scope is not None:
            job.scope.cancel()

    def take_notifications(self) -> list[str]:
        """``[1]+  Done  sleep 1 &`` lines for background jobs that ended since the last
        call (what an interactive shell prints before its next prompt)."""
        r = self.runner
        lines = []
        for job in r.finished:
            if not job.reported:
                job.reported = True
                lines.append(r.job_line(job))
        r.finished.clear()
        r.forget_done_jobs()
        return lines

    # ------------------------------------------------------------ completion

    def completions(self, line: str) -> list[str]:
        """Candidates for the last word of ``line`` (the text before the cursor): command
        names in command position, else paths from the cwd (directories end in ``/``)."""
        word = line.split()[-1] if line and not line[-1].isspace() else ""
        before = line[: len(line) - len(word)]
        command_position = not before.strip() or before.rstrip()[-1] in "|&;("
        out: set[str] = set()
        if command_position and "/" not in word:
            names = set(BUILTINS) | set(KEYWORDS) | set(self.runner.path_commands(self.state))
            out |= {n for n in names if n.startswith(word)}
            return sorted(out)
        d, base = posixpath.split(word)
        try:
            node = self.runner.lookup(self.state.cwd, d or ".")
        except OSError:
            return []
        try:
            for e in node.readdir():
                name = e.name
                if name in (".", "..") or not name.startswith(base):
                    continue
                if name.startswith(".") and not base.startswith("."):
                    continue
                full = posixpath.join(d, name) if d else name
                if int(e.filetype) == 3:
                    full += "/"
                out.add(full)
        except OSError:
            return []
        finally:
            node.close()
        return sorted(out)


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


# ---------------------------------------------------------------- pumps


class _Gate:
    """Open while a foreground line runs; closing cancels a pending wait for input."""

    def __init__(self) -> None:
        self._open = trio.Event()
        self.scope: trio.CancelScope | None = None

    def open(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._open = trio.Event()
        if self.scope is not None:
            self.scope.cancel()

    async def wait(self) -> None:
        await self._open.wait()


async def _pump_in(fd: int, w: PipeWriteFile, gate: _Gate | None = None) -> None:
    """Host input into the shell's stdin pipe, read only when the host has some: the
    wait is cancellable, so no abandoned read steals a line typed later."""
    try:
        while True:
            if gate is not None:
                await gate.wait()
                data: bytes | None = None
                with trio.CancelScope() as gate.scope:
                    data = await read_host(fd)
                gate.scope = None
                if data is None:
                    continue  # the line ended first
            else:
                data = await read_host(fd)
            if not data:
                break
            try:
                await w.write(data)
            except KernelError:
                break
    finally:
        w.release()
