"""A minimal, test-only WASI (preview1) for driving the engine on real C programs.

Just enough of args, fd_read/fd_write on stdio, fd_fdstat_get, fd_seek, fd_close and
proc_exit to run the benchmark programs through the embedding API and compare with
wasmtime. The real WASI lives in the kernel; this is a test fixture, not a runtime.
"""

from __future__ import annotations

import struct
from typing import Any

import wasios

ESUCCESS, EBADF, ENOSYS, ESPIPE = 0, 8, 52, 70


class ProcExit(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class MiniWasi:
    def __init__(self, args: list[str], stdin: bytes = b"") -> None:
        self.args = [a.encode() + b"\0" for a in args]
        self.stdin = stdin
        self.stdin_pos = 0
        self.stdout = bytearray()
        self.stderr = bytearray()

    def imports(self, module: wasios.Module) -> dict[str, dict[str, Any]]:
        table = {
            "args_sizes_get": self.args_sizes_get,
            "args_get": self.args_get,
            "fd_write": self.fd_write,
            "fd_read": self.fd_read,
            "fd_fdstat_get": self.fd_fdstat_get,
            "fd_seek": self.fd_seek,
            "fd_close": self.fd_close,
            "proc_exit": self.proc_exit,
        }
        ns: dict[str, Any] = {}
        for mod, name, kind in module.imports:
            if mod == "wasi_snapshot_preview1" and kind == "func":
                ns[name] = table.get(name, self.enosys)
        return {"wasi_snapshot_preview1": ns}

    def run(self, module: wasios.Module) -> int:
        inst = wasios.Instance(module, self.imports(module))
        try:
            inst.exports["_start"]()
        except ProcExit as e:
            return e.code
        return 0

    # --- calls --------------------------------------------------------------
    def args_sizes_get(self, caller, argc_ptr, size_ptr):
        caller.memory.write(argc_ptr, struct.pack("<I", len(self.args)))
        caller.memory.write(size_ptr, struct.pack("<I", sum(map(len, self.args))))
        return ESUCCESS

    def args_get(self, caller, argv_ptr, buf_ptr):
        mem = caller.memory
        for i, a in enumerate(self.args):
            mem.write(argv_ptr + 4 * i, struct.pack("<I", buf_ptr))
            mem.write(buf_ptr, a)
            buf_ptr += len(a)
        return ESUCCESS

    def _iovecs(self, mem, iovs, n):
        return [struct.unpack("<II", mem.read(iovs + 8 * i, 8)) for i in range(n)]

    def fd_write(self, caller, fd, iovs, n, nwritten_ptr):
        if fd not in (1, 2):
            return EBADF
        out = self.stdout if fd == 1 else self.stderr
        mem = caller.memory
        total = 0
        for ptr, length in self._iovecs(mem, iovs, n):
            out += mem.read(ptr, length)
            total += length
        mem.write(nwritten_ptr, struct.pack("<I", total))
        return ESUCCESS

    def fd_read(self, caller, fd, iovs, n, nread_ptr):
        if fd != 0:
            return EBADF
        mem = caller.memory
        total = 0
        for ptr, length in self._iovecs(mem, iovs, n):
            chunk = self.stdin[self.stdin_pos : self.stdin_pos + length]
            mem.write(ptr, chunk)
            self.stdin_pos += len(chunk)
            total += len(chunk)
            if len(chunk) < length:
                break
        mem.write(nread_ptr, struct.pack("<I", total))
        return ESUCCESS

    def fd_fdstat_get(self, caller, fd, buf):
        if fd > 2:
            return EBADF
        # filetype character device (2), no flags, all rights.
        caller.memory.write(buf, struct.pack("<BxHxxxxQQ", 2, 0, (1 << 30) - 1, (1 << 30) - 1))
        return ESUCCESS

    def fd_seek(self, caller, fd, offset, whence, newoffset_ptr):
        return ESPIPE

    def fd_close(self, caller, fd):
        return ESUCCESS

    def proc_exit(self, caller, code):
        raise ProcExit(code)

    def enosys(self, *args):
        return ENOSYS
