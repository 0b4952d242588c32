"""`wasios inspect`: a module's contents, written for someone learning WebAssembly.

It shows what `wasm-objdump -x` shows (sections with their offsets and sizes, types,
imports, functions, tables, memories, globals, exports, start, segments, custom
sections) but spelled out: memories in bytes as well as pages, WASI imports marked,
functions by name wherever the name section gives one, data previewed as text.

A text module is described through its binary encoding (`encode.py`), so the offsets
and sizes are those of the `.wasm` it assembles to and both forms read the same.
"""

from __future__ import annotations

import math
import struct

from .decode import decode
from .encode import SECTION_NAMES, encode
from .errors import MalformedError
from .leb128 import read_u32
from .module import (
    ACTIVE,
    DECLARATIVE,
    EXT_FUNC,
    EXT_GLOBAL,
    EXT_MEMORY,
    EXT_NAMES,
    EXT_TABLE,
    EXTERNREF,
    FUNCREF,
    PAGE_SIZE,
    TYPE_NAMES,
    Expr,
    FuncType,
    GlobalType,
    Limits,
    Module,
    TableType,
)
from .opcodes import BY_CODE, Imm

__all__ = ["describe", "WASI_MODULES"]

WASI_MODULES = ("wasi_snapshot_preview1", "wasi_unstable")
MAX_FUNCS_LISTED = 50
MAX_ITEMS_LISTED = 8
DATA_PREVIEW = 40


def describe(raw: bytes, filename: str) -> str:
    """The report `wasios inspect FILE` prints for the module in `raw`."""
    if raw[:1] == b"\x00":  # "\0asm"; text never holds a NUL, so a bad header fails here
        module = decode(raw)
        binary = raw
        header = f"{filename}: {len(raw)} bytes, WebAssembly binary module (version 1)"
        note = None
    else:
        from .text import parse_module

        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedError(
                "not a WebAssembly module: no \\0asm header and not UTF-8 text"
            ) from None
        module = parse_module(source)
        binary = encode(module)
        header = f"{filename}: {len(raw)} bytes, WebAssembly text module"
        note = f"(offsets and sizes below are those of its binary encoding: {len(binary)} bytes)"
    sections, body_sizes = _layout(binary)
    lines = [header]
    if note:
        lines.append(note)
    if module.module_name is not None:
        lines.append(f"module name: {module.module_name}")
    lines.append("")
    _Writer(module, sections, body_sizes, lines).write()
    return "\n".join(lines) + "\n"


# --- the binary's layout -----------------------------------------------------------


def _layout(data: bytes) -> tuple[list[tuple[int, int, int, str | None]], list[int]]:
    """Sections as (id, contents offset, contents size, custom name) and code body sizes.

    The bytes have already been decoded successfully, so this only re-walks their frame;
    it still stops quietly rather than fail if something is off.
    """
    sections: list[tuple[int, int, int, str | None]] = []
    bodies: list[int] = []
    pos = 8
    try:
        while pos < len(data):
            sid = data[pos]
            size, start = read_u32(data, pos + 1)
            name = None
            if sid == 0:
                n, p = read_u32(data, start)
                name = data[p : p + n].decode("utf-8", "replace")
            elif sid == 10:
                count, p = read_u32(data, start)
                for _ in range(count):
                    body, p = read_u32(data, p)
                    bodies.append(body)
                    p += body
            sections.append((sid, start, size, name))
            pos = start + size
    except (MalformedError, IndexError):
        pass
    return sections, bodies


# --- formatting helpers ------------------------------------------------------------


def _tname(t: int) -> str:
    return TYPE_NAMES.get(t, f"0x{t:02x}")


def _functype(ft: FuncType) -> str:
    params = "(" + ", ".join(_tname(t) for t in ft.params) + ")"
    if len(ft.results) == 1:
        results = _tname(ft.results[0])
    else:
        results = "(" + ", ".join(_tname(t) for t in ft.results) + ")"
    return f"{params} -> {results}"


def _size(n: int) -> str:
    """Bytes in a unit a learner can picture."""
    if n < 1024:
        return f"{n} bytes"
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            value = n / scale
            text = f"{value:.0f}" if value == int(value) else f"{value:.2f}"
            return f"{text} {unit}"
    return f"{n} bytes"  # pragma: no cover


def _pages(n: int) -> str:
    word = "page" if n == 1 else "pages"
    return f"{n} {word} ({_size(n * PAGE_SIZE)})"


def _mem_limits(limits: Limits) -> str:
    text = f"initial={_pages(limits.min)}"
    if limits.max is None:
        return text + ", no max (can grow up to 4 GiB)"
    return text + f", max={_pages(limits.max)}"


def _table_type(t: TableType) -> str:
    text = f"{_tname(t.elem)} initial={t.limits.min}"
    if t.limits.max is not None:
        text += f" max={t.limits.max}"
    return text


def _global_type(t: GlobalType) -> str:
    return f"{_tname(t.valtype)} {'mutable' if t.mutable else 'immutable'}"


def _signed(v: int, bits: int) -> int:
    return v - (1 << bits) if v >= 1 << (bits - 1) else v


def _float(bits: int, width: int) -> str:
    if width == 32:
        value = struct.unpack("<f", struct.pack("<I", bits))[0]
        frac_bits = 23
    else:
        value = struct.unpack("<d", struct.pack("<Q", bits))[0]
        frac_bits = 52
    if math.isnan(value):
        sign = "-" if bits >> (width - 1) else ""
        payload = bits & ((1 << frac_bits) - 1)
        if payload == 1 << (frac_bits - 1):
            return f"{sign}nan"
        return f"{sign}nan:0x{payload:x}"
    return repr(value)


def _preview(data: bytes) -> str:
    """The start of a data segment as a quoted string, escapes for non-printables."""
    out = []
    for b in data[:DATA_PREVIEW]:
        if b == 0x0A:
            out.append("\\n")
        elif b == 0x09:
            out.append("\\t")
        elif b in (0x22, 0x5C):
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\{b:02x}")
    more = "..." if len(data) > DATA_PREVIEW else ""
    return '"' + "".join(out) + '"' + more


class _Writer:
    def __init__(
        self,
        module: Module,
        sections: list[tuple[int, int, int, str | None]],
        body_sizes: list[int],
        lines: list[str],
    ) -> None:
        self.m = module
        self.sections = sections
        self.body_sizes = body_sizes
        self.out = lines
        self.n_imported = {
            kind: sum(1 for imp in module.imports if imp.kind == kind) for kind in EXT_NAMES
        }

    def line(self, text: str = "") -> None:
        self.out.append(text)

    def func(self, idx: int) -> str:
        name = self.m.func_names.get(idx)
        return f"func[{idx}] <{name}>" if name is not None else f"func[{idx}]"

    def ref(self, kind: int, idx: int) -> str:
        return self.func(idx) if kind == EXT_FUNC else f"{EXT_NAMES.get(kind, '?')}[{idx}]"

    def instr(self, ins: tuple) -> str:
        op = BY_CODE.get(ins[0])
        if op is None:
            return f"<opcode 0x{ins[0]:x}>"
        imm = op.imm
        if imm == Imm.I32:
            return f"i32.const {_signed(ins[1], 32)}"
        if imm == Imm.I64:
            return f"i64.const {_signed(ins[1], 64)}"
        if imm == Imm.F32:
            return f"f32.const {_float(ins[1], 32)}"
        if imm == Imm.F64:
            return f"f64.const {_float(ins[1], 64)}"
        if imm == Imm.FUNC:
            return f"{op.name} {self.func(ins[1])}"
        if imm == Imm.REFTYPE:
            return f"{op.name} {'func' if ins[1] == FUNCREF else 'extern'}"
        return " ".join([op.name, *(str(x) for x in ins[1:])])

    def expr(self, expr: Expr | None) -> str:
        if not expr:
            return "(empty)"
        return "(" + "; ".join(self.instr(ins) for ins in expr) + ")"

    def item(self, expr: Expr) -> str:
        if len(expr) == 1 and BY_CODE.get(expr[0][0]) is not None:
            ins = expr[0]
            if ins[0] == 0xD2:  # ref.func
                return self.func(ins[1])
        return self.expr(expr)[1:-1] if len(expr) == 1 else self.expr(expr)

    # -- sections -------------------------------------------------------------------

    def write(self) -> None:
        for part in (
            self.write_sections,
            self.write_types,
            self.write_imports,
            self.write_functions,
            self.write_tables,
            self.write_memories,
            self.write_globals,
            self.write_exports,
            self.write_start,
            self.write_elems,
            self.write_datas,
            self.write_customs,
        ):
            part()

    def section_summary(self, sid: int, name: str | None) -> str:
        m = self.m
        counts = {
            1: (len(m.types), "type"),
            2: (len(m.imports), "import"),
            3: (len(m.funcs), "function"),
            4: (len(m.tables), "table"),
            5: (len(m.mems), "memory"),
            6: (len(m.globals), "global"),
            7: (len(m.exports), "export"),
            9: (len(m.elems), "segment"),
            10: (len(m.funcs), "body"),
            11: (len(m.datas), "segment"),
        }
        if sid in counts:
            n, word = counts[sid]
            plural = "bodies" if word == "body" else word + "s"
            return f"{n} {word if n == 1 else plural}"
        if sid == 8 and m.start is not None:
            return f"start = {self.func(m.start)}"
        if sid == 12:
            return f"{m.data_count} data segments declared"
        if sid == 0:
            return f'"{name}"'
        return ""

    def write_sections(self) -> None:
        self.line(
            f"Sections ({len(self.sections)}; start = offset of the contents, size in bytes):"
        )
        for sid, start, size, name in self.sections:
            label = SECTION_NAMES.get(sid, f"section {sid}")
            summary = self.section_summary(sid, name)
            self.line(f"  {label:<9} start=0x{start:08x} size={size:<8} {summary}".rstrip())

    def write_types(self) -> None:
        if not self.m.types:
            return
        self.line()
        self.line(f"Types ({len(self.m.types)}):")
        for i, ft in enumerate(self.m.types):
            self.line(f"  type[{i}] {_functype(ft)}")

    def write_imports(self) -> None:
        m = self.m
        if not m.imports:
            return
        self.line()
        n_wasi = sum(1 for imp in m.imports if imp.module in WASI_MODULES)
        extra = f", {n_wasi} from WASI" if n_wasi else ""
        self.line(f"Imports ({len(m.imports)}{extra}):")
        counters = dict.fromkeys(EXT_NAMES, 0)
        for imp in m.imports:
            idx = counters.get(imp.kind, 0)
            counters[imp.kind] = idx + 1
            source = f"<- {imp.module}.{imp.name}"
            if imp.kind == EXT_FUNC:
                ft = m.types[imp.desc] if 0 <= imp.desc < len(m.types) else None  # type: ignore[operator]
                sig = f" {_functype(ft)}" if ft is not None else ""
                what = f"{self.func(idx)} sig={imp.desc}{sig}"
            elif imp.kind == EXT_TABLE:
                what = f"table[{idx}] {_table_type(imp.desc)}"  # type: ignore[arg-type]
            elif imp.kind == EXT_MEMORY:
                what = f"memory[{idx}] {_mem_limits(imp.desc.limits)}"  # type: ignore[union-attr]
            else:
                what = f"global[{idx}] {_global_type(imp.desc)}"  # type: ignore[arg-type]
            wasi = "  [WASI]" if imp.module in WASI_MODULES else ""
            self.line(f"  {what} {source}{wasi}")

    def write_functions(self) -> None:
        m = self.m
        n_imp = self.n_imported[EXT_FUNC]
        total = n_imp + len(m.funcs)
        if not total:
            return
        self.line()
        self.line(f"Functions ({total}: {n_imp} imported, {len(m.funcs)} defined):")
        for i, f in enumerate(m.funcs[:MAX_FUNCS_LISTED]):
            idx = n_imp + i
            ft = m.types[f.type_idx] if 0 <= f.type_idx < len(m.types) else None
            sig = f" {_functype(ft)}" if ft is not None else ""
            n_locals = len(f.locals)
            size = f", body {self.body_sizes[i]} bytes" if i < len(self.body_sizes) else ""
            self.line(
                f"  {self.func(idx)} sig={f.type_idx}{sig}, "
                f"{n_locals} local{'' if n_locals == 1 else 's'}{size}"
            )
        if len(m.funcs) > MAX_FUNCS_LISTED:
            self.line(f"  ... {len(m.funcs) - MAX_FUNCS_LISTED} more")

    def write_tables(self) -> None:
        m = self.m
        if not m.tables:
            return
        self.line()
        self.line(f"Tables ({len(m.tables)}):")
        base = self.n_imported[EXT_TABLE]
        for i, t in enumerate(m.tables):
            self.line(f"  table[{base + i}] {_table_type(t)}")

    def write_memories(self) -> None:
        m = self.m
        if not m.mems:
            return
        self.line()
        self.line(f"Memories ({len(m.mems)}; 1 page = 64 KiB):")
        base = self.n_imported[EXT_MEMORY]
        for i, mem in enumerate(m.mems):
            self.line(f"  memory[{base + i}] {_mem_limits(mem.limits)}")

    def write_globals(self) -> None:
        m = self.m
        if not m.globals:
            return
        self.line()
        self.line(f"Globals ({len(m.globals)}):")
        base = self.n_imported[EXT_GLOBAL]
        for i, g in enumerate(m.globals):
            self.line(f"  global[{base + i}] {_global_type(g.type)} = {self.expr(g.init)[1:-1]}")

    def write_exports(self) -> None:
        m = self.m
        if not m.exports:
            return
        self.line()
        self.line(f"Exports ({len(m.exports)}):")
        for e in m.exports:
            self.line(f'  {self.ref(e.kind, e.index)} -> "{e.name}"')

    def write_start(self) -> None:
        if self.m.start is None:
            return
        self.line()
        self.line(f"Start function: {self.func(self.m.start)} (runs when instantiated)")

    def write_elems(self) -> None:
        m = self.m
        if not m.elems:
            return
        self.line()
        self.line(f"Element segments ({len(m.elems)}):")
        for i, e in enumerate(m.elems):
            if e.mode == ACTIVE:
                mode = f"active table[{e.table}] offset={self.expr(e.offset)}"
            elif e.mode == DECLARATIVE:
                mode = "declarative"
            else:
                mode = "passive"
            n = len(e.init)
            items = ", ".join(self.item(x) for x in e.init[:MAX_ITEMS_LISTED])
            if n > MAX_ITEMS_LISTED:
                items += f", ... {n - MAX_ITEMS_LISTED} more"
            kind = "funcref" if e.type == FUNCREF else "externref" if e.type == EXTERNREF else "?"
            colon = f": {items}" if items else ""
            self.line(f"  elem[{i}] {mode} {kind}, {n} item{'' if n == 1 else 's'}{colon}")

    def write_datas(self) -> None:
        m = self.m
        if not m.datas:
            return
        self.line()
        self.line(f"Data segments ({len(m.datas)}):")
        for i, d in enumerate(m.datas):
            if d.mode == ACTIVE:
                mode = f"active memory[{d.memory}] offset={self.expr(d.offset)}"
            else:
                mode = "passive"
            n = len(d.init)
            self.line(f"  data[{i}] {mode}, {n} byte{'' if n == 1 else 's'}: {_preview(d.init)}")

    def write_customs(self) -> None:
        customs = [s for s in self.sections if s[0] == 0]
        if not customs:
            return
        self.line()
        self.line(f"Custom sections ({len(customs)}):")
        for _sid, _start, size, name in customs:
            what = ""
            if name == "name":
                parts = []
                if self.m.module_name is not None:
                    parts.append("module name")
                if self.m.func_names:
                    parts.append(f"{len(self.m.func_names)} function names")
                what = f" ({', '.join(parts)})" if parts else ""
            self.line(f'  "{name}" {size} bytes{what}')
