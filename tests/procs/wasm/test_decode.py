"""Tests for the binary decoder (procs/wasm/decode.py) and LEB128 readers (leb128.py).

Expected values come from the WAT sources (assembled by wasmtime.wat2wasm) or from bytes
written by hand here, and the malformed cases use the spec test suite's messages.
"""

from __future__ import annotations

import struct

import pytest
import wasmtime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procs.wasm import leb128
from procs.wasm.decode import MAX_LOCALS, MAX_MODULE_LOCALS, decode
from procs.wasm.errors import MalformedError, UnsupportedError
from procs.wasm.module import (
    ACTIVE,
    DECLARATIVE,
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    PASSIVE,
    FuncType,
    GlobalType,
    Limits,
    MemoryType,
    TableType,
)
from procs.wasm.opcodes import OPS, Imm

uleb = leb128.encode_unsigned
sleb = leb128.encode_signed
HDR = b"\x00asm\x01\x00\x00\x00"
EOS = "unexpected end of section or function"


def sec(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + uleb(len(payload)) + payload


def vec(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


def name(s: str) -> bytes:
    b = s.encode()
    return uleb(len(b)) + b


def entry(body: bytes, locals_: bytes = b"\x00") -> bytes:
    content = locals_ + body
    return uleb(len(content)) + content


TYPE_VOID = sec(1, vec([b"\x60\x00\x00"]))
FUNC1 = sec(3, vec([b"\x00"]))


def code_module(body: bytes, locals_: bytes = b"\x00", datacount: bool = True) -> bytes:
    """One function of type [] -> [] with the given body bytes (which include the end)."""
    dc = sec(12, b"\x00") if datacount else b""
    return HDR + TYPE_VOID + FUNC1 + dc + sec(10, vec([entry(body, locals_)]))


def malformed(data: bytes, message: str, cls: type = MalformedError) -> MalformedError:
    with pytest.raises(MalformedError) as info:
        decode(data)
    err = info.value
    assert type(err) is cls, f"{type(err).__name__}: {err}"
    assert str(err).startswith(message), str(err)
    return err


# --- LEB128 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "bits", "value", "end"),
    [
        (b"\x00", 32, 0, 1),
        (b"\x7f", 32, 127, 1),
        (b"\x80\x01", 32, 128, 2),
        (b"\x82\x80\x80\x80\x00", 32, 2, 5),
        (b"\xff\xff\xff\xff\x0f", 32, 0xFFFFFFFF, 5),
        (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 64, 2**64 - 1, 10),
        (b"\x01\x99", 32, 1, 1),
    ],
)
def test_unsigned_leb(raw: bytes, bits: int, value: int, end: int) -> None:
    assert leb128.read_unsigned(raw, 0, bits) == (value, end)


@pytest.mark.parametrize(
    ("raw", "bits", "value"),
    [
        (b"\x7f", 32, -1),
        (b"\x40", 32, -64),
        (b"\x3f", 32, 63),
        (b"\x80\x7f", 32, -128),
        (b"\xff\xff\xff\xff\x07", 32, 2**31 - 1),
        (b"\x80\x80\x80\x80\x78", 32, -(2**31)),
        (b"\xff\xff\xff\xff\x0f", 33, 2**32 - 1),
        (b"\x80\x80\x80\x80\x70", 33, -(2**32)),
        (b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f", 64, -(2**63)),
        (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00", 64, 2**63 - 1),
    ],
)
def test_signed_leb(raw: bytes, bits: int, value: int) -> None:
    assert leb128.read_signed(raw, 0, bits) == (value, len(raw))


@pytest.mark.parametrize(
    ("raw", "signed", "bits", "message"),
    [
        (b"\x82\x80\x80\x80\x80\x00", False, 32, "integer representation too long"),
        (b"\x82\x80\x80\x80\x70", False, 32, "integer too large"),
        (b"\x82\x80\x80\x80\x10", False, 32, "integer too large"),
        (b"\x80\x80\x80\x80\x80\x00", True, 32, "integer representation too long"),
        (b"\x80\x80\x80\x80\x70", True, 32, "integer too large"),
        (b"\xff\xff\xff\xff\x0f", True, 32, "integer too large"),
        (b"\x80\x80\x80\x80\x1f", True, 32, "integer too large"),
        (b"\xff\xff\xff\xff\x4f", True, 32, "integer too large"),
        (b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7e", True, 64, "integer too large"),
        (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", True, 64, "integer too large"),
        (b"\xff" * 10 + b"\x7f", True, 64, "integer representation too long"),
        (b"\x80" * 10 + b"\x00", True, 64, "integer representation too long"),
        (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", False, 64, "integer too large"),
        (b"\x80\x80\x80\x80\x10", True, 33, "integer too large"),
        (b"\x80", False, 32, EOS),
        (b"", True, 64, EOS),
    ],
)
def test_leb_errors(raw: bytes, signed: bool, bits: int, message: str) -> None:
    read = leb128.read_signed if signed else leb128.read_unsigned
    with pytest.raises(MalformedError, match=f"^{message}"):
        read(raw, 0, bits)


@given(st.integers(0, 2**64 - 1))
def test_leb_roundtrip_unsigned(v: int) -> None:
    assert leb128.read_u64(uleb(v), 0) == (v, len(uleb(v)))


@given(st.integers(-(2**63), 2**63 - 1))
def test_leb_roundtrip_signed(v: int) -> None:
    assert leb128.read_s64(sleb(v), 0) == (v, len(sleb(v)))


# --- header and section framing -------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "unexpected end"),
        (b"\x01", "unexpected end"),
        (b"\x00as", "unexpected end"),
        (b"asm\x00", "magic header not detected"),
        (b"\x7fasm\x01\x00\x00\x00", "magic header not detected"),
        (b"\xef\xbb\xbf\x00asm\x01\x00\x00\x00", "magic header not detected"),
        (b"\x00asm", "unexpected end"),
        (b"\x00asm\x01\x00\x00", "unexpected end"),
        (b"\x00asm\x00\x00\x00\x00", "unknown binary version"),
        (b"\x00asm\x0d\x00\x00\x00", "unknown binary version"),
        (b"\x00asm\x00\x00\x00\x01", "unknown binary version"),
        (HDR + b"\x0d\x00", "malformed section id"),
        (HDR + b"\x7f\x00", "malformed section id"),
        (HDR + b"\x80\x00\x01\x00", "malformed section id"),
        (HDR + b"\x01", EOS),
        (HDR + HDR, "length out of bounds"),
        # A size or count is checked against what is left after it, counted from its
        # own first byte: a type section that claims 9 bytes when 4 follow...
        (HDR + b"\x01\x09\x02\x60\x00\x00", "length out of bounds"),
        # ...a name longer than the rest of the module...
        (HDR + b"\x02\x06\x01\x07ab\x00\x00", "length out of bounds"),
        # ...but one table promised and nothing after the count runs off the end.
        (HDR + b"\x04\x01\x01", EOS),
    ],
)
def test_header_and_framing(data: bytes, message: str) -> None:
    malformed(data, message)


def test_error_offsets() -> None:
    assert malformed(b"msa\x00\x01\x00\x00\x00", "magic").offset == 0
    assert malformed(b"\x00asm\x02\x00\x00\x00", "unknown binary version").offset == 4
    assert malformed(HDR + b"\x0e\x00", "malformed section id").offset == 8
    # Illegal opcode: offset of the opcode byte itself.
    data = code_module(b"\x01\x27\x0b")
    err = malformed(data, "illegal opcode 0x27")
    assert data[err.offset] == 0x27


def test_empty_module() -> None:
    m = decode(HDR)
    assert m.types == [] and m.funcs == [] and m.section_sizes == []
    assert decode(bytearray(HDR)).types == []
    assert decode(memoryview(HDR)).types == []


def test_section_order_and_duplicates() -> None:
    dc_then_elem = HDR + sec(12, b"\x00") + sec(9, b"\x00")
    malformed(dc_then_elem, "unexpected content after last section")
    malformed(HDR + sec(3, b"\x00") + sec(1, b"\x00"), "unexpected content after last section")
    malformed(HDR + sec(1, b"\x00") + sec(1, b"\x00"), "unexpected content after last section")
    start_twice = HDR + TYPE_VOID + FUNC1 + sec(8, b"\x00") + sec(8, b"\x00")
    malformed(start_twice + sec(10, vec([entry(b"\x0b")])), "unexpected content after last")
    # Custom sections may appear anywhere, any number of times; datacount goes between
    # element and code.
    ok = (
        HDR
        + sec(0, name("a"))
        + TYPE_VOID
        + sec(0, name("b") + b"xyz")
        + FUNC1
        + sec(9, b"\x00")
        + sec(12, b"\x00")
        + sec(10, vec([entry(b"\x0b")]))
        + sec(11, b"\x00")
        + sec(0, name("c"))
    )
    m = decode(ok)
    assert [(c.name, c.data) for c in m.customs] == [("a", b""), ("b", b"xyz"), ("c", b"")]
    assert [s[0] for s in m.section_sizes] == [0, 1, 0, 3, 9, 12, 10, 11, 0]
    sid, offset, size = m.section_sizes[2]
    assert ok[offset : offset + size] == name("b") + b"xyz"
    assert m.data_count == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        # 2 types declared, 1 given: the section's size already claims more than is left.
        (HDR + b"\x01\x07\x02\x60\x00\x00", "length out of bounds"),
        # 1 type declared, 2 given.
        (HDR + b"\x01\x07\x01\x60\x00\x00\x60\x00\x00", "section size mismatch"),
        # Import count 2, one given.
        (
            HDR + b"\x01\x05\x01\x60\x01\x7f\x00\x02\x16\x02\x08spectest\x09print_i32\x00\x00",
            EOS,
        ),
        (HDR + b"\x04\x01\x01", EOS),
        (HDR + b"\x05\x01\x01", EOS),
        (HDR + b"\x06\x06\x02\x7f\x00\x41\x00\x0b", EOS),
        (HDR + b"\x06\x0b\x01\x7f\x00\x41\x00\x0b\x7f\x00\x41\x00\x0b", "section size mismatch"),
        # Element count 2, one given: the next segment's flags are read from the code
        # section's id byte, as in the reference interpreter.
        (
            HDR
            + b"\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x04\x04\x01\x70\x00\x01"
            + b"\x09\x07\x02\x00\x41\x00\x0b\x01\x00\x0a\x04\x01\x02\x00\x0b",
            "malformed elements segment kind",
        ),
        (HDR + b"\x05\x03\x01\x00\x01\x0b\x07\x02\x00\x41\x00\x0b\x01\x61", EOS),
        (
            HDR + b"\x05\x03\x01\x00\x01\x0b\x0d\x01\x00\x41\x00\x0b\x01\x61\x00\x41\x01\x0b\x01b",
            "section size mismatch",
        ),
        # Data segment with 7 bytes declared, 6 given / 5 declared, 6 given.
        (HDR + b"\x05\x03\x01\x00\x01\x0b\x0c\x01\x00\x41\x03\x0b\x07abcdef", EOS),
        (HDR + b"\x05\x03\x01\x00\x01\x0b\x0c\x01\x00\x41\x00\x0b\x05abcdef", "section size"),
        # Custom sections: name past the section end, payload past the input end.
        (HDR + b"\x00\x00", EOS),
        (HDR + b"\x00\x00\x00\x05\x01\x00\x07\x00\x00", EOS),
        (HDR + b"\x00\x26\x10a custom sectionthis is the payload", "length out of bounds"),
        (
            HDR + b"\x00\x25\x10a custom sectionthis is the payload"
            b"\x00\x24\x10a custom sectionthis is the payload",
            "malformed section id",
        ),
        # A function body whose blocks are not closed before the end of the input.
        (HDR + TYPE_VOID + FUNC1 + sec(10, vec([entry(b"\x02\x40\x0b")])), EOS),
    ],
)
def test_counts_and_sizes(data: bytes, message: str) -> None:
    malformed(data, message)


def test_function_and_code_lengths() -> None:
    msg = "function and code section have inconsistent lengths"
    malformed(HDR + TYPE_VOID + b"\x03\x03\x02\x00\x00", msg)
    malformed(HDR + b"\x0a\x04\x01\x02\x00\x0b", msg)
    malformed(HDR + TYPE_VOID + b"\x03\x03\x02\x00\x00\x0a\x04\x01\x02\x00\x0b", msg)
    malformed(HDR + TYPE_VOID + b"\x03\x02\x01\x00\x0a\x07\x02\x02\x00\x0b\x02\x00\x0b", msg)
    assert decode(HDR + b"\x03\x01\x00").funcs == []
    assert decode(HDR + b"\x0a\x01\x00").funcs == []


def test_data_count() -> None:
    malformed(
        HDR + b"\x0c\x01\x03\x0b\x05\x02\x01\x00\x01\x00",
        "data count and data section have inconsistent lengths",
    )
    malformed(
        HDR + b"\x0c\x01\x01\x0b\x05\x02\x01\x00\x01\x00",
        "data count and data section have inconsistent lengths",
    )
    mem = sec(5, b"\x01\x00\x00")
    data_sec = sec(11, b"\x01\x01\x00")
    memory_init = b"\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x00\x0b"
    base = HDR + TYPE_VOID + FUNC1 + mem
    malformed(base + sec(10, vec([entry(memory_init)])) + data_sec, "data count section required")
    data_drop = b"\xfc\x09\x00\x0b"
    malformed(base + sec(10, vec([entry(data_drop)])) + data_sec, "data count section required")
    m = decode(base + sec(12, b"\x01") + sec(10, vec([entry(data_drop)])) + data_sec)
    assert m.data_count == 1
    assert m.funcs[0].body == [(0xFC09, 0), (0x0B,)]


def test_locals() -> None:
    m = decode(code_module(b"\x0b", b"\x03\x00\x7f\x00\x7e\x02\x7d"))
    assert m.funcs[0].locals == [F32, F32]
    m = decode(code_module(b"\x0b", b"\x02\x02\x7f\x01\x6f"))
    assert m.funcs[0].locals == [I32, I32, EXTERNREF]
    # The sum of the counts overflows 32 bits.
    malformed(code_module(b"\x0b", b"\x02\xff\xff\xff\xff\x0f\x7f\x02\x7e"), "too many locals")
    # Beyond the implementation limit.
    malformed(code_module(b"\x0b", b"\x01" + uleb(MAX_LOCALS + 1) + b"\x7f"), "too many locals")
    assert len(decode(code_module(b"\x0b", b"\x01" + uleb(MAX_LOCALS) + b"\x7f")).funcs[0].locals)
    malformed(code_module(b"\x0b", b"\x01\x01\x40"), "malformed reference type")


def test_module_wide_locals_cap() -> None:
    """Many functions each declaring the most locals allowed must not exhaust memory."""
    n = MAX_MODULE_LOCALS // MAX_LOCALS + 1
    body = entry(b"\x0b", b"\x01" + uleb(MAX_LOCALS) + b"\x7f")
    data = HDR + TYPE_VOID + sec(3, vec([b"\x00"] * n)) + sec(10, vec([body] * n))
    malformed(data, "too many locals")


def test_function_body_size_mismatch() -> None:
    # The body's size says 4 but its `end` comes after 3 bytes.
    data = HDR + TYPE_VOID + FUNC1 + sec(10, b"\x01\x04\x00\x01\x0b\x01")
    malformed(data, "section size mismatch")


# --- instruction decoding ---------------------------------------------------------

_IMM_CASES: dict[Imm, tuple[bytes, tuple]] = {
    Imm.NONE: (b"", ()),
    Imm.LABEL: (b"\x05", (5,)),
    Imm.BR_TABLE: (b"\x02\x01\x02\x03", ((1, 2), 3)),
    Imm.FUNC: (b"\x85\x01", (133,)),
    Imm.CALL_INDIRECT: (b"\x03\x01", (3, 1)),
    Imm.LOCAL: (b"\x07", (7,)),
    Imm.GLOBAL: (b"\x80\x01", (128,)),
    Imm.TABLE: (b"\x02", (2,)),
    Imm.MEMARG: (b"\x02\x90\x4e", (2, 10000)),
    Imm.MEMORY: (b"\x00", (0,)),
    Imm.I32: (b"\x7f", (0xFFFFFFFF,)),
    Imm.I64: (b"\x7e", (2**64 - 2,)),
    Imm.F32: (struct.pack("<f", 1.5), (0x3FC00000,)),
    Imm.F64: (struct.pack("<d", -2.0), (0xC000000000000000,)),
    Imm.SELECT_T: (b"\x01\x7e", ((I64,),)),
    Imm.REFTYPE: (b"\x6f", (EXTERNREF,)),
    Imm.ELEM: (b"\x04", (4,)),
    Imm.DATA: (b"\x03", (3,)),
    Imm.MEMORY_INIT: (b"\x03\x00", (3, 0)),
    Imm.MEMORY_COPY: (b"\x00\x00", (0, 0)),
    Imm.TABLE_INIT: (b"\x04\x01", (4, 1)),
    Imm.TABLE_COPY: (b"\x01\x02", (1, 2)),
}


def _opcode_bytes(code: int) -> bytes:
    return bytes([code]) if code < 0x100 else b"\xfc" + uleb(code & 0xFF)


@pytest.mark.parametrize("op", [o for o in OPS if o.code not in (0x05, 0x0B)], ids=lambda o: o.name)
def test_every_opcode(op) -> None:
    if op.imm == Imm.BLOCK:
        body = _opcode_bytes(op.code) + b"\x7c\x0b\x0b"
        expected = [(op.code, F64 - 0x80), (0x0B,), (0x0B,)]
    else:
        imm, values = _IMM_CASES[op.imm]
        body = _opcode_bytes(op.code) + imm + b"\x0b"
        expected = [(op.code, *values), (0x0B,)]
    assert decode(code_module(body)).funcs[0].body == expected


def test_block_types_and_else() -> None:
    body = (
        b"\x02\x40\x0b"  # block (empty)
        b"\x03\x7f\x0b"  # loop (result i32)
        b"\x02\x01\x0b"  # block (type 1)
        b"\x02\x80\x01\x0b"  # block (type 128), two bytes
        b"\x02\xff\xff\xff\xff\x0f\x0b"  # block (type 2**32 - 1)
        b"\x02\xc0\x7f\x0b"  # -64 written with two bytes: a (nonexistent) type index
        b"\x04\x40\x01\x05\x01\x0b"  # if/else
        b"\x04\x70\x0b"  # if (result funcref), no else
        b"\x0b"
    )
    m = decode(code_module(body))
    assert m.funcs[0].body == [
        (0x02, -64),
        (0x0B,),
        (0x03, -1),
        (0x0B,),
        (0x02, 1),
        (0x0B,),
        (0x02, 128),
        (0x0B,),
        (0x02, 2**32 - 1),
        (0x0B,),
        (0x02, 2**32 - 64),
        (0x0B,),
        (0x04, -64),
        (0x01,),
        (0x05,),
        (0x01,),
        (0x0B,),
        (0x04, FUNCREF - 0x80),
        (0x0B,),
        (0x0B,),
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"\x05\x0b",  # else at function level
        b"\x02\x40\x05\x0b\x0b",  # else in a block
        b"\x04\x40\x05\x05\x0b\x0b",  # second else
    ],
)
def test_misplaced_else(body: bytes) -> None:
    malformed(code_module(body), "END opcode expected")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\x41\x80\x80\x80\x80\x80\x00\x1a\x0b", "integer representation too long"),
        (b"\x41\x80\x80\x80\x80\x70\x1a\x0b", "integer too large"),
        (b"\x42\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02\x1a\x0b", "integer too large"),
        (b"\x41\x00\x28\x02\x82\x80\x80\x80\x80\x00\x1a\x0b", "integer representation too long"),
        (b"\x41\x00\x28\x82\x80\x80\x80\x10\x00\x1a\x0b", "integer too large"),
        (b"\x41\x00\x40\x01\x1a\x0b", "zero byte expected"),
        (b"\x41\x00\x40\x80\x00\x1a\x0b", "zero byte expected"),
        (b"\x3f\x80\x80\x80\x80\x00\x1a\x0b", "zero byte expected"),
        (b"\x41\x00\x41\x00\x41\x00\xfc\x0a\x00\x01\x0b", "zero byte expected"),
        (b"\x41\x00\x41\x00\x41\x00\xfc\x0b\x01\x0b", "zero byte expected"),
        (b"\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x01\x0b", "zero byte expected"),
        (b"\xd0\x7f\x0b", "malformed reference type"),
        (b"\x1c\x01\x40\x0b", "malformed reference type"),
        (b"\x43\x00\x00\x80", EOS),
        (b"\x44\x00\x00\x00\x00\x00\x00\xf0", EOS),
        # 1 br_table target declared, 2 given: the blocks are not all closed.
        (b"\x02\x40\x41\x01\x04\x40\x41\x01\x0e\x01\x00\x01\x02\x0b\x0b\x0b", EOS),
        (b"\x0e\xff\xff\xff\xff\x0f\x0b", "length out of bounds"),
        (b"\x27\x0b", "illegal opcode 0x27"),
        (b"\xc5\x0b", "illegal opcode 0xc5"),
        (b"\xff\x0b", "illegal opcode 0xff"),
        (b"\xfc\x12\x0b", "illegal opcode 0xfc 0x12"),
        (b"\xfc\x80\x80\x80\x80\x10\x0b", "integer too large"),
        (b"\x0b\x0b", "section size mismatch"),  # a second `end` after the body's last
    ],
)
def test_malformed_instructions(body: bytes, message: str) -> None:
    malformed(code_module(body), message)


def test_nonminimal_leb_accepted() -> None:
    body = (
        b"\x41\x80\x00\x1a\x41\xff\xff\xff\xff\x7f\x1a\x42\xff\x7f\x1a\x28\x82\x00\x80\x00\x1a\x0b"
    )
    m = decode(code_module(body))
    assert m.funcs[0].body == [
        (0x41, 0),
        (0x1A,),
        (0x41, 0xFFFFFFFF),
        (0x1A,),
        (0x42, 2**64 - 1),
        (0x1A,),
        (0x28, 2, 0),
        (0x1A,),
        (0x0B,),
    ]


# --- a complete module from WAT ---------------------------------------------------

FULL_WAT = """
(module $full
  (type $t0 (func (param i32 i64) (result f32)))
  (type $t1 (func))
  (import "env" "f" (func $imp (type $t0)))
  (import "env" "tab" (table 1 10 funcref))
  (import "env" "mem" (memory 1))
  (import "env" "g" (global $gi (mut f64)))
  (table $t2 2 externref)
  (global $g1 i32 (i32.const -5))
  (global $g2 (mut i64) (i64.const 0x1234567890))
  (global $g3 f32 (f32.const nan:0x200000))
  (global $g4 funcref (ref.func $main))
  (export "main" (func $main))
  (export "t2" (table $t2))
  (export "mem" (memory 0))
  (export "g1" (global $g1))
  (start $st)
  (func $st (type $t1))
  (func $main (param i32 i64) (result f32) (local $x f64) (local i32 i32)
    (drop (call $imp (local.get 0) (local.get 1)))
    (f32.const -0.5))
  (data (i32.const 16) "abc")
  (data $p "passive")
)
"""


def test_full_module() -> None:
    m = decode(wasmtime.wat2wasm(FULL_WAT))
    assert m.types == [FuncType((I32, I64), (F32,)), FuncType((), ())]
    assert [(i.module, i.name, i.kind, i.desc) for i in m.imports] == [
        ("env", "f", 0, 0),
        ("env", "tab", 1, TableType(FUNCREF, Limits(1, 10))),
        ("env", "mem", 2, MemoryType(Limits(1))),
        ("env", "g", 3, GlobalType(F64, True)),
    ]
    assert m.tables == [TableType(EXTERNREF, Limits(2))]
    assert m.mems == []
    assert [(g.type, g.init) for g in m.globals] == [
        (GlobalType(I32, False), [(0x41, 2**32 - 5)]),
        (GlobalType(I64, True), [(0x42, 0x1234567890)]),
        (GlobalType(F32, False), [(0x43, 0x7FA00000)]),
        (GlobalType(FUNCREF, False), [(0xD2, 2)]),
    ]
    assert [(e.name, e.kind, e.index) for e in m.exports] == [
        ("main", 0, 2),
        ("t2", 1, 1),
        ("mem", 2, 0),
        ("g1", 3, 1),
    ]
    assert m.start == 1
    assert [f.type_idx for f in m.funcs] == [1, 0]
    assert m.funcs[0].body == [(0x0B,)]
    main = m.funcs[1]
    assert main.locals == [F64, I32, I32]
    assert main.body == [
        (0x20, 0),
        (0x20, 1),
        (0x10, 0),
        (0x1A,),
        (0x43, 0xBF000000),
        (0x0B,),
    ]
    assert main.offset > 0
    assert [(d.mode, d.init, d.memory, d.offset) for d in m.datas] == [
        (ACTIVE, b"abc", 0, [(0x41, 16)]),
        (PASSIVE, b"passive", 0, None),
    ]
    assert m.module_name == "full"
    assert m.func_names == {0: "imp", 1: "st", 2: "main"}
    assert [c.name for c in m.customs] == ["name"]
    assert m.elems == [] and m.data_count is None
    assert [s[0] for s in m.section_sizes] == [1, 2, 3, 4, 6, 7, 8, 10, 11, 0]


# --- element and data segments, every encoding ---------------------------------------


def _elem_module(seg: bytes) -> bytes:
    return HDR + sec(9, vec([seg]))


OFF = b"\x41\x05\x0b"  # (i32.const 5) end
REF_FUNC_1 = b"\xd2\x01\x0b"
REF_NULL = b"\xd0\x6f\x0b"


@pytest.mark.parametrize(
    ("seg", "mode", "etype", "init", "table", "offset"),
    [
        (b"\x00" + OFF + b"\x02\x01\x02", ACTIVE, FUNCREF, [[(0xD2, 1)], [(0xD2, 2)]], 0, True),
        (b"\x01\x00\x01\x03", PASSIVE, FUNCREF, [[(0xD2, 3)]], 0, False),
        (b"\x02\x02" + OFF + b"\x00\x01\x01", ACTIVE, FUNCREF, [[(0xD2, 1)]], 2, True),
        (b"\x03\x00\x00", DECLARATIVE, FUNCREF, [], 0, False),
        (b"\x04" + OFF + b"\x01" + REF_FUNC_1, ACTIVE, FUNCREF, [[(0xD2, 1)]], 0, True),
        (b"\x05\x6f\x01" + REF_NULL, PASSIVE, EXTERNREF, [[(0xD0, EXTERNREF)]], 0, False),
        (
            b"\x06\x01" + OFF + b"\x70\x02" + REF_FUNC_1 + b"\x23\x00\x0b",
            ACTIVE,
            FUNCREF,
            [[(0xD2, 1)], [(0x23, 0)]],
            1,
            True,
        ),
        (b"\x07\x70\x01" + REF_FUNC_1, DECLARATIVE, FUNCREF, [[(0xD2, 1)]], 0, False),
    ],
)
def test_elem_encodings(seg, mode, etype, init, table, offset) -> None:
    (e,) = decode(_elem_module(seg)).elems
    assert (e.mode, e.type, e.init, e.table) == (mode, etype, init, table)
    assert e.offset == ([(0x41, 5)] if offset else None)


@pytest.mark.parametrize(
    ("seg", "message"),
    [
        (b"\x08", "malformed elements segment kind"),
        (b"\x01\x01\x00", "malformed element kind"),
        (b"\x05\x7f\x01\xd2\x00\x0b", "malformed reference type"),
        (b"\x04\x41\x00\x05\x0b\x00", "END opcode expected"),
    ],
)
def test_elem_malformed(seg: bytes, message: str) -> None:
    malformed(_elem_module(seg), message)


def test_later_proposal_opcodes_still_say_illegal_opcode() -> None:
    """The spec tests expect "illegal opcode" for bytes that later proposals use."""
    malformed(_elem_module(b"\x05\x70\x01\xd5\x00\x0b"), "illegal opcode 0xd5", UnsupportedError)
    malformed(code_module(b"\x06\x0b"), "illegal opcode 0x06", UnsupportedError)


def test_elem_from_wat() -> None:
    wat = """(module (table $a 1 funcref) (table $b 1 funcref) (func $f) (func $g)
      (elem (i32.const 0) $f $g)
      (elem func $g)
      (elem (table $b) (i32.const 0) func $f)
      (elem declare func $f)
      (elem (table $b) (offset (i32.const 0)) funcref (ref.null func) (ref.func $g)))"""
    elems = decode(wasmtime.wat2wasm(wat)).elems
    assert [(e.mode, e.table, e.init) for e in elems] == [
        (ACTIVE, 0, [[(0xD2, 0)], [(0xD2, 1)]]),
        (PASSIVE, 0, [[(0xD2, 1)]]),
        (ACTIVE, 1, [[(0xD2, 0)]]),
        (DECLARATIVE, 0, [[(0xD2, 0)]]),
        (ACTIVE, 1, [[(0xD0, FUNCREF)], [(0xD2, 1)]]),
    ]


def test_data_encodings() -> None:
    segs = [b"\x00" + OFF + b"\x02hi", b"\x01\x03abc", b"\x02\x80\x00" + OFF + b"\x00"]
    m = decode(HDR + sec(11, vec(segs)))
    assert [(d.mode, d.init, d.memory, d.offset) for d in m.datas] == [
        (ACTIVE, b"hi", 0, [(0x41, 5)]),
        (PASSIVE, b"abc", 0, None),
        (ACTIVE, b"", 0, [(0x41, 5)]),
    ]
    malformed(HDR + sec(11, vec([b"\x03\x00"])), "malformed data segment kind")


# --- types, limits, imports, exports, globals -------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (HDR + sec(1, b"\x01\x61\x00\x00"), "malformed function type"),
        (HDR + sec(1, b"\x01\xe0\x7f\x00\x00"), "integer representation too long"),
        (HDR + sec(1, b"\x01\x60\x01\x7a\x00"), "malformed reference type"),
        (HDR + sec(1, b"\x01\x60\x01\xff\x7f\x00"), "integer representation too long"),
        (HDR + b"\x02\x04\x01\x00\x00\x04", "malformed import kind"),
        (HDR + b"\x02\x05\x01\x00\x00\x80\x00", "malformed import kind"),
        (HDR + sec(7, b"\x01\x00\x04\x00"), "malformed export kind"),
        (HDR + sec(6, b"\x01\x7f\x02\x41\x00\x0b"), "malformed mutability"),
        (HDR + sec(6, b"\x01\x7f\x00\x41\x00"), EOS),
        (HDR + b"\x05\x02\x01\x02", "integer too large"),
        (HDR + b"\x05\x03\x01\x70\x00", "integer too large"),
        (HDR + b"\x05\x05\x01\x81\x00\x00\x00", "integer representation too long"),
        (HDR + b"\x05\x05\x01\x81\x01\x00\x00", "integer representation too long"),
        (HDR + b"\x05\x07\x01\x00\x82\x80\x80\x80\x70", "integer too large"),
        (HDR + b"\x05\x08\x01\x00\x82\x80\x80\x80\x80\x00", "integer representation too long"),
        (HDR + sec(4, b"\x01\x70\x02\x00"), "integer too large"),
        (HDR + sec(4, b"\x01\x7f\x00\x00"), "malformed reference type"),
        (HDR + sec(2, b"\x01\x01m\x01\x80\x00"), "malformed UTF-8 encoding"),
        (HDR + sec(2, b"\x01\x01\xe0\x01m\x00\x00"), "malformed UTF-8 encoding"),
        (HDR + sec(0, b"\x02\xed\xa0"), "malformed UTF-8 encoding"),  # surrogate
        (HDR + sec(0, b"\x04\xf4\x90\x80\x80"), "malformed UTF-8 encoding"),  # > U+10FFFF
        (HDR + sec(0, b"\x02\xc0\x80"), "malformed UTF-8 encoding"),  # overlong
        (HDR + sec(0, b"\x05ab"), "length out of bounds"),  # name longer than what is left
    ],
)
def test_malformed_declarations(data: bytes, message: str) -> None:
    malformed(data, message)


def test_limits_and_names_accepted() -> None:
    m = decode(HDR + b"\x05\x07\x01\x00\x82\x80\x80\x80\x00" + sec(0, name("é☃😀") + b"z"))
    assert m.mems == [MemoryType(Limits(2))]
    assert m.customs[0].name == "é☃😀"
    m = decode(HDR + sec(4, b"\x01\x6f\x01\x00\xff\xff\xff\xff\x0f"))
    assert m.tables == [TableType(EXTERNREF, Limits(0, 0xFFFFFFFF))]


# --- unsupported proposals ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "feature"),
    [
        (wasmtime.wat2wasm("(module (func (param v128)))"), "SIMD"),
        (wasmtime.wat2wasm("(module (func (drop (v128.const i64x2 1 2))))"), "SIMD"),
        (code_module(b"\xfd\x0c" + bytes(16) + b"\x1a\x0b"), "SIMD"),
        (code_module(b"\x02\x7b\x0b\x0b"), "SIMD"),
        (code_module(b"\x41\x00\xfe\x10\x02\x00\x1a\x0b"), "threads"),
        (code_module(b"\x12\x00\x0b"), "illegal opcode 0x12 (tail calls"),
        (code_module(b"\x41\x00\x28\x40\x00\x00\x1a\x0b"), "multi-memory"),
        (wasmtime.wat2wasm("(module (memory 1 2 shared))"), "threads"),
        (wasmtime.wat2wasm("(module (memory i64 1))"), "memory64"),
        (HDR + sec(1, b"\x01\x5f\x00"), "GC"),
        (HDR + sec(1, b"\x01\x60\x01\x64\x70\x00"), "typed function references"),
    ],
)
def test_unsupported(data: bytes, feature: str) -> None:
    with pytest.raises(UnsupportedError) as info:
        decode(data)
    assert feature in str(info.value)
    assert "not supported yet" in str(info.value)


# --- the name section -----------------------------------------------------------------


def _name_sec(*subs: tuple[int, bytes]) -> bytes:
    return sec(0, name("name") + b"".join(bytes([i]) + uleb(len(p)) + p for i, p in subs))


def test_name_section() -> None:
    funcs = vec([uleb(0) + name("zero"), uleb(2) + name("two")])
    locals_sub = b"\x00"  # subsection 2 (local names): skipped
    m = decode(HDR + _name_sec((0, name("mod")), (1, funcs), (2, locals_sub)))
    assert m.module_name == "mod"
    assert m.func_names == {0: "zero", 2: "two"}
    assert m.func_name(2) == "two" and m.func_name(1) == "func[1]"


@pytest.mark.parametrize(
    "payload",
    [
        name("name") + b"\x01\x05\x01\x00\x09abc",  # name runs past the subsection
        name("name") + b"\x01\x03\x01\x00\x01",  # truncated
        name("name") + b"\x01\x04\x01\x00\x01\xff",  # bad UTF-8
        name("name") + b"\x01\x07\x02\x01\x01a\x01\x01b",  # duplicate index
        name("name") + b"\x00\x09\x01\x01",  # size past the end
        name("name") + b"\x00\x02\x01a\x00\x02\x01b",  # duplicate subsection
    ],
)
def test_bad_name_section_is_ignored(payload: bytes) -> None:
    m = decode(HDR + sec(0, payload))
    assert m.func_names == {}
    assert m.customs[0].name == "name"


def test_name_section_from_wat() -> None:
    m = decode(wasmtime.wat2wasm('(module $m (import "a" "b" (func $i)) (func $a) (func $b))'))
    assert m.module_name == "m"
    assert m.func_names == {0: "i", 1: "a", 2: "b"}


# --- fuzzing: nothing but MalformedError may escape ----------------------------------

_SEEDS = [
    wasmtime.wat2wasm(FULL_WAT),
    wasmtime.wat2wasm(
        """(module (memory 1) (table 2 funcref) (func $f (param i32) (result i32)
          (block $b (result i32) (loop $l (br_table $b $l $b (local.get 0))) (i32.const 1))
          (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2)))
          (i32.add) (i64.load offset=8 (i32.const 0)) (drop)
          (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))
          (memory.init $d (i32.const 0) (i32.const 0) (i32.const 0))
          (table.init $e (i32.const 0) (i32.const 0) (i32.const 0))
          (select (result f64) (f64.const 1) (f64.const 2) (i32.const 0)) (drop))
          (elem $e (i32.const 0) $f) (elem funcref (ref.null func)) (data $d "xy"))"""
    ),
    _elem_module(b"\x06\x01" + OFF + b"\x70\x02" + REF_FUNC_1 + REF_FUNC_1),
]


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    seed=st.sampled_from(_SEEDS),
    edits=st.lists(
        st.tuples(st.sampled_from("tfid"), st.integers(0, 10**6), st.integers(0, 255)),
        min_size=1,
        max_size=4,
    ),
)
def test_fuzz_only_malformed_escapes(seed: bytes, edits: list[tuple[str, int, int]]) -> None:
    data = bytearray(seed)
    for kind, where, byte in edits:
        if not data:
            break
        i = where % len(data)
        if kind == "t":
            del data[i:]
        elif kind == "f":
            data[i] = byte
        elif kind == "i":
            data.insert(i, byte)
        else:
            del data[i : i + 1 + byte % 8]
    try:
        decode(bytes(data))
    except MalformedError:
        pass


@pytest.mark.parametrize("seed", _SEEDS)
def test_every_truncation(seed: bytes) -> None:
    """Cutting inside a section is always malformed; at a section boundary it may not be."""
    boundaries = {len(HDR)} | {off + size for _, off, size in decode(seed).section_sizes}
    for n in range(len(seed)):
        try:
            decode(seed[:n])
        except MalformedError:
            continue
        assert n in boundaries, n
