"""The spec test script format (WAST): a list of commands for the spec-test runner.

`parse_script(source)` returns one `Command` per top-level form, in order, each with
the line it starts on. Text modules are parsed here; a text module that fails to parse
is still returned (as a `ModuleDef` with `error` set), because what that means depends on
the command around it: expected for `assert_malformed`, a bug of ours for
`assert_invalid`. `(module quote ...)` source is kept as text for the runner to parse.

Values are in the engine's run-time representation where that is a plain number:
integers unsigned, floats as raw IEEE bits (the runner converts to Python floats).

Command classes (field `kind` is a short tag to dispatch on):

* `ModuleDef`  "module": `(module $name? ...)` in text, binary or quote form.
* `Register`   "register": `(register "as" $name?)`.
* `Invoke`     "invoke": `(invoke $name? "export" arg*)`; also used nested in assertions.
* `Get`        "get": `(get $name? "export")`; also used nested in assertions.
* `AssertReturn` "assert_return": action plus expected results (`Num`, `RefNull`,
  `RefExtern`, `RefAny`, `NanPattern`).
* `AssertTrap` "assert_trap": on an action, or on a module (trap during instantiation).
* `AssertExhaustion` "assert_exhaustion".
* `AssertModule` subclasses `AssertInvalid`, `AssertMalformed`, `AssertUnlinkable`,
  `AssertUninstantiable` (kinds "assert_invalid", ...): a module and the expected message.
* `Unsupported` "unsupported": a command of a later proposal (SIMD values, threads,
  exceptions, module definitions/instances ...), recorded so that it can be counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .errors import MalformedError, UnsupportedError
from .lexer import Atom, Node, SList, TextError, error, parse_float, parse_int, read_sexprs
from .module import EXTERNREF, F32, F64, FUNCREF, I32, I64, Module
from .text import parse_module_fields, parse_module_node

__all__ = [
    "Num",
    "RefNull",
    "RefExtern",
    "RefAny",
    "NanPattern",
    "Value",
    "Expected",
    "Command",
    "ModuleDef",
    "Register",
    "Invoke",
    "Get",
    "Action",
    "AssertReturn",
    "AssertTrap",
    "AssertExhaustion",
    "AssertModule",
    "AssertInvalid",
    "AssertMalformed",
    "AssertUnlinkable",
    "AssertUninstantiable",
    "Unsupported",
    "parse_script",
    "TextError",
]


# --- values ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Num:
    """A numeric constant: `type` is I32/I64/F32/F64, `bits` unsigned (raw bits for floats)."""

    type: int
    bits: int


@dataclass(frozen=True, slots=True)
class RefNull:
    """`(ref.null func|extern)`: `type` is FUNCREF or EXTERNREF."""

    type: int


@dataclass(frozen=True, slots=True)
class RefExtern:
    """`(ref.extern N)`: the host reference number N (the runner maps N to an object)."""

    value: int


@dataclass(frozen=True, slots=True)
class RefAny:
    """Expected only: `(ref.func)` / `(ref.extern)`, any non-null reference of `type`."""

    type: int


@dataclass(frozen=True, slots=True)
class NanPattern:
    """Expected only: `nan:canonical` / `nan:arithmetic`. `type` is F32/F64, or None for the
    legacy `assert_return_*_nan` forms, which do not say (use the result's type)."""

    type: int | None
    kind: str  # "canonical" or "arithmetic"


Value = Num | RefNull | RefExtern
Expected = Num | RefNull | RefExtern | RefAny | NanPattern


# --- commands ----------------------------------------------------------------------


@dataclass
class Command:
    kind: ClassVar[str] = "?"
    line: int


@dataclass
class ModuleDef(Command):
    """A module. `form` is "text" (then `module`, or `error` if it failed to parse),
    "binary" (`binary` bytes) or "quote" (`source` text, to parse when running)."""

    kind: ClassVar[str] = "module"
    name: str | None = None  # without the `$`
    form: str = "text"
    module: Module | None = None
    binary: bytes | None = None
    source: str | None = None
    error: MalformedError | None = None  # text form only; UnsupportedError for later proposals


@dataclass
class Register(Command):
    kind: ClassVar[str] = "register"
    as_name: str = ""
    module: str | None = None  # None: the most recent module


@dataclass
class Invoke(Command):
    kind: ClassVar[str] = "invoke"
    module: str | None = None
    name: str = ""
    args: list[Value] = field(default_factory=list)


@dataclass
class Get(Command):
    kind: ClassVar[str] = "get"
    module: str | None = None
    name: str = ""


Action = Invoke | Get


@dataclass
class AssertReturn(Command):
    kind: ClassVar[str] = "assert_return"
    action: Action | None = None
    expected: list[Expected] = field(default_factory=list)


@dataclass
class AssertTrap(Command):
    """Exactly one of `action` / `module` is set."""

    kind: ClassVar[str] = "assert_trap"
    action: Action | None = None
    module: ModuleDef | None = None
    message: str = ""


@dataclass
class AssertExhaustion(Command):
    kind: ClassVar[str] = "assert_exhaustion"
    action: Action | None = None
    message: str = ""


@dataclass
class AssertModule(Command):
    """Base of the assertions about a module; the subclass (and `kind`) says which."""

    module: ModuleDef | None = None
    message: str = ""


@dataclass
class AssertInvalid(AssertModule):
    kind: ClassVar[str] = "assert_invalid"


@dataclass
class AssertMalformed(AssertModule):
    kind: ClassVar[str] = "assert_malformed"


@dataclass
class AssertUnlinkable(AssertModule):
    kind: ClassVar[str] = "assert_unlinkable"


@dataclass
class AssertUninstantiable(AssertModule):
    kind: ClassVar[str] = "assert_uninstantiable"


@dataclass
class Unsupported(Command):
    kind: ClassVar[str] = "unsupported"
    what: str = ""
    reason: str = ""


_MODULE_ASSERTS: dict[str, type[AssertModule]] = {
    "assert_invalid": AssertInvalid,
    "assert_malformed": AssertMalformed,
    "assert_unlinkable": AssertUnlinkable,
    "assert_uninstantiable": AssertUninstantiable,
}
_FIELD_HEADS = (
    "type",
    "import",
    "func",
    "table",
    "memory",
    "global",
    "export",
    "start",
    "elem",
    "data",
)
_NUM_TYPES = {"i32.const": I32, "i64.const": I64, "f32.const": F32, "f64.const": F64}
_LATER_COMMANDS = {
    "assert_exception": "exception handling",
    "thread": "threads",
    "wait": "threads",
    "either": "threads / relaxed SIMD",
    "input": "script input",
    "output": "script output",
    "assert_suspension": "stack switching",
}


class _Unsupported(Exception):
    """Internal: this command uses a later proposal."""


def _string(node: Node | None, where: Node) -> str:
    if not isinstance(node, Atom) or node.data is None:
        raise error("unexpected token, expected a string", node if node is not None else where)
    try:
        return node.data.decode("utf-8")
    except UnicodeDecodeError:
        raise error("malformed UTF-8 encoding", node) from None


def _opt_name(items: list[Node], i: int) -> tuple[str | None, int]:
    node = items[i] if i < len(items) else None
    if isinstance(node, Atom) and node.data is None and node.text.startswith("$"):
        return node.text[1:], i + 1
    return None, i


def _module(node: SList) -> ModuleDef:
    items = node.items
    name, i = _opt_name(items, 1)
    nxt = items[i] if i < len(items) else None
    if isinstance(nxt, Atom) and nxt.data is None and nxt.text in ("binary", "quote"):
        parts = bytearray()
        for s in items[i + 1 :]:
            if not isinstance(s, Atom) or s.data is None:
                raise error("unexpected token, expected a string", s)
            parts += s.data
        if nxt.text == "binary":
            return ModuleDef(node.line, name, "binary", binary=bytes(parts))
        text = bytes(parts).decode("utf-8", "surrogateescape")
        return ModuleDef(node.line, name, "quote", source=text)
    if isinstance(nxt, Atom) and nxt.data is None and nxt.text in ("definition", "instance"):
        raise _Unsupported(f"module {nxt.text}")
    try:
        module = parse_module_node(node)
    except MalformedError as e:
        return ModuleDef(node.line, name, "text", error=e)
    return ModuleDef(node.line, name, "text", module=module)


def _const(node: Node, expected: bool) -> Expected:
    if not isinstance(node, SList) or node.head is None:
        raise error("unexpected token, expected a constant", node)
    head = node.head
    args = node.items[1:]
    if head in _NUM_TYPES:
        t = _NUM_TYPES[head]
        if len(args) != 1 or not isinstance(args[0], Atom) or args[0].data is not None:
            raise error("unexpected token, expected one number", node)
        a = args[0]
        if t in (I32, I64):
            return Num(t, parse_int(a, 32 if t == I32 else 64))
        if expected and a.text in ("nan:canonical", "nan:arithmetic"):
            return NanPattern(t, a.text[4:])
        return Num(t, parse_float(a, 32 if t == F32 else 64))
    if head == "ref.null":
        kw = args[0].text if len(args) == 1 and isinstance(args[0], Atom) else None
        if kw in ("func", "extern"):
            return RefNull(FUNCREF if kw == "func" else EXTERNREF)
        raise _Unsupported(f"ref.null {kw}")
    if head == "ref.extern":
        if not args and expected:
            return RefAny(EXTERNREF)
        if len(args) == 1 and isinstance(args[0], Atom) and args[0].data is None:
            return RefExtern(parse_int(args[0], 32))
        raise error("unexpected token, expected a host reference number", node)
    if head == "ref.func" and not args and expected:
        return RefAny(FUNCREF)
    if head.startswith("v128") or head.startswith("ref.") or head == "either":
        raise _Unsupported(head)
    raise error(f"unexpected token {head}, expected a constant", node)


def _action(node: Node | None, where: Node) -> Action:
    if not isinstance(node, SList) or node.head not in ("invoke", "get"):
        raise error("unexpected token, expected (invoke ...) or (get ...)", node or where)
    mod, i = _opt_name(node.items, 1)
    name = _string(node.items[i] if i < len(node.items) else None, node)
    if node.head == "get":
        if i + 1 != len(node.items):
            raise error("unexpected token after (get ...)", node.items[i + 1])
        return Get(node.line, mod, name)
    args = [_const(a, False) for a in node.items[i + 1 :]]
    return Invoke(node.line, mod, name, args)  # type: ignore[arg-type]


def _message(items: list[Node], i: int, where: Node) -> str:
    if i >= len(items):
        return ""  # some older test files leave the message out
    msg = _string(items[i], where)
    if i + 1 != len(items):
        raise error("unexpected token after the message", items[i + 1])
    return msg


def _command(node: Node) -> Command:
    if not isinstance(node, SList) or node.head is None:
        raise error("unexpected token, expected a command", node)
    head = node.head
    items = node.items
    line = node.line
    if head == "module":
        return _module(node)
    if head == "register":
        as_name = _string(items[1] if len(items) > 1 else None, node)
        mod, i = _opt_name(items, 2)
        if i != len(items):
            raise error("unexpected token in (register ...)", items[i])
        return Register(line, as_name, mod)
    if head in ("invoke", "get"):
        return _action(node, node)
    if head == "assert_return":
        action = _action(items[1] if len(items) > 1 else None, node)
        return AssertReturn(line, action, [_const(x, True) for x in items[2:]])
    if head in ("assert_return_canonical_nan", "assert_return_arithmetic_nan", "assert_return_nan"):
        action = _action(items[1] if len(items) > 1 else None, node)
        if len(items) != 2:
            raise error("unexpected token after the action", items[2])
        kind = "canonical" if head == "assert_return_canonical_nan" else "arithmetic"
        return AssertReturn(line, action, [NanPattern(None, kind)])
    if head == "assert_trap":
        target = items[1] if len(items) > 1 else None
        msg = _message(items, 2, node)
        if isinstance(target, SList) and target.head == "module":
            return AssertTrap(line, module=_module(target), message=msg)
        return AssertTrap(line, action=_action(target, node), message=msg)
    if head == "assert_exhaustion":
        action = _action(items[1] if len(items) > 1 else None, node)
        return AssertExhaustion(line, action, _message(items, 2, node))
    if head in _MODULE_ASSERTS:
        target = items[1] if len(items) > 1 else None
        if not isinstance(target, SList) or target.head != "module":
            raise error("unexpected token, expected (module ...)", target or node)
        return _MODULE_ASSERTS[head](line, _module(target), _message(items, 2, node))
    if head in _LATER_COMMANDS:
        raise _Unsupported(head)
    raise error(f"unknown command {head}", node)


def parse_script(source: str) -> list[Command]:
    """Parse a `.wast` script into its commands (raises `TextError` if the script itself
    is malformed; errors inside text modules are recorded on their `ModuleDef`)."""
    nodes = read_sexprs(source)
    # A file of bare module fields is one module (as the reference interpreter reads it).
    if nodes and isinstance(nodes[0], SList) and nodes[0].head in _FIELD_HEADS:
        first = nodes[0]
        try:
            return [ModuleDef(first.line, None, "text", module=parse_module_fields(nodes))]
        except MalformedError as e:
            return [ModuleDef(first.line, None, "text", error=e)]
    out: list[Command] = []
    for node in nodes:
        try:
            out.append(_command(node))
        except _Unsupported as e:
            head = node.head if isinstance(node, SList) else None
            out.append(Unsupported(node.line, head or "?", f"later proposal: {e}"))
        except UnsupportedError as e:
            head = node.head if isinstance(node, SList) else None
            out.append(Unsupported(node.line, head or "?", str(e)))
    return out
