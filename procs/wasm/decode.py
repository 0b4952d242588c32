"""The binary decoder: Wasm 2.0 module bytes -> `module.Module` (structure only, no typing).

Reading follows the reference interpreter's rules so that malformed modules get the
spec tests' messages: every read is over the whole buffer and each section (and each
function body) checks afterwards that it ended exactly where its size said ("section size
mismatch"), lengths are checked against what is left of the input ("length out of
bounds"), and running off the end anywhere is "unexpected end of section or function".

Speed: the instruction loop reads straight from a `bytes` object with an integer
position, takes one-byte LEB128 values without a call, and relies on the IndexError that
indexing past the end raises (turned into a MalformedError at the top) instead of testing
the bounds before every byte.

What the decoder records beyond the spec's abstract syntax: `Func.offset` is the byte
offset of a body's first byte (its local declarations, just after the body size);
`Module.section_sizes` holds `(id, content offset, content size)` per section in file
order, custom sections included.

Encodings of later proposals (v128, shared or 64-bit memories, GC and typed-reference
types, 0xFD/0xFE/0xFB prefixes, tail calls, exceptions) raise UnsupportedError. For
single opcode bytes that Wasm 2.0 leaves unassigned the message still starts with
"illegal opcode 0x..", which is what the 2.0 spec tests expect for them.
"""

from __future__ import annotations

from .errors import MalformedError, UnsupportedError
from .leb128 import read_signed as _rs
from .leb128 import read_unsigned as _ru
from .module import (
    ACTIVE,
    DECLARATIVE,
    EXT_FUNC,
    EXT_GLOBAL,
    EXT_MEMORY,
    EXT_TABLE,
    EXTERNREF,
    FUNCREF,
    PASSIVE,
    Custom,
    Data,
    Elem,
    Export,
    Func,
    FuncType,
    Global,
    GlobalType,
    Import,
    Limits,
    MemoryType,
    Module,
    TableType,
)
from .opcodes import OPS, REF_FUNC, UNSUPPORTED_CODES, UNSUPPORTED_PREFIXES, Imm

__all__ = ["decode", "MAX_LOCALS", "MAX_MODULE_LOCALS"]

EOS = "unexpected end of section or function"
# Implementation limit on declared locals per function (the spec allows up to 2**32 - 1,
# engines cap it; wasmtime uses the same number). Also keeps a hostile count from
# allocating gigabytes.
MAX_LOCALS = 50000
# Locals are stored expanded (one list entry each), so a hostile module of many small
# functions that each declare MAX_LOCALS would otherwise cost gigabytes: cap the total.
MAX_MODULE_LOCALS = 1 << 23

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF

# Value-type bytes of later proposals, so that they say "not supported" rather than
# "malformed".
_UNSUPPORTED_TYPES = {
    0x7B: "SIMD (v128)",
    0x63: "typed function references",
    0x64: "typed function references",
    0x69: "exception handling",
    0x74: "exception handling",
    0x6E: "GC",
    0x6D: "GC",
    0x6C: "GC",
    0x6B: "GC",
    0x6A: "GC",
    0x71: "GC",
    0x72: "GC",
    0x73: "GC",
}
# Type-section forms of the GC proposal (rec, sub final, sub, array, struct).
_GC_TYPE_FORMS = (0x4E, 0x4F, 0x50, 0x5E, 0x5F)

# Section id -> position in the required order (the data count section, id 12, sits
# between the element and the code sections).
_ORDER = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 9: 9, 12: 10, 10: 11, 11: 12}

# Instruction dispatch: one small integer kind per first opcode byte. Kinds below 100
# are `Imm` values; the rest are the decoder's own.
_K_END = 100
_K_ELSE = 101
_K_FC = 102
_K_UNSUP = 103
_K_UNSUP_PREFIX = 104
_K_ILLEGAL = 105

_NONE = int(Imm.NONE)
_BLOCK = int(Imm.BLOCK)
_LABEL = int(Imm.LABEL)
_BR_TABLE = int(Imm.BR_TABLE)
_FUNC = int(Imm.FUNC)
_CALL_INDIRECT = int(Imm.CALL_INDIRECT)
_LOCAL = int(Imm.LOCAL)
_GLOBAL = int(Imm.GLOBAL)
_TABLE = int(Imm.TABLE)
_MEMARG = int(Imm.MEMARG)
_MEMORY = int(Imm.MEMORY)
_I32 = int(Imm.I32)
_I64 = int(Imm.I64)
_F32 = int(Imm.F32)
_F64 = int(Imm.F64)
_SELECT_T = int(Imm.SELECT_T)
_REFTYPE = int(Imm.REFTYPE)
_ELEM = int(Imm.ELEM)
_DATA = int(Imm.DATA)
_MEMORY_INIT = int(Imm.MEMORY_INIT)
_MEMORY_COPY = int(Imm.MEMORY_COPY)
_TABLE_INIT = int(Imm.TABLE_INIT)
_TABLE_COPY = int(Imm.TABLE_COPY)

# Kinds whose only immediate is one u32 index.
_INDEX_KINDS = frozenset((_LABEL, _FUNC, _LOCAL, _GLOBAL, _TABLE, _ELEM))

_KIND = [_K_ILLEGAL] * 256
_FC_KIND: dict[int, int] = {}
_SINGLE: dict[int, tuple[int]] = {}  # shared tuples for immediate-free instructions
for _o in OPS:
    if _o.code < 0x100:
        _KIND[_o.code] = int(_o.imm)
    else:
        _FC_KIND[_o.code & 0xFF] = int(_o.imm)
    if _o.imm == Imm.NONE:
        _SINGLE[_o.code] = (_o.code,)
_KIND[0x0B] = _K_END
_KIND[0x05] = _K_ELSE
_KIND[0xFC] = _K_FC
for _c in UNSUPPORTED_CODES:
    _KIND[_c] = _K_UNSUP
for _c in UNSUPPORTED_PREFIXES:
    _KIND[_c] = _K_UNSUP_PREFIX
_END_T = (0x0B,)
_ELSE_T = (0x05,)


def decode(data: bytes | bytearray | memoryview) -> Module:
    """Decode a binary module. Raises MalformedError (or UnsupportedError) and nothing else."""
    if not isinstance(data, bytes):
        data = bytes(data)
    try:
        return _decode(data)
    except IndexError:
        # Indexing past the end of the input: the fast paths do not test bounds.
        raise MalformedError(EOS, len(data)) from None
    except RecursionError:  # pragma: no cover - the decoder is iterative
        raise MalformedError("module nested too deeply", None) from None


# --- small readers ------------------------------------------------------------
# Each takes (data, pos) and returns (value, new_pos).


def _u32(data: bytes, pos: int) -> tuple[int, int]:
    b = data[pos]
    if b < 0x80:
        return b, pos + 1
    return _ru(data, pos, 32)


def _len32(data: bytes, pos: int) -> tuple[int, int]:
    """A length or count: a u32 that cannot exceed what is left of the input.

    As in the reference interpreter, "left" is counted from the first byte of the
    length itself, so a count of one item with nothing after it still reads as an
    unexpected end rather than a length out of bounds.
    """
    b = data[pos]
    if b < 0x80:
        n, end = b, pos + 1
    else:
        n, end = _ru(data, pos, 32)
    if n > len(data) - pos:
        raise MalformedError("length out of bounds", pos)
    return n, end


def _byte_type(data: bytes, pos: int) -> int:
    """Checks shared by one-byte type codes (read as the spec's 7-bit signed LEB)."""
    b = data[pos]
    if b & 0x80:
        raise MalformedError("integer representation too long", pos + 1)
    feature = _UNSUPPORTED_TYPES.get(b)
    if feature is not None:
        raise UnsupportedError(f"{feature} is not supported yet", pos)
    return b


def _valtype(data: bytes, pos: int) -> tuple[int, int]:
    b = data[pos]
    if 0x7C <= b <= 0x7F or b == FUNCREF or b == EXTERNREF:
        return b, pos + 1
    _byte_type(data, pos)
    # As in the reference interpreter, anything that is not a number type is read as a
    # reference type.
    raise MalformedError("malformed reference type", pos)


def _reftype(data: bytes, pos: int) -> tuple[int, int]:
    b = data[pos]
    if b == FUNCREF or b == EXTERNREF:
        return b, pos + 1
    _byte_type(data, pos)
    raise MalformedError("malformed reference type", pos)


def _name(data: bytes, pos: int) -> tuple[str, int]:
    start = pos
    n, pos = _len32(data, pos)
    end = pos + n
    if end > len(data):
        raise MalformedError(EOS, len(data))
    try:
        return data[pos:end].decode("utf-8"), end
    except UnicodeDecodeError:
        raise MalformedError("malformed UTF-8 encoding", start) from None


def _limits(data: bytes, pos: int, memory: bool) -> tuple[Limits, int]:
    flags = data[pos]
    if flags > 1:
        if flags & 0x80 and (flags & 0x7F) < 2:
            raise MalformedError("integer representation too long", pos + 1)
        if memory and flags == 3:
            raise UnsupportedError("threads (shared memory) is not supported yet", pos)
        if 4 <= flags <= 7:
            raise UnsupportedError("memory64 is not supported yet", pos)
        raise MalformedError("integer too large", pos)
    lo, pos = _u32(data, pos + 1)
    if flags:
        hi, pos = _u32(data, pos)
        return Limits(lo, hi), pos
    return Limits(lo), pos


def _tabletype(data: bytes, pos: int) -> tuple[TableType, int]:
    t, pos = _reftype(data, pos)
    lim, pos = _limits(data, pos, False)
    return TableType(t, lim), pos


def _globaltype(data: bytes, pos: int) -> tuple[GlobalType, int]:
    t, pos = _valtype(data, pos)
    m = data[pos]
    if m > 1:
        raise MalformedError("malformed mutability", pos)
    return GlobalType(t, m == 1), pos + 1


def _zero(data: bytes, pos: int) -> int:
    if data[pos] != 0:
        raise MalformedError("zero byte expected", pos)
    return pos + 1


# --- instructions ---------------------------------------------------------------


def _expr(data: bytes, pos: int, body: bool) -> tuple[list, int, bool]:
    """Decode instructions up to the `end` that closes the sequence.

    A function body keeps that final `end`, a constant expression does not. Returns the
    instructions, the position after the `end`, and whether a data index was used
    (memory.init / data.drop need a data count section).
    """
    out: list = []
    append = out.append
    ifs: list[bool] = []  # one per open block: True for an `if` that may still see `else`
    uses_data = False
    kind_of = _KIND
    single = _SINGLE
    while True:
        start = pos
        op = data[pos]
        pos += 1
        k = kind_of[op]
        if k == _K_FC:
            b = data[pos]
            if b < 0x80:
                sub = b
                pos += 1
            else:
                sub, pos = _ru(data, pos, 32)
            k = _FC_KIND.get(sub, _K_ILLEGAL)
            if k == _K_ILLEGAL:
                raise MalformedError(f"illegal opcode 0xfc 0x{sub:x}", start)
            op = 0xFC00 | sub

        if k == _NONE:
            append(single[op])
        elif k in _INDEX_KINDS:
            b = data[pos]
            if b < 0x80:
                append((op, b))
                pos += 1
            else:
                v, pos = _ru(data, pos, 32)
                append((op, v))
        elif k == _I32:
            b = data[pos]
            if b < 0x40:
                append((op, b))
                pos += 1
            elif b < 0x80:
                append((op, b + 0xFFFFFF80))  # one-byte negative: b - 0x80, unsigned
                pos += 1
            else:
                b2 = data[pos + 1]
                if b2 < 0x80:  # two bytes
                    v = (b & 0x7F) | (b2 << 7)
                    if b2 & 0x40:
                        v += 0xFFFFFFFF - 0x3FFF  # minus 2**14, stored unsigned
                    append((op, v))
                    pos += 2
                else:
                    v, pos = _rs(data, pos, 32)
                    append((op, v & M32))
        elif k == _MEMARG:
            b = data[pos]
            if b < 0x40:
                align = b
                pos += 1
            else:
                align, pos = _ru(data, pos, 32)
                if align & 0x40:
                    raise UnsupportedError(
                        "multi-memory is not supported yet (memarg flags bit 6)", start + 1
                    )
            b = data[pos]
            if b < 0x80:
                append((op, align, b))
                pos += 1
            else:
                v, pos = _ru(data, pos, 32)
                append((op, align, v))
        elif k == _K_END:
            if ifs:
                ifs.pop()
                append(_END_T)
            else:
                if body:
                    append(_END_T)
                return out, pos, uses_data
        elif k == _BLOCK:
            b = data[pos]
            if b == 0x40:
                bt = -64
                pos += 1
            elif b & 0xC0 == 0x40:
                t, pos = _valtype(data, pos)
                bt = t - 0x80
            else:
                bt, pos = _rs(data, pos, 33)
                if bt < 0:
                    # A negative type index written with several bytes: wrap it to 32
                    # bits as the reference does, so validation reports an unknown type.
                    bt &= M32
            ifs.append(op == 0x04)
            append((op, bt))
        elif k == _K_ELSE:
            if ifs and ifs[-1]:
                ifs[-1] = False
                append(_ELSE_T)
            else:
                raise MalformedError("END opcode expected", start)
        elif k == _I64:
            b = data[pos]
            if b < 0x40:
                append((op, b))
                pos += 1
            else:
                v, pos = _rs(data, pos, 64)
                append((op, v & M64))
        elif k == _F32:
            end = pos + 4
            if end > len(data):
                raise MalformedError(EOS, len(data))
            append((op, int.from_bytes(data[pos:end], "little")))
            pos = end
        elif k == _F64:
            end = pos + 8
            if end > len(data):
                raise MalformedError(EOS, len(data))
            append((op, int.from_bytes(data[pos:end], "little")))
            pos = end
        elif k == _BR_TABLE:
            n, pos = _len32(data, pos)
            labels = []
            for _ in range(n):
                v, pos = _u32(data, pos)
                labels.append(v)
            v, pos = _u32(data, pos)
            append((op, tuple(labels), v))
        elif k == _CALL_INDIRECT or k == _TABLE_INIT or k == _TABLE_COPY:
            x, pos = _u32(data, pos)
            y, pos = _u32(data, pos)
            append((op, x, y))
        elif k == _MEMORY:
            pos = _zero(data, pos)
            append((op, 0))
        elif k == _REFTYPE:
            t, pos = _reftype(data, pos)
            append((op, t))
        elif k == _SELECT_T:
            n, pos = _len32(data, pos)
            types = []
            for _ in range(n):
                t, pos = _valtype(data, pos)
                types.append(t)
            append((op, tuple(types)))
        elif k == _DATA:
            v, pos = _u32(data, pos)
            append((op, v))
            uses_data = True
        elif k == _MEMORY_INIT:
            v, pos = _u32(data, pos)
            pos = _zero(data, pos)
            append((op, v, 0))
            uses_data = True
        elif k == _MEMORY_COPY:
            pos = _zero(data, pos)
            pos = _zero(data, pos)
            append((op, 0, 0))
        elif k == _K_UNSUP:
            feature = UNSUPPORTED_CODES[op]
            raise UnsupportedError(
                f"illegal opcode 0x{op:02x} ({feature} is not supported yet)", start
            )
        elif k == _K_UNSUP_PREFIX:
            feature = UNSUPPORTED_PREFIXES[op]
            raise UnsupportedError(f"{feature} is not supported yet (opcode 0x{op:02x})", start)
        else:
            raise MalformedError(f"illegal opcode 0x{op:02x}", start)


# --- sections -------------------------------------------------------------------


def _type_section(data: bytes, pos: int, m: Module) -> int:
    n, pos = _len32(data, pos)
    types = m.types
    for _ in range(n):
        form = data[pos]
        if form != 0x60:
            if form & 0x80:
                raise MalformedError("integer representation too long", pos + 1)
            if form in _GC_TYPE_FORMS:
                raise UnsupportedError("GC is not supported yet", pos)
            raise MalformedError("malformed function type", pos)
        pos += 1
        np, pos = _len32(data, pos)
        params = []
        for _ in range(np):
            t, pos = _valtype(data, pos)
            params.append(t)
        nr, pos = _len32(data, pos)
        results = []
        for _ in range(nr):
            t, pos = _valtype(data, pos)
            results.append(t)
        types.append(FuncType(tuple(params), tuple(results)))
    return pos


def _import_section(data: bytes, pos: int, m: Module) -> int:
    n, pos = _len32(data, pos)
    for _ in range(n):
        mod, pos = _name(data, pos)
        name, pos = _name(data, pos)
        kind = data[pos]
        pos += 1
        desc: int | TableType | MemoryType | GlobalType
        if kind == EXT_FUNC:
            desc, pos = _u32(data, pos)
        elif kind == EXT_TABLE:
            desc, pos = _tabletype(data, pos)
        elif kind == EXT_MEMORY:
            lim, pos = _limits(data, pos, True)
            desc = MemoryType(lim)
        elif kind == EXT_GLOBAL:
            desc, pos = _globaltype(data, pos)
        else:
            raise MalformedError("malformed import kind", pos - 1)
        m.imports.append(Import(mod, name, kind, desc))
    return pos


def _function_section(data: bytes, pos: int, func_types: list[int]) -> int:
    n, pos = _len32(data, pos)
    for _ in range(n):
        v, pos = _u32(data, pos)
        func_types.append(v)
    return pos


def _table_section(data: bytes, pos: int, m: Module) -> int:
    n, pos = _len32(data, pos)
    for _ in range(n):
        t, pos = _tabletype(data, pos)
        m.tables.append(t)
    return pos


def _memory_section(data: bytes, pos: int, m: Module) -> int:
    n, pos = _len32(data, pos)
    for _ in range(n):
        lim, pos = _limits(data, pos, True)
        m.mems.append(MemoryType(lim))
    return pos


def _global_section(data: bytes, pos: int, m: Module) -> int:
    n, pos = _len32(data, pos)
    for _ in range(n):
        gt, pos = _globaltype(data, pos)
        init, pos, _ = _expr(data, pos, False)
        m.globals.append(Global(gt, init))
    return pos


def _export_section(data: bytes, pos: int, m: Module) -> int:
    n, pos = _len32(data, pos)
    for _ in range(n):
        name, pos = _name(data, pos)
        kind = data[pos]
        if kind > 3:
            raise MalformedError("malformed export kind", pos)
        idx, pos = _u32(data, pos + 1)
        m.exports.append(Export(name, kind, idx))
    return pos


def _elem_section(data: bytes, pos: int, m: Module) -> int:
    n, pos = _len32(data, pos)
    for _ in range(n):
        flags, fpos = _u32(data, pos)
        if flags > 7:
            raise MalformedError("malformed elements segment kind", fpos - 1)
        pos = fpos
        table = 0
        offset = None
        if flags & 1 == 0:
            mode = ACTIVE
            if flags & 2:
                table, pos = _u32(data, pos)
            offset, pos, _ = _expr(data, pos, False)
        else:
            mode = DECLARATIVE if flags & 2 else PASSIVE
        etype = FUNCREF
        init: list[list] = []
        if flags & 4 == 0:
            if flags & 3:
                if data[pos] != 0x00:
                    raise MalformedError("malformed element kind", pos)
                pos += 1
            count, pos = _len32(data, pos)
            for _ in range(count):
                idx, pos = _u32(data, pos)
                init.append([(REF_FUNC, idx)])
        else:
            if flags & 3:
                etype, pos = _reftype(data, pos)
            count, pos = _len32(data, pos)
            for _ in range(count):
                e, pos, _ = _expr(data, pos, False)
                init.append(e)
        m.elems.append(Elem(mode, etype, init, table, offset))
    return pos


def _code_section(data: bytes, pos: int, bodies: list[Func]) -> tuple[int, bool]:
    n, pos = _len32(data, pos)
    any_data = False
    module_locals = 0
    for _ in range(n):
        size, pos = _len32(data, pos)
        start = pos
        lpos = pos
        count, pos = _len32(data, pos)
        total = 0
        decls = []
        for _ in range(count):
            c, pos = _u32(data, pos)
            t, pos = _valtype(data, pos)
            total += c
            decls.append((c, t))
        module_locals += total
        if total > MAX_LOCALS or module_locals > MAX_MODULE_LOCALS:
            raise MalformedError("too many locals", lpos)
        locals_: list[int] = []
        for c, t in decls:
            locals_ += [t] * c
        body, pos, uses_data = _expr(data, pos, True)
        if pos != start + size:
            raise MalformedError("section size mismatch", start)
        any_data = any_data or uses_data
        bodies.append(Func(-1, locals_, body, start))
    return pos, any_data


def _data_section(data: bytes, pos: int, m: Module) -> int:
    n, pos = _len32(data, pos)
    for _ in range(n):
        flags, fpos = _u32(data, pos)
        if flags > 2:
            raise MalformedError("malformed data segment kind", fpos - 1)
        pos = fpos
        mem = 0
        offset = None
        if flags == 1:
            mode = PASSIVE
        else:
            mode = ACTIVE
            if flags == 2:
                mem, pos = _u32(data, pos)
            offset, pos, _ = _expr(data, pos, False)
        size, pos = _len32(data, pos)
        end = pos + size
        if end > len(data):
            raise MalformedError(EOS, len(data))
        m.datas.append(Data(mode, data[pos:end], mem, offset))
        pos = end
    return pos


def _custom_section(data: bytes, pos: int, end: int, m: Module) -> None:
    name, npos = _name(data, pos)
    if npos > end or end > len(data):
        raise MalformedError(EOS, len(data))
    payload = data[npos:end]
    m.customs.append(Custom(name, payload))
    if name == "name" and m.module_name is None and not m.func_names:
        _name_section(payload, m)


def _name_section(payload: bytes, m: Module) -> None:
    """Read module and function names. Names are optional: a bad section is ignored."""
    pos = 0
    last = -1
    try:
        while pos < len(payload):
            sid = payload[pos]
            size, pos = _len32(payload, pos + 1)
            end = pos + size
            if sid <= last or end > len(payload):
                return
            last = sid
            if sid == 0:
                name, p = _name(payload, pos)
                if p != end:
                    return
                m.module_name = name
            elif sid == 1:
                names: dict[int, str] = {}
                count, p = _len32(payload, pos)
                prev = -1
                for _ in range(count):
                    idx, p = _u32(payload, p)
                    name, p = _name(payload, p)
                    if idx <= prev:  # the map must be sorted, without duplicates
                        return
                    prev = idx
                    names[idx] = name
                if p != end:
                    return
                m.func_names = names
            pos = end
    except (MalformedError, IndexError):
        return


def _decode(data: bytes) -> Module:
    n = len(data)
    if n < 4:
        raise MalformedError("unexpected end", n)
    if data[:4] != b"\x00asm":
        raise MalformedError("magic header not detected", 0)
    if n < 8:
        raise MalformedError("unexpected end", n)
    if data[4:8] != b"\x01\x00\x00\x00":
        raise MalformedError("unknown binary version", 4)

    m = Module()
    func_types: list[int] = []
    bodies: list[Func] = []
    uses_data = False
    last = 0
    pos = 8
    while pos < n:
        sid = data[pos]
        if sid > 12:
            raise MalformedError("malformed section id", pos)
        if sid:
            order = _ORDER[sid]
            if order <= last:
                raise MalformedError("unexpected content after last section", pos)
            last = order
        size, pos = _len32(data, pos + 1)
        start = pos
        end = start + size
        m.section_sizes.append((sid, start, size))
        if sid == 0:
            _custom_section(data, pos, end, m)
            pos = end
            continue
        if sid == 1:
            pos = _type_section(data, pos, m)
        elif sid == 2:
            pos = _import_section(data, pos, m)
        elif sid == 3:
            pos = _function_section(data, pos, func_types)
        elif sid == 4:
            pos = _table_section(data, pos, m)
        elif sid == 5:
            pos = _memory_section(data, pos, m)
        elif sid == 6:
            pos = _global_section(data, pos, m)
        elif sid == 7:
            pos = _export_section(data, pos, m)
        elif sid == 8:
            m.start, pos = _u32(data, pos)
        elif sid == 9:
            pos = _elem_section(data, pos, m)
        elif sid == 12:
            m.data_count, pos = _u32(data, pos)
        elif sid == 10:
            pos, uses_data = _code_section(data, pos, bodies)
        else:
            pos = _data_section(data, pos, m)
        if pos != end:
            raise MalformedError("section size mismatch", start)

    if len(func_types) != len(bodies):
        raise MalformedError("function and code section have inconsistent lengths", n)
    if m.data_count is not None and m.data_count != len(m.datas):
        raise MalformedError("data count and data section have inconsistent lengths", n)
    if m.data_count is None and uses_data:
        raise MalformedError("data count section required", n)
    for type_idx, f in zip(func_types, bodies, strict=True):
        f.type_idx = type_idx
    m.funcs = bodies
    return m
