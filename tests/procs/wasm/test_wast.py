"""The script parser: synthetic scripts for each command kind, and every Wasm 2.0 script
of the spec suite in tests/data/spec, whose commands are counted independently."""

from __future__ import annotations

import collections
import re

import pytest

from procs.wasm.errors import MalformedError, UnsupportedError
from procs.wasm.module import EXTERNREF, F32, F64, FUNCREF, I32, I64
from procs.wasm.text import parse_module
from procs.wasm.wast import (
    AssertExhaustion,
    AssertInvalid,
    AssertMalformed,
    AssertReturn,
    AssertTrap,
    AssertUninstantiable,
    AssertUnlinkable,
    Get,
    Invoke,
    ModuleDef,
    NanPattern,
    Num,
    RefAny,
    RefExtern,
    RefNull,
    Register,
    Unsupported,
    parse_script,
)

from .corpus import LATER_PROPOSALS, MUST_FAIL, PRE_2_0_SYNTAX, SPEC, wast_files

# The parser reads every script except those in pre-2.0 text syntax.
FAILING = [p.name for p in MUST_FAIL]
WASM2 = [
    p.name
    for p in wast_files(SPEC)
    if p.name not in LATER_PROPOSALS and p.name not in PRE_2_0_SYNTAX and p.name not in FAILING
]
PRE_2_0 = PRE_2_0_SYNTAX


def _read(name: str) -> str:
    return (SPEC / name).read_text(encoding="utf-8", errors="surrogateescape")


def _top_level_heads(src: str) -> collections.Counter:
    """Count depth-0 forms by their first word: a deliberately simple character scan,
    independent of the lexer under test."""
    heads: collections.Counter = collections.Counter()
    depth = comment = 0
    i, n = 0, len(src)
    while i < n:
        two = src[i : i + 2]
        if comment:
            comment += 1 if two == "(;" else -1 if two == ";)" else 0
            i += 2 if two in ("(;", ";)") else 1
        elif two == "(;":
            comment, i = 1, i + 2
        elif two == ";;":
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src[i] == '"':
            m = re.compile(r'"(?:[^"\\\n]|\\.)*"').match(src, i)
            i = m.end() if m else i + 1
        elif src[i] == "(":
            if depth == 0:
                m = re.compile(r"\s*(?:;;[^\n]*\n\s*|\(;[^;]*;\)\s*)*([a-z_0-9.]+)").match(
                    src, i + 1
                )
                if m:
                    word = m.group(1)
                    heads["assert_return" if word.startswith("assert_return_") else word] += 1
            depth, i = depth + 1, i + 1
        else:
            depth -= src[i] == ")"
            i += 1
    return heads


def _kind(cmd) -> str:
    return cmd.what if isinstance(cmd, Unsupported) else cmd.kind


@pytest.mark.parametrize("name", WASM2)
def test_spec_script(name: str) -> None:
    src = _read(name)
    cmds = parse_script(src)
    got = collections.Counter(_kind(c) for c in cmds)
    expected = _top_level_heads(src)
    if set(expected) <= {"func", "memory", "type", "import", "table", "global"}:
        expected = collections.Counter(module=1)  # a file of bare module fields
    assert got == expected
    for c in cmds:
        module = c if isinstance(c, ModuleDef) else getattr(c, "module", None)
        if not isinstance(module, ModuleDef):
            continue
        if isinstance(c, AssertMalformed):
            # Expected to fail: text forms already did; quoted ones must fail now.
            if module.form == "quote":
                with pytest.raises(MalformedError):
                    parse_module(module.source or "")
            elif module.form == "text":
                assert module.error is not None, f"line {c.line} parsed"
        elif module.form == "text":
            assert module.error is None, f"line {c.line}: {module.error}"
            assert module.module is not None
        elif module.form == "quote":
            parse_module(module.source or "")  # must parse (validity is checked later)
    assert all(c.line > 0 for c in cmds)


@pytest.mark.parametrize("name", sorted(PRE_2_0))
def test_pre_2_0_scripts_fail_cleanly(name: str) -> None:
    """Older syntax: either the script or some text module fails, always as our error."""
    try:
        cmds = parse_script(_read(name))
    except MalformedError:
        return
    failures = [
        c
        for c in cmds
        if isinstance(
            m := (c if isinstance(c, ModuleDef) else getattr(c, "module", None)), ModuleDef
        )
        and m.error is not None
        and not isinstance(c, AssertMalformed)
    ]
    assert failures


@pytest.mark.parametrize("name", FAILING)
def test_fail_scripts_do_not_parse(name: str) -> None:
    cmds = parse_script(_read(name))
    assert len(cmds) == 1 and isinstance(cmds[0], ModuleDef)
    assert cmds[0].error is not None


@pytest.mark.parametrize("name", sorted(LATER_PROPOSALS))
def test_later_proposal_scripts_fail_cleanly(name: str) -> None:
    try:
        parse_script(_read(name))
    except MalformedError:
        pass


# --- synthetic scripts ----------------------------------------------------------------

SCRIPT = r"""
(module $M1 (func (export "add") (param i32 i32) (result i32)
  (i32.add (local.get 0) (local.get 1))))
(module $B binary "\00asm" "\01\00\00\00")
(module quote "(func" " (nop))")
(register "m1" $M1)
(register "last")
(invoke "add" (i32.const 1) (i32.const -1))
(get $M1 "g")
(assert_return (invoke $M1 "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "f" (i64.const -1) (f32.const 1.5) (f64.const -0x1p-1074)))
(assert_return (invoke "f") (f32.const nan:canonical) (f64.const nan:arithmetic)
  (f32.const -nan:0x1) (ref.null func) (ref.null extern) (ref.extern 7) (ref.func)
  (ref.extern))
(assert_return (get "g") (i64.const 0xffff_ffff_ffff_ffff))
(assert_return_canonical_nan (invoke "nan"))
(assert_return_arithmetic_nan (invoke "nan"))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_trap (module (func $f unreachable) (start $f)) "unreachable")
(assert_exhaustion (invoke "loop") "call stack exhausted")
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(assert_invalid (module (func (frob))) "type mismatch")
(assert_malformed (module quote "(func (i32.const 0x))") "unknown operator")
(assert_malformed (module binary "\00asm") "unexpected end")
(assert_unlinkable (module (import "x" "y" (func))) "unknown import")
(assert_uninstantiable (module (memory 1) (data (i32.const 70000) "x")) "out of bounds")
(assert_return (invoke "v") (v128.const i32x4 0 0 0 0))
(module definition $D (func))
(assert_exception (invoke "throw"))
(invoke "args" (ref.null extern) (ref.extern 3))
"""


def test_each_command_kind() -> None:
    cmds = parse_script(SCRIPT)
    m1, b, q, r1, r2, inv, get, ar1, ar2, ar3, ar4, cn, an = cmds[:13]
    tr1, tr2, ex, inv1, inv2, mal1, mal2, unl, uni, un1, un2, un3, args = cmds[13:]
    assert len(cmds) == 26

    assert isinstance(m1, ModuleDef) and m1.name == "M1" and m1.form == "text" and m1.line == 2
    assert m1.module is not None and m1.module.exports[0].name == "add" and m1.error is None
    assert b == ModuleDef(4, "B", "binary", binary=b"\x00asm\x01\x00\x00\x00")
    assert q == ModuleDef(5, None, "quote", source="(func (nop))")
    assert r1 == Register(6, "m1", "M1") and r2 == Register(7, "last", None)
    assert inv == Invoke(8, None, "add", [Num(I32, 1), Num(I32, 0xFFFFFFFF)])
    assert get == Get(9, "M1", "g")
    assert isinstance(ar1, AssertReturn) and ar1.line == 10
    assert ar1.action == Invoke(10, "M1", "add", [Num(I32, 1), Num(I32, 2)])
    assert ar1.expected == [Num(I32, 3)]
    assert isinstance(ar2, AssertReturn) and ar2.expected == []
    assert ar2.action.args == [  # type: ignore[union-attr]
        Num(I64, 2**64 - 1),
        Num(F32, 0x3FC00000),
        Num(F64, 0x8000000000000001),
    ]
    assert ar3.expected == [
        NanPattern(F32, "canonical"),
        NanPattern(F64, "arithmetic"),
        Num(F32, 0xFF800001),
        RefNull(FUNCREF),
        RefNull(EXTERNREF),
        RefExtern(7),
        RefAny(FUNCREF),
        RefAny(EXTERNREF),
    ]
    assert ar4.action == Get(15, None, "g") and ar4.expected == [Num(I64, 2**64 - 1)]
    assert cn.expected == [NanPattern(None, "canonical")]
    assert an.expected == [NanPattern(None, "arithmetic")]
    assert isinstance(tr1, AssertTrap) and tr1.message == "integer divide by zero"
    assert tr1.module is None and isinstance(tr1.action, Invoke)
    assert isinstance(tr2, AssertTrap) and tr2.action is None
    assert tr2.module is not None and tr2.module.module is not None
    assert tr2.module.module.start == 0
    assert isinstance(ex, AssertExhaustion) and ex.message == "call stack exhausted"
    assert isinstance(inv1, AssertInvalid) and inv1.kind == "assert_invalid"
    assert inv1.module is not None and inv1.module.module is not None
    # A module of an assert_invalid that does not even parse is reported distinctly.
    assert isinstance(inv2, AssertInvalid) and inv2.module is not None
    assert inv2.module.module is None and "unknown operator" in str(inv2.module.error)
    assert isinstance(mal1, AssertMalformed) and mal1.module.form == "quote"  # type: ignore[union-attr]
    assert isinstance(mal2, AssertMalformed) and mal2.module.binary == b"\x00asm"  # type: ignore[union-attr]
    assert isinstance(unl, AssertUnlinkable) and unl.message == "unknown import"
    assert isinstance(uni, AssertUninstantiable) and uni.kind == "assert_uninstantiable"
    assert [type(c) for c in (un1, un2, un3)] == [Unsupported] * 3
    assert [c.what for c in (un1, un2, un3)] == ["assert_return", "module", "assert_exception"]
    assert args.args == [RefNull(EXTERNREF), RefExtern(3)]  # type: ignore[union-attr]


def test_unsupported_module_is_marked() -> None:
    (cmd,) = parse_script("(module (func (drop (v128.const i32x4 0 0 0 0))))")
    assert isinstance(cmd, ModuleDef) and isinstance(cmd.error, UnsupportedError)


def test_quote_keeps_raw_bytes() -> None:
    (cmd,) = parse_script('(assert_malformed (module quote "(data \\"\\ff\\")" "\\ff") "x")')
    assert isinstance(cmd, AssertMalformed) and cmd.module is not None
    assert cmd.module.source is not None
    with pytest.raises(MalformedError):
        parse_module(cmd.module.source)


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("(assert_return (invoke))", "expected a string"),
        ('(assert_return (frob "x"))', "expected (invoke"),
        ('(invoke "f" (i32.const 0x1_0000_0000))', "constant out of range"),
        ('(invoke "f" (f32.const nan:canonical))', "unknown operator"),
        ('(invoke "f" i32.const 0)', "expected a constant"),
        ("(register)", "expected a string"),
        ('(assert_invalid (invoke "f") "x")', "expected (module"),
        ("(frobnicate)", "unknown command"),
        ("(module", "unclosed parenthesis"),
        ('(get "g" "h")', "unexpected token"),
        ('(module quote "a" (func))', "expected a string"),
    ],
)
def test_malformed_scripts(script: str, message: str) -> None:
    with pytest.raises(MalformedError, match=re.escape(message)):
        parse_script(script)
