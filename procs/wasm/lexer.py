"""Tokens, S-expressions and numeric literals of the WebAssembly text format.

Shared by the module parser (`text.py`) and the script parser (`wast.py`). The reader
is iterative, so hostile nesting depth cannot exhaust the Python stack, and every token
carries its line and column so that every error can say where it happened.
"""

from __future__ import annotations

import re
from fractions import Fraction

from .errors import MalformedError

# Characters that may appear in keywords, ids and numbers (the spec's `idchar`).
IDCHARS = frozenset(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&'*+-./:<=>?@\\^_`|~"
)
_WHITESPACE = " \t\n\r"


class TextError(MalformedError):
    """A text-format error: the message starts with `LINE:COL:`."""

    def __init__(self, message: str, line: int = 0, col: int = 0) -> None:
        self.line = line
        self.col = col
        super().__init__(f"{line}:{col}: {message}")


class Atom:
    """A keyword, id, number or reserved word (`text`), or a string (`data` set)."""

    __slots__ = ("text", "data", "line", "col")

    def __init__(self, text: str, line: int, col: int, data: bytes | None = None) -> None:
        self.text = text
        self.data = data
        self.line = line
        self.col = col

    @property
    def is_string(self) -> bool:
        return self.data is not None

    def __repr__(self) -> str:
        return f"Atom({self.text!r}@{self.line}:{self.col})"


class SList:
    """A parenthesised list; `items` holds `Atom`s and nested `SList`s. `start`/`end` are
    the source offsets of its parentheses (`end` just past the closing one)."""

    __slots__ = ("items", "line", "col", "start", "end")

    def __init__(self, line: int, col: int, start: int = 0) -> None:
        self.items: list[Atom | SList] = []
        self.line = line
        self.col = col
        self.start = start
        self.end = start

    @property
    def head(self) -> str | None:
        """The keyword the list starts with, if any (`func` for `(func ...)`)."""
        if self.items:
            first = self.items[0]
            if isinstance(first, Atom) and first.data is None:
                return first.text
        return None

    def __repr__(self) -> str:
        return f"SList({self.head!r}@{self.line}:{self.col}, {len(self.items)} items)"


Node = Atom | SList


def error(message: str, where: Node | None) -> TextError:
    """A `TextError` located at a token or list."""
    if where is None:
        return TextError(message)
    return TextError(message, where.line, where.col)


def _decode_string(src: str, pos: int, line: int, col: int) -> tuple[bytes, int]:
    """Read a string literal whose opening quote is at `pos`; return (bytes, end index)."""
    out = bytearray()
    i = pos + 1
    n = len(src)
    while True:
        if i >= n:
            raise TextError("unclosed string", line, col)
        c = src[i]
        if c == '"':
            return bytes(out), i + 1
        if c == "\n" or ord(c) < 0x20 or c == "\x7f":
            raise TextError("illegal character in string", line, col)
        if c != "\\":
            if 0xDC80 <= ord(c) <= 0xDCFF:  # a raw byte smuggled in by surrogateescape
                out.append(ord(c) - 0xDC00)
            else:
                out += c.encode("utf-8", "surrogatepass")
            i += 1
            continue
        if i + 1 >= n:
            raise TextError("unclosed string", line, col)
        e = src[i + 1]
        simple = {"t": 9, "n": 10, "r": 13, '"': 34, "'": 39, "\\": 92}
        if e in simple:
            out.append(simple[e])
            i += 2
        elif e == "u":
            m = re.compile(r"\{([0-9a-fA-F](?:_?[0-9a-fA-F])*)\}").match(src, i + 2)
            if not m:
                raise TextError("illegal escape", line, col)
            cp = int(m.group(1).replace("_", ""), 16)
            if cp >= 0x110000 or 0xD800 <= cp < 0xE000:
                raise TextError("illegal escape", line, col)
            out += chr(cp).encode("utf-8")
            i = m.end()
        elif i + 2 < n and _is_hex(e) and _is_hex(src[i + 2]):
            out.append(int(src[i + 1 : i + 3], 16))
            i += 3
        else:
            raise TextError("illegal escape", line, col)


def _is_hex(c: str) -> bool:
    return c in "0123456789abcdefABCDEF"


def read_sexprs(src: str) -> list[Node]:
    """Tokenise `src` and build its S-expressions (iteratively: depth is unbounded)."""
    top: list[Node] = []
    stack: list[SList] = []
    i = 0
    n = len(src)
    line = 1
    line_start = 0
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            line_start = i + 1
            i += 1
            continue
        if c in _WHITESPACE:
            i += 1
            continue
        col = i - line_start + 1
        if c == ";" and src.startswith(";;", i):
            # A line comment ends at a newline, which may also be a lone carriage return.
            j = src.find("\n", i)
            k = src.find("\r", i, n if j < 0 else j)
            i = k if k >= 0 else (n if j < 0 else j)
            continue
        if c == "(" and src.startswith("(;", i):
            depth = 0
            while True:
                if i >= n:
                    raise TextError("unclosed comment", line, col)
                if src.startswith("(;", i):
                    depth += 1
                    i += 2
                elif src.startswith(";)", i):
                    depth -= 1
                    i += 2
                    if depth == 0:
                        break
                else:
                    if src[i] == "\n":
                        line += 1
                        line_start = i + 1
                    i += 1
            continue
        if c == "(":
            node = SList(line, col, i)
            (stack[-1].items if stack else top).append(node)
            stack.append(node)
            i += 1
            continue
        if c == ")":
            if not stack:
                raise TextError("unexpected token )", line, col)
            stack.pop().end = i + 1
            i += 1
            continue
        if c == '"':
            data, j = _decode_string(src, i, line, col)
            atom = Atom(src[i:j], line, col, data)
            i = j
        elif c in IDCHARS:
            j = i
            while j < n and src[j] in IDCHARS:
                j += 1
            atom = Atom(src[i:j], line, col)
            i = j
        else:
            raise TextError(f"unexpected character {c!r}", line, col)
        # A string glued to an idchar run (or to another string) is one reserved token.
        if i < n and (src[i] == '"' or (atom.data is not None and src[i] in IDCHARS)):
            raise TextError("unknown operator (reserved token)", line, col)
        (stack[-1].items if stack else top).append(atom)
    if stack:
        raise TextError("unclosed parenthesis", stack[-1].line, stack[-1].col)
    return top


# --- numbers ---------------------------------------------------------------------

_DEC = r"[0-9](?:_?[0-9])*"
_HEX = r"[0-9a-fA-F](?:_?[0-9a-fA-F])*"
_INT_RE = re.compile(rf"([+-]?)(?:0x({_HEX})|({_DEC}))")
_DEC_FLOAT_RE = re.compile(rf"([+-]?)({_DEC})(?:\.({_DEC})?)?(?:[eE]([+-]?{_DEC}))?")
_HEX_FLOAT_RE = re.compile(rf"([+-]?)0x({_HEX})(?:\.({_HEX})?)?(?:[pP]([+-]?{_DEC}))?")
_NAN_RE = re.compile(rf"([+-]?)nan(?::0x({_HEX}))?")


def parse_int_text(text: str) -> tuple[str, int] | None:
    """(sign, magnitude) of an integer literal, or None if `text` is not one."""
    m = _INT_RE.fullmatch(text)
    if not m:
        return None
    if m.group(2) is not None:
        return m.group(1), int(m.group(2).replace("_", ""), 16)
    return m.group(1), int(m.group(3).replace("_", ""), 10)


def looks_numeric(text: str) -> bool:
    """True if the token starts like a number (so it is not a keyword or id)."""
    t = text[1:] if text[:1] in "+-" else text
    return t[:1].isdigit() or t.startswith(("inf", "nan"))


def parse_uint(atom: Node, bits: int = 32) -> int:
    """An unsigned literal (`uN`): indices, limits, memarg fields."""
    if not isinstance(atom, Atom) or atom.data is not None:
        raise error("unexpected token", atom)
    r = parse_int_text(atom.text)
    if r is None and looks_numeric(atom.text):
        raise error(f"unknown operator {atom.text}", atom)  # a reserved token like `0drop`
    if r is None or r[0]:
        raise error(f"unexpected token {atom.text}", atom)
    if r[1] >= 1 << bits:
        raise error(f"i{bits} constant out of range", atom)
    return r[1]


def parse_int(atom: Atom, bits: int) -> int:
    """An `iN` literal (signed or unsigned range), returned as its unsigned bits."""
    r = parse_int_text(atom.text)
    if r is None:
        raise error(f"unknown operator: {atom.text}", atom)
    sign, mag = r
    if sign == "-":
        ok = mag <= 1 << (bits - 1)
    elif sign == "+":
        ok = mag < 1 << (bits - 1)
    else:
        ok = mag < 1 << bits
    if not ok:
        raise error(f"constant out of range: i{bits} constant", atom)
    return (-mag if sign == "-" else mag) & ((1 << bits) - 1)


# (mantissa bits, exponent bits) of each float format.
_FORMATS = {32: (23, 8), 64: (52, 11)}


def _round_to_bits(x: Fraction, bits: int) -> int | None:
    """Round positive `x` to nearest-even in the format; bits of the magnitude, or None
    if it rounds to infinity."""
    mbits, ebits = _FORMATS[bits]
    bias = (1 << (ebits - 1)) - 1
    emin = 1 - bias
    # Exponent e with 2**e <= x < 2**(e+1).
    e = x.numerator.bit_length() - x.denominator.bit_length()
    if Fraction(2) ** e > x:
        e -= 1
    elif Fraction(2) ** (e + 1) <= x:
        e += 1
    if e < emin:
        e = emin  # subnormal range: fixed quantum
    q = x / Fraction(2) ** (e - mbits)  # now the significand scaled to an integer
    m = q.numerator // q.denominator
    rem = q - m
    if rem > Fraction(1, 2) or (rem == Fraction(1, 2) and m & 1):
        m += 1
    if m >> (mbits + 1):  # carried into the next binade
        m >>= 1
        e += 1
    if m >> mbits == 0:  # subnormal (or zero)
        return m
    if e > bias:
        return None
    return ((e + bias) << mbits) | (m & ((1 << mbits) - 1))


def parse_float(atom: Atom, bits: int) -> int:
    """An `fN` literal, returned as raw IEEE bits, rounded exactly (round-to-nearest-even)
    from the literal's decimal or hexadecimal value directly to the target format."""
    text = atom.text
    mbits, ebits = _FORMATS[bits]
    sign_bit = 1 << (bits - 1)
    exp_all = ((1 << ebits) - 1) << mbits
    neg = text.startswith("-")
    body = text[1:] if text[:1] in "+-" else text
    sign = sign_bit if neg else 0
    if body == "inf":
        return sign | exp_all
    m = _NAN_RE.fullmatch(text)
    if m:
        if m.group(2) is None:
            return sign | exp_all | (1 << (mbits - 1))
        payload = int(m.group(2).replace("_", ""), 16)
        if not 1 <= payload < 1 << mbits:
            raise error(f"constant out of range: f{bits} nan payload", atom)
        return sign | exp_all | payload
    m = _HEX_FLOAT_RE.fullmatch(text)
    if m:
        ip = m.group(2).replace("_", "")
        fp = (m.group(3) or "").replace("_", "")
        mant = int(ip + fp, 16)
        exp2 = int((m.group(4) or "0").replace("_", "")) - 4 * len(fp)
        if mant == 0:
            return sign
        mag2 = mant.bit_length() - 1 + exp2
        if mag2 > 2000:
            raise error(f"constant out of range: f{bits} constant", atom)
        if mag2 < -2000:
            return sign
        x = Fraction(mant) * Fraction(2) ** exp2
    else:
        m = _DEC_FLOAT_RE.fullmatch(text)
        if not m:
            raise error(f"unknown operator: {text}", atom)
        ip = m.group(2).replace("_", "")
        fp = (m.group(3) or "").replace("_", "")
        mant = int(ip + fp)
        exp10 = int((m.group(4) or "0").replace("_", "")) - len(fp)
        if mant == 0:
            return sign
        mag10 = len(str(mant)) - 1 + exp10
        if mag10 > 400:
            raise error(f"constant out of range: f{bits} constant", atom)
        if mag10 < -400:
            return sign
        x = Fraction(mant) * Fraction(10) ** exp10
    r = _round_to_bits(x, bits)
    if r is None:
        raise error(f"constant out of range: f{bits} constant", atom)
    return sign | r


def string_to_name(atom: Node) -> str:
    """A name (import/export/module string): must be valid UTF-8."""
    if not isinstance(atom, Atom) or atom.data is None:
        raise error("unexpected token, expected a string", atom)
    try:
        return atom.data.decode("utf-8")
    except UnicodeDecodeError:
        raise error("malformed UTF-8 encoding", atom) from None
