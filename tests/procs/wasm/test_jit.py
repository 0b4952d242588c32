"""Tests of procs/wasm/jit.py (tier 1) and the tiering hooks in interp.py.

Every module runs twice: interpreter only (`off`) and translated on first call
(`eager`); results and traps must agree, and `eager` must really have translated the
functions (else a test could pass by falling back).  Modules are WAT assembled by
wasmtime's `wat2wasm`.
"""

from __future__ import annotations

import random
import shutil
import struct
import subprocess

import pytest
import wasmtime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wasios
from procs.wasm import interp, jit
from procs.wasm.decode import decode
from procs.wasm.errors import Exhaustion, Trap
from procs.wasm.instance import instantiate
from procs.wasm.interp import invoke
from procs.wasm.module import I32, FuncType
from procs.wasm.runtime import HostFunction
from procs.wasm.validate import validate

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF


def load(wat: str | bytes, mode: str = "eager", externs: list | None = None, **kw):
    m = decode(wasmtime.wat2wasm(wat) if isinstance(wat, str) else wat)
    validate(m)
    cfg = jit.make_config(mode, kw.pop("fuel", None), kw.pop("deadline", None))
    for k, v in kw.items():
        setattr(cfg, k, v)
    with jit.config_for(cfg):
        inst = instantiate(m, externs or [])
        jit.state(inst)
    return inst


def call(inst, name: str, *args):
    res = invoke(inst.exports[name], list(args))
    return res[0] if len(res) == 1 else res


def _bits(v):
    if isinstance(v, float):
        return ("f", struct.pack("<d", v))
    if isinstance(v, list):
        return [_bits(x) for x in v]
    return v


def outcome(inst, name: str, *args):
    try:
        return ("ok", _bits(call(inst, name, *args)))
    except Trap as t:
        return ("trap", t.kind)


def both(wat: str, calls: list[tuple], externs=None) -> list:
    """Run each (export, *args) in both tiers; assert they agree; return the results."""
    off = load(wat, "off", externs)
    on = load(wat, "eager", externs)
    got = []
    for name, *args in calls:
        a = outcome(off, name, *args)
        b = outcome(on, name, *args)
        assert a == b, (name, args, a, b)
        got.append(b)
    st_ = jit.state(on)
    assert not any(st_.failed), jit.FAILURES[-3:]
    assert any(j is not None for j in st_.jitted)
    return got


def src(wat: str, defined: int = 0) -> str:
    m = decode(wasmtime.wat2wasm(wat))
    validate(m)
    return jit.translate(m, defined).source


# --- constructs ---------------------------------------------------------------------

ARITH = """(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "chain") (param i32 i32) (result i32)
    (i32.sub (i32.mul (i32.add (local.get 0) (local.get 1)) (local.get 1)) (i32.const 7)))
  (func (export "lt_s") (param i32 i32) (result i32) (i32.lt_s (local.get 0) (local.get 1)))
  (func (export "ge_s") (param i32 i32) (result i32) (i32.ge_s (local.get 0) (local.get 1)))
  (func (export "lt_u") (param i32 i32) (result i32) (i32.lt_u (local.get 0) (local.get 1)))
  (func (export "shr_s") (param i32 i32) (result i32) (i32.shr_s (local.get 0) (local.get 1)))
  (func (export "shr_s5") (param i32) (result i32) (i32.shr_s (local.get 0) (i32.const 5)))
  (func (export "shr_u") (param i32 i32) (result i32) (i32.shr_u (local.get 0) (local.get 1)))
  (func (export "shl") (param i32 i32) (result i32) (i32.shl (local.get 0) (local.get 1)))
  (func (export "shl_add") (param i32) (result i32)
    (i32.add (i32.shl (local.get 0) (i32.const 31)) (i32.const 0x80000000)))
  (func (export "div_u") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func (export "rem_u") (param i32 i32) (result i32) (i32.rem_u (local.get 0) (local.get 1)))
  (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
  (func (export "eqz_sub") (param i32 i32) (result i32)
    (i32.eqz (i32.sub (local.get 0) (local.get 1))))
  (func (export "range") (param i32) (result i32)
    (i32.lt_u (i32.sub (local.get 0) (i32.const 9)) (i32.const 5)))
  (func (export "clz") (param i32) (result i32) (i32.clz (local.get 0)))
  (func (export "ctz") (param i32) (result i32) (i32.ctz (local.get 0)))
  (func (export "popcnt") (param i32) (result i32) (i32.popcnt (local.get 0)))
  (func (export "rotl") (param i32 i32) (result i32) (i32.rotl (local.get 0) (local.get 1)))
  (func (export "ext8") (param i32) (result i32) (i32.extend8_s (local.get 0)))
  (func (export "ext16") (param i32) (result i32) (i32.extend16_s (local.get 0)))
  (func (export "and_sub") (param i32 i32) (result i32)
    (i32.and (i32.sub (local.get 0) (local.get 1)) (i32.const 0xff)))
  (func (export "xor_sub") (param i32 i32) (result i32)
    (i32.xor (i32.sub (local.get 0) (local.get 1)) (local.get 1)))
  (func (export "cmp_val") (param i32 i32) (result i32)
    (i32.add (i32.lt_u (local.get 0) (local.get 1)) (i32.gt_u (local.get 0) (local.get 1))))
  (func (export "bool_and") (param i32 i32) (result i32)
    (i32.and (i32.eqz (local.get 0)) (i32.eqz (local.get 1))))
  (func (export "select") (param i32 i32 i32) (result i32)
    (select (i32.sub (local.get 0) (i32.const 1)) (local.get 1) (local.get 2)))
  (func (export "i64_mul") (param i64 i64) (result i64) (i64.mul (local.get 0) (local.get 1)))
  (func (export "i64_fnv") (param i64 i64) (result i64)
    (i64.mul (i64.xor (i64.mul (i64.xor (local.get 0) (local.get 1)) (i64.const 0x100000001b3))
                      (local.get 1)) (i64.const 0x100000001b3)))
  (func (export "i64_lt_s") (param i64 i64) (result i32) (i64.lt_s (local.get 0) (local.get 1)))
  (func (export "i64_shr_s") (param i64 i64) (result i64) (i64.shr_s (local.get 0) (local.get 1)))
  (func (export "ext_s") (param i32) (result i64) (i64.extend_i32_s (local.get 0)))
  (func (export "ext_u") (param i32) (result i64)
    (i64.extend_i32_u (i32.sub (local.get 0) (i32.const 1))))
  (func (export "wrap") (param i64) (result i32) (i32.wrap_i64 (i64.sub (local.get 0) (i64.const 1))))
  (func (export "ext32") (param i64) (result i64) (i64.extend32_s (local.get 0)))
  (func (export "cvt_s") (param i32) (result f64) (f64.convert_i32_s (local.get 0)))
  (func (export "cvt_u64") (param i64) (result f64) (f64.convert_i64_u (local.get 0)))
  (func (export "fops") (param f64 f64) (result f64)
    (f64.div (f64.add (f64.mul (local.get 0) (local.get 1)) (local.get 1)) (local.get 1)))
  (func (export "f32ops") (param f32 f32) (result f32)
    (f32.add (f32.mul (local.get 0) (local.get 1)) (local.get 1)))
  (func (export "flt") (param f64 f64) (result i32) (f64.lt (local.get 0) (local.get 1)))
  (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
)"""

EDGES = [0, 1, 2, 5, 31, 32, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFE, 0xFFFFFFFF]
EDGES64 = [0, 1, 63, 64, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, M64, M64 - 1, 0xFFFFFFFF]


def test_arith_edges_match_interpreter():
    calls = []
    for a in EDGES:
        for b in EDGES:
            for name in ("add", "chain", "lt_s", "ge_s", "lt_u", "shr_s", "shr_u", "shl",
                         "div_u", "rem_u", "div_s", "rem_s", "eqz_sub", "rotl", "and_sub",
                         "xor_sub", "cmp_val", "bool_and"):  # fmt: skip
                calls.append((name, a, b))
            calls.append(("select", a, b, a ^ b))
        for name in ("shr_s5", "shl_add", "range", "clz", "ctz", "popcnt", "ext8", "ext16",
                     "ext_s", "ext_u", "cvt_s"):  # fmt: skip
            calls.append((name, a))
    for a in EDGES64:
        for b in EDGES64:
            calls += [("i64_mul", a, b), ("i64_fnv", a, b), ("i64_lt_s", a, b),
                      ("i64_shr_s", a, b)]  # fmt: skip
        calls += [("wrap", a), ("ext32", a), ("cvt_u64", a)]
    for x in (0.0, -0.0, 1.5, -2.25, float("inf"), float("nan"), 1e308):
        for y in (0.0, -0.0, 3.0, float("-inf"), float("nan")):
            calls += [("fops", x, y), ("flt", x, y)]
        calls.append(("trunc", x))
    calls += [("f32ops", 1.5, 2.5), ("f32ops", 3.4028234663852886e38, 2.0)]
    results = both(ARITH, calls)
    assert ("trap", "integer divide by zero") in results
    assert ("trap", "integer overflow") in results


def test_masks_are_shared_and_signed_views_are_biases():
    s = src(ARITH, 1)  # chain: one mask for the whole add/mul/sub expression
    assert s.count("4294967295") == 2  # the add feeding the mul, and the result
    s = src(ARITH, 2)  # lt_s
    assert "^ 2147483648) < (" in s
    s = src(ARITH, 15)  # the range check compiles to a chained compare or a masked sub
    assert "4294967295" in s or "<=" in s


CONTROL = """(module
  (func (export "loop_sum") (param i32) (result i32) (local i32)
    (block (loop
      (br_if 1 (i32.eqz (local.get 0)))
      (local.set 1 (i32.add (local.get 1) (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br 0)))
    (local.get 1))
  (func (export "nested_break") (param i32) (result i32) (local i32 i32)
    ;; break out of two loops from the inner one: a pending branch
    (block $out
      (loop $a
        (local.set 2 (i32.const 0))
        (loop $b
          (br_if $out (i32.gt_u (local.get 1) (local.get 0)))
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (local.set 2 (i32.add (local.get 2) (i32.const 1)))
          (br_if $b (i32.lt_u (local.get 2) (i32.const 3))))
        (br $a)))
    (local.get 1))
  (func (export "continue_outer") (param i32) (result i32) (local i32 i32)
    (loop $a
      (local.set 2 (i32.add (local.get 2) (i32.const 1)))
      (block $skip
        (loop $b
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (br_if $a (i32.lt_u (local.get 2) (local.get 0)))  ;; continue the outer loop
          (br_if $skip (i32.gt_u (local.get 1) (i32.const 100)))
          (br $b))))
    (i32.add (local.get 1) (local.get 2)))
  (func (export "switch") (param i32) (result i32)
    (block $d (block $c (block $b (block $a
      (br_table $a $b $c $b $d (local.get 0)))
      (return (i32.const 100)))
      (return (i32.const 101)))
      (return (i32.const 102)))
    (i32.const 103))
  (func (export "switch_loop") (param i32) (result i32) (local i32)
    (block $done
      (loop $top
        (local.set 1 (i32.add (local.get 1) (i32.const 1)))
        (local.set 0 (i32.add (local.get 0) (i32.const 1)))
        (block $x
          (br_table $top $x $done (i32.sub (local.get 0) (i32.const 1))))
        (local.set 0 (i32.const 2))
        (br $top)))
    (local.get 1))
  (func (export "switch_vals") (param i32) (result i32)
    (block $b (result i32)
      (block $a (result i32)
        (br_table $a $b (i32.const 7) (local.get 0)))
      (i32.add (i32.const 1)))
    (i32.add (i32.const 10)))
  (func (export "if_else") (param i32) (result i32)
    (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2))))
  (func (export "block_vals") (param i32) (result i32)
    (block (result i32)
      (br_if 0 (i32.const 5) (local.get 0))
      (drop)
      (i32.const 6)))
  (func (export "multi") (param i32 i32) (result i32 i32)
    (local.get 1) (local.get 0))
  (func (export "use_multi") (param i32 i32) (result i32)
    (call 8 (local.get 0) (local.get 1)) (i32.sub))
  (func (export "loop_params") (param i32) (result i32)
    (i32.const 0) (local.get 0)
    (loop (param i32 i32) (result i32)
      (local.set 0)
      (i32.add (local.get 0))
      (local.get 0) (i32.const 1) (i32.sub)
      (local.tee 0)
      (br_if 0 (local.get 0))
      (drop)))
  (func (export "if_params") (param i32) (result i32)
    (i32.const 3)
    (if (param i32) (result i32) (local.get 0)
      (then (i32.const 2) (i32.mul))))
  (func (export "tee_stack") (param i32) (result i32)
    ;; a stack value reading local 0 must survive local.set 0
    (local.get 0) (local.set 0 (i32.const 9)) (local.get 0) (i32.sub))
  (func (export "deep_if") (param i32) (result i32)
    (block (result i32)
      (if (local.get 0) (then (br 1 (i32.const 1))))
      (if (i32.eq (local.get 0) (i32.const 0)) (then (br 1 (i32.const 2))))
      (i32.const 3)))
  (func (export "unreach") (unreachable))
  (func (export "ret_mid") (param i32) (result i32)
    (if (local.get 0) (then (return (i32.const 7))))
    (i32.const 8))
)"""


def test_control_flow_matches_interpreter():
    calls = []
    for n in (0, 1, 2, 3, 7, 20):
        calls += [("loop_sum", n), ("nested_break", n), ("continue_outer", n),
                  ("switch", n), ("switch_loop", n), ("switch_vals", n), ("if_else", n),
                  ("block_vals", n), ("loop_params", n + 1), ("if_params", n),
                  ("tee_stack", n), ("deep_if", n), ("ret_mid", n)]  # fmt: skip
    calls += [("switch", M32), ("switch_vals", M32), ("multi", 1, 2), ("use_multi", 1, 5),
              ("unreach",)]  # fmt: skip
    res = both(CONTROL, calls)
    assert res[0] == ("ok", 0) and ("trap", "unreachable") in res


def test_control_flow_code_shape():
    s = src(CONTROL, 0)  # loop_sum: a while loop, no pending-branch variable
    assert "while True:" in s and "_p" not in s
    s = src(CONTROL, 3)  # switch: a table lookup, not one test per case
    assert "(" in s and "_p = (" in s and s.count("==") <= 3


MEMORY = """(module
  (memory 1 3)
  (func (export "ld") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "ld8s") (param i32) (result i32) (i32.load8_s (local.get 0)))
  (func (export "ld8u") (param i32) (result i32) (i32.load8_u offset=1 (local.get 0)))
  (func (export "ld16s") (param i32) (result i32) (i32.load16_s (local.get 0)))
  (func (export "ld64") (param i32) (result i64) (i64.load offset=8 (local.get 0)))
  (func (export "ld32s") (param i32) (result i64) (i64.load32_s (local.get 0)))
  (func (export "ldf32") (param i32) (result f32) (f32.load (local.get 0)))
  (func (export "ldf64") (param i32) (result f64) (f64.load (local.get 0)))
  (func (export "st") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "st8") (param i32 i32) (i32.store8 (local.get 0) (i32.sub (local.get 1) (i32.const 1))))
  (func (export "st16") (param i32 i64) (i64.store16 (local.get 0) (local.get 1)))
  (func (export "st64") (param i32 i64) (i64.store offset=4 (local.get 0) (local.get 1)))
  (func (export "stf32") (param i32 f32) (f32.store (local.get 0) (local.get 1)))
  (func (export "wrapaddr") (param i32) (result i32)
    (i32.load8_u (i32.add (local.get 0) (i32.const 16))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "order") (param i32) (result i32)
    ;; the load traps before the division does
    (i32.div_u (i32.load (local.get 0)) (i32.const 0)))
)"""


def test_memory_at_the_bounds_matches_interpreter():
    end = 65536
    calls = [("st", 0, 0x80FF7F01), ("st", end - 4, 0xDEADBEEF)]
    for a in (0, 1, end - 9, end - 8, end - 5, end - 4, end - 3, end - 2, end - 1, end,
              M32 - 3, M32):  # fmt: skip
        for name in ("ld", "ld8s", "ld8u", "ld16s", "ld64", "ld32s", "ldf32", "ldf64",
                     "wrapaddr"):  # fmt: skip
            calls.append((name, a))
        calls += [("st8", a, 0), ("st16", a, M64), ("st64", a, 1 << 63), ("stf32", a, 1.5)]
    calls += [("wrapaddr", M32 - 15), ("order", end), ("order", 0)]
    calls += [("size",), ("grow", 1), ("size",), ("ld", end + 100), ("st", 2 * end - 4, 7),
              ("ld", 2 * end - 4), ("grow", 5), ("fill", 10, 0xAB, 4), ("ld", 10),
              ("copy", 20, 10, 4), ("ld", 20), ("fill", 2 * end - 1, 1, 2)]  # fmt: skip
    res = both(MEMORY, calls)
    assert ("trap", "out of bounds memory access") in res


def test_f32_nan_payload_survives_memory():
    inst = load(MEMORY)
    nan_bits = 0x7FA00001  # signalling NaN with a payload
    call(inst, "st", 0, nan_bits)
    x = call(inst, "ldf32", 0)
    call(inst, "stf32", 8, x)
    assert call(inst, "ld", 8) == nan_bits


CALLS = """(module
  (type $ii (func (param i32) (result i32)))
  (import "env" "host" (func $host (param i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $double $host $neg)
  (func $double (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (func $neg (param i64) (result i64) (i64.sub (i64.const 0) (local.get 0)))
  (func (export "indirect") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 1) (local.get 0)))
  (func (export "via_host") (param i32) (result i32) (call $host (local.get 0)))
  (func $rec (export "rec") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
  (func (export "forever") (param i32) (result i32) (call 6 (local.get 0)))
)"""


def _host(results=None):
    def fn(x):
        if x == 99:
            raise IndexError("host bug")
        if x == 98:
            raise Trap("host trap")
        return (x + 1000) & M32

    return [HostFunction(FuncType((I32,), (I32,)), fn, name="host")]


def test_calls_and_call_indirect_traps_match_interpreter():
    calls = [("indirect", i, 5) for i in range(6)] + [("indirect", M32, 5)]
    calls += [("via_host", 1), ("rec", 100), ("indirect", 1, 98)]
    res = both(CALLS, calls, _host())
    assert ("trap", "undefined element 4") in res
    assert ("trap", "uninitialized element 3") in res
    assert ("trap", "indirect call type mismatch") in res
    assert res[1] == ("ok", 1005)


def test_host_exception_is_not_turned_into_a_trap():
    inst = load(CALLS, "eager", _host())
    with pytest.raises(IndexError, match="host bug"):
        call(inst, "via_host", 99)
    with pytest.raises(IndexError, match="host bug"):
        call(inst, "indirect", 1, 99)


def test_deep_recursion_works_and_runaway_exhausts():
    inst = load(CALLS, "eager", _host())
    assert call(inst, "rec", 10_000) == 10_000
    with pytest.raises(Exhaustion, match="call stack exhausted"):
        call(inst, "forever", 1)
    assert call(inst, "rec", 50) == 50  # still usable afterwards


def test_trap_backtrace_names_wasm_functions():
    wat = """(module
      (func $inner (export "inner") (param i32) (result i32)
        (i32.div_u (i32.const 1) (local.get 0)))
      (func $middle (param i32) (result i32) (call $inner (local.get 0)))
      (func $outer (export "outer") (param i32) (result i32) (call $middle (local.get 0))))"""
    traps = []
    for mode in ("off", "eager"):
        inst = load(wat, mode)
        with pytest.raises(Trap) as e:
            call(inst, "outer", 0)
        traps.append((e.value.kind, e.value.func, e.value.frames))
    assert traps[0] == traps[1]
    assert traps[1] == ("integer divide by zero", "inner", ["inner", "middle", "outer"])


GLOBALS_TABLES = """(module
  (global $g (mut i32) (i32.const 10))
  (global $k i64 (i64.const 77))
  (table $t 2 10 funcref)
  (func $f (result i32) (i32.const 5))
  (elem declare func $f)
  (func (export "bump") (param i32) (result i32)
    (global.set $g (i32.add (global.get $g) (local.get 0)))
    (global.get $g))
  (func (export "order") (result i32)
    ;; global.get is read before global.set changes it
    (global.get $g) (global.set $g (i32.const 1)) (global.get $g) (i32.sub))
  (func (export "k") (result i64) (global.get $k))
  (func (export "tset") (param i32) (table.set $t (local.get 0) (ref.func $f)))
  (func (export "tnull") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
  (func (export "tgrow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "tsize") (result i32) (table.size $t))
)"""


def test_globals_and_tables_match_interpreter():
    calls = [("bump", 5), ("bump", M32), ("order",), ("k",), ("tnull", 0), ("tset", 0),
             ("tnull", 0), ("tnull", 5), ("tset", 9), ("tgrow", 3), ("tsize",), ("tgrow", 100),
             ("tnull", 4)]  # fmt: skip
    both(GLOBALS_TABLES, calls)


# --- tiering ---------------------------------------------------------------------------

LONG_LOOP = """(module
  (memory 1)
  (func (export "main") (param i32) (result i32) (local i32 i32)
    (local.set 2 (i32.const 7))
    (block $exit
      (loop $outer
        (br_if $exit (i32.eqz (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (block $inner_done
          (loop $inner
            (local.set 1 (i32.add (local.get 1) (i32.const 1)))
            (i32.store8 (i32.and (local.get 1) (i32.const 1023)) (local.get 1))
            (br_if $inner (i32.and (local.get 1) (i32.const 7)))))
        (local.set 2 (i32.add (local.get 2) (i32.load8_u (i32.const 5))))
        (br $outer)))
    (i32.add (local.get 1) (local.get 2)))
)"""


def test_osr_moves_a_long_loop_into_translated_code():
    off = load(LONG_LOOP, "off")
    expected = call(off, "main", 20_000)
    before = jit.STATS["osr"]
    inst = load(LONG_LOOP, "lazy", backedge_threshold=100)
    assert call(inst, "main", 20_000) == expected
    assert jit.STATS["osr"] > before
    assert jit.state(inst).jitted[0] is not None


def test_lazy_translates_after_the_call_threshold():
    inst = load(CONTROL, "lazy", call_threshold=5)
    st_ = jit.state(inst)
    for i in range(4):
        call(inst, "if_else", i)
    assert st_.jitted[6] is None
    for i in range(3):
        assert call(inst, "if_else", i) == (1 if i else 2)
    assert st_.jitted[6] is not None


def test_off_never_translates():
    inst = load(CONTROL, "off")
    for _ in range(200):
        call(inst, "loop_sum", 50)
    assert not any(jit.state(inst).jitted)


def test_api_and_environment_select_the_mode(monkeypatch):
    m = wasios.Module(CONTROL)
    inst = wasios.Instance(m, jit="eager")
    assert inst.call("loop_sum", 4) == 10
    assert jit.state(inst._inst).jitted[0] is not None
    monkeypatch.setenv("WASIOS_JIT", "off")
    inst = wasios.Instance(m)
    assert inst.call("loop_sum", 4) == 10
    assert jit.state(inst._inst).cfg.mode == "off"
    with pytest.raises(ValueError, match="jit mode"):
        wasios.Instance(m, jit="fast")


# --- fuel and deadlines ------------------------------------------------------------------

SPIN = """(module
  (func $leaf (result i32) (i32.const 1))
  (func (export "spin") (loop (br 0)))
  (func (export "count") (param i32) (result i32) (local i32)
    (loop
      (local.set 1 (i32.add (local.get 1) (call $leaf)))
      (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 1)))"""


@pytest.mark.parametrize("mode", ["off", "lazy", "eager"])
def test_fuel_stops_a_runaway_module(mode):
    inst = load(SPIN, mode, fuel=5000)
    with pytest.raises(Trap, match="all fuel consumed"):
        call(inst, "spin")
    jit.set_fuel(inst, 1000)
    assert call(inst, "count", 100) == 100  # 1 entry + 99 back-edges + 100 calls
    assert jit.fuel_remaining(inst) == 1000 - 200
    with pytest.raises(Trap, match="all fuel consumed"):
        call(inst, "count", 10_000)


@pytest.mark.parametrize("mode", ["off", "eager"])
def test_deadline_stops_a_runaway_module(mode):
    inst = load(SPIN, mode, deadline=0.0)
    with pytest.raises(Trap, match="deadline exceeded"):
        call(inst, "spin")


def test_unmetered_code_has_no_checks_and_metered_code_has():
    m = decode(wasmtime.wat2wasm(SPIN))
    validate(m)
    assert "FUEL" not in jit.translate(m, 2).source
    assert "FUEL" in jit.translate(m, 2, metered=True).source


def test_api_fuel_per_call():
    inst = wasios.Instance(wasios.Module(SPIN), jit="eager", fuel=10)
    with pytest.raises(wasios.Trap, match="all fuel consumed"):
        inst.call("spin")
    assert inst.call("count", 50, fuel=1000) == 50


# --- safety: hostile names, limits, fallback ------------------------------------------------


def test_names_never_reach_the_source():
    hostile = "\"\"\"\n__import__('os').system('x')\n# \u00e9\x00)"
    m = decode(wasmtime.wat2wasm(
        """(module (func (export "f") (param i32) (result i32)
             (i32.div_u (i32.const 1) (local.get 0)))
           (func (export "g") (param i32) (result i32) (call 0 (local.get 0))))"""
    ))  # fmt: skip
    validate(m)
    m.func_names = {0: hostile, 1: "g\nimport os"}
    for d in range(2):
        s = jit.translate(m, d).source
        assert "import" not in s and "os" not in s and "\u00e9" not in s
    with jit.config_for(jit.make_config("eager")):
        inst = instantiate(m, [])
        jit.state(inst)
    assert call(inst, "g", 2) == 0
    with pytest.raises(Trap) as e:
        call(inst, "g", 0)
    assert e.value.frames == [hostile, "g\nimport os"]  # names only in the backtrace


def _nested(depth: int) -> str:
    body = "(local.set 0 (i32.add (local.get 0) (i32.const 1)))"
    for i in range(depth):
        body = f"(block $b{i} (loop $l{i} {body} (br_if $b{i} (i32.gt_u (local.get 0) (i32.const {i})))))"
    return f'(module (func (export "f") (param i32) (result i32) {body} (local.get 0)))'


def test_too_deep_nesting_falls_back_to_the_interpreter():
    wat = _nested(40)
    off = load(wat, "off")
    on = load(wat, "eager")
    assert call(on, "f", 0) == call(off, "f", 0)
    assert jit.state(on).failed[0]


def test_huge_function_falls_back_and_long_br_table_translates():
    n = jit.MAX_BODY + 10
    body = " ".join(["(drop (i32.const 1))"] * (n // 2))
    wat = f'(module (func (export "f") (result i32) {body} (i32.const 3)))'
    inst = load(wat)
    assert call(inst, "f") == 3 and jit.state(inst).failed[0]
    labels = " ".join(f"$c{i % 3}" for i in range(3000))
    wat = f"""(module (func (export "f") (param i32) (result i32)
      (block $c2 (block $c1 (block $c0 (br_table {labels} $c2 (local.get 0)))
        (return (i32.const 10))) (return (i32.const 11))) (i32.const 12)))"""
    res = both(wat, [("f", i) for i in (0, 1, 2, 2999, 3000, M32)])
    assert res[0] == ("ok", 10) and res[-1] == ("ok", 12)


def _random_func(rng: random.Random, depth: int = 0) -> str:
    """A random expression-statement program over locals 0..3 (i32), always terminating."""
    ops = ["i32.add", "i32.sub", "i32.mul", "i32.and", "i32.or", "i32.xor", "i32.shl",
           "i32.shr_u", "i32.shr_s", "i32.lt_s", "i32.lt_u", "i32.ge_s", "i32.eq",
           "i32.rotl", "i32.div_u", "i32.rem_s"]  # fmt: skip

    def expr(d: int) -> str:
        r = rng.random()
        if d > 3 or r < 0.3:
            return f"(local.get {rng.randrange(4)})"
        if r < 0.4:
            return f"(i32.const {rng.choice(EDGES)})"
        if r < 0.5:
            return f"(i32.eqz {expr(d + 1)})"
        if r < 0.55:
            return f"(select {expr(d + 1)} {expr(d + 1)} {expr(d + 1)})"
        if r < 0.6:
            return f"(i32.load8_u (i32.and {expr(d + 1)} (i32.const 255)))"
        return f"({rng.choice(ops)} {expr(d + 1)} {expr(d + 1)})"

    def stmt(d: int) -> str:
        r = rng.random()
        if d > 2 or r < 0.4:
            return f"(local.set {rng.randrange(4)} {expr(0)})"
        if r < 0.55:
            return f"(if {expr(0)} (then {stmt(d + 1)}) (else {stmt(d + 1)}))"
        if r < 0.7:
            return f"(block {stmt(d + 1)} (br_if 0 {expr(0)}) {stmt(d + 1)})"
        if r < 0.8:
            return f"(i32.store8 (i32.and {expr(0)} (i32.const 255)) {expr(0)})"
        if r < 0.9:
            k = 4 + d  # each nesting level has its own loop counter
            return (f"(local.set {k} (i32.const {rng.randrange(1, 6)}))"
                    f"(loop {stmt(d + 1)} (local.set {k} (i32.sub (local.get {k}) (i32.const 1)))"
                    f" (br_if 0 (local.get {k})))")  # fmt: skip
        return (f"(block (block (br_table 0 1 0 (i32.and {expr(0)} (i32.const 3))) "
                f"{stmt(d + 1)}) {stmt(d + 1)})")  # fmt: skip

    body = " ".join(stmt(depth) for _ in range(rng.randrange(1, 6)))
    return f"""(module (memory 1)
      (func $f (export "f") (param i32 i32 i32 i32) (result i32) (local i32 i32 i32 i32)
        {body}
        (i32.add (local.get 0) (i32.xor (local.get 1) (i32.mul (local.get 2) (local.get 3))))))"""


@settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.integers(0, 2**32), st.lists(st.sampled_from(EDGES), min_size=4, max_size=4))
def test_fuzz_random_programs_match_interpreter(seed, args):
    wasm = wasmtime.wat2wasm(_random_func(random.Random(seed)))
    a = outcome(load(wasm, "off"), "f", *args)
    on = load(wasm, "eager")
    b = outcome(on, "f", *args)
    assert a == b
    st_ = jit.state(on)
    assert st_.jitted[0] is not None or st_.failed[0]


@pytest.mark.skipif(shutil.which("wasm-opt") is None, reason="needs binaryen's wasm-opt")
def test_ttf_modules_jit_matches_interpreter(tmp_path):
    """Random modules from wasm-opt -ttf: every export, both tiers, same events."""
    from .test_differential import FEATURES, _ttf_module

    compared = 0
    for seed in range(1000, 1040):
        try:
            wasm = _ttf_module(seed, tmp_path)
        except subprocess.CalledProcessError:  # pragma: no cover
            continue
        if seed % 2:
            continue  # reference-type seeds are covered by test_differential
        try:
            m = decode(wasm)
            validate(m)
        except wasios.WasmError:
            continue
        runs = []
        for mode in ("off", "eager"):
            log: list = []

            def logger(*a, log=log):
                log.append(tuple(struct.pack("<d", x) if isinstance(x, float) else x for x in a))

            externs = []
            for imp in m.imported(0):
                externs.append(HostFunction(m.types[imp.desc], logger, name="log"))
            try:
                inst = load(wasm, mode, externs)
            except Trap as t:
                runs.append(("start trap", t.kind))
                continue
            events = []
            for ex in m.exports:
                if ex.kind != 0 or ex.name == "hangLimitInitializer":
                    continue
                if "hangLimitInitializer" in inst.exports:
                    invoke(inst.exports["hangLimitInitializer"], [])
                f = inst.exports[ex.name]
                args = [{0x7F: 0, 0x7E: 0, 0x7D: 0.0, 0x7C: 0.0}.get(t) for t in f.type.params]
                try:
                    r = invoke(f, args)
                    events.append(("ok", [struct.pack("<d", x) if isinstance(x, float)
                                          else (x if not hasattr(x, "type") else "ref")
                                          for x in r]))  # fmt: skip
                except Trap as t:
                    events.append(("trap", t.kind))
            runs.append((events, log))
        assert runs[0] == runs[1], f"seed {seed}"
        compared += 1
    assert compared >= 10
    assert FEATURES


def test_interp_hooks_restore_branches_after_giving_up():
    inst = load(_nested(40), "lazy", backedge_threshold=10)
    call(inst, "f", 0)
    code = inst.funcs[0].code
    assert isinstance(code, interp.TieredCode)
    assert code.hooks == []  # translation failed: back-edges are plain branches again
