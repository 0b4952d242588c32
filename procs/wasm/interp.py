"""Tier 0: the register-IR interpreter.

`invoke(func, args)` runs a function and returns its results, all in the run-time
representation of `runtime.py`.  A WasmFunction is lowered (`lower.py`) on its first
call and the result kept in `func.code`.

Design (why it looks like this):

* One loop per `invoke`, with an explicit frame stack.  A Wasm call pushes
  `(func, instrs, pc, R, result_slot)` onto a Python list and switches the loop's locals
  to the callee, whose register file is a copy of `Code.frame` with the arguments
  stored in (one list copy: cheaper than concatenating); a return pops it.  There is no Python recursion per Wasm call, so deep
  Wasm recursion can never hit Python's recursion limit or the C stack.  The depth is
  bounded by `MAX_CALL_DEPTH` frames, and by `SLOT_BUDGET` register slots for functions
  with big frames (`Code.max_depth` is the smaller of the two for each function);
  running out raises `Exhaustion("call stack exhausted")` promptly (100 000 frames take
  a fraction of a second).  Python recursion only happens when a host function calls
  back into Wasm; those nested loops share the depth budget through a thread-local
  count, and a RecursionError there becomes `Exhaustion` too.
* Dispatch is on the integer kind: kinds are numbered by how often they run, the loop
  tests `k < HOT1` and `k < HOT2` and then walks a short chain of `==` tests against
  kind numbers held in local variables (LOAD_FAST; a module global costs noticeably
  more in this loop).  The hot integer ops run inline; other numeric ops call their
  `numerics` function, carried in the instruction; the rare kinds (tables, bulk
  memory, memory.grow, ...) go to `_slow`, which holds each of their bounds rules once.
* Memory accesses use precompiled `struct` unpack_from/pack_into on the memory's
  bytearray.  The effective address `R[a] + offset` is a non-negative unbounded int, so
  struct never wraps around, and an access past (or straddling) the end raises
  struct.error before anything is written; the loop turns that into
  `Trap("out of bounds memory access")`, which costs nothing on the fast path.
  `Memory.data` is never rebound (grow extends it in place), so the loop caches it.
* A trap gets `Trap.func` (innermost Wasm function) and, as it leaves each loop, the
  names of that loop's frames appended to `Trap.frames` (innermost first, capped).
"""

from __future__ import annotations

import struct
import threading
from dataclasses import dataclass, field, fields
from typing import Any

from . import numerics
from .errors import Exhaustion, Trap
from .lower import FIELDS, Code, K, func_types, lower
from .lower import HOT1 as _HOT1
from .lower import HOT2 as _HOT2
from .runtime import Function, HostFunction, Instance, WasmFunction

# Wasm frames allowed on the stack (all nested invokes together).
MAX_CALL_DEPTH = 100_000
# Register slots allowed on the stack, roughly: a function may be entered at depth d
# only if d * (its frame size) stays below this, so that functions with thousands of
# locals exhaust the stack long before they exhaust the host's memory.
SLOT_BUDGET = 4_000_000
# Frames named in a trap's backtrace per loop (a runaway recursion has 100 000).
MAX_BACKTRACE = 1000

M32 = 0xFFFFFFFF

_unpack_I = struct.Struct("<I").unpack_from
_unpack_f = struct.Struct("<f").unpack_from
_pack_I = struct.Struct("<I").pack_into
_pack_f = struct.Struct("<f").pack_into
_pack_d = struct.Struct("<d").pack_into
_f32_from_bits = numerics.f32_from_bits
_f32_to_bits = numerics.f32_to_bits
_struct_error = struct.error

# The kinds `_run` compares against, bound to locals there: LOAD_FAST is much cheaper
# than LOAD_GLOBAL in the dispatch chain.
_HOT = (
    "MOV BR BR_IF BR_UNLESS BR_EQ BR_NE BR_LTU BR_LTS BR_GTU BR_GTS BR_LEU BR_LES BR_GEU "
    "BR_GES BR_TABLE RET0 RET1 RETN CALL CALL_INDIRECT ADD SUB MUL AND OR XOR SHL SHR_U "
    "SHR_S EQZ EQ NE LTU LTS GTU GTS LEU LES GEU GES ANDI UN BIN LOAD LOAD_S LOAD_F32 STORE "
    "STORE_F64 STORE_F32 GLOBAL_GET GLOBAL_SET SELECT LOADX STOREX FADD FMUL FSUB"
).split()
_HOT_KINDS = tuple(K[name].value for name in _HOT)

# Per thread: Wasm frames held by the invokes running further out (host re-entry).
_tls = threading.local()


# IR kind of the stubs that loop back-edges jump through while tiering or metering
# is on (beyond the lowerer's kinds, so it sits at the end of the dispatch chain).
BACKEDGE = 100


@dataclass(slots=True)
class TieredCode(Code):
    """Lowered code plus the tiering state the call path looks at.

    `gate` is true while entering the function must go through the JIT hook (to count
    calls, to call its translation instead, or to charge fuel); false means "just
    interpret it", which costs the call path one attribute test.
    """

    gate: bool = False
    hooked: bool = False
    hooks: list[Any] = field(default_factory=list)


_CODE_FIELDS = tuple(f.name for f in fields(Code))


def prepare(func: WasmFunction) -> Code:
    """Lower `func` (once) and keep the result in `func.code`."""
    inst = func.instance
    ftypes = inst.engine_state.get("ftypes")
    if ftypes is None:
        ftypes = inst.engine_state["ftypes"] = func_types(inst.module)
    low = lower(inst.module, func.defined, ftypes)
    code = TieredCode(**{name: getattr(low, name) for name in _CODE_FIELDS})
    code.max_depth = min(MAX_CALL_DEPTH, SLOT_BUDGET // max(1, code.nslots)) - 1
    st = _jit.state(inst)
    code.gate = st.gate() and not (st.failed[func.defined] and not st.cfg.metered)
    if _jit.wants_backedges(inst):
        hook_backedges(code)
    func.code = code
    return code


def _target_fields(kind: int) -> tuple[int, ...]:
    spec = FIELDS.get(kind, "")
    return tuple(i + 1 for i, ch in enumerate(spec) if ch in "tT")


def hook_backedges(code: TieredCode) -> None:
    """Send every loop back-edge through a BACKEDGE stub (fuel, OSR counting).

    A stub `(BACKEDGE, loop_pc, block)` is appended per loop start; the branches to it
    are retargeted, and their originals kept so that `unhook_backedges` can undo it.
    """
    if code.hooked:
        return
    code.hooked = True
    instrs = code.instrs
    n = len(instrs)
    stubs: dict[int, int] = {}
    loops: dict[int, int] = {}
    for bi, b in enumerate(code.blocks):
        if b.kind == 0x03 and b.start not in loops:
            loops[b.start] = bi

    def stub(t: int) -> int:
        s = stubs.get(t)
        if s is None:
            s = stubs[t] = len(instrs)
            instrs.append((BACKEDGE, t, loops.get(t, -1)))
        return s

    for pc in range(n):
        ins = instrs[pc]
        tf = _target_fields(ins[0])
        if not tf:
            continue
        new = list(ins)
        changed = False
        for i in tf:
            t = ins[i]
            if isinstance(t, tuple):
                if any(x <= pc for x in t):
                    new[i] = tuple(stub(x) if x <= pc else x for x in t)
                    changed = True
            elif t <= pc:
                new[i] = stub(t)
                changed = True
        if changed:
            code.hooks.append((pc, ins))
            instrs[pc] = tuple(new)


def unhook_backedges(code: TieredCode) -> None:
    """Put the original branches back (the stubs stay, unreachable)."""
    for pc, ins in code.hooks:
        code.instrs[pc] = ins
    code.hooks = []


def call_host(func: HostFunction, caller: Instance | None, args: list) -> list:
    """Call a host function and normalise what it returns to a list of results."""
    if func.wants_caller:
        r = func.fn(caller, *args)
    else:
        r = func.fn(*args)
    n = len(func.type.results)
    if n == 0:
        return []
    if n == 1:
        return [r]
    return list(r)


def invoke(func: Function, args: list) -> list:
    """Run `func` on `args` (run-time representation); return the list of results."""
    if len(args) != len(func.type.params):
        raise TypeError(f"{func.name} takes {len(func.type.params)} arguments, got {len(args)}")
    if func.__class__ is not WasmFunction:
        return call_host(func, None, list(args))  # type: ignore[arg-type]
    tls = _tls
    saved = getattr(tls, "depth", 0)
    try:
        c = func.code  # type: ignore[attr-defined]
        if c is None or c.gate:
            j = _jit.enter(func)  # type: ignore[arg-type]
            if j is not None:
                return _jit._results(len(func.type.results), j(*args))
        return _run(func, list(args), saved)  # type: ignore[arg-type]
    except RecursionError:
        raise Exhaustion() from None
    finally:
        tls.depth = saved


def _annotate(t: Trap, func: Function, frames: list) -> None:
    if t.func is None:
        t.func = func.name
    names = t.frames
    names.append(func.name)
    for fr in reversed(frames[-MAX_BACKTRACE:]):
        names.append(fr[0].name)
    if len(frames) > MAX_BACKTRACE:
        names.append(f"... {len(frames) - MAX_BACKTRACE} more")


def _run(func: WasmFunction, args: list, depth0: int) -> list:
    (
        MOV,
        BR,
        BR_IF,
        BR_UNLESS,
        BR_EQ,
        BR_NE,
        BR_LTU,
        BR_LTS,
        BR_GTU,
        BR_GTS,
        BR_LEU,
        BR_LES,
        BR_GEU,
        BR_GES,
        BR_TABLE,
        RET0,
        RET1,
        RETN,
        CALL,
        CALL_INDIRECT,
        ADD,
        SUB,
        MUL,
        AND,
        OR,
        XOR,
        SHL,
        SHR_U,
        SHR_S,
        EQZ,
        EQ,
        NE,
        LTU,
        LTS,
        GTU,
        GTS,
        LEU,
        LES,
        GEU,
        GES,
        ANDI,
        UN,
        BIN,
        LOAD,
        LOAD_S,
        LOAD_F32,
        STORE,
        STORE_F64,
        STORE_F32,
        GLOBAL_GET,
        GLOBAL_SET,
        SELECT,
        LOADX,
        STOREX,
        FADD,
        FMUL,
        FSUB,
    ) = _HOT_KINDS
    HOT1 = _HOT1
    HOT2 = _HOT2
    code = func.code
    if code is None:
        code = prepare(func)
    R = args + code.tail
    BACKEDGE_ = BACKEDGE
    instrs = code.instrs
    inst = func.instance
    funcs = inst.funcs
    globs = inst.globals
    mem = inst.mems[0].data if inst.mems else None
    frames: list[tuple] = []
    if depth0 >= code.max_depth:
        raise Exhaustion(func=func.name)
    pc = 0
    try:
        while True:
            ins = instrs[pc]
            pc += 1
            k = ins[0]
            if k < HOT1:
                if k == ADD:
                    R[ins[1]] = (R[ins[2]] + R[ins[3]]) & ins[4]
                elif k == MOV:
                    R[ins[1]] = R[ins[2]]
                elif k == LOADX:
                    R[ins[1]] = ins[5](mem, ((R[ins[2]] + R[ins[3]]) & 0xFFFFFFFF) + ins[4])[0]
                elif k == LOAD:
                    R[ins[1]] = ins[4](mem, R[ins[2]] + ins[3])[0]
                elif k == STOREX:
                    ins[5](mem, ((R[ins[1]] + R[ins[2]]) & 0xFFFFFFFF) + ins[4], R[ins[3]] & ins[6])
                elif k == STORE:
                    ins[4](mem, R[ins[1]] + ins[3], R[ins[2]] & ins[5])
                elif k == BR_LTU:
                    if R[ins[1]] < R[ins[2]]:
                        pc = ins[3]
                elif k == BR_NE:
                    if R[ins[1]] != R[ins[2]]:
                        pc = ins[3]
                elif k == BR_IF:
                    if R[ins[1]]:
                        pc = ins[2]
                elif k == BR_UNLESS:
                    if not R[ins[1]]:
                        pc = ins[2]
                elif k == CALL:
                    f = funcs[ins[2]]
                    if f.__class__ is WasmFunction:
                        c = f.code
                        if c is None or c.gate:
                            j = _jit.enter(f)
                            if j is not None:
                                n = ins[3]
                                a = ins[4]
                                if n == 1:
                                    r = j(R[a[0]])
                                elif n == 2:
                                    r = j(R[a[0]], R[a[1]])
                                elif n == 0:
                                    r = j()
                                else:
                                    b = a[0]
                                    r = j(*R[b : b + n])
                                n = len(f.type.results)
                                if n == 1:
                                    R[ins[1]] = r
                                elif n:
                                    b = ins[1]
                                    R[b : b + n] = r
                                continue
                            c = f.code
                        if len(frames) + depth0 >= c.max_depth:
                            raise Exhaustion()
                        frames.append((func, instrs, pc, R, ins[1]))
                        n = ins[3]
                        a = ins[4]
                        caller = R
                        R = c.frame.copy()
                        if n == 1:
                            R[0] = caller[a[0]]
                        elif n == 2:
                            R[0] = caller[a[0]]
                            R[1] = caller[a[1]]
                        elif n:
                            b = a[0]
                            R[:n] = caller[b : b + n]
                        instrs = c.instrs
                        pc = 0
                        func = f
                        if f.instance is not inst:
                            inst = f.instance
                            funcs = inst.funcs
                            globs = inst.globals
                            mem = inst.mems[0].data if inst.mems else None
                    else:
                        _tls.depth = depth0 + len(frames) + 1
                        res = call_host(f, inst, [R[s] for s in ins[4]])
                        b = ins[1]
                        R[b : b + len(res)] = res
                elif k == RET1:
                    v = R[ins[1]]
                    if not frames:
                        return [v]
                    func, instrs, pc, R, b = frames.pop()
                    R[b] = v
                    if func.instance is not inst:
                        inst = func.instance
                        funcs = inst.funcs
                        globs = inst.globals
                        mem = inst.mems[0].data if inst.mems else None
            elif k < HOT2:
                if k == BR:
                    pc = ins[1]
                elif k == BR_GEU:
                    if R[ins[1]] >= R[ins[2]]:
                        pc = ins[3]
                elif k == BR_EQ:
                    if R[ins[1]] == R[ins[2]]:
                        pc = ins[3]
                elif k == BR_GTU:
                    if R[ins[1]] > R[ins[2]]:
                        pc = ins[3]
                elif k == XOR:
                    R[ins[1]] = R[ins[2]] ^ R[ins[3]]
                elif k == MUL:
                    R[ins[1]] = (R[ins[2]] * R[ins[3]]) & ins[4]
                elif k == BIN:
                    R[ins[1]] = ins[4](R[ins[2]], R[ins[3]])
                elif k == FADD:
                    R[ins[1]] = R[ins[2]] + R[ins[3]]
                elif k == FMUL:
                    R[ins[1]] = R[ins[2]] * R[ins[3]]
                elif k == SHL:
                    R[ins[1]] = (R[ins[2]] << (R[ins[3]] & ins[5])) & ins[4]
                elif k == AND:
                    R[ins[1]] = R[ins[2]] & R[ins[3]]
                elif k == SUB:
                    R[ins[1]] = (R[ins[2]] - R[ins[3]]) & ins[4]
                elif k == BR_LTS:
                    bias = ins[4]
                    if (R[ins[1]] ^ bias) < (R[ins[2]] ^ bias):
                        pc = ins[3]
                elif k == BR_GES:
                    bias = ins[4]
                    if (R[ins[1]] ^ bias) >= (R[ins[2]] ^ bias):
                        pc = ins[3]
                elif k == BR_GTS:
                    bias = ins[4]
                    if (R[ins[1]] ^ bias) > (R[ins[2]] ^ bias):
                        pc = ins[3]
                elif k == BR_LES:
                    bias = ins[4]
                    if (R[ins[1]] ^ bias) <= (R[ins[2]] ^ bias):
                        pc = ins[3]
                elif k == BR_LEU:
                    if R[ins[1]] <= R[ins[2]]:
                        pc = ins[3]
                elif k == EQ:
                    R[ins[1]] = 1 if R[ins[2]] == R[ins[3]] else 0
            elif k == EQZ:
                R[ins[1]] = 0 if R[ins[2]] else 1
            elif k == LTU:
                R[ins[1]] = 1 if R[ins[2]] < R[ins[3]] else 0
            elif k == NE:
                R[ins[1]] = 1 if R[ins[2]] != R[ins[3]] else 0
            elif k == GTU:
                R[ins[1]] = 1 if R[ins[2]] > R[ins[3]] else 0
            elif k == GLOBAL_GET:
                R[ins[1]] = globs[ins[2]].value
            elif k == GLOBAL_SET:
                globs[ins[1]].value = R[ins[2]]
            elif k == SHR_U:
                R[ins[1]] = R[ins[2]] >> (R[ins[3]] & ins[4])
            elif k == OR:
                R[ins[1]] = R[ins[2]] | R[ins[3]]
            elif k == LOAD_S:
                R[ins[1]] = ins[4](mem, R[ins[2]] + ins[3])[0] & ins[5]
            elif k == UN:
                R[ins[1]] = ins[3](R[ins[2]])
            elif k == SELECT:
                R[ins[1]] = R[ins[2]] if R[ins[4]] else R[ins[3]]
            elif k == RET0:
                if not frames:
                    return []
                func, instrs, pc, R, b = frames.pop()
                if func.instance is not inst:
                    inst = func.instance
                    funcs = inst.funcs
                    globs = inst.globals
                    mem = inst.mems[0].data if inst.mems else None
            elif k == LTS:
                bias = ins[4]
                R[ins[1]] = 1 if (R[ins[2]] ^ bias) < (R[ins[3]] ^ bias) else 0
            elif k == GTS:
                bias = ins[4]
                R[ins[1]] = 1 if (R[ins[2]] ^ bias) > (R[ins[3]] ^ bias) else 0
            elif k == LES:
                bias = ins[4]
                R[ins[1]] = 1 if (R[ins[2]] ^ bias) <= (R[ins[3]] ^ bias) else 0
            elif k == LEU:
                R[ins[1]] = 1 if R[ins[2]] <= R[ins[3]] else 0
            elif k == GEU:
                R[ins[1]] = 1 if R[ins[2]] >= R[ins[3]] else 0
            elif k == GES:
                bias = ins[4]
                R[ins[1]] = 1 if (R[ins[2]] ^ bias) >= (R[ins[3]] ^ bias) else 0
            elif k == SHR_S:
                s = R[ins[3]] & ins[4]
                bias = ins[5]
                R[ins[1]] = (((R[ins[2]] ^ bias) >> s) - (bias >> s)) & ((bias << 1) - 1)
            elif k == FSUB:
                R[ins[1]] = R[ins[2]] - R[ins[3]]
            elif k == ANDI:
                R[ins[1]] = R[ins[2]] & ins[3]
            elif k == BR_TABLE:
                i = R[ins[1]]
                t = ins[2]
                pc = t[i] if i < len(t) else ins[3]
            elif k == STORE_F64:
                _pack_d(mem, R[ins[1]] + ins[3], R[ins[2]])
            elif k == LOAD_F32:
                ea = R[ins[2]] + ins[3]
                x = _unpack_f(mem, ea)[0]
                if x != x:
                    x = _f32_from_bits(_unpack_I(mem, ea)[0])
                R[ins[1]] = x
            elif k == STORE_F32:
                x = R[ins[2]]
                if x == x:
                    _pack_f(mem, R[ins[1]] + ins[3], x)
                else:
                    _pack_I(mem, R[ins[1]] + ins[3], _f32_to_bits(x))
            elif k == RETN:
                vals = [R[s] for s in ins[1]]
                if not frames:
                    return vals
                func, instrs, pc, R, b = frames.pop()
                R[b : b + len(vals)] = vals
                if func.instance is not inst:
                    inst = func.instance
                    funcs = inst.funcs
                    globs = inst.globals
                    mem = inst.mems[0].data if inst.mems else None
            elif k == CALL_INDIRECT:
                elements = inst.tables[ins[3]].elements
                i = R[ins[4]]
                if i >= len(elements):
                    raise Trap(f"undefined element {i}")
                f = elements[i]
                if f is None:
                    raise Trap(f"uninitialized element {i}")
                ft = inst.types[ins[2]]
                if f.type is not ft and f.type != ft:
                    raise Trap("indirect call type mismatch")
                if f.__class__ is WasmFunction:
                    c = f.code
                    if c is None or c.gate:
                        j = _jit.enter(f)
                        if j is not None:
                            n = ins[5]
                            a = ins[6]
                            if n == 1:
                                r = j(R[a[0]])
                            elif n == 2:
                                r = j(R[a[0]], R[a[1]])
                            elif n == 0:
                                r = j()
                            else:
                                b = a[0]
                                r = j(*R[b : b + n])
                            n = len(f.type.results)
                            if n == 1:
                                R[ins[1]] = r
                            elif n:
                                b = ins[1]
                                R[b : b + n] = r
                            continue
                        c = f.code
                    if len(frames) + depth0 >= c.max_depth:
                        raise Exhaustion()
                    frames.append((func, instrs, pc, R, ins[1]))
                    n = ins[5]
                    a = ins[6]
                    caller = R
                    R = c.frame.copy()
                    if n == 1:
                        R[0] = caller[a[0]]
                    elif n == 2:
                        R[0] = caller[a[0]]
                        R[1] = caller[a[1]]
                    elif n:
                        b = a[0]
                        R[:n] = caller[b : b + n]
                    instrs = c.instrs
                    pc = 0
                    func = f
                    if f.instance is not inst:
                        inst = f.instance
                        funcs = inst.funcs
                        globs = inst.globals
                        mem = inst.mems[0].data if inst.mems else None
                else:
                    _tls.depth = depth0 + len(frames) + 1
                    res = call_host(f, inst, [R[s] for s in ins[6]])
                    b = ins[1]
                    R[b : b + len(res)] = res
            elif k >= BACKEDGE_:  # beyond every lowerer kind
                vals = _jit.backedge(func, ins, R)
                if vals is None:
                    pc = ins[1]
                else:  # the loop ran to the end in translated code: return its results
                    if not frames:
                        return vals
                    func, instrs, pc, R, b = frames.pop()
                    R[b : b + len(vals)] = vals
                    if func.instance is not inst:
                        inst = func.instance
                        funcs = inst.funcs
                        globs = inst.globals
                        mem = inst.mems[0].data if inst.mems else None
            else:
                _slow(k, ins, R, inst)
    except Trap as t:
        _annotate(t, func, frames)
        raise
    except _struct_error:
        t = Trap("out of bounds memory access")
        _annotate(t, func, frames)
        raise t from None


def _oob_table() -> Trap:
    return Trap("out of bounds table access")


def _oob_memory() -> Trap:
    return Trap("out of bounds memory access")


def _slow(k: int, ins: tuple, R: list, inst: Instance) -> None:
    """The rare kinds: one place for each of their bounds rules."""
    if k == K.UNREACHABLE:
        raise Trap("unreachable")
    if k == K.MEMORY_SIZE:
        R[ins[1]] = len(inst.mems[0].data) >> 16
    elif k == K.MEMORY_GROW:
        R[ins[1]] = inst.mems[0].grow(R[ins[2]]) & M32
    elif k == K.REF_IS_NULL:
        R[ins[1]] = 1 if R[ins[2]] is None else 0
    elif k == K.REF_FUNC:
        R[ins[1]] = inst.funcs[ins[2]]
    elif k == K.TABLE_GET:
        elements = inst.tables[ins[2]].elements
        i = R[ins[3]]
        if i >= len(elements):
            raise _oob_table()
        R[ins[1]] = elements[i]
    elif k == K.TABLE_SET:
        elements = inst.tables[ins[1]].elements
        i = R[ins[2]]
        if i >= len(elements):
            raise _oob_table()
        elements[i] = R[ins[3]]
    elif k == K.TABLE_SIZE:
        R[ins[1]] = len(inst.tables[ins[2]].elements)
    elif k == K.TABLE_GROW:
        R[ins[1]] = inst.tables[ins[2]].grow(R[ins[4]], R[ins[3]]) & M32
    elif k == K.TABLE_FILL:
        elements = inst.tables[ins[1]].elements
        i, v, n = R[ins[2]], R[ins[3]], R[ins[4]]
        if i + n > len(elements):
            raise _oob_table()
        elements[i : i + n] = [v] * n
    elif k == K.TABLE_COPY:
        dst = inst.tables[ins[1]].elements
        src = inst.tables[ins[2]].elements
        d, s, n = R[ins[3]], R[ins[4]], R[ins[5]]
        if s + n > len(src) or d + n > len(dst):
            raise _oob_table()
        dst[d : d + n] = src[s : s + n]
    elif k == K.TABLE_INIT:
        elements = inst.tables[ins[1]].elements
        seg = inst.elems[ins[2]]
        d, s, n = R[ins[3]], R[ins[4]], R[ins[5]]
        if s + n > len(seg) or d + n > len(elements):
            raise _oob_table()
        elements[d : d + n] = seg[s : s + n]
    elif k == K.ELEM_DROP:
        inst.elems[ins[1]] = []
    elif k == K.MEMORY_INIT:
        mem = inst.mems[0].data
        seg = inst.datas[ins[1]]
        d, s, n = R[ins[2]], R[ins[3]], R[ins[4]]
        if s + n > len(seg) or d + n > len(mem):
            raise _oob_memory()
        mem[d : d + n] = seg[s : s + n]
    elif k == K.DATA_DROP:
        inst.datas[ins[1]] = b""
    elif k == K.MEMORY_COPY:
        mem = inst.mems[0].data
        d, s, n = R[ins[1]], R[ins[2]], R[ins[3]]
        if s + n > len(mem) or d + n > len(mem):
            raise _oob_memory()
        mem[d : d + n] = mem[s : s + n]
    elif k == K.MEMORY_FILL:
        mem = inst.mems[0].data
        d, v, n = R[ins[1]], R[ins[2]], R[ins[3]]
        if d + n > len(mem):
            raise _oob_memory()
        mem[d : d + n] = bytes((v & 0xFF,)) * n
    else:  # pragma: no cover - every kind is handled somewhere
        raise AssertionError(f"unknown IR kind {k}")


__all__ = ["invoke", "prepare", "call_host", "MAX_CALL_DEPTH", "TieredCode", "BACKEDGE"]

# The JIT imports this module; it is reached through its module object at call time.
from . import jit as _jit  # noqa: E402
