"""Run-time objects of the store: memories, tables, globals, functions and instances.

Value representation at run time (the whole engine uses it; the public API converts at
its edge):

* i32 / i64: unsigned Python ints, `0 <= v < 2**32` / `2**64`.
* f32 / f64: Python floats. An f32 value is always exactly representable as f32.
  NaN payloads are kept bit-exact: an f32 NaN with payload p is held as the f64 NaN
  with payload `p << 29` (see `numerics.f32_from_bits` / `f32_to_bits`), because
  CPython's own f32 unpacking quiets signalling NaNs.
* funcref: a `Function` or None (null). externref: any Python object or None (null).
* v128 (later): a 128-bit unsigned Python int.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import Trap
from .module import (
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    MAX_PAGES,
    PAGE_SIZE,
    V128,
    FuncType,
    GlobalType,
    Limits,
    MemoryType,
    Module,
    TableType,
)

if TYPE_CHECKING:
    pass

# Default cap on memory size, below the architectural 4 GiB, so that a hostile module
# cannot make the host allocate everything. Embedders may raise it per memory.
DEFAULT_MAX_MEMORY_PAGES = 16384  # 1 GiB
# Default cap on table length (elements), for the same reason.
DEFAULT_MAX_TABLE_ELEMS = 10_000_000


def default_value(valtype: int) -> Any:
    """The zero value of a type (locals and `table.grow`/`ref.null` defaults)."""
    if valtype in (I32, I64, V128):
        return 0
    if valtype in (F32, F64):
        return 0.0
    if valtype in (FUNCREF, EXTERNREF):
        return None
    raise ValueError(f"unknown value type 0x{valtype:x}")


class Memory:
    """A linear memory. `data` is a bytearray whose length is always pages * 64 KiB."""

    __slots__ = ("type", "data", "max_pages", "limit_pages")

    def __init__(self, type: MemoryType, limit_pages: int = DEFAULT_MAX_MEMORY_PAGES) -> None:
        self.type = type
        self.max_pages = type.limits.max if type.limits.max is not None else MAX_PAGES
        self.limit_pages = limit_pages
        if type.limits.min > limit_pages:
            raise Trap(f"memory of {type.limits.min} pages exceeds the limit of {limit_pages}")
        self.data = bytearray(type.limits.min * PAGE_SIZE)

    @property
    def pages(self) -> int:
        return len(self.data) // PAGE_SIZE

    def grow(self, delta: int) -> int:
        """Grow by `delta` pages; return the old size in pages, or -1 on failure."""
        old = len(self.data) // PAGE_SIZE
        new = old + delta
        if new > self.max_pages or new > self.limit_pages:
            return -1
        if delta:
            self.data.extend(bytes(delta * PAGE_SIZE))
        return old

    def current_type(self) -> MemoryType:
        """Type for import matching: current size as the minimum."""
        return MemoryType(Limits(self.pages, self.type.limits.max))


class Table:
    """A table of references; `elements` is a Python list (None is the null reference)."""

    __slots__ = ("type", "elements", "max", "limit")

    def __init__(
        self, type: TableType, init: Any = None, limit: int = DEFAULT_MAX_TABLE_ELEMS
    ) -> None:
        self.type = type
        self.max = type.limits.max if type.limits.max is not None else 0xFFFFFFFF
        self.limit = limit
        if type.limits.min > limit:
            raise Trap(f"table of {type.limits.min} elements exceeds the limit of {limit}")
        self.elements: list[Any] = [init] * type.limits.min

    def grow(self, delta: int, init: Any = None) -> int:
        """Grow by `delta` elements; return the old size, or -1 on failure."""
        old = len(self.elements)
        new = old + delta
        if new > self.max or new > self.limit:
            return -1
        if delta:
            self.elements.extend([init] * delta)
        return old

    def current_type(self) -> TableType:
        return TableType(self.type.elem, Limits(len(self.elements), self.type.limits.max))


class Global:
    __slots__ = ("type", "value")

    def __init__(self, type: GlobalType, value: Any) -> None:
        self.type = type
        self.value = value


class Function:
    """Base of callable functions in the store (the value of a funcref)."""

    __slots__ = ("type",)

    def __init__(self, type: FuncType) -> None:
        self.type = type

    @property
    def name(self) -> str:
        return "<function>"


class HostFunction(Function):
    """A function provided by the embedder.

    `fn` is called with the arguments in run-time representation and returns None, one
    value, or a tuple/list of values (for several results). If `wants_caller` is set,
    the calling `Instance` (or None when called from outside) is passed first, so a
    host function can reach the caller's memory.
    """

    __slots__ = ("fn", "wants_caller", "host_name")

    def __init__(
        self,
        type: FuncType,
        fn: Callable[..., Any],
        wants_caller: bool = False,
        name: str = "<host>",
    ) -> None:
        super().__init__(type)
        self.fn = fn
        self.wants_caller = wants_caller
        self.host_name = name

    @property
    def name(self) -> str:
        return self.host_name


class WasmFunction(Function):
    """A function defined by a module, bound to its instance.

    `code` is the lowered register-IR form, produced lazily on first call by the
    interpreter (`interp.py`); `index` is the index in the module's function index
    space (imports first).
    """

    __slots__ = ("instance", "index", "defined", "code")

    def __init__(self, type: FuncType, instance: Instance, index: int, defined: int) -> None:
        super().__init__(type)
        self.instance = instance
        self.index = index
        self.defined = defined  # index into module.funcs
        self.code: Any = None

    @property
    def name(self) -> str:
        return self.instance.module.func_name(self.index)


class Instance:
    """A module instance: its index spaces resolved to run-time objects."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.funcs: list[Function] = []
        self.tables: list[Table] = []
        self.mems: list[Memory] = []
        self.globals: list[Global] = []
        # Element segments as lists of references; a dropped segment is [].
        self.elems: list[list[Any]] = []
        # Data segments as bytes; a dropped segment is b"".
        self.datas: list[bytes] = []
        self.exports: dict[str, Function | Table | Memory | Global] = {}
        self.types: list[FuncType] = module.types
        # Per-instance engine state (the interpreter/JIT may keep caches here).
        self.engine_state: dict[str, Any] = {}
