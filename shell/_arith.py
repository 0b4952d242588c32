"""``$((…))`` arithmetic: signed 64-bit integers with C operators and precedence.

The expression text has already been through parameter expansion; names that remain are
variables (unset or empty is 0). Parsed into a small tree first so that ``&&``, ``||`` and
``?:`` only evaluate (and assign) the side they need.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from shell.errors import ExpansionError

if TYPE_CHECKING:
    from shell._expand import Context

_TOKEN = re.compile(
    r"\s*(?:(0[xX][0-9a-fA-F]+|[0-9]+)|([A-Za-z_][A-Za-z0-9_]*)"
    r"|(<<=|>>=|&&|\|\||<<|>>|<=|>=|==|!=|[-+*/%&^|]=|[-+*/%()<>=!~&^|?:]))"
)
_Thunk = Callable[[], int]
_BINARY = {
    "||": 1,
    "&&": 2,
    "|": 3,
    "^": 4,
    "&": 5,
    "==": 6,
    "!=": 6,
    "<": 7,
    "<=": 7,
    ">": 7,
    ">=": 7,
    "<<": 8,
    ">>": 8,
    "+": 9,
    "-": 9,
    "*": 10,
    "/": 10,
    "%": 10,
}
_ASSIGN = {"=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|="}


def _wrap(v: int) -> int:
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >= 1 << 63 else v


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        m = _TOKEN.match(text, i)
        if not m or m.end() == i:
            raise ExpansionError(f"arithmetic: unexpected '{text[i]}' in '{text.strip()}'")
        num, name, op = m.groups()
        if num is not None:
            if re.fullmatch(r"0[0-7]+", num) or num == "0":
                out.append(("num", str(int(num, 8))))
            elif num[:2] in ("0x", "0X"):
                out.append(("num", str(int(num, 16))))
            elif num.startswith("0"):
                raise ExpansionError(f"arithmetic: bad number '{num}'")
            else:
                out.append(("num", num))
        elif name is not None:
            out.append(("name", name))
        else:
            out.append(("op", op))
        i = m.end()


class _Eval:
    def __init__(self, text: str, ctx: Context) -> None:
        self.text = text.strip()
        self.toks = _tokens(text)
        self.k = 0
        self.ctx = ctx

    def fail(self, detail: str) -> ExpansionError:
        return ExpansionError(f"arithmetic: {detail} in '{self.text}'")

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.k] if self.k < len(self.toks) else None

    def take(self, op: str) -> bool:
        t = self.peek()
        if t == ("op", op):
            self.k += 1
            return True
        return False

    # Each parse method returns a thunk, so that evaluation can skip branches.
    def expr(self) -> _Thunk:
        t = self.peek()
        if (
            t is not None
            and t[0] == "name"
            and self.k + 1 < len(self.toks)
            and self.toks[self.k + 1][0] == "op"
            and self.toks[self.k + 1][1] in _ASSIGN
        ):
            name = t[1]
            op = self.toks[self.k + 1][1]
            self.k += 2
            rhs = self.expr()

            def assign() -> int:
                v = rhs()
                if op != "=":
                    v = self.binop(op[:-1], self.var(name), v)
                self.ctx.vars[name] = str(v)
                return v

            return assign
        return self.ternary()

    def ternary(self) -> _Thunk:
        cond = self.binary(1)
        if not self.take("?"):
            return cond
        yes = self.expr()
        if not self.take(":"):
            raise self.fail("expected ':'")
        no = self.ternary()
        return lambda: yes() if cond() else no()

    def binary(self, min_prec: int) -> _Thunk:
        left = self.unary()
        while True:
            t = self.peek()
            if t is None or t[0] != "op" or _BINARY.get(t[1], 0) < min_prec:
                return left
            op = t[1]
            self.k += 1
            right = self.binary(_BINARY[op] + 1)
            left = self._combine(op, left, right)

    def _combine(self, op: str, left: _Thunk, right: _Thunk) -> _Thunk:
        if op == "&&":
            return lambda: int(bool(left()) and bool(right()))
        if op == "||":
            return lambda: int(bool(left()) or bool(right()))
        return lambda: self.binop(op, left(), right())

    def unary(self) -> _Thunk:
        t = self.peek()
        if t is None:
            raise self.fail("expression expected")
        if t[0] == "op" and t[1] in ("-", "+", "!", "~"):
            self.k += 1
            inner = self.unary()
            fns = {
                "-": lambda: _wrap(-inner()),
                "+": inner,
                "!": lambda: int(not inner()),
                "~": lambda: _wrap(~inner()),
            }
            return fns[t[1]]
        if t == ("op", "("):
            self.k += 1
            inner = self.expr()
            if not self.take(")"):
                raise self.fail("expected ')'")
            return inner
        self.k += 1
        if t[0] == "num":
            v = _wrap(int(t[1]))
            return lambda: v
        if t[0] == "name":
            return lambda: self.var(t[1])
        raise self.fail(f"unexpected '{t[1]}'")

    def var(self, name: str) -> int:
        raw = self.ctx.vars.get(name, "").strip()
        if not raw:
            return 0
        try:
            return _Eval(raw, self.ctx).run()
        except RecursionError:
            raise self.fail(f"'{name}' refers to itself") from None

    def binop(self, op: str, a: int, b: int) -> int:
        if op in ("/", "%"):
            if b == 0:
                raise self.fail("division by zero")
            q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
            return _wrap(q if op == "/" else a - q * b)
        match op:
            case "+":
                return _wrap(a + b)
            case "-":
                return _wrap(a - b)
            case "*":
                return _wrap(a * b)
            case "<<":
                return _wrap(a << (b & 63))
            case ">>":
                return a >> (b & 63)
            case "&":
                return a & b
            case "|":
                return a | b
            case "^":
                return a ^ b
            case "<":
                return int(a < b)
            case "<=":
                return int(a <= b)
            case ">":
                return int(a > b)
            case ">=":
                return int(a >= b)
            case "==":
                return int(a == b)
            case "!=":
                return int(a != b)
        raise self.fail(f"unknown operator '{op}'")  # pragma: no cover

    def run(self) -> int:
        if not self.toks:
            return 0
        fn = self.expr()
        if self.k != len(self.toks):
            raise self.fail(f"unexpected '{self.toks[self.k][1]}'")
        return fn()


def evaluate(text: str, ctx: Context) -> int:
    """Value of an arithmetic expression (``ExpansionError`` on bad syntax or ``/0``)."""
    return _Eval(text, ctx).run()
