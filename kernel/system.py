"""A running system: a kernel, its VFS with host mounts, and Wasm processes in workers.

This is the async face the embedding API (`wasios.System`, `wasios.run`), `wasios run`
and the shell are built on: boot a kernel inside a trio nursery, spawn modules with
their stdio connected to pipes, bytes, the host's own stdio or each other, wait, kill.

Host stdio is moved by threads (`os.read` / `os.write`), never by switching the host's
descriptors to non-blocking mode: they are often shared with the parent shell, and a
regular file (``> out.txt``) cannot be polled anyway.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trio

from kernel.abi import Signal
from kernel.errors import KernelError
from kernel.file import NullFile, OpenFile, PipeReadFile, PipeWriteFile, make_pipe
from kernel.hostsock import tcp_listen
from kernel.pipe import Pipe
from kernel.proc import Kernel, Process
from kernel.workers import POOL, Host, Image, WorkerPool
from vfs.node import Node

CHUNK = 1 << 16


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: Stdio choices: a pipe the caller reads or writes; the host process's own stdio; nothing.
PIPE = _Sentinel("PIPE")
INHERIT = _Sentinel("INHERIT")
DEVNULL = _Sentinel("DEVNULL")


@dataclass(frozen=True)
class DirSpec:
    """One ``--dir``: a host directory, the name the guest sees it by, and read-only-ness."""

    host: str
    guest: str
    readonly: bool = False

    @classmethod
    def parse(cls, text: str) -> DirSpec:
        """``HOST[::GUEST][:ro]``, as wasmtime's ``--dir``."""
        readonly = False
        if text.endswith(":ro"):
            text, readonly = text[:-3], True
        host, sep, guest = text.partition("::")
        if not host:
            raise ValueError(f"--dir {text!r}: no host directory")
        return cls(host, guest if sep else host, readonly)

    def mount_point(self) -> str:
        """Where the directory sits in the VFS: its guest name, made absolute (``.`` and
        other relative names by the host's absolute path, so paths stay recognisable)."""
        g = self.guest
        if g.startswith("/"):
            return posixpath.normpath(g) if g != "/" else "/"
        if g in (".", "./"):
            return posixpath.normpath(os.path.abspath(self.host))
        return "/" + posixpath.normpath(g).lstrip("/")


def _host_port(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) of ``--tcplisten``."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host or int(port) > 65535:
        raise ValueError(f"--tcplisten {text!r}: expected HOST:PORT")
    return host.strip("[]"), int(port)


def parse_dirs(dirs: Mapping[str, str] | Iterable[str] | None) -> list[DirSpec]:
    """``--dir`` specs (or {guest: host}); ValueError for a malformed one,
    NotADirectoryError for a host path that is not a directory."""
    if not dirs:
        return []
    if isinstance(dirs, Mapping):
        specs = [DirSpec(str(host), str(guest)) for guest, host in dirs.items()]
    else:
        specs = [d if isinstance(d, DirSpec) else DirSpec.parse(str(d)) for d in dirs]
    for d in specs:
        if not os.path.isdir(d.host):
            raise NotADirectoryError(f"--dir {d.host}: not a directory")
    return specs


@dataclass
class CompletedRun:
    """What `wasios.run` returns, as `subprocess.CompletedProcess`."""

    args: list[str]
    returncode: int
    stdout: bytes = b""
    stderr: bytes = b""

    def check_returncode(self) -> None:
        if self.returncode:
            raise subprocess.CalledProcessError(
                self.returncode, self.args, self.stdout, self.stderr
            )


def load_image(module: Any, *, jit: str | None = None) -> Image:
    """Module bytes from a path (.wasm or .wat), raw bytes, WAT text, or a wasios.Module."""
    if isinstance(module, bytes | bytearray | memoryview):
        return Image(bytes(module), "module", jit)
    if isinstance(module, str | os.PathLike):
        path = Path(module)
        return Image(path.read_bytes(), path.name, jit)
    raw = getattr(module, "raw_bytes", None)
    if raw is not None:
        return Image(raw, getattr(module, "name", None) or "module", jit)
    raise TypeError(f"cannot run {type(module).__name__}: give a path, bytes or a Module")


class WasmProcess:
    """A spawned process, as the embedder sees it (like `trio.Process`)."""

    proc: Process

    def __init__(self, system: System) -> None:
        self.system = system
        #: With stdin=PIPE: the pipe's write end (`await send(data)`, `close()`).
        self.stdin: HostWriter | None = None
        self._out: dict[int, bytearray] = {}
        self._drained: dict[int, trio.Event] = {}

    def _attach(self, proc: Process) -> None:
        self.proc = proc
        self.pid = proc.pid
        self.args = list(proc.argv)

    @property
    def returncode(self) -> int | None:
        return self.proc.exit_status

    async def wait(self) -> int:
        await self.proc.exited.wait()
        for ev in self._drained.values():
            await ev.wait()
        assert self.proc.exit_status is not None
        return self.proc.exit_status

    def kill(self, sig: int = Signal.KILL) -> None:
        if self.proc.running:
            self.system.kernel.kill(self.pid, sig)

    async def communicate(self, input: bytes | None = None) -> tuple[bytes, bytes]:
        """Send ``input`` (then EOF) to a PIPE stdin, wait, and return what PIPE outputs got."""
        if self.stdin is not None:
            if input:
                await self.stdin.send(input)
            self.stdin.close()
        await self.wait()
        return bytes(self._out.get(1, b"")), bytes(self._out.get(2, b""))


class HostWriter:
    """The writing end of a process's stdin pipe, for the embedder."""

    def __init__(self, end: PipeWriteFile) -> None:
        end.acquire()
        self.end = end

    async def send(self, data: bytes) -> None:
        try:
            await self.end.write(data)
        except KernelError:
            pass  # the process no longer reads its stdin: like a closed pipe, data is lost

    def close(self) -> None:
        if not self.end.closed:
            self.end.release()


def trio_clock(deterministic: bool) -> trio.abc.Clock | None:
    """The trio clock for a run: a deterministic one is virtual — it moves only when every
    task waits, to the next deadline — so a guest's clock readings depend on what it
    does, not on how fast the machine is."""
    if not deterministic:
        return None
    from trio.testing import MockClock

    return MockClock(autojump_threshold=0)


class System:
    """A kernel with its processes, inside ``async with System(...) as system:``."""

    def __init__(
        self,
        *,
        dirs: Mapping[str, str] | Iterable[str] | None = None,
        env: Mapping[str, str] | None = None,
        deterministic: bool = False,
        seed: int = 0,
        jit: str | None = None,
        procs_per_worker: int = 1,
        tracer: Any = None,
        pool: WorkerPool = POOL,
        tcplisten: Sequence[str] = (),
    ) -> None:
        self.kernel = Kernel(deterministic=deterministic, seed=seed)
        self.dirs = parse_dirs(dirs)
        for d in self.dirs:
            self.kernel.namespace.mount_host(d.host, d.mount_point(), readonly=d.readonly)
        self.env = dict(env or {})
        self.tcplisten = [_host_port(a) for a in tcplisten]
        #: Listening sockets handed to every process spawned (``--tcplisten``).
        self.listeners: list[OpenFile] = []
        self.jit = jit
        self.tracer = tracer
        self._host_args = (pool, procs_per_worker)
        self._nursery: trio.Nursery | None = None
        self._cm: Any = None
        self.host: Host | None = None

    async def __aenter__(self) -> System:
        self._cm = trio.open_nursery()
        self._nursery = await self._cm.__aenter__()
        pool, per = self._host_args
        self.host = Host(
            self.kernel, self._nursery, pool=pool, procs_per_worker=per, tracer=self.tracer
        )
        for host, port in self.tcplisten:
            listener, _ = await tcp_listen(self.kernel, self._nursery, host, port)
            self.listeners.append(listener)
        return self

    async def __aexit__(self, *exc: Any) -> bool:
        for proc in list(self.kernel.procs.values()):
            if proc.running:
                self.kernel.kill(proc.pid, Signal.KILL)
        assert self._nursery is not None
        self._nursery.cancel_scope.cancel()
        try:
            return await self._cm.__aexit__(*exc)
        except BaseExceptionGroup as group:
            # The caller's own exception, alone: let it through as it was raised (the
            # kernel's tasks do not fail; wrapping every error of the body would only
            # make `except TimeoutExpired:` miss).
            if exc[1] is not None and group.exceptions == (exc[1],):
                return False
            raise

    # --- stdio ---------------------------------------------------------------------------

    def pipe(self) -> tuple[PipeReadFile, PipeWriteFile]:
        """A kernel pipe to connect two processes (pass the ends as stdin / stdout)."""
        return make_pipe()

    def _stdio(self, wp: WasmProcess, fd: int, choice: Any) -> OpenFile:
        assert self._nursery is not None
        if choice is None or choice is DEVNULL:
            return NullFile()
        if isinstance(choice, OpenFile):
            return choice
        host_fd = fd if choice is INHERIT else None
        if isinstance(choice, int) and not isinstance(choice, bool):
            host_fd = choice
        tty = host_fd is not None and os.isatty(host_fd)
        pipe = Pipe()
        if fd == 0:
            if isinstance(choice, bytes | bytearray | memoryview):
                return fed_pipe(bytes(choice), self._nursery)
            if choice is PIPE:
                wp.stdin = HostWriter(PipeWriteFile(pipe))
            elif host_fd is not None:
                w = HostWriter(PipeWriteFile(pipe))
                self._nursery.start_soon(_pump_from_host, host_fd, w)
            else:
                raise TypeError(f"stdin={choice!r}")
            return PipeReadFile(pipe, tty=tty)
        reader = PipeReadFile(pipe)
        reader.acquire()
        done = wp._drained[fd] = trio.Event()
        if choice is PIPE:
            buf = wp._out[fd] = bytearray()
            self._nursery.start_soon(drain, reader, buf, done)
        elif host_fd is not None:
            self._nursery.start_soon(pump_to_host, reader, host_fd, done)
        else:
            reader.release()
            raise TypeError(f"stdout/stderr={choice!r}")
        return PipeWriteFile(pipe, tty=tty)

    # --- processes -------------------------------------------------------------------------

    async def spawn(
        self,
        module: Any,
        args: Sequence[str] = (),
        *,
        argv0: str | None = None,
        env: Mapping[str, str] | None = None,
        stdin: Any = None,
        stdout: Any = INHERIT,
        stderr: Any = INHERIT,
        invoke: str | None = None,
        invoke_args: Sequence[str] = (),
        jit: str | None = None,
        parent: Process | None = None,
        preopens: Sequence[tuple[str, Node]] | None = None,
    ) -> WasmProcess:
        """Start ``module`` with ``args``; stdio is PIPE, INHERIT, DEVNULL/None, bytes (stdin),
        a host fd number, or a kernel file (an end of `pipe`). ``preopens`` (guest path,
        VFS directory) replaces the System's ``dirs`` for this process: a shell gives each
        program the VFS root rather than the directories the System was started with."""
        assert self.host is not None, "use `async with System() as system:`"
        image = module if isinstance(module, Image) else load_image(module)
        image.jit = jit or self.jit
        image.invoke, image.invoke_args = invoke, [str(a) for a in invoke_args]
        argv = [argv0 if argv0 is not None else image.name, *map(str, args)]
        environ = dict(self.env if env is None else env)
        wp = WasmProcess(self)
        files = [self._stdio(wp, fd, c) for fd, c in enumerate((stdin, stdout, stderr))]
        for f in files:
            f.acquire()  # held until the process has them (a failed spawn then closes them)
        try:
            proc = self.kernel.spawn(
                argv,
                environ,
                parent=parent,
                stdio=files,
                sockets=self.listeners,
                preopens=[
                    (d.guest, self.kernel.namespace.lookup(d.mount_point())) for d in self.dirs
                ]
                if preopens is None
                else preopens,
            )
        finally:
            for f in files:
                f.release()
        wp._attach(proc)
        await self.host.start(proc, image)
        return wp

    async def run(
        self,
        module: Any,
        args: Sequence[str] = (),
        *,
        stdin: bytes | None = None,
        timeout: float | None = None,
        **kw: Any,
    ) -> CompletedRun:
        """Run to the end, capturing stdout and stderr (as `subprocess.run`)."""
        p = await self.spawn(module, args, stdin=stdin or b"", stdout=PIPE, stderr=PIPE, **kw)
        timed_out = False

        async def watchdog(seconds: float) -> None:
            # Real seconds, whatever trio's clock is (a deterministic run's is virtual).
            nonlocal timed_out
            await trio.to_thread.run_sync(time.sleep, seconds, abandon_on_cancel=True)
            timed_out = True
            p.kill()

        async with trio.open_nursery() as nursery:
            if timeout is not None:
                nursery.start_soon(watchdog, timeout)
            out, err = await p.communicate()
            nursery.cancel_scope.cancel()
        if timed_out:
            raise subprocess.TimeoutExpired(p.args, timeout or 0.0, out, err)
        assert p.returncode is not None
        return CompletedRun(p.args, p.returncode, out, err)


# --- pumps ------------------------------------------------------------------------------------


def fed_pipe(data: bytes, nursery: trio.Nursery, *, tty: bool = False) -> PipeReadFile:
    """A pipe's read end that yields ``data``, then EOF (a here-document, stdin=bytes):
    what fits goes in at once, the rest is fed by a task in ``nursery``."""
    r, w = make_pipe()
    r.tty = tty
    w.acquire()
    n = w.pipe.try_write(data) if data else 0
    rest = data[n or 0 :]
    if not rest:
        w.release()
        return r

    async def feed() -> None:
        try:
            await w.write(rest)
        except KernelError:
            pass  # the reader went away
        finally:
            w.release()

    nursery.start_soon(feed)
    return r


async def drain(reader: PipeReadFile, buf: bytearray, done: trio.Event) -> None:
    """Collect everything a pipe carries until EOF (a PIPE output)."""
    try:
        while data := await reader.read(CHUNK):
            buf += data
    finally:
        reader.release()
        done.set()


async def pump_to_host(
    reader: PipeReadFile, fd: int, done: trio.Event, busy: list[int] | None = None
) -> None:
    """Copy a pipe to a host fd until EOF; ``busy[0]`` counts writes in progress (so a
    front end can wait until output has reached the terminal)."""
    busy = busy if busy is not None else [0]
    try:
        while data := await reader.read(CHUNK):
            busy[0] += 1
            try:
                await trio.to_thread.run_sync(write_all, fd, data)
            except OSError:
                break  # the host side is gone (EPIPE): the guest's next write sees PIPE
            finally:
                busy[0] -= 1
    finally:
        reader.release()
        done.set()


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


async def _pump_from_host(fd: int, w: HostWriter) -> None:
    try:
        while w.end.pipe.readers:
            data = await read_host(fd)
            if not data:
                break
            await w.send(data)
    finally:
        w.close()


async def read_host(fd: int) -> bytes:
    """Some bytes from a host fd, waiting (cancellably) until it has input: an abandoned
    read never takes input meant for someone else."""
    try:
        await trio.lowlevel.wait_readable(fd)
    except (OSError, ValueError, trio.BusyResourceError):
        # a regular file or /dev/null cannot be waited for: reading does not block
        return await trio.to_thread.run_sync(read_some, fd, abandon_on_cancel=True)
    return read_some(fd)


def read_some(fd: int) -> bytes:
    try:
        return os.read(fd, CHUNK)
    except OSError:
        return b""
