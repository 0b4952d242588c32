"""The embedding API: what `import wasios` offers for running Wasm from Python.

It mirrors what wasmtime-py users know, without the store plumbing::

    module = Module(wat_or_bytes)              # or Module.from_file("prog.wasm")
    inst = Instance(module, {"env": {"log": print}})
    inst.exports["add"](1, 2)

Values at this edge are plain Python: ints for i32/i64 (results come back signed, as in
wasmtime; arguments may be given signed or unsigned), floats for f32/f64, a `Func` or
None for funcref, any object or None for externref. Floats keep exact bit patterns,
NaN payloads included: use `f32_bits`/`f32_from_bits` (and the f64 twins) to see or
build them. Everything below this layer uses the engine's run-time representation.
"""

from __future__ import annotations

import inspect as _inspect
import os
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from . import cache as _cache
from . import jit as _jit
from . import numerics
from .decode import decode
from .errors import LinkError, WasmError
from .instance import instantiate, resolve_imports
from .interp import invoke
from .module import (
    EXT_FUNC,
    EXT_GLOBAL,
    EXT_MEMORY,
    EXT_NAMES,
    EXT_TABLE,
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    TYPE_NAMES,
    V128,
    FuncType,
    GlobalType,
    Limits,
    MemoryType,
    TableType,
)
from .module import Module as _ModuleData
from .runtime import Function, HostFunction
from .runtime import Global as _Global
from .runtime import Instance as _Instance
from .runtime import Memory as _Memory
from .runtime import Table as _Table
from .validate import validate

__all__ = [
    "Module",
    "Instance",
    "Func",
    "Memory",
    "Table",
    "Global",
    "Caller",
    "valtype",
    "f32_bits",
    "f32_from_bits",
    "f64_bits",
    "f64_from_bits",
]

_TYPES_BY_NAME = {name: code for code, name in TYPE_NAMES.items()}
_TYPES_BY_NAME["anyfunc"] = FUNCREF

f32_bits = numerics.f32_to_bits
f32_from_bits = numerics.f32_from_bits
f64_bits = numerics.f64_to_bits
f64_from_bits = numerics.f64_from_bits


def valtype(t: str | int) -> int:
    """A value type from its text name ("i32", "funcref", ...) or binary code."""
    if isinstance(t, int):
        if t in TYPE_NAMES:
            return t
    elif t in _TYPES_BY_NAME:
        return _TYPES_BY_NAME[t]
    raise ValueError(f"unknown value type {t!r}")


# --- value conversion at the edge ------------------------------------------------


def to_wasm(t: int, value: Any) -> Any:
    """Convert a Python value to the engine's representation of type `t`."""
    if t == I32:
        v = int(value)
        if not -(1 << 31) <= v < (1 << 32):
            raise ValueError(f"{value!r} does not fit in i32")
        return v & 0xFFFFFFFF
    if t == I64:
        v = int(value)
        if not -(1 << 63) <= v < (1 << 64):
            raise ValueError(f"{value!r} does not fit in i64")
        return v & 0xFFFFFFFFFFFFFFFF
    if t == F32:
        x = float(value)
        if x != x:  # keep the NaN's f32 payload bits (the top 23 of the f64 payload)
            return numerics.f32_from_bits(numerics.f32_to_bits(x))
        return numerics.f32_round(x)
    if t == F64:
        return float(value)
    if t == FUNCREF:
        if value is None:
            return None
        if isinstance(value, Func):
            return value._func
        if isinstance(value, Function):
            return value
        raise TypeError(f"expected a Func or None for funcref, got {type(value).__name__}")
    if t == EXTERNREF:
        return value
    if t == V128:
        return int(value) & ((1 << 128) - 1)
    raise ValueError(f"unknown value type {t}")


def from_wasm(t: int, value: Any) -> Any:
    """Convert an engine value of type `t` to the Python value users see."""
    if t == I32:
        return value - (1 << 32) if value & 0x80000000 else value
    if t == I64:
        return value - (1 << 64) if value & 0x8000000000000000 else value
    if t == FUNCREF:
        return None if value is None else Func._wrap(value)
    return value


def _results(ft: FuncType, raw: list[Any]) -> Any:
    if not ft.results:
        return None
    if len(ft.results) == 1:
        return from_wasm(ft.results[0], raw[0])
    return tuple(from_wasm(t, v) for t, v in zip(ft.results, raw, strict=True))


def _functype(params: Any, results: Any) -> FuncType:
    return FuncType(tuple(valtype(t) for t in params), tuple(valtype(t) for t in results))


# --- modules ---------------------------------------------------------------------


class Module:
    """A decoded and validated module, ready to instantiate any number of times."""

    def __init__(
        self,
        source: bytes | bytearray | memoryview | str,
        *,
        name: str | None = None,
        cache: bool = True,
    ):
        # The decoded and validated module comes from the on-disk cache when it is there
        # (`cache.py`; text modules are keyed by their text); `cache=False` skips it.
        if isinstance(source, str):
            raw, binary = source.encode("utf-8"), False
        elif isinstance(source, bytes | bytearray | memoryview):
            raw = bytes(source)
            binary = raw[:4] == b"\0asm" or not _looks_like_text(raw)
        else:
            raise TypeError("Module() takes bytes or WAT text; use Module.from_file for a path")

        def build() -> _ModuleData:
            if binary:
                data = decode(raw)
            else:
                from .text import parse_module  # only text needs the parser: faster start

                data = parse_module(source if isinstance(source, str) else raw.decode("utf-8"))
            validate(data)
            return data

        data = _cache.load_module(raw, build, kind="wasm" if binary else "wat", cache=cache)
        if _cache.module_key(data) is not None:
            weakref.finalize(self, _cache.forget, data)
        self._module = data
        self.name = name if name is not None else data.module_name

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Module:
        """Load a `.wasm` or `.wat` file (the content decides, not the suffix)."""
        with open(path, "rb") as f:
            raw = f.read()
        return cls(raw, name=os.path.basename(os.fspath(path)))

    @classmethod
    def _from_data(cls, data: _ModuleData) -> Module:
        """Wrap an already decoded module (validating it)."""
        validate(data)
        self = cls.__new__(cls)
        self._module = data
        self.name = data.module_name
        return self

    @property
    def imports(self) -> list[tuple[str, str, str]]:
        """(module, name, kind) of each import, in order."""
        return [(i.module, i.name, EXT_NAMES[i.kind]) for i in self._module.imports]

    @property
    def exports(self) -> list[tuple[str, str]]:
        """(name, kind) of each export, in order."""
        return [(e.name, EXT_NAMES[e.kind]) for e in self._module.exports]

    def instantiate(self, imports: Mapping[str, Any] | None = None) -> Instance:
        return Instance(self, imports)

    def __repr__(self) -> str:
        m = self._module
        return (
            f"<wasios.Module {self.name or ''} imports={len(m.imports)} exports={len(m.exports)}>"
        )


def _looks_like_text(raw: bytes) -> bool:
    return raw.lstrip()[:1] in (b"(", b";") or raw.lstrip() == b""


# --- store objects ------------------------------------------------------------------


class Func:
    """A function: an export of an instance, or a Python callable made importable.

    `Func(fn, params, results)` defines a host function of that type; leave the type out
    when the callable is used only as an import, and the import's declared type is used.
    With `access_caller=True`, `fn` gets a `Caller` first, to reach the calling instance's
    memory and exports.
    """

    __slots__ = ("_func", "_fn", "_access_caller", "_ft")

    def __init__(
        self,
        fn: Callable[..., Any],
        params: Any = None,
        results: Any = None,
        *,
        access_caller: bool = False,
    ) -> None:
        self._fn = fn
        self._access_caller = access_caller
        self._ft = (
            None if params is None and results is None else _functype(params or (), results or ())
        )
        self._func: Function | None = self._host(self._ft) if self._ft is not None else None

    def _host(self, ft: FuncType) -> HostFunction:
        fn = self._fn
        params = ft.params
        single = len(ft.results) == 1
        results = ft.results
        access_caller = self._access_caller

        def call(*args: Any) -> Any:
            if access_caller:
                caller, args = args[0], args[1:]
                py_args = [Caller(caller)] + [
                    from_wasm(t, a) for t, a in zip(params, args, strict=True)
                ]
            else:
                py_args = [from_wasm(t, a) for t, a in zip(params, args, strict=True)]
            out = fn(*py_args)
            if not results:
                return None
            if single:
                return to_wasm(results[0], out)
            if not isinstance(out, tuple | list) or len(out) != len(results):
                raise TypeError(f"host function must return {len(results)} values")
            return tuple(to_wasm(t, v) for t, v in zip(results, out, strict=True))

        name = getattr(fn, "__qualname__", "<host>")
        return HostFunction(ft, call, wants_caller=access_caller, name=name)

    def _bind(self, ft: FuncType) -> Function:
        """The run-time function for an import of type `ft`."""
        if self._func is None:
            return self._host(ft)
        return self._func

    @classmethod
    def _wrap(cls, f: Function) -> Func:
        self = cls.__new__(cls)
        self._func = f
        self._fn = None
        self._access_caller = False
        self._ft = f.type
        return self

    @property
    def type(self) -> FuncType:
        if self._func is None:
            raise ValueError("this Func has no type of its own until it is imported")
        return self._func.type

    def __call__(self, *args: Any) -> Any:
        f = self._func
        if f is None:
            return self._fn(*args)
        ft = f.type
        if len(args) != len(ft.params):
            raise TypeError(f"{self.name} expects {len(ft.params)} arguments, got {len(args)}")
        raw = [to_wasm(t, a) for t, a in zip(ft.params, args, strict=True)]
        return _results(ft, invoke(f, raw))

    def call_raw(self, *args: Any) -> list[Any]:
        """Call with and get back engine values (unsigned ints, floats): no conversion."""
        assert self._func is not None
        return invoke(self._func, list(args))

    @property
    def name(self) -> str:
        return self._func.name if self._func is not None else getattr(self._fn, "__name__", "?")

    def __repr__(self) -> str:
        return f"<wasios.Func {self.name} {self._ft if self._ft else ''}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Func) and self._func is not None and self._func is other._func

    def __hash__(self) -> int:
        return hash(id(self._func))


class Memory:
    """A linear memory: `Memory(min_pages, max_pages)` or an instance's export."""

    __slots__ = ("_mem",)

    def __init__(self, min: int = 1, max: int | None = None) -> None:
        self._mem = _Memory(MemoryType(Limits(min, max)))

    @classmethod
    def _wrap(cls, m: _Memory) -> Memory:
        self = cls.__new__(cls)
        self._mem = m
        return self

    @property
    def data(self) -> bytearray:
        """The live bytes (valid until the next grow)."""
        return self._mem.data

    @property
    def pages(self) -> int:
        return self._mem.pages

    def __len__(self) -> int:
        return len(self._mem.data)

    def grow(self, delta: int) -> int:
        """Grow by `delta` pages; return the old size. Raises WasmError on failure."""
        old = self._mem.grow(delta)
        if old < 0:
            raise WasmError(f"cannot grow memory by {delta} pages from {self._mem.pages}")
        return old

    def read(self, addr: int, size: int) -> bytes:
        data = self._mem.data
        if addr < 0 or size < 0 or addr + size > len(data):
            raise IndexError(f"read of {size} bytes at {addr} is out of bounds ({len(data)})")
        return bytes(data[addr : addr + size])

    def write(self, addr: int, payload: bytes) -> None:
        data = self._mem.data
        if addr < 0 or addr + len(payload) > len(data):
            raise IndexError(
                f"write of {len(payload)} bytes at {addr} is out of bounds ({len(data)})"
            )
        data[addr : addr + len(payload)] = payload

    def __repr__(self) -> str:
        return f"<wasios.Memory pages={self.pages}>"


class Table:
    """A table of references: `Table("funcref", min, max)` or an instance's export."""

    __slots__ = ("_table",)

    def __init__(
        self, type: str = "funcref", min: int = 0, max: int | None = None, init: Any = None
    ):
        elem = valtype(type)
        if elem not in (FUNCREF, EXTERNREF):
            raise ValueError("a table holds funcref or externref")
        self._table = _Table(TableType(elem, Limits(min, max)), to_wasm(elem, init))

    @classmethod
    def _wrap(cls, t: _Table) -> Table:
        self = cls.__new__(cls)
        self._table = t
        return self

    @property
    def size(self) -> int:
        return len(self._table.elements)

    def __len__(self) -> int:
        return len(self._table.elements)

    def __getitem__(self, i: int) -> Any:
        return from_wasm(self._table.type.elem, self._table.elements[i])

    def __setitem__(self, i: int, value: Any) -> None:
        self._table.elements[i] = to_wasm(self._table.type.elem, value)

    def grow(self, delta: int, init: Any = None) -> int:
        old = self._table.grow(delta, to_wasm(self._table.type.elem, init))
        if old < 0:
            raise WasmError(f"cannot grow table by {delta} from {self.size}")
        return old


class Global:
    """A global: `Global("i32", 7, mutable=True)` or an instance's export."""

    __slots__ = ("_global",)

    def __init__(self, type: str, value: Any = 0, *, mutable: bool = False) -> None:
        t = valtype(type)
        self._global = _Global(GlobalType(t, mutable), to_wasm(t, value))

    @classmethod
    def _wrap(cls, g: _Global) -> Global:
        self = cls.__new__(cls)
        self._global = g
        return self

    @property
    def mutable(self) -> bool:
        return self._global.type.mutable

    @property
    def type(self) -> str:
        return TYPE_NAMES[self._global.type.valtype]

    @property
    def value(self) -> Any:
        return from_wasm(self._global.type.valtype, self._global.value)

    @value.setter
    def value(self, v: Any) -> None:
        if not self._global.type.mutable:
            raise AttributeError("cannot set an immutable global")
        self._global.value = to_wasm(self._global.type.valtype, v)

    def __repr__(self) -> str:
        return f"<wasios.Global {self.type} {'mut ' if self.mutable else ''}{self.value!r}>"


def _wrap_extern(x: Any) -> Any:
    if isinstance(x, Function):
        return Func._wrap(x)
    if isinstance(x, _Memory):
        return Memory._wrap(x)
    if isinstance(x, _Table):
        return Table._wrap(x)
    if isinstance(x, _Global):
        return Global._wrap(x)
    raise TypeError(f"not an extern: {x!r}")


class Exports(Mapping[str, Any]):
    """An instance's exports by name; also reachable as attributes (`exports.add`)."""

    def __init__(self, inst: _Instance) -> None:
        self._inst = inst

    def __getitem__(self, name: str) -> Any:
        return _wrap_extern(self._inst.exports[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._inst.exports)

    def __len__(self) -> int:
        return len(self._inst.exports)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Caller:
    """What a host function created with `access_caller=True` sees of the calling instance."""

    __slots__ = ("_inst",)

    def __init__(self, inst: _Instance | None) -> None:
        self._inst = inst

    @property
    def memory(self) -> Memory | None:
        """The caller's memory 0, exported or not (a WASI host call needs it)."""
        if self._inst is None or not self._inst.mems:
            return None
        return Memory._wrap(self._inst.mems[0])

    @property
    def exports(self) -> Exports | None:
        return None if self._inst is None else Exports(self._inst)


_KIND_CHECK = {
    EXT_FUNC: (Func, Function),
    EXT_TABLE: (Table, _Table),
    EXT_MEMORY: (Memory, _Memory),
    EXT_GLOBAL: (Global, _Global),
}


class Instance:
    """An instantiated module.

    `imports` maps module names to namespaces: a dict of name -> Func / Memory / Table /
    Global / plain callable (typed by the import's declaration), or another `Instance`
    (its exports).
    """

    def __init__(
        self,
        module: Module,
        imports: Mapping[str, Any] | None = None,
        *,
        jit: str | None = None,
        fuel: int | None = None,
        deadline: float | None = None,
    ) -> None:
        # jit: "off" | "lazy" (default, or $WASIOS_JIT) | "eager"; fuel: units (function
        # entries + loop iterations) before Trap("all fuel consumed"); deadline: seconds
        # of wall clock before Trap("deadline exceeded"). See procs/wasm/jit.py.
        self.module = module
        data = module._module
        imports = imports or {}
        jit_config = _jit.make_config(jit, fuel, deadline)

        def lookup(mod: str, name: str) -> Any:
            ns = imports.get(mod)
            if ns is None:
                return None
            if isinstance(ns, Instance):
                return ns._inst.exports.get(name)
            value = ns.get(name) if isinstance(ns, Mapping) else getattr(ns, name, None)
            return value

        externs = []
        for imp, value in zip(data.imports, resolve_imports(data, lookup), strict=True):
            externs.append(self._extern_for(imp, value, data))
        with _jit.config_for(jit_config):
            self._inst = instantiate(data, externs)
            _jit.state(self._inst)
        self.exports = Exports(self._inst)

    def set_fuel(self, fuel: int | None) -> None:
        """Allow `fuel` more units (None: unlimited); running out traps."""
        _jit.set_fuel(self._inst, fuel)

    @property
    def fuel_remaining(self) -> int | None:
        return _jit.fuel_remaining(self._inst)

    def set_deadline(self, seconds: float | None) -> None:
        """Trap with "deadline exceeded" once `seconds` from now have passed (None: off)."""
        _jit.set_deadline(self._inst, seconds)

    @staticmethod
    def _extern_for(imp: Any, value: Any, data: _ModuleData) -> Any:
        where = f"{imp.module}::{imp.name}"
        if imp.kind == EXT_FUNC and not isinstance(value, Func | Function) and callable(value):
            value = Func(value, access_caller=_wants_caller(value))
        if not isinstance(value, _KIND_CHECK[imp.kind]):
            raise LinkError(
                f"incompatible import type for `{where}`: expected {EXT_NAMES[imp.kind]}, "
                f"got {type(value).__name__}"
            )
        if isinstance(value, Func):
            return value._bind(data.types[imp.desc])
        if isinstance(value, Memory):
            return value._mem
        if isinstance(value, Table):
            return value._table
        if isinstance(value, Global):
            return value._global
        return value

    def call(
        self, name: str, *args: Any, fuel: int | None = None, deadline: float | None = None
    ) -> Any:
        """Call an exported function by name (optionally with fresh fuel / deadline)."""
        if fuel is not None:
            self.set_fuel(fuel)
        if deadline is not None:
            self.set_deadline(deadline)
        f = self.exports[name]
        if not isinstance(f, Func):
            raise TypeError(f"export {name!r} is a {type(f).__name__}, not a function")
        return f(*args)

    @property
    def memory(self) -> Memory | None:
        """Memory 0 of the instance, exported or not."""
        return Memory._wrap(self._inst.mems[0]) if self._inst.mems else None

    def __repr__(self) -> str:
        return f"<wasios.Instance of {self.module.name or 'module'}>"


def _wants_caller(fn: Callable[..., Any]) -> bool:
    """A plain callable whose first parameter is named `caller` gets the Caller."""
    try:
        params = list(_inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0] == "caller"
