"""The `wasios` command: run --invoke, inspect, wast, and its one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import wasmtime

REPO = Path(__file__).resolve().parents[2]
FIB = REPO / "userland" / "examples" / "fib.wat"


def wasios(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wasios", *args],
        capture_output=True,
        input=stdin,
        cwd=REPO,
        timeout=120,
        env=env,
    )


def test_run_invoke_prints_results():
    r = wasios("run", "--invoke", "fib", str(FIB), "20")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"6765\n"


def test_run_invoke_parses_typed_args(tmp_path):
    wat = tmp_path / "m.wat"
    wat.write_text(
        """(module
          (func (export "f") (param i64 f32 f64) (result i64 f64)
            local.get 0 (f64.add (f64.promote_f32 (local.get 1)) (local.get 2))))"""
    )
    r = wasios("run", "--invoke", "f", str(wat), "-9", "1.5", "0x1p-1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [b"-9", b"2.0"]


def test_run_module_from_stdin():
    r = wasios("run", "--invoke", "fib", "-", "10", stdin=wasmtime.wat2wasm(FIB.read_text()))
    assert (r.returncode, r.stdout) == (0, b"55\n")


def test_trap_exits_134_with_one_line(tmp_path):
    wat = tmp_path / "t.wat"
    wat.write_text('(module (func $boom (export "f") unreachable))')
    r = wasios("run", "--invoke", "f", str(wat))
    assert r.returncode == 134
    lines = r.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "unreachable" in lines[0] and "boom" in lines[0]


def test_bad_inputs_give_one_line_errors(tmp_path):
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"\0asm\2\0\0\0")
    cases = [
        ("run", "--invoke", "fib", str(FIB)),  # missing argument
        ("run", "--invoke", "fib", str(FIB), "abc"),  # not a number
        ("run", "--invoke", "nope", str(FIB)),  # no such export
        ("run", "--invoke", "f", str(bad)),  # malformed
        ("run", "--invoke", "f", str(tmp_path / "missing.wasm")),
        ("inspect", str(bad)),
    ]
    for args in cases:
        r = wasios(*args)
        assert r.returncode == 1, (args, r.stderr)
        err = r.stderr.decode().strip()
        assert err.startswith("wasios: error:") and "\n" not in err, (args, err)
        assert "Traceback" not in err


def test_unknown_import_message(tmp_path):
    wat = tmp_path / "i.wat"
    wat.write_text('(module (import "env" "exit" (func)) (func (export "f")))')
    r = wasios("run", "--invoke", "f", str(wat))
    assert r.returncode == 1
    assert "unknown import: `env::exit` has not been defined" in r.stderr.decode()


def test_inspect_wat_and_wasm(tmp_path):
    wasm = tmp_path / "fib.wasm"
    wasm.write_bytes(wasmtime.wat2wasm(FIB.read_text()))
    for f in (FIB, wasm):
        r = wasios("inspect", str(f))
        assert r.returncode == 0, r.stderr
        out = r.stdout.decode()
        assert "fib" in out and "i32" in out


def test_wast_command(tmp_path):
    script = tmp_path / "s.wast"
    script.write_text(
        '(module (func (export "id") (param i32) (result i32) local.get 0))\n'
        '(assert_return (invoke "id" (i32.const 7)) (i32.const 7))\n'
        '(assert_return (invoke "id" (i32.const 7)) (i32.const 8))\n'
    )
    r = wasios("wast", str(script))
    assert r.returncode == 1
    assert b"2 passed, 1 failed" in r.stdout  # the module counts as one check


def _has_jit_source() -> bool:
    try:
        import procs.wasm.jit as jit
    except ModuleNotFoundError:
        return False
    return hasattr(jit, "function_source")


def test_inspect_jit_prints_the_generated_python(tmp_path):
    binary = wasmtime.wat2wasm(
        '(module (import "env" "f" (func))'
        ' (func $XXXXXXXXXXXX (export "sq") (param i32) (result i32)'
        " (i32.mul (local.get 0) (local.get 0))))"
    )
    hostile = b'"""\nimport;)'  # a name-section name that must not reach the source
    assert len(hostile) == 12 and binary.count(b"X" * 12) == 1
    wasm = tmp_path / "h.wasm"
    wasm.write_bytes(binary.replace(b"X" * 12, hostile))
    if not _has_jit_source():  # the JIT has not landed: a clean one-line error
        r = wasios("inspect", "--jit", str(wasm), "sq")
        assert r.returncode == 1 and b"JIT" in r.stderr and b"Traceback" not in r.stderr
        return
    for spec in ("1", "sq", hostile.decode()):
        r = wasios("inspect", "--jit", str(wasm), spec)
        assert r.returncode == 0, (spec, r.stderr)
        source = r.stdout.decode()
        compile(source, "<jit>", "exec")  # it is Python
        assert "import;)" not in source and '"""' not in source  # no text from the module


def test_inspect_jit_errors_are_one_line(tmp_path):
    wat = tmp_path / "i.wat"
    wat.write_text('(module (import "env" "f" (func)) (func $g (export "g")))')
    cases = [
        ("inspect", "--jit", str(wat)),  # no function
        ("inspect", "--jit", str(wat), "nope"),  # no such name
        ("inspect", "--jit", str(wat), "7"),  # no such index
        ("inspect", str(wat), "g"),  # a function without --jit
    ]
    if _has_jit_source():
        cases.append(("inspect", "--jit", str(wat), "0"))  # an import has no code
    for args in cases:
        r = wasios(*args)
        assert r.returncode == 1, (args, r.stderr)
        err = r.stderr.decode().strip()
        assert err.startswith("wasios: error:") and "\n" not in err, (args, err)


# --- WASI programs ---------------------------------------------------------------------------

PROGRAMS = REPO / "tests" / "programs"
CAT_FILE = """(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "f.txt")
  ;; open f.txt in the first preopen (fd 3), copy it to stdout; exit with the errno
  (func (export "_start") (local $e i32)
    (local.set $e (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 5)
      (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 200)))
    (if (local.get $e) (then (call $exit (local.get $e))))
    (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 1000))
    (drop (call $read (i32.load (i32.const 200)) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 4) (i32.load (i32.const 8)))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"""


def test_run_wasi_program_exit_status_and_output(tmp_path):
    from tests.kernel.programs import HELLO

    (tmp_path / "hello.wat").write_bytes(HELLO)
    r = wasios("run", str(tmp_path / "hello.wat"))
    assert (r.returncode, r.stdout, r.stderr) == (3, b"hello world\n", b"")
    r = wasios("run", "-", stdin=HELLO)  # the module on stdin
    assert (r.returncode, r.stdout) == (3, b"hello world\n")


def test_run_argv0_env_and_inherit_env(tmp_path):
    env_prog = str(PROGRAMS / "envargs.wasm")
    r = wasios("run", "--env", "A=1", "--env", "PATH", "--argv0", "me", env_prog, "x")
    out = r.stdout.decode()
    assert "argv[0]: [me]" in out and "argv[1]: [x]" in out
    assert "environ: [A=1]" in out and "environ: 2 entries" in out  # PATH copied from here
    host_env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "PYTHONPATH")}
    host_env["ONE"] = "1"
    r = wasios("run", "--inherit-env", "--env", "TWO=2", env_prog, env=host_env)
    out = r.stdout.decode()  # (a pyenv shim or Python itself may add variables on the way)
    assert "environ: [ONE=1]" in out and "environ: [TWO=2]" in out
    assert f"environ: [HOME={host_env['HOME']}]" in out


def test_run_dir_gives_a_host_directory(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "f.txt").write_bytes(b"from the host\n")
    prog = tmp_path / "catf.wat"
    prog.write_text(CAT_FILE)
    r = wasios("run", "--dir", f"{tmp_path / 'data'}::/d", str(prog))
    assert (r.returncode, r.stdout) == (0, b"from the host\n"), r.stderr
    r = wasios("run", "--mapdir", f"/d::{tmp_path / 'data'}", str(prog))  # older spelling
    assert (r.returncode, r.stdout) == (0, b"from the host\n"), r.stderr
    r = wasios("run", str(prog))  # no --dir: no preopen, fd 3 is not open
    assert r.returncode == 8  # BADF
    r = wasios("run", "--dir", f"{tmp_path / 'nope'}", str(prog))
    assert r.returncode == 1 and r.stderr.count(b"\n") == 1 and b"not a directory" in r.stderr


def test_strace_lines_and_summary(tmp_path):
    from tests.kernel.programs import HELLO

    (tmp_path / "hello.wat").write_bytes(HELLO)
    trace = tmp_path / "trace.txt"
    r = wasios("run", "--strace-file", str(trace), "--strace-summary", str(tmp_path / "hello.wat"))
    assert r.returncode == 3 and r.stdout == b"hello world\n"
    lines = trace.read_text().splitlines()
    assert '[pid 1] fd_write(fd=1, iovs=["hello world\\n"]) = 0 (nwritten=12)' in lines
    assert "[pid 1] proc_exit(rval=3) = ?" in lines
    assert r.stderr == b""  # everything went to the file, the summary table too
    assert lines[-1].split()[-1] == "total" and lines[-1].split()[3] == "2"
    r = wasios("run", "--strace-summary", str(tmp_path / "hello.wat"))
    table = r.stderr.decode().splitlines()
    assert table[0].split()[-1] == "syscall" and any(t.endswith(" fd_write") for t in table)


def test_output_can_be_piped_into_a_host_program(tmp_path):
    from tests.kernel.programs import YES

    (tmp_path / "yes.wat").write_bytes(YES)
    p = subprocess.run(
        f"{sys.executable} -m wasios run {tmp_path / 'yes.wat'} | head -c 6",
        shell=True,
        capture_output=True,
        cwd=REPO,
        timeout=120,
    )
    assert p.stdout == b"y\ny\ny\n"


def test_ctrl_c_ends_a_run_quietly(tmp_path):
    import signal
    import time

    from tests.kernel.programs import PRINT_THEN_SPIN

    (tmp_path / "spin.wat").write_bytes(PRINT_THEN_SPIN)
    p = subprocess.Popen(
        [sys.executable, "-m", "wasios", "run", str(tmp_path / "spin.wat")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    assert p.stdout is not None
    assert p.stdout.readline() == b"started\n"  # it is running the guest now
    time.sleep(0.1)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130
    assert b"Traceback" not in err


ISATTY = """(module
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $stat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  ;; exit status: fd 1's filetype, + 100 if it may seek or tell (wasi-libc's isatty test)
  (func (export "_start")
    (drop (call $stat (i32.const 1) (i32.const 64)))
    (call $exit (i32.add (i32.load8_u (i32.const 64))
      (select (i32.const 100) (i32.const 0)
        (i64.ne (i64.and (i64.load (i32.const 72)) (i64.const 36)) (i64.const 0)))))))"""


def test_stdout_is_a_tty_only_on_a_terminal(tmp_path):
    import pty

    prog = tmp_path / "isatty.wat"
    prog.write_text(ISATTY)
    r = wasios("run", str(prog))  # stdout is a pipe: not a character device
    assert r.returncode == 0
    master, slave = pty.openpty()
    try:
        p = subprocess.run(
            [sys.executable, "-m", "wasios", "run", str(prog)],
            stdout=slave,
            stderr=subprocess.PIPE,
            cwd=REPO,
            timeout=120,
        )
    finally:
        os.close(slave)
        os.close(master)
    assert p.returncode == 2, p.stderr  # CHARACTER_DEVICE, no seek/tell rights


def test_host_stdin_reaches_the_program_and_eof_ends_it(tmp_path):
    from tests.kernel.programs import CAT

    (tmp_path / "cat.wat").write_bytes(CAT)
    data = os.urandom(300_000)
    r = wasios("run", str(tmp_path / "cat.wat"), stdin=data)
    assert (r.returncode, r.stdout == data) == (0, True)
