"""Tests of procs/wasm/instance.py: import matching, the order of instantiation steps,
partial effects of a failing segment, and state shared between instances."""

from __future__ import annotations

import pytest
import wasmtime

from procs.wasm.decode import decode
from procs.wasm.errors import LinkError, Trap
from procs.wasm.instance import instantiate, resolve_imports
from procs.wasm.interp import invoke
from procs.wasm.module import (
    EXTERNREF,
    FUNCREF,
    I32,
    I64,
    FuncType,
    GlobalType,
    Limits,
    MemoryType,
    TableType,
)
from procs.wasm.runtime import Global, HostFunction, Memory, Table, WasmFunction
from procs.wasm.validate import validate


def module(wat: str):
    m = decode(wasmtime.wat2wasm(wat))
    validate(m)
    return m


def call(inst, name: str, *args):
    res = invoke(inst.exports[name], list(args))
    return res[0] if len(res) == 1 else res


def test_resolve_imports():
    m = module('(module (import "env" "f" (func)) (import "env" "m" (memory 1)))')
    mem = Memory(MemoryType(Limits(1)))
    f = HostFunction(FuncType((), ()), lambda: None)
    table = {("env", "f"): f, ("env", "m"): mem}
    assert resolve_imports(m, lambda a, b: table.get((a, b))) == [f, mem]
    with pytest.raises(LinkError, match=r"unknown import: `env::m` has not been defined"):
        resolve_imports(m, lambda a, b: f if b == "f" else None)


NOP = HostFunction(FuncType((I32,), ()), lambda x: None)


@pytest.mark.parametrize(
    "imp,extern,detail",
    [
        ("(func (param i32))", Memory(MemoryType(Limits(1))), "expected func, got memory"),
        ("(func (param i64))", NOP, "expected [i64] -> [], got [i32] -> []"),
        ("(func (param i32) (result i32))", NOP, "got [i32] -> []"),
        ("(memory 1)", NOP, "expected memory, got func"),
        ("(memory 2)", Memory(MemoryType(Limits(1))), "minimum 1"),
        ("(memory 1 2)", Memory(MemoryType(Limits(1))), "no maximum"),
        ("(memory 1 2)", Memory(MemoryType(Limits(1, 3))), "maximum 3"),
        ("(table 1 funcref)", Table(TableType(EXTERNREF, Limits(1))), "funcref"),
        ("(table 2 funcref)", Table(TableType(FUNCREF, Limits(1))), "minimum 1"),
        ("(table 0 5 funcref)", Table(TableType(FUNCREF, Limits(1, 6))), "maximum 6"),
        ("(global i32)", Global(GlobalType(I64, False), 0), "expected i32 global, got i64"),
        ("(global i32)", Global(GlobalType(I32, True), 0), "expected i32 global, got mut i32"),
        ("(global (mut i32))", Global(GlobalType(I32, False), 0), "got i32"),
    ],
)
def test_import_type_mismatch(imp, extern, detail):
    m = module(f'(module (import "env" "x" {imp}))')
    with pytest.raises(LinkError) as e:
        instantiate(m, [extern])
    msg = str(e.value)
    assert msg.startswith("incompatible import type for `env::x`: ")
    assert detail in msg


def test_import_matching_uses_current_sizes():
    mem = Memory(MemoryType(Limits(1, 4)))
    m = module('(module (import "env" "m" (memory 2 4)))')
    with pytest.raises(LinkError):
        instantiate(m, [mem])
    assert mem.grow(1) == 1
    instantiate(m, [mem])  # now 2 pages: fits
    tab = Table(TableType(FUNCREF, Limits(0)))
    tab.grow(3)
    instantiate(module('(module (import "env" "t" (table 3 funcref)))'), [tab])


def test_import_count_mismatch():
    with pytest.raises(LinkError):
        instantiate(module('(module (import "env" "f" (func)))'), [])


def test_globals_exports_and_const_exprs():
    base = Global(GlobalType(I32, False), 40)
    m = module(
        """(module
          (import "env" "base" (global $base i32))
          (global $g (export "g") i32 (global.get $base))
          (global $h (export "h") (mut i64) (i64.const -1))
          (global $r funcref (ref.func $f))
          (table (export "t") 50 funcref)
          (memory (export "m") 1)
          (elem (global.get $base) func $f $f)
          (data (global.get $base) "xy")
          (func $f (export "f") (result i32) (global.get $g))
          (func (export "r-is-f") (result i32)
            (ref.is_null (global.get $r))))"""
    )
    inst = instantiate(m, [base])
    assert inst.exports["g"].value == 40
    assert inst.exports["h"].value == 0xFFFFFFFFFFFFFFFF
    assert isinstance(inst.exports["f"], WasmFunction)
    assert call(inst, "f") == 40
    assert call(inst, "r-is-f") == 0
    t = inst.exports["t"].elements
    assert t[40] is inst.exports["f"] and t[41] is inst.exports["f"] and t[42] is None
    assert inst.exports["m"].data[40:42] == b"xy"
    assert inst.globals[0] is base


def test_segments_are_dropped_after_use():
    m = module(
        """(module
          (table 4 funcref) (memory 1)
          (elem (i32.const 0) func $f)
          (elem declare func $f)
          (data (i32.const 0) "abc")
          (func $f)
          (func (export "tinit") (param i32 i32)
            (table.init 0 (i32.const 0) (i32.const 0) (local.get 1)))
          (func (export "tinit-decl") (param i32)
            (table.init 1 (i32.const 0) (i32.const 0) (local.get 0)))
          (func (export "minit") (param i32)
            (memory.init 0 (i32.const 0) (i32.const 0) (local.get 0))))"""
    )
    inst = instantiate(m, [])
    call(inst, "tinit", 0, 0)
    call(inst, "tinit-decl", 0)
    call(inst, "minit", 0)
    with pytest.raises(Trap, match="out of bounds table access"):
        call(inst, "tinit", 0, 1)
    with pytest.raises(Trap, match="out of bounds table access"):
        call(inst, "tinit-decl", 1)
    with pytest.raises(Trap, match="out of bounds memory access"):
        call(inst, "minit", 1)


def test_order_elems_then_data_then_start():
    log: list = []
    host = HostFunction(FuncType((I32,), ()), log.append)
    m = module(
        """(module
          (import "env" "log" (func $log (param i32)))
          (table 2 funcref) (memory 1)
          (elem (i32.const 1) func $seven)
          (data (i32.const 0) "\\2a")
          (func $seven (result i32) (i32.const 7))
          (func $start
            (call $log (i32.load8_u (i32.const 0)))
            (call $log (call_indirect (result i32) (i32.const 1))))
          (start $start))"""
    )
    instantiate(m, [host])
    assert log == [42, 7]


def test_partial_effects_stay_when_a_segment_traps():
    mem = Memory(MemoryType(Limits(1)))
    tab = Table(TableType(FUNCREF, Limits(3)))
    m = module(
        """(module
          (import "env" "m" (memory 1))
          (import "env" "t" (table 3 funcref))
          (elem (i32.const 0) func $f)
          (elem (i32.const 2) func $f $f)
          (data (i32.const 0) "never")
          (func $f (result i32) (i32.const 99)))"""
    )
    with pytest.raises(Trap, match="out of bounds table access"):
        instantiate(m, [mem, tab])
    assert tab.elements[0] is not None and tab.elements[1:] == [None, None]
    assert mem.data[:5] == bytes(5)  # data segments come after element segments
    # The function placed in the shared table still works.
    assert invoke(tab.elements[0], []) == [99]

    m2 = module(
        """(module
          (import "env" "m" (memory 1))
          (data (i32.const 10) "ok")
          (data (i32.const 65535) "no")
          (func $start (unreachable)) (start $start))"""
    )
    with pytest.raises(Trap, match="out of bounds memory access"):
        instantiate(m2, [mem, tab][:1])
    assert mem.data[10:12] == b"ok" and mem.data[65535] == 0


def test_start_trap_after_initialisation():
    mem = Memory(MemoryType(Limits(1)))
    m = module(
        """(module (import "env" "m" (memory 1))
          (data (i32.const 0) "hi")
          (func $s (i32.store8 (i32.const 2) (i32.const 33)) (unreachable))
          (start $s))"""
    )
    with pytest.raises(Trap) as e:
        instantiate(m, [mem])
    assert e.value.kind == "unreachable"
    assert mem.data[:3] == b"hi!"


def test_state_shared_between_instances():
    a = instantiate(
        module(
            """(module
              (memory (export "mem") 1)
              (table (export "tab") 2 funcref)
              (global (export "counter") (mut i32) (i32.const 0))
              (type $t (func (result i32)))
              (func (export "call0") (result i32) (call_indirect (type $t) (i32.const 0)))
              (func (export "peek") (result i32) (i32.load (i32.const 100)))
              (func (export "count") (result i32) (global.get 0)))"""
        ),
        [],
    )
    m_b = module(
        """(module
          (import "a" "mem" (memory 1))
          (import "a" "tab" (table 2 funcref))
          (import "a" "counter" (global $c (mut i32)))
          (global $mine i32 (i32.const 1000))
          (elem (i32.const 0) func $f)
          (func $f (result i32)
            (global.set $c (i32.add (global.get $c) (i32.const 1)))
            (i32.store (i32.const 100) (i32.const 0xBEEF))
            (i32.add (global.get $mine) (global.get $c))))"""
    )
    b = instantiate(m_b, [a.exports["mem"], a.exports["tab"], a.exports["counter"]])
    assert b.mems[0] is a.mems[0]
    # A calls B's function through the shared table; it runs with B's globals.
    assert call(a, "call0") == 1001
    assert call(a, "call0") == 1002
    assert call(a, "count") == 2
    assert call(a, "peek") == 0xBEEF
