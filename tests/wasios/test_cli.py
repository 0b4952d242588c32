"""The `wasios` command: run --invoke, inspect, wast, and its one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import wasmtime

REPO = Path(__file__).resolve().parents[2]
FIB = REPO / "userland" / "examples" / "fib.wat"


def wasios(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wasios", *args],
        capture_output=True,
        input=stdin,
        cwd=REPO,
        timeout=120,
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
