"""The binary encoder, checked against independent tools.

Round trips go through our decoder, but the anchors are outside the project: wabt's
`wat2wasm` output must come back byte for byte, `wasm-objdump` and wasmtime must accept
what we write, and wasmtime must compute the right results from modules we build by hand.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess

import pytest

wasmtime = pytest.importorskip("wasmtime")

from procs.wasm.decode import decode  # noqa: E402
from procs.wasm.encode import encode  # noqa: E402
from procs.wasm.errors import MalformedError  # noqa: E402
from procs.wasm.module import (  # noqa: E402
    ACTIVE,
    BLOCK_EMPTY,
    F64,
    FUNCREF,
    I32,
    I64,
    PASSIVE,
    Custom,
    Data,
    Elem,
    Export,
    Func,
    FuncType,
    Limits,
    MemoryType,
    Module,
    TableType,
    blocktype_of,
)
from procs.wasm.opcodes import BY_CODE, BY_NAME, OPS, Imm  # noqa: E402

# Every section, every element/data layout text can express, every immediate kind.
EVERYTHING = r"""
(module $mymod
  (type $t0 (func (param i32 i32) (result i32)))
  (type $t1 (func))
  (type $t2 (func (param i64 f32 f64) (result i32 i64)))
  (type $pair (func (result i32 i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "env" "tbl" (table $itab 1 funcref))
  (import "env" "g" (global $ig i32))
  (import "env" "gm" (global $igm (mut i64)))
  (table $t 2 10 funcref)
  (table $ext 3 externref)
  (memory $m 1 2)
  (global $g0 (mut i32) (i32.const -5))
  (global $g1 i64 (i64.const -9223372036854775808))
  (global $g2 f32 (f32.const nan:0x200001))
  (global $g3 f64 (f64.const -0x1.fffp+1000))
  (global $g4 funcref (ref.func $add))
  (global $g5 externref (ref.null extern))
  (global $g6 i32 (global.get $ig))
  (export "add" (func $add))
  (export "mem" (memory $m))
  (export "t" (table $t))
  (export "g0" (global $g0))
  (start $init)
  (func $add (type $t0) (local i64 i64 f32 i32) local.get 0 local.get 1 i32.add)
  (func $init (type $t1))
  (func $big (param i32) (result i32) (local externref funcref)
    (block $b (result i32)
      (loop $l
        local.get 0
        br_if $l
        (if (result i32) (local.get 0) (then i32.const 1) (else i32.const 2))
        local.get 0
        br_table $b $b $b)
      i32.const 7)
    drop
    (block (type $pair) i32.const 1 i32.const 2) drop drop
    i32.const 0x7fffffff drop i32.const 0x80000000 drop i32.const 63 drop
    i32.const 64 drop i32.const -64 drop i32.const -65 drop
    i64.const 0 drop i64.const -1 drop i64.const 0x7fffffffffffffff drop
    f32.const -0.0 drop f64.const inf drop f64.const nan:0x1 drop
    i32.const 0 i32.load offset=4 align=1 drop
    i32.const 0 i64.load offset=0x100000 drop
    i32.const 0 f32.load drop
    i32.const 0 f64.load align=4 drop
    i32.const 0 i32.const 1 i32.store8 offset=3
    i32.const 0 i64.const 1 i64.store32
    memory.size drop i32.const 1 memory.grow drop
    i32.const 0 i32.const 0 i32.const 0 memory.init $d1
    data.drop $d1
    i32.const 0 i32.const 0 i32.const 0 memory.copy
    i32.const 0 i32.const 0 i32.const 0 memory.fill
    i32.const 0 i32.const 0 i32.const 0 table.init $t $e1
    elem.drop $e1
    i32.const 0 i32.const 0 i32.const 0 table.copy $t $itab
    ref.null func i32.const 1 table.grow $t drop
    table.size $ext drop
    i32.const 0 ref.null extern i32.const 1 table.fill $ext
    i32.const 0 table.get $t drop
    i32.const 0 ref.func $add table.set $t
    ref.null extern ref.is_null drop
    i32.const 1 i32.const 2 i32.const 1 select drop
    ref.null extern ref.null extern i32.const 1 select (result externref) drop
    global.get $g0 global.set $g0
    local.get 0 local.tee 0 local.set 0
    i32.const 1 i32.const 2 i32.const 0 call_indirect $t (type $t0) drop
    i32.const 1 i32.const 2 call $add drop
    f32.const 1 i32.trunc_sat_f32_s drop
    f64.const 1 i64.trunc_sat_f64_u drop
    i64.const 1 i64.extend32_s i32.wrap_i64 i32.extend8_s drop
    nop
    local.get 0
    if i32.const 3 return end
    unreachable)
  (elem (i32.const 0) $add $init)
  (elem $e1 func $add $big)
  (elem declare func $init)
  (elem (table $t) (i32.const 1) funcref (ref.func $add) (ref.null func))
  (elem (table $ext) (i32.const 0) externref (ref.null extern))
  (elem funcref (ref.null func) (ref.func $add))
  (elem (table $itab) (offset (global.get $ig)) func $add)
  (data (i32.const 16) "Hello, world\n")
  (data $d1 "passive\00\ff")
  (data (memory $m) (offset (i32.const 40)) "")
)
"""

SIMPLE = r"""
(module
  (memory 1)
  (data (i32.const 0) "hi")
  (func (export "f") (param i64) (result i64) local.get 0 i64.const -3 i64.mul))
"""


def _norm(m: Module) -> Module:
    """Drop what depends on byte positions, which a re-encoding may change."""
    m.section_sizes = []
    for f in m.funcs:
        f.offset = 0
    return m


def _wat2wasm_wabt(tmp_path, text: str) -> bytes:
    if shutil.which("wat2wasm") is None:
        pytest.skip("wabt not installed")
    src = tmp_path / "m.wat"
    src.write_text(text)
    out = tmp_path / "m.wasm"
    subprocess.run(["wat2wasm", str(src), "-o", str(out)], check=True, capture_output=True)
    return out.read_bytes()


def _objdump(tmp_path, data: bytes, *flags: str) -> str:
    if shutil.which("wasm-objdump") is None:
        pytest.skip("wabt not installed")
    path = tmp_path / "out.wasm"
    path.write_bytes(data)
    run = subprocess.run(["wasm-objdump", *flags, str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "error" not in run.stderr.lower(), run.stderr
    return run.stdout


# --- binaries built byte by byte: every element and data segment layout ----------------


def _leb(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def _section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + _leb(len(payload)) + payload


ALL_SEGMENT_LAYOUTS = (
    b"\x00asm\x01\x00\x00\x00"
    + _section(1, b"\x01\x60\x00\x00")
    + _section(3, b"\x01\x00")
    + _section(4, b"\x02\x70\x00\x01\x6f\x00\x01")
    + _section(5, b"\x01\x00\x01")
    + _section(
        9,
        b"\x08"
        b"\x00\x41\x00\x0b\x01\x00"  # 0: active table 0, function indices
        b"\x01\x00\x01\x00"  # 1: passive, elemkind, function indices
        b"\x02\x00\x41\x00\x0b\x00\x01\x00"  # 2: active explicit table 0, function indices
        b"\x03\x00\x01\x00"  # 3: declarative, function indices
        b"\x04\x41\x00\x0b\x01\xd2\x00\x0b"  # 4: active table 0, expressions
        b"\x05\x70\x01\xd0\x70\x0b"  # 5: passive, expressions
        b"\x06\x01\x41\x00\x0b\x6f\x01\xd0\x6f\x0b"  # 6: active table 1, expressions
        b"\x07\x70\x01\xd2\x00\x0b",  # 7: declarative, expressions
    )
    + _section(12, b"\x03")
    + _section(10, b"\x01\x02\x00\x0b")
    + _section(
        11,
        b"\x03"
        b"\x00\x41\x00\x0b\x02hi"  # active memory 0
        b"\x01\x01x"  # passive
        b"\x02\x00\x41\x04\x0b\x01y",  # active, explicit memory 0
    )
)


def test_every_segment_layout_round_trips_in_compact_form(tmp_path) -> None:
    original = decode(ALL_SEGMENT_LAYOUTS)
    out = encode(original)
    assert _norm(decode(out)) == _norm(decode(ALL_SEGMENT_LAYOUTS))
    wasmtime.Module(wasmtime.Engine(), out)
    # Plain `ref.func` items of a funcref segment use the function-index layouts; an
    # explicit table 0 needs no table index; `ref.null` items keep expressions.
    dump = _objdump(tmp_path, out, "-x")
    flags = [int(f) for f in re.findall(r"segment\[\d+\] flags=(\d+)", dump)]
    assert flags == [0, 1, 0, 3, 0, 5, 6, 3]
    # Data in memory 0 needs no memory index either (wasm-objdump does not show flags).
    assert out.endswith(b"\x03\x00\x41\x00\x0b\x02hi\x01\x01x\x00\x41\x04\x0b\x01y")
    assert len(out) < len(ALL_SEGMENT_LAYOUTS)


# --- modules from wat2wasm --------------------------------------------------------------


@pytest.mark.parametrize("text", [EVERYTHING, SIMPLE], ids=["everything", "simple"])
def test_round_trip_of_wasmtime_binaries(tmp_path, text: str) -> None:
    raw = bytes(wasmtime.wat2wasm(text))
    out = encode(decode(raw))
    assert _norm(decode(out)) == _norm(decode(raw))
    wasmtime.Module(wasmtime.Engine(), out)
    _objdump(tmp_path, out, "-x")
    _objdump(tmp_path, out, "-d")


@pytest.mark.parametrize("text", [EVERYTHING, SIMPLE], ids=["everything", "simple"])
def test_wabt_binaries_come_back_byte_for_byte(tmp_path, text: str) -> None:
    """wabt writes minimal LEBs and compact segments, so our canonical form is its form."""
    raw = _wat2wasm_wabt(tmp_path, text)
    assert encode(decode(raw)) == raw


def test_every_immediate_kind_is_exercised() -> None:
    """Guards the test module: if an immediate kind is added, EVERYTHING must grow."""
    used = {BY_CODE[ins[0]].imm for f in decode(bytes(wasmtime.wat2wasm(EVERYTHING))).funcs
            for ins in f.body}  # fmt: skip
    assert used == set(Imm)


def test_text_module_encodes_like_wat2wasm(tmp_path) -> None:
    from procs.wasm.text import parse_module

    for text in (EVERYTHING, SIMPLE):
        module = parse_module(text)
        ours = _norm(decode(encode(module)))
        theirs = _norm(decode(bytes(wasmtime.wat2wasm(text))))
        # The name sections differ in what they record (wasmtime adds local names).
        ours.customs = theirs.customs = []
        assert ours == theirs
        module.func_names = {}
        module.module_name = None
        assert encode(module) == _wat2wasm_wabt(tmp_path, text)


def test_names_are_written_when_not_kept() -> None:
    m = decode(bytes(wasmtime.wat2wasm(EVERYTHING)))
    m.customs = [c for c in m.customs if c.name != "name"]
    back = decode(encode(m))
    assert back.module_name == "mymod"
    assert back.func_names == {0: "fd_write", 1: "add", 2: "init", 3: "big"}


def test_other_custom_sections_survive(tmp_path) -> None:
    m = decode(bytes(wasmtime.wat2wasm(SIMPLE)))
    m.customs = [Custom("first", b"abc"), Custom("second", b"")]
    out = encode(m)
    assert [(c.name, c.data) for c in decode(out).customs] == [("first", b"abc"), ("second", b"")]
    dump = _objdump(tmp_path, out, "-h")
    assert '"first"' in dump and '"second"' in dump


# --- hand-built modules run by wasmtime -------------------------------------------------


def _i(name: str, *imm) -> tuple:
    return (BY_NAME[name].code, *imm)


def _run(module: Module, export: str, *args):
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    inst = wasmtime.Instance(store, wasmtime.Module(engine, encode(module)), [])
    return inst.exports(store)[export](store, *args)


def _hand_built() -> Module:
    t_fac = FuncType((I64,), (I64,))
    t_pair = FuncType((), (I32, I32))
    t_i32 = FuncType((I32,), (I32,))
    t_void_i32 = FuncType((), (I32,))
    fac = Func(
        0,
        [],
        [
            _i("local.get", 0),
            _i("i64.eqz"),
            _i("if", blocktype_of(I64)),
            _i("i64.const", 1),
            _i("else"),
            _i("local.get", 0),
            _i("local.get", 0),
            _i("i64.const", 1),
            _i("i64.sub"),
            _i("call", 0),
            _i("i64.mul"),
            _i("end"),
            _i("end"),
        ],
    )
    pair_diff = Func(
        3,
        [I32, I32, F64],
        [
            _i("block", 1),  # type index 1: () -> (i32, i32)
            _i("i32.const", 7),
            _i("i32.const", 5),
            _i("end"),
            _i("i32.sub"),
            _i("end"),
        ],
    )
    switch = Func(
        2,
        [],
        [
            _i("block", BLOCK_EMPTY),
            _i("block", BLOCK_EMPTY),
            _i("block", BLOCK_EMPTY),
            _i("local.get", 0),
            _i("br_table", (0, 1), 2),
            _i("end"),
            _i("i32.const", 10),
            _i("return"),
            _i("end"),
            _i("i32.const", 20),
            _i("return"),
            _i("end"),
            _i("i32.const", 30),
            _i("end"),
        ],
    )
    load = Func(
        3,
        [],
        [
            _i("i32.const", 0),
            _i("i32.const", 0),
            _i("i32.const", 4),
            _i("memory.init", 1, 0),
            _i("i32.const", 0),
            _i("i32.load", 2, 8),  # the active segment's word at 8
            _i("i32.const", 0),
            _i("i32.load", 0, 0),  # the passive segment's word copied to 0
            _i("i32.add"),
            _i("end"),
        ],
    )
    indirect = Func(
        0,
        [],
        [
            _i("local.get", 0),
            _i("i32.const", 1),
            _i("call_indirect", 0, 0),
            _i("end"),
        ],
    )
    funcs = [fac, pair_diff, switch, load, indirect]
    exports = [Export(n, 0, i) for i, n in enumerate(["fac", "pair", "switch", "load", "ind"])]
    return Module(
        types=[t_fac, t_pair, t_i32, t_void_i32],
        funcs=funcs,
        tables=[TableType(FUNCREF, Limits(2))],
        mems=[MemoryType(Limits(1, 1))],
        exports=exports,
        elems=[Elem(ACTIVE, FUNCREF, [[_i("ref.func", 0)]] * 2, 0, [_i("i32.const", 0)])],
        datas=[
            Data(ACTIVE, (1000).to_bytes(4, "little"), 0, [_i("i32.const", 8)]),
            Data(PASSIVE, (234).to_bytes(4, "little")),
        ],
        data_count=2,
        func_names={0: "fac"},
    )


def test_hand_built_module_runs_in_wasmtime() -> None:
    m = _hand_built()
    assert _run(m, "fac", 20) == 2432902008176640000
    assert _run(m, "pair") == 2
    assert [_run(m, "switch", k) for k in (0, 1, 2, 99)] == [10, 20, 30, 30]
    assert _run(m, "load") == 1234
    assert _run(m, "ind", 5) == 120


I32_EDGES = [0, 1, 63, 64, 127, 128, 8191, 8192, 2**31 - 1, -(2**31), -1, -64, -65, -8192, -8193]
I64_EDGES = [0, 63, 64, 2**31, 2**32, 2**63 - 1, -(2**63), -1, -64, -65, -(2**32) - 1]
F64_EDGES = [0.0, -0.0, 1.5, -2.25e300, float("inf"), 5e-324]


def test_constants_are_signed_leb_and_raw_float_bits() -> None:
    """Constants are stored unsigned; wasmtime hands back the signed value we meant."""
    cases = [(I32, v, _i("i32.const", v % 2**32)) for v in I32_EDGES]
    cases += [(I64, v, _i("i64.const", v % 2**64)) for v in I64_EDGES]
    cases += [
        (F64, v, _i("f64.const", struct.unpack("<Q", struct.pack("<d", v))[0])) for v in F64_EDGES
    ]
    types = [FuncType((), (t,)) for t in (I32, I64, F64)]
    index = {I32: 0, I64: 1, F64: 2}
    m = Module(
        types=types,
        funcs=[Func(index[t], [], [ins, _i("end")]) for t, _, ins in cases],
        exports=[Export(f"c{k}", 0, k) for k in range(len(cases))],
    )
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    inst = wasmtime.Instance(store, wasmtime.Module(engine, encode(m)), [])
    exports = inst.exports(store)
    for k, (t, want, _) in enumerate(cases):
        got = exports[f"c{k}"](store)
        if t == F64:
            assert struct.pack("<d", got) == struct.pack("<d", want)
        else:
            assert got == want


def test_f32_nan_payload_survives() -> None:
    bits = 0x7FA00001
    m = Module(
        types=[FuncType((), (I32,))],
        funcs=[Func(0, [], [_i("f32.const", bits), _i("i32.reinterpret_f32"), _i("end")])],
        exports=[Export("f", 0, 0)],
    )
    assert _run(m, "f") == bits


def test_every_opcode_has_an_encoding() -> None:
    """Each table row encodes to its opcode bytes (prefixed ones as 0xFC + LEB sub)."""
    for op in OPS:
        if op.imm != Imm.NONE:
            continue
        m = Module(types=[FuncType((), ())], funcs=[Func(0, [], [(op.code,), (0x0B,)])])
        expect = bytes([op.code]) if op.code < 0x100 else bytes([0xFC, op.code & 0xFF])
        assert encode(m).endswith(expect + b"\x0b"), op.name


def test_unencodable_module_is_a_clear_error() -> None:
    bad = Module(types=[FuncType((), ())], funcs=[Func(0, [], [(0x06,), (0x0B,)])])
    with pytest.raises(MalformedError, match="cannot encode"):
        encode(bad)
    neg = Module(types=[FuncType((), ())], funcs=[Func(0, [], [(0x20, -1), (0x0B,)])])
    with pytest.raises(MalformedError, match="cannot encode"):
        encode(neg)


def test_empty_module_is_just_the_header() -> None:
    assert encode(Module()) == b"\x00asm\x01\x00\x00\x00"
