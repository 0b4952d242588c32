"""A worker OS process: it hosts Wasm processes, each on its own thread (DESIGN.md §3).

The kernel starts it as ``python -m procs.worker FD``; FD is the worker's end of its
control socket. On that socket (each message a 4-byte length and a msgpack array):

  kernel → worker  ["spawn", pid, spec]  with the process's channel socket attached
                                         (SCM_RIGHTS); spec is described in `run_process`
                   ["kill", pid]         stop that process's thread now
  worker → kernel  ["ready"]             imports done, spawns are cheap from here on
                   ["done", pid]         the process's thread has finished

Everything a process says goes over its own channel (procs/channel.py), so the kernel
learns its exit, trap or start-up error there. When the control socket closes — the
kernel is gone — the worker ends. The worker only ever runs validated Wasm and the
stubs; a guest cannot reach its Python (DESIGN.md §4).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from typing import Any

import msgpack

from kernel import abi
from kernel.abi import CONTROL_HEADER, MSG_CPU, MSG_ERROR, MSG_TRAP, PREVIEW1, UNSTABLE
from procs.channel import Channel, ChannelClosed
from procs.wasi import Flusher, Guest, HostError, ProcExit, build_custom_stub, build_stub
from procs.wasm.api import Instance, Module
from procs.wasm.errors import Exhaustion, LinkError, Trap, WasmError
from procs.wasm.runtime import HostFunction

log = logging.getLogger("wasios.worker")
MAX_CONTROL = 1 << 30


class Killed(BaseException):
    """Raised asynchronously in a process's thread by a kill."""


# --- framing of the control socket (shared with the kernel's side) -----------------------


def send_control(sock: socket.socket, msg: list[Any], fds: list[int] = ()) -> None:  # type: ignore[assignment]
    payload = msgpack.packb(msg, use_bin_type=True)
    header = CONTROL_HEADER.pack(len(payload))
    if fds:
        socket.send_fds(sock, [header], list(fds))
    else:
        sock.sendall(header)
    sock.sendall(payload)


def recv_exact(sock: socket.socket, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise EOFError
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def recv_control(sock: socket.socket) -> tuple[list[Any], list[int]]:
    header, fds, _, _ = socket.recv_fds(sock, CONTROL_HEADER.size, 4)
    if not header:
        raise EOFError
    if len(header) < CONTROL_HEADER.size:
        header += recv_exact(sock, CONTROL_HEADER.size - len(header))
    (n,) = CONTROL_HEADER.unpack(header)
    if n > MAX_CONTROL:
        raise EOFError
    msg = msgpack.unpackb(recv_exact(sock, n), raw=False)
    return msg, fds


# --- one Wasm process ------------------------------------------------------------------------

_modules: dict[str, Module] = {}
_modules_lock = threading.Lock()


def load_module(raw: bytes, name: str) -> Module:
    """Decode and validate once per worker; the on-disk cache makes a cold worker fast too."""
    key = hashlib.sha256(raw).hexdigest()
    with _modules_lock:
        m = _modules.get(key)
    if m is None:
        m = Module(raw, name=name)
        with _modules_lock:
            _modules[key] = m
    return m


def build_imports(module: Module, guest: Guest, customs: list[list[Any]]) -> dict[str, dict]:
    """The WASI stubs and custom syscalls this module imports (others stay unresolved, so
    instantiation names the first missing one)."""
    by_label = {(c[1], c[2]): c for c in customs}
    ns: dict[str, dict[str, Any]] = {}
    data = module._module
    for imp in data.imports:
        if imp.kind != 0:  # only functions are provided
            continue
        ft = data.types[imp.desc]
        custom = by_label.get((imp.module, imp.name))
        if custom is not None:
            number, _, _, kinds, result_types = custom
            fn = build_custom_stub(guest, number, f"{imp.module}::{imp.name}", kinds, result_types)
        elif (
            imp.module in (PREVIEW1, UNSTABLE) and abi.call_number(imp.module, imp.name) is not None
        ):
            fn = build_stub(guest, imp.module, imp.name)
        else:
            continue
        ns.setdefault(imp.module, {})[imp.name] = HostFunction(
            ft, fn, wants_caller=True, name=f"{imp.module}::{imp.name}"
        )
    return ns


def _check_wasi_types(module: Module) -> None:
    """A WASI import must have the type the ABI gives it, or the stub would misread it."""
    from procs.wasm.module import I32, I64

    data = module._module
    for imp in data.imports:
        if imp.kind != 0 or imp.module not in (PREVIEW1, UNSTABLE):
            continue
        sig = abi.BY_NAME.get(imp.name)
        if sig is None:
            continue
        ft = data.types[imp.desc]
        want_params = tuple(I64 if p.wasm == "i64" else I32 for p in sig.params)
        want_results = (I32,) if sig.returns_errno else ()
        if tuple(ft.params) != want_params or tuple(ft.results) != want_results:
            raise LinkError(
                f"incompatible import type for `{imp.module}::{imp.name}`: "
                "it does not match the WASI signature"
            )


def _needs_memory(module: Module) -> bool:
    return any(i.kind == 0 and i.module in (PREVIEW1, UNSTABLE) for i in module._module.imports)


_flusher: Flusher | None = None


def run_process(pid: int, spec: dict[str, Any], sock: socket.socket) -> None:
    """Run one process to its end and tell the kernel how it ended.

    spec: ``module`` (bytes), ``name`` (for messages), ``jit`` (None or a mode),
    ``invoke`` (None: run ``_start``; else an export to call with ``invoke_args`` and
    print the results on stdout, as ``wasmtime run --invoke``), ``cached`` ({call
    number: results} the worker answers itself), ``customs`` ([[number, module, name,
    param kinds, result types]]).
    """
    global _flusher
    if _flusher is None:
        _flusher = Flusher()
    chan = Channel(sock)
    cached = {int(k): v for k, v in spec.get("cached") or []}
    guest = Guest(chan, cached, _flusher)
    guest.local_cpu_clock = not spec.get("deterministic")
    exit_number = abi.call_number(PREVIEW1, "proc_exit")
    try:
        module = load_module(spec["module"], spec.get("name") or "module")
        _check_wasi_types(module)
        imports = build_imports(module, guest, spec.get("customs") or [])
        if _needs_memory(module) and dict(module.exports).get("memory") != "memory":
            raise LinkError("missing required memory export")
        inst = Instance(module, imports, jit=spec.get("jit"))
        _enter(inst, module, spec, guest)
        _cpu_report(guest)
        guest.send_nowait(exit_number, [0])
    except ProcExit:
        pass
    except (Killed, ChannelClosed):
        pass
    except Exhaustion as e:
        _last(guest, MSG_TRAP, str(e))
    except Trap as e:
        _last(guest, MSG_TRAP, f"wasm trap: {e}")
    except HostError as e:
        _last(guest, MSG_TRAP, f"host function failed: {e}")
    except WasmError as e:
        _last(guest, MSG_ERROR, str(e))
    except RecursionError:
        _last(guest, MSG_TRAP, "call stack exhausted")
    except MemoryError:
        _last(guest, MSG_TRAP, "out of memory")
    except Exception as e:  # a worker bug: report it as a trap, keep the worker alive
        log.exception("worker bug in pid %d", pid)
        _last(guest, MSG_TRAP, f"internal error: {type(e).__name__}: {e}")
    finally:
        with guest.lock:
            chan.close()


def _cpu_report(guest: Guest) -> None:
    """Tell the kernel the guest's CPU time (for `ps`, `time`, and the kernel's clocks)."""
    try:
        guest.chan.send([MSG_CPU, time.thread_time_ns()])
    except ChannelClosed:
        pass


def _enter(inst: Instance, module: Module, spec: dict[str, Any], guest: Guest) -> None:
    from procs.values import format_results, parse_args_for

    exports = dict(module.exports)
    name = spec.get("invoke")
    if name is None:
        if exports.get("_initialize") == "func" and exports.get("_start") != "func":
            inst.exports["_initialize"]()
            return
        for candidate in ("_start", ""):
            if exports.get(candidate) == "func":
                name = candidate
                break
        else:
            raise WasmError("the module exports no `_start` function; use --invoke NAME")
        inst.exports[name]()
        return
    if exports.get("_initialize") == "func":
        inst.exports["_initialize"]()
    f = inst.exports.get(name)
    if f is None or not hasattr(f, "call_raw"):
        raise WasmError(f"failed to find function export `{name}`")
    try:
        raw_args = parse_args_for(f.type, spec.get("invoke_args") or [], name)
    except ValueError as e:
        raise WasmError(str(e)) from None
    out = format_results(f.type, f.call_raw(*raw_args))
    if out:
        number = abi.call_number(PREVIEW1, "fd_write")
        guest.call(number, [1, [(out + "\n").encode()]])


def _last(guest: Guest, kind: int, message: str) -> None:
    """The process's last word, after what it wrote (a trap message follows its output)."""
    try:
        with guest.lock:
            guest._flush()
            _cpu_report(guest)
            guest.chan.send([kind, message])
    except ChannelClosed:
        pass


# --- the worker's main loop ------------------------------------------------------------------


class Worker:
    def __init__(self, control: socket.socket) -> None:
        self.control = control
        self.threads: dict[int, threading.Thread] = {}
        self.send_lock = threading.Lock()

    def send(self, msg: list[Any]) -> None:
        with self.send_lock:
            try:
                send_control(self.control, msg)
            except OSError:
                pass

    def spawn(self, pid: int, spec: dict[str, Any], fd: int) -> None:
        sock = socket.socket(fileno=fd)

        def body() -> None:
            try:
                run_process(pid, spec, sock)
            except BaseException:  # Killed arriving late, after run_process's handlers
                pass
            finally:
                self.threads.pop(pid, None)
                self.send(["done", pid])

        t = threading.Thread(target=body, name=f"wasm-{pid}", daemon=True)
        self.threads[pid] = t
        t.start()

    def kill(self, pid: int) -> None:
        t = self.threads.get(pid)
        if t is None or t.ident is None:
            return
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(t.ident), ctypes.py_object(Killed)
        )

    def serve(self) -> None:
        self.send(["ready"])
        while True:
            try:
                msg, fds = recv_control(self.control)
            except (EOFError, OSError):
                return
            except Exception:  # a malformed control message: the kernel has a bug
                log.exception("worker: bad control message")
                return
            if msg[0] == "spawn" and fds:
                self.spawn(msg[1], msg[2], fds[0])
                for extra in fds[1:]:
                    os.close(extra)
            elif msg[0] == "kill":
                self.kill(msg[1])
            else:
                for fd in fds:
                    os.close(fd)


def main(argv: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the kernel's to act on
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 30_000))
    threading.stack_size(256 << 20)  # deep guest recursion in translated code
    control = socket.socket(fileno=int(argv[1]))
    control.setblocking(True)
    Worker(control).serve()
    os._exit(0)  # threads of killed processes may linger: do not wait for them


if __name__ == "__main__":
    main(sys.argv)
