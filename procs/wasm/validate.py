"""The validator: the Wasm 2.0 "Validation" chapter, run on every module before any code.

It is the security boundary of the engine: once `validate` returns, the lowering pass,
the interpreter and the JIT trust every index, every operand type and every stack
height, so every rule is checked here and nowhere else.

Function bodies are checked with the spec's algorithm (appendix "Validation
Algorithm"): an operand stack of value types, where `_UNKNOWN` (0) stands for the
spec's "Unknown" produced by popping below the frame height in unreachable code, and a
control stack of frames.  A frame is a list

    [opcode, start_types, end_types, height, unreachable, label_types]

with the type sequences as lists so that the operand stack tail compares against them
with a plain `==`.

Speed matters (this runs on every start-up), so the per-instruction path is one dict
lookup for the fixed-signature instructions plus an `if` chain ordered by how often
compilers emit each instruction.  Two facts keep it short:

* in a frame that is not marked unreachable every operand above the frame height has a
  known type, so stack tails compare exactly; the Unknown-aware slow path (`_pop`,
  `_pop_vals`) runs only when a frame is unreachable or the stack is short (an error);
* at a reachable `end` the stack already holds exactly the frame's result types, so
  nothing is popped or pushed.

Messages start with the spec test suite's text ("type mismatch", "unknown local", ...),
followed by a detail, and the index where the spec tests print one.  Errors inside a
function carry `func` (its index in the function index space, imports first) and
`offset` (the byte offset of its body, when decoded from a binary), and the message
names the instruction by its position in `Func.body`.

Two rules worth stating, as the 2.0 spec and its reference interpreter apply them:

* Constant expressions (global initialisers, segment offsets and element items) see only
  the imported globals: `global.get` of a module-defined index is an "unknown global",
  of an imported mutable one "constant expression required".  (An older 2.0 draft let
  segments read module-defined globals, spec issue #1522; the interpreter, wasmtime and
  the browsers never did.)
* `ref.func x` in a function body needs `x` declared: referenced by an element segment
  (any mode), an export, or a global initialiser (C.refs, "function indices occurring in
  the module, except in its functions or start function").
"""

from __future__ import annotations

from .errors import InvalidError
from .module import (
    ACTIVE,
    BLOCK_EMPTY,
    EXT_FUNC,
    EXT_GLOBAL,
    EXT_MEMORY,
    EXT_TABLE,
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    MAX_PAGES,
    MAX_TABLE,
    REF_TYPES,
    TYPE_NAMES,
    Func,
    FuncType,
    GlobalType,
    Limits,
    MemoryType,
    Module,
    TableType,
)
from .opcodes import (
    BLOCK,
    BR,
    BR_IF,
    BR_TABLE,
    BY_CODE,
    CALL,
    CALL_INDIRECT,
    DATA_DROP,
    DROP,
    ELEM_DROP,
    ELSE,
    END,
    F32_CONST,
    F64_CONST,
    GLOBAL_GET,
    GLOBAL_SET,
    I32_CONST,
    I64_CONST,
    IF,
    LOCAL_GET,
    LOCAL_SET,
    LOCAL_TEE,
    LOOP,
    MEMORY_COPY,
    MEMORY_FILL,
    MEMORY_GROW,
    MEMORY_INIT,
    MEMORY_SIZE,
    NOP,
    REF_FUNC,
    REF_IS_NULL,
    REF_NULL,
    RETURN,
    SELECT,
    SELECT_T,
    TABLE_COPY,
    TABLE_FILL,
    TABLE_GET,
    TABLE_GROW,
    TABLE_INIT,
    TABLE_SET,
    TABLE_SIZE,
    UNREACHABLE,
    Imm,
)

__all__ = ["validate"]

_UNKNOWN = 0  # the spec's "Unknown" operand type (bottom); no value type byte is 0
# Value types a Wasm 2.0 module without SIMD may use.
_VALTYPES = frozenset((I32, I64, F32, F64, FUNCREF, 0x6F))
_NUMERIC = frozenset((I32, I64, F32, F64, _UNKNOWN))
_REFS = frozenset((*REF_TYPES, _UNKNOWN))

# Fixed-signature instructions without index immediates: opcode -> (arity, p1, p2, r),
# p1/p2 the operand types (first, second), r the result type or 0 for none.
_SIMPLE: dict[int, tuple[int, int, int, int]] = {}
# Loads and stores: opcode -> (natural alignment, arity, p1, p2, r).
_MEMOPS: dict[int, tuple[int, int, int, int, int]] = {}
for _op in BY_CODE.values():
    if _op.sig is None:
        continue
    _params, _results = _op.sig
    if len(_params) > 2 or len(_results) > 1:
        continue
    _p = (*_params, 0, 0)
    _row = (len(_params), _p[0], _p[1], _results[0] if _results else 0)
    if _op.imm in (Imm.NONE, Imm.I32, Imm.I64, Imm.F32, Imm.F64):
        assert _results or not _params  # the fast path relies on it
        _SIMPLE[_op.code] = _row
    elif _op.imm == Imm.MEMARG:
        assert _op.natural_align is not None
        _MEMOPS[_op.code] = (_op.natural_align, *_row)


# Index-space names as the spec messages spell them ("unknown function 3").
_SPACE_NAMES = {
    EXT_FUNC: "function",
    EXT_TABLE: "table",
    EXT_MEMORY: "memory",
    EXT_GLOBAL: "global",
}


class _Fail(Exception):
    """Internal: a rule broke inside a function body; the caller adds where."""


def _tname(t: int) -> str:
    if t == _UNKNOWN:
        return "unknown"
    return TYPE_NAMES.get(t, f"0x{t:x}" if isinstance(t, int) and t >= 0 else repr(t))


def _types(ts) -> str:
    return "[" + " ".join(_tname(t) for t in ts) + "]"


def _mismatch(expected: int, got: int | None) -> _Fail:
    if got is None:
        return _Fail(f"type mismatch: expected {_tname(expected)}, got nothing")
    return _Fail(f"type mismatch: expected {_tname(expected)}, got {_tname(got)}")


def _pop(vals: list[int], height: int, unreach: bool, expect: int) -> int:
    """The spec's pop_val(expect); `expect == _UNKNOWN` accepts any type."""
    if len(vals) == height:
        if unreach:
            return _UNKNOWN
        if expect == _UNKNOWN:
            raise _Fail("type mismatch: expected a value, got nothing")
        raise _mismatch(expect, None)
    t = vals.pop()
    if t != expect and t and expect:
        raise _mismatch(expect, t)
    return t


def _pop_vals(vals: list[int], height: int, unreach: bool, types: list[int]) -> list[int]:
    """The spec's pop_vals: pops `types` (last one first); returns what was popped."""
    k = len(types)
    if not k:
        return []
    if len(vals) - height >= k:
        tail = vals[-k:]
        if tail != types:
            for a, e in zip(tail, types, strict=True):
                if a != e and a:
                    raise _Fail(f"type mismatch: expected {_types(types)}, got {_types(tail)}")
        del vals[-k:]
        return tail
    popped = [_pop(vals, height, unreach, e) for e in reversed(types)]
    popped.reverse()
    return popped


def _check_limits(lim: Limits, bound: int, too_big: str) -> None:
    if not isinstance(lim, Limits):
        raise InvalidError("malformed limits")
    if lim.min > bound or (lim.max is not None and lim.max > bound):
        raise InvalidError(too_big)
    if lim.max is not None and lim.min > lim.max:
        raise InvalidError(f"size minimum must not be greater than maximum ({lim.min} > {lim.max})")


def _check_valtype(t: int, what: str) -> None:
    if t not in _VALTYPES:
        raise InvalidError(f"invalid value type {_tname(t)} in {what}")


def _index_ok(i: object, n: int) -> bool:
    return type(i) is int and 0 <= i < n


class _Context:
    """The spec's context C for one module: the index spaces, imports first."""

    def __init__(self, m: Module) -> None:
        self.m = m
        self.types = m.types
        self.funcs: list[FuncType] = []
        self.tables: list[TableType] = []
        self.mems: list[MemoryType] = []
        self.globals: list[GlobalType] = []
        self.n_imported_funcs = 0
        self.n_imported_globals = 0
        self.const_globals: list[GlobalType] = []  # what constant expressions may read
        self.refs: set[int] = set()
        self.ndatas = len(m.datas) if m.data_count is None else m.data_count
        self.blocktypes: dict[int, tuple[list[int], list[int]]] = {BLOCK_EMPTY: ([], [])}
        for t in _VALTYPES:
            self.blocktypes[t - 0x80] = ([], [t])

    def blocktype(self, bt: int) -> tuple[list[int], list[int]]:
        """(params, results) of a block type, cached (the lists are shared, never mutated)."""
        r = self.blocktypes.get(bt)
        if r is not None:
            return r
        if type(bt) is not int:
            raise _Fail(f"malformed block type {bt!r}")
        if bt < 0:
            raise _Fail(f"invalid block type {bt}")
        if bt >= len(self.types):
            raise _Fail(f"unknown type {bt}")
        ft = self.types[bt]
        r = (list(ft.params), list(ft.results))
        self.blocktypes[bt] = r
        return r


def validate(module: Module) -> None:
    """Check every Wasm 2.0 validation rule; raise InvalidError on the first one broken."""
    c = _Context(module)
    _check_types(c)
    _check_imports(c)
    _check_definitions(c)
    _collect_refs(c)
    _check_globals(c)
    _check_elems(c)
    _check_datas(c)
    _check_start(c)
    _check_exports(c)
    for i, func in enumerate(module.funcs):
        _check_func(c, c.n_imported_funcs + i, func)


# --- module level -----------------------------------------------------------------


def _check_types(c: _Context) -> None:
    for i, ft in enumerate(c.types):
        if not isinstance(ft, FuncType):
            raise InvalidError(f"malformed type {i}")
        for t in (*ft.params, *ft.results):
            _check_valtype(t, f"type {i}")


def _check_table_type(tt: TableType, what: str) -> None:
    if not isinstance(tt, TableType) or tt.elem not in REF_TYPES:
        raise InvalidError(f"malformed table type in {what}")
    _check_limits(tt.limits, MAX_TABLE, f"table size must be at most 2^32-1 ({what})")


def _check_memory_type(mt: MemoryType, what: str) -> None:
    if not isinstance(mt, MemoryType):
        raise InvalidError(f"malformed memory type in {what}")
    _check_limits(
        mt.limits, MAX_PAGES, f"memory size must be at most {MAX_PAGES} pages (4GiB) ({what})"
    )


def _check_global_type(gt: GlobalType, what: str) -> None:
    if not isinstance(gt, GlobalType):
        raise InvalidError(f"malformed global type in {what}")
    _check_valtype(gt.valtype, what)


def _check_imports(c: _Context) -> None:
    ntypes = len(c.types)
    for i, imp in enumerate(c.m.imports):
        what = f"import {i} ({imp.module!r} {imp.name!r})"
        if imp.kind == EXT_FUNC:
            if not _index_ok(imp.desc, ntypes):
                raise InvalidError(f"unknown type {imp.desc} in {what}")
            c.funcs.append(c.types[imp.desc])  # type: ignore[index]
            c.n_imported_funcs += 1
        elif imp.kind == EXT_TABLE:
            _check_table_type(imp.desc, what)  # type: ignore[arg-type]
            c.tables.append(imp.desc)  # type: ignore[arg-type]
        elif imp.kind == EXT_MEMORY:
            _check_memory_type(imp.desc, what)  # type: ignore[arg-type]
            c.mems.append(imp.desc)  # type: ignore[arg-type]
        elif imp.kind == EXT_GLOBAL:
            _check_global_type(imp.desc, what)  # type: ignore[arg-type]
            c.globals.append(imp.desc)  # type: ignore[arg-type]
            c.const_globals.append(imp.desc)  # type: ignore[arg-type]
            c.n_imported_globals += 1
        else:
            raise InvalidError(f"malformed import kind {imp.kind!r} in {what}")


def _check_definitions(c: _Context) -> None:
    ntypes = len(c.types)
    for i, f in enumerate(c.m.funcs):
        if not _index_ok(f.type_idx, ntypes):
            raise InvalidError(f"unknown type {f.type_idx}", func=c.n_imported_funcs + i)
        c.funcs.append(c.types[f.type_idx])
    for tt in c.m.tables:
        _check_table_type(tt, f"table {len(c.tables)}")
        c.tables.append(tt)
    for mt in c.m.mems:
        _check_memory_type(mt, f"memory {len(c.mems)}")
        c.mems.append(mt)
    if len(c.mems) > 1:
        raise InvalidError(f"multiple memories ({len(c.mems)}; Wasm 2.0 allows one)")
    for i, g in enumerate(c.m.globals):
        _check_global_type(g.type, f"global {c.n_imported_globals + i}")
        c.globals.append(g.type)
    for i, e in enumerate(c.m.elems):
        if e.type not in REF_TYPES:
            raise InvalidError(f"malformed element type in elem segment {i}")


def _collect_refs(c: _Context) -> None:
    """C.refs: functions referenced outside function bodies (may be used by ref.func)."""
    refs = c.refs
    exprs = [g.init for g in c.m.globals]
    for e in c.m.elems:
        exprs.extend(e.init)
        if e.offset is not None:
            exprs.append(e.offset)
    exprs.extend(d.offset for d in c.m.datas if d.offset is not None)
    for expr in exprs:
        for ins in expr:
            if ins and ins[0] == REF_FUNC and len(ins) > 1:
                refs.add(ins[1])
    for ex in c.m.exports:
        if ex.kind == EXT_FUNC:
            refs.add(ex.index)


def _const_expr(
    c: _Context, expr: list, expected: int, globals_: list[GlobalType], what: str
) -> None:
    """A constant expression of type `expected`; `globals_` is the visible global space."""
    stack: list[int] = []
    for ins in expr:
        op = ins[0] if ins else None
        if op == I32_CONST:
            stack.append(I32)
        elif op == I64_CONST:
            stack.append(I64)
        elif op == F32_CONST:
            stack.append(F32)
        elif op == F64_CONST:
            stack.append(F64)
        elif op == REF_NULL:
            if ins[1] not in REF_TYPES:
                raise InvalidError(f"malformed reference type in {what}")
            stack.append(ins[1])
        elif op == REF_FUNC:
            if not _index_ok(ins[1], len(c.funcs)):
                raise InvalidError(f"unknown function {ins[1]} in {what}")
            stack.append(FUNCREF)
        elif op == GLOBAL_GET:
            x = ins[1]
            if not _index_ok(x, len(globals_)):
                raise InvalidError(f"unknown global {x} in {what}")
            if globals_[x].mutable:
                raise InvalidError(
                    f"constant expression required: global.get of mutable global {x} in {what}"
                )
            stack.append(globals_[x].valtype)
        else:
            name = BY_CODE[op].name if op in BY_CODE else repr(op)
            raise InvalidError(f"constant expression required: {name} in {what}")
    if stack != [expected]:
        raise InvalidError(
            f"type mismatch: {what} must be {_types([expected])}, got {_types(stack)}"
        )


def _check_globals(c: _Context) -> None:
    for i, g in enumerate(c.m.globals):
        idx = c.n_imported_globals + i
        _const_expr(c, g.init, g.type.valtype, c.const_globals, f"initialiser of global {idx}")


def _check_elems(c: _Context) -> None:
    for i, e in enumerate(c.m.elems):
        what = f"elem segment {i}"
        for item in e.init:
            _const_expr(c, item, e.type, c.const_globals, f"item of {what}")
        if e.mode == ACTIVE:
            if not _index_ok(e.table, len(c.tables)):
                raise InvalidError(f"unknown table {e.table} in {what}")
            tt = c.tables[e.table]
            if tt.elem != e.type:
                raise InvalidError(
                    f"type mismatch: {what} has {_tname(e.type)} elements, "
                    f"table {e.table} holds {_tname(tt.elem)}"
                )
            if e.offset is None:
                raise InvalidError(f"missing offset in active {what}")
            _const_expr(c, e.offset, I32, c.const_globals, f"offset of {what}")


def _check_datas(c: _Context) -> None:
    for i, d in enumerate(c.m.datas):
        if d.mode == ACTIVE:
            what = f"data segment {i}"
            if not _index_ok(d.memory, len(c.mems)):
                raise InvalidError(f"unknown memory {d.memory} in {what}")
            if d.offset is None:
                raise InvalidError(f"missing offset in active {what}")
            _const_expr(c, d.offset, I32, c.const_globals, f"offset of {what}")


def _check_start(c: _Context) -> None:
    s = c.m.start
    if s is None:
        return
    if not _index_ok(s, len(c.funcs)):
        raise InvalidError(f"unknown function {s} (start function)")
    ft = c.funcs[s]
    if ft.params or ft.results:
        raise InvalidError(f"start function {s} must have type [] -> [], has {ft}")


def _check_exports(c: _Context) -> None:
    seen: set[str] = set()
    spaces = {
        EXT_FUNC: len(c.funcs),
        EXT_TABLE: len(c.tables),
        EXT_MEMORY: len(c.mems),
        EXT_GLOBAL: len(c.globals),
    }
    for ex in c.m.exports:
        if ex.name in seen:
            raise InvalidError(f"duplicate export name {ex.name!r}")
        seen.add(ex.name)
        n = spaces.get(ex.kind)
        if n is None:
            raise InvalidError(f"malformed export kind {ex.kind!r} for {ex.name!r}")
        if not _index_ok(ex.index, n):
            raise InvalidError(f"unknown {_SPACE_NAMES[ex.kind]} {ex.index} in export {ex.name!r}")


# --- function bodies ----------------------------------------------------------------


def _check_func(c: _Context, fidx: int, func: Func) -> None:
    ft = c.funcs[fidx]
    if not _VALTYPES.issuperset(func.locals):
        t = next(t for t in func.locals if t not in _VALTYPES)
        raise InvalidError(f"invalid value type {_tname(t)} of a local", func=fidx)
    try:
        _check_body(c, ft, func)
    except _Fail as e:
        pc = e.args[1] if len(e.args) > 1 else -1
        body = func.body
        ins = body[pc] if 0 <= pc < len(body) else None
        name = BY_CODE[ins[0]].name if ins and ins[0] in BY_CODE else "?"
        raise InvalidError(
            f"{e.args[0]} at instruction {pc} ({name})", func=fidx, offset=func.offset or None
        ) from None


def _check_body(c: _Context, ft: FuncType, func: Func) -> None:
    """The spec's validation algorithm over one body; raises _Fail(message, pc)."""
    locals_ = [*ft.params, *func.locals]
    nlocals = len(locals_)
    results = list(ft.results)
    globals_ = c.globals
    nglobals = len(globals_)
    funcs = c.funcs
    nfuncs = len(funcs)
    has_mem = bool(c.mems)
    simple = _SIMPLE.get
    memop = _MEMOPS.get

    vals: list[int] = []
    frame = [BLOCK, [], results, 0, False, results]
    ctrls = [frame]
    height = 0
    unreach = False
    body = func.body
    pc = -1
    try:
        for pc, ins in enumerate(body):  # noqa: B007 (pc is read by the except clause)
            op = ins[0]
            if op == LOCAL_GET:
                x = ins[1]
                if not 0 <= x < nlocals:
                    raise _Fail(f"unknown local {x}")
                vals.append(locals_[x])
                continue
            s = simple(op)
            if s is not None:
                # Every row with operands also has a result (see _SIMPLE).
                n, p1, p2, r = s
                if n == 2:
                    if len(vals) - height >= 2:
                        t = vals.pop()
                        u = vals[-1]
                        if (t != p2 and t) or (u != p1 and u):
                            raise _Fail(
                                f"type mismatch: expected {_types((p1, p2))}, got {_types((u, t))}"
                            )
                        vals[-1] = r
                    else:
                        _pop(vals, height, unreach, p2)
                        _pop(vals, height, unreach, p1)
                        vals.append(r)
                elif n == 1:
                    if len(vals) > height:
                        t = vals[-1]
                        if t != p1 and t:
                            raise _mismatch(p1, t)
                        vals[-1] = r
                    else:
                        _pop(vals, height, unreach, p1)
                        vals.append(r)
                else:
                    vals.append(r)
                continue
            if op == LOCAL_SET or op == LOCAL_TEE:
                x = ins[1]
                if not 0 <= x < nlocals:
                    raise _Fail(f"unknown local {x}")
                lt = locals_[x]
                if len(vals) > height:
                    t = vals.pop()
                    if t != lt and t:
                        raise _mismatch(lt, t)
                else:
                    _pop(vals, height, unreach, lt)
                if op == LOCAL_TEE:
                    vals.append(lt)
                continue
            if op == BR_IF:
                x = ins[1]
                if not 0 <= x < len(ctrls):
                    raise _Fail(f"unknown label {x}")
                if len(vals) > height:
                    t = vals.pop()
                    if t != I32 and t:
                        raise _mismatch(I32, t)
                else:
                    _pop(vals, height, unreach, I32)
                lt = ctrls[-1 - x][5]
                if lt:
                    k = len(lt)
                    if unreach or len(vals) - height < k or vals[-k:] != lt:
                        _pop_vals(vals, height, unreach, lt)
                        vals.extend(lt)
                continue
            if op == END:
                if (
                    unreach
                    or len(vals) - height != len(frame[2])
                    or (frame[2] and vals[height:] != frame[2])
                ):
                    _pop_vals(vals, height, unreach, frame[2])
                    if len(vals) != height:
                        raise _Fail(
                            f"type mismatch: block leaves {_types(vals[height:])} on the "
                            f"stack, expected {_types(frame[2])}"
                        )
                    vals.extend(frame[2])
                if frame[0] == IF and frame[1] != frame[2]:
                    raise _Fail(
                        f"type mismatch: if without else must have matching param and "
                        f"result types, has {_types(frame[1])} -> {_types(frame[2])}"
                    )
                ctrls.pop()
                if not ctrls:
                    if pc != len(body) - 1:
                        raise _Fail("instructions after the final end of the function")
                    return
                frame = ctrls[-1]
                height = frame[3]
                unreach = frame[4]
                continue
            if op == BLOCK or op == LOOP or op == IF:
                if op == IF:
                    if len(vals) > height:
                        t = vals.pop()
                        if t != I32 and t:
                            raise _mismatch(I32, t)
                    else:
                        _pop(vals, height, unreach, I32)
                params, res = c.blocktype(ins[1])
                if params:
                    _pop_vals(vals, height, unreach, params)
                height = len(vals)
                unreach = False
                frame = [op, params, res, height, False, params if op == LOOP else res]
                ctrls.append(frame)
                if params:
                    vals.extend(params)
                continue
            if op == BR or op == RETURN:
                if op == BR:
                    x = ins[1]
                    if not 0 <= x < len(ctrls):
                        raise _Fail(f"unknown label {x}")
                    lt = ctrls[-1 - x][5]
                else:
                    lt = results
                _pop_vals(vals, height, unreach, lt)
                del vals[height:]
                unreach = frame[4] = True
                continue
            if op == SELECT:
                if not unreach and len(vals) - height >= 3:
                    t = vals.pop()
                    t1 = vals.pop()
                    t2 = vals[-1]
                    if t != I32 or t1 != t2 or t1 not in _NUMERIC:
                        raise _Fail(
                            f"type mismatch: select needs [t t i32] with t numeric, got "
                            f"{_types((t2, t1, t))}"
                        )
                    continue
                _pop(vals, height, unreach, I32)
                t1 = _pop(vals, height, unreach, _UNKNOWN)
                t2 = _pop(vals, height, unreach, _UNKNOWN)
                if t1 not in _NUMERIC or t2 not in _NUMERIC:
                    raise _Fail(
                        f"type mismatch: select without a type needs numeric operands, got "
                        f"{_tname(t2)} and {_tname(t1)}"
                    )
                if t1 != t2 and t1 and t2:
                    raise _mismatch(t2, t1)
                vals.append(t1 or t2)
                continue
            m = memop(op)
            if m is not None:
                if not has_mem:
                    raise _Fail("unknown memory 0")
                natural, n, p1, p2, r = m
                if ins[1] > natural:
                    raise _Fail(
                        f"alignment must not be larger than natural "
                        f"(2**{ins[1]} > {1 << natural} bytes)"
                    )
                if len(vals) - height >= n:
                    if n == 1:
                        t = vals.pop()
                        if t != p1 and t:
                            raise _mismatch(p1, t)
                    else:
                        t = vals.pop()
                        u = vals.pop()
                        if (t != p2 and t) or (u != p1 and u):
                            raise _Fail(
                                f"type mismatch: expected {_types((p1, p2))}, got {_types((u, t))}"
                            )
                else:
                    if n == 2:
                        _pop(vals, height, unreach, p2)
                    _pop(vals, height, unreach, p1)
                if r:
                    vals.append(r)
                continue
            if op == CALL:
                x = ins[1]
                if not 0 <= x < nfuncs:
                    raise _Fail(f"unknown function {x}")
                cft = funcs[x]
                if cft.params:
                    _call_pop(vals, height, unreach, cft.params)
                if cft.results:
                    vals.extend(cft.results)
                continue
            if op == GLOBAL_GET:
                x = ins[1]
                if not 0 <= x < nglobals:
                    raise _Fail(f"unknown global {x}")
                vals.append(globals_[x].valtype)
                continue
            if op == GLOBAL_SET:
                x = ins[1]
                if not 0 <= x < nglobals:
                    raise _Fail(f"unknown global {x}")
                gt = globals_[x]
                if not gt.mutable:
                    raise _Fail(f"global is immutable: global.set of global {x}")
                _pop(vals, height, unreach, gt.valtype)
                continue
            if op == ELSE:
                if frame[0] != IF:
                    raise _Fail("else without matching if")
                if unreach or len(vals) - height != len(frame[2]) or vals[height:] != frame[2]:
                    _pop_vals(vals, height, unreach, frame[2])
                    if len(vals) != height:
                        raise _Fail(
                            f"type mismatch: then branch leaves {_types(vals[height:])} on "
                            f"the stack, expected {_types(frame[2])}"
                        )
                del vals[height:]
                params, res = frame[1], frame[2]
                unreach = False
                frame = [ELSE, params, res, height, False, res]
                ctrls[-1] = frame
                vals.extend(params)
                continue
            if op == UNREACHABLE:
                del vals[height:]
                unreach = frame[4] = True
                continue
            if op == DROP:
                if len(vals) > height:
                    vals.pop()
                elif not unreach:
                    raise _Fail("type mismatch: drop of an empty stack")
                continue
            if op == NOP:
                continue
            if op == BR_TABLE:
                _br_table(vals, height, unreach, ctrls, ins[1], ins[2])
                del vals[height:]
                unreach = frame[4] = True
                continue
            if op == CALL_INDIRECT:
                cft = _call_indirect_type(c, ins[1], ins[2])
                _pop(vals, height, unreach, I32)
                if cft.params:
                    _call_pop(vals, height, unreach, cft.params)
                vals.extend(cft.results)
                continue
            _other(c, op, ins, vals, height, unreach)
        raise _Fail("function body does not end with end")
    except _Fail as e:
        raise _Fail(e.args[0], pc) from None
    except (IndexError, TypeError, ValueError, KeyError) as e:
        # A malformed instruction tuple (wrong immediates) from a hand-built Module.
        raise _Fail(f"malformed instruction {body[pc]!r}: {e}", pc) from None


def _call_pop(vals: list[int], height: int, unreach: bool, params: tuple[int, ...]) -> None:
    k = len(params)
    if not unreach and len(vals) - height >= k and tuple(vals[-k:]) == params:
        del vals[-k:]
        return
    _pop_vals(vals, height, unreach, list(params))


def _call_indirect_type(c: _Context, typeidx: int, tableidx: int) -> FuncType:
    if not _index_ok(tableidx, len(c.tables)):
        raise _Fail(f"unknown table {tableidx}")
    if c.tables[tableidx].elem != FUNCREF:
        raise _Fail(f"type mismatch: call_indirect through table {tableidx} of externref")
    if not _index_ok(typeidx, len(c.types)):
        raise _Fail(f"unknown type {typeidx}")
    return c.types[typeidx]


def _br_table(
    vals: list[int], height: int, unreach: bool, ctrls: list, labels: tuple, default: int
) -> None:
    """The spec's br_table rule: every target has the default's arity and accepts the operands."""
    _pop(vals, height, unreach, I32)
    n = len(ctrls)
    if not _index_ok(default, n):
        raise _Fail(f"unknown label {default}")
    dt = ctrls[-1 - default][5]
    arity = len(dt)
    for x in labels:
        if not _index_ok(x, n):
            raise _Fail(f"unknown label {x}")
        lt = ctrls[-1 - x][5]
        if len(lt) != arity:
            raise _Fail(
                f"type mismatch: br_table targets have different arity "
                f"({_types(lt)} vs {_types(dt)})"
            )
        vals.extend(_pop_vals(vals, height, unreach, lt))
    _pop_vals(vals, height, unreach, dt)


def _table(c: _Context, x: int) -> TableType:
    if not _index_ok(x, len(c.tables)):
        raise _Fail(f"unknown table {x}")
    return c.tables[x]


def _memory(c: _Context, x: int) -> None:
    if not _index_ok(x, len(c.mems)):
        raise _Fail(f"unknown memory {x}")


def _elem(c: _Context, x: int) -> int:
    if not _index_ok(x, len(c.m.elems)):
        raise _Fail(f"unknown elem segment {x}")
    return c.m.elems[x].type


def _data(c: _Context, x: int) -> None:
    if not _index_ok(x, c.ndatas):
        raise _Fail(f"unknown data segment {x}")


def _other(c: _Context, op: int, ins: tuple, vals: list[int], height: int, unreach: bool) -> None:
    """The rarely used instructions: references, tables, bulk memory, typed select."""
    if op == SELECT_T:
        ts = ins[1]
        if len(ts) != 1:
            raise _Fail(f"invalid result arity: typed select with {len(ts)} types")
        t = ts[0]
        if t not in _VALTYPES:
            raise _Fail(f"invalid value type {_tname(t)} in select")
        _pop(vals, height, unreach, I32)
        _pop(vals, height, unreach, t)
        _pop(vals, height, unreach, t)
        vals.append(t)
    elif op == MEMORY_SIZE or op == MEMORY_GROW or op == MEMORY_FILL:
        _memory(c, ins[1])
        n = 0 if op == MEMORY_SIZE else (1 if op == MEMORY_GROW else 3)
        for _ in range(n):
            _pop(vals, height, unreach, I32)
        if op != MEMORY_FILL:
            vals.append(I32)
    elif op == MEMORY_COPY:
        _memory(c, ins[1])
        _memory(c, ins[2])
        for _ in range(3):
            _pop(vals, height, unreach, I32)
    elif op == MEMORY_INIT:
        _memory(c, ins[2])
        _data(c, ins[1])
        for _ in range(3):
            _pop(vals, height, unreach, I32)
    elif op == DATA_DROP:
        _data(c, ins[1])
    elif op == REF_NULL:
        t = ins[1]
        if t not in REF_TYPES:
            raise _Fail(f"malformed reference type {_tname(t)}")
        vals.append(t)
    elif op == REF_IS_NULL:
        t = _pop(vals, height, unreach, _UNKNOWN)
        if t not in _REFS:
            raise _Fail(f"type mismatch: ref.is_null needs a reference, got {_tname(t)}")
        vals.append(I32)
    elif op == REF_FUNC:
        x = ins[1]
        if not _index_ok(x, len(c.funcs)):
            raise _Fail(f"unknown function {x}")
        if x not in c.refs:
            raise _Fail(f"undeclared function reference {x}")
        vals.append(FUNCREF)
    elif op == TABLE_GET:
        et = _table(c, ins[1]).elem
        _pop(vals, height, unreach, I32)
        vals.append(et)
    elif op == TABLE_SET:
        et = _table(c, ins[1]).elem
        _pop(vals, height, unreach, et)
        _pop(vals, height, unreach, I32)
    elif op == TABLE_SIZE:
        _table(c, ins[1])
        vals.append(I32)
    elif op == TABLE_GROW:
        et = _table(c, ins[1]).elem
        _pop(vals, height, unreach, I32)
        _pop(vals, height, unreach, et)
        vals.append(I32)
    elif op == TABLE_FILL:
        et = _table(c, ins[1]).elem
        _pop(vals, height, unreach, I32)
        _pop(vals, height, unreach, et)
        _pop(vals, height, unreach, I32)
    elif op == TABLE_COPY:
        dst = _table(c, ins[1]).elem
        src = _table(c, ins[2]).elem
        if dst != src:
            raise _Fail(
                f"type mismatch: table.copy from {_tname(src)} table to {_tname(dst)} table"
            )
        for _ in range(3):
            _pop(vals, height, unreach, I32)
    elif op == TABLE_INIT:
        tt = _table(c, ins[2]).elem
        et = _elem(c, ins[1])
        if tt != et:
            raise _Fail(
                f"type mismatch: table.init of {_tname(et)} segment into {_tname(tt)} table"
            )
        for _ in range(3):
            _pop(vals, height, unreach, I32)
    elif op == ELEM_DROP:
        _elem(c, ins[1])
    else:
        raise _Fail(f"unknown opcode {op!r}")
