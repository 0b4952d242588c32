"""The text parser against an independent assembler: each module is parsed by
`parse_module` and also assembled by wasmtime's `wat2wasm` and decoded by our binary
decoder; the two `Module`s must be equal field by field. Float literals are checked
against bit patterns computed with `struct` / `float.fromhex` and against the spec
suite's own expected values; errors are checked for each malformed case."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
import wasmtime

from procs.wasm import opcodes
from procs.wasm.decode import decode
from procs.wasm.errors import MalformedError, UnsupportedError
from procs.wasm.lexer import Atom, parse_float
from procs.wasm.module import Module
from procs.wasm.text import parse_module

SPEC = Path(__file__).resolve().parents[2] / "data" / "spec"


def _normalize(m: Module) -> Module:
    for f in m.funcs:
        f.offset = 0
    m.section_sizes = []
    m.customs = []
    if m.data_count is None:  # wasmtime leaves the data count section out when unneeded
        m.data_count = len(m.datas)
    return m


def assert_same(wat: str, reference: str | None = None) -> Module:
    """Parse `wat`, assemble `reference` (default: the same text) with wasmtime, decode,
    and compare every field."""
    mine = _normalize(parse_module(wat))
    ref = _normalize(decode(wasmtime.wat2wasm(reference or wat)))
    if ref.module_name is None and mine.module_name is not None:
        ref.module_name = mine.module_name  # wasmtime does not always emit the module name
    for name in Module.__slots__:
        assert getattr(mine, name) == getattr(ref, name), f"field {name} differs"
    return mine


# Every module field, abbreviation and instruction form the parser supports.
MODULES = {
    "empty": "(module)",
    "bare-fields": "(func) (memory 1)",
    "types": """(module (type (func)) (type $t (func (param i32 i64) (result f32)))
        (type (func (param $x i32) (param f64) (result i32) (result i64))))""",
    "imports": """(module
        (import "m" "f" (func $f (param i32)))
        (import "m" "g" (func (type 0)))
        (import "m" "t" (table $t 1 10 funcref))
        (import "m" "mem" (memory 1 2))
        (import "m" "g1" (global $g i32))
        (import "m" "g2" (global (mut f64)))
        (func (call $f (i32.const 1)) (global.get $g) drop))""",
    "inline-import-export": """(module
        (func $i (export "a") (export "b") (import "m" "f") (param i32) (result i32))
        (table (export "t") (import "m" "t") 2 funcref)
        (memory (import "m" "mem") 1)
        (global $g (export "g") (import "m" "g") (mut i32))
        (func $d (export "d") (result i32) (call $i (global.get $g))))""",
    "exports": """(module (func $f) (table $t 1 externref) (memory $m 1) (global $g i32 (i32.const 1))
        (export "f" (func $f)) (export "t" (table $t)) (export "m" (memory $m))
        (export "g" (global $g)) (export "f0" (func 0)))""",
    "start": "(module (func $main) (start $main))",
    "typeuse-explicit-and-inline": """(module
        (type $t (func (param i32) (result i32)))
        (func (type $t) (local.get 0))
        (func (type $t) (param i32) (result i32) (local.get 0))
        (func (type $t) (param $x i32) (result i32) (local.get $x))
        (func (param i32) (result i32) (local.get 0)))""",
    "implicit-types-appended": """(module
        (func (param i64))
        (type $a (func (param i32)))
        (func (param i32))
        (func (result f32) (f32.const 0))
        (func (param i64))
        (type (func (result f32)))
        (func (call_indirect (param f64) (i32.const 0) (f64.const 0) (i32.const 0)))
        (table 1 funcref))""",
    "locals": """(module (func (param $a i32) (param i64 f32) (local $b i32) (local f64 f64)
        (local.set $b (local.get $a)) (local.set 4 (f64.const 1)) (local.tee $b (i32.const 2))
        drop))""",
    "folded-and-flat": """(module (func (param i32) (result i32)
        (i32.add (local.get 0) (i32.const 1))
        local.get 0 i32.const 2 i32.mul
        i32.sub))""",
    "blocks": """(module (type $bt (func (param i32) (result i32 i32)))
        (type $r (func (result i32)))
        (func (result i32)
          (block $a (result i32) (br $a (i32.const 1)))
          (loop $l (br_if $l (i32.const 0)))
          block (result i32) i32.const 1 end
          i32.add
          (block (type $r) (i32.const 3)) i32.add
          (i32.const 4) (block (type $bt) (i32.const 5)) drop i32.add i32.add
          (i32.const 6) (block (param i32) (result i32)) i32.add
          (block (result i32 i64) (i32.const 1) (i64.const 2)) drop i32.add))""",
    "if-forms": """(module (func (param i32) (result i32)
        (if (local.get 0) (then (nop)))
        (if (local.get 0) (then (nop)) (else (nop)))
        (if $l (result i32) (local.get 0) (then (i32.const 1)) (else (br $l (i32.const 2))))
        local.get 0
        if $m (result i32) i32.const 3 else $m i32.const 4 end $m
        i32.add
        (if (result i32) (local.get 0) (then (i32.const 5)) (else (i32.const 6)))
        i32.add
        local.get 0
        (if (result i32) (then (i32.const 1)) (else (i32.const 0)))
        i32.add))""",
    "labels-shadowing": """(module (func
        (block $x (block $y (block $x (br $x) (br $y) (br 2) (br_if $x (i32.const 0)))))
        block $a loop $b br $a br $b end $b end $a
        (block $o (block (block (br_table $o 0 1 $o 2 (i32.const 0)))))
        (block (br_table 0 (i32.const 0)))))""",
    "calls": """(module
        (type $t (func (param i32) (result i32)))
        (table $tab 2 funcref) (table $tab2 1 funcref)
        (func $f (type $t) (local.get 0))
        (func (result i32)
          (call $f (i32.const 1))
          (call_indirect (type $t) (i32.const 2) (i32.const 0)) drop
          (call_indirect $tab2 (type $t) (param i32) (result i32) (i32.const 2) (i32.const 0))
          drop
          (call_indirect 1 (param i32) (result i32) (i32.const 2) (i32.const 0)) drop
          i32.const 3 i32.const 0 call_indirect (type $t)
          drop
          (return_value)))""".replace("(return_value)", "(return (i32.const 0))"),
    "select-drop": """(module (func (result i32)
        (select (i32.const 1) (i32.const 2) (i32.const 0)) drop
        (select (result i32) (i32.const 1) (i32.const 2) (i32.const 0)) drop
        (select (result f64) (f64.const 1) (f64.const 2) (i32.const 0)) drop
        (select (result externref) (ref.null extern) (ref.null extern) (i32.const 0)) drop
        i32.const 1 i32.const 2 i32.const 3 select (result i32)
        unreachable nop))""",
    "memory-ops": """(module (memory 1)
        (func (local i64)
          (drop (i32.load (i32.const 0)))
          (drop (i32.load offset=4 (i32.const 0)))
          (drop (i32.load align=1 (i32.const 0)))
          (drop (i64.load offset=0x10 align=8 (i32.const 0)))
          (drop (i64.load32_u offset=1 align=2 (i32.const 0)))
          (drop (f32.load (i32.const 0))) (drop (f64.load align=4 (i32.const 0)))
          (drop (i32.load8_s (i32.const 0))) (drop (i32.load16_u align=2 (i32.const 0)))
          (i32.store (i32.const 0) (i32.const 1))
          (i64.store offset=4294967295 (i32.const 0) (i64.const 1))
          (i32.store8 align=1 (i32.const 0) (i32.const 1))
          (i64.store16 (i32.const 0) (i64.const 1))
          (i64.store32 (i32.const 0) (i64.const 1))
          (f32.store (i32.const 0) (f32.const 1)) (f64.store (i32.const 0) (f64.const 1))
          (drop (memory.size)) (drop (memory.grow (i32.const 1)))
          (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))
          (memory.copy (i32.const 0) (i32.const 0) (i32.const 0))
          (memory.init $d (i32.const 0) (i32.const 0) (i32.const 0))
          (data.drop $d) (data.drop 1))
        (data $d "a") (data "b"))""",
    "table-ops": """(module
        (table $t 1 funcref) (table $u 2 externref)
        (elem $e func $f) (elem $e2 externref)
        (func $f (param externref)
          (drop (table.get (i32.const 0)))
          (drop (table.get $u (i32.const 0)))
          (table.set $t (i32.const 0) (ref.func $f))
          (table.set 1 (i32.const 0) (local.get 0))
          (drop (table.size)) (drop (table.size $u))
          (drop (table.grow $u (ref.null extern) (i32.const 1)))
          (drop (table.grow (ref.null func) (i32.const 1)))
          (table.fill $u (i32.const 0) (local.get 0) (i32.const 1))
          (table.copy (i32.const 0) (i32.const 0) (i32.const 0))
          (table.copy $u $u (i32.const 0) (i32.const 0) (i32.const 0))
          (table.init $e (i32.const 0) (i32.const 0) (i32.const 0))
          (table.init $u $e2 (i32.const 0) (i32.const 0) (i32.const 0))
          (elem.drop $e) (elem.drop 1)
          (drop (ref.is_null (ref.null func)))))""",
    "numeric-ops": """(module (func
        (drop (i32.clz (i32.const 1))) (drop (i64.popcnt (i64.const 1)))
        (drop (i32.rotl (i32.const 1) (i32.const 2))) (drop (i64.shr_u (i64.const 1) (i64.const 2)))
        (drop (f32.copysign (f32.const 1) (f32.const -1))) (drop (f64.nearest (f64.const 1.5)))
        (drop (i32.wrap_i64 (i64.const 1))) (drop (i64.extend_i32_u (i32.const 1)))
        (drop (i32.trunc_f32_s (f32.const 1))) (drop (i64.trunc_sat_f64_u (f64.const 1)))
        (drop (f32.demote_f64 (f64.const 1))) (drop (f64.promote_f32 (f32.const 1)))
        (drop (f32.convert_i64_u (i64.const 1))) (drop (i64.reinterpret_f64 (f64.const 1)))
        (drop (i32.extend8_s (i32.const 1))) (drop (i64.extend32_s (i64.const 1)))
        (drop (i64.eqz (i64.const 0))) (drop (f64.ge (f64.const 0) (f64.const 1)))))""",
    "int-literals": """(module (func
        (drop (i32.const 0)) (drop (i32.const -1)) (drop (i32.const 4294967295))
        (drop (i32.const -2147483648)) (drop (i32.const 0x7fff_ffff)) (drop (i32.const -0x80000000))
        (drop (i32.const +42)) (drop (i32.const 1_000_000)) (drop (i32.const 0xFFFFFFFF))
        (drop (i64.const -9223372036854775808)) (drop (i64.const 18446744073709551615))
        (drop (i64.const 0x7fff_ffff_ffff_ffff)) (drop (i64.const -0x1)) (drop (i64.const +0))))""",
    "float-literals": """(module (func
        (drop (f32.const 0)) (drop (f32.const -0)) (drop (f32.const 1.5)) (drop (f32.const 1e10))
        (drop (f32.const 0x1.fffffep127)) (drop (f32.const 0x1p-149)) (drop (f32.const inf))
        (drop (f32.const -inf)) (drop (f32.const nan)) (drop (f32.const -nan))
        (drop (f32.const nan:0x1)) (drop (f32.const -nan:0x7f_ffff)) (drop (f32.const 1.))
        (drop (f32.const 0x1.p1)) (drop (f32.const 1_000.000_1)) (drop (f32.const 1E-3))
        (drop (f32.const 0x1.000001p0)) (drop (f32.const 3.4028235e38)) (drop (f32.const 1e-46))
        (drop (f64.const 0.1)) (drop (f64.const -1.7976931348623157e308))
        (drop (f64.const 0x1.fffffffffffffp1023)) (drop (f64.const 0x0.0000000000001p-1022))
        (drop (f64.const 4.9e-324)) (drop (f64.const 2.4703282292062328e-324))
        (drop (f64.const nan:0x8_0000_0000_0001)) (drop (f64.const +inf))
        (drop (f64.const 0x1_2.3_4p-1_0)) (drop (f64.const 123456789e-5))
        (drop (f64.const 1.00000000000000011102230246251565404236316680908203125))))""",
    "globals": """(module
        (import "m" "g" (global $i i32))
        (global $a i32 (i32.const 1))
        (global $b (mut i64) (i64.const -1))
        (global $c f32 (f32.const 1.5))
        (global $d funcref (ref.func $f))
        (global $e externref (ref.null extern))
        (global $f2 i32 (global.get $i))
        (func $f (global.set $b (i64.const 2)) (drop (global.get $a))))""",
    "table-inline-elem": """(module
        (func $f) (func $g)
        (table $t funcref (elem $f $g $f))
        (table $u funcref (elem (ref.func $g) (ref.null func)))
        (table $v externref (elem (ref.null extern))))""",
    "memory-inline-data": """(module (memory $m (export "m") (data "hello" "\\00\\ff" "\\u{48}")))""",
    "memory-inline-data-large": '(module (memory (data "' + "x" * 70000 + '")))',
    "elem-forms": """(module
        (table $t 10 funcref) (table $t2 10 funcref)
        (func $f) (func $g)
        (elem (i32.const 0) $f $g)
        (elem (offset (i32.const 1)) func $f)
        (elem (table $t2) (offset (i32.const 2)) func $g $f)
        (elem $e1 (table $t2) (i32.const 3) funcref (ref.func $f) (item (ref.func $g))
              (item ref.null func) (ref.null func))
        (elem $p func $f $g)
        (elem funcref (ref.func $f) (ref.null func))
        (elem externref (ref.null extern))
        (elem declare func $f)
        (elem declare funcref (ref.func $g))
        (elem (i32.const 5))
        (elem (table 1) (i32.const 0) func)
        (elem (offset (global.get $base)) $g)
        (func (elem.drop $p) (elem.drop $e1)))""".replace(
        "(module\n", '(module (global $base (import "m" "base") i32)\n', 1
    ),
    "data-forms": """(module
        (global $base (import "m" "base") i32)
        (memory $mem 1)
        (data (i32.const 0) "abc" "def")
        (data (memory 0) (i32.const 8) "x")
        (data (memory $mem) (offset (i32.const 9)) "y")
        (data $p "passive\\n\\t\\"\\'\\\\")
        (data (offset (global.get $base)))
        (data (i32.const 0))
        (data $q))""",
    "names": """(module $my_mod
        (func $a) (func) (func $c!#%&'*+-./:<=>?@\\^_`|~ (call $a)))""",
    "ref-ops": """(module (func $f (result funcref)
        (ref.func $f) drop (ref.null func) (drop (ref.is_null (ref.null extern)))))""",
    "comments": """(module ;; line comment
        (; block (; nested ;) comment ;)
        (func (; inside ;) (nop)) ;; trailing
        (;;) (;a;))""",
    "br-table-many": "(module (func "
    + "(block " * 20
    + "(br_table "
    + " ".join(str(i % 20) for i in range(100))
    + " (i32.const 0))"
    + ")" * 20
    + "))",
    "return-unreachable": """(module (func (result i32) (return (i32.const 1)) (unreachable)))""",
    "multi-value": """(module
        (func $swap (param i32 i64) (result i64 i32) (local.get 1) (local.get 0))
        (func (result i64 i32) (call $swap (i32.const 1) (i64.const 2)))
        (func (result i32) (block (result i32 i32) (i32.const 1) (i32.const 2)) drop))""",
    "start-and-export-order": """(module (func $s) (export "z" (func $s))
        (func (export "a")) (start 0) (export "m" (memory 0)) (memory 0))""",
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_matches_wasmtime(name: str) -> None:
    assert_same(MODULES[name])


def test_implicit_type_order_and_reuse() -> None:
    m = assert_same(MODULES["implicit-types-appended"])
    # Explicit types first, then inline ones in order of first use, reused when identical.
    assert [(t.params, t.results) for t in m.types] == [
        ((0x7F,), ()),
        ((), (0x7D,)),
        ((0x7E,), ()),
        ((), ()),  # the function holding the call_indirect
        ((0x7C,), ()),
    ]


def test_shapes_of_instructions() -> None:
    """Immediates follow module.py's conventions (checked directly, not only by equality)."""
    body = (
        parse_module(
            """(module (type $t (func)) (table 1 funcref) (memory 1)
        (func (block (result i32) (i32.const -1)) drop
          (i64.load offset=8 align=4 (i32.const 0)) drop
          (call_indirect (type $t) (i32.const 0))
          (select (result f32) (f32.const 1) (f32.const 2) (i32.const 0)) drop
          (block (br_table 0 0 0 (i32.const 0)))
          (memory.size) drop))"""
        )
        .funcs[0]
        .body
    )
    assert body[:4] == [
        (opcodes.BLOCK, -1),
        (opcodes.I32_CONST, 0xFFFFFFFF),
        (opcodes.END,),
        (0x1A,),
    ]
    assert (0x29, 2, 8) in body
    assert (opcodes.CALL_INDIRECT, 0, 0) in body
    assert (opcodes.SELECT_T, (0x7D,)) in body
    assert (opcodes.BR_TABLE, (0, 0), 0) in body
    assert (opcodes.MEMORY_SIZE, 0) in body
    assert body[-1] == (opcodes.END,)


def test_func_names_and_module_name() -> None:
    m = parse_module('(module $M (import "a" "b" (func $imp)) (func $f) (func) (func $g))')
    assert m.module_name == "M"
    assert m.func_names == {0: "imp", 1: "f", 3: "g"}
    assert m.data_count == 0


def test_legacy_names() -> None:
    legacy = """(module (memory 1) (global $g (mut i32) (i32.const 0))
      (func (param i32) (local f32 f64 i64) (result i32)
        (set_local 0 (get_local 0)) (drop (tee_local 0 (i32.const 1)))
        (set_global $g (get_global $g)) (drop (current_memory)) (drop (grow_memory (i32.const 0)))
        (drop (i32.wrap/i64 (get_local 3))) (drop (i32.trunc_s/f32 (get_local 1)))
        (drop (i32.trunc_u/f64 (get_local 2))) (drop (i64.extend_s/i32 (get_local 0)))
        (drop (i64.extend_u/i32 (get_local 0))) (drop (i64.trunc_u/f32 (get_local 1)))
        (drop (f32.convert_s/i32 (get_local 0))) (drop (f64.convert_u/i64 (get_local 3)))
        (drop (f32.demote/f64 (get_local 2))) (drop (f64.promote/f32 (get_local 1)))
        (drop (i32.reinterpret/f32 (get_local 1))) (drop (f64.reinterpret/i64 (get_local 3)))
        (drop (i32.trunc_s:sat/f32 (get_local 1))) (drop (i64.trunc_u:sat/f64 (get_local 2)))
        (get_local 0))
      (table 1 anyfunc))"""
    modern = """(module (memory 1) (global $g (mut i32) (i32.const 0))
      (func (param i32) (local f32 f64 i64) (result i32)
        (local.set 0 (local.get 0)) (drop (local.tee 0 (i32.const 1)))
        (global.set $g (global.get $g)) (drop (memory.size)) (drop (memory.grow (i32.const 0)))
        (drop (i32.wrap_i64 (local.get 3))) (drop (i32.trunc_f32_s (local.get 1)))
        (drop (i32.trunc_f64_u (local.get 2))) (drop (i64.extend_i32_s (local.get 0)))
        (drop (i64.extend_i32_u (local.get 0))) (drop (i64.trunc_f32_u (local.get 1)))
        (drop (f32.convert_i32_s (local.get 0))) (drop (f64.convert_i64_u (local.get 3)))
        (drop (f32.demote_f64 (local.get 2))) (drop (f64.promote_f32 (local.get 1)))
        (drop (i32.reinterpret_f32 (local.get 1))) (drop (f64.reinterpret_i64 (local.get 3)))
        (drop (i32.trunc_sat_f32_s (local.get 1))) (drop (i64.trunc_sat_f64_u (local.get 2)))
        (local.get 0))
      (table 1 funcref))"""
    # The legacy spelling of (local ...) before (result ...) is not what is tested here.
    legacy = legacy.replace("(local f32 f64 i64) (result i32)", "(result i32) (local f32 f64 i64)")
    modern = modern.replace("(local f32 f64 i64) (result i32)", "(result i32) (local f32 f64 i64)")
    assert_same(legacy, reference=modern)


def test_deep_nesting_is_not_a_recursion_error() -> None:
    n = 30_000  # far beyond Python's recursion limit
    m = parse_module("(module (func " + "(block " * n + ")" * n + "))")
    assert len(m.funcs[0].body) == 2 * n + 1
    m = parse_module("(module (func " + "block " * n + "end " * n + "))")
    assert len(m.funcs[0].body) == 2 * n + 1
    with pytest.raises(MalformedError):
        parse_module("(module (func " + "(block " * n)
    with pytest.raises(MalformedError):
        parse_module("(module (func " + "block " * n + "))")


# --- float literals -------------------------------------------------------------------


def _f32(text: str) -> int:
    return parse_float(Atom(text, 1, 1), 32)


def _f64(text: str) -> int:
    return parse_float(Atom(text, 1, 1), 64)


def _bits64(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def _bits32(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


@pytest.mark.parametrize(
    "text",
    [
        "0.1", "1e300", "2.2250738585072014e-308", "4.9e-324", "2.4703282292062328e-324",
        "2.4703282292062327e-324", "1.7976931348623157e308", "123456789012345678901234567890",
        "0.30000000000000004", "9007199254740993", "1e-400", "-0.0", "3.14159265358979323846",
        "1.00000000000000011102230246251565404236316680908203125",
        "1.000000000000000111022302462515654042363166809082031250001",
    ],
)  # fmt: skip
def test_f64_decimal_matches_correctly_rounded_python(text: str) -> None:
    assert _f64(text) == _bits64(float(text))


@pytest.mark.parametrize(
    "text",
    ["0x1p-1074", "0x1.fffffffffffffp1023", "0x1.00000000000008p0", "0x1.00000000000008000001p0",
     "0x1.00000000000018p0", "0x0.8p-1074", "0x0.80000001p-1074", "-0x1.8p1", "0xabc.defp-20"],
)  # fmt: skip
def test_f64_hex_matches_fromhex(text: str) -> None:
    assert _f64(text) == _bits64(float.fromhex(text))


@pytest.mark.parametrize(
    ("text", "bits"),
    [
        # 1 + 2**-24 + 2**-60: just above the halfway point between 1 and the next f32.
        # Rounding through f64 first lands exactly on the halfway point and then ties to
        # even (0x3F800000): the double-rounding bug. Correct answer rounds up.
        ("0x1.000001000000001p0", 0x3F800001),
        ("1.0000000596046447753906250000000001", 0x3F800001),
        ("1.000000059604644775390625", 0x3F800000),  # exactly halfway: ties to even
        ("1.000000178813934326171875", 0x3F800002),  # halfway, odd below: rounds up
        ("0x1.000001p0", 0x3F800000),
        ("0x1.000003p0", 0x3F800002),
        ("0x1.fffffefffffffffffp127", 0x7F7FFFFF),  # just under the overflow threshold
        ("0x1p-149", 0x00000001),
        ("0x1p-150", 0x00000000),  # halfway to the smallest subnormal: ties to even zero
        ("0x1.000000001p-150", 0x00000001),
        ("0x1.fffffcp-127", 0x007FFFFF),  # largest subnormal
        ("0x1.fffffep-127", 0x00800000),  # halfway above it: ties to even, the smallest normal
        ("0x1.fffffdp-127", 0x007FFFFF),
        ("-0x1p-126", 0x80800000),
        ("1e-50", 0x00000000),
        ("-inf", 0xFF800000),
        ("nan", 0x7FC00000),
        ("-nan:0x200000", 0xFFA00000),
        ("3.4028234663852886e38", 0x7F7FFFFF),
        ("16777217", 0x4B800000),
        ("16777219", 0x4B800002),
    ],
)
def test_f32_exact_rounding(text: str, bits: int) -> None:
    assert _f32(text) == bits


@pytest.mark.parametrize(
    ("text", "bits"),
    [
        ("nan", 0x7FF8000000000000),
        ("-nan", 0xFFF8000000000000),
        ("nan:0x1", 0x7FF0000000000001),
        ("+nan:0xf_ffff_ffff_ffff", 0x7FFFFFFFFFFFFFFF),
        ("inf", 0x7FF0000000000000),
        ("-0", 0x8000000000000000),
        ("-0x0p0", 0x8000000000000000),
    ],
)
def test_f64_special_values(text: str, bits: int) -> None:
    assert _f64(text) == bits


@pytest.mark.parametrize(
    ("text", "bits"),
    [
        ("340282356779733661637539395458142568448", 32),  # 2**128 - 2**103: ties to inf
        ("3.402823567797337e38", 32),
        ("1e39", 32),
        ("0x1p128", 32),
        ("0x1.ffffffp127", 32),  # halfway to 2**128: ties to even = infinity
        ("nan:0x0", 32),
        ("nan:0x800000", 32),
        ("1e309", 64),
        ("0x1p1024", 64),
        ("1.7976931348623159e308", 64),
        ("nan:0x10000000000000", 64),
        ("1e1000000000", 64),
        ("0x1p1000000000", 32),
    ],
)
def test_float_out_of_range(text: str, bits: int) -> None:
    with pytest.raises(MalformedError, match="constant out of range"):
        parse_float(Atom(text, 1, 1), bits)


def test_float_huge_negative_exponent_is_zero() -> None:
    assert _f64("1e-1000000000") == 0
    assert _f32("-0x1p-1000000000") == 0x80000000


def test_const_wast_rounding_pairs() -> None:
    """const.wast pairs each rounding literal with its exactly representable result; the
    expected bits are computed here with float.fromhex / float() and struct."""
    text = (SPEC / "const.wast").read_text()
    pair = re.compile(
        r"\(result (f32|f64)\) \(\1\.const ([^)\s]+)\)\)\)\s*"
        r"\(assert_return \(invoke \"f\"\) \(\1\.const ([^)\s]+)\)\)"
    )
    count = 0
    for t, literal, expected in pair.findall(text):
        clean = expected.replace("_", "")
        value = float.fromhex(clean) if "0x" in clean else float(clean)
        if t == "f32":
            assert _f32(literal) == _bits32(value), literal
        else:
            assert _f64(literal) == _bits64(value), literal
        count += 1
    assert count > 200


def test_float_literals_wast_bit_patterns() -> None:
    """float_literals.wast exports `(iN.reinterpret_fN (fN.const X))` functions and
    asserts their integer bits; check the constants against those integers."""
    text = (SPEC / "float_literals.wast").read_text()
    funcs = dict(
        re.findall(
            r'\(func \(export "([^"]+)"\) \(result i(?:32|64)\) '
            r"\(i(?:32|64)\.reinterpret_f(?:32|64) \(f(?:32|64)\.const ([^)\s]+)\)\)\)",
            text,
        )
    )
    expects = re.findall(
        r'\(assert_return \(invoke "([^"]+)"\) \(i(32|64)\.const ([^)\s]+)\)\)', text
    )
    checked = 0
    for name, width, value in expects:
        if name not in funcs:
            continue
        literal = funcs[name]
        want = int(value.replace("_", ""), 0) & ((1 << int(width)) - 1)
        got = _f32(literal) if width == "32" else _f64(literal)
        assert got == want, (name, literal)
        checked += 1
    assert checked > 50


# --- errors ----------------------------------------------------------------------------

MALFORMED = [
    ("(func (i32.const))", "unexpected token"),
    ("(func (i32.const 0x) drop)", "unknown operator"),
    ("(func (i32.const 1x) drop)", "unknown operator"),
    ("(func (i32.const 4294967296) drop)", "constant out of range"),
    ("(func (i32.const -2147483649) drop)", "constant out of range"),
    ("(func (i32.const +2147483648) drop)", "constant out of range"),
    ("(func (i64.const 18446744073709551616) drop)", "constant out of range"),
    ("(func (i32.const 1__0) drop)", "unknown operator"),
    ("(func (i32.const _1) drop)", "unknown operator"),
    ("(func (f32.const 1e39) drop)", "constant out of range"),
    ("(func (f32.const nan:0x0) drop)", "constant out of range"),
    ("(func (f64.const 0x1.0p_1) drop)", "unknown operator"),
    ("(func (f32.const 1.0e) drop)", "unknown operator"),
    ("(func (foo))", "unknown operator"),
    ("(func (i32.add_x))", "unknown operator"),
    ("(func br 0drop)", "unknown operator"),
    ("(func (br $nope))", "unknown label"),
    ("(func (local.get $nope))", "unknown local"),
    ("(func (call $nope))", "unknown function"),
    ("(func (ref.func $nope))", "unknown function"),
    ("(func (global.get $nope))", "unknown global"),
    ("(func (type $nope))", "unknown type"),
    ("(func (call_indirect (type $nope) (i32.const 0)))", "unknown type"),
    ("(func (table.get $nope (i32.const 0)))", "unknown table"),
    ("(func (memory.init $nope))", "unknown data segment"),
    ("(func (elem.drop $nope))", "unknown elem segment"),
    ('(export "x" (func $nope))', "unknown function"),
    ("(func $f) (func $f)", "duplicate func"),
    ("(global $g i32 (i32.const 0)) (global $g i32 (i32.const 0))", "duplicate global"),
    ("(memory $m 1) (memory $m 1)", "duplicate memory"),
    ("(type $t (func)) (type $t (func))", "duplicate type"),
    ("(func (param $x i32) (local $x i32))", "duplicate local"),
    ("(func (param $x i32) (param $x i32))", "duplicate local"),
    ("(type $t (func (param i32))) (func (type $t) (param i64))", "inline function type"),
    ("(type $t (func)) (func (type $t) (result i32) (i32.const 0))", "inline function type"),
    ("(func block end $b)", "mismatching label"),
    ("(func block $a end $b)", "mismatching label"),
    ("(func (if $a (i32.const 0) (then)) if $a else $b end)", "mismatching label"),
    ("(func end)", "unexpected token end"),
    ("(func block)", "unclosed block"),
    ("(func (block end))", "unexpected token end"),
    ("(func else)", "unexpected token else"),
    ("(func (if (i32.const 0)))", "expected (then"),
    ("(memory 1) (func (drop (i32.load align=3 (i32.const 0))))", "alignment"),
    ("(memory 1) (func (drop (i32.load align=0 (i32.const 0))))", "alignment"),
    ("(memory 1) (func (drop (i32.load offset=4294967296 (i32.const 0))))", "out of range"),
    ('(func) (import "m" "f" (func))', "import after function"),
    ('(global i32 (i32.const 0)) (import "m" "g" (global i32))', "import after global"),
    ('(table 0 funcref) (import "m" "t" (table 0 funcref))', "import after table"),
    ('(memory 0) (import "m" "m" (memory 0))', "import after memory"),
    ('(memory 0) (func (import "m" "f"))', "import after memory"),
    ("(func (result i32) (param i32) (i32.const 0))", "unexpected token"),
    ("(type (func (result i32) (param i32)))", "result before parameter"),
    ("(func (nop) (local i32))", "unexpected token"),
    ("(func (local i32) (param i32))", "unexpected token"),
    ('(export "\\ff" (func 0)) (func)', "malformed UTF-8 encoding"),
    ('(import "\\c0\\80" "x" (func))', "malformed UTF-8 encoding"),
    ('(func "x")', "unexpected token"),
    ("(func (i32.const 0) drop", "unclosed parenthesis"),
    ("(func))", "unexpected token )"),
    ("(func (; unclosed)", "unclosed comment"),
    ('(data "\\x")', "illegal escape"),
    ('(data "\\u{d800}")', "illegal escape"),
    ('(data "abc)', "unclosed string"),
    ("(func {)", "unexpected character"),
    ("(start 0) (start 0) (func)", "multiple start sections"),
    ("(frob)", "unknown module field"),
    ("(module) (module)", "unexpected token"),
    ("(func (ref.null any))", "expected func or extern"),
    ("(table 0 i32)", "reference type"),
    ("(global i33 (i32.const 0))", "value type"),
]


@pytest.mark.parametrize(("source", "message"), MALFORMED)
def test_malformed(source: str, message: str) -> None:
    with pytest.raises(MalformedError, match=re.escape(message)):
        parse_module(source)


# Spec scripts compare the start of the message (after "line:col: "), so these pin the
# prefix, not just a substring.
PREFIXED = [
    # Wasm 2.0's type.wast: a misplaced (param) in a type definition is a plain token error.
    ("(type (func (result f64) (param i64)))", "unexpected token"),
    # Wasm 2.0's table.wast / memory.wast: limits beyond u32 name the i32 range.
    ("(memory 2 0x1_0000_0001)", "i32 constant out of range"),
    ("(table 0x2_0000_0000 funcref)", "i32 constant out of range"),
    ("(memory 1) (func (drop (i64.load offset=0x1_0000_0000 (i32.const 0))))", "i32 constant"),
]


@pytest.mark.parametrize(("source", "prefix"), PREFIXED)
def test_malformed_message_prefix(source: str, prefix: str) -> None:
    with pytest.raises(MalformedError) as info:
        parse_module(source)
    assert str(info.value).split(": ", 1)[-1].startswith(prefix)


def test_error_has_line_and_column() -> None:
    with pytest.raises(MalformedError) as info:
        parse_module("(module\n  (func\n    (i32.const 0)\n    (frobnicate)))")
    assert str(info.value).startswith("4:6: unknown operator frobnicate")


def test_later_proposals_are_unsupported_not_unknown() -> None:
    with pytest.raises(UnsupportedError):
        parse_module("(func (result v128) (v128.const i32x4 0 0 0 0))")
    with pytest.raises(UnsupportedError):
        parse_module("(func (drop (i32.atomic.load (i32.const 0))))")
    with pytest.raises(UnsupportedError):
        parse_module("(memory i64 1)")


def test_invalid_modules_still_parse() -> None:
    """Typing errors are the validator's job: these must parse."""
    parse_module("(func (result i32) (i64.const 0))")
    parse_module("(func (br 5))")
    parse_module("(func (local.get 7))")
    parse_module("(func (call 3))")
    parse_module("(func (call_indirect (type 9) (i32.const 0)))")
    parse_module("(memory 1) (func (drop (i32.load align=8 (i32.const 0))))")
    parse_module("(memory 70000)")
    parse_module("(func (select (result i32 i32) (i32.const 0) (i32.const 0) (i32.const 0)))")


# --- the spec suite's modules ------------------------------------------------------------

# Wasm 2.0 scripts whose text modules are compared (see test_wast.py for the excluded ones).
_CORPUS_EXCLUDED = ("64.wast", ".fail.wast")
# Modules wasmtime refuses for reasons outside the format: (file, line) -> reason.
_WASMTIME_REFUSES = {("names.wast", 19): "wasmtime rejects confusable Unicode in names"}


def _corpus_modules():
    from procs.wasm.lexer import SList, read_sexprs

    from .test_wast import WASM2

    for name in WASM2:
        src = (SPEC / name).read_text(encoding="utf-8", errors="surrogateescape")
        for node in read_sexprs(src):
            if not isinstance(node, SList):
                continue
            if node.head in ("assert_invalid", "assert_trap", "assert_unlinkable",
                             "assert_uninstantiable"):  # fmt: skip
                node = node.items[1] if len(node.items) > 1 else node
            if node.head != "module" or not isinstance(node, SList):
                continue
            words = [getattr(x, "text", None) for x in node.items[1:3]]
            if "binary" in words or "quote" in words:
                continue
            yield name, node, src[node.start : node.end]


def test_spec_modules_match_wasmtime() -> None:
    """Every text module of the Wasm 2.0 scripts (including those of assert_invalid,
    which must parse) assembles to the same Module as wasmtime's wat2wasm gives."""
    from procs.wasm.text import parse_module_node

    compared = 0
    for name, node, text in _corpus_modules():
        if (name, node.line) in _WASMTIME_REFUSES:
            continue
        mine = _normalize(parse_module_node(node))
        ref = _normalize(decode(wasmtime.wat2wasm(text)))
        if ref.module_name is None:
            ref.module_name = mine.module_name
        for field_name in Module.__slots__:
            assert getattr(mine, field_name) == getattr(ref, field_name), (
                f"{name}:{node.line}: field {field_name} differs"
            )
        compared += 1
    assert compared > 2000


def test_type_definition_param_names_bind_nothing() -> None:
    """A repeated parameter name is only an error among a function's own locals; in a
    type definition the names are dropped (as the reference interpreter and wat2wasm do)."""
    assert_same("(module (type (func (param $x i32) (param $x i32))))")
    with pytest.raises(MalformedError, match="duplicate local"):
        parse_module("(module (func (param $x i32) (param $x i32)))")
