"""Lowering: a validated function's stack code → register IR (`Code`).

Why a register IR?  Interpreting Wasm's operand stack literally costs a Python list
push/pop per operand.  After validation every stack height is known statically, so each
stack position becomes a numbered *slot* of one flat Python list per frame, and most
instructions become a single `R[d] = f(R[a], R[b])`.

Frame layout (the register file `R`)::

    [ params | declared locals | constants | stack slots ]
      0 ...    ... nlocals-1     nlocals..   base = nlocals + nconsts ...

* Constants are pre-scanned and deduplicated; they live in slots right after the locals,
  so a constant operand is just another slot number (no "is it an immediate?" test at
  run time).  `Code.tail` holds the initial values of everything after the params, so a
  call builds its frame with `args + tail`.
* `local.get` and `t.const` emit nothing: the lowerer keeps a compile-time stack of
  operand *slot numbers* and an instruction reads its operands straight from the local
  or constant slot.  A value computed into stack slot s and then stored with
  `local.set x` is retargeted to write `x` directly, so
  `local.get a; i32.const 1; i32.add; local.set b` is one `ADD b a c1 mask`.
* A stack entry is either a local, a constant, or its own canonical slot `base + pos`.
  Lazy local references are materialised before that local is overwritten and at block
  entry; values flowing to a label (branch, fallthrough) are moved into the label's
  canonical result slots, so every control-flow merge agrees on where values live.
* Control flow becomes jumps to precomputed instruction indices.  An `i32`/`i64` compare
  (or `eqz`) feeding `br_if`/`if` is fused into one compare-and-branch instruction, an
  `i32.add` computing the address of the load/store right after it is fused into that
  access (`LOADX`/`STOREX`), `i64.extend_i32_u` emits nothing, and jumps to jumps or to
  returns are threaded.  Code after `br`, `br_table`, `return` or `unreachable` is
  skipped (it is validated but unreachable, and its stack is polymorphic).
* A `br_table` whose targets need value moves jumps to small stubs (moves + `br`)
  placed right after it.

Instructions are tuples `(kind, *operands)`; the kinds are `K` and their operand
layouts `FIELDS` below (field letters: d = destination slot, a/b/c/v = source slots,
t = target pc, other letters are immediates).  Every value-producing kind has its
destination in field 1.  Kinds are numbered by run-time frequency (the interpreter's
dispatch order).

Structure for the JIT: `Code.blocks` keeps one `Block(kind, start, else_pc, end, ...)`
per Wasm block/loop/if, in order of appearance, with instruction indices; a branch to a
loop targets its `start`, a branch to a block/if targets its `end` (several nested blocks
may share an end pc, in which case they are the same continuation) or, after jump
threading, wherever the `br` found at that end leads; a `br` may also have been replaced
by a copy of the return it jumped to.  Back edges are exactly the branches whose target
is not after them (loop starts).

v128 (SIMD, later): a v128 value is one 128-bit Python int in one slot, like i64, so the
layout needs no change.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from . import numerics
from . import opcodes as op
from .module import BLOCK_EMPTY, FuncType, Module
from .runtime import default_value


# --- the IR table ------------------------------------------------------------------
# Field letters per kind: d = destination slot, a/b/c/v = source slots, t = target pc,
# other letters are immediates (see each comment).
class K(IntEnum):
    """IR instruction kinds; `FIELDS[k]` gives the operand layout."""

    ADD = 0
    MOV = 1
    LOADX = 2
    LOAD = 3
    STOREX = 4
    STORE = 5
    BR_LTU = 6
    BR_NE = 7
    BR_IF = 8
    BR_UNLESS = 9
    CALL = 10
    RET1 = 11
    BR = 12
    BR_GEU = 13
    BR_EQ = 14
    BR_GTU = 15
    XOR = 16
    MUL = 17
    BIN = 18
    FADD = 19
    FMUL = 20
    SHL = 21
    AND = 22
    SUB = 23
    BR_LTS = 24
    BR_GES = 25
    BR_GTS = 26
    BR_LES = 27
    BR_LEU = 28
    EQ = 29
    EQZ = 30
    LTU = 31
    NE = 32
    GTU = 33
    GLOBAL_GET = 34
    GLOBAL_SET = 35
    SHR_U = 36
    OR = 37
    LOAD_S = 38
    UN = 39
    SELECT = 40
    RET0 = 41
    LTS = 42
    GTS = 43
    LES = 44
    LEU = 45
    GEU = 46
    GES = 47
    SHR_S = 48
    FSUB = 49
    ANDI = 50
    BR_TABLE = 51
    STORE_F64 = 52
    LOAD_F32 = 53
    STORE_F32 = 54
    RETN = 55
    CALL_INDIRECT = 56
    UNREACHABLE = 57
    MEMORY_SIZE = 58
    MEMORY_GROW = 59
    REF_IS_NULL = 60
    REF_FUNC = 61
    TABLE_GET = 62
    TABLE_SET = 63
    TABLE_SIZE = 64
    TABLE_GROW = 65
    TABLE_FILL = 66
    TABLE_COPY = 67
    TABLE_INIT = 68
    ELEM_DROP = 69
    MEMORY_INIT = 70
    DATA_DROP = 71
    MEMORY_COPY = 72
    MEMORY_FILL = 73


# The interpreter tests `k < HOT1` then `k < HOT2` before its linear chains.
HOT1 = 12
HOT2 = 30

FIELDS: dict[int, str] = {
    K.MOV: "da",
    K.BR: "t",
    K.BR_IF: "at",  # jump if R[a] != 0
    K.BR_UNLESS: "at",  # jump if R[a] == 0
    K.BR_EQ: "abt",
    K.BR_NE: "abt",
    K.BR_LTU: "abt",
    K.BR_LTS: "abtk",  # k = sign-bit bias (1<<31 or 1<<63): (x ^ k) orders as signed
    K.BR_GTU: "abt",
    K.BR_GTS: "abtk",
    K.BR_LEU: "abt",
    K.BR_LES: "abtk",
    K.BR_GEU: "abt",
    K.BR_GES: "abtk",
    K.BR_TABLE: "aTt",  # T = tuple of targets, t = default
    K.RET0: "",
    K.RET1: "a",
    K.RETN: "S",  # S = tuple of slots
    # d = slot of the first result, f = funcidx, n = nargs, A = tuple of the n argument
    # slots (any slots when n <= 2; consecutive stack slots when n > 2).
    K.CALL: "dfnA",
    K.CALL_INDIRECT: "dyxanA",  # y = type index, x = table index, a = element index
    K.UNREACHABLE: "",
    K.ADD: "dabm",  # m = mask (width)
    K.SUB: "dabm",
    K.MUL: "dabm",
    K.AND: "dab",
    K.OR: "dab",
    K.XOR: "dab",
    K.SHL: "dabmw",  # w = shift-count mask (31 or 63)
    K.SHR_U: "dabw",
    K.SHR_S: "dabwk",  # k = sign bit
    K.EQZ: "da",
    K.EQ: "dab",
    K.NE: "dab",
    K.LTU: "dab",
    K.LTS: "dabk",
    K.GTU: "dab",
    K.GTS: "dabk",
    K.LEU: "dab",
    K.LES: "dabk",
    K.GEU: "dab",
    K.GES: "dabk",
    K.ANDI: "dam",  # R[d] = R[a] & m (i32.wrap_i64)
    K.UN: "daF",  # F = numerics function
    K.BIN: "dabF",
    K.FADD: "dab",  # f64 only: Python float arithmetic is IEEE binary64
    K.FMUL: "dab",
    K.FSUB: "dab",
    K.LOAD: "daoU",  # o = static offset, U = struct.Struct(...).unpack_from
    K.LOAD_S: "daoUm",  # signed narrow load, masked back to unsigned
    K.LOAD_F32: "dao",
    K.STORE: "avoPm",  # P = pack_into, v = value slot, m = mask
    K.STORE_F64: "avo",
    K.STORE_F32: "avo",
    K.GLOBAL_GET: "dg",
    K.GLOBAL_SET: "ga",
    K.SELECT: "dabc",  # R[d] = R[a] if R[c] else R[b]
    K.MEMORY_SIZE: "d",
    K.MEMORY_GROW: "da",
    K.REF_IS_NULL: "da",
    K.REF_FUNC: "df",
    K.TABLE_GET: "dxa",
    K.TABLE_SET: "xab",  # table[x][R[a]] = R[b]
    K.TABLE_SIZE: "dx",
    K.TABLE_GROW: "dxab",  # init R[a], delta R[b]
    K.TABLE_FILL: "xabc",  # i, value, n
    K.TABLE_COPY: "xyabc",  # dst table, src table, d, s, n
    K.TABLE_INIT: "xeabc",  # table, elem segment, d, s, n
    K.ELEM_DROP: "e",
    K.MEMORY_INIT: "eabc",  # data segment, d, s, n
    K.DATA_DROP: "e",
    K.MEMORY_COPY: "abc",
    K.MEMORY_FILL: "abc",
    # Address = i32.add of two slots, fused into the access (the common C pattern).
    K.LOADX: "daboU",
    K.STOREX: "abvoPm",
}
KIND: dict[str, int] = {k.name.lower(): int(k) for k in K}

# Value-producing compares → (fused branch kind, negated compare kind).
_CMP_NAMES = ("eq", "ne", "ltu", "lts", "gtu", "gts", "leu", "les", "geu", "ges")
_NEGATE = {
    "eq": "ne", "ne": "eq", "ltu": "geu", "geu": "ltu", "lts": "ges", "ges": "lts",
    "gtu": "leu", "leu": "gtu", "gts": "les", "les": "gts",
}  # fmt: skip
CMP_KINDS = {KIND[n]: n for n in _CMP_NAMES}

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
S32 = 1 << 31
S64 = 1 << 63

# Wasm integer op → (IR kind name, extra immediates).
_INT_BIN: dict[int, tuple[str, tuple]] = {}
_INT_CMP: dict[int, tuple[str, tuple]] = {}
for _p, _m, _s, _w, _base_cmp, _base_bin in (
    ("i32", M32, S32, 31, 0x46, 0x6A),
    ("i64", M64, S64, 63, 0x51, 0x7C),
):
    for _j, _n in enumerate(("eq", "ne", "lts", "ltu", "gts", "gtu", "les", "leu", "ges", "geu")):
        _INT_CMP[_base_cmp + _j] = (_n, (_s,) if _n.endswith("s") else ())
    _INT_BIN[_base_bin + 0] = ("add", (_m,))
    _INT_BIN[_base_bin + 1] = ("sub", (_m,))
    _INT_BIN[_base_bin + 2] = ("mul", (_m,))
    _INT_BIN[_base_bin + 7] = ("and", ())
    _INT_BIN[_base_bin + 8] = ("or", ())
    _INT_BIN[_base_bin + 9] = ("xor", ())
    _INT_BIN[_base_bin + 10] = ("shl", (_m, _w))
    _INT_BIN[_base_bin + 11] = ("shr_s", (_w, _s))
    _INT_BIN[_base_bin + 12] = ("shr_u", (_w,))

# f64.add / f64.sub / f64.mul: the float unit gives the spec's results, NaNs included.
_F64_BIN = {0xA0: K.FADD, 0xA1: K.FSUB, 0xA2: K.FMUL}

_LOADS: dict[int, tuple[str, Any, tuple]] = {
    0x28: ("load", struct.Struct("<I").unpack_from, ()),
    0x29: ("load", struct.Struct("<Q").unpack_from, ()),
    0x2A: ("load_f32", None, ()),
    0x2B: ("load", struct.Struct("<d").unpack_from, ()),
    0x2C: ("load_s", struct.Struct("<b").unpack_from, (M32,)),
    0x2D: ("load", struct.Struct("<B").unpack_from, ()),
    0x2E: ("load_s", struct.Struct("<h").unpack_from, (M32,)),
    0x2F: ("load", struct.Struct("<H").unpack_from, ()),
    0x30: ("load_s", struct.Struct("<b").unpack_from, (M64,)),
    0x31: ("load", struct.Struct("<B").unpack_from, ()),
    0x32: ("load_s", struct.Struct("<h").unpack_from, (M64,)),
    0x33: ("load", struct.Struct("<H").unpack_from, ()),
    0x34: ("load_s", struct.Struct("<i").unpack_from, (M64,)),
    0x35: ("load", struct.Struct("<I").unpack_from, ()),
}
_STORES: dict[int, tuple[str, Any, tuple]] = {
    0x36: ("store", struct.Struct("<I").pack_into, (M32,)),
    0x37: ("store", struct.Struct("<Q").pack_into, (M64,)),
    0x38: ("store_f32", None, ()),
    0x39: ("store_f64", None, ()),
    0x3A: ("store", struct.Struct("<B").pack_into, (0xFF,)),
    0x3B: ("store", struct.Struct("<H").pack_into, (0xFFFF,)),
    0x3C: ("store", struct.Struct("<B").pack_into, (0xFF,)),
    0x3D: ("store", struct.Struct("<H").pack_into, (0xFFFF,)),
    0x3E: ("store", struct.Struct("<I").pack_into, (M32,)),
}


@dataclass(slots=True)
class Block:
    """One Wasm block/loop/if, kept for the JIT (pcs are instruction indices)."""

    kind: int  # opcodes.BLOCK / LOOP / IF
    start: int  # first instruction of the body (a loop's branch target)
    else_pc: int | None  # first instruction of the else arm (IF with else only)
    end: int  # first instruction after the construct (block/if branch target)
    height: int  # operand-stack height below the block's params
    nparams: int
    nresults: int


@dataclass(slots=True)
class Code:
    """A lowered function: what the interpreter runs and the JIT translates."""

    instrs: list[tuple]
    tail: list[Any]  # initial R[nparams:]: local defaults, constants, empty stack slots
    nparams: int
    nlocals: int  # params + declared locals
    consts: list[Any]  # values of slots nlocals .. nlocals+len(consts)-1
    base: int  # slot of stack position 0
    max_height: int
    nresults: int
    blocks: list[Block]
    # Deepest call stack at which this function may still be entered (set by the
    # interpreter from its memory budget; big frames get less depth).
    max_depth: int = 10_000
    # A whole fresh frame with None for the params: a call copies it and stores the
    # arguments (cheaper than concatenating lists).
    frame: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.frame:
            self.frame = [None] * self.nparams + self.tail

    @property
    def nslots(self) -> int:
        return self.base + self.max_height


_RETURNS = (K.RET0, K.RET1, K.RETN)
_CMP_BRANCHES = frozenset(KIND["br_" + n] for n in _CMP_NAMES)


def _thread_jumps(instrs: list[list]) -> None:
    """Jump threading: a jump to a `br` goes to its target, and a `br` to a return
    becomes that return (the common `if ... else ... end` at the end of a function)."""
    n = len(instrs)

    def final(t: int) -> int:
        for _ in range(8):
            if t >= n or instrs[t][0] != K.BR:
                break
            t = instrs[t][1]
        return t

    for ins in instrs:
        kind = ins[0]
        if kind == K.BR:
            t = final(ins[1])
            if t < n and instrs[t][0] in _RETURNS:
                ins[:] = instrs[t]
            else:
                ins[1] = t
        elif kind == K.BR_IF or kind == K.BR_UNLESS:
            ins[2] = final(ins[2])
        elif kind in _CMP_BRANCHES:
            ins[3] = final(ins[3])
        elif kind == K.BR_TABLE:
            ins[2] = [final(t) for t in ins[2]]
            ins[3] = final(ins[3])


_CONTROL = frozenset(
    (op.BLOCK, op.LOOP, op.IF, op.ELSE, op.END, op.BR, op.BR_IF, op.BR_TABLE, op.RETURN)
)


def _same_value(a: Any, b: Any) -> bool:
    """Identical run-time values (0 is not 0.0, and -0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    return a == b


def _tfield(j: list) -> int:
    """Index of the target field of a conditional jump (before a signed bias)."""
    return len(j) - 2 if len(j) == 5 else len(j) - 1


class _Label:
    __slots__ = ("kind", "height", "nparams", "nresults", "start", "fixups", "else_fix", "block")

    def __init__(self, kind: int, height: int, nparams: int, nresults: int, start: int) -> None:
        self.kind = kind
        self.height = height
        self.nparams = nparams
        self.nresults = nresults
        self.start = start
        self.fixups: list[tuple[list, int]] = []  # (container, index) to patch with end pc
        self.else_fix: tuple[list, int] | None = None
        self.block: Block | None = None


def func_types(module: Module) -> list[FuncType]:
    """The type of every function in the index space (imports first), computed once."""
    out = [module.types[imp.desc] for imp in module.imported(0)]  # type: ignore[index]
    out.extend(module.types[f.type_idx] for f in module.funcs)
    return out


def lower(module: Module, defined_index: int, ftypes: list[FuncType] | None = None) -> Code:
    """Lower defined function `defined_index` (index into `module.funcs`) of a validated
    module.  `ftypes` (from `func_types`) avoids recomputing the function index space."""
    if ftypes is None:
        ftypes = func_types(module)
    return _Lowerer(module, defined_index, ftypes).run()


def _const_key(ins: tuple) -> tuple[Any, Any] | None:
    code = ins[0]
    if code == op.I32_CONST or code == op.I64_CONST:
        return ("i", ins[1])
    if code == op.F32_CONST:
        return ("f32", ins[1])
    if code == op.F64_CONST:
        return ("f64", ins[1])
    if code == op.REF_NULL:
        return ("null", None)
    return None


def _const_value(key: tuple[Any, Any]) -> Any:
    tag, v = key
    if tag == "i":
        return v
    if tag == "f32":
        return numerics.f32_from_bits(v)
    if tag == "f64":
        return numerics.f64_from_bits(v)
    return None


class _Lowerer:
    def __init__(self, module: Module, defined: int, ftypes: list[FuncType]) -> None:
        self.module = module
        self.ftypes = ftypes
        func = module.funcs[defined]
        self.func = func
        self.type = module.types[func.type_idx]
        self.local_types = list(self.type.params) + list(func.locals)
        self.nlocals = len(self.local_types)
        # Pre-scan constants so that their slots are known before lowering.
        self.const_slot: dict[tuple, int] = {}
        consts: list[Any] = []
        for ins in func.body:
            key = _const_key(ins)
            if key is not None and key not in self.const_slot:
                self.const_slot[key] = self.nlocals + len(consts)
                consts.append(_const_value(key))
        self.consts = consts
        self.base = self.nlocals + len(consts)
        self.instrs: list[list] = []
        self.stk: list[int] = []
        self.max_height = 0
        self.ctrl: list[_Label] = []
        self.blocks: list[Block] = []
        self.last_val = -1  # index of the last retargetable value-producing instruction
        # Declared locals still holding their default value: in the straight-line code
        # at the start of the body (before any control instruction), a `local.set` of a
        # constant equal to that default is a no-op (compilers emit many).
        self.pristine: set[int] | None = set(range(len(self.type.params), self.nlocals))

    # --- helpers -------------------------------------------------------------------
    def emit(self, *ins: Any) -> list:
        lst = [int(ins[0]), *ins[1:]]
        self.instrs.append(lst)
        self.last_val = -1
        return lst

    def emit_val(self, *ins: Any) -> None:
        """Emit an instruction whose destination (field 1) is a fresh stack slot."""
        self.instrs.append([int(ins[0]), *ins[1:]])
        self.last_val = len(self.instrs) - 1

    def push_slot(self) -> int:
        """Push the canonical slot of the next stack position and return it."""
        s = self.base + len(self.stk)
        self.stk.append(s)
        if len(self.stk) > self.max_height:
            self.max_height = len(self.stk)
        return s

    def materialize(self, i: int) -> None:
        """Move stack entry `i` into its canonical slot if it is lazy."""
        canon = self.base + i
        s = self.stk[i]
        if s != canon:
            self.emit(K.MOV, canon, s)
            self.stk[i] = canon

    def materialize_top(self, n: int) -> None:
        for i in range(len(self.stk) - n, len(self.stk)):
            self.materialize(i)

    def block_types(self, bt: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        if bt == BLOCK_EMPTY:
            return (), ()
        if bt < 0:
            return (), (bt + 0x80,)
        ft = self.module.types[bt]
        return ft.params, ft.results

    def label_moves_needed(self, lab: _Label) -> bool:
        n = lab.nparams if lab.kind == op.LOOP else lab.nresults
        dst = self.base + lab.height
        top = len(self.stk) - n
        return any(self.stk[top + i] != dst + i for i in range(n))

    def label_moves(self, lab: _Label) -> None:
        n = lab.nparams if lab.kind == op.LOOP else lab.nresults
        dst = self.base + lab.height
        top = len(self.stk) - n
        for i in range(n):
            s = self.stk[top + i]
            if s != dst + i:
                self.emit(K.MOV, dst + i, s)

    def jump_to(self, lab: _Label, ins: list, field: int) -> None:
        """Make `ins[field]` the branch target of `lab` (now or when its end is known)."""
        if lab.kind == op.LOOP:
            ins[field] = lab.start
        else:
            ins[field] = -1
            lab.fixups.append((ins, field))

    def branch(self, depth: int) -> None:
        """Unconditional branch to label `depth` (moves included)."""
        if depth == len(self.ctrl) - 1:
            self.ret()
            return
        lab = self.ctrl[-1 - depth]
        self.label_moves(lab)
        self.jump_to(lab, self.emit(K.BR, 0), 1)

    def ret(self) -> None:
        n = len(self.type.results)
        slots = self.stk[len(self.stk) - n :]
        if n == 0:
            self.emit(K.RET0)
        elif n == 1:
            self.emit(K.RET1, slots[0])
        else:
            self.emit(K.RETN, tuple(slots))

    def pop_cond(self) -> tuple:
        """Pop a condition; returns ("slot", a) or ("cmp", name, a, b, *bias)."""
        c = self.stk[-1]
        if (
            self.last_val == len(self.instrs) - 1
            and c == self.base + len(self.stk) - 1
            and self.instrs[-1][1] == c
        ):
            last = self.instrs[-1]
            kind = last[0]
            if kind in CMP_KINDS:
                self.instrs.pop()
                self.stk.pop()
                self.last_val = -1
                return ("cmp", CMP_KINDS[kind], *last[2:])
            if kind == K.EQZ:
                self.instrs.pop()
                self.stk.pop()
                self.last_val = -1
                return ("not", last[2])
        self.stk.pop()
        return ("slot", c)

    def cond_jump(self, cond: tuple, when: bool) -> list:
        """Emit a jump taken when the condition is `when`; returns the instruction
        (its last target field is left for the caller to fill)."""
        tag = cond[0]
        if tag == "not":
            tag, when = "slot", not when
        if tag == "slot":
            return self.emit(K.BR_IF if when else K.BR_UNLESS, cond[1], 0)
        name = cond[1] if when else _NEGATE[cond[1]]
        a, b = cond[2], cond[3]
        if name.endswith("s"):
            return self.emit(KIND["br_" + name], a, b, 0, cond[4] if len(cond) > 4 else 0)
        return self.emit(KIND["br_" + name], a, b, 0)

    # --- main loop -----------------------------------------------------------------
    def run(self) -> Code:
        body = self.func.body
        nres = len(self.type.results)
        self.ctrl.append(_Label(op.BLOCK, 0, 0, nres, 0))
        dead = False
        skip = 0
        n = len(body)
        i = 0
        while i < n:
            ins = body[i]
            i += 1
            code = ins[0]
            if dead:
                skip = op.skip_unreachable(code, skip)
                if skip is not None:
                    continue
                skip = 0
            self._dead_marker = dead
            dead = self.step(ins, code)
        _thread_jumps(self.instrs)
        return Code(
            instrs=[tuple(tuple(f) if type(f) is list else f for f in x) for x in self.instrs],
            tail=[default_value(t) for t in self.local_types[len(self.type.params) :]]
            + list(self.consts)
            + [None] * self.max_height,
            nparams=len(self.type.params),
            nlocals=self.nlocals,
            consts=self.consts,
            base=self.base,
            max_height=self.max_height,
            nresults=nres,
            blocks=self.blocks,
        )

    def step(self, ins: tuple, code: int) -> bool:
        """Lower one instruction; returns whether the code after it is unreachable."""
        stk = self.stk
        # Hot, simple cases first.
        if code == op.LOCAL_GET:
            stk.append(ins[1])
            if len(stk) > self.max_height:
                self.max_height = len(stk)
            return False
        key = _const_key(ins)
        if key is not None:
            stk.append(self.const_slot[key])
            if len(stk) > self.max_height:
                self.max_height = len(stk)
            return False
        if code == op.LOCAL_SET or code == op.LOCAL_TEE:
            self.local_set(ins[1], code == op.LOCAL_TEE)
            return False
        spec = _INT_BIN.get(code)
        if spec is not None:
            b = stk.pop()
            a = stk.pop()
            d = self.push_slot()
            self.emit_val(KIND[spec[0]], d, a, b, *spec[1])
            return False
        spec = _INT_CMP.get(code)
        if spec is not None:
            b = stk.pop()
            a = stk.pop()
            d = self.push_slot()
            self.emit_val(KIND[spec[0]], d, a, b, *spec[1])
            return False
        if code == 0x45 or code == 0x50:  # i32.eqz / i64.eqz
            a = stk.pop()
            self.emit_val(K.EQZ, self.push_slot(), a)
            return False
        if code in _LOADS:
            kind, unpack, extra = _LOADS[code]
            a = stk.pop()
            d = self.push_slot()
            if unpack is None:
                self.emit_val(KIND[kind], d, a, ins[2])
            elif kind == "load" and self.fresh_add(a):
                add = self.instrs.pop()
                self.emit_val(K.LOADX, d, add[2], add[3], ins[2], unpack)
            else:
                self.emit_val(KIND[kind], d, a, ins[2], unpack, *extra)
            return False
        if code in _STORES:
            kind, pack, extra = _STORES[code]
            v = stk.pop()
            a = stk.pop()
            if pack is None:
                self.emit(KIND[kind], a, v, ins[2])
            elif v != a and self.fresh_add(a):
                add = self.instrs.pop()
                self.emit(K.STOREX, add[2], add[3], v, ins[2], pack, *extra)
            else:
                self.emit(KIND[kind], a, v, ins[2], pack, *extra)
            return False
        if code in _F64_BIN:
            b = stk.pop()
            a = stk.pop()
            self.emit_val(_F64_BIN[code], self.push_slot(), a, b)
            return False
        if code == 0xA7:  # i32.wrap_i64
            a = stk.pop()
            self.emit_val(K.ANDI, self.push_slot(), a, M32)
            return False
        if code == 0xAD:  # i64.extend_i32_u: the same unsigned int; nothing to do
            return False
        if code in numerics.BY_CODE:
            o = op.BY_CODE[code]
            fn = numerics.BY_CODE[code]
            if len(o.sig[0]) == 2:  # type: ignore[index]
                b = stk.pop()
                a = stk.pop()
                self.emit_val(K.BIN, self.push_slot(), a, b, fn)
            else:
                a = stk.pop()
                self.emit_val(K.UN, self.push_slot(), a, fn)
            return False
        return self.step_other(ins, code)

    def fresh_add(self, a: int) -> bool:
        """Is stack slot `a` the result of an i32.add emitted just now (and used only by
        the instruction being lowered)?"""
        if a < self.base or self.last_val != len(self.instrs) - 1:
            return False
        last = self.instrs[-1]
        return last[0] == K.ADD and last[1] == a and last[4] == M32

    def local_set(self, x: int, tee: bool) -> None:
        stk = self.stk
        v = stk.pop()
        pristine = self.pristine
        if pristine is not None and x in pristine:
            pristine.discard(x)
            if self.nlocals <= v < self.base and _same_value(
                self.consts[v - self.nlocals], self.tail_default(x)
            ):
                self.last_val = -1
                if tee:
                    stk.append(x)
                return
        if v != x:
            others = x in stk
            if (
                not others
                and v == self.base + len(stk)
                and self.last_val == len(self.instrs) - 1
                and self.instrs[-1][1] == v
            ):
                self.instrs[-1][1] = x
            else:
                if others:
                    for j, s in enumerate(stk):
                        if s == x:
                            self.materialize(j)
                self.emit(K.MOV, x, v)
        self.last_val = -1
        if tee:
            stk.append(x)

    def call(self, ft: FuncType, kind: int, *imm: Any) -> None:
        """Arguments are read from wherever they are (one or two), or from consecutive
        canonical slots (more); a single result can be retargeted like any value."""
        stk = self.stk
        n = len(ft.params)
        if n > 2:
            self.materialize_top(n)
        args = tuple(stk[len(stk) - n :])
        b = self.base + len(stk) - n
        del stk[len(stk) - n :]
        if len(ft.results) == 1:
            self.push_slot()
            self.emit_val(kind, b, *imm, n, args)
        else:
            self.emit(kind, b, *imm, n, args)
            for _ in ft.results:
                self.push_slot()

    def tail_default(self, x: int) -> Any:
        return default_value(self.local_types[x])

    def step_other(self, ins: tuple, code: int) -> bool:
        stk = self.stk
        if code in _CONTROL:
            self.pristine = None
        if code == op.BR_IF:
            depth = ins[1]
            cond = self.pop_cond()
            lab = self.ctrl[-1 - depth]
            if depth == len(self.ctrl) - 1:
                # br_if out of the function: conditional return.
                j = self.cond_jump(cond, False)
                self.ret()
                j[_tfield(j)] = len(self.instrs)
            elif self.label_moves_needed(lab):
                j = self.cond_jump(cond, False)
                self.label_moves(lab)
                self.jump_to(lab, self.emit(K.BR, 0), 1)
                j[_tfield(j)] = len(self.instrs)
            else:
                j = self.cond_jump(cond, True)
                self.jump_to(lab, j, _tfield(j))
            self.last_val = -1
            return False
        if code == op.BR:
            self.branch(ins[1])
            return True
        if code == op.BLOCK or code == op.LOOP:
            params, results = self.block_types(ins[1])
            self.enter(code, len(params), len(results))
            return False
        if code == op.IF:
            params, results = self.block_types(ins[1])
            cond = self.pop_cond()
            self.enter_prepare(len(params))
            j = self.cond_jump(cond, False)
            lab = self.enter(code, len(params), len(results))
            lab.else_fix = (j, _tfield(j))
            return False
        if code == op.ELSE:
            lab = self.ctrl[-1]
            if not self._dead_marker:
                self.materialize_top(lab.nresults)
                j = self.emit(K.BR, 0)
                lab.fixups.append((j, 1))
            self._dead_marker = False
            cont, idx = lab.else_fix  # type: ignore[misc]
            cont[idx] = len(self.instrs)
            lab.else_fix = None
            lab.block.else_pc = len(self.instrs)  # type: ignore[union-attr]
            del stk[lab.height :]
            for _ in range(lab.nparams):
                self.push_slot()
            self.last_val = -1
            return False
        if code == op.END:
            lab = self.ctrl.pop()
            if not self.ctrl:  # end of the function
                if not self._dead_marker:
                    self.ret()
                return True
            if not self._dead_marker:
                self.materialize_top(lab.nresults)
            self._dead_marker = False
            end = len(self.instrs)
            for cont, idx in lab.fixups:
                cont[idx] = end
            if lab.else_fix is not None:
                cont, idx = lab.else_fix
                cont[idx] = end
            lab.block.end = end  # type: ignore[union-attr]
            del stk[lab.height :]
            for _ in range(lab.nresults):
                self.push_slot()
            self.last_val = -1
            return False
        if code == op.RETURN:
            self.ret()
            return True
        if code == op.UNREACHABLE:
            self.emit(K.UNREACHABLE)
            return True
        if code == op.BR_TABLE:
            labels, default = ins[1], ins[2]
            a = stk.pop()
            targets: list[int] = [0] * len(labels)
            j = self.emit(K.BR_TABLE, a, targets, 0)
            stubs: dict[int, int] = {}  # depth -> stub pc
            all_depths = list(labels) + [default]
            for k, depth in enumerate(all_depths):
                cont, idx = (targets, k) if k < len(labels) else (j, 3)
                lab = self.ctrl[-1 - depth]
                if depth == len(self.ctrl) - 1 or self.label_moves_needed(lab):
                    if depth not in stubs:
                        stubs[depth] = -1
                    continue
                self.jump_to(lab, cont, idx)
            for depth in stubs:
                stubs[depth] = len(self.instrs)
                self.branch(depth)
            for k, depth in enumerate(all_depths):
                if depth in stubs:
                    if k < len(labels):
                        targets[k] = stubs[depth]
                    else:
                        j[3] = stubs[depth]
            return True
        if code == op.CALL:
            self.call(self.ftypes[ins[1]], K.CALL, ins[1])
            return False
        if code == op.CALL_INDIRECT:
            a = stk.pop()
            self.call(self.module.types[ins[1]], K.CALL_INDIRECT, ins[1], ins[2], a)
            return False
        if code == op.DROP:
            stk.pop()
            return False
        if code == op.SELECT or code == op.SELECT_T:
            c = stk.pop()
            b = stk.pop()
            a = stk.pop()
            self.emit_val(K.SELECT, self.push_slot(), a, b, c)
            return False
        if code == op.NOP:
            return False
        if code == op.GLOBAL_GET:
            self.emit_val(K.GLOBAL_GET, self.push_slot(), ins[1])
            return False
        if code == op.GLOBAL_SET:
            self.emit(K.GLOBAL_SET, ins[1], stk.pop())
            return False
        if code == op.MEMORY_SIZE:
            self.emit_val(K.MEMORY_SIZE, self.push_slot())
            return False
        if code == op.MEMORY_GROW:
            a = stk.pop()
            self.emit_val(K.MEMORY_GROW, self.push_slot(), a)
            return False
        if code == op.REF_IS_NULL:
            a = stk.pop()
            self.emit_val(K.REF_IS_NULL, self.push_slot(), a)
            return False
        if code == op.REF_FUNC:
            self.emit_val(K.REF_FUNC, self.push_slot(), ins[1])
            return False
        if code == op.TABLE_GET:
            a = stk.pop()
            self.emit_val(K.TABLE_GET, self.push_slot(), ins[1], a)
            return False
        if code == op.TABLE_SET:
            b = stk.pop()
            a = stk.pop()
            self.emit(K.TABLE_SET, ins[1], a, b)
            return False
        if code == op.TABLE_SIZE:
            self.emit_val(K.TABLE_SIZE, self.push_slot(), ins[1])
            return False
        if code == op.TABLE_GROW:
            b = stk.pop()
            a = stk.pop()
            self.emit_val(K.TABLE_GROW, self.push_slot(), ins[1], a, b)
            return False
        if code in (
            op.TABLE_FILL,
            op.TABLE_COPY,
            op.TABLE_INIT,
            op.MEMORY_INIT,
            op.MEMORY_COPY,
            op.MEMORY_FILL,
        ):
            c = stk.pop()
            b = stk.pop()
            a = stk.pop()
            if code == op.TABLE_FILL:
                self.emit(K.TABLE_FILL, ins[1], a, b, c)
            elif code == op.TABLE_COPY:
                self.emit(K.TABLE_COPY, ins[1], ins[2], a, b, c)
            elif code == op.TABLE_INIT:
                self.emit(K.TABLE_INIT, ins[2], ins[1], a, b, c)
            elif code == op.MEMORY_INIT:
                self.emit(K.MEMORY_INIT, ins[1], a, b, c)
            elif code == op.MEMORY_COPY:
                self.emit(K.MEMORY_COPY, a, b, c)
            else:
                self.emit(K.MEMORY_FILL, a, b, c)
            return False
        if code == op.ELEM_DROP:
            self.emit(K.ELEM_DROP, ins[1])
            return False
        if code == op.DATA_DROP:
            self.emit(K.DATA_DROP, ins[1])
            return False
        raise NotImplementedError(f"cannot lower opcode 0x{code:x}")  # validated: unreachable

    _dead_marker = False

    def enter_prepare(self, nparams: int) -> None:
        """Before a block: no lazy local references may survive into the body (the body
        could overwrite them on one path only), and params sit in canonical slots."""
        stk = self.stk
        top = len(stk) - nparams
        for j, s in enumerate(stk):
            if s < self.nlocals or j >= top:
                self.materialize(j)

    def enter(self, kind: int, nparams: int, nresults: int) -> _Label:
        if kind != op.IF:
            self.enter_prepare(nparams)
        height = len(self.stk) - nparams
        lab = _Label(kind, height, nparams, nresults, len(self.instrs))
        blk = Block(kind, len(self.instrs), None, -1, height, nparams, nresults)
        lab.block = blk
        self.blocks.append(blk)
        self.ctrl.append(lab)
        self.last_val = -1
        return lab
