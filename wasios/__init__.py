"""wasios: run WebAssembly programs as Unix-like processes, or embed the engine in Python.

>>> import wasios
>>> m = wasios.Module('(module (func (export "add") (param i32 i32) (result i32)'
...                   ' local.get 0 local.get 1 i32.add))')
>>> wasios.Instance(m).exports.add(2, 3)
5
"""

from kernel.system import DEVNULL, INHERIT, PIPE, CompletedRun, System, WasmProcess
from procs.wasm.api import (
    Caller,
    Func,
    Global,
    Instance,
    Memory,
    Module,
    Table,
    f32_bits,
    f32_from_bits,
    f64_bits,
    f64_from_bits,
)
from procs.wasm.errors import (
    Exhaustion,
    InvalidError,
    LinkError,
    MalformedError,
    Trap,
    UnsupportedError,
    WasmError,
)
from wasios._system import run, syscall, unregister_syscall

__version__ = "0.1.0"

__all__ = [
    "run",
    "syscall",
    "unregister_syscall",
    "System",
    "WasmProcess",
    "CompletedRun",
    "PIPE",
    "INHERIT",
    "DEVNULL",
    "Module",
    "Instance",
    "Func",
    "Memory",
    "Table",
    "Global",
    "Caller",
    "f32_bits",
    "f32_from_bits",
    "f64_bits",
    "f64_from_bits",
    "WasmError",
    "MalformedError",
    "UnsupportedError",
    "InvalidError",
    "LinkError",
    "Trap",
    "Exhaustion",
]
