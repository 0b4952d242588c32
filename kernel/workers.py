"""Worker OS processes, and the kernel's end of every Wasm process's channel (DESIGN.md §2–3).

A worker is ``python -m procs.worker`` with a control socket (procs/worker.py has the
message formats). Each Wasm process gets its own socketpair: one end goes to the worker
with the spawn message, the kernel serves the other (`serve_channel`): it reads the
guest's requests, dispatches them through the syscall table and writes the replies.

Idle workers are kept warm in a process-wide `POOL`, so a spawn skips Python's start-up
and the engine's imports, and a worker that ran a module before has it decoded already.
A worker hosts one process at a time by default (a kill is then a real SIGKILL of the
worker); ``procs_per_worker`` > 1 packs several processes into one worker, killed one by
one with an exception raised in the guest's thread.

A worker that dies — killed, crashed, out of memory — is noticed when its control socket
closes: its processes end with 128 + the signal that ended it, their fds close (a pipe
reader sees EOF) and everything else carries on.
"""

from __future__ import annotations

import array
import logging
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgpack
import trio

from kernel import syscalls
from kernel.abi import (
    CONTROL_HEADER,
    CREDIT,
    CUSTOM_BASE,
    MSG_CALL,
    MSG_CPU,
    MSG_ERROR,
    MSG_REVOKE,
    MSG_SEND,
    MSG_TRAP,
    MSG_WRITES,
    PREVIEW1,
    SIGNATURES,
    UNSTABLE,
    UNSTABLE_BASE,
    Errno,
    Fdflags,
    Rights,
    Signal,
)
from kernel.file import NullFile, PipeWriteFile
from kernel.pipe import PIPE_BUF

if TYPE_CHECKING:
    from kernel.proc import Kernel, Process

log = logging.getLogger("wasios.kernel")
#: The largest message a guest's channel may send (reads and writes are capped far lower).
MAX_MESSAGE = 64 << 20
#: Exit status when a process ends without a word: its worker died of an unknown cause.
LOST_STATUS = 128 + int(Signal.KILL)
FD_WRITE = [s.name for s in SIGNATURES].index("fd_write")
#: Exit status of a module that could not start (link error, ...), as wasmtime gives.
START_ERROR_STATUS = 1


def _root() -> str:
    """The directory that holds the `procs` package: the worker's import root."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --- workers ---------------------------------------------------------------------------------


@dataclass(eq=False)
class Worker:
    popen: subprocess.Popen
    control: socket.socket
    hosted: set[int] = field(default_factory=set)
    buffer: bytearray = field(default_factory=bytearray)
    dead: bool = False
    #: Set while a kernel watches this worker's control socket.
    watched: bool = False
    lock: trio.Lock | None = None

    async def send(self, msg: list[Any], fds: list[int] | None = None) -> None:
        """Send one control message (a spawn carries the module: it may take a while)."""
        payload = msgpack.packb(msg, use_bin_type=True)
        header = CONTROL_HEADER.pack(len(payload))
        sock = trio.socket.from_stdlib_socket(self.control)
        if self.lock is None:
            self.lock = trio.Lock()
        async with self.lock:
            if fds:
                anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]
                sent = await sock.sendmsg([header], anc)
            else:
                sent = 0
            data = memoryview(header + payload)[sent:]
            while data:
                data = data[await sock.send(data) :]

    def messages(self) -> list[list[Any]]:
        """Complete control messages in the buffer."""
        out = []
        while len(self.buffer) >= CONTROL_HEADER.size:
            (n,) = CONTROL_HEADER.unpack_from(self.buffer)
            if len(self.buffer) < CONTROL_HEADER.size + n:
                break
            out.append(
                msgpack.unpackb(bytes(self.buffer[CONTROL_HEADER.size : CONTROL_HEADER.size + n]))
            )
            del self.buffer[: CONTROL_HEADER.size + n]
        return out

    def kill(self) -> None:
        if self.popen.poll() is None:
            try:
                self.popen.kill()
            except OSError:
                pass

    def status_of_death(self) -> int:
        """128 + the signal that ended the worker (its exit code if it exited on its own)."""
        try:
            rc = self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = self.popen.wait()
        if rc < 0:
            return 128 - rc
        return rc if rc else LOST_STATUS


class WorkerPool:
    """Warm, idle workers shared by every kernel of this Python process."""

    def __init__(self, idle: int = 1) -> None:
        self.idle_target = idle
        self.idle: list[Worker] = []

    def start(self) -> Worker:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = dict(os.environ)
        root = _root()
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        popen = subprocess.Popen(
            [sys.executable, "-m", "procs.worker", str(child.fileno())],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            env=env,
            cwd=root,
        )
        child.close()
        return Worker(popen, parent)

    def take(self) -> Worker:
        while self.idle:
            w = self.idle.pop()
            if w.popen.poll() is None and not w.dead:
                self.refill()
                return w
            w.control.close()
        w = self.start()
        self.refill()
        return w

    def refill(self) -> None:
        while len(self.idle) < self.idle_target:
            self.idle.append(self.start())

    def give_back(self, w: Worker) -> None:
        if w.dead or w.hosted or w.popen.poll() is not None:
            return
        if len(self.idle) < self.idle_target + 1:
            self.idle.append(w)
        else:
            retire(w)

    def shutdown(self) -> None:
        for w in self.idle:
            retire(w)
        self.idle.clear()


def retire(w: Worker) -> None:
    """Close the control socket: the worker sees EOF and ends."""
    w.dead = True
    try:
        w.control.close()
    except OSError:
        pass


POOL = WorkerPool()


# --- the kernel side of processes ----------------------------------------------------------


def _name(proc: Process) -> str:
    return os.path.basename(proc.argv[0]) if proc.argv and proc.argv[0] else f"pid {proc.pid}"


def _close(sock: socket.socket) -> None:
    """Close a socket a task may be waiting on (the waiter gets ClosedResourceError)."""
    if sock.fileno() >= 0:
        trio.lowlevel.notify_closing(sock)
        sock.close()


def _coalesce(batch: list[Any]) -> list[tuple[int, bytes]]:
    """Join consecutive writes to the same fd into chunks of at most PIPE_BUF bytes (a
    write larger than that stays alone)."""
    out: list[tuple[int, bytes]] = []
    cur_fd, parts, size = None, [], 0
    for fd, bufs in batch:
        data = b"".join(bufs) if len(bufs) != 1 else bufs[0]
        if fd == cur_fd and size + len(data) <= PIPE_BUF:
            parts.append(data)
            size += len(data)
            continue
        if parts:
            out.append((cur_fd, b"".join(parts)))  # type: ignore[arg-type]
        cur_fd, parts, size = fd, [data], len(data)
    if parts:
        out.append((cur_fd, b"".join(parts)))  # type: ignore[arg-type]
    return out


def row_of(number: int, customs: list[syscalls.Syscall]) -> tuple[str, syscalls.Syscall] | None:
    """(import module, table row) of a wire call number."""
    if 0 <= number < len(SIGNATURES):
        return PREVIEW1, syscalls.TABLE[SIGNATURES[number].name]
    if UNSTABLE_BASE <= number < UNSTABLE_BASE + len(SIGNATURES):
        return UNSTABLE, syscalls.TABLE[SIGNATURES[number - UNSTABLE_BASE].name]
    k = number - CUSTOM_BASE
    if 0 <= k < len(customs):
        return customs[k].module, customs[k]
    return None


def grants_credit(proc: Process, fd: int) -> bool:
    """May later writes to ``fd`` go without waiting for a reply?

    Only where a write cannot fail for a reason the guest must see at once: a blocking
    pipe or terminal (its one failure, PIPE, is delivered on the next write) or a sink.
    """
    entry = proc.fds.entries.get(fd)
    if entry is None or not entry.rights_base & Rights.FD_WRITE:
        return False
    f = entry.file
    return isinstance(f, PipeWriteFile | NullFile) and not f.fdflags & Fdflags.NONBLOCK


@dataclass
class Image:
    """What a process runs: module bytes and how to enter it."""

    module: bytes
    name: str = "module"
    jit: str | None = None
    invoke: str | None = None
    invoke_args: list[str] = field(default_factory=list)


class Host:
    """Runs Wasm processes of one kernel in workers; lives inside the kernel's nursery."""

    def __init__(
        self,
        kernel: Kernel,
        nursery: trio.Nursery,
        *,
        pool: WorkerPool = POOL,
        procs_per_worker: int = 1,
        tracer: Any = None,
    ) -> None:
        self.kernel = kernel
        self.nursery = nursery
        self.pool = pool
        self.procs_per_worker = procs_per_worker
        self.tracer = tracer
        self.shared: Worker | None = None
        self.workers: dict[int, Worker] = {}  # pid → worker

    def _worker(self) -> Worker:
        if self.procs_per_worker > 1:
            w = self.shared
            if w is None or w.dead or len(w.hosted) >= self.procs_per_worker:
                w = self.shared = self.pool.take()
        else:
            w = self.pool.take()
        if not w.watched:
            w.watched = True
            w.lock = trio.Lock()
            self.nursery.start_soon(self._watch, w)
        return w

    async def start(self, proc: Process, image: Image) -> None:
        """Start ``proc`` (already in the process table) running ``image`` in a worker."""
        customs = list(syscalls.CUSTOM.values())
        cached = {}
        for number, (_, row) in enumerate(zip(SIGNATURES, syscalls.TABLE.values(), strict=True)):
            if row.cacheable:
                errno, results = await syscalls.dispatch(proc, row.name, [])
                if errno == 0:
                    cached[number] = results
                    cached[UNSTABLE_BASE + number] = results
        spec = {
            "module": image.module,
            "name": image.name,
            "jit": image.jit,
            "invoke": image.invoke,
            "invoke_args": image.invoke_args,
            "cached": list(cached.items()),
            "deterministic": self.kernel.clock.deterministic,
            "customs": [
                [CUSTOM_BASE + k, row.module, row.name, list(row.kinds), list(row.result_types)]
                for k, row in enumerate(customs)
            ],
        }
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        w = self._worker()
        try:
            await w.send(["spawn", proc.pid, spec], [theirs.fileno()])
        except (OSError, trio.ClosedResourceError):
            w.dead = True
            theirs.close()
            ours.close()
            self.kernel.exit(proc, LOST_STATUS)
            return
        theirs.close()
        w.hosted.add(proc.pid)
        self.workers[proc.pid] = w
        ours.setblocking(False)
        chan = ours
        proc.on_exit.append(lambda status: self._stop(proc, w, chan))
        if self.tracer is not None:
            self.tracer.event(proc.pid, "spawned " + " ".join(proc.argv))
        self.nursery.start_soon(self.serve_channel, proc, chan, customs)

    def _stop(self, proc: Process, w: Worker, chan: socket.socket) -> None:
        """The kernel ended ``proc`` (a kill): stop its guest where it runs."""
        if w.dead:
            return
        if len(w.hosted) <= 1:
            w.dead = True
            w.kill()
        else:
            self.nursery.start_soon(self._send_kill, w, proc.pid)
        _close(chan)

    async def _send_kill(self, w: Worker, pid: int) -> None:
        try:
            await w.send(["kill", pid])
        except (OSError, trio.ClosedResourceError):
            pass

    async def _watch(self, w: Worker) -> None:
        """Read the worker's control messages; its EOF means it died."""
        sock = trio.socket.from_stdlib_socket(w.control)
        try:
            while True:
                try:
                    data = await sock.recv(65536)
                except (OSError, trio.ClosedResourceError):
                    data = b""
                if not data:
                    break
                w.buffer += data
                for msg in w.messages():
                    if msg and msg[0] == "done":
                        w.hosted.discard(msg[1])
                        self.workers.pop(msg[1], None)
                        if not w.hosted and self.procs_per_worker == 1 and not w.dead:
                            w.watched = False
                            self.pool.give_back(w)
                            return
        except trio.Cancelled:
            w.watched = False
            if not w.hosted and not w.dead:
                self.pool.give_back(w)
            raise
        # the worker is gone
        w.dead = True
        status = await trio.to_thread.run_sync(w.status_of_death)
        for pid in list(w.hosted):
            proc = self.kernel.procs.get(pid)
            if proc is not None and proc.running:
                if self.tracer is not None:
                    self.tracer.event(pid, f"worker died: ended with status {status}")
                self.kernel.exit(proc, status)
        w.hosted.clear()

    async def serve_channel(
        self, proc: Process, chan: socket.socket, customs: list[syscalls.Syscall]
    ) -> None:
        """Answer one process's requests, in order, until its channel closes.

        The socket is used directly — try the call, wait for readiness only when it
        would block — rather than through trio's socket wrapper, whose every call is
        also a scheduling point: that halves the cost of a round trip.
        """
        kernel = self.kernel
        unpacker = msgpack.Unpacker(raw=False, max_buffer_size=MAX_MESSAGE)
        pack = msgpack.Packer(use_bin_type=True).pack
        wait_readable, wait_writable = trio.lowlevel.wait_readable, trio.lowlevel.wait_writable

        peer_gone = False
        revoked: set[int] = set()  # fds told about already (until credit is granted again)

        async def send(msg: list[Any]) -> None:
            # A worker that stopped reading (its guest exited) must not stop us reading
            # what it sent before: the exit itself may still be queued.
            nonlocal peer_gone
            if peer_gone:
                return
            data = memoryview(pack(msg))
            try:
                while data:
                    try:
                        data = data[chan.send(data) :]
                    except BlockingIOError:
                        await wait_writable(chan)
            except (OSError, trio.ClosedResourceError):
                peer_gone = True

        try:
            with proc.syscall_scope():  # a kill cancels whatever call is waiting
                while True:
                    try:
                        data = chan.recv(1 << 18)
                    except BlockingIOError:
                        try:
                            await wait_readable(chan)
                        except trio.ClosedResourceError:
                            break  # killed: the channel was closed under us
                        continue
                    except OSError:
                        break
                    if not data:
                        break
                    unpacker.feed(data)
                    for msg in unpacker:
                        kind = msg[0]
                        if kind == MSG_CALL or kind == MSG_SEND:
                            reply = await self._syscall(proc, msg[1], msg[2], customs)
                            if kind == MSG_CALL:
                                if len(reply) > 2 and msg[1] == FD_WRITE:
                                    revoked.discard(msg[2][0])
                                await send(reply)
                            elif reply[0] and msg[1] == FD_WRITE and msg[2][0] not in revoked:
                                revoked.add(msg[2][0])
                                await send([MSG_REVOKE, msg[2][0], reply[0]])
                        elif kind == MSG_WRITES:
                            for fd, errno in await self._writes(proc, msg[1]):
                                if fd not in revoked:
                                    revoked.add(fd)
                                    await send([MSG_REVOKE, fd, errno])
                        elif kind == MSG_CPU:
                            proc.cpu_time_ns = int(msg[1])
                        elif kind == MSG_TRAP:  # named: in a pipeline, which one trapped?
                            await kernel.trap(proc, f"wasios: error: {_name(proc)}: {msg[1]}")
                        elif kind == MSG_ERROR:
                            status = START_ERROR_STATUS
                            await kernel.trap(proc, f"wasios: error: {msg[1]}", status=status)
        except (msgpack.UnpackException, ValueError, TypeError, IndexError) as e:
            log.error("pid %d: malformed message from its worker: %s", proc.pid, e)
        finally:
            if proc.running:
                # the channel closed without an exit: the worker died; its watcher knows how
                with trio.move_on_after(5):
                    await proc.exited.wait()
                kernel.exit(proc, LOST_STATUS)
            _close(chan)
            if self.tracer is not None:
                self.tracer.event(proc.pid, f"exited with {proc.exit_status}")

    async def _writes(self, proc: Process, batch: list[Any]) -> list[tuple[int, int]]:
        """A batch of fd_writes made under credit → the (fd, errno) of those that failed.

        Consecutive small writes to one fd go to the file together, up to PIPE_BUF bytes:
        a pipe takes that at once, so each write stays atomic (no other writer's bytes
        land inside it). Traced, each write is its own call, as the guest made it.
        """
        failed = []
        if self.tracer is not None:
            for fd, bufs in batch:
                reply = await self._syscall(proc, FD_WRITE, [fd, bufs], [])
                if reply[0]:
                    failed.append((fd, reply[0]))
            return failed
        for fd, data in _coalesce(batch):
            errno, _ = await syscalls.dispatch(proc, "fd_write", [fd, [data]], scoped=False)
            if errno:
                failed.append((fd, errno))
        return failed

    async def _syscall(
        self, proc: Process, number: int, args: Any, customs: list[syscalls.Syscall]
    ) -> list[Any]:
        """One request → its reply: [errno, results] (+ CREDIT, or a custom call's writes)."""
        found = row_of(number, customs)
        if found is None:
            return [int(Errno.NOSYS), []]
        module, row = found
        tracer = self.tracer
        t0 = time.perf_counter_ns() if tracer is not None else 0
        if row.custom:
            reply = await syscalls.dispatch_custom(proc, row, args)
        else:
            reply = list(await syscalls.dispatch(proc, row.name, args, module=module, scoped=False))
            if number == FD_WRITE and not reply[0] and grants_credit(proc, args[0]):
                reply.append(CREDIT)
        if tracer is not None:
            elapsed = time.perf_counter_ns() - t0
            tracer.syscall(proc.pid, module, row, args, reply[0], reply[1], elapsed)
        return reply
