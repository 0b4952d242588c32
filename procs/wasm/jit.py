"""Tier 1: translate a Wasm function to Python source, `compile()` it, and call it.

Why from the structured Wasm body and not from the register IR?  The IR has already
flattened control flow into jumps and operands into slots; turning it back into Python
would mean rediscovering structure from `Code.blocks` and paying a Python local per
slot.  The structured body gives `block`/`loop`/`if` directly, and a compile-time
*symbolic stack of Python expressions* turns `local.get a; local.get b; i32.add;
i32.const 4; i32.add; i32.load` into the single expression
`ld_u32(mem, ((l0 + l1 + 4) & 0xFFFFFFFF))[0]`: no slot moves, one mask for a whole
add chain, constants folded into the text.  The IR is still used by the interpreter,
and its `Block` records tell the tiering code which loop a back-edge belongs to
(block numbering here follows the lowerer's: order of appearance, dead code skipped).

Shape of the generated code (see `wasios inspect --jit` for real output)::

    def f7(l0, l1):                 # one Python parameter per Wasm parameter
        l2 = 0                      # declared locals
        try:
            while True:             # a Wasm loop; `continue` = br to it
                ...
                if not (l2 < l1): break
            return l2
        except Trap as _t: ...      # add this function's name to the backtrace
        except (struct.error, IndexError, ...) as _x: ...  # memory ops → Trap

* Stack values are expressions; an expression that may trap or reads mutable state
  (memory, globals) is *impure* and is assigned to a temporary before any statement
  with an effect, so traps and reads happen in Wasm order.  An expression is also
  spilled when it would grow too deep for the compiler.
* i32/i64 values are unsigned ints.  Each stack value records whether it is
  *canonical* (already in range) and a bound on its bit size; add/sub/mul/shl chains
  stay unmasked until an operator needs a canonical input (compares, shifts right,
  division, addresses, `local.set`, calls, returns, stores).  Signed compares bias
  both sides with the sign bit.  Comparisons stay Python booleans while they only feed
  `if`/`br_if`/`select`.
* Control flow: a Wasm `loop` is `while True:` (fall-through end = `break`).  A
  `block`/`if` whose branches are all `br`/`br_if` directly in its own body needs no
  Python construct: `br_if` becomes `if not c:` around the rest of the block.  Other
  blocks are `while True: ... break` so that `break` reaches their end.  A branch
  that crosses Python loops sets `_p` to a code (2*depth for "break the loop at that
  depth", 2*depth+1 for "continue it") and breaks; the code after each loop that such
  a branch can cross tests `_p` once.  `br_table` is a tuple lookup of those codes and
  one `break`.
* Deep nesting: CPython compiles at most 20 nested loops and 100 indentation levels.
  A function whose structured form would need more (wasi-libc's printf_core: a C
  `switch` lowered to a br_table over ~35 nested blocks) gets the *flat form*
  (`_FlatTranslator`): branch targets start basic blocks, numbered; the body is one
  `while True:` over a binary `if _b < k:` tree of them, and a branch is
  `_b = k; continue`, so Python nesting stays ~log2(blocks) whatever the Wasm nesting.
  Constructs that fit Python's limits (*regions*: inner loops, if/else, small blocks)
  are still translated structurally inside their basic block; a branch from a region
  to a flat label sets `_b` and leaves the region's loops with `_p = 1`.  Fuel checks
  sit on every branch to a loop head; OSR enters with `_b` set to the loop's block.
* Memory: struct `unpack_from`/`pack_into` on the memory's bytearray (never rebound:
  `memory.grow` extends it in place), `mem[a]` for bytes.  An address past the end
  raises struct.error / IndexError in this frame, converted to the Wasm trap by the
  handler; an exception from a callee or a host function is told apart by its
  traceback (raised deeper, or on a line that makes a call) and propagates unchanged.
* Counted loops (`_version_loops`, a pass over the generated lines): a `while True:`
  loop that steps a counter and tests it last also gets a `for i in range(...)`
  version without the wrap-around masks of the counter, of pointers stepped with it,
  of 64-bit tallies and of `base + i` addresses (f64 accesses index a memoryview cast
  to doubles where aligned, with pointers used only as such addresses kept divided
  by 8 through the loop), behind a guard checked once at entry that proves no mask
  would change a value; otherwise the original loop runs.  A read-only loop with a
  constant step that can't leave early zips its counter with slices of the bytes
  `mem[b + i]` it reads (`_byte_streams`).
* Calls: every function of the instance is a closure cell (`f3`), holding either the
  translated function or a stub that runs the interpreter (and counts towards
  translation); translating a function rebinds its cell, so callers call it directly
  from then on.  Host functions sit in their cells directly.
* Deep recursion: translated code recurses in Python.  Python 3.11 keeps Python→Python
  calls off the C stack, so the recursion limit is raised to `MAX_JIT_DEPTH` frames
  (only C-level re-entries, such as a host function calling back, use the C stack,
  and 8 MiB holds more than that many), and `RecursionError` becomes
  `Exhaustion("call stack exhausted")` where a call enters the engine.

Safety: only functions of instantiated modules reach here, and `instantiate` takes a
module that `validate` has passed (the API and the spec runner always validate
first); the generated text contains only numbers taken from the module: local and
function indices, constants and offsets, all formatted from Python ints/floats here.
Any failure to translate or compile (size limits, recursion in the compiler) makes
that function stay in the interpreter; nesting limits only switch to the flat form.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
import re
import struct
import sys
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from . import interp as _interp
from . import numerics
from . import opcodes as op
from .errors import Exhaustion, Trap
from .module import F32, F64, I32, I64, FuncType, Module
from .runtime import Function, HostFunction, Instance, WasmFunction, default_value

__all__ = [
    "JitConfig",
    "Translation",
    "translate",
    "compile_translation",
    "configure",
    "config_for",
    "set_fuel",
    "set_deadline",
    "fuel_remaining",
    "function_source",
    "MODES",
    "MAX_JIT_DEPTH",
]

MODES = ("off", "lazy", "eager")
# Calls (or loop back-edges) before a function is translated in lazy mode.
CALL_THRESHOLD = 50
BACKEDGE_THRESHOLD = 1000
# Python frames translated code may nest (Wasm calls, plus a few per interpreter
# round trip); the recursion limit is raised to this (plus a margin) when the JIT runs.
MAX_JIT_DEPTH = 20_000
# Translation gives up (interpreter fallback) beyond MAX_BODY instructions per function;
# structured code nesting more Python loops than MAX_PY_LOOPS (CPython allows 20
# statically nested blocks) or indentation than MAX_INDENT uses the flat form.
MAX_BODY = 60_000
MAX_PY_LOOPS = 18
MAX_EXPR_DEPTH = 12
MAX_IF_NEST = 12
# Indentation levels of structured code (the tokenizer stops at 100).
MAX_INDENT = 80
# Functions with at least this many locals and temporaries count their depth.
BIG_FRAME = 200
# Fuel and deadline: how many units run between two looks at the clock.
TICK_CHUNK = 10_000

ENGINE_VERSION = 2

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
_MASK = {I32: M32, I64: M64}
_BITS = {I32: 32, I64: 64}
_SIGN = {I32: 1 << 31, I64: 1 << 63}


# --- configuration ---------------------------------------------------------------


@dataclass
class JitConfig:
    """How an instance runs: tiering mode, thresholds, fuel and deadline."""

    mode: str = "lazy"
    call_threshold: int = CALL_THRESHOLD
    backedge_threshold: int = BACKEDGE_THRESHOLD
    fuel: int | None = None  # units = function entries + loop iterations
    deadline: float | None = None  # seconds from configuration (wall clock)
    metered: bool = False  # generate fuel/deadline checks (set when either is given)


def _env_mode() -> str:
    mode = os.environ.get("WASIOS_JIT", "lazy").strip().lower() or "lazy"
    return mode if mode in MODES else "lazy"


_pending: contextvars.ContextVar[JitConfig | None] = contextvars.ContextVar(
    "wasios_jit_pending", default=None
)


@contextlib.contextmanager
def config_for(cfg: JitConfig) -> Iterator[None]:
    """Instances created (and start functions run) inside this block get `cfg`.

    `instantiate` runs the start function before the caller holds the instance, so the
    configuration has to be known before it exists.
    """
    tok = _pending.set(cfg)
    try:
        yield
    finally:
        _pending.reset(tok)


def make_config(
    mode: str | None = None, fuel: int | None = None, deadline: float | None = None
) -> JitConfig:
    """A JitConfig from user options (None = default / environment)."""
    if mode is None:
        mode = _env_mode()
    if mode not in MODES:
        raise ValueError(f"jit mode must be one of {', '.join(MODES)}, not {mode!r}")
    if fuel is not None and fuel < 0:
        raise ValueError("fuel must be >= 0")
    return JitConfig(
        mode=mode, fuel=fuel, deadline=deadline, metered=fuel is not None or deadline is not None
    )


# --- translation -------------------------------------------------------------------


class TranslateError(Exception):
    """This function cannot be translated (it then stays in the interpreter)."""


class _TooDeep(TranslateError):
    """Structured code would exceed Python's nesting limits: use the flat form."""


@dataclass
class Translation:
    """Generated source of one function, and what binding it needs."""

    source: str
    name: str  # Python name of the function inside `source`
    call_lines: tuple[int, ...]


class _V:
    """A symbolic stack value: a Python expression and what we know about it."""

    __slots__ = ("e", "t", "canon", "mag", "imp", "locs", "cond", "depth", "ne", "lin")

    def __init__(
        self,
        e: str,
        t: int,
        canon: bool = True,
        mag: int = 0,
        imp: bool = False,
        locs: frozenset = frozenset(),
        cond: bool = False,
        depth: int = 0,
    ) -> None:
        self.e = e
        self.t = t
        self.canon = canon
        self.mag = mag or _BITS.get(t, 0)
        self.imp = imp
        self.locs = locs
        self.cond = cond
        self.depth = depth
        self.ne: str | None = None  # the negated condition, when cheaper than `not (e)`
        self.lin: tuple[str, int] | None = None  # (canonical x, c) when e == x - c


_EMPTY: frozenset = frozenset()


class _Ctl:
    """A Wasm control frame during translation."""

    __slots__ = (
        "kind",
        "idx",
        "wrap",
        "ptypes",
        "rtypes",
        "rvars",
        "pvars",
        "height",
        "nest",
        "pyloop",
        "targeted",
        "else_seen",
        "params",
        "mark",
        "guard",
        "alias",
        "then_reach",
        "nest_mark",
        "label",
        "elabel",
        "flat",
    )

    def __init__(self, kind: int, idx: int, ptypes: tuple, rtypes: tuple) -> None:
        self.kind = kind
        self.idx = idx
        self.wrap = False
        self.ptypes = ptypes
        self.rtypes = rtypes
        self.rvars: list[str] = []
        self.pvars: list[str] = []
        self.height = 0
        self.nest = 0  # `if not c:` levels opened by br_if in this frame's body
        self.pyloop: _PyLoop | None = None
        self.targeted = False
        self.else_seen = False
        self.params: list[_V] = []
        self.mark = 0  # line count at the start of the current arm (for `pass`)
        self.guard = False  # an OSR guard `if not _osr:` is open in this frame
        self.alias: _PyLoop | None = None  # a tail loop whose exit is this block's end
        self.then_reach = False
        self.nest_mark = 0
        self.label: int | None = None  # flat form: block id of the branch target
        self.elabel = 0  # flat form: block id of an `if`'s else arm
        self.flat = False  # flat form: a frame outside the structured regions


class _PyLoop:
    __slots__ = ("depth", "pend", "z")

    def __init__(self, depth: int, z: bool = False) -> None:
        self.depth = depth
        self.pend: set[int] = set()
        self.z = z


def _blocktype(module: Module, bt: int) -> tuple[tuple, tuple]:
    if bt == -64:
        return (), ()
    if bt < 0:
        return (), (bt + 0x80,)
    ft = module.types[bt]
    return ft.params, ft.results


def _float_lit(x: float, t: int) -> tuple[str, int]:
    """Source for a float constant (and its depth): a literal, or a name."""
    if x != x:
        return "", -1
    if x == math.inf:
        return "INF", 0
    if x == -math.inf:
        return "NINF", 0
    r = repr(x)
    return (r, 1) if r.startswith("-") else (r, 0)


# Loads: opcode -> (result type, template kind, helper name, signed bits)
_LOAD = {
    0x28: (I32, "s", "ld_u32", 0),
    0x29: (I64, "s", "ld_u64", 0),
    0x2A: (F32, "f32", "ld_f32", 0),
    0x2B: (F64, "s", "ld_f64", 0),
    0x2C: (I32, "b8s", None, 8),
    0x2D: (I32, "b8", None, 0),
    0x2E: (I32, "s", "ld_i16", 16),
    0x2F: (I32, "s", "ld_u16", 0),
    0x30: (I64, "b8s", None, 8),
    0x31: (I64, "b8", None, 0),
    0x32: (I64, "s", "ld_i16", 16),
    0x33: (I64, "s", "ld_u16", 0),
    0x34: (I64, "s", "ld_i32", 32),
    0x35: (I64, "s", "ld_u32", 0),
}
# Stores: opcode -> (helper or None for a byte, value mask or None)
_STORE = {
    0x36: ("st_u32", M32),
    0x37: ("st_u64", M64),
    0x38: ("st_f32", None),
    0x39: ("st_f64", None),
    0x3A: (None, 0xFF),
    0x3B: ("st_u16", 0xFFFF),
    0x3C: (None, 0xFF),
    0x3D: ("st_u16", 0xFFFF),
    0x3E: ("st_u32", M32),
}
_ICMP_OPS = {
    "eq": "==",
    "ne": "!=",
    "lt_u": "<",
    "gt_u": ">",
    "le_u": "<=",
    "ge_u": ">=",
    "lt_s": "<",
    "gt_s": ">",
    "le_s": "<=",
    "ge_s": ">=",
}
_FCMP_OPS = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">="}
# Negated integer compares (not for floats: NaN makes `not a < b` differ from `a >= b`).
_NEG_CMP = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_CONTROL_OPS = frozenset(
    (op.BLOCK, op.LOOP, op.IF, op.ELSE, op.END, op.BR, op.BR_IF, op.BR_TABLE, op.RETURN)
)
# Numeric helpers that may trap: their results must be computed in Wasm order.
_TRAPPING = ("div", "rem", "trunc_f")


class _Translator:
    def __init__(self, module: Module, defined: int, metered: bool, osr_block: int | None):
        self.module = module
        self.defined = defined
        self.func = module.funcs[defined]
        self.nimp = len(module.imported(0))
        self.index = self.nimp + defined
        self.ftype = module.types[self.func.type_idx]
        self.local_types = list(self.ftype.params) + list(self.func.locals)
        self.metered = metered
        self.osr_block = osr_block
        self.lines: list[str] = []
        self.call_lines: list[int] = []
        self.ind = 0
        self.max_ind = MAX_INDENT
        self.stk: list[_V] = []
        self.ctrl: list[_Ctl] = []
        self.pyloops: list[_PyLoop] = []
        self.ntemp = 0
        self.uses_p = False
        self.free: set[str] = set()
        self.ftypes_all: list[FuncType] | None = None
        self.osr_active = osr_block is not None
        self.last_neg: tuple[int, str] = (-1, "")
        # Declared locals not yet assigned (before any control flow): setting one to its
        # default value is a no-op.
        self.pristine: set[int] | None = set(range(len(self.ftype.params), len(self.local_types)))

    # -- emission helpers --
    def emit(self, line: str, call: bool = False) -> None:
        if self.ind > self.max_ind:
            raise _TooDeep("too deeply nested")
        self.lines.append("    " * self.ind + line)
        if call:
            self.call_lines.append(len(self.lines))

    def temp(self) -> str:
        self.ntemp += 1
        return f"t{self.ntemp}"

    def use(self, name: str) -> str:
        self.free.add(name)
        return name

    # -- value forms --
    @staticmethod
    def par(v: _V) -> str:
        return v.e if v.depth == 0 else f"({v.e})"

    def ival(self, v: _V) -> str:
        """Integer (or float/ref) value form, safe as an operand."""
        if v.cond:
            return f"(1 if {v.e} else 0)"
        return self.par(v)

    def cval(self, v: _V) -> str:
        """Canonical value form, safe as an operand."""
        if v.cond:
            return f"(1 if {v.e} else 0)"
        if v.canon or v.t not in _MASK:
            return self.par(v)
        return f"({self.par(v)} & {_MASK[v.t]})"

    def cexpr(self, v: _V) -> str:
        """Canonical value form as a full expression (no outer parentheses needed)."""
        if v.cond:
            return f"1 if {v.e} else 0"
        if v.canon or v.t not in _MASK:
            return v.e
        return f"{self.par(v)} & {_MASK[v.t]}"

    def cond(self, v: _V) -> str:
        """Truth-value form, as a full expression."""
        if v.cond:
            return v.e
        return self.cexpr(v)

    def ncond(self, v: _V) -> str:
        """The negated truth-value form, as a full expression."""
        if v.cond and v.ne is not None:
            return v.ne
        if not v.cond:
            return f"not {self.cval(v)}"
        return f"not ({v.e})"

    def canon_v(self, v: _V) -> _V:
        if v.canon and not v.cond:
            return v
        return _V(self.cexpr(v), v.t, True, 0, v.imp, v.locs, False, v.depth + 1)

    # -- stack management --
    def push(self, v: _V) -> None:
        if v.depth > MAX_EXPR_DEPTH or len(v.e) > 2000:
            self.flush_impure(len(self.stk))
            v = self.spill_value(v)
        self.stk.append(v)

    def spill_value(self, v: _V) -> _V:
        t = self.temp()
        if v.cond:
            self.emit(f"{t} = {v.e}")
            return _V(t, v.t, True, 0, False, _EMPTY, True, 0)
        self.emit(f"{t} = {v.e}")
        return _V(t, v.t, v.canon, v.mag, False, _EMPTY, False, 0)

    def spill(self, i: int) -> None:
        v = self.stk[i]
        if v.depth == 0 and not v.imp and not v.locs:
            return
        self.stk[i] = self.spill_value(v)

    def flush_impure(self, upto: int) -> None:
        """Evaluate every impure value below position `upto`, in stack order."""
        stk = self.stk
        for i in range(min(upto, len(stk))):
            if stk[i].imp:
                self.spill(i)

    def before_effect(self, n: int) -> None:
        """About to emit a statement consuming the top `n` values."""
        self.flush_impure(len(self.stk) - n)

    def pop(self) -> _V:
        return self.stk.pop()

    def pops(self, n: int) -> list[_V]:
        if n == 0:
            return []
        vals = self.stk[-n:]
        del self.stk[-n:]
        return vals

    def materialize_all(self) -> None:
        """Before a construct: no stack value may depend on locals or have effects."""
        for i, v in enumerate(self.stk):
            if v.imp or v.locs or v.depth > 0:
                if v.depth == 0 and not v.imp and not v.locs:
                    continue
                self.spill(i)

    # -- block helpers --
    def new_vars(self, types: tuple, prefix: str) -> list[str]:
        out = []
        for _ in types:
            self.ntemp += 1
            out.append(f"{prefix}{self.ntemp}")
        return out

    def assign(self, names: list[str], vals: list[_V]) -> None:
        if not names:
            return
        if len(names) == 1:
            self.emit(f"{names[0]} = {self.cexpr(vals[0])}")
        else:
            self.emit(", ".join(names) + " = " + ", ".join(self.cexpr(v) for v in vals))

    def label_arity(self, c: _Ctl) -> tuple:
        return c.ptypes if c.kind == op.LOOP else c.rtypes

    def label_vars(self, c: _Ctl) -> list[str]:
        return c.pvars if c.kind == op.LOOP else c.rvars

    def jump(self, c: _Ctl) -> None:
        """Emit the jump to label `c` (values already assigned)."""
        cur = self.pyloops[-1] if self.pyloops else None
        if c.kind == op.LOOP:
            target = c.pyloop
            code = 2 * target.depth + 1  # type: ignore[union-attr]
            if cur is target:
                self.fuel_check()
                self.emit("continue")
                return
        else:
            c.targeted = True
            target = c.pyloop or c.alias
            if target is None:
                return  # fall off the end of this (if-nested) block's body
            code = 2 * target.depth
            if cur is target:
                self.emit("break")
                return
        self.uses_p = True
        self.emit(f"_p = {code}")
        self.emit("break")
        cur.pend.add(code)  # type: ignore[union-attr]

    def open_pyloop(self, z: bool = False) -> _PyLoop:
        if len(self.pyloops) >= MAX_PY_LOOPS:
            raise _TooDeep("too deeply nested")
        pl = _PyLoop(len(self.pyloops) + 1, z)
        self.pyloops.append(pl)
        self.emit("while True:")
        self.ind += 1
        return pl

    def close_pyloop(self) -> None:
        """After the `while` of the innermost Python loop: resolve pending branches."""
        pl = self.pyloops.pop()
        self.ind -= 1
        if not pl.pend:
            return
        c = pl.depth - 1
        own = 2 * pl.depth
        cont = 2 * c + 1 if c >= 1 else None
        others = {x for x in pl.pend if x != own and x != cont}
        has_cont = cont is not None and cont in pl.pend
        if not others and not has_cont:
            self.emit("_p = 0")
            return
        self.emit("if _p:")
        self.ind += 1
        arms = []
        if own in pl.pend:
            arms.append((f"_p == {own}", ["_p = 0"]))
        if has_cont:
            fuel = ["FUEL -= 1", "if FUEL < 0: TICK()"] if self.metered else []
            arms.append((f"_p == {cont}", ["_p = 0", *fuel, "continue"]))
        if others:
            arms.append((None, ["break"]))
            self.pyloops[-1].pend.update(others)
        if len(arms) == 1:
            for x in arms[0][1]:
                self.emit(x)
        else:
            for k, (test, body) in enumerate(arms):
                if test is None or k == len(arms) - 1:
                    self.emit("else:")
                else:
                    self.emit(("if " if k == 0 else "elif ") + test + ":")
                for x in body:
                    self.emit("    " + x)
        self.ind -= 1

    def fuel_check(self) -> None:
        if self.metered:
            self.emit("FUEL -= 1")
            self.emit("if FUEL < 0: TICK()", call=True)

    # -- prescan --
    def prescan(self) -> tuple[dict[int, bool], list[int]]:
        """Which blocks need a Python loop (branched to from nested code or br_table),
        which blocks end right after a loop (a branch to them is a break of that loop),
        and the ancestors of the OSR block."""
        body = self.func.body
        # frame: [kind, idx, nbrif, wrap, via (child blocks branches came through), nres,
        #         in the else arm]
        ctrl: list[list] = [[-1, -1, 0, False, set(), 0, False]]
        wrap: dict[int, bool] = {}
        self.alias_of: dict[int, int] = {}
        self.osr_in_else: set[int] = set()  # ancestor ifs whose else arm holds it
        ancestors: list[int] = []
        nblock = 0
        dead = False
        skip = 0
        prev_loop = -1  # the loop whose `end` was the previous instruction
        for ins in body:
            code = ins[0]
            if dead:
                skip = op.skip_unreachable(code, skip)
                if skip is not None:
                    continue
                dead, skip = False, 0
            ended_loop = -1
            if code in (op.BLOCK, op.LOOP, op.IF):
                if nblock == self.osr_block:
                    ancestors = [f[1] for f in ctrl if f[1] >= 0]
                    self.osr_in_else = {f[1] for f in ctrl if f[6]}
                nres = len(_blocktype(self.module, ins[1])[1])
                ctrl.append([code, nblock, 0, False, set(), nres, False])
                nblock += 1
            elif code == op.ELSE:
                ctrl[-1][6] = True
            elif code == op.END:
                f = ctrl.pop()
                if f[1] >= 0:
                    w = f[3] or f[2] > MAX_IF_NEST
                    if not w and f[4]:
                        if f[0] == op.BLOCK and f[5] == 0 and f[4] == {prev_loop}:
                            self.alias_of[f[1]] = prev_loop
                        else:
                            w = True
                    wrap[f[1]] = w
                    if f[0] == op.LOOP:
                        ended_loop = f[1]
                if not ctrl:
                    break
            elif code in (op.BR, op.BR_IF):
                d = ins[1]
                f = ctrl[-1 - d]
                if f[0] in (op.BLOCK, op.IF):
                    if d == 0:
                        if code == op.BR_IF:
                            f[2] += 1
                    else:
                        f[4].add(ctrl[-d][1])
                dead = code == op.BR
            elif code == op.BR_TABLE:
                for d in (*ins[1], ins[2]):
                    f = ctrl[-1 - d]
                    if f[0] in (op.BLOCK, op.IF):
                        f[3] = True
                dead = True
            elif code in (op.RETURN, op.UNREACHABLE):
                dead = True
            prev_loop = ended_loop
        for a in ancestors:
            wrap[a] = True
            self.alias_of.pop(a, None)
        return wrap, ancestors

    # -- main --
    def run(self) -> Translation:
        body = self.func.body
        if len(body) > MAX_BODY:
            raise TranslateError("function too large")
        self.wrap, ancestors = self.prescan()
        self.ancestors = set(ancestors)
        osr = self.osr_block is not None
        if osr and self.osr_block not in self.wrap:
            raise TranslateError("no such block")
        nparams = len(self.ftype.params)
        name = f"w{self.index}" if not osr else f"w{self.index}_osr{self.osr_block}"
        if osr:
            params = ", ".join(f"l{i}" for i in range(len(self.local_types)))
        else:
            params = ", ".join(f"l{i}" for i in range(nparams))
        fn = _Ctl(-1, -1, (), self.ftype.results)
        self.ctrl.append(fn)
        header_at = len(self.lines)
        if osr:
            self.emit("_osr = 1")
            self.open_guard(fn)
        self.fuel_check() if not osr else None
        self.walk()
        pre = ["_p = 0"] if self.uses_p else []
        return self.assemble(name, params, pre, self.lines, self.call_lines, header_at)

    def walk(self) -> None:
        """Translate the body, instruction by instruction (dead code skipped)."""
        nblock = 0
        dead = False
        skip = 0
        for ins in self.func.body:
            code = ins[0]
            if dead:
                skip = op.skip_unreachable(code, skip)
                if skip is not None:
                    continue
                dead, skip = False, 0
                self.stk_dead_reset(code)
            if code in (op.BLOCK, op.LOOP, op.IF):
                self.pristine = None
                self.open_block(ins, nblock)
                nblock += 1
                continue
            dead = self.step(ins, code)
            if not self.ctrl:
                break

    def assemble(
        self,
        name: str,
        params: str,
        pre: list[str],
        body_lines: list[str],
        calls: list[int],
        header_at: int = 0,
    ) -> Translation:
        """Wrap the body: local initialisation, depth counting, the trap handlers."""
        osr = self.osr_block is not None
        nparams = len(self.ftype.params)
        pre = list(pre)
        if not osr:
            inits: dict[str, list[str]] = {}
            for i in range(nparams, len(self.local_types)):
                d = default_value(self.local_types[i])
                inits.setdefault(repr(d), []).append(f"l{i}")
            for val, names in inits.items():
                for k in range(0, len(names), 200):
                    pre.append(" = ".join(names[k : k + 200]) + f" = {val}")
        nonlocals = []
        if self.metered:
            nonlocals.append("FUEL")
            self.free.add("FUEL")
            self.free.add("TICK")
        # Big frames: count them, so that deep recursion of huge functions exhausts the
        # stack (like the interpreter's slot budget) before it exhausts memory.
        size = len(self.local_types) + self.ntemp
        big = size >= BIG_FRAME
        if big:
            nonlocals.append("DEPTH")
            self.free.add("DEPTH")
            limit = max(10, _interp.SLOT_BUDGET // size)
            pre[:0] = ["DEPTH += 1", f"if DEPTH > {limit}: raise Exhaustion()"]
        nonlocal_line = ["    nonlocal " + ", ".join(nonlocals)] if nonlocals else []
        self.free.update(("_tr", "_mx"))
        head = [
            "def _mk(" + ", ".join(sorted(self.free)) + "):",
            f"  def {name}({params}):",
        ]
        head += nonlocal_line
        head.append("    try:")
        if header_at == 0:
            body_lines, calls = _version_loops(body_lines, calls)
        shift = len(head) + len(pre) - header_at
        call_lines = tuple(n + shift for n in calls)
        tail = [
            "    except Trap as _t:",
            f"      _tr(_t, {self.index})",
            "      raise",
            "    except (StructError, IndexError, OverflowError, ZeroDivisionError) as _x:",
            f"      raise _mx(_x, {call_lines!r}, {self.index})",
            *(["    finally:", "      DEPTH -= 1"] if big else []),
            f"  return {name}",
        ]
        src_lines = head + ["      " + x for x in pre + body_lines] + tail
        return Translation("\n".join(src_lines) + "\n", name, call_lines)

    def stk_dead_reset(self, code: int) -> None:
        """Leaving dead code at an else/end: the stack is the frame's entry stack."""
        c = self.ctrl[-1]
        del self.stk[c.height :]
        if code == op.ELSE:
            pass
        self._dead_exit = True

    _dead_exit = False

    # -- OSR guards --
    def open_guard(self, c: _Ctl) -> None:
        self.emit("if not _osr:")
        self.ind += 1
        c.guard = True
        c.mark = len(self.lines)

    def close_guard(self, c: _Ctl) -> None:
        if c.guard:
            if len(self.lines) == c.mark:
                self.emit("pass")
            self.ind -= 1
            c.guard = False

    # -- control --
    def open_block(self, ins: tuple, idx: int) -> None:
        code = ins[0]
        ptypes, rtypes = _blocktype(self.module, ins[1])
        on_path = self.osr_active and (idx in self.ancestors or idx == self.osr_block)
        cond = None
        if code == op.IF:
            cv = self.pop()
            self.before_effect(0)
            cond = cv
        else:
            self.before_effect(0)
        self.materialize_all()
        if on_path:
            parent = self.ctrl[-1]
            self.close_guard(parent)
        c = _Ctl(code, idx, ptypes, rtypes)
        c.wrap = self.wrap.get(idx, True)
        c.height = len(self.stk) - len(ptypes)
        c.params = list(self.stk[c.height :])
        self.ctrl.append(c)
        if code == op.LOOP:
            c.pvars = self.new_vars(ptypes, "v")
            if c.pvars:
                vals = self.pops(len(ptypes))
                self.assign(c.pvars, vals)
                for n, t in zip(c.pvars, ptypes, strict=True):
                    self.stk.append(_V(n, t))
            c.rvars = self.new_vars(rtypes, "r")
            if on_path and idx == self.osr_block:
                self.emit("_osr = 0")
                self.osr_active = False
            c.pyloop = self.open_pyloop()
            parent = self.ctrl[-2]
            if parent.kind == op.BLOCK and self.alias_of.get(parent.idx) == idx:
                parent.alias = c.pyloop
            if on_path and self.osr_active:
                self.open_guard(c)
            c.mark = len(self.lines)
            return
        c.rvars = self.new_vars(rtypes, "r")
        if c.wrap:
            c.pyloop = self.open_pyloop()
        if code == op.IF:
            ccond = self.cond(cond)  # type: ignore[arg-type]
            if on_path:
                # The OSR path runs through this if: pick the arm that contains it.
                if idx in self.osr_in_else:
                    self.emit(f"if not _osr and ({ccond}):")
                else:
                    self.emit(f"if _osr or ({ccond}):")
            else:
                self.emit(f"if {ccond}:")
            self.ind += 1
        c.mark = len(self.lines)
        if on_path and self.osr_active and code != op.IF:
            self.open_guard(c)
        elif on_path and self.osr_active:
            self.open_guard(c)

    def end_arm(self, c: _Ctl, reachable: bool) -> None:
        """Fall-through at the end of a block body / if arm: move results."""
        if reachable:
            vals = self.pops(len(c.rtypes))
            if c.rvars:
                self.before_effect(len(vals))
                self.assign(c.rvars, vals)
        self.close_guard(c)
        if c.nest:
            if len(self.lines) == c.nest_mark:
                self.emit("pass")
            self.ind -= c.nest
            c.nest = 0

    def do_else(self, reachable: bool) -> None:
        c = self.ctrl[-1]
        c.then_reach = reachable
        self.end_arm(c, reachable)
        if len(self.lines) == c.mark:
            self.emit("pass")
        self.ind -= 1
        self.emit("else:")
        self.ind += 1
        c.mark = len(self.lines)
        c.else_seen = True
        del self.stk[c.height :]
        self.stk.extend(c.params)

    def do_end(self, reachable: bool) -> bool:
        """Returns whether the code after the construct is reachable."""
        c = self.ctrl.pop()
        if c.kind == -1:  # end of the function
            if reachable:
                self.do_return()
            self.close_guard(c)
            return False
        self.ctrl.append(c)
        if c.kind == op.LOOP:
            if reachable:
                vals = self.pops(len(c.rtypes))
                self.before_effect(len(vals))
                self.assign(c.rvars, vals)
            self.close_guard(c)
            if reachable:
                last = self.lines[-1].strip() if self.lines else ""
                if (
                    last.startswith("if ")
                    and last.endswith(": continue")
                    and len(self.lines) > c.mark
                    and self.lines[-1].startswith("    " * self.ind + "if ")
                ):
                    cond = last[3 : -len(": continue")]
                    neg = f"not ({cond})"
                    if self.last_neg[0] == len(self.lines):
                        neg = self.last_neg[1]
                    self.lines[-1] = "    " * self.ind + f"if {neg}: break"
                    self.fuel_check()  # the back-edge is now the fall-through
                else:
                    self.emit("break")
            else:
                if len(self.lines) > c.mark and self.lines[-1] == "    " * self.ind + "continue":
                    self.lines.pop()
                if len(self.lines) == c.mark:
                    self.emit("pass")
            self.ctrl.pop()
            self.close_pyloop()
            del self.stk[c.height :]
            for n, t in zip(c.rvars, c.rtypes, strict=True):
                self.stk.append(_V(n, t))
            return reachable
        # block / if
        if c.kind == op.IF and not c.else_seen:
            if c.rtypes:
                # The implicit else passes the params through as results.
                self.end_arm(c, reachable)
                if len(self.lines) == c.mark:
                    self.emit("pass")
                self.ind -= 1
                self.emit("else:")
                self.ind += 1
                self.assign(c.rvars, c.params)
                c.targeted = True
                reachable = True
            else:
                self.end_arm(c, reachable)
                reachable = True  # the missing else falls through
        else:
            self.end_arm(c, reachable)
            if c.kind == op.IF:
                reachable = reachable or c.then_reach
        if c.kind == op.IF:
            if len(self.lines) == c.mark:
                self.emit("pass")
            self.ind -= 1
        after = reachable or c.targeted
        if c.pyloop is not None:
            if reachable:
                self.emit("break")
            self.ctrl.pop()
            if len(self.lines) and self.lines[-1].strip() == "while True:":
                self.emit("break")
            self.close_pyloop()
        else:
            self.ctrl.pop()
        del self.stk[c.height :]
        for n, t in zip(c.rvars, c.rtypes, strict=True):
            self.stk.append(_V(n, t))
        return after

    def do_return(self) -> None:
        rt = self.ftype.results
        vals = self.pops(len(rt))
        self.before_effect(len(vals))
        if not vals:
            self.emit("return")
        elif len(vals) == 1:
            self.emit(f"return {self.cexpr(vals[0])}")
        else:
            self.emit("return (" + ", ".join(self.cexpr(v) for v in vals) + ",)")

    def branch(self, depth: int) -> None:
        """Unconditional br (values on the stack)."""
        c = self.ctrl[-1 - depth]
        if c.kind == -1:
            self.do_return()
            return
        names = self.label_vars(c)
        vals = self.pops(len(names))
        self.before_effect(len(vals))
        self.assign(names, vals)
        self.jump(c)

    def br_if(self, depth: int) -> None:
        cv = self.pop()
        c = self.ctrl[-1 - depth]
        if c.kind == -1:
            n = len(self.ftype.results)
            vals = self.stk[len(self.stk) - n :] if n else []
            self.before_effect(n)
            for i in range(len(self.stk) - n, len(self.stk)):
                self.spill(i)
            vals = self.stk[len(self.stk) - n :] if n else []
            self.emit(f"if {self.cond(cv)}:")
            self.ind += 1
            if not vals:
                self.emit("return")
            elif n == 1:
                self.emit(f"return {self.cexpr(vals[0])}")
            else:
                self.emit("return (" + ", ".join(self.cexpr(v) for v in vals) + ",)")
            self.ind -= 1
            return
        names = self.label_vars(c)
        n = len(names)
        self.before_effect(n)
        if n:
            for i in range(len(self.stk) - n, len(self.stk)):
                self.spill(i)
        vals = self.stk[len(self.stk) - n :] if n else []
        if c.kind != op.LOOP and c.pyloop is None and depth == 0:
            # if-nesting: the rest of this block runs only when the branch is not taken.
            self.assign(names, vals)
            c.targeted = True
            self.emit(f"if {self.ncond(cv)}:")
            self.ind += 1
            c.nest += 1
            c.nest_mark = len(self.lines)
            return
        self.emit(f"if {self.cond(cv)}:")
        self.ind += 1
        before = len(self.lines)
        self.assign(names, vals)
        self.jump(c)
        if len(self.lines) == before:
            self.emit("pass")
        if len(self.lines) == before + 1 and not names:
            # `if c:` + one jump on one line (the loop-end peephole looks for it).
            line = self.lines.pop().strip()
            self.ind -= 1
            self.lines[-1] = self.lines[-1] + " " + line
            self.last_neg = (len(self.lines), self.ncond(cv))
            return
        self.ind -= 1

    def br_table(self, labels: tuple, default: int) -> None:
        iv = self.pop()
        depths = (*labels, default)
        if all(d == default for d in depths):
            if iv.imp:  # the index may still trap: evaluate it, in order
                self.flush_impure(len(self.stk))
                self.emit(self.par(iv))
            self.branch(default)
            return
        ctls = [self.ctrl[-1 - d] for d in depths]
        simple = all(c.kind != -1 and not self.label_vars(c) for c in ctls)
        self.before_effect(0)
        idx = self.cval(iv)
        if simple:
            self.br_table_simple(idx, ctls)
            return
        self.br_table_values(idx, depths, ctls)

    def br_table_simple(self, idx: str, ctls: list[_Ctl]) -> None:
        """br_table whose targets take no values: a tuple of `_p` codes."""
        codes = []
        for c in ctls:
            if c.kind == op.LOOP:
                codes.append(2 * c.pyloop.depth + 1)  # type: ignore[union-attr]
            else:
                c.targeted = True
                codes.append(2 * c.pyloop.depth)  # type: ignore[union-attr]
        table = "(" + ", ".join(str(x) for x in codes[:-1]) + ",)"
        self.uses_p = True
        z = self.open_pyloop(z=True)
        t = self.temp()
        self.emit(f"{t} = {idx}")
        self.emit(f"_p = {table}[{t}] if {t} < {len(codes) - 1} else {codes[-1]}")
        self.emit("break")
        z.pend.update(codes)
        self.close_pyloop()

    def br_table_values(self, idx: str, depths: tuple, ctls: list[_Ctl]) -> None:
        """br_table with label values or returns: one test per distinct target."""
        distinct: list[int] = []
        for d in depths:
            if d not in distinct:
                distinct.append(d)
        group = [distinct.index(d) for d in depths]
        n = max(len(self.label_vars(c)) if c.kind != -1 else len(self.ftype.results) for c in ctls)
        for i in range(len(self.stk) - n, len(self.stk)):
            self.spill(i)
        t = self.temp()
        g = "(" + ", ".join(str(x) for x in group[:-1]) + ",)"
        self.emit(f"{t} = {idx}")
        self.emit(f"{t} = {g}[{t}] if {t} < {len(group) - 1} else {group[-1]}")
        saved = list(self.stk)
        for k, d in enumerate(distinct):
            self.emit(("if" if k == 0 else "elif") + f" {t} == {k}:" if k < len(distinct) - 1
                      else "else:")  # fmt: skip
            self.ind += 1
            self.stk = list(saved)
            before = len(self.lines)
            self.branch(d)
            if len(self.lines) == before:
                self.emit("pass")
            self.ind -= 1

    # -- one instruction --
    def step(self, ins: tuple, code: int) -> bool:
        """Translate one instruction; returns whether the code after it is dead."""
        stk = self.stk
        if code in _CONTROL_OPS:
            self.pristine = None
        if code == op.LOCAL_GET:
            x = ins[1]
            self.push(_V(f"l{x}", self.local_types[x], locs=frozenset((x,))))
            return False
        if code == op.LOCAL_SET or code == op.LOCAL_TEE:
            x = ins[1]
            v = self.pop()
            pristine = self.pristine
            if pristine is not None and x in pristine:
                pristine.discard(x)
                d = default_value(self.local_types[x])
                if type(d) is int and v.e == str(d) and not v.cond:
                    if code == op.LOCAL_TEE:
                        stk.append(_V(f"l{x}", v.t, locs=frozenset((x,))))
                    return False
            self.before_effect(0)
            for i, s in enumerate(stk):
                if x in s.locs:
                    self.spill(i)
            self.emit(f"l{x} = {self.cexpr(v)}")
            if code == op.LOCAL_TEE:
                stk.append(_V(f"l{x}", v.t, locs=frozenset((x,))))
            return False
        if code == op.I32_CONST or code == op.I64_CONST:
            t = I32 if code == op.I32_CONST else I64
            self.push(_V(str(ins[1]), t, mag=max(1, ins[1].bit_length())))
            return False
        if code == op.F32_CONST or code == op.F64_CONST:
            if code == op.F32_CONST:
                x = numerics.f32_from_bits(ins[1])
                t = F32
            else:
                x = numerics.f64_from_bits(ins[1])
                t = F64
            lit, depth = _float_lit(x, t)
            if depth < 0:
                fnn = "f32_from_bits" if t == F32 else "f64_from_bits"
                self.push(_V(f"{fnn}({ins[1]})", t, depth=1))
            else:
                self.push(_V(lit, t, depth=depth))
            return False
        if code in _LOAD:
            self.load(ins, code)
            return False
        if code in _STORE:
            self.store(ins, code)
            return False
        if code == op.BR_IF:
            self.br_if(ins[1])
            return False
        if code == op.BR:
            self.branch(ins[1])
            return True
        if code == op.ELSE:
            self.do_else(not self._consume_dead())
            return False
        if code == op.END:
            reach = not self._consume_dead()
            if self.ctrl[-1].kind != -1:
                # Code after a construct whose end nothing reaches is translated all the
                # same (never run): block numbers must stay the lowerer's and prescan's.
                self.do_end(reach)
                return False
            return not self.do_end(reach)
        if code == op.RETURN:
            self.do_return()
            return True
        if code == op.BR_TABLE:
            self.br_table(ins[1], ins[2])
            return True
        if code == op.CALL:
            self.call(ins[1])
            return False
        if code == op.CALL_INDIRECT:
            self.call_indirect(ins[1], ins[2])
            return False
        if code == op.UNREACHABLE:
            self.before_effect(0)
            self.emit("raise Trap('unreachable')")
            return True
        if code == op.NOP:
            return False
        if code == op.DROP:
            v = self.pop()
            if v.imp:
                self.before_effect(0)
                self.emit(self.par(v))
            return False
        if code == op.SELECT or code == op.SELECT_T:
            c = self.pop()
            b = self.pop()
            a = self.pop()
            if a.imp or b.imp:
                stk.extend((a, b))
                self.flush_impure(len(stk))
                b = stk.pop()
                a = stk.pop()
            canon = (a.canon and not a.cond) and (b.canon and not b.cond)
            e = f"{self.ival(a)} if ({self.cond(c)}) else {self.ival(b)}"
            self.push(
                _V(e, a.t, canon, max(a.mag, b.mag), c.imp, a.locs | b.locs | c.locs,
                   False, max(a.depth, b.depth, c.depth) + 1)
            )  # fmt: skip
            return False
        if code == op.GLOBAL_GET:
            g = self.use(f"g{ins[1]}")
            t = self.global_type(ins[1])
            self.push(_V(f"{g}.value", t, imp=True, depth=0))
            return False
        if code == op.GLOBAL_SET:
            v = self.pop()
            self.before_effect(0)
            g = self.use(f"g{ins[1]}")
            for i, s in enumerate(stk):
                if s.e.startswith(f"{g}.") or f"{g}." in s.e:
                    self.spill(i)
            self.emit(f"{g}.value = {self.cexpr(v)}")
            return False
        if code == op.MEMORY_SIZE:
            self.push(_V(f"len({self.use('mem')}) >> 16", I32, imp=True, depth=1))
            return False
        if code == op.MEMORY_GROW:
            v = self.pop()
            self.before_effect(0)
            t = self.temp()
            self.emit(f"{t} = {self.use('MEM')}.grow({self.cexpr(v)}) & {M32}", call=True)
            stk.append(_V(t, I32))
            return False
        if code in numerics.BY_CODE:
            self.numeric(code)
            return False
        self.other(ins, code)
        return False

    def _consume_dead(self) -> bool:
        d = self._dead_exit
        self._dead_exit = False
        return d

    def global_type(self, g: int) -> int:
        imported = self.module.imported(3)
        if g < len(imported):
            return imported[g].desc.valtype  # type: ignore[union-attr]
        return self.module.globals[g - len(imported)].type.valtype

    def addr(self, a: _V, off: int) -> str:
        base = self.cexpr(a) if not a.cond else f"(1 if {a.e} else 0)"
        if a.e.isdigit():
            return str(int(a.e) + off)
        if off:
            return f"{self.cval(a)} + {off}"
        return base

    def load(self, ins: tuple, code: int) -> None:
        t, kind, helper, sbits = _LOAD[code]
        a = self.pop()
        off = ins[2]
        ad = self.addr(a, off)
        mem = self.use("mem")
        d = a.depth + 2
        if kind == "b8":
            v = _V(f"{mem}[{ad}]", t, True, 0, True, a.locs, False, d)
        elif kind == "b8s":
            v = _V(f"({mem}[{ad}] ^ 128) - 128", t, False, 8, True, a.locs, False, d + 1)
        elif kind == "f32":
            v = _V(f"ld_f32({mem}, {ad})", t, True, 0, True, a.locs, False, d)
        else:
            canon = sbits == 0
            v = _V(f"{helper}({mem}, {ad})[0]", t, canon, sbits or 0, True, a.locs, False, d)
        self.push(v)

    def store(self, ins: tuple, code: int) -> None:
        helper, mask = _STORE[code]
        v = self.pop()
        a = self.pop()
        if a.imp and v.imp:
            self.stk.append(a)
            self.spill(len(self.stk) - 1)
            a = self.stk.pop()
        self.before_effect(0)
        off = ins[2]
        ad = self.addr(a, off)
        mem = self.use("mem")
        if mask is None:
            val = self.ival(v) if v.t == F64 or v.t == F32 else self.cval(v)
        elif v.cond:
            val = f"(1 if {v.e} else 0)"
        elif mask == _MASK.get(v.t) and v.canon:
            val = v.e
        elif v.e.isdigit():
            val = str(int(v.e) & mask)
        else:
            val = f"{self.par(v)} & {mask}"
        if helper is None:
            self.emit(f"{mem}[{ad}] = {val}")
        else:
            self.emit(f"{helper}({mem}, {ad}, {val})")

    def args_for(self, n: int) -> list[str]:
        """Pop `n` call arguments, made pure (impure ones assigned to temporaries first)."""
        self.flush_impure(len(self.stk))
        vals = self.pops(n)
        return [self.cexpr(v) for v in vals]

    def finish_call(self, expr: str, results: tuple) -> None:
        if not results:
            self.emit(expr, call=True)
        elif len(results) == 1:
            t = self.temp()
            self.emit(f"{t} = {expr}", call=True)
            self.stk.append(_V(t, results[0]))
        else:
            ts = [self.temp() for _ in results]
            self.emit(", ".join(ts) + f" = {expr}", call=True)
            for t, rt in zip(ts, results, strict=True):
                self.stk.append(_V(t, rt))

    def call(self, fidx: int) -> None:
        ft = self.module.func_type(fidx)
        args = self.args_for(len(ft.params))
        f = self.use(f"f{fidx}")
        self.finish_call(f"{f}({', '.join(args)})", ft.results)

    def call_indirect(self, tidx: int, table: int) -> None:
        ft = self.module.types[tidx]
        iv = self.pop()
        self.stk.append(iv)
        self.flush_impure(len(self.stk))
        iv = self.stk.pop()
        args = self.args_for(len(ft.params))
        tb = self.use(f"tb{table}")
        ty = self.use(f"ty{tidx}")
        ic = self.use("ic")
        i = self.temp()
        fv = self.temp()
        self.emit(f"{i} = {self.cexpr(iv)}")
        self.emit(f"if {i} >= len({tb}): raise Trap('undefined element ' + str({i}))")
        self.emit(f"{fv} = {tb}[{i}]")
        self.emit(f"if {fv} is None: raise Trap('uninitialized element ' + str({i}))")
        self.emit(
            f"if {fv}.type is not {ty} and {fv}.type != {ty}: "
            "raise Trap('indirect call type mismatch')"
        )
        self.finish_call(f"({ic}.get({fv}) or {ic}_miss({fv}))({', '.join(args)})", ft.results)
        self.use("ic_miss")

    # -- numerics --
    def numeric(self, code: int) -> None:
        o = op.BY_CODE[code]
        name = o.name
        prefix, _, opn = name.partition(".")
        params, results = o.sig  # type: ignore[misc]
        rt = results[0]
        if len(params) == 2:
            b = self.pop()
            a = self.pop()
            if (
                prefix in ("i32", "i64")
                and params[0] == rt
                or (prefix in ("i32", "i64") and opn in _ICMP_OPS)
            ):
                if self.int_binary(prefix, opn, a, b):
                    return
            elif prefix in ("f32", "f64") and opn in _FCMP_OPS:
                e = f"{self.par(a)} {_FCMP_OPS[opn]} {self.par(b)}"
                self.push(
                    _V(e, I32, True, 1, a.imp or b.imp, a.locs | b.locs, True,
                       max(a.depth, b.depth) + 1)
                )  # fmt: skip
                return
            elif prefix == "f64" and opn in ("add", "sub", "mul"):
                sym = {"add": "+", "sub": "-", "mul": "*"}[opn]
                e = f"{self.par(a)} {sym} {self.par(b)}"
                self.push(
                    _V(e, F64, True, 0, a.imp or b.imp, a.locs | b.locs, False,
                       max(a.depth, b.depth) + 1)
                )  # fmt: skip
                return
            self.helper(name, [a, b], rt)
            return
        a = self.pop()
        if self.unary_inline(name, a, rt):
            return
        self.helper(name, [a], rt)

    def helper(self, name: str, args: list[_V], rt: int) -> None:
        fn = name.replace(".", "_")
        imp = any(x in fn for x in _TRAPPING) and "sat" not in fn
        e = f"{fn}({', '.join(self.cexpr(v) for v in args)})"
        locs = _EMPTY
        for v in args:
            locs = locs | v.locs
        self.push(
            _V(e, rt, True, 0, imp or any(v.imp for v in args), locs, False,
               max(v.depth for v in args) + 1)
        )  # fmt: skip

    def int_binary(self, prefix: str, opn: str, a: _V, b: _V) -> bool:
        t = I32 if prefix == "i32" else I64
        bits = _BITS[t]
        mask = _MASK[t]
        sign = _SIGN[t]
        imp = a.imp or b.imp
        locs = a.locs | b.locs
        depth = max(a.depth, b.depth) + 1
        if opn in _ICMP_OPS:
            if opn in ("lt_u", "ge_u", "le_u", "gt_u") and a.lin and b.e.isdigit():
                # (x - c) mod 2**N < k, the compiled form of c <= x < c + k.
                x, c0 = a.lin
                k = int(b.e) + (1 if opn in ("le_u", "gt_u") else 0)
                if 0 < c0 and c0 + k <= mask + 1 and k > 0:
                    rng = f"{c0} <= {x} < {c0 + k}"
                    if opn in ("lt_u", "le_u"):
                        v = _V(rng, I32, True, 1, imp, locs, True, depth + 1)
                        v.ne = f"not ({rng})"
                    else:
                        v = _V(f"not ({rng})", I32, True, 1, imp, locs, True, depth + 2)
                        v.ne = rng
                    self.push(v)
                    return True
            if opn.endswith("_s"):
                ea = self.signed(a, sign)
                eb = self.signed(b, sign)
            else:
                ea, eb = self.cval(a), self.cval(b)
            sym = _ICMP_OPS[opn]
            v = _V(f"{ea} {sym} {eb}", I32, True, 1, imp, locs, True, depth + 1)
            v.ne = f"{ea} {_NEG_CMP[sym]} {eb}"
            self.push(v)
            return True
        if opn in ("add", "sub"):
            if b.e == "0":
                self.push(a)
                return True
            sym = "+" if opn == "add" else "-"
            ea = self.ival(a)
            lin = None
            if b.e.isdigit() and opn == "add" and int(b.e) > (mask >> 1):
                # x + big constant == x - (2**N - big) mod 2**N: smaller numbers.
                e = f"{ea} - {(mask + 1) - int(b.e)}"
                lin = (ea, (mask + 1) - int(b.e))
            else:
                e = f"{ea} {sym} {self.ival(b)}"
                if opn == "sub" and b.e.isdigit():
                    lin = (ea, int(b.e))
            mag = max(a.mag, b.mag) + 1
            self.push_int(e, t, mag, imp, locs, depth)
            if lin is not None and a.canon and not a.cond and not self.stk[-1].canon:
                self.stk[-1].lin = lin
            return True
        if opn == "mul":
            if a.mag > bits:
                a = self.canon_v(a)
            if b.mag > bits:
                b = self.canon_v(b)
            e = f"{self.ival(a)} * {self.ival(b)}"
            self.push_int(e, t, a.mag + b.mag, imp, locs, depth)
            return True
        if opn in ("and", "or", "xor"):
            sym = {"and": "&", "or": "|", "xor": "^"}[opn]
            ca = a.canon or a.cond
            cb = b.canon or b.cond
            canon = (ca or cb) if opn == "and" else (ca and cb)
            e = f"{self.ival(a)} {sym} {self.ival(b)}"
            both_cond = a.cond and b.cond and opn != "xor"
            if both_cond:
                # Booleans combine as booleans with & and |.
                self.push(_V(f"{self.par(a)} {sym} {self.par(b)}", I32, True, 1, imp, locs,
                             True, depth))  # fmt: skip
                return True
            v = _V(e, t, canon, max(a.mag, b.mag), imp, locs, False, depth)
            self.push(v)
            return True
        if opn == "shl":
            if b.e.isdigit():
                k = int(b.e) & (bits - 1)
                if k == 0:
                    self.push(a)
                    return True
                e = f"{self.ival(a)} << {k}"
                self.push_int(e, t, a.mag + k, imp, a.locs, depth)
            else:
                e = f"{self.ival(a)} << ({self.ival(b)} & {bits - 1})"
                self.push_int(e, t, a.mag + bits, imp, locs, depth + 1)
            return True
        if opn == "shr_u":
            if b.e.isdigit():
                k = int(b.e) & (bits - 1)
                e = f"{self.cval(a)} >> {k}" if k else self.cexpr(a)
            else:
                e = f"{self.cval(a)} >> ({self.ival(b)} & {bits - 1})"
            self.push(_V(e, t, True, 0, imp, locs, False, depth + 1))
            return True
        if opn == "shr_s" and b.e.isdigit():
            k = int(b.e) & (bits - 1)
            if k == 0:
                self.push(a)
                return True
            e = f"(({self.cval(a)} ^ {sign}) >> {k}) - {sign >> k}"
            self.push_int(e, t, bits, imp, locs, depth + 2)
            return True
        if opn in ("div_u", "rem_u"):
            sym = "//" if opn == "div_u" else "%"
            e = f"{self.cval(a)} {sym} {self.cval(b)}"
            trap = not (b.e.isdigit() and int(b.e) != 0)
            self.push(_V(e, t, True, 0, imp or trap, locs, False, depth + 1))
            return True
        return False

    def push_int(self, e: str, t: int, mag: int, imp: bool, locs: frozenset, depth: int) -> None:
        if mag > 2 * _BITS[t] + 32:
            self.push(_V(f"({e}) & {_MASK[t]}", t, True, 0, imp, locs, False, depth + 1))
        else:
            self.push(_V(e, t, False, mag, imp, locs, False, depth))

    def signed(self, v: _V, sign: int) -> str:
        if v.e.isdigit():
            return str(int(v.e) ^ sign)
        return f"({self.cval(v)} ^ {sign})"

    def unary_inline(self, name: str, a: _V, rt: int) -> bool:
        t = a.t
        if name in ("i32.eqz", "i64.eqz"):
            if a.cond:
                v = _V(self.ncond(a), I32, True, 1, a.imp, a.locs, True, a.depth + 1)
                v.ne = a.e
            else:
                v = _V(f"{self.cval(a)} == 0", I32, True, 1, a.imp, a.locs, True, a.depth + 1)
                v.ne = f"{self.cval(a)} != 0"
            self.push(v)
            return True
        if name == "i32.wrap_i64":
            if a.canon and a.mag <= 32:
                self.push(_V(a.e, I32, True, 0, a.imp, a.locs, a.cond, a.depth))
            else:
                e = f"{self.ival(a)} & {M32}"
                self.push(_V(e, I32, True, 0, a.imp, a.locs, False, a.depth + 1))
            return True
        if name == "i64.extend_i32_u":
            v = self.canon_v(a)
            self.push(_V(v.e, I64, True, 0, v.imp, v.locs, False, v.depth))
            return True
        if name == "i64.extend_i32_s":
            e = f"({self.cval(a)} ^ {1 << 31}) - {1 << 31}"
            self.push(_V(e, I64, False, 32, a.imp, a.locs, False, a.depth + 2))
            return True
        if name in ("i32.extend8_s", "i64.extend8_s", "i32.extend16_s", "i64.extend16_s",
                    "i64.extend32_s"):  # fmt: skip
            n = int(name.split("extend")[1][:-2])
            m = (1 << n) - 1
            s = 1 << (n - 1)
            e = f"(({self.ival(a)} & {m}) ^ {s}) - {s}"
            self.push(_V(e, t, False, n, a.imp, a.locs, False, a.depth + 2))
            return True
        if name in ("i32.clz", "i64.clz"):
            bits = _BITS[t]
            if a.e.isdigit():
                self.push(_V(str(bits - (int(a.e) & _MASK[t]).bit_length()), t))
                return True
            e = f"{bits} - {self.cval(a)}.bit_length()"
            self.push(_V(e, t, True, 0, a.imp, a.locs, False, a.depth + 1))
            return True
        if name in ("f64.convert_i32_u", "f64.convert_i64_u"):
            e = f"float({self.cexpr(a)})"
            self.push(_V(e, F64, True, 0, a.imp, a.locs, False, a.depth + 1))
            return True
        if name in ("f64.convert_i32_s", "f64.convert_i64_s"):
            sign = _SIGN[t]
            e = f"float(({self.cval(a)} ^ {sign}) - {sign})"
            self.push(_V(e, F64, True, 0, a.imp, a.locs, False, a.depth + 2))
            return True
        return False

    def other(self, ins: tuple, code: int) -> None:
        stk = self.stk
        if code == op.REF_NULL:
            self.push(_V("None", ins[1]))
            return
        if code == op.REF_IS_NULL:
            a = self.pop()
            self.push(_V(f"{self.par(a)} is None", I32, True, 1, a.imp, a.locs, True, a.depth + 1))
            return
        if code == op.REF_FUNC:
            self.push(_V(f"{self.use('funcs')}[{ins[1]}]", 0x70, depth=1))
            return
        # Table and bulk-memory instructions: helpers with their own bounds checks.
        if code == op.TABLE_GET:
            a = self.pop()
            self.before_effect(0)
            t = self.temp()
            self.emit(f"{t} = table_get({self.use(f'tb{ins[1]}')}, {self.cexpr(a)})")
            stk.append(_V(t, self.module_table_type(ins[1])))
            return
        if code == op.TABLE_SET:
            v = self.pop()
            a = self.pop()
            self.before_effect(0)
            tb = self.use(f"tb{ins[1]}")
            self.emit(f"table_set({tb}, {self.cexpr(a)}, {self.cexpr(v)})")
            return
        if code == op.TABLE_SIZE:
            self.push(_V(f"len({self.use(f'tb{ins[1]}')})", I32, imp=True, depth=1))
            return
        inst = self.use("inst")
        if code == op.TABLE_GROW:
            n = self.pop()
            v = self.pop()
            self.before_effect(0)
            t = self.temp()
            self.emit(
                f"{t} = {inst}.tables[{ins[1]}].grow({self.cexpr(n)}, {self.cexpr(v)}) & {M32}"
            )
            stk.append(_V(t, I32))
            return
        if code in (
            op.TABLE_FILL,
            op.TABLE_COPY,
            op.TABLE_INIT,
            op.MEMORY_INIT,
            op.MEMORY_COPY,
            op.MEMORY_FILL,
        ):
            c = self.pop()
            b = self.pop()
            a = self.pop()
            self.before_effect(0)
            args = f"{self.cexpr(a)}, {self.cexpr(b)}, {self.cexpr(c)}"
            if code == op.TABLE_FILL:
                self.emit(f"table_fill({inst}, {ins[1]}, {args})")
            elif code == op.TABLE_COPY:
                self.emit(f"table_copy({inst}, {ins[1]}, {ins[2]}, {args})")
            elif code == op.TABLE_INIT:
                self.emit(f"table_init({inst}, {ins[2]}, {ins[1]}, {args})")
            elif code == op.MEMORY_INIT:
                self.emit(f"memory_init({inst}, {ins[1]}, {args})")
            elif code == op.MEMORY_COPY:
                self.emit(f"memory_copy({inst}, {args})")
            else:
                self.emit(f"memory_fill({inst}, {args})")
            return
        if code == op.ELEM_DROP:
            self.emit(f"{inst}.elems[{ins[1]}] = []")
            return
        if code == op.DATA_DROP:
            self.emit(f"{inst}.datas[{ins[1]}] = b''")
            return
        raise TranslateError(f"cannot translate opcode 0x{code:x}")

    def module_table_type(self, x: int) -> int:
        imported = self.module.imported(1)
        if x < len(imported):
            return imported[x].desc.elem  # type: ignore[union-attr]
        return self.module.tables[x - len(imported)].elem


# Leaves of the flat form's dispatch tree: at most this many block ids tested in a row.
FLAT_LEAF = 4
# Constructs with no branch out of them stay structured inside the flat form when their
# structured code needs at most this many indentation levels (estimated).
MAX_REGION_NEST = 40


class _FlatTranslator(_Translator):
    """The flat form, for functions whose structured form Python cannot nest.

    Every branch target (a loop head, a targeted block end, an `else`) starts a basic
    block with its own id; the body is one `while True:` whose `if _b < k:` tree finds
    the block to run, and a branch is `_b = k; continue`.  Python nesting is then the
    depth of that tree plus one `if` for a br_if, whatever the Wasm nesting.  A block
    that nothing branches to costs nothing: its body continues the current basic block.
    Values crossing a label live in the same variables as in the structured form
    (results `r`, loop params `v`, temporaries spilled when a construct opens).
    On-stack replacement is an entry with `_b` set to the loop's block.

    A construct that Python can nest (a `region`: an inner loop, an if/else, a small
    block) is translated by the structured translator inside its basic block, so hot
    inner loops keep their `while`/`break` speed; a branch from a region to a label
    outside sets `_b` and leaves the region's Python loops with `_p = 1` (see
    `close_pyloop`), then the dispatch loop goes on.
    """

    def __init__(
        self,
        module: Module,
        defined: int,
        metered: bool,
        osr_block: int | None,
        regions: bool = True,
    ):
        super().__init__(module, defined, metered, osr_block)
        self.max_ind = MAX_INDENT - 20  # room for the dispatch tree (<= 15 levels)
        self.bbs: dict[int, tuple[list[str], list[int]]] = {}
        self.nlabels = 0
        self.osr_label: int | None = None
        self.use_regions = regions
        self.regions: set[int] = set()
        self.region_at: int | None = None  # len(self.ctrl) below the open region's root

    def find_regions(self, exclude: set[int]) -> set[int]:
        """Blocks whose structured form nests few enough Python loops and statements
        (see the prescan's `wrap`) to sit inside the dispatch loop and tree."""
        # frame: [kind, idx, Python loops, indentation, br_ifs to itself]
        stack: list[list] = [[-1, -1, 0, 0, 0]]
        out: set[int] = set()
        nblock = 0
        dead = False
        skip = 0
        for ins in self.func.body:
            code = ins[0]
            if dead:
                skip = op.skip_unreachable(code, skip)
                if skip is not None:
                    continue
                dead, skip = False, 0
            if code in (op.BLOCK, op.LOOP, op.IF):
                stack.append([code, nblock, 0, 0, 0])
                nblock += 1
            elif code == op.END:
                f = stack.pop()
                if not stack:
                    break
                own = 1 if f[0] == op.LOOP or self.wrap.get(f[1], True) else 0
                loops = f[2] + own
                nest = f[3] + 2 + (0 if own else f[4])  # `while`/`if`, `if not c:` nests
                fits = loops <= MAX_PY_LOOPS - 2  # inside the dispatch loop
                if fits and nest <= MAX_REGION_NEST and f[1] not in exclude:
                    out.add(f[1])
                p = stack[-1]
                p[2] = max(p[2], loops)
                p[3] = max(p[3], nest)
            elif code in (op.BR, op.BR_IF, op.BR_TABLE):
                top = stack[-1]
                if code == op.BR_IF and ins[1] == 0:
                    top[4] += 1
                if code == op.BR_TABLE:
                    top[2] = max(top[2], 1)  # its dispatch loop
                dead = code != op.BR_IF
            elif code in (op.RETURN, op.UNREACHABLE):
                dead = True
        return out

    def new_label(self) -> int:
        self.nlabels += 1
        return self.nlabels - 1

    def start_bb(self, label: int) -> None:
        self.lines = []
        self.call_lines = []
        self.ind = 0
        self.bbs[label] = (self.lines, self.call_lines)

    def run(self) -> Translation:
        if len(self.func.body) > MAX_BODY:
            raise TranslateError("function too large")
        osr = self.osr_block is not None
        if osr:
            name = f"w{self.index}_osr{self.osr_block}"
            params = ", ".join(f"l{i}" for i in range(len(self.local_types)))
        else:
            name = f"w{self.index}"
            params = ", ".join(f"l{i}" for i in range(len(self.ftype.params)))
        if self.use_regions:
            self.wrap, ancestors = self.prescan()
            exclude = {*ancestors, self.osr_block} if osr else set()
            self.regions = self.find_regions(exclude)  # type: ignore[arg-type]
        self.ancestors = set()
        self.osr_active = False
        self.ctrl.append(_Ctl(-1, -1, (), self.ftype.results))
        self.start_bb(self.new_label())
        if not osr:
            self.fuel_check()
        self.walk()
        if osr and self.osr_label is None:
            raise TranslateError("no such block")
        if len(self.bbs) != self.nlabels or not all(b[0] for b in self.bbs.values()):
            raise TranslateError("internal: a basic block is missing")  # pragma: no cover
        pre = ["_p = 0"] if self.uses_p else []
        if self.nlabels == 1:  # nothing branches: straight-line code
            lines, calls = self.bbs[0]
            return self.assemble(name, params, pre, lines, calls)
        out = ["while True:"]
        calls: list[int] = []
        self.dispatch(sorted(self.bbs), 1, out, calls)
        start = self.osr_label if osr else 0
        return self.assemble(name, params, [f"_b = {start}", *pre], out, calls)

    def dispatch(self, ids: list[int], ind: int, out: list[str], calls: list[int]) -> None:
        """The binary `if _b < k:` tree over basic blocks `ids` (sorted)."""
        pad = "    " * ind
        if len(ids) > FLAT_LEAF:
            half = len(ids) // 2
            out.append(f"{pad}if _b < {ids[half]}:")
            self.dispatch(ids[:half], ind + 1, out, calls)
            out.append(f"{pad}else:")
            self.dispatch(ids[half:], ind + 1, out, calls)
            return
        for k, i in enumerate(ids):
            inner = pad
            if len(ids) > 1:
                if k == len(ids) - 1:
                    out.append(f"{pad}else:")
                else:
                    out.append(f"{pad}{'if' if k == 0 else 'elif'} _b == {i}:")
                inner = pad + "    "
            lines, cl = self.bbs[i]
            base = len(out)
            out.extend(inner + x for x in lines)
            calls.extend(base + n for n in cl)

    # -- control (inside a region: the structured translator's) --
    def open_block(self, ins: tuple, idx: int) -> None:
        if self.region_at is None and idx in self.regions:
            self.region_at = len(self.ctrl)
        if self.region_at is not None:
            super().open_block(ins, idx)
            return
        code = ins[0]
        ptypes, rtypes = _blocktype(self.module, ins[1])
        cond = self.pop() if code == op.IF else None
        self.before_effect(0)
        self.materialize_all()
        c = _Ctl(code, idx, ptypes, rtypes)
        c.flat = True
        c.height = len(self.stk) - len(ptypes)
        c.params = list(self.stk[c.height :])
        self.ctrl.append(c)
        c.rvars = self.new_vars(rtypes, "r")
        if code == op.LOOP:
            c.pvars = self.new_vars(ptypes, "v")
            if c.pvars:
                self.assign(c.pvars, self.pops(len(ptypes)))
                for n, t in zip(c.pvars, ptypes, strict=True):
                    self.stk.append(_V(n, t))
            c.label = self.new_label()
            self.emit(f"_b = {c.label}")
            self.start_bb(c.label)
            if idx == self.osr_block:
                self.osr_label = c.label
        elif code == op.IF:
            c.elabel = self.new_label()
            self.emit(f"if {self.ncond(cond)}:")  # type: ignore[arg-type]
            self.ind += 1
            self.emit(f"_b = {c.elabel}")
            self.emit("continue")
            self.ind -= 1

    def fall_results(self, c: _Ctl, reachable: bool) -> None:
        if reachable:
            vals = self.pops(len(c.rtypes))
            if c.rvars:
                self.before_effect(len(vals))
                self.assign(c.rvars, vals)

    def end_label(self, c: _Ctl) -> int:
        if c.label is None:
            c.label = self.new_label()
        return c.label

    def do_else(self, reachable: bool) -> None:
        if self.region_at is not None:
            super().do_else(reachable)
            return
        c = self.ctrl[-1]
        self.fall_results(c, reachable)
        if reachable:
            self.emit(f"_b = {self.end_label(c)}")
        self.start_bb(c.elabel)
        c.else_seen = True
        del self.stk[c.height :]
        self.stk.extend(c.params)

    def do_end(self, reachable: bool) -> bool:
        if self.region_at is not None:
            after = super().do_end(reachable)
            if len(self.ctrl) <= self.region_at:
                self.region_at = None
            return after
        c = self.ctrl.pop()
        if c.kind == -1:
            if reachable:
                self.do_return()
            return False
        self.fall_results(c, reachable)
        after = reachable
        if c.kind == op.IF and not c.else_seen:
            if c.label is None and not c.rtypes:
                c.label = c.elabel  # the missing else goes straight to the end
            else:
                if reachable:
                    self.emit(f"_b = {self.end_label(c)}")
                self.start_bb(c.elabel)
                self.assign(c.rvars, c.params)  # the implicit else passes params through
                reachable = True
        if c.kind != op.LOOP and c.label is not None:
            if reachable:
                self.emit(f"_b = {c.label}")
            self.start_bb(c.label)
            after = True
        del self.stk[c.height :]
        for n, t in zip(c.rvars, c.rtypes, strict=True):
            self.stk.append(_V(n, t))
        return after

    def jump(self, c: _Ctl) -> None:
        if not c.flat:
            super().jump(c)
            return
        if c.kind == op.LOOP:
            self.fuel_check()
        self.emit(f"_b = {self.end_label(c)}")
        if self.pyloops:  # out of a region's Python loops first (see close_pyloop)
            self.uses_p = True
            self.emit("_p = 1")
            self.emit("break")
            self.pyloops[-1].pend.add(1)
        else:
            self.emit("continue")

    def close_pyloop(self) -> None:
        """As the structured translator's, plus code 1 after a region's outermost loop:
        a branch out of the region, `_b` set: on to the dispatch loop."""
        pl = self.pyloops[-1]
        if pl.depth == 1 and 1 in pl.pend:
            pl.pend.discard(1)
            self.ind -= 1
            self.emit("if _p == 1:")
            self.emit("    _p = 0")
            self.emit("    continue")
            self.ind += 1
        super().close_pyloop()

    def br_if(self, depth: int) -> None:
        c = self.ctrl[-1 - depth]
        if c.kind == -1 or not c.flat:
            super().br_if(depth)
            return
        cv = self.pop()
        names = self.label_vars(c)
        n = len(names)
        self.before_effect(n)
        for i in range(len(self.stk) - n, len(self.stk)):
            self.spill(i)
        vals = self.stk[len(self.stk) - n :] if n else []
        self.emit(f"if {self.cond(cv)}:")
        self.ind += 1
        self.assign(names, vals)
        self.jump(c)
        self.ind -= 1

    def br_table_simple(self, idx: str, ctls: list[_Ctl]) -> None:
        if self.region_at is not None:
            if any(c.flat for c in ctls):  # out of the region: one test per target
                depths = tuple(len(self.ctrl) - 1 - self.ctrl.index(c) for c in ctls)
                self.br_table_values(idx, depths, ctls)
            else:
                super().br_table_simple(idx, ctls)
            return
        labels = [self.end_label(c) for c in ctls]
        t = self.temp()
        self.emit(f"{t} = {idx}")
        table = "(" + ", ".join(str(x) for x in labels[:-1]) + ",)"
        self.emit(f"_b = {table}[{t}] if {t} < {len(labels) - 1} else {labels[-1]}")
        loops = sorted({c.label for c in ctls if c.kind == op.LOOP})  # type: ignore[type-var]
        if self.metered and loops:
            self.emit(f"if _b in {tuple(loops)!r}:")
            self.ind += 1
            self.fuel_check()
            self.ind -= 1
        self.emit("continue")


# --- counted loops: a `for` over a range when a guard proves no wrap-around ---------

_RX_IV = re.compile(r"(l\d+) = \((?:\1 \+ (l\d+|\d+)|(l\d+|\d+) \+ \1)\) & 4294967295")
_RX_EXIT = re.compile(r"if (l\d+|\d+) (>=|<=|==) (l\d+|\d+): break")
_RX_ACC = re.compile(r"(l\d+) = \(\1 \+ (.+)\) & 18446744073709551615")
# Loops longer than this (lines) are left alone: both versions are emitted.
MAX_VERSIONED_BODY = 150


def _assigns(name: str) -> re.Pattern:
    """Any statement that may rebind local `name`."""
    return re.compile(
        rf"(?<![\w.])(?:{name}\s*(?:[-+*/%&|^@]|//|<<|>>|\*\*)?=(?!=)|{name}\s*:=|for\s+{name}\b)"
        rf"|(?m:^[ \w,]*(?<![\w.]){name}\b[ \w,]*=(?!=))"  # `a, name = ...`
    )


def _one_cond(e: str) -> bool:
    """`e` is exactly `(1 if C else 0)` with a single conditional (its value is 0 or 1)."""
    if not (e.startswith("(1 if ") and e.endswith(" else 0)")):
        return False
    depth = 0
    for k, ch in enumerate(e):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and k != len(e) - 1:
            return False
    return e.count(" if ") == 1 and e.count(" else ") == 1


def _version_loops(lines: list[str], calls: list[int]) -> tuple[list[str], list[int]]:
    """Counted `while True:` loops also get a fast `for ... in range(...)` version.

    Why: C's `for (i = a; i < n; i += c)` compiles to a Wasm loop whose counter is
    masked (`i = (i + c) & 0xFFFFFFFF`) and tested each round, whose addresses
    `(base + i) & 0xFFFFFFFF` are masked, and whose pointers and 64-bit counters are
    masked too.  A guard checked once at loop entry proves that no mask in the loop
    can change a value, so that version runs as a `for` over `range(i, n, c)`
    without them; otherwise the original loop runs.  Only loops whose counter step
    is the last statement before the exit test, with no `continue` and no calls in
    the body (call lines are numbered for the trap handler), are versioned; a loop
    left by `break` keeps its counter, one that runs out sets it to the exit value
    (`for`'s `else`).
    """
    out = list(lines)
    callset = sorted(calls)
    starts = [i for i, ln in enumerate(out) if ln.strip() == "while True:"]
    for s in reversed(starts):
        head = out[s]
        ind = head[: len(head) - len(head.lstrip())]
        e = s + 1
        while e < len(out) and (out[e].startswith(ind + "    ") or not out[e].strip()):
            e += 1
        if any(s + 1 <= n - 1 < e for n in callset):
            continue
        new = _version_one(ind, out[s:e], _enclosing_blocks(out, s))
        if new is None:
            continue
        delta = len(new) - (e - s)
        out[s:e] = new
        callset = [n + delta if n - 1 >= e else n for n in callset]
    return out, callset


def _enclosing_blocks(lines: list[str], s: int) -> int:
    """Python blocks (loops, try) around line `s`: CPython nests at most 20."""
    level = len(lines[s]) - len(lines[s].lstrip())
    n = 0
    for k in range(s - 1, -1, -1):
        ln = lines[k]
        lv = len(ln) - len(ln.lstrip())
        if ln.strip() and lv < level:
            level = lv
            n += ln.lstrip().startswith(("while ", "for ", "try:", "with "))
    return n


_RX_TOK = r"(?:l\d+|\d+)"
_RX_LDF64 = re.compile(rf"ld_f64\(mem, ({_RX_TOK}(?: \+ {_RX_TOK})?)\)\[0\]")
_RX_STF64 = re.compile(rf"st_f64\(mem, ({_RX_TOK}(?: \+ {_RX_TOK})?), (.+)\)")
# Python blocks a versioned loop with an f64 view may sit in (CPython's limit is 20;
# the function's own `try`, the `try` and the `for` of the view come on top).
MAX_VIEW_NEST = 16


def _f64_view(
    inner: str, fast: list[str], rest_text: str, guard: list[str], iv: str, step: str,
    derived: dict[str, int], assigned: Callable[[str], bool],
) -> tuple[list[str], list[str], list[str]] | None:  # fmt: skip
    """The fast body with aligned f64 loads/stores on a 'd' view of memory, or None.

    Why: `ld_f64(mem, a)[0]` is a call and a tuple per access; `_md[a >> 3]` on a
    memoryview cast to doubles is an index.  Only addresses proven 8-aligned by the
    entry guard are rewritten (sums of aligned invariants, aligned counters stepped by
    multiples of 8, and locals set once per round to such sums before any use); a
    misaligned or out-of-bounds address still traps as before (index past the end).
    """
    aligned: dict[str, str | None] = {}  # name -> guard term (None: nothing to check)

    def is_aligned(tok: str) -> bool:
        if tok.isdigit():
            return int(tok) % 8 == 0
        if tok in aligned:
            return True
        if tok == iv:
            ok = step.isdigit() and int(step) % 8 == 0
        elif tok in derived:
            ok = derived[tok] % 8 == 0
        else:
            ok = not assigned(tok)
        if ok:
            aligned[tok] = f"{tok} & 7 == 0"
        return ok

    # Locals set once, unconditionally, to an aligned sum before any use in the round.
    for k, ln in enumerate(fast):
        mm = re.fullmatch(rf"(l\d+) = ({_RX_TOK})(?: \+ ({_RX_TOK}))?", ln.strip())
        if not mm or not ln.startswith(inner) or ln[len(inner)] == " ":
            continue
        x = mm.group(1)
        if x in derived or x == iv or len(_assigns(x).findall(rest_text)) != 1:
            continue
        if any(re.search(rf"\b{x}\b", other) for other in fast[:k]):
            continue
        if all(is_aligned(t) for t in mm.groups()[1:] if t is not None and t != x):
            aligned[x] = None

    def addr_ok(a: str) -> bool:
        return all(is_aligned(t.strip()) for t in a.split(" + "))

    def ld(mo: re.Match) -> str:
        a = mo.group(1)
        return f"_md[({a}) >> 3]" if addr_ok(a) else mo.group(0)

    out = []
    used = False
    for ln in fast:
        body = ln.lstrip()
        pad = ln[: len(ln) - len(body)]
        sm = _RX_STF64.fullmatch(body)
        if sm and addr_ok(sm.group(1)) and "st_f64(" not in sm.group(2):
            body = f"_md[({sm.group(1)}) >> 3] = {sm.group(2)}"
        new = pad + _RX_LDF64.sub(ld, body)
        used = used or new != ln
        out.append(new)
    if not used:
        return None
    guard += [g for g in aligned.values() if g is not None and g not in guard]
    return _predivide(inner, out, iv, derived, aligned)


_RX_MDADDR = re.compile(rf"_md\[\(({_RX_TOK}(?: \+ {_RX_TOK})?)\) >> 3\]")


def _predivide(
    inner: str, body: list[str], iv: str, derived: dict[str, int], aligned: dict[str, str | None]
) -> tuple[list[str], list[str], list[str]]:
    """The view body with aligned pointers kept in double-index space (`_q9 = l9 >> 3`).

    Why: `_md[(l9) >> 3]` pays a shift per access and `l9 = l9 + 16` a byte step; a
    pointer only ever used as an f64 address can live divided by 8 for the whole loop
    (the entry guard proved it aligned and in range), and the byte value is rebuilt
    once after the loop.  Returns (body, lines before the `for`, lines after it).
    """
    text = "\n".join(body)
    steps = {x: k for x, k in derived.items() if k % 8 == 0 and x in aligned}
    inv = {t for t, g in aligned.items() if g is not None and t not in derived and t != iv}
    once: dict[str, tuple[int, str]] = {}  # local set once per round -> (line, address)
    for k, ln in enumerate(body):
        mm = re.fullmatch(rf"(l\d+) = ({_RX_TOK}(?: \+ {_RX_TOK})?)", ln.strip())
        if mm and ln.startswith(inner) and ln[len(inner)] != " " and aligned.get(mm[1], 0) is None:
            if not re.search(rf"\b{mm[1]}\b", mm[2]):
                once[mm[1]] = (k, mm[2])
    conv = set(steps) | set(once)
    addrs = _RX_MDADDR.findall(text)
    while True:
        ok = inv | conv

        def fits(a: str) -> bool:
            return all(t.isdigit() or t in ok for t in a.split(" + "))  # noqa: B023

        drop = set()
        for x in conv:
            uses = len(re.findall(rf"(?<![\w.]){x}\b", text))
            own = 2 if x in steps else 1
            in_addr = sum(a.split(" + ").count(x) for a in addrs if fits(a))
            in_addr += sum(o[1].split(" + ").count(x) for y, o in once.items() if y in conv)
            if uses != own + in_addr or (x in once and not fits(once[x][1])):
                drop.add(x)
        if not drop:
            break
        conv -= drop
    ok = inv | conv

    def q(a: str) -> str | None:
        toks = a.split(" + ")
        if not all(t.isdigit() or t in ok for t in toks):
            return None
        return " + ".join(str(int(t) >> 3) if t.isdigit() else f"_q{t[1:]}" for t in toks)

    used: set[str] = set()

    def sub(mo: re.Match) -> str:
        r = q(mo[1])
        if r is None:
            return mo[0]
        used.update(t for t in mo[1].split(" + ") if not t.isdigit())
        return f"_md[{r}]"

    out = [_RX_MDADDR.sub(sub, ln) for ln in body]
    pre: list[str] = []
    post: list[str] = []
    for k, ln in enumerate(out):
        st = ln.strip()
        pad = ln[: len(ln) - len(ln.lstrip())]
        for x in conv:
            if x in steps and st == f"{x} = {x} + {steps[x]}":
                out[k] = f"{pad}_q{x[1:]} = _q{x[1:]} + {steps[x] >> 3}"
            elif x in once and k == once[x][0]:
                out[k] = f"{pad}_q{x[1:]} = {q(once[x][1])}"
    for x in sorted(used | conv):
        if x in steps:
            pre.append(f"_q{x[1:]} = {x} >> 3")
            post.append(f"{x} = _q{x[1:]} << 3")
        elif x in once:
            pre.append(f"_q{x[1:]} = -1")
            post.append(f"{x} = _q{x[1:]} << 3 if _q{x[1:]} >= 0 else {x}")
        else:
            pre.append(f"_q{x[1:]} = {x} >> 3")
    return out, pre, post


def _version_one(ind: str, loop: list[str], blocks: int = 0) -> list[str] | None:
    """The guarded two-version form of one `while True:` loop (its lines), or None."""
    inner = ind + "    "
    body = loop[1:]
    if len(body) < 3 or len(body) > MAX_VERSIONED_BODY:
        return None
    step_ln, exit_ln = body[-2], body[-1]
    for ln in (step_ln, exit_ln):
        if not ln.startswith(inner) or ln[len(inner)] == " ":
            return None
    m = _RX_IV.fullmatch(step_ln.strip())
    x = _RX_EXIT.fullmatch(exit_ln.strip())
    if not m or not x:
        return None
    iv, step = m.group(1), m.group(2) or m.group(3)
    a, cmp, b = x.groups()
    if cmp == "==" and iv in (a, b):
        bound = b if a == iv else a
    elif (cmp == ">=" and a == iv) or (cmp == "<=" and b == iv):
        bound = b if a == iv else a
    else:
        return None
    if iv in (bound, step) or step == "0":
        return None
    rest = body[:-2]
    text = "\n".join(rest)
    if re.search(r"\bcontinue\b|\b_osr\b|\byield\b|\b_n\b", text):
        return None

    def assigned(v: str) -> bool:
        return not v.isdigit() and bool(_assigns(v).search(text))

    if any(assigned(v) for v in (iv, bound, step)):
        return None
    if any(len(ln) - len(ln.lstrip()) > 4 * (MAX_INDENT + 4) for ln in rest):
        return None
    guard = [f"{iv} < {bound}"]
    if not step.isdigit():
        guard.insert(0, f"{step} > 0")
    if cmp == "==":
        trips = f"({bound} - {iv}) // {step}"
        if step != "1":
            guard.append(f"({bound} - {iv}) % {step} == 0")
    else:
        trips = f"({bound} - {iv} + {step} - 1) // {step}"
        guard.append(f"{bound} + {step} <= 4294967296")
    n_used = False
    fast = list(rest)

    # Derived counters: `p = (p + K) & mask` once per round at the top of the body.
    derived: dict[str, int] = {}
    for k, ln in enumerate(rest):
        dm = _RX_IV.fullmatch(ln.strip())
        if not dm or not ln.startswith(inner) or ln[len(inner)] == " ":
            continue
        p, kk = dm.group(1), dm.group(2) or dm.group(3)
        if p in (iv, bound, step) or not kk.isdigit() or p in derived:
            continue
        if len(_assigns(p).findall(text)) != 1:
            continue
        derived[p] = int(kk)
        fast[k] = f"{inner}{p} = {p} + {kk}"
        guard.append(f"{p} + _n * {kk} <= 4294967295")
        n_used = True

    # `(base + v) & mask` with an invariant base and v the counter or a derived one.
    bases: list[str] = []
    pat = re.compile(
        r"((?:[\[(]|, |(?<![=!<>])= ))\((?:(l\d+|\d+) \+ (l\d+)|(l\d+) \+ (l\d+|\d+))\) "
        r"& 4294967295(?=[\]),:]|$)"
    )

    def unmask(mo: re.Match) -> str:
        for base, v in ((mo.group(2), mo.group(3)), (mo.group(5), mo.group(4))):
            if base is None or (v != iv and v not in derived):
                continue
            if base == v or base in derived or assigned(base):
                continue
            if v == iv:
                g = f"{base} + {bound} <= 4294967296"
            else:
                g = f"{base} + {v} + _n * {derived[v]} <= 4294967295"
            if g not in bases:
                bases.append(g)
            return f"{mo.group(1)}{base} + {v}"
        return mo.group(0)

    fast = [pat.sub(unmask, ln) for ln in fast]
    if any(g.endswith("4294967295") and "_n" in g for g in bases):
        n_used = True

    # 64-bit accumulators `y = (y + e) & mask`, e a constant, a 0/1 condition or a
    # local only ever set to such values: at most `trips * sum(e)` added in the loop.
    if not re.search(r"\bwhile\b|\bfor\b", text):
        small: dict[str, int] = {}
        sets: dict[str, list[str]] = {}
        for ln in rest:
            for am in re.finditer(r"(?<![\w.])(l\d+) = (?!=)(.*)$", ln.strip()):
                sets.setdefault(am.group(1), []).append(am.group(2))
        for v, rhss in sets.items():
            vals = []
            for r in rhss:
                if r.isdigit():
                    vals.append(int(r))
                elif r.startswith("1 if ") and _one_cond(f"({r})"):
                    vals.append(1)
                else:
                    break
            else:
                if len(_assigns(v).findall(text)) == len(rhss):
                    small[v] = max(vals)
        accs: dict[str, int] = {}
        bad: set[str] = set()
        for ln in rest:
            am = _RX_ACC.fullmatch(ln.strip())
            if not am:
                continue
            y, ex = am.groups()
            if ex.isdigit():
                inc = int(ex)
            elif _one_cond(ex):
                inc = 1
            elif ex in small and ex != y:
                inc = small[ex]
                g = f"{ex} <= {inc}"
                if g not in guard:
                    guard.append(g)
            else:
                bad.add(y)
                continue
            accs[y] = accs.get(y, 0) + inc
        for y, total in accs.items():
            nsets = len(_assigns(y).findall(text))
            if (
                y in bad
                or y in small
                or nsets
                != sum(
                    1 for ln in rest if (am := _RX_ACC.fullmatch(ln.strip())) and am.group(1) == y
                )
            ):
                continue
            guard.append(f"{y} + _n * {total} <= 18446744073709551615")
            n_used = True
            rx = re.compile(rf"{y} = \({y} \+ (.+)\) & 18446744073709551615$")
            fast = [rx.sub(rf"{y} = {y} + \1", ln) for ln in fast]
    guard += bases
    viewed = None
    if (
        blocks <= MAX_VIEW_NEST
        and "ld_f64(mem" in text
        and not re.search(r"\bwhile\b|\bfor\b|\b_m[dv]\b", text)
    ):
        viewed = _f64_view(inner, fast, text, guard, iv, step, derived, assigned)
    pre: list[str] = []
    post: list[str] = []
    if viewed is not None:
        viewed, pre, post = viewed
    streams: list[tuple[str, str]] = []
    if viewed is None:
        fast, streams = _byte_streams(inner, fast, text, iv, bound, step, assigned, guard)
    fast, restore = _cond_adds(inner, fast)
    if n_used:
        # `_n`: how many rounds at most; after the cheap tests (no division by zero).
        k = next(i for i, g in enumerate(guard) if "_n" in g)
        guard[k] = guard[k].replace("_n", f"(_n := {trips})", 1)
    head = f"range({iv}, {bound}, {step})"
    if streams:
        head = f"zip({head}, {', '.join(sl for _, sl in streams)})"
        iv = ", ".join([iv] + [nm for nm, _ in streams])
    loop_ver = [
        f"for {iv} in {head}:",
        *("    " + ln[len(inner) :] if ln.strip() else ln for ln in (viewed or fast)),
        "else:",
        *("    " + ln for ln in restore),
        f"    {iv.split(',')[0]} = {iv.split(',')[0]} + {step}",
    ]
    if viewed is not None:
        # The view is released however the loop ends: a live export would make the
        # bytearray unresizable (memory.grow) while an exception's frame holds it.
        loop_ver = [
            "_mv = memoryview(mem)",
            '_md = _mv.cast("d")',
            "try:",
            *("    " + ln for ln in pre + loop_ver + post),
            "finally:",
            "    _md.release()",
            "    _mv.release()",
        ]
    return [
        f"{ind}if {' and '.join(guard)}:",
        *(inner + ln for ln in loop_ver),
        f"{ind}else:",
        *("    " + ln for ln in loop),
    ]


def _cond_adds(inner: str, fast: list[str]) -> tuple[list[str], list[str]]:
    """`x = 1 if C else 0` ... `y = y + x` in a fast body as `if C: y = y + 1`.

    Why: clang turns `if (c == '\\n') lines++` into a 0/1 flag added to the tally;
    in Python the flag costs a conditional expression, a store, a load and an add per
    round where a test and (sometimes) an add do.  Only when x is used nowhere else,
    nothing C reads changes between the two lines and the loop can't leave early: x's
    exit value is then rebuilt once, from the round's last C (returned for the `for`'s
    `else`, which runs before the counter's final step).
    """
    # `y = y + (1 if C else 0)` as `if C: y = y + 1` needs no condition: same test, same order.
    fast = list(fast)
    for k, ln in enumerate(fast):
        mm = re.fullmatch(r"(\s*)(l\d+) = \2 \+ (\(1 if .+ else 0\))", ln)
        if mm and _one_cond(mm[3]):
            fast[k] = f"{mm[1]}if {mm[3][6:-8]}: {mm[2]} = {mm[2]} + 1"
    text = "\n".join(fast)
    if re.search(r"\b(?:break|continue|return|raise)\b", text):
        return fast, []
    top = [k for k, ln in enumerate(fast) if ln.startswith(inner) and ln[len(inner)] != " "]
    defs: dict[str, list[tuple[int, int, str]]] = {}  # x -> [(def line, add line, C)]
    for k in top:
        mm = re.fullmatch(r"(l\d+) = (1 if (.+) else 0)", fast[k].strip())
        if not mm or not _one_cond(f"({mm[2]})") or re.search(rf"\b{mm[1]}\b", mm[3]):
            continue
        x, cond = mm[1], mm[3]
        if not re.fullmatch(r"[\w ()<>=!+\-*&|^]+", cond) or re.search(r"\w\(|\bmem\b", cond):
            continue  # C must be pure: no loads, calls, globals or division (traps)
        for j in range(k + 1, len(fast)):
            if re.search(rf"\b{x}\b", fast[j]):
                break
        else:
            continue
        am = re.fullmatch(rf"(l\d+) = \1 \+ {x}", fast[j].strip())
        if not am or j not in top:
            continue
        between = "\n".join(fast[k + 1 : j])
        names = set(re.findall(r"\b(?:l|_y)\d+\b", cond)) | {am[1]}
        if any(_assigns(v).search(between) for v in names):
            continue
        defs.setdefault(x, []).append((k, j, cond))
    out = list(fast)
    restore = []
    for x, pairs in defs.items():
        if len(re.findall(rf"\b{x}\b", text)) != 2 * len(pairs):
            continue
        k, j, cond = pairs[-1]
        after = "\n".join(fast[k + 1 :])
        if any(_assigns(v).search(after) for v in re.findall(r"\b(?:l|_y)\d+\b", cond)):
            continue
        for k, j, cond in pairs:
            y = out[j].strip().split(" = ")[0]
            out[k] = None  # type: ignore[call-overload]
            out[j] = f"{inner}if {cond}: {y} = {y} + 1"
        restore.append(f"{x} = 1 if {pairs[-1][2]} else 0")
    return [ln for ln in out if ln is not None], restore


_RX_MEMIV = r"mem\[(?:(l\d+|\d+) \+ {iv}|{iv} \+ (l\d+|\d+))\]"


def _byte_streams(
    inner: str, fast: list[str], text: str, iv: str, bound: str, step: str,
    assigned: Callable[[str], bool], guard: list[str],
) -> tuple[list[str], list[tuple[str, str]]]:  # fmt: skip
    """Byte loads `mem[b + i]` of a read-only loop as slices zipped with the counter.

    Why: a scanning loop (wc, strlen) pays an add and an index per byte; iterating a
    slice of the bytes it will read (copied once at entry) hands each round its byte.
    Only when the body can't write memory (no stores, no calls but loads), can't leave
    early (the copy is paid once per loop, never per byte found) and the entry guard
    proves every byte in bounds: then reading early is invisible.
    """
    if not step.isdigit() or re.search(r"\b(?:break|return|raise)\b", text):
        return fast, []  # a loop that may stop early would copy bytes it never reads
    for ln in text.splitlines():
        st = ln.strip()
        if re.match(r"mem\[.*\]\s*=(?!=)", st) or "_md" in st or "_mv" in st:
            return fast, []
        if any(not f.startswith("ld_") for f in re.findall(r"(?<![\w.])(\w+)\(", st)):
            return fast, []
    rx = re.compile(_RX_MEMIV.format(iv=iv))
    bases: list[str] = []
    for ln in fast:
        for mo in rx.finditer(ln):
            b = mo[1] or mo[2]
            if not b.isdigit() and (assigned(b) or b in (iv, bound, step)):
                return fast, []
            if b not in bases:
                bases.append(b)
    if not bases or len(bases) > 8:
        return fast, []
    name = {b: f"_y{k}" for k, b in enumerate(bases)}
    out = [rx.sub(lambda mo: name[mo[1] or mo[2]], ln) for ln in fast]
    for b in bases:
        g = f"{b} + {bound} <= len(mem)"
        if g not in guard:
            guard.append(g)
    targets = [name[b] for b in bases]
    # A first statement `x = _y0` (the byte into a local) binds x in the `for` itself.
    fm = re.fullmatch(r"(l\d+) = (_y\d+)", out[0].strip()) if out else None
    if fm and out[0].startswith(inner) and out[0][len(inner)] != " ":
        if len(re.findall(rf"\b{fm[2]}\b", "\n".join(out))) == 1 and fm[1] not in (iv, bound):
            targets[targets.index(fm[2])] = fm[1]
            out = out[1:]
    return out, [
        (t, f"mem[{b} + {iv}:{b} + {bound}:{step}]") for t, b in zip(targets, bases, strict=True)
    ]


def translate(
    module: Module,
    defined: int,
    *,
    metered: bool = False,
    osr_block: int | None = None,
    flat: bool | None = None,
) -> Translation:
    """Python source for defined function `defined` of a validated module.

    With `osr_block`, the variant entered at that loop (block number in order of
    appearance) with every local passed in.  `flat` None: the structured form, or the
    flat one when Python could not nest the structured one; True/False: only that form.
    Raises TranslateError when the function is better left to the interpreter.
    """
    if not flat:
        try:
            return _Translator(module, defined, metered, osr_block).run()
        except _TooDeep:
            if flat is False:
                raise
    try:
        return _FlatTranslator(module, defined, metered, osr_block).run()
    except _TooDeep:  # a region nested too deeply after all: no regions
        return _FlatTranslator(module, defined, metered, osr_block, regions=False).run()


def compile_translation(tr: Translation) -> types.CodeType:
    """Compile generated source; the code object of the inner function.

    Python's own limits (nesting, size, recursion in the compiler) show up here as
    SyntaxError/RecursionError/MemoryError/...: they become TranslateError.
    """
    try:
        mod = compile(tr.source, "<wasm-jit>", "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError, OverflowError) as e:
        raise TranslateError(f"compile failed: {type(e).__name__}: {str(e)[:80]}") from None
    for c in mod.co_consts:
        if isinstance(c, types.CodeType) and c.co_name == "_mk":
            for d in c.co_consts:
                if isinstance(d, types.CodeType) and d.co_name == tr.name:
                    return d
    raise TranslateError("generated code has no function")  # pragma: no cover


# --- run-time helpers (globals of the generated code) ---------------------------------


def _oob() -> Trap:
    return Trap("out of bounds memory access")


_unpack_f = struct.Struct("<f").unpack_from
_unpack_I = struct.Struct("<I").unpack_from
_pack_f = struct.Struct("<f").pack_into
_pack_I = struct.Struct("<I").pack_into


def _ld_f32(mem: bytearray, a: int) -> float:
    try:
        x = _unpack_f(mem, a)[0]
        if x != x:
            x = numerics.f32_from_bits(_unpack_I(mem, a)[0])
        return x
    except struct.error:
        raise _oob() from None


def _st_f32(mem: bytearray, a: int, x: float) -> None:
    try:
        if x == x:
            _pack_f(mem, a, x)
        else:
            _pack_I(mem, a, numerics.f32_to_bits(x))
    except struct.error:
        raise _oob() from None


def _table_get(elements: list, i: int) -> Any:
    if i >= len(elements):
        raise Trap("out of bounds table access")
    return elements[i]


def _table_set(elements: list, i: int, v: Any) -> None:
    if i >= len(elements):
        raise Trap("out of bounds table access")
    elements[i] = v


def _bulk(kind: int) -> Callable[..., None]:
    def run(inst: Instance, *args: Any) -> None:
        # Reuse the interpreter's single copy of each bounds rule.
        ins = (kind, *args[:-3], 0, 1, 2)
        _interp._slow(kind, ins, list(args[-3:]), inst)

    return run


def _make_globals() -> dict[str, Any]:
    from .lower import K

    g: dict[str, Any] = {
        "__builtins__": {
            "len": len,
            "range": range,
            "zip": zip,
            "memoryview": memoryview,
            "float": float,
            "str": str,
            "IndexError": IndexError,
            "OverflowError": OverflowError,
            "ZeroDivisionError": ZeroDivisionError,
        }
    }
    g.update(
        Trap=Trap,
        Exhaustion=Exhaustion,
        StructError=struct.error,
        INF=math.inf,
        NINF=-math.inf,
        ld_u32=struct.Struct("<I").unpack_from,
        ld_u64=struct.Struct("<Q").unpack_from,
        ld_f64=struct.Struct("<d").unpack_from,
        ld_i16=struct.Struct("<h").unpack_from,
        ld_u16=struct.Struct("<H").unpack_from,
        ld_i32=struct.Struct("<i").unpack_from,
        ld_f32=_ld_f32,
        st_u32=struct.Struct("<I").pack_into,
        st_u64=struct.Struct("<Q").pack_into,
        st_u16=struct.Struct("<H").pack_into,
        st_f64=struct.Struct("<d").pack_into,
        st_f32=_st_f32,
        f32_from_bits=numerics.f32_from_bits,
        f64_from_bits=numerics.f64_from_bits,
        table_get=_table_get,
        table_set=_table_set,
        table_fill=_bulk(K.TABLE_FILL),
        table_copy=_bulk(K.TABLE_COPY),
        table_init=_bulk(K.TABLE_INIT),
        memory_init=_bulk(K.MEMORY_INIT),
        memory_copy=_bulk(K.MEMORY_COPY),
        memory_fill=_bulk(K.MEMORY_FILL),
    )
    for code, fn in numerics.BY_CODE.items():
        g[op.BY_CODE[code].name.replace(".", "_")] = fn
    return g


_GLOBALS = _make_globals()


# --- per-instance state: cells, tiering, fuel -----------------------------------------


def _results(nres: int, r: Any) -> list:
    """A translated function's return value as the interpreter's result list."""
    if nres == 0:
        return []
    if nres == 1:
        return [r]
    return list(r)


def _from_list(nres: int, r: list) -> Any:
    """The interpreter's result list in the translated functions' convention."""
    if nres == 0:
        return None
    if nres == 1:
        return r[0]
    return tuple(r)


class JitState:
    """Tier-1 state of one instance: the closure cells generated code is bound to,
    which functions are translated, the tiering counters and the fuel/deadline."""

    def __init__(self, inst: Instance, cfg: JitConfig) -> None:
        self.inst = inst
        self.cfg = cfg
        self.nimp = len(inst.module.imported(0))
        n = len(inst.module.funcs)
        self.jitted: list[Any] = [None] * n
        self.failed = [False] * n
        self.counts = [0] * n
        self.backedges = [0] * n
        self.osr_fns: dict[tuple[int, int], Any] = {}
        self.cells: dict[str, types.CellType] = {}
        self.ic: dict[Function, Any] = {}
        self.fuel_left: int | None = None
        self.deadline_at: float | None = None
        self.fuel_cell = types.CellType(TICK_CHUNK)
        self.cells["FUEL"] = self.fuel_cell
        self.apply_limits(cfg.fuel, cfg.deadline)
        if cfg.mode != "off":
            _raise_recursion_limit()

    # -- fuel and deadline --
    def apply_limits(self, fuel: int | None, deadline: float | None) -> None:
        self.fuel_left = fuel
        self.deadline_at = time.monotonic() + deadline if deadline is not None else None
        self.fuel_cell.cell_contents = 0 if fuel is not None else TICK_CHUNK

    def tick(self) -> None:
        """The chunk of fuel ran out: look at the clock, take the next chunk."""
        if self.deadline_at is not None and time.monotonic() > self.deadline_at:
            self.fuel_cell.cell_contents = -1
            raise Trap("deadline exceeded")
        if self.fuel_left is None:
            self.fuel_cell.cell_contents = TICK_CHUNK
            return
        take = min(self.fuel_left, TICK_CHUNK)
        if take <= 0:
            self.fuel_cell.cell_contents = -1
            raise Trap("all fuel consumed")
        self.fuel_left -= take
        self.fuel_cell.cell_contents = take - 1

    def consume(self) -> None:
        v = self.fuel_cell.cell_contents - 1
        self.fuel_cell.cell_contents = v
        if v < 0:
            self.tick()

    def remaining(self) -> int | None:
        if self.fuel_left is None:
            return None
        return self.fuel_left + max(0, self.fuel_cell.cell_contents)

    # -- cells --
    def cell(self, name: str) -> types.CellType:
        c = self.cells.get(name)
        if c is None:
            c = self.cells[name] = types.CellType(self.cell_value(name))
        return c

    def cell_value(self, name: str) -> Any:
        inst = self.inst
        if name == "mem":
            return inst.mems[0].data if inst.mems else None
        if name == "MEM":
            return inst.mems[0] if inst.mems else None
        if name == "funcs":
            return inst.funcs
        if name == "inst":
            return inst
        if name == "ic":
            return self.ic
        if name == "ic_miss":
            return self.ic_miss
        if name == "DEPTH":
            return 0
        if name == "TICK":
            return self.tick
        if name == "_tr":
            return self.annotate
        if name == "_mx":
            return self.memory_exception
        for prefix, space in (("tb", "t"), ("ty", "y"), ("g", "g"), ("f", "f")):
            if name.startswith(prefix) and name[len(prefix) :].isdigit():
                i = int(name[len(prefix) :])
                if space == "t":
                    return inst.tables[i].elements
                if space == "y":
                    return inst.types[i]
                if space == "g":
                    return inst.globals[i]
                return self.callable_for(inst.funcs[i])
        raise KeyError(name)  # pragma: no cover - the translator names only these

    def callable_for(self, f: Function) -> Any:
        """What a call site in translated code calls for function `f`."""
        if f.__class__ is WasmFunction:
            if f.instance is self.inst:  # type: ignore[attr-defined]
                j = self.jitted[f.defined]  # type: ignore[attr-defined]
                if j is not None:
                    return j
            return _stub(f)  # type: ignore[arg-type]
        h: HostFunction = f  # type: ignore[assignment]
        if h.wants_caller:
            fn = h.fn
            inst = self.inst

            def with_caller(*args: Any) -> Any:
                return fn(inst, *args)

            return with_caller
        return h.fn

    def ic_miss(self, f: Function) -> Any:
        c = self.ic[f] = self.callable_for(f)
        return c

    def annotate(self, t: Trap, index: int) -> None:
        name = self.inst.funcs[index].name
        if t.func is None:
            t.func = name
        if len(t.frames) < _interp.MAX_BACKTRACE:
            t.frames.append(name)

    def memory_exception(self, x: BaseException, lines: tuple, index: int) -> BaseException:
        """An exception caught by translated code: its own memory access or division
        (raised right in its frame, on a line without a call) becomes a Trap;
        anything else (a host function's exception) goes on unchanged."""
        tb = x.__traceback__
        if tb is None or tb.tb_next is not None or tb.tb_lineno in lines:
            return x
        if isinstance(x, ZeroDivisionError):
            t = Trap("integer divide by zero")
        else:
            t = Trap("out of bounds memory access")
        t.__suppress_context__ = True
        self.annotate(t, index)
        return t

    # -- translation --
    def code_for(self, defined: int, osr_block: int | None = None) -> types.CodeType:
        module = self.inst.module
        key = (defined, self.cfg.metered, osr_block)
        cache = _module_cache(module)
        code = cache.get(key)
        if code is None:
            hook = CODE_CACHE
            if hook is not None:
                code = hook(module, defined, self.cfg.metered, osr_block)
            if code is None:
                tr = translate(module, defined, metered=self.cfg.metered, osr_block=osr_block)
                code = compile_translation(tr)
            cache[key] = code
        return code

    def bind(self, code: types.CodeType) -> Any:
        closure = tuple(self.cell(n) for n in code.co_freevars)
        return types.FunctionType(code, _GLOBALS, code.co_name, None, closure)

    def compile_fn(self, defined: int) -> Any:
        """Translate (once) and install function `defined`; None if it cannot be."""
        if self.failed[defined]:
            return None
        j = self.jitted[defined]
        if j is not None:
            return j
        try:
            j = self.bind(self.code_for(defined))
        except TranslateError as e:
            _note_failure(self.inst.module, defined, str(e))
            self.failed[defined] = True
            f = self.inst.funcs[self.nimp + defined]
            if f.code is not None:  # type: ignore[attr-defined]
                f.code.gate = self.cfg.metered  # type: ignore[attr-defined]
            return None
        self.jitted[defined] = j
        STATS["translated"] += 1
        index = self.nimp + defined
        self.cell(f"f{index}").cell_contents = j
        self.ic[self.inst.funcs[index]] = j
        return j

    def tier(self, f: WasmFunction) -> Any:
        """Called on each interpreter-side entry of `f` while its gate is up: count,
        translate when hot, charge fuel.  Returns the translated function or None."""
        d = f.defined
        j = self.jitted[d]
        if j is not None:
            return j
        cfg = self.cfg
        if cfg.mode != "off" and not self.failed[d]:
            self.counts[d] += 1
            if cfg.mode == "eager" or self.counts[d] >= cfg.call_threshold:
                j = self.compile_fn(d)
                if j is not None:
                    return j
        if cfg.metered:
            self.consume()
        if f.code is None:
            _interp.prepare(f)
        return None

    def backedge(self, func: WasmFunction, ins: tuple, R: list) -> list | None:
        """A loop back-edge in the interpreter: charge fuel; when the function has
        looped long enough, translate it and continue the loop in translated code
        (on-stack replacement).  Returns the function's results when it did."""
        if self.cfg.metered:
            self.consume()
        if self.cfg.mode != "lazy":
            return None
        d = func.defined
        self.backedges[d] += 1
        if self.backedges[d] < self.cfg.backedge_threshold:
            return None
        self.backedges[d] = 0
        code = func.code
        block = ins[2]
        fn = None
        if block >= 0 and not self.failed[d]:
            key = (d, block)
            fn = self.osr_fns.get(key)
            if fn is None:
                b = code.blocks[block]
                fn = False
                if b.height == 0 and b.nparams == 0:
                    try:
                        fn = self.bind(self.code_for(d, block))
                    except TranslateError:
                        fn = False
                self.osr_fns[key] = fn
            if fn:
                self.compile_fn(d)
        if not fn:
            if not self.cfg.metered:
                _restore_backedges(code)
            return None
        STATS["osr"] += 1
        nres = len(func.type.results)
        return _results(nres, fn(*R[: code.nlocals]))


# Optional hook for a compiled-code cache: called as
# CODE_CACHE(module, defined, metered, osr_block) -> code object or None.
CODE_CACHE: Callable[..., types.CodeType | None] | None = None

_MODULE_CACHES: dict[int, tuple[Module, dict]] = {}


def _module_cache(module: Module) -> dict:
    """Code objects per module (shared by its instances), keyed by function/variant."""
    ent = _MODULE_CACHES.get(id(module))
    if ent is None or ent[0] is not module:
        if len(_MODULE_CACHES) > 64:
            _MODULE_CACHES.clear()
        ent = _MODULE_CACHES[id(module)] = (module, {})
    return ent[1]


# Counters for tests and benchmarks.
STATS = {"translated": 0, "osr": 0}
# The last few translation failures (function, reason), for tests and `inspect`.
FAILURES: list[tuple[int, str]] = []


def _note_failure(module: Module, defined: int, why: str) -> None:
    FAILURES.append((defined, why))
    del FAILURES[:-50]


def _raise_recursion_limit() -> None:
    want = MAX_JIT_DEPTH + 200
    if sys.getrecursionlimit() < want:
        sys.setrecursionlimit(want)


def state(inst: Instance) -> JitState:
    """The instance's tier-1 state (created on first use from the pending config)."""
    st = inst.engine_state.get("jit")
    if st is None:
        cfg = _pending.get() or make_config()
        st = inst.engine_state["jit"] = JitState(inst, cfg)
    return st


def configure(
    inst: Instance,
    mode: str | None = None,
    fuel: int | None = None,
    deadline: float | None = None,
    *,
    call_threshold: int | None = None,
    backedge_threshold: int | None = None,
) -> JitConfig:
    """Set an instance's tiering mode, thresholds, fuel and deadline.

    Fuel or a deadline needs metered code: if the instance's code was generated
    without checks, its translations are dropped and made again with them.
    """
    cfg = make_config(mode, fuel, deadline)
    st = inst.engine_state.get("jit")
    if call_threshold is not None:
        cfg.call_threshold = call_threshold
    if backedge_threshold is not None:
        cfg.backedge_threshold = backedge_threshold
    if st is None:
        inst.engine_state["jit"] = JitState(inst, cfg)
        return cfg
    if st.cfg.metered and not cfg.metered:
        cfg.metered = True  # keep the checks: code is already made with them
    if cfg.metered != st.cfg.metered or cfg.mode != st.cfg.mode:
        new = JitState(inst, cfg)
        inst.engine_state["jit"] = new
        for f in inst.funcs:
            if f.__class__ is WasmFunction and f.instance is inst and f.code is not None:
                f.code.gate = new.gate()  # type: ignore[attr-defined]
                if cfg.metered or cfg.mode == "lazy":
                    _hook_backedges(f.code)
        return cfg
    st.cfg = cfg
    st.apply_limits(fuel, deadline)
    return cfg


def set_fuel(inst: Instance, fuel: int | None) -> None:
    """Give the instance `fuel` units (function entries + loop iterations)."""
    st = state(inst)
    if not st.cfg.metered and fuel is not None:
        configure(inst, st.cfg.mode, fuel, None)
        return
    st.fuel_left = fuel
    st.fuel_cell.cell_contents = 0 if fuel is not None else TICK_CHUNK


def set_deadline(inst: Instance, seconds: float | None) -> None:
    """Trap with "deadline exceeded" once `seconds` of wall-clock time have passed."""
    st = state(inst)
    if not st.cfg.metered and seconds is not None:
        configure(inst, st.cfg.mode, st.fuel_left, seconds)
        return
    st.deadline_at = time.monotonic() + seconds if seconds is not None else None
    if st.fuel_left is None:
        st.fuel_cell.cell_contents = min(st.fuel_cell.cell_contents, TICK_CHUNK)


_raise_recursion_limit()  # translated code recurses in Python: see the module docstring


def fuel_remaining(inst: Instance) -> int | None:
    return state(inst).remaining()


def _gate(self: JitState) -> bool:
    return self.cfg.mode != "off" or self.cfg.metered


JitState.gate = _gate  # type: ignore[attr-defined]


# --- transitions between the tiers ----------------------------------------------------


def _stub(f: WasmFunction) -> Callable[..., Any]:
    """A call site's entry for a function that is not (yet) translated."""
    nres = len(f.type.results)

    def stub(*args: Any) -> Any:
        st = state(f.instance)
        j = st.tier(f)
        if j is not None:
            return j(*args)
        depth = getattr(_interp._tls, "depth", 0)
        return _from_list(nres, _interp._run(f, list(args), depth))

    return stub


def enter(f: WasmFunction) -> Any:
    """Interpreter hook for entering `f` (its gate is up, or it is not lowered yet):
    the translated function to call instead, or None to interpret it."""
    st = state(f.instance)
    if f.code is None and not st.gate():
        _interp.prepare(f)
        return None
    return st.tier(f)


def backedge(func: WasmFunction, ins: tuple, R: list) -> list | None:
    """Interpreter hook for a loop back-edge (see JitState.backedge)."""
    return state(func.instance).backedge(func, ins, R)


def wants_backedges(inst: Instance) -> bool:
    cfg = state(inst).cfg
    return cfg.metered or cfg.mode == "lazy"


def _hook_backedges(code: Any) -> None:
    """Point every back-edge of `code` at a BACKEDGE stub appended to its instructions."""
    if getattr(code, "hooked", None):
        return
    _interp.hook_backedges(code)


def _restore_backedges(code: Any) -> None:
    _interp.unhook_backedges(code)


def function_source(module: Module, defined: int, *, metered: bool = False) -> str:
    """The generated Python for a defined function (for `wasios inspect --jit`)."""
    try:
        return translate(module, defined, metered=metered).source
    except TranslateError as e:
        return f"# not translated: {e}\n"
