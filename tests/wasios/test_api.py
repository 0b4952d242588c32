"""The embedding API as a Python user meets it (`import wasios`)."""

from __future__ import annotations

import math
import struct
import subprocess

import pytest
import wasmtime

import wasios

ADD = '(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))'


def test_module_from_text_bytes_and_file(tmp_path):
    from_text = wasios.Module(ADD)
    binary = wasmtime.wat2wasm(ADD)
    from_bytes = wasios.Module(binary)
    path = tmp_path / "add.wasm"
    path.write_bytes(binary)
    from_file = wasios.Module.from_file(path)
    wat_path = tmp_path / "add.wat"
    wat_path.write_text(ADD)
    from_wat_file = wasios.Module.from_file(wat_path)
    for m in (from_text, from_bytes, from_file, from_wat_file):
        assert wasios.Instance(m).exports.add(2, 3) == 5
        assert m.exports == [("add", "func")]


def test_i32_results_are_signed_and_arguments_wrap():
    inst = wasios.Instance(wasios.Module(ADD))
    assert inst.exports["add"](0x7FFFFFFF, 1) == -(2**31)
    assert inst.call("add", 0xFFFFFFFF, 0) == -1
    assert inst.call("add", -1, -1) == -2
    with pytest.raises(ValueError):
        inst.call("add", 2**32, 0)
    with pytest.raises(TypeError):
        inst.call("add", 1)


def test_host_function_reads_and_writes_caller_memory():
    module = wasios.Module(
        """(module
          (import "env" "upper" (func $upper (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 8) "hello")
          (func (export "run") (result i32) (call $upper (i32.const 8) (i32.const 5))))"""
    )
    seen = []

    def upper(caller, ptr, n):
        data = caller.memory.read(ptr, n)
        seen.append(data)
        caller.memory.write(ptr, data.upper())
        return n * 2

    inst = wasios.Instance(module, {"env": {"upper": upper}})
    assert inst.exports.run() == 10
    assert seen == [b"hello"]
    assert inst.exports.memory.read(8, 5) == b"HELLO"
    assert inst.memory.read(8, 5) == b"HELLO"


def test_typed_func_and_multiple_results():
    module = wasios.Module(
        """(module (import "m" "pair" (func $p (param i64) (result i64 i32)))
           (func (export "f") (param i64) (result i64 i32) local.get 0 call $p))"""
    )
    pair = wasios.Func(lambda x: (x * 2, -7), ["i64"], ["i64", "i32"])
    inst = wasios.Instance(module, {"m": {"pair": pair}})
    assert inst.exports.f(-4) == (-8, -7)


def test_unknown_import_is_a_link_error():
    module = wasios.Module('(module (import "env" "exit" (func (param i32))))')
    with pytest.raises(wasios.LinkError, match="unknown import: `env::exit` has not been defined"):
        wasios.Instance(module, {})


def test_import_of_wrong_kind_is_a_link_error():
    module = wasios.Module('(module (import "env" "mem" (memory 1)))')
    with pytest.raises(wasios.LinkError, match="env::mem"):
        wasios.Instance(module, {"env": {"mem": wasios.Global("i32", 1)}})


def test_trap_names_kind_and_function():
    module = wasios.Module(
        """(module (func $divide (export "div") (param i32 i32) (result i32)
             local.get 0 local.get 1 i32.div_s))"""
    )
    inst = wasios.Instance(module)
    with pytest.raises(wasios.Trap) as info:
        inst.exports.div(1, 0)
    assert info.value.kind == "integer divide by zero"
    assert info.value.func == "divide"
    assert "divide" in str(info.value)


def test_deep_recursion_is_exhaustion_not_recursion_error():
    module = wasios.Module('(module (func $f (export "f") (call $f)))')
    with pytest.raises(wasios.Exhaustion, match="call stack exhausted"):
        wasios.Instance(module).exports.f()


def test_error_classes_share_one_base():
    for cls in (
        wasios.MalformedError,
        wasios.UnsupportedError,
        wasios.InvalidError,
        wasios.LinkError,
        wasios.Trap,
        wasios.Exhaustion,
    ):
        assert issubclass(cls, wasios.WasmError)
    with pytest.raises(wasios.MalformedError, match="magic"):
        wasios.Module(b"\0asx\1\0\0\0")
    with pytest.raises(wasios.InvalidError, match="type mismatch"):
        wasios.Module("(module (func (result i32) (i64.const 1)))")
    with pytest.raises(wasios.MalformedError):
        wasios.Module("(module (func (i32.bogus)))")


def test_globals_memories_tables_created_from_python():
    module = wasios.Module(
        """(module
          (import "env" "g" (global $g (mut i32)))
          (import "env" "mem" (memory 1 2))
          (import "env" "tab" (table 2 funcref))
          (func $seven (result i32) (i32.const 7))
          (elem (i32.const 1) $seven)
          (func (export "bump") (global.set $g (i32.add (global.get $g) (i32.const 1))))
          (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
          (func (export "grow") (result i32) (memory.grow (i32.const 1))))"""
    )
    g = wasios.Global("i32", 41, mutable=True)
    mem = wasios.Memory(1, 2)
    tab = wasios.Table("funcref", 2)
    inst = wasios.Instance(module, {"env": {"g": g, "mem": mem, "tab": tab}})
    inst.exports.bump()
    assert g.value == 42
    g.value = -1
    inst.exports.bump()
    assert g.value == 0
    mem.write(100, b"\x99")
    assert inst.exports.load(100) == 0x99
    assert inst.exports.grow() == 1 and mem.pages == 2
    assert inst.exports.grow() == -1
    assert tab[0] is None and tab[1]() == 7
    immutable = wasios.Global("f64", 1.5)
    with pytest.raises(AttributeError):
        immutable.value = 2.0


def test_float_bits_survive_the_boundary():
    module = wasios.Module(
        """(module
          (func (export "id32") (param f32) (result f32) local.get 0)
          (func (export "bits32") (param f32) (result i32) (i32.reinterpret_f32 (local.get 0)))
          (func (export "mk32") (param i32) (result f32) (f32.reinterpret_i32 (local.get 0)))
          (func (export "id64") (param f64) (result f64) local.get 0))"""
    )
    inst = wasios.Instance(module)
    snan = wasios.f32_from_bits(0x7FA00001)
    assert math.isnan(snan)
    assert inst.exports.bits32(snan) == 0x7FA00001
    assert wasios.f32_bits(inst.exports.mk32(0xFFA00002 - 2**32)) == 0xFFA00002
    assert wasios.f32_bits(inst.exports.id32(snan)) == 0x7FA00001
    x = struct.unpack("<d", struct.pack("<Q", 0x7FF4000000000ABC))[0]
    assert wasios.f64_bits(inst.exports.id64(x)) == 0x7FF4000000000ABC
    assert inst.exports.id32(0.1) == struct.unpack("<f", struct.pack("<f", 0.1))[0]


def test_linking_two_instances_share_memory_and_table():
    lib = wasios.Instance(
        wasios.Module(
            """(module (memory (export "mem") 1) (table (export "tab") 1 funcref)
                 (func $f (result i32) (i32.const 11)) (elem (i32.const 0) $f)
                 (func (export "peek") (result i32) (i32.load (i32.const 0))))"""
        )
    )
    user = wasios.Instance(
        wasios.Module(
            """(module (import "lib" "mem" (memory 1)) (import "lib" "tab" (table 1 funcref))
                 (type $t (func (result i32)))
                 (func (export "poke") (i32.store (i32.const 0) (i32.const 1234)))
                 (func (export "call0") (result i32) (call_indirect (type $t) (i32.const 0))))"""
        ),
        {"lib": lib},
    )
    user.exports.poke()
    assert lib.exports.peek() == 1234
    assert user.exports.call0() == 11


# --- running WASI programs ---------------------------------------------------------------------

RANDOM_AND_TIME = b"""(module
  (import "wasi_snapshot_preview1" "random_get" (func $r (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $c (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $r (i32.const 100) (i32.const 8)))
    (drop (call $c (i32.const 0) (i64.const 1) (i32.const 108)))
    (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 16))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"""


def test_run_is_like_subprocess_run():
    from tests.kernel.programs import CAT, TRAP

    r = wasios.run(CAT, stdin=b"abc")
    assert (r.returncode, r.stdout, r.stderr) == (0, b"abc", b"")
    r.check_returncode()
    t = wasios.run(TRAP)
    assert t.returncode == 134 and b"unreachable" in t.stderr
    with pytest.raises(subprocess.CalledProcessError):
        t.check_returncode()


def test_deterministic_runs_repeat_exactly():
    a = wasios.run(RANDOM_AND_TIME, deterministic=True)
    b = wasios.run(RANDOM_AND_TIME, deterministic=True)
    c = wasios.run(RANDOM_AND_TIME)
    assert a.stdout == b.stdout and len(a.stdout) == 16
    realtime = int.from_bytes(a.stdout[8:], "little")
    assert realtime == 946_684_800 * 10**9  # 2000-01-01, and no time passed
    assert c.stdout != a.stdout


def test_timeout_is_real_time_even_in_a_deterministic_run():
    from tests.kernel.programs import SPIN

    with pytest.raises(subprocess.TimeoutExpired):
        wasios.run(SPIN, timeout=0.3, deterministic=True)
