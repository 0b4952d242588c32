"""Small WASI programs in WAT for the kernel's end-to-end tests (no compiler needed)."""

from __future__ import annotations

_IMPORTS = """
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv"
    (func $recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send"
    (func $send (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
"""


def _module(body: str) -> bytes:
    return f"(module {_IMPORTS} {body}".encode()  # each body closes the module


#: Prints "hello world\n" and exits with 3.
HELLO = _module("""
  (data (i32.const 16) "hello world\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 12))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (i32.const 3))))
""")

#: Copies stdin to stdout in 4 KiB reads; exits 0 at EOF, 1 on an error.
CAT = _module("""
  (func (export "_start") (local $n i32)
    (i32.store (i32.const 0) (i32.const 1024))
    (loop $more
      (i32.store (i32.const 4) (i32.const 4096))
      (if (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))
        (then (call $exit (i32.const 1))))
      (local.set $n (i32.load (i32.const 8)))
      (if (i32.eqz (local.get $n)) (then (return)))
      (i32.store (i32.const 4) (local.get $n))
      (if (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
        (then (call $exit (i32.const 1))))
      (br $more))))
""")

#: Writes "y\\n" forever; a failed write ends it: PIPE → 141 (SIGPIPE's status), else 1.
YES = _module("""
  (data (i32.const 16) "y\\n")
  (func (export "_start") (local $e i32)
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 2))
    (loop $more
      (local.set $e (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (if (local.get $e)
        (then (call $exit (select (i32.const 141) (i32.const 1)
                                  (i32.eq (local.get $e) (i32.const 64))))))
      (br $more))))
""")

#: Reads one chunk of stdin, writes it to stdout, exits 0 (a `head -c` that stops early).
HEAD_ONCE = _module("""
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 16))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 4) (i32.load (i32.const 8)))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
""")

#: Traps in a function named $boom.
TRAP = _module("""
  (func $boom (unreachable))
  (func (export "_start") (call $boom)))
""")

#: Never ends, never makes a syscall.
SPIN = _module("""
  (func (export "_start") (loop $l (br $l))))
""")

#: Accepts one connection on fd 3, echoes what it receives until EOF, exits 0.
ECHO_SERVER = _module("""
  (func (export "_start") (local $fd i32) (local $n i32)
    (if (call $accept (i32.const 3) (i32.const 0) (i32.const 100))
      (then (call $exit (i32.const 2))))
    (local.set $fd (i32.load (i32.const 100)))
    (i32.store (i32.const 0) (i32.const 1024))
    (loop $more
      (i32.store (i32.const 4) (i32.const 4096))
      (if (call $recv (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 0)
                      (i32.const 8) (i32.const 12))
        (then (call $exit (i32.const 3))))
      (local.set $n (i32.load (i32.const 8)))
      (if (i32.eqz (local.get $n)) (then (return)))
      (i32.store (i32.const 4) (local.get $n))
      (if (call $send (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 8))
        (then (call $exit (i32.const 4))))
      (br $more))))
""")

#: Imports something no kernel provides.
UNKNOWN_IMPORT = b"""(module (import "env" "__original_main" (func))
  (memory (export "memory") 1) (func (export "_start")))"""

#: Calls WASI but keeps its memory to itself.
NO_MEMORY_EXPORT = b"""(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory 1) (func (export "_start") (call $exit (i32.const 0))))"""

#: Prints a line, then computes forever without another syscall.
PRINT_THEN_SPIN = _module("""
  (data (i32.const 16) "started\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 8))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (loop $l (br $l))))
""")
