"""The decoded module: plain data shared by the decoder, the text parser, the validator,
the lowering pass and the instantiator.

Both front ends (binary `decode.py`, text `text.py`) produce exactly this structure, so
everything behind them is written once.

Conventions
-----------
* Value types are the binary encoding bytes (`I32 = 0x7F`, ...), as plain ints.
* A block type is the binary format's signed 33-bit value: `-64` (0x40) means no
  result, a negative value `-1..-17` is a single value type (`valtype - 0x80`), and a
  non-negative value is a type index.  `blocktype_of(valtype)` converts.
* An instruction is a tuple `(opcode, *immediates)`; see `opcodes.py` for the opcode
  numbers and which immediates each takes. Prefixed opcodes are `0xFC00 | sub`.
* Integer constants are stored unsigned (`0 <= v < 2**N`), as they are at run time.
  Float constants are stored as their raw IEEE bits (`int`), so NaN payloads survive.
* A constant expression (global init, segment offset, element item) is a list of
  instructions without the final `end`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

I32 = 0x7F
I64 = 0x7E
F32 = 0x7D
F64 = 0x7C
V128 = 0x7B
FUNCREF = 0x70
EXTERNREF = 0x6F

NUM_TYPES = (I32, I64, F32, F64)
REF_TYPES = (FUNCREF, EXTERNREF)
VALUE_TYPES = (I32, I64, F32, F64, V128, FUNCREF, EXTERNREF)
TYPE_NAMES = {
    I32: "i32",
    I64: "i64",
    F32: "f32",
    F64: "f64",
    V128: "v128",
    FUNCREF: "funcref",
    EXTERNREF: "externref",
}

BLOCK_EMPTY = -64


def blocktype_of(valtype: int) -> int:
    """Block type (s33) for a single-result block of `valtype`."""
    return valtype - 0x80


# External kinds (import/export descriptors).
EXT_FUNC = 0
EXT_TABLE = 1
EXT_MEMORY = 2
EXT_GLOBAL = 3
EXT_NAMES = {EXT_FUNC: "func", EXT_TABLE: "table", EXT_MEMORY: "memory", EXT_GLOBAL: "global"}

PAGE_SIZE = 65536
MAX_PAGES = 65536  # 4 GiB of 32-bit address space
MAX_TABLE = 0xFFFFFFFF

# Segment modes.
ACTIVE = 0
PASSIVE = 1
DECLARATIVE = 2

Instr = tuple
Expr = list  # list[Instr]


@dataclass(frozen=True, slots=True)
class FuncType:
    params: tuple[int, ...]
    results: tuple[int, ...]

    def __str__(self) -> str:
        p = " ".join(TYPE_NAMES.get(t, hex(t)) for t in self.params)
        r = " ".join(TYPE_NAMES.get(t, hex(t)) for t in self.results)
        return f"[{p}] -> [{r}]"


@dataclass(frozen=True, slots=True)
class Limits:
    min: int
    max: int | None = None


@dataclass(frozen=True, slots=True)
class TableType:
    elem: int  # FUNCREF or EXTERNREF
    limits: Limits


@dataclass(frozen=True, slots=True)
class MemoryType:
    limits: Limits


@dataclass(frozen=True, slots=True)
class GlobalType:
    valtype: int
    mutable: bool


@dataclass(slots=True)
class Import:
    module: str
    name: str
    kind: int  # EXT_*
    # EXT_FUNC: type index (int); otherwise TableType / MemoryType / GlobalType.
    desc: int | TableType | MemoryType | GlobalType


@dataclass(slots=True)
class Export:
    name: str
    kind: int  # EXT_*
    index: int


@dataclass(slots=True)
class Global:
    type: GlobalType
    init: Expr


@dataclass(slots=True)
class Func:
    """A function defined in the module (imports are not here)."""

    type_idx: int
    locals: list[int] = field(default_factory=list)  # expanded: one entry per local
    body: Expr = field(default_factory=list)  # instructions, including the final `end`
    offset: int = 0  # byte offset of the body in the binary (0 for text), for messages


@dataclass(slots=True)
class Elem:
    mode: int  # ACTIVE / PASSIVE / DECLARATIVE
    type: int  # FUNCREF or EXTERNREF
    init: list[Expr]  # one constant expression per item
    table: int = 0
    offset: Expr | None = None  # ACTIVE only


@dataclass(slots=True)
class Data:
    mode: int  # ACTIVE / PASSIVE
    init: bytes
    memory: int = 0
    offset: Expr | None = None  # ACTIVE only


@dataclass(slots=True)
class Custom:
    name: str
    data: bytes


@dataclass(slots=True)
class Module:
    types: list[FuncType] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    funcs: list[Func] = field(default_factory=list)
    tables: list[TableType] = field(default_factory=list)
    mems: list[MemoryType] = field(default_factory=list)
    globals: list[Global] = field(default_factory=list)
    exports: list[Export] = field(default_factory=list)
    start: int | None = None
    elems: list[Elem] = field(default_factory=list)
    datas: list[Data] = field(default_factory=list)
    data_count: int | None = None
    customs: list[Custom] = field(default_factory=list)
    # From the "name" custom section (or `$ids` in text): function index -> name.
    func_names: dict[int, str] = field(default_factory=dict)
    module_name: str | None = None
    # Section id -> (offset, size) in the binary, for `wasios inspect`; empty for text.
    section_sizes: list[tuple[int, int, int]] = field(default_factory=list)

    # Index spaces: imports come first in each.
    def imported(self, kind: int) -> list[Import]:
        return [imp for imp in self.imports if imp.kind == kind]

    def func_type(self, funcidx: int) -> FuncType:
        """Type of a function in the function index space (imports first)."""
        imported = self.imported(EXT_FUNC)
        if funcidx < len(imported):
            return self.types[imported[funcidx].desc]  # type: ignore[index]
        return self.types[self.funcs[funcidx - len(imported)].type_idx]

    def func_name(self, funcidx: int) -> str:
        """Name for messages: from the name section, else `func[N]`."""
        name = self.func_names.get(funcidx)
        return name if name is not None else f"func[{funcidx}]"
