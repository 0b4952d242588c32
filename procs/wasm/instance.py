"""Instantiation and linking (Wasm 2.0 §4.5.4), in the spec's order.

1. Match each provided extern against its import (kind, then type); a mismatch is a
   `LinkError` and nothing has happened yet.
2. Allocate functions, tables, memories and globals (global initialisers see only the
   imported globals); evaluate element segments to lists of references.
3. Collect the exports.
4. Initialise tables from the active element segments, in order, then memories from the
   active data segments, in order; each segment is dropped after use (declarative element
   segments are dropped too).  A failed bounds check traps and leaves the effects of the
   earlier segments in place: imported tables and memories are shared objects, so other
   instances see them (linking.wast relies on it).
5. Run the start function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import numerics
from . import opcodes as op
from .errors import LinkError, Trap
from .interp import invoke
from .module import (
    ACTIVE,
    DECLARATIVE,
    EXT_FUNC,
    EXT_GLOBAL,
    EXT_MEMORY,
    EXT_NAMES,
    EXT_TABLE,
    TYPE_NAMES,
    Expr,
    Import,
    Limits,
    Module,
)
from .runtime import Function, Global, Instance, Memory, Table, WasmFunction

__all__ = ["instantiate", "resolve_imports", "eval_const"]


def resolve_imports(module: Module, lookup: Callable[[str, str], object | None]) -> list:
    """The extern for each import, in order, from `lookup(module_name, name)`."""
    out = []
    for imp in module.imports:
        ext = lookup(imp.module, imp.name)
        if ext is None:
            raise LinkError(f"unknown import: `{imp.module}::{imp.name}` has not been defined")
        out.append(ext)
    return out


def _kind_of(ext: object) -> str:
    if isinstance(ext, Function):
        return "func"
    if isinstance(ext, Table):
        return "table"
    if isinstance(ext, Memory):
        return "memory"
    if isinstance(ext, Global):
        return "global"
    return type(ext).__name__


def _limits_match(actual: Limits, wanted: Limits) -> str | None:
    """None if `actual` is a subtype of `wanted`, else why not."""
    if actual.min < wanted.min:
        return f"minimum {actual.min} is smaller than the required {wanted.min}"
    if wanted.max is not None:
        if actual.max is None:
            return f"no maximum, but at most {wanted.max} is required"
        if actual.max > wanted.max:
            return f"maximum {actual.max} is larger than the allowed {wanted.max}"
    return None


def _check_import(module: Module, imp: Import, ext: object) -> None:
    def fail(detail: str) -> LinkError:
        return LinkError(f"incompatible import type for `{imp.module}::{imp.name}`: {detail}")

    want = EXT_NAMES[imp.kind]
    got = _kind_of(ext)
    if got != want:
        raise fail(f"expected {want}, got {got}")
    if imp.kind == EXT_FUNC:
        ft = module.types[imp.desc]  # type: ignore[index]
        if ext.type != ft:  # type: ignore[attr-defined]
            raise fail(f"expected {ft}, got {ext.type}")  # type: ignore[attr-defined]
    elif imp.kind == EXT_TABLE:
        tt = imp.desc
        cur = ext.current_type()  # type: ignore[attr-defined]
        if cur.elem != tt.elem:  # type: ignore[union-attr]
            raise fail(
                f"expected {TYPE_NAMES[tt.elem]} table, got {TYPE_NAMES[cur.elem]}"  # type: ignore[union-attr]
            )
        why = _limits_match(cur.limits, tt.limits)  # type: ignore[union-attr]
        if why:
            raise fail(f"table {why}")
    elif imp.kind == EXT_MEMORY:
        cur = ext.current_type()  # type: ignore[attr-defined]
        why = _limits_match(cur.limits, imp.desc.limits)  # type: ignore[union-attr]
        if why:
            raise fail(f"memory {why}")
    else:
        gt = imp.desc
        et = ext.type  # type: ignore[attr-defined]
        if et.valtype != gt.valtype or et.mutable != gt.mutable:  # type: ignore[union-attr]
            raise fail(f"expected {_gt_str(gt)} global, got {_gt_str(et)}")


def _gt_str(gt: Any) -> str:
    name = TYPE_NAMES.get(gt.valtype, hex(gt.valtype))
    return f"mut {name}" if gt.mutable else name


_CONST_BIN = {
    0x6A: numerics.i32_add,
    0x6B: numerics.i32_sub,
    0x6C: numerics.i32_mul,
    0x7C: numerics.i64_add,
    0x7D: numerics.i64_sub,
    0x7E: numerics.i64_mul,
}


def eval_const(expr: Expr, inst: Instance) -> Any:
    """Value of a validated constant expression in `inst` (globals and functions so far)."""
    stack: list[Any] = []
    for ins in expr:
        code = ins[0]
        if code == op.I32_CONST or code == op.I64_CONST:
            stack.append(ins[1])
        elif code == op.F32_CONST:
            stack.append(numerics.f32_from_bits(ins[1]))
        elif code == op.F64_CONST:
            stack.append(numerics.f64_from_bits(ins[1]))
        elif code == op.REF_NULL:
            stack.append(None)
        elif code == op.REF_FUNC:
            stack.append(inst.funcs[ins[1]])
        elif code == op.GLOBAL_GET:
            stack.append(inst.globals[ins[1]].value)
        elif code in _CONST_BIN:  # extended constant expressions
            b = stack.pop()
            a = stack.pop()
            stack.append(_CONST_BIN[code](a, b))
        else:  # the validator admits nothing else
            raise AssertionError(f"not a constant instruction: 0x{code:x}")
    return stack[-1]


def instantiate(module: Module, externs: list) -> Instance:
    """Instantiate a validated module with `externs` matching `module.imports` in order."""
    if len(externs) != len(module.imports):
        raise LinkError(f"expected {len(module.imports)} imports, got {len(externs)}")
    for imp, ext in zip(module.imports, externs, strict=True):
        _check_import(module, imp, ext)

    inst = Instance(module)
    for imp, ext in zip(module.imports, externs, strict=True):
        if imp.kind == EXT_FUNC:
            inst.funcs.append(ext)
        elif imp.kind == EXT_TABLE:
            inst.tables.append(ext)
        elif imp.kind == EXT_MEMORY:
            inst.mems.append(ext)
        else:
            inst.globals.append(ext)

    nimported = len(inst.funcs)
    for i, f in enumerate(module.funcs):
        inst.funcs.append(WasmFunction(module.types[f.type_idx], inst, nimported + i, i))
    for tt in module.tables:
        inst.tables.append(Table(tt))
    for mt in module.mems:
        inst.mems.append(Memory(mt))
    # Initialisers may read imported globals only (and refer to any function).
    values = [eval_const(g.init, inst) for g in module.globals]
    for g, v in zip(module.globals, values, strict=True):
        inst.globals.append(Global(g.type, v))
    inst.elems = [[eval_const(e, inst) for e in seg.init] for seg in module.elems]
    inst.datas = [seg.init for seg in module.datas]

    for ex in module.exports:
        space = {
            EXT_FUNC: inst.funcs,
            EXT_TABLE: inst.tables,
            EXT_MEMORY: inst.mems,
            EXT_GLOBAL: inst.globals,
        }[ex.kind]
        inst.exports[ex.name] = space[ex.index]

    for i, seg in enumerate(module.elems):
        if seg.mode == ACTIVE:
            elements = inst.tables[seg.table].elements
            d = eval_const(seg.offset, inst)  # type: ignore[arg-type]
            refs = inst.elems[i]
            if d + len(refs) > len(elements):
                raise Trap("out of bounds table access")
            elements[d : d + len(refs)] = refs
            inst.elems[i] = []
        elif seg.mode == DECLARATIVE:
            inst.elems[i] = []
    for i, seg in enumerate(module.datas):
        if seg.mode == ACTIVE:
            mem = inst.mems[seg.memory].data
            d = eval_const(seg.offset, inst)  # type: ignore[arg-type]
            data = seg.init
            if d + len(data) > len(mem):
                raise Trap("out of bounds memory access")
            mem[d : d + len(data)] = data
            inst.datas[i] = b""

    if module.start is not None:
        invoke(inst.funcs[module.start], [])
    return inst
