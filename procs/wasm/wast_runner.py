"""Runs spec-test scripts (`.wast`) against the engine: `wasios wast FILE` and the tests.

It drives the engine below the public API, in run-time representation, so that every
bit of every value is compared exactly. A failure is recorded with its line and the
runner goes on; an unexpected Python exception inside the engine is a failure too (it
means a bug), never a crash of the runner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import wast
from .decode import decode
from .errors import (
    Exhaustion,
    InvalidError,
    LinkError,
    MalformedError,
    Trap,
    UnsupportedError,
    WasmError,
)
from .instance import instantiate, resolve_imports
from .interp import invoke
from .module import (
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    TYPE_NAMES,
    FuncType,
    GlobalType,
    Limits,
    MemoryType,
    Module,
    TableType,
)
from .numerics import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from .runtime import Function, Global, HostFunction, Instance, Memory, Table
from .text import parse_module
from .validate import validate

# Files of the spec-test copy the project uses (Debian's binaryen source) that belong to
# proposals beyond Wasm 2.0, or to binaryen's own extensions: not yet supported.
LATER_PROPOSAL_FILES = {
    "address64.wast": "memory64",
    "align64.wast": "memory64",
    "bulk-memory64.wast": "memory64",
    "endianness64.wast": "memory64",
    "float_memory64.wast": "memory64",
    "load64.wast": "memory64",
    "memory64.wast": "memory64",
    "memory_grow64.wast": "memory64",
    "memory_redundancy64.wast": "memory64",
    "memory_trap64.wast": "memory64",
    "resizing64.wast": "memory64",
    "old_address64.wast": "memory64",
    "simd.wast": "SIMD",
    "atomics.wast": "threads",
    "exception-handling.wast": "exception handling",
    "tags.wast": "exception handling",
    "array.wast": "GC",
    "struct.wast": "GC",
    "i31.wast": "GC",
    "ref_cast.wast": "GC",
    "ref_eq.wast": "GC",
    "br_on_null.wast": "typed function references",
    "call_ref.wast": "typed function references",
    "ref_as_non_null.wast": "typed function references",
    "tuples.wast": "binaryen tuple extension",
    "multivalue.wast": "binaryen's own tuple instructions (`tuple.make`), not Wasm 2.0",
    "table.wast": "typed function references: `(table (ref null func))`",
    "elem_reftypes.wast": "typed function references: `(ref null $t)` element types",
}

F32_QUIET = 0x00400000
F64_QUIET = 0x0008000000000000
F32_CANONICAL = 0x7FC00000
F64_CANONICAL = 0x7FF8000000000000


@dataclass(frozen=True)
class HostRef:
    """The value of `(ref.extern N)` in a script."""

    n: int


@dataclass
class Result:
    passed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)
    # Soft differences: the right outcome with a different message.
    message_mismatches: list[str] = field(default_factory=list)
    skip_reasons: list[str] = field(default_factory=list)


class Failure(Exception):
    """An assertion did not hold."""


class Skip(Exception):
    """A command that cannot run here (it targets a module of a later proposal)."""


def spectest_instance() -> Instance:
    """The `spectest` module the scripts import from (as the reference interpreter has it)."""
    inst = Instance(Module())
    printers = {
        "print": (),
        "print_i32": (I32,),
        "print_i64": (I64,),
        "print_f32": (F32,),
        "print_f64": (F64,),
        "print_i32_f32": (I32, F32),
        "print_f64_f64": (F64, F64),
    }
    for name, params in printers.items():
        inst.exports[name] = HostFunction(FuncType(params, ()), lambda *a: None, name=name)
    inst.exports["global_i32"] = Global(GlobalType(I32, False), 666)
    inst.exports["global_i64"] = Global(GlobalType(I64, False), 666)
    inst.exports["global_f32"] = Global(GlobalType(F32, False), f32_from_bits(0x4426A666))
    inst.exports["global_f64"] = Global(GlobalType(F64, False), f64_from_bits(0x4084D4CCCCCCCCCD))
    inst.exports["table"] = Table(TableType(FUNCREF, Limits(10, 20)))
    inst.exports["memory"] = Memory(MemoryType(Limits(1, 2)))
    return inst


def to_runtime(v: wast.Value) -> Any:
    if isinstance(v, wast.Num):
        if v.type == F32:
            return f32_from_bits(v.bits)
        if v.type == F64:
            return f64_from_bits(v.bits)
        return v.bits
    if isinstance(v, wast.RefNull):
        return None
    if isinstance(v, wast.RefExtern):
        return HostRef(v.value)
    raise Failure(f"cannot pass {v!r}")


def matches(expected: wast.Expected, got: Any, t: int | None) -> bool:
    """Does result `got` (of declared type `t`) match the expectation?"""
    if isinstance(expected, wast.Num):
        if expected.type == F32:
            return isinstance(got, float) and f32_to_bits(got) == expected.bits
        if expected.type == F64:
            return isinstance(got, float) and f64_to_bits(got) == expected.bits
        return type(got) is int and got == expected.bits
    if isinstance(expected, wast.NanPattern):
        ft = expected.type if expected.type is not None else t
        if not isinstance(got, float) or got == got:
            return False
        if ft == F32:
            bits = f32_to_bits(got) & 0x7FFFFFFF
            return bits == F32_CANONICAL if expected.kind == "canonical" else bool(bits & F32_QUIET)
        bits = f64_to_bits(got) & 0x7FFFFFFFFFFFFFFF
        return bits == F64_CANONICAL if expected.kind == "canonical" else bool(bits & F64_QUIET)
    if isinstance(expected, wast.RefNull):
        return got is None
    if isinstance(expected, wast.RefExtern):
        return got == HostRef(expected.value)
    if isinstance(expected, wast.RefAny):
        if expected.type == FUNCREF:
            return isinstance(got, Function)
        return got is not None and not isinstance(got, Function)
    return False


def _show_expected(e: wast.Expected) -> str:
    if isinstance(e, wast.Num):
        return f"{TYPE_NAMES[e.type]}:0x{e.bits:x}"
    if isinstance(e, wast.NanPattern):
        return f"nan:{e.kind}"
    return repr(e)


def _show(v: Any) -> str:
    if isinstance(v, float):
        return f"{v!r} (f64 bits 0x{f64_to_bits(v):016x})"
    if isinstance(v, int):
        return f"{v} (0x{v:x})"
    return repr(v)


class Runner:
    """Executes commands in order. `waivers` maps a command's line to the reason it is not
    run (an assertion that encodes a rule older than Wasm 2.0, say)."""

    def __init__(self, filename: str = "<wast>", waivers: dict[int, str] | None = None) -> None:
        self.filename = filename
        self.waivers = waivers or {}
        self.registry: dict[str, Instance] = {"spectest": spectest_instance()}
        self.named: dict[str, Instance] = {}
        self.current: Instance | None = None
        # Module name (None: the unnamed current one) -> why it is not supported yet.
        self.unsupported: dict[str | None, str] = {}
        self.result = Result()

    # --- modules ---------------------------------------------------------------
    def load(self, cmd: wast.ModuleDef) -> Module:
        """Decode or parse a module definition (raising MalformedError if it is not)."""
        if cmd.form == "binary":
            assert cmd.binary is not None
            return decode(cmd.binary)
        if cmd.form == "quote":
            assert cmd.source is not None
            return parse_module(cmd.source)
        if cmd.error is not None:
            raise cmd.error
        assert cmd.module is not None
        return cmd.module

    def link(self, module: Module) -> list[Any]:
        def lookup(mod: str, name: str) -> Any:
            inst = self.registry.get(mod)
            return None if inst is None else inst.exports.get(name)

        return resolve_imports(module, lookup)

    def load_supported(self, cmd: wast.ModuleDef) -> Module:
        """`load`, but a module of a later proposal skips the command instead of failing.
        (`assert_malformed` uses plain `load`: in Wasm 2.0 those encodings are malformed.)"""
        try:
            return self.load(cmd)
        except UnsupportedError as e:
            raise Skip(str(e)) from None

    def define(self, cmd: wast.ModuleDef) -> Instance:
        module = self.load_supported(cmd)
        validate(module)
        inst = instantiate(module, self.link(module))
        self.current = inst
        if cmd.name is not None:
            self.named[cmd.name] = inst
        return inst

    def instance(self, name: str | None) -> Instance:
        inst = self.current if name is None else self.named.get(name)
        if inst is None and name in self.unsupported:
            raise Skip(f"its module uses {self.unsupported[name]}")
        if inst is None:
            raise Failure(f"unknown module {name or '(none defined)'}")
        return inst

    # --- actions ---------------------------------------------------------------
    def act(self, action: wast.Action) -> tuple[list[Any], tuple[int, ...]]:
        inst = self.instance(action.module)
        target = inst.exports.get(action.name)
        if target is None:
            raise Failure(f"unknown export {action.name!r}")
        if isinstance(action, wast.Get):
            if not isinstance(target, Global):
                raise Failure(f"export {action.name!r} is not a global")
            return [target.value], (target.type.valtype,)
        if not isinstance(target, Function):
            raise Failure(f"export {action.name!r} is not a function")
        args = [to_runtime(a) for a in action.args]
        if len(args) != len(target.type.params):
            raise Failure(f"{action.name}: {len(args)} arguments for {target.type}")
        return invoke(target, args), target.type.results

    # --- commands --------------------------------------------------------------
    def run(self, commands: list[wast.Command]) -> Result:
        for cmd in commands:
            if cmd.line in self.waivers:
                self.result.skipped += 1
                self.result.skip_reasons.append(f"{cmd.line}: {cmd.kind}: {self.waivers[cmd.line]}")
                continue
            handler = self.HANDLERS.get(cmd.kind)
            try:
                if handler is None:
                    raise Failure(f"unknown command kind {cmd.kind}")
                outcome = handler(self, cmd)
            except Failure as e:
                self.result.failures.append(f"{cmd.line}: {cmd.kind}: {e}")
                continue
            except Skip as e:
                outcome = "skip"
                self.result.skip_reasons.append(f"{cmd.line}: {cmd.kind}: {e}")
            except WasmError as e:
                self.result.failures.append(
                    f"{cmd.line}: {cmd.kind}: unexpected {type(e).__name__}: {e}"
                )
                continue
            except RecursionError:
                self.result.failures.append(f"{cmd.line}: {cmd.kind}: Python RecursionError")
                continue
            except Exception as e:  # a bug in the engine: record it, keep going
                self.result.failures.append(
                    f"{cmd.line}: {cmd.kind}: crash {type(e).__name__}: {e}"
                )
                continue
            if outcome == "skip":
                self.result.skipped += 1
            elif outcome != "none":
                self.result.passed += 1
        return self.result

    def _module(self, cmd: wast.ModuleDef) -> str:
        try:
            self.define(cmd)
        except Skip as e:
            # A later proposal: note it, and skip what runs against this module.
            self.current = None
            self.unsupported[cmd.name] = str(e)
            raise
        self.unsupported.pop(cmd.name, None)
        return "pass"  # it decoded, validated and instantiated

    def _register(self, cmd: wast.Register) -> str:
        self.registry[cmd.as_name] = self.instance(cmd.module)
        return "none"

    def _action(self, cmd: wast.Invoke | wast.Get) -> str:
        self.act(cmd)
        return "none"

    def _assert_return(self, cmd: wast.AssertReturn) -> str:
        assert cmd.action is not None
        try:
            results, types = self.act(cmd.action)
        except Trap as e:
            raise Failure(f"{cmd.action.name}: unexpected trap: {e}") from None
        if len(results) != len(cmd.expected):
            raise Failure(
                f"{cmd.action.name}: {len(results)} results, {len(cmd.expected)} expected"
            )
        for i, (exp, got) in enumerate(zip(cmd.expected, results, strict=True)):
            if not matches(exp, got, types[i] if i < len(types) else None):
                raise Failure(
                    f"{cmd.action.name}: result {i}: got {_show(got)}, expected {_show_expected(exp)}"
                )
        return "pass"

    def _check_message(self, cmd: wast.Command, expected: str, got: str) -> None:
        if not got.startswith(expected):
            self.result.message_mismatches.append(
                f"{cmd.line}: {cmd.kind}: expected {expected!r}, got {got!r}"
            )

    def _assert_trap(self, cmd: wast.AssertTrap) -> str:
        try:
            if cmd.module is not None:
                self.define(cmd.module)
            else:
                assert cmd.action is not None
                self.act(cmd.action)
        except Exhaustion as e:
            raise Failure(f"expected trap {cmd.message!r}, got exhaustion: {e}") from None
        except Trap as e:
            if not e.kind.startswith(cmd.message):
                raise Failure(f"expected trap {cmd.message!r}, got {e.kind!r}") from None
            return "pass"
        raise Failure(f"expected trap {cmd.message!r}, got no trap")

    def _assert_exhaustion(self, cmd: wast.AssertExhaustion) -> str:
        assert cmd.action is not None
        try:
            self.act(cmd.action)
        except Exhaustion as e:
            self._check_message(cmd, cmd.message, e.kind)
            return "pass"
        except Trap as e:
            raise Failure(f"expected exhaustion, got trap {e.kind!r}") from None
        raise Failure("expected exhaustion, returned normally")

    def _assert_invalid(self, cmd: wast.AssertInvalid) -> str:
        assert cmd.module is not None
        try:
            module = self.load_supported(cmd.module)
        except MalformedError as e:
            raise Failure(f"module should be well-formed (only invalid), but: {e}") from None
        try:
            validate(module)
        except InvalidError as e:
            self._check_message(cmd, cmd.message, str(e))
            return "pass"
        raise Failure(f"module should be invalid ({cmd.message})")

    def _assert_malformed(self, cmd: wast.AssertMalformed) -> str:
        assert cmd.module is not None
        try:
            module = self.load(cmd.module)
        except MalformedError as e:
            self._check_message(cmd, cmd.message, str(e).split(": ", 1)[-1])
            return "pass"
        try:
            validate(module)
        except InvalidError as e:
            raise Failure(
                f"module should be malformed ({cmd.message}), but it is invalid: {e}"
            ) from None
        raise Failure(f"module should be malformed ({cmd.message})")

    def _assert_unlinkable(self, cmd: wast.AssertUnlinkable) -> str:
        assert cmd.module is not None
        module = self.load_supported(cmd.module)
        validate(module)
        try:
            instantiate(module, self.link(module))
        except LinkError as e:
            self._check_message(cmd, cmd.message, str(e))
            return "pass"
        raise Failure(f"module should be unlinkable ({cmd.message})")

    def _assert_uninstantiable(self, cmd: wast.AssertUninstantiable) -> str:
        assert cmd.module is not None
        module = self.load_supported(cmd.module)
        validate(module)
        try:
            instantiate(module, self.link(module))
        except Trap as e:
            self._check_message(cmd, cmd.message, e.kind)
            return "pass"
        raise Failure(f"module should trap on instantiation ({cmd.message})")

    def _unsupported(self, cmd: wast.Unsupported) -> str:
        self.result.skip_reasons.append(f"{cmd.line}: {cmd.what}: {cmd.reason}")
        return "skip"

    HANDLERS: dict[str, Callable[[Runner, Any], str]] = {
        "module": _module,
        "register": _register,
        "invoke": _action,
        "get": _action,
        "assert_return": _assert_return,
        "assert_trap": _assert_trap,
        "assert_exhaustion": _assert_exhaustion,
        "assert_invalid": _assert_invalid,
        "assert_malformed": _assert_malformed,
        "assert_unlinkable": _assert_unlinkable,
        "assert_uninstantiable": _assert_uninstantiable,
        "unsupported": _unsupported,
    }


def run_script(
    source: str, filename: str = "<wast>", waivers: dict[int, str] | None = None
) -> Result:
    try:
        commands = wast.parse_script(source)
    except MalformedError as e:
        return Result(failures=[f"script does not parse: {e}"])
    return Runner(filename, waivers).run(commands)


def run_file(path: str, waivers: dict[int, str] | None = None) -> Result:
    with open(path, encoding="utf-8") as f:
        return run_script(f.read(), path, waivers)
