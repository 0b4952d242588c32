"""Tests of procs/wasm/interp.py: control flow, calls, memory, tables, traps, host calls.

Modules are written in WAT and assembled by wasmtime's own `wat2wasm` (the reference
toolchain), then decoded, validated and run by our engine. Expected values are worked
out by hand in the comments, or come from wasmtime running the same module.
"""

from __future__ import annotations

import struct

import pytest
import wasmtime

from procs.wasm import interp
from procs.wasm.decode import decode
from procs.wasm.errors import Exhaustion, Trap
from procs.wasm.instance import instantiate
from procs.wasm.interp import invoke
from procs.wasm.module import I32, FuncType, Limits, MemoryType
from procs.wasm.runtime import HostFunction, Memory
from procs.wasm.validate import validate

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF


def load(wat: str, externs: list | None = None):
    m = decode(wasmtime.wat2wasm(wat))
    validate(m)
    return instantiate(m, externs or [])


def call(inst, name: str, *args):
    res = invoke(inst.exports[name], list(args))
    return res[0] if len(res) == 1 else res


def s32(v: int) -> int:
    return v & M32


# --- control flow ------------------------------------------------------------------

CONTROL = """
(module
  (func (export "if") (param i32) (result i32)
    (if (result i32) (local.get 0) (then (i32.const 10)) (else (i32.const 20))))
  (func (export "if-noelse") (param i32) (result i32) (local i32)
    (local.set 1 (i32.const 5))
    (if (local.get 0) (then (local.set 1 (i32.const 7))))
    (local.get 1))
  (func (export "nested-br") (param i32) (result i32)
    (block $a (result i32)
      (block $b (result i32)
        (drop (br_if $a (i32.const 100) (i32.eq (local.get 0) (i32.const 1))))
        (drop (br_if $b (i32.const 200) (i32.eq (local.get 0) (i32.const 2))))
        (i32.const 300))
      (i32.add (i32.const 1))))
  (func (export "loop-sum") (param i32) (result i32) (local i32)
    (block $done
      (loop $top
        (br_if $done (i32.eqz (local.get 0)))
        (local.set 1 (i32.add (local.get 1) (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $top)))
    (local.get 1))
  (func (export "br-table") (param i32) (result i32)
    (block $d (result i32)
      (block $c (result i32)
        (block $b (result i32)
          (block $a (result i32)
            (br_table $a $b $c $d (i32.const 7) (local.get 0)))
          (return (i32.add (i32.const 100))))
        (return (i32.add (i32.const 200))))
      (return (i32.add (i32.const 300))))
    (i32.add (i32.const 400)))
  (func (export "multi") (param i32 i32) (result i32 i32)
    ;; block with two params and two results: swaps its inputs
    (local.get 0) (local.get 1)
    (block (param i32 i32) (result i32 i32)
      (local.set 0) (local.set 1) (local.get 0) (local.get 1)))
  (func (export "loop-params") (param i32) (result i32)
    ;; counts down with the counter carried as a loop parameter; result 0 + steps*3
    (i32.const 0) (local.get 0)
    (loop $l (param i32 i32) (result i32)
      (if (param i32 i32) (result i32) (local.get 0)
        (then
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (drop) (i32.add (i32.const 3)) (local.get 0) (br $l))
        (else (drop)))))
  (func (export "br-if-value") (param i32) (result i32)
    ;; br_if with a value that stays on the stack when not taken
    (block (result i32)
      (drop (br_if 0 (i32.const 11) (local.get 0)))
      (i32.const 22)))
  (func (export "early-return") (param i32) (result i32)
    (block (loop (br_if 1 (i32.eqz (local.get 0)))
      (return (i32.const 5))))
    (i32.const 6))
  (func (export "select") (param i32) (result i64)
    (select (i64.const -1) (i64.const 2) (local.get 0)))
  (func (export "stale-local") (param i32) (result i32)
    ;; the first operand is read before the local is overwritten
    (local.get 0)
    (local.set 0 (i32.const 1000))
    (local.get 0)
    (i32.sub))
  (func (export "tee") (param i32) (result i32) (local i32)
    (i32.add (local.tee 1 (i32.mul (local.get 0) (i32.const 3))) (local.get 1)))
  (func (export "dead-code") (result i32)
    (block (result i32) (br 0 (i32.const 9)) (i32.const 1) (i32.add) (unreachable)))
  (func (export "unreachable") (unreachable))
)
"""


@pytest.fixture(scope="module")
def control():
    return load(CONTROL)


def test_if_else(control):
    assert call(control, "if", 1) == 10
    assert call(control, "if", 0) == 20
    assert call(control, "if-noelse", 0) == 5
    assert call(control, "if-noelse", 3) == 7


def test_branches_with_values(control):
    assert call(control, "nested-br", 1) == 100
    assert call(control, "nested-br", 2) == 201
    assert call(control, "nested-br", 3) == 301
    assert call(control, "br-if-value", 1) == 11
    assert call(control, "br-if-value", 0) == 22


def test_loop(control):
    assert call(control, "loop-sum", 100) == 5050
    assert call(control, "loop-sum", 0) == 0


def test_br_table(control):
    assert [call(control, "br-table", i) for i in range(5)] == [107, 207, 307, 407, 407]
    assert call(control, "br-table", M32) == 407  # huge index: default


def test_multi_value_blocks(control):
    assert call(control, "multi", 1, 2) == [2, 1]
    assert call(control, "loop-params", 4) == 12


def test_misc_control(control):
    assert call(control, "early-return", 1) == 5
    assert call(control, "early-return", 0) == 6
    assert call(control, "select", 1) == M64
    assert call(control, "select", 0) == 2
    assert call(control, "stale-local", 1) == s32(1 - 1000)
    assert call(control, "tee", 5) == 30
    assert call(control, "dead-code") == 9


def test_unreachable_trap(control):
    with pytest.raises(Trap) as e:
        call(control, "unreachable")
    assert e.value.kind == "unreachable"


# --- calls, recursion, exhaustion ----------------------------------------------------

CALLS = """
(module
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func $depth (export "depth") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $depth (i32.sub (local.get 0) (i32.const 1)))))))
  (func $pair (param i32) (result i32 i32) (local.get 0) (i32.add (local.get 0) (i32.const 1)))
  (func (export "pair-sum") (param i32) (result i32) (i32.add (call $pair (local.get 0))))
  (func $runaway (export "runaway") (call $runaway))
  (func $even (export "even") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1))
      (else (call $odd (i32.sub (local.get 0) (i32.const 1))))))
  (func $odd (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (call $even (i32.sub (local.get 0) (i32.const 1))))))
  (func $mutual1 (export "mutual") (call $mutual2))
  (func $mutual2 (call $mutual1))
  (func $div (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "div-via") (param i32 i32) (result i32) (call $div (local.get 0) (local.get 1)))
)
"""


@pytest.fixture(scope="module")
def calls():
    return load(CALLS)


def test_recursion(calls):
    assert call(calls, "fac", 20) == 2432902008176640000
    assert call(calls, "fac", 25) == 15511210043330985984000000 & M64
    assert call(calls, "pair-sum", 10) == 21
    assert call(calls, "even", 1001) == 0


def test_deep_recursion(calls):
    assert call(calls, "depth", 20000) == 20000


def test_exhaustion(calls):
    for name in ("runaway", "mutual"):
        with pytest.raises(Exhaustion) as e:
            call(calls, name)
        assert e.value.kind == "call stack exhausted"
    # The engine is still usable afterwards.
    assert call(calls, "depth", 100) == 100


def test_trap_names_function_and_backtrace(calls):
    with pytest.raises(Trap) as e:
        call(calls, "div-via", 1, 0)
    assert e.value.kind == "integer divide by zero"
    assert e.value.func == "div"
    assert e.value.frames[:1] == ["div"] and len(e.value.frames) == 2
    with pytest.raises(Trap, match="integer overflow"):
        call(calls, "div", 0x80000000, M32)


def test_exhaustion_with_big_frames():
    # 1000 locals per frame: the slot budget stops it well before memory runs out.
    locals_ = " ".join(["i64"] * 1000)
    inst = load(f'(module (func $f (export "f") (local {locals_}) (call $f)))')
    with pytest.raises(Exhaustion):
        call(inst, "f")


# --- memory --------------------------------------------------------------------------

MEMORY = """
(module
  (memory (export "mem") 1 3)
  (data (i32.const 0) "\\01\\82\\03\\84\\05\\86\\07\\88")
  (func (export "i32.load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "i64.load") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "i32.load8_s") (param i32) (result i32) (i32.load8_s (local.get 0)))
  (func (export "i32.load8_u") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "i32.load16_s") (param i32) (result i32) (i32.load16_s (local.get 0)))
  (func (export "i32.load16_u") (param i32) (result i32) (i32.load16_u (local.get 0)))
  (func (export "i64.load8_s") (param i32) (result i64) (i64.load8_s (local.get 0)))
  (func (export "i64.load8_u") (param i32) (result i64) (i64.load8_u (local.get 0)))
  (func (export "i64.load16_s") (param i32) (result i64) (i64.load16_s (local.get 0)))
  (func (export "i64.load16_u") (param i32) (result i64) (i64.load16_u (local.get 0)))
  (func (export "i64.load32_s") (param i32) (result i64) (i64.load32_s (local.get 0)))
  (func (export "i64.load32_u") (param i32) (result i64) (i64.load32_u (local.get 0)))
  (func (export "f32.load") (param i32) (result f32) (f32.load (local.get 0)))
  (func (export "f64.load") (param i32) (result f64) (f64.load (local.get 0)))
  (func (export "load-off") (param i32) (result i32) (i32.load8_u offset=0xFFFFFFFF (local.get 0)))
  (func (export "i32.store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "i64.store") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
  (func (export "i32.store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "i32.store16") (param i32 i32) (i32.store16 (local.get 0) (local.get 1)))
  (func (export "i64.store8") (param i32 i64) (i64.store8 (local.get 0) (local.get 1)))
  (func (export "i64.store16") (param i32 i64) (i64.store16 (local.get 0) (local.get 1)))
  (func (export "i64.store32") (param i32 i64) (i64.store32 (local.get 0) (local.get 1)))
  (func (export "f32.store") (param i32 f32) (f32.store (local.get 0) (local.get 1)))
  (func (export "f64.store") (param i32 f64) (f64.store (local.get 0) (local.get 1)))
  (func (export "store-off") (param i32 i32) (i32.store offset=4 (local.get 0) (local.get 1)))
  (func (export "f32-roundtrip") (param i32)
    (f32.store (i32.const 16) (f32.load (local.get 0))))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (data $p "hello")
  (func (export "init") (param i32 i32 i32)
    (memory.init $p (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (data.drop $p))
)
"""


@pytest.fixture
def memory():
    return load(MEMORY)


def test_loads_every_width(memory):
    raw = bytes([0x01, 0x82, 0x03, 0x84, 0x05, 0x86, 0x07, 0x88])
    assert call(memory, "i32.load", 0) == struct.unpack_from("<I", raw)[0]
    assert call(memory, "i64.load", 0) == struct.unpack_from("<Q", raw)[0]
    assert call(memory, "i32.load8_s", 1) == s32(-0x7E)
    assert call(memory, "i32.load8_u", 1) == 0x82
    assert call(memory, "i32.load16_s", 1) == s32(struct.unpack_from("<h", raw, 1)[0])
    assert call(memory, "i32.load16_u", 1) == 0x0382
    assert call(memory, "i32.load16_s", 2) == s32(struct.unpack_from("<h", raw, 2)[0])
    assert call(memory, "i64.load8_s", 7) == (-0x78) & M64
    assert call(memory, "i64.load8_u", 7) == 0x88
    assert call(memory, "i64.load16_s", 6) == struct.unpack_from("<h", raw, 6)[0] & M64
    assert call(memory, "i64.load16_u", 6) == 0x8807
    assert call(memory, "i64.load32_s", 4) == struct.unpack_from("<i", raw, 4)[0] & M64
    assert call(memory, "i64.load32_u", 4) == struct.unpack_from("<I", raw, 4)[0]
    assert call(memory, "f64.load", 0) == struct.unpack_from("<d", raw)[0]


def test_stores_every_width(memory):
    mem = memory.exports["mem"].data
    call(memory, "i64.store", 32, 0x1122334455667788)
    assert mem[32:40] == bytes.fromhex("8877665544332211")
    call(memory, "i32.store8", 32, 0xABCD)
    call(memory, "i32.store16", 34, 0x12345678)
    assert mem[32:40] == bytes.fromhex("CD77785644332211")
    call(memory, "i32.store", 36, 0xDEADBEEF)
    assert mem[36:40] == bytes.fromhex("EFBEADDE")
    call(memory, "i64.store8", 40, 0xFFFFFFFFFFFFFF01)
    call(memory, "i64.store16", 41, 0x0203)
    call(memory, "i64.store32", 43, 0xAAAAAAAA04050607)
    assert mem[40:48] == bytes.fromhex("0103020706050400")
    call(memory, "f64.store", 48, -2.5)
    assert mem[48:56] == struct.pack("<d", -2.5)
    call(memory, "f32.store", 56, 1.5)
    assert mem[56:60] == struct.pack("<f", 1.5)
    call(memory, "store-off", 60, 7)
    assert mem[64:68] == bytes([7, 0, 0, 0])


def test_f32_nan_payload_survives_load_and_store(memory):
    mem = memory.exports["mem"].data
    for bits in (0x7F800001, 0xFFA00005, 0x7FC00000, 0x7FBFFFFF):
        mem[100:104] = struct.pack("<I", bits)
        call(memory, "f32-roundtrip", 100)
        assert struct.unpack_from("<I", mem, 16)[0] == bits


def test_out_of_bounds(memory):
    end = 65536
    assert call(memory, "i32.load8_u", end - 1) == 0
    for name, addr in (("i32.load8_u", end), ("i32.load", end - 3), ("i64.load", end - 7)):
        with pytest.raises(Trap, match="out of bounds memory access"):
            call(memory, name, addr)
    with pytest.raises(Trap, match="out of bounds memory access"):
        call(memory, "load-off", 1)  # 1 + 0xFFFFFFFF does not wrap around
    with pytest.raises(Trap, match="out of bounds memory access"):
        call(memory, "i32.load", M32)
    # A store straddling the end traps without writing anything.
    mem = memory.exports["mem"].data
    with pytest.raises(Trap):
        call(memory, "i64.store", end - 4, M64)
    assert mem[end - 4 :] == bytes(4)
    with pytest.raises(Trap):
        call(memory, "store-off", end - 6, M32)
    assert mem[end - 6 :] == bytes(6)


def test_memory_grow(memory):
    assert call(memory, "size") == 1
    assert call(memory, "grow", 1) == 1
    assert call(memory, "size") == 2
    assert call(memory, "grow", 2) == M32  # above the maximum of 3
    assert call(memory, "grow", 0) == 2
    assert call(memory, "grow", 1) == 2
    assert call(memory, "i32.load8_u", 3 * 65536 - 1) == 0  # new pages are usable
    assert call(memory, "grow", 1) == M32


def test_bulk_memory(memory):
    mem = memory.exports["mem"].data
    call(memory, "fill", 200, 0x1AB, 4)
    assert mem[199:205] == bytes([0, 0xAB, 0xAB, 0xAB, 0xAB, 0])
    call(memory, "copy", 202, 200, 4)  # overlapping copy
    assert mem[200:206] == bytes([0xAB] * 4 + [0xAB, 0xAB])
    call(memory, "copy", 0, 1, 7)  # overlapping the other way
    assert mem[0:8] == bytes([0x82, 0x03, 0x84, 0x05, 0x86, 0x07, 0x88, 0x88])
    call(memory, "init", 300, 1, 3)
    assert mem[300:304] == b"ell\0"
    # Zero-length at exactly the end is fine; one past the end traps.
    call(memory, "fill", 65536, 0, 0)
    call(memory, "copy", 65536, 0, 0)
    call(memory, "init", 65536, 5, 0)
    for name, args in (
        ("fill", (65537, 0, 0)),
        ("fill", (65530, 7, 7)),
        ("copy", (65537, 0, 0)),
        ("copy", (0, 65537, 0)),
        ("copy", (65530, 0, 7)),
        ("init", (0, 6, 0)),
        ("init", (0, 2, 4)),
        ("init", (65536, 0, 1)),
    ):
        with pytest.raises(Trap, match="out of bounds memory access"):
            call(memory, name, *args)
    assert mem[65530:] == bytes(6)  # no partial writes
    call(memory, "drop")
    call(memory, "init", 0, 0, 0)
    with pytest.raises(Trap, match="out of bounds memory access"):
        call(memory, "init", 0, 0, 1)


# --- tables and call_indirect ---------------------------------------------------------

TABLES = """
(module
  (type $ii (func (param i32) (result i32)))
  (type $v (func))
  (table $t (export "tab") 4 10 funcref)
  (table $e 2 externref)
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (func $nop (type $v))
  (elem (table $t) (i32.const 0) func $inc $dbl $nop)
  (elem $seg func $dbl $inc)
  (func (export "ci") (param i32 i32) (result i32)
    (call_indirect $t (type $ii) (local.get 1) (local.get 0)))
  (func (export "size") (result i32) (table.size $t))
  (func (export "grow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "get-null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
  (func (export "set") (param i32 i32) (table.set $t (local.get 0) (table.get $t (local.get 1))))
  (func (export "fill") (param i32 i32 i32)
    (table.fill $t (local.get 0) (table.get $t (local.get 1)) (local.get 2)))
  (func (export "copy") (param i32 i32 i32) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32) (table.init $t $seg (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (elem.drop $seg))
  (func (export "ext-set") (param i32 externref) (table.set $e (local.get 0) (local.get 1)))
  (func (export "ext-get") (param i32) (result externref) (table.get $e (local.get 0)))
  (func (export "ref-func") (result funcref) (ref.func $inc))
)
"""


@pytest.fixture
def tables():
    return load(TABLES)


def test_call_indirect_and_its_traps(tables):
    assert call(tables, "ci", 0, 5) == 6
    assert call(tables, "ci", 1, 5) == 10
    with pytest.raises(Trap) as e:
        call(tables, "ci", 2, 5)
    assert e.value.kind == "indirect call type mismatch"
    with pytest.raises(Trap) as e:
        call(tables, "ci", 3, 5)
    # The index is part of the message, as in the reference interpreter.
    assert e.value.kind == "uninitialized element 3"
    with pytest.raises(Trap) as e:
        call(tables, "ci", 4, 5)
    assert e.value.kind == "undefined element 4"
    with pytest.raises(Trap) as e:
        call(tables, "ci", M32, 5)
    assert e.value.kind == f"undefined element {M32}"


def test_table_ops_and_bounds(tables):
    assert call(tables, "size") == 4
    assert call(tables, "get-null", 3) == 1
    with pytest.raises(Trap, match="out of bounds table access"):
        call(tables, "get-null", 4)
    call(tables, "set", 3, 1)
    assert call(tables, "ci", 3, 7) == 14
    with pytest.raises(Trap, match="out of bounds table access"):
        call(tables, "set", 4, 0)
    assert call(tables, "grow", 2) == 4
    assert call(tables, "size") == 6
    assert call(tables, "grow", 5) == M32  # max is 10
    call(tables, "fill", 4, 0, 2)
    assert call(tables, "ci", 5, 1) == 2
    call(tables, "fill", 6, 0, 0)  # zero length at the end
    with pytest.raises(Trap, match="out of bounds table access"):
        call(tables, "fill", 5, 1, 2)
    assert call(tables, "ci", 5, 1) == 2  # untouched by the failed fill
    call(tables, "copy", 0, 1, 2)  # [dbl, nop, nop, dbl, inc, inc]
    assert call(tables, "ci", 0, 4) == 8
    with pytest.raises(Trap, match="out of bounds table access"):
        call(tables, "copy", 5, 0, 2)
    call(tables, "init", 4, 0, 2)  # [.., .., .., .., dbl, inc]
    assert call(tables, "ci", 4, 4) == 8 and call(tables, "ci", 5, 4) == 5
    call(tables, "init", 6, 2, 0)
    with pytest.raises(Trap, match="out of bounds table access"):
        call(tables, "init", 0, 1, 2)
    call(tables, "drop")
    with pytest.raises(Trap, match="out of bounds table access"):
        call(tables, "init", 0, 0, 1)


def test_references(tables):
    token = object()
    call(tables, "ext-set", 1, token)
    assert call(tables, "ext-get", 1) is token
    assert call(tables, "ext-get", 0) is None
    assert call(tables, "ref-func") is tables.funcs[0]


# --- host functions -----------------------------------------------------------------


def test_host_function_reads_and_writes_caller_memory():
    seen = []

    def reverse(caller, ptr, n):
        mem = caller.mems[0].data
        seen.append(bytes(mem[ptr : ptr + n]))
        mem[ptr : ptr + n] = mem[ptr : ptr + n][::-1]
        return n * 2

    host = HostFunction(FuncType((I32, I32), (I32,)), reverse, wants_caller=True)
    pair = HostFunction(FuncType((I32,), (I32, I32)), lambda x: (x, x + 1))
    nothing = HostFunction(FuncType((), ()), lambda: None)
    inst = load(
        """(module
          (import "env" "reverse" (func $rev (param i32 i32) (result i32)))
          (import "env" "pair" (func $pair (param i32) (result i32 i32)))
          (import "env" "nothing" (func $nothing))
          (memory (export "mem") 1)
          (data (i32.const 8) "abcd")
          (func (export "go") (result i32)
            (call $nothing)
            (i32.add (call $rev (i32.const 8) (i32.const 4)) (i32.load8_u (i32.const 8))))
          (func (export "pair") (result i32) (i32.sub (call $pair (i32.const 10)))))""",
        [host, pair, nothing],
    )
    assert call(inst, "go") == 8 + ord("d")
    assert seen == [b"abcd"]
    assert inst.exports["mem"].data[8:12] == b"dcba"
    assert call(inst, "pair") == M32  # 10 - 11
    # Called from outside Wasm, a host function gets None as its caller.
    who = HostFunction(FuncType((), (I32,)), lambda c: 1 if c is None else 2, wants_caller=True)
    assert invoke(who, []) == [1]


def test_host_trap_and_reentry_keep_the_backtrace():
    def boom():
        raise Trap("host said no")

    inst_box: list = []

    def reenter(n):
        return invoke(inst_box[0].exports["down"], [n])[0]

    inst = load(
        """(module
          (import "env" "boom" (func $boom))
          (import "env" "reenter" (func $re (param i32) (result i32)))
          (func $inner (export "inner") (call $boom))
          (func (export "outer") (call $inner))
          (func (export "down") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 42))
              (else (call $re (i32.sub (local.get 0) (i32.const 1)))))))""",
        [
            HostFunction(FuncType((), ()), boom),
            HostFunction(FuncType((I32,), (I32,)), reenter),
        ],
    )
    inst_box.append(inst)
    with pytest.raises(Trap) as e:
        call(inst, "outer")
    assert e.value.func == "inner"
    assert e.value.frames[:2] == ["inner", "func[3]"]
    assert call(inst, "down", 50) == 42  # Wasm -> host -> Wasm nesting


def test_runaway_through_host_is_exhaustion(monkeypatch):
    monkeypatch.setattr(interp, "MAX_CALL_DEPTH", 2000)
    box: list = []
    host = HostFunction(FuncType((), ()), lambda: invoke(box[0].exports["f"], []))
    inst = load('(module (import "env" "h" (func $h)) (func (export "f") (call $h)))', [host])
    box.append(inst)
    with pytest.raises(Exhaustion):
        call(inst, "f")


def test_memory_shared_with_host_memory_object():
    mem = Memory(MemoryType(Limits(1, 2)))
    inst = load(
        """(module (import "env" "m" (memory 1))
           (func (export "w") (i32.store (i32.const 0) (i32.const 0x01020304)))
           (func (export "g") (result i32) (memory.grow (i32.const 1))))""",
        [mem],
    )
    call(inst, "w")
    assert mem.data[:4] == bytes([4, 3, 2, 1])
    assert call(inst, "g") == 1 and mem.pages == 2


# --- differential against wasmtime ------------------------------------------------------

DIFF = """
(module
  (memory 1)
  (func (export "collatz") (param i64) (result i32) (local i32)
    (block $done (loop $l
      (br_if $done (i64.le_u (local.get 0) (i64.const 1)))
      (local.set 0 (if (result i64) (i64.eqz (i64.and (local.get 0) (i64.const 1)))
        (then (i64.shr_u (local.get 0) (i64.const 1)))
        (else (i64.add (i64.mul (local.get 0) (i64.const 3)) (i64.const 1)))))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br $l)))
    (local.get 1))
  (func (export "mix") (param i32 i32) (result i32)
    (i32.xor
      (i32.rotl (i32.shr_s (local.get 0) (local.get 1)) (local.get 1))
      (i32.add (i32.shl (local.get 1) (local.get 0))
        (select (i32.clz (local.get 0)) (i32.popcnt (local.get 1))
          (i32.lt_s (local.get 0) (local.get 1))))))
  (func (export "sieve") (param i32) (result i32) (local i32 i32 i32)
    (memory.fill (i32.const 0) (i32.const 1) (local.get 0))
    (local.set 1 (i32.const 2))
    (block $out (loop $outer
      (br_if $out (i32.ge_u (i32.mul (local.get 1) (local.get 1)) (local.get 0)))
      (if (i32.load8_u (local.get 1)) (then
        (local.set 2 (i32.mul (local.get 1) (local.get 1)))
        (block $b (loop $inner
          (br_if $b (i32.ge_u (local.get 2) (local.get 0)))
          (i32.store8 (local.get 2) (i32.const 0))
          (local.set 2 (i32.add (local.get 2) (local.get 1)))
          (br $inner)))))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br $outer)))
    (local.set 1 (i32.const 2))
    (block $c (loop $count
      (br_if $c (i32.ge_u (local.get 1) (local.get 0)))
      (local.set 3 (i32.add (local.get 3) (i32.load8_u (local.get 1))))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br $count)))
    (local.get 3))
  (func (export "fdiv") (param f64 f64) (result i64)
    (i64.trunc_f64_s (f64.div (local.get 0) (local.get 1))))
  (func (export "shifts64") (param i64 i64) (result i64)
    (i64.xor (i64.xor (i64.shl (local.get 0) (local.get 1)) (i64.shr_s (local.get 0) (local.get 1)))
      (i64.add (i64.shr_u (local.get 0) (local.get 1)) (i64.sub (local.get 1) (local.get 0)))))
  (func (export "narrow") (param i32) (result i64) (local i64)
    (i32.store (i32.const 8) (local.get 0))
    (local.set 1 (i64.load16_s (i32.const 9)))
    (i64.add (local.get 1) (i64.extend_i32_s (i32.load8_s (i32.const 8)))))
  (func (export "fexpr") (param f64 f64 f64) (result f64)
    (f64.sub (f64.add (f64.mul (local.get 0) (local.get 1)) (local.get 2)) (local.get 0)))
  (func (export "cmp-chain") (param i64 i64) (result i32)
    (i32.add (i32.add (i64.lt_s (local.get 0) (local.get 1)) (i64.gt_u (local.get 0) (local.get 1)))
      (i32.mul (i32.const 4) (i64.ge_s (local.get 0) (local.get 1)))))
)
"""


def _wasmtime_call(name, args):
    store = wasmtime.Store()
    module = wasmtime.Module(store.engine, DIFF)
    inst = wasmtime.Instance(store, module, [])
    try:
        r = inst.exports(store)[name](store, *args)
    except wasmtime.Trap as e:
        return ("trap", str(e))
    return r


def _signed(v, bits):
    return v - (1 << bits) if v >> (bits - 1) else v


@pytest.mark.parametrize(
    "name,args,types",
    [
        ("collatz", (27,), "l"),
        ("collatz", (97,), "l"),
        ("mix", (0x80000001, 3), "ii"),
        ("mix", (5, 37), "ii"),
        ("mix", (M32, 0), "ii"),
        ("sieve", (5000,), "i"),
        ("fdiv", (7.0, 2.0), "dd"),
        ("fdiv", (1.0, 0.0), "dd"),
        ("fdiv", (-9e18, 1.0), "dd"),
        ("shifts64", (0x8000000000000001, 65), "ll"),
        ("shifts64", (0xF0F0F0F0F0F0F0F0, 63), "ll"),
        ("shifts64", (12345, 0), "ll"),
        ("narrow", (0x80FF7F80,), "i"),
        ("narrow", (0x00017F01,), "i"),
        ("fexpr", (0.1, 0.2, 0.3), "ddd"),
        ("fexpr", (1e308, 10.0, -1e308), "ddd"),
        ("fexpr", (3.0, -0.0, 0.0), "ddd"),
        ("cmp-chain", (M64, 1), "ll"),
        ("cmp-chain", (1, M64), "ll"),
        ("cmp-chain", (5, 5), "ll"),
    ],
)
def test_differential_wasmtime(name, args, types):
    inst = load(DIFF)
    wt_args = [
        _signed(a, 32 if t == "i" else 64) if t in "il" else a
        for a, t in zip(args, types, strict=True)
    ]
    expected = _wasmtime_call(name, wt_args)
    try:
        got = call(inst, name, *args)
    except Trap as e:
        assert isinstance(expected, tuple), f"we trapped ({e}), wasmtime gave {expected}"
        assert e.kind in expected[1]
        return
    assert not isinstance(expected, tuple), f"wasmtime trapped ({expected[1]}), we gave {got}"
    if isinstance(got, float):
        assert struct.pack("<d", got) == struct.pack("<d", expected)
        return
    bits = 64 if name in ("fdiv", "shifts64", "narrow") else 32
    assert _signed(got, bits) == expected


def test_wrong_argument_count_is_refused(control):
    with pytest.raises(TypeError):
        invoke(control.exports["if"], [])


def test_dispatch_groups_match_kind_numbers():
    """The loop tests `k < HOT1` / `k < HOT2` first: each kind must sit in its group."""
    import inspect
    import re

    from procs.wasm.lower import HOT1, HOT2, K

    src = inspect.getsource(interp._run)
    body = src[src.index("if k < HOT1:") : src.index("_slow(k, ins, R, inst)")]
    g1, rest = body.split("elif k < HOT2:")
    g2, g3 = rest.split("\n            elif k == ", 1)
    names = [re.findall(r"k == ([A-Z0-9_]+)", g) for g in (g1, g2, "k == " + g3)]
    assert all(K[n] < HOT1 for n in names[0])
    assert all(HOT1 <= K[n] < HOT2 for n in names[1])
    assert all(K[n] >= HOT2 for n in names[2])
    assert len(names[0]) == HOT1 and len(names[1]) == HOT2 - HOT1
