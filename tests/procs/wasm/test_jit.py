"""Tests of procs/wasm/jit.py (tier 1) and the tiering hooks in interp.py.

Every module runs twice: interpreter only (`off`) and translated on first call
(`eager`); results and traps must agree, and `eager` must really have translated the
functions (else a test could pass by falling back).  Modules are WAT assembled by
wasmtime's `wat2wasm`.
"""

from __future__ import annotations

import contextlib
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


def test_too_deep_nesting_is_translated_to_the_flat_form():
    wat = _nested(40)
    off = load(wat, "off")
    on = load(wat, "eager")
    assert [call(on, "f", k) for k in (0, 7, 99)] == [call(off, "f", k) for k in (0, 7, 99)]
    assert not jit.state(on).failed[0] and jit.state(on).jitted[0] is not None
    assert "_b = " in src(wat)  # structured code would need 80 nested Python loops


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


def test_interp_hooks_restore_branches_after_giving_up(monkeypatch):
    monkeypatch.setattr(jit, "MAX_BODY", 20)  # too large: left to the interpreter
    inst = load(_nested(40), "lazy", backedge_threshold=10)
    call(inst, "f", 0)
    code = inst.funcs[0].code
    assert isinstance(code, interp.TieredCode)
    assert code.hooks == []  # translation failed: back-edges are plain branches again


# --- the flat form: functions nested deeper than Python allows -----------------------------


@contextlib.contextmanager
def forced_flat(regions: bool):
    """Translate every function to the flat form (with or without structured regions)."""
    real, caches = jit.translate, jit._MODULE_CACHES

    def flat(module, defined, *, metered=False, osr_block=None, flat=None):
        return jit._FlatTranslator(module, defined, metered, osr_block, regions=regions).run()

    jit.translate, jit._MODULE_CACHES = flat, {}
    try:
        yield
    finally:
        jit.translate, jit._MODULE_CACHES = real, caches


def wasmtime_outcomes(wat: str, calls: list[tuple]) -> list:
    """Results (i32 as unsigned) or "trap" under wasmtime, for `calls` on a fresh instance."""
    store = wasmtime.Store()
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, wat), [])
    out = []
    for name, *args in calls:
        try:
            r = inst.exports(store)[name](store, *args)
            out.append(("ok", r & M32 if isinstance(r, int) else r))
        except wasmtime.Trap:
            out.append("trap")
    return out


def check_deep(wat: str, calls: list[tuple], against_wasmtime: bool = True) -> list:
    """`both` (interpreter vs translated, all translated), plus wasmtime's results."""
    got = both(wat, calls)
    if against_wasmtime:
        mine = [g if g[0] == "ok" else "trap" for g in got]
        assert mine == wasmtime_outcomes(wat, calls)
    return got


def _deep_blocks(n: int) -> str:
    """n nested blocks entered by a br_table; the code after each block's end records
    the level in an accumulator, and some levels skip outward with br_if."""
    labels = " ".join(f"$b{i}" for i in range(n))
    inner = f"(br_table {labels} (local.get 0))"
    for i in range(n - 1, -1, -1):
        post = f"(local.set 1 (i32.add (i32.mul (local.get 1) (i32.const 31)) (i32.const {i})))"
        if i % 7 == 3 and i >= 3:
            post += f" (br_if $b{i - 3} (i32.and (local.get 0) (i32.const 1)))"
        inner = f"(block $b{i} {inner}) {post}"
    return f"""(module (func (export "f") (param i32) (result i32) (local i32)
      (block $top {inner}) (local.get 1)))"""


@pytest.mark.parametrize("n", [30, 100, 1000])
def test_deeply_nested_blocks_match_interpreter_and_wasmtime(n):
    wat = _deep_blocks(n)
    ks = sorted({0, 1, 2, 3, 4, 5, n // 2, n // 2 + 1, n - 2, n - 1, n, n + 7, M32})
    res = check_deep(wat, [("f", k) for k in ks])
    assert len({r for r in res}) > 5  # the exits really differ
    s = src(wat)
    assert "_b = " in s
    assert max(len(x) - len(x.lstrip()) for x in s.splitlines()) < 4 * 30  # stays shallow


def _switch(n: int) -> str:
    """A C-style switch over n cases lowered to br_table: every third case falls through
    into the next, some loop, the rest leave the switch with a value."""
    labels = " ".join(f"$c{i}" for i in range(n))
    inner = f"(br_table {labels} $dflt (local.get 0))"
    for i in range(n):
        if i % 3 == 2:
            body = f"(local.set 1 (i32.add (local.get 1) (i32.const {i})))"  # falls through
        elif i % 5 == 1:
            body = f"""(local.set 2 (i32.const {i}))
              (loop $l (local.set 1 (i32.add (local.get 1) (local.get 2)))
                (br_if $l (local.tee 2 (i32.sub (local.get 2) (i32.const 1)))))
              (br $out (local.get 1))"""
        else:
            body = f"(br $out (i32.add (local.get 1) (i32.const {1000 + i})))"
        inner = f"(block $c{i} {inner}) {body}"
    return f"""(module (func (export "sw") (param i32) (result i32) (local i32 i32)
      (block $out (result i32) (block $dflt {inner}) (i32.const 7777))))"""


def test_br_table_over_100_blocks_matches_interpreter_and_wasmtime():
    wat = _switch(100)
    res = check_deep(wat, [("sw", k) for k in (*range(0, 103), 1000, M32)])
    assert res[0] == ("ok", 1000) and res[-1] == ("ok", 7777)
    assert len(set(res)) > 60


def test_loops_inside_deep_blocks_match_interpreter_and_wasmtime():
    # a loop at every level, each left by a branch to its block (from _nested)
    wat = _nested(100)
    check_deep(wat, [("f", k) for k in (0, 5, 50, 99, 100, 1000)])
    # an inner loop that leaves to one of 40 enclosing blocks, chosen by its counter
    n = 40
    exits = " ".join(
        f"(br_if $b{k} (i32.eq (local.get 1) (i32.add (local.get 0) (i32.const {k}))))"
        for k in range(0, n, 5)
    )
    inner = f"""(loop $l (local.set 1 (i32.add (local.get 1) (i32.const 1))) {exits}
                 (br_if $l (i32.lt_u (local.get 1) (i32.const 200))))"""
    for i in range(n - 1, -1, -1):
        inner = f"(block $b{i} {inner}) (local.set 2 (i32.add (local.get 2) (i32.const {i + 1})))"
    wat = f"""(module (func (export "g") (param i32) (result i32) (local i32 i32)
      {inner} (i32.add (i32.mul (local.get 2) (i32.const 1000)) (local.get 1))))"""
    res = check_deep(wat, [("g", k) for k in (0, 1, 3, 10, 100, 190, 300)])
    assert len(set(res)) >= 5


def test_deep_ifs_with_values_and_params_match_interpreter_and_wasmtime():
    n = 120
    e = "(local.get 1)"
    for i in range(n):
        bit = f"(i32.and (local.get 0) (i32.const {1 << (i % 31)}))"
        if i % 4 == 0:  # an if with a parameter
            e = (f"(i32.const {i}) (if (param i32) (result i32) {bit} (then {e} (i32.add))"
                 f" (else (i32.const 3) (i32.mul)))")  # fmt: skip
        elif i % 4 == 1:  # no else: a side effect only
            e = f"(if {bit} (then (local.set 1 (i32.add (local.get 1) (i32.const {i}))))) {e}"
        else:
            e = f"(if (result i32) {bit} (then {e}) (else (i32.add (local.get 1) (i32.const {i}))))"
    wat = f"""(module (func (export "f") (param i32) (result i32) (local i32)
      (local.set 1 (i32.const 5)) {e}))"""
    ks = [0, 1, M32, *(M32 ^ (1 << b) for b in range(0, 31, 3))]  # how deep each one goes
    res = check_deep(wat, [("f", k) for k in ks])
    assert len(set(res)) > 4


def _deep_loops(n: int) -> str:
    """n loops nested in each other, one shared counter: each repeats while it is low."""
    inner = "(local.set 2 (i32.add (local.get 2) (local.get 1)))"
    for i in range(n - 1, -1, -1):
        inner = f"""(loop $l{i} (local.set 1 (i32.add (local.get 1) (i32.const 1))) {inner}
          (br_if $l{i} (i32.lt_u (local.get 1) (i32.add (local.get 0) (i32.const {5 * (n - i)})))))"""
    return f"""(module (func (export "f") (param i32) (result i32) (local i32 i32)
      {inner} (i32.add (local.get 1) (i32.mul (local.get 2) (i32.const 7)))))"""


def test_thirty_nested_loops_match_interpreter_and_wasmtime():
    wat = _deep_loops(30)
    check_deep(wat, [("f", k) for k in (0, 1, 7, 40)])
    assert "_b = " in src(wat)


DEEP_TRAPS = """(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (memory 1)
  (func $deep (export "deep") (param i32) (result i32) (local i32)
    {body}
    (local.get 1))
  (func $caller (export "caller") (param i32) (result i32) (call $deep (local.get 0))))"""


def _deep_traps(n: int = 30) -> str:
    acts = """(if (i32.eq (local.get 0) (i32.const 1)) (then (local.set 1 (i32.load (i32.const 65534)))))
      (if (i32.eq (local.get 0) (i32.const 2))
        (then (local.set 1 (i32.div_u (i32.const 5) (i32.sub (local.get 0) (i32.const 2))))))
      (if (i32.eq (local.get 0) (i32.const 3)) (then unreachable))
      (local.set 1 (call $host (local.get 0)))
      (i32.store (i32.const 8) (local.get 1))
      (local.set 1 (i32.add (local.get 1) (i32.load (i32.const 8))))"""
    body = acts
    for i in range(n):
        body = f"(block $b{i} (loop $l{i} {body} (br_if $b{i} (local.get 0))))"
    return DEEP_TRAPS.replace("{body}", body)


@pytest.mark.parametrize("regions", [True, False])
def test_flat_form_traps_name_the_function_and_host_errors_pass(regions):
    wat = _deep_traps()
    with forced_flat(regions):
        res = both(wat, [("caller", k) for k in (0, 1, 2, 3, 4, 98)], _host())
    assert res[1:4] == [("trap", "out of bounds memory access"),
                        ("trap", "integer divide by zero"), ("trap", "unreachable")]  # fmt: skip
    assert res[4] == ("ok", 2 * 1004) and res[5] == ("trap", "host trap")
    traps = []
    for mode in ("off", "eager"):
        inst = load(wat, mode, _host())
        with pytest.raises(Trap) as e:
            call(inst, "caller", 1)
        traps.append((e.value.kind, e.value.func, e.value.frames))
        with pytest.raises(IndexError, match="host bug"):
            call(inst, "caller", 99)
    assert traps[0] == traps[1] == ("out of bounds memory access", "deep", ["deep", "caller"])
    assert "_b = " in src(wat, 0)


def _deep_spin(n: int = 30) -> str:
    body = "(local.set 1 (i32.add (local.get 1) (i32.const 1)))"
    body = f"(loop $spin {body} (br_if $spin (i32.lt_u (local.get 1) (local.get 0))))"
    for i in range(n):
        body = f"(block $b{i} (loop $l{i} {body} (br_if $b{i} (i32.ge_u (local.get 1) (local.get 0)))))"
    return f"""(module (func (export "f") (param i32) (result i32) (local i32)
      {body} (local.get 1))
      (func (export "forever") (loop $x (block $y (br_table $x $y $x (i32.const 0))))))"""


@pytest.mark.parametrize("regions", [True, False])
def test_flat_form_counts_fuel_like_the_interpreter(regions):
    wat = _deep_spin()
    left = []
    with forced_flat(regions):
        for mode in ("off", "eager"):
            inst = load(wat, mode, fuel=100_000)
            assert call(inst, "f", 500) == 500
            left.append(jit.fuel_remaining(inst))
            with pytest.raises(Trap, match="all fuel consumed"):
                call(inst, "f", 10**9)
            jit.set_fuel(inst, 3000)
            with pytest.raises(Trap, match="all fuel consumed"):
                call(inst, "forever")  # br_table back-edges are charged too
        assert left[0] == left[1] == 100_000 - 500  # 1 entry + 499 back-edges
        m = decode(wasmtime.wat2wasm(wat))
        validate(m)
        assert "FUEL" in jit.translate(m, 0, metered=True).source
        assert "FUEL" not in jit.translate(m, 0).source


def test_flat_form_deadline_stops_a_deep_runaway():
    inst = load(_deep_spin(), "eager", deadline=0.0)
    with pytest.raises(Trap, match="deadline exceeded"):
        call(inst, "f", 10**9)


def test_flat_form_on_stack_replacement():
    wat = _deep_spin()
    expected = call(load(wat, "off"), "f", 50_000)
    before = jit.STATS["osr"]
    inst = load(wat, "lazy", backedge_threshold=100)
    assert call(inst, "f", 50_000) == expected == 50_000
    assert jit.STATS["osr"] > before
    m = decode(wasmtime.wat2wasm(wat))
    validate(m)
    s = jit.translate(m, 0, osr_block=60).source  # the innermost loop (blocks 0..59 wrap it)
    assert "_osr60(l0, l1)" in s and "_b = " in s


@pytest.mark.parametrize("regions", [True, False])
def test_flat_form_passes_the_construct_tests(regions):
    with forced_flat(regions):
        test_arith_edges_match_interpreter()
        test_control_flow_matches_interpreter()
        test_memory_at_the_bounds_matches_interpreter()
        test_calls_and_call_indirect_traps_match_interpreter()
        test_globals_and_tables_match_interpreter()
        test_trap_backtrace_names_wasm_functions()
        test_osr_moves_a_long_loop_into_translated_code()
        test_deep_recursion_works_and_runaway_exhausts()
        for mode in ("off", "lazy", "eager"):
            test_fuel_stops_a_runaway_module(mode)


@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.integers(0, 2**32), st.lists(st.sampled_from(EDGES), min_size=4, max_size=4))
def test_fuzz_random_programs_flat_form_matches_interpreter(seed, args):
    wasm = wasmtime.wat2wasm(_random_func(random.Random(seed)))
    a = outcome(load(wasm, "off"), "f", *args)
    with forced_flat(regions=seed % 2 == 0):
        on = load(wasm, "eager")
        b = outcome(on, "f", *args)
    assert a == b
    assert jit.state(on).jitted[0] is not None


def test_flat_form_source_has_no_names():
    hostile = "\"\"\"\n__import__('os').system('x')\n# \u00e9\x00)"
    m = decode(wasmtime.wat2wasm(_deep_traps()))
    validate(m)
    m.func_names = {0: hostile, 1: hostile, 2: "g\nimport os"}
    for regions in (True, False):
        with forced_flat(regions):
            for d in range(2):
                s = jit.translate(m, d).source
                assert "import" not in s and "os" not in s and "\u00e9" not in s


def test_regions_keep_inner_loops_structured():
    """Inside the flat form, a construct no branch leaves is structured code."""
    n = 100  # if-nesting this deep is too deep for Python: the flat form
    inner = """(loop $in (local.set 1 (i32.add (local.get 1) (i32.const 3)))
                 (br_if $in (i32.lt_u (local.get 1) (local.get 0))))"""
    for i in range(n):
        inner = f"(block $b{i} (br_if $b{i} (i32.eq (local.get 1) (i32.const {i}))) {inner})"
    wat = f"""(module (func (export "f") (param i32) (result i32) (local i32)
      {inner} (local.get 1)))"""
    s = src(wat)
    assert s.count("while True:") == 2  # the dispatch loop and the inner loop
    assert s.count("_b = ") < 2 * n
    check_deep(wat, [("f", k) for k in (0, 1, 10, 1000)])


def test_printf_core_is_translated(bench_wasm, monkeypatch):
    """wasi-libc's printf_core (a switch over ~35 nested blocks) no longer falls back."""
    from .minwasi import MiniWasi

    failures = []
    monkeypatch.setattr(jit, "_note_failure", lambda m, d, why: failures.append((d, why)))
    monkeypatch.setenv("WASIOS_JIT", "eager")
    w = MiniWasi(["writes", "40", "p"])
    assert w.run(wasios.Module(bench_wasm["writes"], cache=False)) == 0
    assert failures == []
    assert bytes(w.stdout) == b"".join(b"line %d\n" % i for i in range(40))


@pytest.mark.parametrize("estimate", [True, False])
def test_flat_form_with_deep_if_nesting_inside_regions(estimate, monkeypatch):
    """br_ifs to their own block nest `if`s; a region too deep for Python is flattened
    (by the estimate, or else when emitting it reaches the indentation limit)."""
    if not estimate:
        monkeypatch.setattr(jit, "MAX_REGION_NEST", 10**6)
    n = 100
    inner = "(local.set 1 (i32.add (local.get 1) (i32.const 1000)))"
    for i in range(n):
        exits = " ".join(
            f"(br_if $b{i} (i32.eq (local.get 0) (i32.const {10 * i + j})))" for j in range(10)
        )
        inner = f"(block $b{i} {exits} {inner}) (local.set 1 (i32.add (local.get 1) (i32.const 1)))"
    wat = f"""(module (func (export "f") (param i32) (result i32) (local i32)
      {inner} (local.get 1)))"""
    check_deep(wat, [("f", k) for k in (0, 5, 10, 155, 500, 999, 1000, M32)])
    assert "_b = " in src(wat)


# --- found by a fuzzer of deeply nested programs (structured form too) ----------------


def test_br_table_with_one_target_still_evaluates_its_index():
    wat = """(module (func (export "f") (param i32) (result i32)
      (block $a (br_table $a $a (i32.div_u (i32.const 1) (local.get 0)))) (i32.const 5)))"""
    assert both(wat, [("f", 0), ("f", 1)]) == [("trap", "integer divide by zero"), ("ok", 5)]


def test_code_after_an_unreachable_block_end_keeps_block_numbers():
    # nothing reaches the end of $dead: what follows is never run, but its blocks count
    # (as in the lowerer), or later blocks would be looked up under the wrong numbers.
    wat = """(module (func (export "f") (param i32) (result i32)
      (block $a (block $dead (br $a)) (block $x (nop)) (block $y (nop)))
      (block $p (block $q (br_table $p $q (local.get 0))) (return (i32.const 1)))
      (i32.const 2)))"""
    assert both(wat, [("f", 0), ("f", 1), ("f", 9)]) == [("ok", 2), ("ok", 1), ("ok", 1)]


@pytest.mark.parametrize("regions", [None, True, False])
def test_osr_into_a_loop_in_an_else_arm(regions):
    wat = """(module (func (export "f") (param i32) (result i32) (local i32)
      (if (i32.eqz (local.get 0)) (then (local.set 1 (i32.const 7)))
        (else (loop $l (local.set 1 (i32.add (local.get 1) (i32.const 1)))
                       (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
              (local.set 1 (i32.mul (local.get 1) (i32.const 3)))))
      (local.get 1)))"""
    ctx = forced_flat(regions) if regions is not None else contextlib.nullcontext()
    before = jit.STATS["osr"]
    with ctx:
        inst = load(wat, "lazy", backedge_threshold=5)
        assert call(inst, "f", 100) == 300
    assert jit.STATS["osr"] > before


def _random_nested(rng: random.Random, maxdepth: int) -> str:
    """A random program of blocks, loops and ifs nested up to `maxdepth`, whose branches
    (br, br_if, br_table) go to any enclosing label; loops stop after 400 back-edges."""
    count = [0]
    fuel = "(i32.lt_u (local.tee 7 (i32.add (local.get 7) (i32.const 1))) (i32.const 400))"
    ops = ["i32.add", "i32.sub", "i32.mul", "i32.xor", "i32.and", "i32.lt_u", "i32.eq",
           "i32.shr_u", "i32.rem_u"]  # fmt: skip

    def expr(d: int = 0) -> str:
        r = rng.random()
        if d > 2 or r < 0.35:
            return f"(local.get {rng.randrange(4)})"
        if r < 0.5:
            return f"(i32.const {rng.choice(EDGES)})"
        if r < 0.6:
            return f"(i32.load8_u (i32.and {expr(d + 1)} (i32.const 255)))"
        return f"({rng.choice(ops)} {expr(d + 1)} {expr(d + 1)})"

    def stmts(d: int, labels: list, k: int) -> str:
        return " ".join(stmt(d, labels) for _ in range(k))

    def stmt(d: int, labels: list) -> str:
        r = rng.random()
        if d < maxdepth and count[0] < 120 and r < 0.5:
            count[0] += 1
            name = f"$L{count[0]}"
            kind = rng.choice(["block", "block", "loop", "if"])
            k = rng.randrange(1, 4) if count[0] > 40 else rng.randrange(1, 3)
            if kind == "if":
                inner = labels + [(name, "block")]
                return (f"(if {name} {expr()} (then {stmts(d + 1, inner, k)})"
                        f" (else {stmts(d + 1, inner, rng.randrange(0, 3))}))")  # fmt: skip
            return f"({kind} {name} {stmts(d + 1, labels + [(name, kind)], k)})"
        if labels and r < 0.65:
            name, kind = rng.choice(labels)
            c = f"(i32.and {expr()} {fuel})" if kind == "loop" else expr()
            return f"(br_if {name} {c})"
        if labels and r < 0.7:
            name, kind = rng.choice(labels)
            return f"(if {fuel} (then (br {name})))" if kind == "loop" else f"(br {name})"
        if labels and r < 0.75:
            ts = [rng.choice(labels) for _ in range(rng.randrange(1, 6))]
            s = f"(br_table {' '.join(t[0] for t in ts)} (i32.and {expr()} (i32.const 7)))"
            return f"(if {fuel} (then {s}))" if any(t[1] == "loop" for t in ts) else s
        if r < 0.85:
            return f"(i32.store8 (i32.and {expr()} (i32.const 255)) {expr()})"
        return f"(local.set {rng.randrange(4)} {expr()})"

    body = stmts(0, [], rng.randrange(2, 6))
    return f"""(module (memory 1)
      (func (export "f") (param i32 i32 i32 i32) (result i32) (local i32 i32 i32 i32)
        {body}
        (i32.add (local.get 0) (i32.xor (local.get 1)
          (i32.add (i32.mul (local.get 2) (local.get 3)) (i32.load (i32.const 16)))))))"""


@pytest.mark.parametrize("seed", [*range(30), 78, 94, 397])
def test_random_nested_programs_all_forms_and_osr_match_interpreter(seed):
    """Structured, flat (with and without regions) and OSR entries agree with the
    interpreter.  The listed seeds once found bugs: a br_table whose targets are all
    one label dropped its trapping index; code after a block end that nothing reaches
    shifted block numbers; OSR into an else arm ran the then arm."""
    rng = random.Random(seed)
    wasm = wasmtime.wat2wasm(_random_nested(rng, rng.choice([8, 25, 45])))
    args = [rng.choice(EDGES) for _ in range(4)]
    expected = outcome(load(wasm, "off"), "f", *args)
    got = [outcome(load(wasm, "eager"), "f", *args)]
    for regions in (True, False):
        with forced_flat(regions):
            got.append(outcome(load(wasm, "eager"), "f", *args))
    for threshold in (1, 3, 10):
        got.append(outcome(load(wasm, "lazy", backedge_threshold=threshold), "f", *args))
    assert got == [expected] * len(got)


# --- counted loops: the `for ... in range` version behind an entry guard -------------

COUNTED = """(module
  (memory 1)
  ;; bytes at base+i for i = i0, i0+step, ... while i <u n (a do-while); the result
  ;; also holds the counter's final value, so its exit value is checked
  (func (export "sum_lt") (param $base i32) (param $i i32) (param $n i32) (param $step i32)
    (result i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s)
        (i32.load8_u (i32.add (local.get $base) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (local.get $step)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i32.add (i32.shl (local.get $s) (i32.const 16)) (local.get $i)))
  ;; an `i != n` exit, a constant step and two address shapes
  (func (export "sum_ne") (param $base i32) (param $i i32) (param $n i32) (result i32)
    (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s)
        (i32.load8_u (i32.add (local.get $i) (i32.const 5)))))
      (local.set $s (i32.add (local.get $s)
        (i32.load8_u (i32.add (local.get $base) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 3)))
      (br_if $l (i32.ne (local.get $i) (local.get $n))))
    (i32.add (i32.shl (local.get $s) (i32.const 16)) (local.get $i)))
  ;; stores, and a `break` out of the loop before its end
  (func (export "fill_stop") (param $base i32) (param $i i32) (param $n i32) (param $stop i32)
    (result i32)
    (block $out
      (loop $l
        (br_if $out (i32.eq (i32.load8_u (i32.add (local.get $base) (local.get $i)))
                            (local.get $stop)))
        (i32.store8 (i32.add (local.get $base) (local.get $i)) (i32.const 7))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
    (local.get $i))
  ;; the counter is rebound in the body: never a `for`
  (func (export "rebind") (param $i i32) (param $n i32) (result i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i))
  (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
)"""


def test_counted_loops_get_a_guarded_range_version():
    s = src(COUNTED, 0)
    assert "for l1 in range(l1, l2, l3):" in s and "while True:" in s
    fast = s[s.index("for l1") : s.index("else:")]
    # neither the counter nor the address is masked there
    assert "mem[l0 + l1]" in fast and "l3) & 4294967295" not in fast
    assert "range(" in src(COUNTED, 1) and "range(" in src(COUNTED, 2)
    assert "range(" not in src(COUNTED, 3)


def test_counted_loops_match_interpreter_at_the_wrap_edges():
    end = 65536
    calls = [("poke", a, a * 37 + 1) for a in (0, 1, 2, 5, 9, 20, 33, 120, end - 1)]
    calls += [("poke", 120, 9)]
    for args in [
        (0, 0, 100, 1), (0, 3, 100, 7), (100, 0, 1, 1), (0, 50, 10, 1),  # i0 >= n: once
        (M32 - 9, 10, 30, 1),  # base + i wraps to low memory: valid, guard must fail
        (M32 - 29, 30, 40, 1),
        (0x20, 0xFFFFFFE0, 0xFFFFFFF0, 0x20),  # the counter wraps, then runs off the end
        (end - 36, 0, 100, 1),  # traps in the middle of the fast version
        (0, 5, 20, M32),  # a step of -1: down to 0, then wraps above n
        (0, 0, end, 4096), (1, 0, end, 4096),
    ]:  # fmt: skip
        calls.append(("sum_lt", *args))
    for args in [(0, 0, 30), (0, 1, 30), (M32 - 20, 21, 60), (0, 60, 30), (4, M32 - 2, 0),
                 (0, 0, 3), (0, end - 8, end + 1)]:  # fmt: skip
        calls.append(("sum_ne", *args))
    for args in [(100, 0, 50, 9), (100, 0, 50, 300), (100, 0, 50, 7), (100, 40, 30, 300),
                 (M32 - 4, 0, 10, 300), (end - 5, 0, 10, 300)]:  # fmt: skip
        calls.append(("fill_stop", *args))
    calls += [("peek", a) for a in (0, 1, 5, 100, 119, 120, 121, 149, 150, end - 1)]
    calls += [("rebind", 0, 10), ("rebind", 5, 3)]
    res = both(COUNTED, calls)
    assert ("trap", "out of bounds memory access") in res


@pytest.mark.parametrize("seed", range(4))
def test_counted_loops_random_bounds_match_interpreter(seed):
    rng = random.Random(seed)
    near = [0, 1, 2, 3, 7, 64, 65530, 65536, 0x7FFFFFFF, 0x80000000, M32 - 70, M32 - 3, M32]
    calls = []
    for _ in range(25):
        base = rng.choice([0, 1, 100, 65000, M32 - 50, M32 - 2, rng.randrange(1 << 32)])
        i0 = rng.choice([*near, rng.randrange(200)])
        n = rng.choice([*near, i0 + rng.randrange(1, 300)]) & M32
        step = rng.choice([1, 2, 3, 5, 64, 4096, 0x80000000, M32, M32 - 3])
        calls += [("sum_lt", base, i0, n, step), ("sum_ne", base, i0, n),
                  ("fill_stop", base, i0, n, rng.randrange(256))]  # fmt: skip
    both(COUNTED, calls)


# Pointers stepped once per round (`p += 4`) and 64-bit counters (`a += c == 10`): the
# fast version drops their masks too, guarded by the round count.
STEPPED = """(module
  (memory 1)
  (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "walk") (param $p i32) (param $q i32) (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $p))))
      (local.set $s (i32.add (local.get $s)
        (i32.load8_u (i32.add (local.get $q) (i32.const 3)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $q (i32.add (local.get $q) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.ne (local.get $i) (local.get $n))))
    (i32.xor (i32.xor (local.get $s) (i32.shl (local.get $p) (i32.const 8))) (local.get $q)))
  ;; a pointer that only moves (its wrap shows in the result) and one added to a base
  (func (export "walk2") (param $base i32) (param $q i32) (param $n i32) (param $p i32)
    (result i32) (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s)
        (i32.load8_u (i32.add (local.get $base) (local.get $q)))))
      (local.set $q (i32.add (local.get $q) (i32.const 8)))
      (local.set $p (i32.add (local.get $p) (i32.const 0x10000000)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.ne (local.get $i) (local.get $n))))
    (i32.store (i32.const 64) (local.get $p))
    (i32.add (i32.load (i32.const 64)) (local.get $s)))
  (func (export "tally") (param $i i32) (param $n i32) (param $a i64) (param $b i64)
    (param $f i64) (result i64) (local $c i32)
    (loop $l
      (local.set $c (i32.load8_u (local.get $i)))
      (local.set $a (i64.add (local.get $a)
        (i64.extend_i32_u (i32.eq (local.get $c) (i32.const 10)))))
      (local.set $b (i64.add (local.get $b) (local.get $f)))
      (local.set $f (i64.extend_i32_u (i32.gt_u (local.get $c) (i32.const 100))))
      (local.set $b (i64.add (local.get $b) (i64.const 3)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i64.xor (i64.xor (local.get $a) (i64.shl (local.get $b) (i64.const 1))) (local.get $f)))
)"""


def test_stepped_pointers_and_counters_lose_their_masks_in_the_fast_version():
    s = src(STEPPED, 1)  # walk
    fast = s[s.index("for l3") : s.index("else:")]
    assert "l0 = l0 + 4" in fast and "mem[3 + l1]" in fast
    s = src(STEPPED, 3)  # tally
    fast = s[s.index("for l0") : s.index("else:")]
    assert "18446744073709551615" not in fast and "l4 <= 1" in s


def test_stepped_pointers_and_counters_match_interpreter_at_the_wrap_edges():
    calls = [("poke", a, v) for a, v in ((3, 10), (7, 200), (11, 10), (40, 10), (41, 101))]
    calls += [("walk", 0, 100, 50), ("walk", 4, 0, 1), ("walk", 0, M32 - 2, 5),
              ("walk", 0, M32 - 10, 3), ("walk", 65500, 0, 20), ("walk", 0, 0, 0),
              ("walk2", M32 - 20, 30, 4, 0), ("walk2", 0, 0, 3, 0xF0000000),
              ("walk2", 100, 8, 5, 0x20000000)]  # fmt: skip
    for args in [(0, 100, 0, 0, 0), (0, 100, M64 - 5, M64 - 100, 1), (0, 100, 0, 0, 5),
                 (0, 100, M64 - 300, 0, 0), (0, 100, 0, M64 - 400, 1), (50, 10, M64, M64, 1),
                 (65530, 65540, 0, 0, 0)]:  # fmt: skip
        calls.append(("tally", *args))
    res = both(STEPPED, calls)
    assert ("trap", "out of bounds memory access") in res


# f64 loops: aligned accesses in the fast version index a memoryview cast to doubles.
AXPY = """(module
  (memory 1 4)
  (func (export "axpy") (param $x i32) (param $y i32) (param $n i32) (param $a f64)
    (local $i i32)
    (loop $l
      (f64.store (local.get $y) (f64.add (f64.load (local.get $y))
        (f64.mul (local.get $a) (f64.load offset=8 (local.get $x)))))
      (local.set $x (i32.add (local.get $x) (i32.const 8)))
      (local.set $y (i32.add (local.get $y) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.ne (local.get $i) (local.get $n)))))
  (func (export "setf") (param i32 f64) (f64.store (local.get 0) (local.get 1)))
  (func (export "getf") (param i32) (result f64) (f64.load (local.get 0)))
  (func (export "geti") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
)"""


def test_f64_loops_use_an_aligned_view_and_release_it():
    s = src(AXPY, 0)
    fast = s[s.index("for l4") : s.index("finally:")]
    assert "_md[" in fast and "ld_f64" not in fast and "st_f64" not in fast
    assert "_md.release()" in s and "l0 & 7 == 0" in s
    end = 65536
    nan = struct.unpack("<d", struct.pack("<Q", 0x7FF4000000000001))[0]
    calls = [("setf", 8 * k, k / 3) for k in range(40)] + [
        ("setf", 4 * k + 1000, -k * 1.5) for k in range(20)
    ]
    calls += [("setf", 16, nan), ("setf", 24, -0.0)]
    calls += [("axpy", 0, 160, 20, 2.0), ("axpy", 4, 164, 10, 0.5),  # aligned; misaligned
              ("axpy", 1000, 1004, 9, -1.0), ("axpy", 0, 0, 30, 1.0),
              ("axpy", 0, end - 80, 20, 1.0),  # traps in the middle
              ("grow", 1),  # the view of the trapped loop is gone: memory can grow
              ("axpy", 0, 2 * end - 80, 8, 3.0), ("axpy", 0, M32 - 7, 3, 1.0)]  # fmt: skip
    calls += [("geti", 8 * k) for k in range(45)] + [("geti", 1000 + 4 * k) for k in range(20)]
    calls += [("getf", 2 * end - 80 + 8 * k) for k in range(8)]
    res = both(AXPY, calls)
    assert ("trap", "out of bounds memory access") in res and ("ok", 1) in res


# Pointers used only as f64 addresses live divided by 8 in the view loop (`_q`).
PREDIV = """(module
  (memory 1 4)
  (func (export "brk") (param $x i32) (param $n i32) (param $lim f64) (result i32)
    (local $i i32) (local $t i32)
    (local.set $t (i32.const 12345))
    (block $out
      (loop $l
        (br_if $out (f64.gt (f64.load (local.get $x)) (local.get $lim)))
        (local.set $t (i32.add (local.get $x) (i32.const 8)))
        (f64.store (local.get $t) (f64.mul (f64.load (local.get $t)) (f64.const 2)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.ne (local.get $i) (local.get $n)))))
    (i32.xor (i32.xor (local.get $x) (i32.shl (local.get $t) (i32.const 8)))
      (i32.shl (local.get $i) (i32.const 24))))
  (func (export "mixed") (param $x i32) (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (loop $l
      (f64.store (local.get $x) (f64.add (f64.load (local.get $x)) (f64.const 1)))
      (local.set $s (i32.add (local.get $s) (local.get $x)))
      (local.set $x (i32.add (local.get $x) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.ne (local.get $i) (local.get $n))))
    (i32.add (local.get $s) (local.get $x)))
  (func (export "setf") (param i32 f64) (f64.store (local.get 0) (local.get 1)))
  (func (export "geti") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
)"""


def test_f64_view_pointers_are_predivided_only_when_used_as_addresses_alone():
    s = src(PREDIV, 0)  # brk: x and t only address doubles
    fast = s[s.index("for l3") : s.index("finally:")]
    assert "_q0 = _q0 + 2" in fast and ">> 3]" not in fast and "l0 = _q0 << 3" in fast
    s = src(PREDIV, 1)  # mixed: x is also summed as an integer: stays a byte address
    fast = s[s.index("for l2") : s.index("finally:")]
    assert "_md[(l0) >> 3]" in fast and "_q0" not in fast


def test_predivided_pointers_are_rebuilt_on_every_exit():
    end = 65536
    calls = [("setf", 8 * k, float(k % 7)) for k in range(64)]
    calls += [("brk", 0, 20, 5.5),  # breaks when a load exceeds 5.5 (x = 16*k)
              ("brk", 0, 3, 100.0),  # runs out
              ("brk", 48, 4, 0.5),  # breaks in the first round: t keeps its start value
              ("brk", 4, 5, 100.0),  # misaligned: the slow version
              ("brk", end - 40, 10, 100.0),  # traps in the middle
              ("grow", 1), ("brk", end - 40, 10, 100.0),
              ("mixed", 8, 30), ("mixed", end * 2 - 16, 3), ("mixed", 3, 4)]  # fmt: skip
    calls += [("geti", 8 * k) for k in range(64)] + [("geti", end - 40 + 8 * k) for k in range(8)]
    res = both(PREDIV, calls)
    assert ("trap", "out of bounds memory access") in res and ("ok", 1) in res


# Read-only byte scans iterate slices of the bytes zipped with the counter.
SCAN = """(module
  (memory 1 4)
  ;; counts bytes equal to $c and sums bytes+1 at b+i, i = 0, 2, ..., n-2 (do-while)
  (func (export "count") (param $b i32) (param $n i32) (param $c i32) (result i64)
    (local $i i32) (local $k i64) (local $s i32)
    (loop $l
      (local.set $k (i64.add (local.get $k)
        (i64.extend_i32_u (i32.eq (i32.load8_u (i32.add (local.get $b) (local.get $i)))
          (local.get $c)))))
      (local.set $s (i32.add (local.get $s)
        (i32.load8_u offset=1 (i32.add (local.get $b) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i64.add (i64.shl (local.get $k) (i64.const 40))
      (i64.extend_i32_u (i32.add (i32.shl (local.get $s) (i32.const 8)) (local.get $i)))))
  ;; stores into the bytes it reads next round: must read memory, not a copy
  (func (export "prefix") (param $b i32) (param $n i32) (result i32)
    (local $i i32)
    (loop $l
      (i32.store8 offset=1 (i32.add (local.get $b) (local.get $i))
        (i32.add (i32.load8_u (i32.add (local.get $b) (local.get $i)))
                 (i32.load8_u offset=1 (i32.add (local.get $b) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.ne (local.get $i) (local.get $n))))
    (i32.load8_u (i32.add (local.get $b) (local.get $n))))
  ;; divides by each byte: a zero byte traps in the middle of the loop
  (func (export "divs") (param $b i32) (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.div_u (i32.const 1000)
        (i32.load8_u (i32.add (local.get $b) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.ne (local.get $i) (local.get $n))))
    (local.get $s))
  (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
)"""


def test_read_only_byte_scans_zip_slices_and_writing_loops_do_not():
    s = src(SCAN, 0)
    fast = s[s.index("for l3") : s.index("else:")]
    assert "zip(range(l3, l1, 2), mem[l0 + l3:l0 + l1:2]" in fast and "mem[l0 + l3]" not in fast
    assert "len(mem)" in s
    assert "zip(" not in src(SCAN, 1)  # prefix stores


def test_byte_scans_match_interpreter_near_the_end_and_after_grow():
    end = 65536
    rnd = random.Random(7)
    calls = [("poke", a, rnd.choice(b"ab\n \x00\x01\xff")) for a in range(0, 300)]
    calls += [("poke", end - 1 - k, 10 + k) for k in range(40)]
    calls += [("count", 0, 200, 10), ("count", 1, 201, 97), ("count", 7, 3, 0),
              ("count", 0, 0, 10), ("count", 5, 1, 10),
              ("count", end - 30, 30, 12),  # the last byte read is the memory's last
              ("count", end - 30, 31, 12),  # reads one past the end: traps midway
              ("count", M32 - 10, 20, 0),  # base + i wraps
              ("prefix", 10, 50), ("prefix", end - 20, 25),
              ("divs", 300, 0), ("divs", 0, 300), ("divs", end - 20, 19),
              ("grow", 1), ("count", end - 30, 31, 12), ("count", end - 2, 40, 0),
              ("divs", end - 20, 19)]  # fmt: skip
    calls += [("peek", a) for a in range(0, 70)] + [("peek", end - 25 + k) for k in range(30)]
    res = both(SCAN, calls)
    assert ("trap", "out of bounds memory access") in res
    assert ("trap", "integer divide by zero") in res


# 0/1 flags added to a tally become `if C: y = y + 1` in the fast version.
FLAGS = """(module
  (memory 1)
  (func (export "nl") (param $b i32) (param $n i32) (result i64)
    (local $i i32) (local $c i32) (local $f i32) (local $k i64)
    (loop $l
      (local.set $c (i32.load8_u (i32.add (local.get $b) (local.get $i))))
      (local.set $f (i32.eq (local.get $c) (i32.const 10)))
      (local.set $k (i64.add (local.get $k) (i64.extend_i32_u (local.get $f))))
      (local.set $c (i32.load8_u offset=1 (i32.add (local.get $b) (local.get $i))))
      (local.set $f (i32.gt_u (local.get $c) (i32.const 100)))
      (local.set $k (i64.add (local.get $k) (i64.extend_i32_u (local.get $f))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.ne (local.get $i) (local.get $n))))
    (i64.add (i64.shl (local.get $k) (i64.const 8)) (i64.extend_i32_u (local.get $f))))
  ;; C's input changes between the flag and its use: stays a flag
  (func (export "moved") (param $b i32) (param $n i32) (result i64)
    (local $i i32) (local $c i32) (local $f i32) (local $k i64)
    (loop $l
      (local.set $c (i32.load8_u (i32.add (local.get $b) (local.get $i))))
      (local.set $f (i32.eq (local.get $c) (i32.const 10)))
      (local.set $c (i32.load8_u offset=1 (i32.add (local.get $b) (local.get $i))))
      (local.set $k (i64.add (local.get $k) (i64.extend_i32_u (local.get $f))))
      (local.set $k (i64.add (local.get $k) (i64.extend_i32_u (local.get $c))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.ne (local.get $i) (local.get $n))))
    (i64.add (i64.shl (local.get $k) (i64.const 8)) (i64.extend_i32_u (local.get $f))))
  (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
)"""


def test_flag_tallies_become_conditional_adds_and_keep_the_flags_exit_value():
    s = src(FLAGS, 0)
    fast = s[s.index("for l2") : s.index("else:")]
    assert "= 1 if" not in fast and fast.count(": l5 = l5 + 1") == 2
    s = src(FLAGS, 1)
    fast = s[s.index("for l2") : s.index("else:")]
    assert "l4 = 1 if" in fast and ": l5 = l5 + 1" not in fast
    calls = [("poke", a, v) for a, v in ((0, 10), (1, 200), (2, 10), (3, 10), (5, 101), (9, 99))]
    calls += [("nl", 0, n) for n in (1, 2, 3, 4, 5, 9)] + [("nl", 1, 2), ("nl", 65530, 8)]
    calls += [("nl", 65528, 8)]  # the fast version traps in its last round
    calls += [("moved", 0, n) for n in (1, 2, 3, 5)] + [("moved", 65534, 3)]
    res = both(FLAGS, calls)
    assert ("trap", "out of bounds memory access") in res


def test_a_round_that_starts_by_copying_its_byte_binds_it_in_the_for_and_adds_flags_by_if():
    s = src(FLAGS, 0)
    assert "for l2, l3 in zip(range(l2, l1, 1), mem[l0 + l2:l0 + l1:1]):" in s
    s = src(STEPPED, 3)  # tally: `b = b + f` keeps f; `a = a + (1 if c == 10 else 0)` is an if
    fast = s[s.index("for l0") : s.index("else:")]
    assert "if l5 == 10: l2 = l2 + 1" in fast and "(1 if" not in fast
