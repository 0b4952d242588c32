"""Tokens of the shell language (POSIX "Token Recognition"), words with their quoting.

The lexer reads the whole text at once and returns every token, here-document bodies
included: when it meets a newline after ``<<WORD`` it reads the body lines right there
and hangs them on the delimiter token, so the parser never has to ask for more lines.
Anything that ends the text too early raises `IncompleteInput` (a subclass of
`ShellSyntaxError`) pointing at what is still open.

``$(…)`` is lexed by a nested lexer over the same text that stops at the unmatched
``)``, and parsed by the parser, so quotes, comments and here-docs inside work as
outside and positions stay right.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from shell._nodes import Arith, CmdSub, HereDoc, Lit, Param, Part, Pos, Word
from shell.errors import IncompleteInput, ShellSyntaxError

#: Operators, longest first so that the first match is the longest.
OPERATORS = (
    "<<-",
    "&&",
    "||",
    ";;",
    "<<",
    ">>",
    "<&",
    ">&",
    "<>",
    ">|",
    "|",
    "&",
    ";",
    "<",
    ">",
    "(",
    ")",
)
_META = " \t\n|&;<>()"
_SPECIAL_PARAMS = "?$!#@*-"
_NAME_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | set("0123456789")

_START = Pos(1, 1)

# Word-lexing modes: plain (outside quotes), in double quotes, in a here-doc body.
_PLAIN, _DQ, _HEREDOC = 0, 1, 2


def is_name(s: str) -> bool:
    """Whether ``s`` is a POSIX name (a variable that can be assigned)."""
    return bool(s) and s[0] in _NAME_START and all(c in _NAME_CHARS for c in s)


@dataclass
class Token:
    """``kind`` is WORD, IO_NUMBER, OP, NEWLINE or EOF; ``text`` is the source text
    (``)`` for the EOF that ends a ``$(…)``); ``heredoc`` is filled for the word after
    ``<<``/``<<-`` once its body has been read."""

    kind: str
    text: str
    pos: Pos
    word: Word | None = None
    heredoc: HereDoc | None = field(default=None, repr=False)
    start: int = field(default=0, repr=False, compare=False)
    #: On the last token when the text after it could not be lexed: the parser raises it
    #: when it gets there, so an earlier syntax error is reported first.
    error: ShellSyntaxError | None = field(default=None, repr=False, compare=False)


class _Lines:
    """Offsets to (line, col), optionally shifted for a text cut out of a bigger one."""

    def __init__(self, text: str, base: Pos = _START) -> None:
        self.starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
        self.base = base

    def pos(self, offset: int) -> Pos:
        k = bisect.bisect_right(self.starts, offset) - 1
        line, col = k + 1, offset - self.starts[k] + 1
        if line == 1:
            return Pos(self.base.line, self.base.col + col - 1)
        return Pos(self.base.line + line - 1, col)


class _Lexer:
    def __init__(
        self,
        text: str,
        start: int = 0,
        *,
        lines: _Lines | None = None,
        in_cmdsub: bool = False,
        limit: int | None = None,
        opened_at: int = 0,
    ) -> None:
        self.text = text
        self.n = len(text) if limit is None else limit
        self.i = start
        self.lines = lines or _Lines(text)
        self.in_cmdsub = in_cmdsub
        self.tokens: list[Token] = []
        self.pending: list[tuple[Token, Token, bool]] = []  # (op, delimiter word, strip tabs)
        self.depth = 0
        self.end = self.n
        self.opened_at = opened_at

    # ------------------------------------------------------------ helpers

    def pos(self, i: int) -> Pos:
        return self.lines.pos(i)

    def error(self, detail: str, i: int) -> ShellSyntaxError:
        p = self.pos(i)
        return ShellSyntaxError(detail, p.line, p.col)

    def incomplete(self, detail: str, i: int) -> IncompleteInput:
        p = self.pos(i)
        return IncompleteInput(detail, p.line, p.col)

    def cont(self, i: int) -> int:
        """Skip line continuations (backslash-newline) at ``i``."""
        text, n = self.text, self.n
        j = i
        while j + 1 < n and text[j] == "\\" and text[j + 1] == "\n":
            j += 2
        if j != i and j >= n and n == len(text):
            raise self.incomplete("line continuation at end of input", j - 2)
        return j

    # ------------------------------------------------------------ tokens

    def run(self) -> list[Token]:
        """Tokens up to the end (or the ``)`` of a ``$(…)``); a lexing error becomes an
        EOF token that carries it."""
        try:
            return self._run()
        except ShellSyntaxError as e:
            self.tokens.append(Token("EOF", "", Pos(e.line, e.col), error=e))
            return self.tokens

    def _run(self) -> list[Token]:
        text = self.text
        while True:
            i = self.i
            while True:
                i = self.cont(i)
                if i < self.n and text[i] in " \t":
                    i += 1
                else:
                    break
            if i >= self.n:
                if self.pending:
                    op, tok, _ = self.pending[0]
                    delim = _unquote_delimiter(tok.text)[0]
                    raise self.incomplete(f"here-document '{delim}' not ended", op.start)
                if self.in_cmdsub:
                    raise self.incomplete("unterminated '$('", self.opened_at)
                self._emit(Token("EOF", "", self.pos(i), start=i))
                self.i = i
                return self.tokens
            c = text[i]
            if c == "#":
                j = text.find("\n", i, self.n)
                self.i = self.n if j < 0 else j
                continue
            if c == "\n":
                self._emit(Token("NEWLINE", "\n", self.pos(i), start=i))
                self.i = i + 1
                if self.pending:
                    self.i = self._read_heredocs(self.i)
                continue
            if c in "|&;<>()":
                op = next(o for o in OPERATORS if text.startswith(o, i, self.n))
                if self.in_cmdsub and op == ")":
                    if self.depth == 0:
                        if self.pending:
                            raise self.error("here-document inside $(...) not ended before ')'", i)
                        self._emit(Token("EOF", ")", self.pos(i), start=i))
                        self.end = i + 1
                        return self.tokens
                    self.depth -= 1
                elif self.in_cmdsub and op == "(":
                    self.depth += 1
                self._emit(Token("OP", op, self.pos(i), start=i))
                self.i = i + len(op)
                continue
            parts, j = self.word(i, _PLAIN, stop_brace=False)
            raw = text[i:j]
            word = Word(tuple(parts), raw, self.pos(i))
            if raw.isascii() and raw.isdigit() and j < self.n and text[j] in "<>":
                self._emit(Token("IO_NUMBER", raw, self.pos(i), word, start=i))
            else:
                tok = Token("WORD", raw, self.pos(i), word, start=i)
                prev = self.tokens[-1] if self.tokens else None
                if prev is not None and prev.kind == "OP" and prev.text in ("<<", "<<-"):
                    self.pending.append((prev, tok, prev.text == "<<-"))
                self._emit(tok)
            self.i = j

    def _emit(self, tok: Token) -> None:
        self.tokens.append(tok)

    # ------------------------------------------------------------ here-documents

    def _read_heredocs(self, i: int) -> int:
        n = self.n
        for op, tok, strip in self.pending:
            delim, quoted = _unquote_delimiter(tok.text)
            body_start = i
            lines: list[str] = []
            while True:
                if i >= n:
                    raise self.incomplete(f"here-document '{delim}' not ended", op.start)
                line, j, i = self._body_line(i, strip)
                # Unquoted: a continuation joins the next line before the delimiter test.
                chunk = line
                while not quoted and j >= 0 and _odd_backslashes(line) and i < n:
                    line, j, i = self._body_line(i, strip)
                    chunk += "\n" + line
                logical = chunk.replace("\\\n", "") if not quoted else chunk
                if logical == delim:
                    break
                if j < 0:
                    raise self.incomplete(f"here-document '{delim}' not ended", op.start)
                lines.append(chunk + "\n")
            body = "".join(lines)
            base = self.pos(body_start)
            if quoted:
                word = Word((Lit(body, True),), body, base)
            else:
                sub = _Lexer(body, lines=_Lines(body, base))
                try:
                    parts, _ = sub.dq(0, _HEREDOC, body_start=0)
                except IncompleteInput as e:  # the body is closed: nothing more can come
                    raise ShellSyntaxError(e.detail, e.line, e.col) from None
                word = Word(tuple(parts), body, base)
            tok.heredoc = HereDoc(word, delim, not quoted, strip)
        self.pending.clear()
        return i

    def _body_line(self, i: int, strip: bool) -> tuple[str, int, int]:
        """The line at ``i`` (without its newline), the newline's index (-1 at the end
        of the text) and where the next line starts."""
        j = self.text.find("\n", i, self.n)
        line = self.text[i : self.n if j < 0 else j]
        return (line.lstrip("\t") if strip else line), j, (self.n if j < 0 else j + 1)

    # ------------------------------------------------------------ words

    def word(self, i: int, mode: int, *, stop_brace: bool) -> tuple[list[Part], int]:
        """Lex an unquoted word from ``i`` (or the word of ``${x-word}`` when
        ``stop_brace``, in ``mode`` _PLAIN or _DQ); return its parts and end."""
        text = self.text
        in_dq = mode == _DQ
        acc = _Parts(in_dq)
        buf, parts = acc.buf, acc.parts

        while True:
            i = self.cont(i)
            if i >= self.n:
                break
            c = text[i]
            if stop_brace:
                if c == "}":
                    break
            elif c in _META:
                break
            if c == "'" and not in_dq:
                j = text.find("'", i + 1, self.n)
                if j < 0:
                    raise self.incomplete("unterminated single quote", i)
                acc.part(Lit(text[i + 1 : j], True))
                i = j + 1
            elif c == '"':
                acc.flush()
                more, i = self.dq(i + 1, _DQ, body_start=i)
                parts.extend(more)
            elif c == "\\":
                if i + 1 >= self.n:
                    buf.append("\\")
                    i += 1
                elif in_dq and text[i + 1] not in '$`"\\}':
                    buf.append("\\")
                    i += 1
                else:
                    acc.part(Lit(text[i + 1], True))
                    i += 2
            elif c == "$" or c == "`":
                i = self.substitution(i, acc)
            else:
                buf.append(c)
                i += 1
        acc.flush()
        return parts, i

    def dq(self, i: int, mode: int, *, body_start: int) -> tuple[list[Part], int]:
        """Lex the inside of double quotes (ends at ``"``) or a here-doc body (ends at
        the end of the text)."""
        text = self.text
        acc = _Parts(True)
        buf, parts = acc.buf, acc.parts
        specials = '$`"\\' if mode == _DQ else "$`\\"

        while True:
            if mode == _HEREDOC:
                # A continuation at the very end of a body is just removed.
                while i + 1 < self.n and text[i] == "\\" and text[i + 1] == "\n":
                    i += 2
            else:
                i = self.cont(i)
            if i >= self.n:
                if mode == _DQ:
                    raise self.incomplete("unterminated double quote", body_start)
                break
            c = text[i]
            if c == '"' and mode == _DQ:
                i += 1
                break
            if c == "\\" and i + 1 < self.n and text[i + 1] in specials:
                buf.append(text[i + 1])
                i += 2
            elif c == "$" or c == "`":
                i = self.substitution(i, acc)
            else:
                buf.append(c)
                i += 1
        acc.flush()
        if mode == _DQ and not parts:
            parts.append(Lit("", True))  # "" is an (empty) field of its own
        return parts, i

    def substitution(self, i: int, acc: _Parts) -> int:
        """A ``$…`` or backquote at ``i`` into ``acc`` (a ``$`` that starts nothing is a
        literal character); the position after it."""
        c = self.text[i]
        part, j = self.dollar(i, acc.quoted) if c == "$" else self.backquote(i, acc.quoted)
        if part is None:
            acc.buf.append(c)
            return i + 1
        acc.part(part)
        return j

    def dollar(self, i: int, quoted: bool) -> tuple[Part | None, int]:
        """Lex the expansion starting with ``$`` at ``i``; None if ``$`` is literal."""
        text = self.text
        j = self.cont(i + 1)
        if j >= self.n:
            return None, i + 1
        c = text[j]
        if c == "{":
            return self.brace_param(i, j + 1, quoted)
        if c == "(":
            k = self.cont(j + 1)
            if k < self.n and text[k] == "(":
                end = self._arith_end(k + 1, i)
                if end is not None:
                    sub = _Lexer(text, lines=self.lines, limit=end)
                    parts, _ = sub.dq(k + 1, _HEREDOC, body_start=k + 1)
                    expr = Word(tuple(parts), text[k + 1 : end], self.pos(k + 1))
                    return Arith(expr, quoted), end + 2
            return self.cmdsub(i, j + 1, quoted)
        if c in _NAME_START:
            name, k = self._name(j)
            return Param(name, quoted=quoted), k
        if c.isdigit() or c in _SPECIAL_PARAMS:
            return Param(c, quoted=quoted), j + 1
        return None, i + 1

    def _name(self, j: int) -> tuple[str, int]:
        text = self.text
        out = []
        while True:
            j = self.cont(j)
            if j < self.n and text[j] in _NAME_CHARS:
                out.append(text[j])
                j += 1
            else:
                return "".join(out), j

    def _param_name(self, j: int) -> tuple[str, int]:
        """Name inside ``${…}``: a name, a positional number or a special parameter."""
        text = self.text
        j = self.cont(j)
        if j >= self.n:
            return "", j
        c = text[j]
        if c in _NAME_START:
            return self._name(j)
        if c.isdigit():
            k = j
            while k < self.n and text[k].isdigit():
                k += 1
            return text[j:k], k
        if c in _SPECIAL_PARAMS:
            return c, j + 1
        return "", j

    def brace_param(self, start: int, j: int, quoted: bool) -> tuple[Part, int]:
        text = self.text
        j = self.cont(j)
        if j >= self.n:
            raise self.incomplete("unterminated '${'", start)
        if text[j] == "#":
            k = self.cont(j + 1)
            if k >= self.n:
                raise self.incomplete("unterminated '${'", start)
            if text[k] == "}":
                return Param("#", quoted=quoted), k + 1
            name, k2 = self._param_name(k)
            k2 = self.cont(k2)
            if name and k2 < self.n and text[k2] == "}":
                return Param(name, "len", quoted=quoted), k2 + 1
            # ${#-word}, ${##pat}: operators on $#
        name, k = self._param_name(j)
        if not name:
            raise self._bad_subst(start)
        k = self.cont(k)
        if k >= self.n:
            raise self.incomplete("unterminated '${'", start)
        c = text[k]
        if c == "}":
            return Param(name, quoted=quoted), k + 1
        if c == ":" and k + 1 < self.n and text[k + 1] in "-=?+":
            op, k = c + text[k + 1], k + 2
        elif c in "-=?+":
            op, k = c, k + 1
        elif c in "#%":
            op, k = (c + c, k + 2) if text.startswith(c + c, k) else (c, k + 1)
        else:
            raise self._bad_subst(start)
        arg_start = k
        parts, k = self.word(k, _DQ if quoted else _PLAIN, stop_brace=True)
        if k >= self.n:
            raise self.incomplete("unterminated '${'", start)
        arg = Word(tuple(parts), text[arg_start:k], self.pos(arg_start))
        return Param(name, op, arg, quoted), k + 1

    def _bad_subst(self, start: int) -> ShellSyntaxError:
        end = self.text.find("}", start, self.n)
        shown = self.text[start : end + 1] if end >= 0 else self.text[start : start + 10]
        if end < 0:
            return self.incomplete("unterminated '${'", start)
        return self.error(f"bad substitution '{shown}'", start)

    def _arith_end(self, i: int, start: int) -> int | None:
        """Index of the ``))`` closing ``$((`` whose text starts at ``i``, or None if
        the text is a command substitution that starts with a subshell."""
        text = self.text
        depth = 0
        while i < self.n:
            c = text[i]
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    return i if text.startswith(")", i + 1, self.n) else None
                depth -= 1
            i += 1
        if self.n == len(text):
            raise self.incomplete("unterminated '$(('", start)
        return None

    def cmdsub(self, start: int, j: int, quoted: bool) -> tuple[Part, int]:
        from shell._parser import parse_tokens

        sub = _Lexer(self.text, j, lines=self.lines, in_cmdsub=True, limit=self.n, opened_at=start)
        tokens = sub.run()
        program = parse_tokens(tokens)
        return CmdSub(program, quoted, self.text[start : sub.end]), sub.end

    def backquote(self, start: int, quoted: bool) -> tuple[Part, int]:
        from shell._parser import parse_tokens

        text = self.text
        out: list[str] = []
        i = start + 1
        while True:
            if i >= self.n:
                raise self.incomplete("unterminated '`'", start)
            c = text[i]
            if c == "`":
                break
            if c == "\\" and i + 1 < self.n and text[i + 1] in ('$`\\"' if quoted else "$`\\"):
                out.append(text[i + 1])
                i += 2
            else:
                out.append(c)
                i += 1
        inner = "".join(out)
        sub = _Lexer(inner, lines=_Lines(inner, self.pos(start + 1)))
        try:
            tokens = sub.run()
        except IncompleteInput as e:
            raise ShellSyntaxError(e.detail, e.line, e.col) from None
        return CmdSub(parse_tokens(tokens), quoted, text[start : i + 1]), i + 1


def _odd_backslashes(line: str) -> bool:
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


class _Parts:
    """The parts of a word being lexed: literal characters gather in ``buf`` and become
    one `Lit` (of the word's quoting) when another part comes or the word ends."""

    def __init__(self, quoted: bool) -> None:
        self.quoted = quoted
        self.buf: list[str] = []
        self.parts: list[Part] = []

    def flush(self) -> None:
        if self.buf:
            _add(self.parts, Lit("".join(self.buf), self.quoted))
            self.buf.clear()

    def part(self, part: Part) -> None:
        self.flush()
        self.parts.append(part)


def _add(parts: list[Part], lit: Lit) -> None:
    """Append a literal, merging it with a previous literal of the same quoting."""
    if parts and isinstance(parts[-1], Lit) and parts[-1].quoted == lit.quoted and lit.text:
        if parts[-1].text or not lit.quoted:
            parts[-1] = Lit(parts[-1].text + lit.text, lit.quoted)
            return
    parts.append(lit)


def _unquote_delimiter(raw: str) -> tuple[str, bool]:
    """A here-doc delimiter after quote removal, and whether any of it was quoted."""
    out: list[str] = []
    quoted = False
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c == "\\" and i + 1 < n:
            if raw[i + 1] != "\n":
                out.append(raw[i + 1])
            quoted = True
            i += 2
        elif c == "'":
            j = raw.find("'", i + 1)
            j = n if j < 0 else j
            out.append(raw[i + 1 : j])
            quoted = True
            i = j + 1
        elif c == '"':
            quoted = True
            i += 1
            while i < n and raw[i] != '"':
                if raw[i] == "\\" and i + 1 < n and raw[i + 1] in '$`"\\':
                    i += 1
                out.append(raw[i])
                i += 1
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out), quoted


def tokenize(text: str) -> list[Token]:
    """All tokens of ``text``, ending with an EOF token; here-doc bodies are attached to
    the word after ``<<``. Raises `ShellSyntaxError` / `IncompleteInput`."""
    tokens = _Lexer(text).run()
    if tokens[-1].error is not None:
        raise tokens[-1].error
    return tokens


def lex_word(text: str, pos: Pos = _START) -> Word:
    """``text`` as a single word, lexed as in a here-document body (``$``, backquotes and
    backslash before ``$ ` \\`` are special; nothing is split). For prompts and tests."""
    sub = _Lexer(text, lines=_Lines(text, pos))
    parts, _ = sub.dq(0, _HEREDOC, body_start=0)
    return Word(tuple(parts), text, pos)
