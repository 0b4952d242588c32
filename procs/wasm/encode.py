"""The binary encoder: a `Module` back to Wasm 2.0 bytes, the inverse of `decode.py`.

Why an encoder in an engine that never needs to write binaries to run them: `wasios
inspect` reports, for a text module, the section sizes its binary would have; the
compiled-code cache hashes text modules by their canonical binary; and the decoder is
tested by round trips through it.

The output is canonical: sections in the standard order, empty ones left out, every
LEB128 minimal, each element segment in the most compact of its eight encodings.  The
"name" section is re-emitted as it came if the module kept it, otherwise built from
`module_name` and `func_names`; other custom sections follow it, in their order.
"""

from __future__ import annotations

import struct

from .errors import MalformedError
from .module import (
    ACTIVE,
    DECLARATIVE,
    EXT_FUNC,
    EXT_GLOBAL,
    EXT_MEMORY,
    EXT_TABLE,
    FUNCREF,
    PASSIVE,
    Elem,
    Expr,
    GlobalType,
    Limits,
    Module,
    TableType,
)
from .opcodes import DATA_DROP, MEMORY_INIT, OPS, REF_FUNC, Imm

__all__ = ["encode", "encode_sections", "SECTION_NAMES"]

MAGIC_VERSION = b"\x00asm\x01\x00\x00\x00"

# Section ids (the binary format's numbering) and their names as `wasm-objdump` prints them.
SEC_CUSTOM, SEC_TYPE, SEC_IMPORT, SEC_FUNCTION, SEC_TABLE, SEC_MEMORY = 0, 1, 2, 3, 4, 5
SEC_GLOBAL, SEC_EXPORT, SEC_START, SEC_ELEM, SEC_CODE, SEC_DATA, SEC_DATACOUNT = (
    6, 7, 8, 9, 10, 11, 12,
)  # fmt: skip
SECTION_NAMES = {
    SEC_CUSTOM: "custom",
    SEC_TYPE: "type",
    SEC_IMPORT: "import",
    SEC_FUNCTION: "function",
    SEC_TABLE: "table",
    SEC_MEMORY: "memory",
    SEC_GLOBAL: "global",
    SEC_EXPORT: "export",
    SEC_START: "start",
    SEC_ELEM: "elem",
    SEC_CODE: "code",
    SEC_DATA: "data",
    SEC_DATACOUNT: "datacount",
}

# How each immediate kind is laid out in the binary.  Kinds sharing a layout share a class
# so the instruction loop tests one small int per instruction.
_K_NONE, _K_U32, _K_U32X2, _K_I32, _K_I64, _K_F32, _K_F64 = 0, 1, 2, 3, 4, 5, 6
_K_BLOCK, _K_BR_TABLE, _K_SELECT_T, _K_BYTE = 7, 8, 9, 10
_LAYOUT = {
    Imm.NONE: _K_NONE,
    Imm.BLOCK: _K_BLOCK,
    Imm.LABEL: _K_U32,
    Imm.BR_TABLE: _K_BR_TABLE,
    Imm.FUNC: _K_U32,
    Imm.CALL_INDIRECT: _K_U32X2,  # type index, table index
    Imm.LOCAL: _K_U32,
    Imm.GLOBAL: _K_U32,
    Imm.TABLE: _K_U32,
    Imm.MEMARG: _K_U32X2,  # align exponent, offset
    Imm.MEMORY: _K_U32,
    Imm.I32: _K_I32,
    Imm.I64: _K_I64,
    Imm.F32: _K_F32,
    Imm.F64: _K_F64,
    Imm.SELECT_T: _K_SELECT_T,
    Imm.REFTYPE: _K_BYTE,
    Imm.ELEM: _K_U32,
    Imm.DATA: _K_U32,
    Imm.MEMORY_INIT: _K_U32X2,  # data index, then memory index: the binary's order
    Imm.MEMORY_COPY: _K_U32X2,
    Imm.TABLE_INIT: _K_U32X2,  # element index, then table index: the binary's order
    Imm.TABLE_COPY: _K_U32X2,
}


def _opcode_bytes(code: int) -> bytes:
    if code < 0x100:
        return bytes((code,))
    return bytes((code >> 8,)) + _uleb(code & 0xFF)


# opcode -> (opcode bytes, layout class)
_TABLE: dict[int, tuple[bytes, int]] = {}


def _uleb(v: int) -> bytes:
    out = bytearray()
    _put_u(out, v)
    return bytes(out)


def _put_u(out: bytearray, v: int) -> None:
    if v < 0:
        raise ValueError(f"negative value {v} where an unsigned integer is required")
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)


def _put_s(out: bytearray, v: int) -> None:
    while True:
        b = v & 0x7F
        v >>= 7
        if (v == 0 and not b & 0x40) or (v == -1 and b & 0x40):
            out.append(b)
            return
        out.append(b | 0x80)


for _op in OPS:
    _TABLE[_op.code] = (_opcode_bytes(_op.code), _LAYOUT[_op.imm])

_pack_f32 = struct.Struct("<I").pack
_pack_f64 = struct.Struct("<Q").pack


def _put_instrs(out: bytearray, expr: Expr) -> None:
    """Append the encoding of each instruction; the hot loop for large modules."""
    table = _TABLE
    append = out.append
    for ins in expr:
        head, kind = table[ins[0]]
        out += head
        if kind == _K_NONE:
            continue
        if kind == _K_U32:
            v = ins[1]
            if 0 <= v < 0x80:
                append(v)
            else:
                _put_u(out, v)
        elif kind == _K_I32:
            v = ins[1]
            if v < 0x40:
                append(v)
            elif v >= 0xFFFFFFC0:
                append(v & 0x7F)
            else:
                if not 0 <= v < 0x100000000:
                    raise ValueError(f"i32 constant {v} out of range")
                _put_s(out, v - 0x100000000 if v >= 0x80000000 else v)
        elif kind == _K_U32X2:
            _put_u(out, ins[1])
            _put_u(out, ins[2])
        elif kind == _K_BLOCK:
            v = ins[1]
            if -64 <= v < 64:
                append(v & 0x7F)
            else:
                _put_s(out, v)
        elif kind == _K_I64:
            v = ins[1]
            if not 0 <= v < 0x10000000000000000:
                raise ValueError(f"i64 constant {v} out of range")
            _put_s(out, v - 0x10000000000000000 if v >= 0x8000000000000000 else v)
        elif kind == _K_F32:
            out += _pack_f32(ins[1])
        elif kind == _K_F64:
            out += _pack_f64(ins[1])
        elif kind == _K_BR_TABLE:
            labels = ins[1]
            _put_u(out, len(labels))
            for label in labels:
                _put_u(out, label)
            _put_u(out, ins[2])
        elif kind == _K_SELECT_T:
            types = ins[1]
            _put_u(out, len(types))
            out += bytes(types)
        else:  # _K_BYTE: a reference type
            append(ins[1])


def _put_const(out: bytearray, expr: Expr) -> None:
    _put_instrs(out, expr)
    out.append(0x0B)


def _put_name(out: bytearray, name: str) -> None:
    data = name.encode("utf-8", "surrogatepass")
    _put_u(out, len(data))
    out += data


def _put_limits(out: bytearray, limits: Limits) -> None:
    if limits.max is None:
        out.append(0x00)
        _put_u(out, limits.min)
    else:
        out.append(0x01)
        _put_u(out, limits.min)
        _put_u(out, limits.max)


def _put_table_type(out: bytearray, t: TableType) -> None:
    out.append(t.elem)
    _put_limits(out, t.limits)


def _put_global_type(out: bytearray, t: GlobalType) -> None:
    out.append(t.valtype)
    out.append(1 if t.mutable else 0)


def _func_indices(elem: Elem) -> list[int] | None:
    """The function indices if every item is a plain `ref.func` of a funcref segment."""
    if elem.type != FUNCREF:
        return None
    indices = []
    for item in elem.init:
        if len(item) != 1 or item[0][0] != REF_FUNC:
            return None
        indices.append(item[0][1])
    return indices


def _put_elem(out: bytearray, elem: Elem) -> None:
    """One element segment, in the shortest of the binary format's eight layouts."""
    funcs = _func_indices(elem)
    if elem.mode == ACTIVE:
        if elem.table == 0 and elem.type == FUNCREF:
            flags = 0 if funcs is not None else 4
        else:
            flags = 2 if funcs is not None else 6
    elif elem.mode == PASSIVE:
        flags = 1 if funcs is not None else 5
    elif elem.mode == DECLARATIVE:
        flags = 3 if funcs is not None else 7
    else:
        raise ValueError(f"unknown element segment mode {elem.mode}")
    out.append(flags)
    if elem.mode == ACTIVE:
        if flags in (2, 6):
            _put_u(out, elem.table)
        _put_const(out, elem.offset or [])
    if flags in (1, 2, 3):
        out.append(0x00)  # elemkind funcref
    elif flags in (5, 6, 7):
        out.append(elem.type)
    if funcs is not None:
        _put_u(out, len(funcs))
        for idx in funcs:
            _put_u(out, idx)
    else:
        _put_u(out, len(elem.init))
        for item in elem.init:
            _put_const(out, item)


def _put_locals(out: bytearray, local_types: list[int]) -> None:
    runs: list[list[int]] = []
    for t in local_types:
        if runs and runs[-1][1] == t:
            runs[-1][0] += 1
        else:
            runs.append([1, t])
    _put_u(out, len(runs))
    for count, t in runs:
        _put_u(out, count)
        out.append(t)


def _uses_data_ops(module: Module) -> bool:
    for func in module.funcs:
        for ins in func.body:
            if ins[0] == MEMORY_INIT or ins[0] == DATA_DROP:
                return True
    return False


def _wants_data_count(module: Module) -> bool:
    """Whether to emit the data count section.

    A decoded binary keeps it exactly when the original had it (its `section_sizes` say
    so).  Any other module (text, hand-built; the text parser always sets `data_count`)
    gets it only when the format requires it, i.e. when `memory.init` or `data.drop` name
    a segment: that is what `wat2wasm` does, so a text module's reported sizes are those
    of the file `wat2wasm` would write.
    """
    if module.data_count is None:
        return False
    if module.section_sizes:
        return any(entry[0] == SEC_DATACOUNT for entry in module.section_sizes)
    return module.data_count != len(module.datas) or _uses_data_ops(module)


def _name_section(module: Module) -> bytes | None:
    if module.module_name is None and not module.func_names:
        return None
    out = bytearray()
    if module.module_name is not None:
        sub = bytearray()
        _put_name(sub, module.module_name)
        out.append(0)
        _put_u(out, len(sub))
        out += sub
    if module.func_names:
        sub = bytearray()
        _put_u(sub, len(module.func_names))
        for idx in sorted(module.func_names):
            _put_u(sub, idx)
            _put_name(sub, module.func_names[idx])
        out.append(1)
        _put_u(out, len(sub))
        out += sub
    return bytes(out)


def encode_sections(module: Module) -> list[tuple[int, str | None, bytes]]:
    """The module's sections in binary order as `(id, custom name or None, contents)`.

    Empty sections are left out.  `encode` joins them; `describe` uses them to report
    what a text module would look like as a binary.
    """
    try:
        return _sections(module)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, struct.error) as exc:
        raise MalformedError(f"cannot encode module: {exc}") from None


def _vec_section(items, put) -> bytes:
    out = bytearray()
    _put_u(out, len(items))
    for item in items:
        put(out, item)
    return bytes(out)


def _sections(m: Module) -> list[tuple[int, str | None, bytes]]:
    secs: list[tuple[int, str | None, bytes]] = []

    def add(sec_id: int, items, put) -> None:
        if items:
            secs.append((sec_id, None, _vec_section(items, put)))

    def put_type(out: bytearray, ft) -> None:
        out.append(0x60)
        _put_u(out, len(ft.params))
        out += bytes(ft.params)
        _put_u(out, len(ft.results))
        out += bytes(ft.results)

    def put_import(out: bytearray, imp) -> None:
        _put_name(out, imp.module)
        _put_name(out, imp.name)
        out.append(imp.kind)
        if imp.kind == EXT_FUNC:
            _put_u(out, imp.desc)
        elif imp.kind == EXT_TABLE:
            _put_table_type(out, imp.desc)
        elif imp.kind == EXT_MEMORY:
            _put_limits(out, imp.desc.limits)
        elif imp.kind == EXT_GLOBAL:
            _put_global_type(out, imp.desc)
        else:
            raise ValueError(f"unknown import kind {imp.kind}")

    def put_global(out: bytearray, g) -> None:
        _put_global_type(out, g.type)
        _put_const(out, g.init)

    def put_export(out: bytearray, e) -> None:
        _put_name(out, e.name)
        out.append(e.kind)
        _put_u(out, e.index)

    def put_code(out: bytearray, func) -> None:
        body = bytearray()
        _put_locals(body, func.locals)
        _put_instrs(body, func.body)
        _put_u(out, len(body))
        out += body

    def put_data(out: bytearray, d) -> None:
        if d.mode == ACTIVE:
            if d.memory == 0:
                out.append(0)
            else:
                out.append(2)
                _put_u(out, d.memory)
            _put_const(out, d.offset or [])
        elif d.mode == PASSIVE:
            out.append(1)
        else:
            raise ValueError(f"unknown data segment mode {d.mode}")
        _put_u(out, len(d.init))
        out += d.init

    add(SEC_TYPE, m.types, put_type)
    add(SEC_IMPORT, m.imports, put_import)
    add(SEC_FUNCTION, m.funcs, lambda out, f: _put_u(out, f.type_idx))
    add(SEC_TABLE, m.tables, _put_table_type)
    add(SEC_MEMORY, m.mems, lambda out, mt: _put_limits(out, mt.limits))
    add(SEC_GLOBAL, m.globals, put_global)
    add(SEC_EXPORT, m.exports, put_export)
    if m.start is not None:
        secs.append((SEC_START, None, _uleb(m.start)))
    add(SEC_ELEM, m.elems, _put_elem)
    if _wants_data_count(m):
        secs.append((SEC_DATACOUNT, None, _uleb(m.data_count)))  # type: ignore[arg-type]
    add(SEC_CODE, m.funcs, put_code)
    add(SEC_DATA, m.datas, put_data)

    kept_name = any(c.name == "name" for c in m.customs)
    if not kept_name:
        names = _name_section(m)
        if names is not None:
            secs.append((SEC_CUSTOM, "name", names))
    for custom in m.customs:
        secs.append((SEC_CUSTOM, custom.name, bytes(custom.data)))
    return secs


def encode(module: Module) -> bytes:
    """The canonical Wasm binary of `module`."""
    out = bytearray(MAGIC_VERSION)
    for sec_id, custom_name, contents in encode_sections(module):
        out.append(sec_id)
        if custom_name is not None:
            head = bytearray()
            _put_name(head, custom_name)
            _put_u(out, len(head) + len(contents))
            out += head
        else:
            _put_u(out, len(contents))
        out += contents
    return bytes(out)
