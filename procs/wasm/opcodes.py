"""The opcode table: the one source of truth for every Wasm 2.0 instruction (no SIMD yet).

Each row gives the opcode number, the spec's text name, the kind of immediates it takes,
and, for instructions whose typing is a fixed signature, the operand and result types.
The decoder reads immediates by `imm`, the text parser maps names through `BY_NAME`,
the validator uses `sig` for every fixed-signature instruction, and the lowering pass
and interpreter key their handlers on `code`.

Prefixed opcodes (0xFC sub) are numbered `0xFC00 | sub`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from .module import F32, F64, I32, I64


class Imm(IntEnum):
    NONE = 0
    BLOCK = 1  # block type (s33)
    LABEL = 2  # label index
    BR_TABLE = 3  # (tuple of labels, default label)
    FUNC = 4  # function index
    CALL_INDIRECT = 5  # (type index, table index)
    LOCAL = 6
    GLOBAL = 7
    TABLE = 8  # table index
    MEMARG = 9  # (align exponent, offset)
    MEMORY = 10  # memory index (always 0 in Wasm 2.0)
    I32 = 11  # constant, stored unsigned
    I64 = 12  # constant, stored unsigned
    F32 = 13  # constant, stored as raw bits
    F64 = 14  # constant, stored as raw bits
    SELECT_T = 15  # tuple of value types (exactly one in 2.0)
    REFTYPE = 16  # FUNCREF or EXTERNREF
    ELEM = 17  # element segment index
    DATA = 18  # data segment index
    MEMORY_INIT = 19  # (data index, memory index)
    MEMORY_COPY = 20  # (dst memory, src memory)
    TABLE_INIT = 21  # (elem index, table index)
    TABLE_COPY = 22  # (dst table, src table)


@dataclass(frozen=True, slots=True)
class Op:
    code: int
    name: str
    imm: Imm
    # Fixed signature (operand types, result types), or None when typing is special.
    sig: tuple[tuple[int, ...], tuple[int, ...]] | None = None
    # For loads/stores: the natural alignment exponent (log2 of access width in bytes).
    natural_align: int | None = None


OPS: list[Op] = []


def _op(code: int, name: str, imm: Imm = Imm.NONE, sig=None, natural_align=None) -> None:
    OPS.append(Op(code, name, imm, sig, natural_align))


# --- control -----------------------------------------------------------------
_op(0x00, "unreachable")
_op(0x01, "nop")
_op(0x02, "block", Imm.BLOCK)
_op(0x03, "loop", Imm.BLOCK)
_op(0x04, "if", Imm.BLOCK)
_op(0x05, "else")
_op(0x0B, "end")
_op(0x0C, "br", Imm.LABEL)
_op(0x0D, "br_if", Imm.LABEL)
_op(0x0E, "br_table", Imm.BR_TABLE)
_op(0x0F, "return")
_op(0x10, "call", Imm.FUNC)
_op(0x11, "call_indirect", Imm.CALL_INDIRECT)

# --- parametric ----------------------------------------------------------------
_op(0x1A, "drop")
_op(0x1B, "select")
_op(0x1C, "select", Imm.SELECT_T)  # typed select; text name is also "select"

# --- variables -----------------------------------------------------------------
_op(0x20, "local.get", Imm.LOCAL)
_op(0x21, "local.set", Imm.LOCAL)
_op(0x22, "local.tee", Imm.LOCAL)
_op(0x23, "global.get", Imm.GLOBAL)
_op(0x24, "global.set", Imm.GLOBAL)

# --- tables --------------------------------------------------------------------
_op(0x25, "table.get", Imm.TABLE)
_op(0x26, "table.set", Imm.TABLE)

# --- memory --------------------------------------------------------------------
for _code, _name, _t, _align in (
    (0x28, "i32.load", I32, 2),
    (0x29, "i64.load", I64, 3),
    (0x2A, "f32.load", F32, 2),
    (0x2B, "f64.load", F64, 3),
    (0x2C, "i32.load8_s", I32, 0),
    (0x2D, "i32.load8_u", I32, 0),
    (0x2E, "i32.load16_s", I32, 1),
    (0x2F, "i32.load16_u", I32, 1),
    (0x30, "i64.load8_s", I64, 0),
    (0x31, "i64.load8_u", I64, 0),
    (0x32, "i64.load16_s", I64, 1),
    (0x33, "i64.load16_u", I64, 1),
    (0x34, "i64.load32_s", I64, 2),
    (0x35, "i64.load32_u", I64, 2),
):
    _op(_code, _name, Imm.MEMARG, ((I32,), (_t,)), _align)
for _code, _name, _t, _align in (
    (0x36, "i32.store", I32, 2),
    (0x37, "i64.store", I64, 3),
    (0x38, "f32.store", F32, 2),
    (0x39, "f64.store", F64, 3),
    (0x3A, "i32.store8", I32, 0),
    (0x3B, "i32.store16", I32, 1),
    (0x3C, "i64.store8", I64, 0),
    (0x3D, "i64.store16", I64, 1),
    (0x3E, "i64.store32", I64, 2),
):
    _op(_code, _name, Imm.MEMARG, ((I32, _t), ()), _align)
_op(0x3F, "memory.size", Imm.MEMORY, ((), (I32,)))
_op(0x40, "memory.grow", Imm.MEMORY, ((I32,), (I32,)))

# --- constants -----------------------------------------------------------------
_op(0x41, "i32.const", Imm.I32, ((), (I32,)))
_op(0x42, "i64.const", Imm.I64, ((), (I64,)))
_op(0x43, "f32.const", Imm.F32, ((), (F32,)))
_op(0x44, "f64.const", Imm.F64, ((), (F64,)))

# --- numeric -------------------------------------------------------------------
_ICMP = ("eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u")
_FCMP = ("eq", "ne", "lt", "gt", "le", "ge")
_IUN = ("clz", "ctz", "popcnt")
_IBIN = (
    "add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u",
    "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl", "rotr",
)  # fmt: skip
_FUN = ("abs", "neg", "ceil", "floor", "trunc", "nearest", "sqrt")
_FBIN = ("add", "sub", "mul", "div", "min", "max", "copysign")

_op(0x45, "i32.eqz", sig=((I32,), (I32,)))
for _i, _n in enumerate(_ICMP):
    _op(0x46 + _i, f"i32.{_n}", sig=((I32, I32), (I32,)))
_op(0x50, "i64.eqz", sig=((I64,), (I32,)))
for _i, _n in enumerate(_ICMP):
    _op(0x51 + _i, f"i64.{_n}", sig=((I64, I64), (I32,)))
for _i, _n in enumerate(_FCMP):
    _op(0x5B + _i, f"f32.{_n}", sig=((F32, F32), (I32,)))
for _i, _n in enumerate(_FCMP):
    _op(0x61 + _i, f"f64.{_n}", sig=((F64, F64), (I32,)))
for _base, _p, _t in ((0x67, "i32", I32), (0x79, "i64", I64)):
    for _i, _n in enumerate(_IUN):
        _op(_base + _i, f"{_p}.{_n}", sig=((_t,), (_t,)))
    for _i, _n in enumerate(_IBIN):
        _op(_base + 3 + _i, f"{_p}.{_n}", sig=((_t, _t), (_t,)))
for _base, _p, _t in ((0x8B, "f32", F32), (0x99, "f64", F64)):
    for _i, _n in enumerate(_FUN):
        _op(_base + _i, f"{_p}.{_n}", sig=((_t,), (_t,)))
    for _i, _n in enumerate(_FBIN):
        _op(_base + 7 + _i, f"{_p}.{_n}", sig=((_t, _t), (_t,)))

# --- conversions ---------------------------------------------------------------
for _code, _name, _from, _to in (
    (0xA7, "i32.wrap_i64", I64, I32),
    (0xA8, "i32.trunc_f32_s", F32, I32),
    (0xA9, "i32.trunc_f32_u", F32, I32),
    (0xAA, "i32.trunc_f64_s", F64, I32),
    (0xAB, "i32.trunc_f64_u", F64, I32),
    (0xAC, "i64.extend_i32_s", I32, I64),
    (0xAD, "i64.extend_i32_u", I32, I64),
    (0xAE, "i64.trunc_f32_s", F32, I64),
    (0xAF, "i64.trunc_f32_u", F32, I64),
    (0xB0, "i64.trunc_f64_s", F64, I64),
    (0xB1, "i64.trunc_f64_u", F64, I64),
    (0xB2, "f32.convert_i32_s", I32, F32),
    (0xB3, "f32.convert_i32_u", I32, F32),
    (0xB4, "f32.convert_i64_s", I64, F32),
    (0xB5, "f32.convert_i64_u", I64, F32),
    (0xB6, "f32.demote_f64", F64, F32),
    (0xB7, "f64.convert_i32_s", I32, F64),
    (0xB8, "f64.convert_i32_u", I32, F64),
    (0xB9, "f64.convert_i64_s", I64, F64),
    (0xBA, "f64.convert_i64_u", I64, F64),
    (0xBB, "f64.promote_f32", F32, F64),
    (0xBC, "i32.reinterpret_f32", F32, I32),
    (0xBD, "i64.reinterpret_f64", F64, I64),
    (0xBE, "f32.reinterpret_i32", I32, F32),
    (0xBF, "f64.reinterpret_i64", I64, F64),
    (0xC0, "i32.extend8_s", I32, I32),
    (0xC1, "i32.extend16_s", I32, I32),
    (0xC2, "i64.extend8_s", I64, I64),
    (0xC3, "i64.extend16_s", I64, I64),
    (0xC4, "i64.extend32_s", I64, I64),
    (0xFC00, "i32.trunc_sat_f32_s", F32, I32),
    (0xFC01, "i32.trunc_sat_f32_u", F32, I32),
    (0xFC02, "i32.trunc_sat_f64_s", F64, I32),
    (0xFC03, "i32.trunc_sat_f64_u", F64, I32),
    (0xFC04, "i64.trunc_sat_f32_s", F32, I64),
    (0xFC05, "i64.trunc_sat_f32_u", F32, I64),
    (0xFC06, "i64.trunc_sat_f64_s", F64, I64),
    (0xFC07, "i64.trunc_sat_f64_u", F64, I64),
):
    _op(_code, _name, sig=((_from,), (_to,)))

# --- references ----------------------------------------------------------------
_op(0xD0, "ref.null", Imm.REFTYPE)
_op(0xD1, "ref.is_null")
_op(0xD2, "ref.func", Imm.FUNC)

# --- bulk memory and tables ----------------------------------------------------
_op(0xFC08, "memory.init", Imm.MEMORY_INIT, ((I32, I32, I32), ()))
_op(0xFC09, "data.drop", Imm.DATA, ((), ()))
_op(0xFC0A, "memory.copy", Imm.MEMORY_COPY, ((I32, I32, I32), ()))
_op(0xFC0B, "memory.fill", Imm.MEMORY, ((I32, I32, I32), ()))
_op(0xFC0C, "table.init", Imm.TABLE_INIT, ((I32, I32, I32), ()))
_op(0xFC0D, "elem.drop", Imm.ELEM, ((), ()))
_op(0xFC0E, "table.copy", Imm.TABLE_COPY, ((I32, I32, I32), ()))
_op(0xFC0F, "table.grow", Imm.TABLE)
_op(0xFC10, "table.size", Imm.TABLE, ((), (I32,)))
_op(0xFC11, "table.fill", Imm.TABLE)

BY_CODE: dict[int, Op] = {op.code: op for op in OPS}
# Text names. "select" maps to the untyped form; the text parser picks 0x1C when a
# `(result t)` follows.
BY_NAME: dict[str, Op] = {}
for _o in OPS:
    BY_NAME.setdefault(_o.name, _o)

# Named constants for the codes other modules branch on.
UNREACHABLE, NOP, BLOCK, LOOP, IF, ELSE, END = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x0B
BR, BR_IF, BR_TABLE, RETURN, CALL, CALL_INDIRECT = 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11
DROP, SELECT, SELECT_T = 0x1A, 0x1B, 0x1C
LOCAL_GET, LOCAL_SET, LOCAL_TEE, GLOBAL_GET, GLOBAL_SET = 0x20, 0x21, 0x22, 0x23, 0x24
TABLE_GET, TABLE_SET = 0x25, 0x26
MEMORY_SIZE, MEMORY_GROW = 0x3F, 0x40
I32_CONST, I64_CONST, F32_CONST, F64_CONST = 0x41, 0x42, 0x43, 0x44
REF_NULL, REF_IS_NULL, REF_FUNC = 0xD0, 0xD1, 0xD2
MEMORY_INIT, DATA_DROP, MEMORY_COPY, MEMORY_FILL = 0xFC08, 0xFC09, 0xFC0A, 0xFC0B
TABLE_INIT, ELEM_DROP, TABLE_COPY, TABLE_GROW, TABLE_SIZE, TABLE_FILL = (
    0xFC0C, 0xFC0D, 0xFC0E, 0xFC0F, 0xFC10, 0xFC11,
)  # fmt: skip


def skip_unreachable(code: int, depth: int) -> int | None:
    """One step of skipping the unreachable code after br/br_table/return/unreachable.

    `depth` counts the constructs opened inside the dead region. Returns the new depth
    while `code` is still dead, or None for the `end`/`else` that closes the enclosing
    construct: that instruction is live again and must be processed.
    """
    if code == BLOCK or code == LOOP or code == IF:
        return depth + 1
    if code == END:
        return depth - 1 if depth else None
    if code == ELSE:
        return depth if depth else None
    return depth


# Opcode bytes and prefixes of later proposals: decoding them says "not supported yet".
UNSUPPORTED_PREFIXES = {0xFD: "SIMD (v128)", 0xFE: "threads (atomics)", 0xFB: "GC"}
UNSUPPORTED_CODES = {
    0x06: "exception handling", 0x07: "exception handling", 0x08: "exception handling",
    0x09: "exception handling", 0x18: "exception handling", 0x19: "exception handling",
    0x1F: "exception handling", 0x0A: "exception handling",
    0x12: "tail calls", 0x13: "tail calls",
    0x14: "typed function references", 0x15: "typed function references",
    0xD3: "typed function references", 0xD4: "typed function references",
    0xD5: "typed function references", 0xD6: "typed function references",
}  # fmt: skip
