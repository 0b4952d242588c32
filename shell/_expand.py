"""Word expansion (POSIX 2.6): tilde, parameters, command substitution, arithmetic,
field splitting, pathname expansion (globbing) and quote removal.

Expansion needs three things from the outside, all in a `Context`: the variables and
special parameters, a filesystem to glob against (`GlobFS`, one method) and a way to run
a command substitution. The runner implements them over the kernel and the VFS; tests
use plain dicts and fakes, so everything here is pure and deterministic.

Fields are built from segments that remember whether their text was quoted: only the
unquoted results of expansions are split, and only unquoted text can be a pattern.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Protocol

from shell._lexer import is_name
from shell._nodes import Arith, CmdSub, HereDoc, Lit, Param, Sequence, Word
from shell.errors import ExpansionError

DEFAULT_IFS = " \t\n"
_GLOB_CHARS = frozenset("*?[")


class GlobFS(Protocol):
    """What globbing needs from a filesystem."""

    def listdir(self, path: str) -> Iterable[str] | None:
        """Names in directory ``path`` (``"."`` is the current directory), without
        ``.`` and ``..``; None if ``path`` is not a readable directory."""
        ...


@dataclass
class Context:
    """Everything expansion reads or writes. ``args`` are ``$1 …``; ``status`` is
    ``$?``; ``pid`` is ``$$``; ``last_bg`` is ``$!`` (None: unset); ``flags`` is ``$-``.
    ``fs`` None turns globbing off (``set -f``); ``substitute`` runs the program of a
    ``$(…)`` and returns its standard output."""

    vars: MutableMapping[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    arg0: str = "sh"
    status: int = 0
    pid: int = 1
    last_bg: int | None = None
    flags: str = ""
    nounset: bool = False
    fs: GlobFS | None = None
    substitute: Callable[[Sequence], str] | None = None

    def lookup(self, name: str) -> str | None:
        """Value of a variable, positional or special parameter; None when unset."""
        if name in self.vars:
            return self.vars[name]
        if name.isdigit():
            n = int(name)
            if n == 0:
                return self.arg0
            return self.args[n - 1] if n <= len(self.args) else None
        if len(name) == 1:
            match name:
                case "?":
                    return str(self.status)
                case "$":
                    return str(self.pid)
                case "!":
                    return None if self.last_bg is None else str(self.last_bg)
                case "#":
                    return str(len(self.args))
                case "-":
                    return self.flags
                case "@" | "*":
                    return " ".join(self.args) if self.args else None
        return None

    @property
    def ifs(self) -> str:
        return self.vars.get("IFS", DEFAULT_IFS)


# ---------------------------------------------------------------- fields


class _Fields:
    """Builds fields from (text, quoted) segments; ``split`` off means one field."""

    def __init__(self, ifs: str | None) -> None:
        self.ifs = ifs  # None: no splitting
        self.fields: list[list[tuple[str, bool]]] = []
        self.cur: list[tuple[str, bool]] = []
        self.keep = False  # the current field holds quoted text (so "" survives)

    def add(self, text: str, quoted: bool) -> None:
        if quoted:
            self.keep = True
        if text:
            self.cur.append((text, quoted))

    def add_expanded(self, text: str, quoted: bool) -> None:
        """Add the result of an expansion: split on IFS unless quoted."""
        ifs = self.ifs
        if quoted or not ifs:
            self.add(text, quoted)
            return
        white = "".join(c for c in ifs if c in DEFAULT_IFS)
        i, n = 0, len(text)
        while i < n:
            if text[i] in ifs:
                j = i
                while j < n and text[j] in white:
                    j += 1
                hard = False
                if j < n and text[j] in ifs and text[j] not in white:
                    hard = True
                    j += 1
                    while j < n and text[j] in white:
                        j += 1
                self.brk(hard)
                i = j
            else:
                j = i
                while j < n and text[j] not in ifs:
                    j += 1
                self.add(text[i:j], False)
                i = j

    def brk(self, hard: bool) -> None:
        """End the current field; an empty one survives only if ``hard`` (a non-blank
        IFS character, or the gap between ``"$@"`` arguments) or quoted."""
        if self.cur or self.keep or hard:
            self.fields.append(self.cur)
        self.cur = []
        self.keep = False

    def finish(self) -> list[list[tuple[str, bool]]]:
        if self.cur or self.keep:
            self.fields.append(self.cur)
        self.cur, self.keep = [], False
        return self.fields


class _Expander:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def word(
        self, word: Word, out: _Fields, force_quoted: bool = False, nested: bool = False
    ) -> None:
        """``nested``: the word of ``${x-word}``, whose unquoted text is itself the
        result of an expansion (so it is split)."""
        for part in word.parts:
            if isinstance(part, Lit):
                if nested and not (part.quoted or force_quoted):
                    out.add_expanded(part.text, False)
                else:
                    out.add(part.text, part.quoted or force_quoted)
            elif isinstance(part, Param):
                self.param(part, out, force_quoted)
            elif isinstance(part, CmdSub):
                out.add_expanded(self.cmdsub(part), part.quoted or force_quoted)
            elif isinstance(part, Arith):
                out.add_expanded(self.arith(part), part.quoted or force_quoted)

    def string(self, word: Word) -> str:
        """Expand without splitting or globbing (quote removal only)."""
        out = _Fields(None)
        self.word(word, out)
        return "".join(t for f in out.finish() for t, _ in f)

    def pattern(self, word: Word) -> str:
        """Expand a pattern word: quoted text is escaped so it matches itself."""
        out = _Fields(None)
        self.word(word, out)
        return "".join(_escape(t) if q else t for f in out.finish() for t, q in f)

    # ------------------------------------------------------------ parameters

    def param(self, p: Param, out: _Fields, force_quoted: bool) -> None:
        ctx = self.ctx
        quoted = p.quoted or force_quoted
        name, op = p.name, p.op
        if name in ("@", "*") and op is None:
            self._all_args(name, quoted, out)
            return
        value = ctx.lookup(name)
        if op == "len":
            if name in ("@", "*"):
                out.add_expanded(str(len(ctx.args)), quoted)
                return
            if value is None and ctx.nounset:
                raise ExpansionError(f"{name}: parameter not set")
            out.add_expanded(str(len(value or "")), quoted)
            return
        if op is None:
            if value is None and ctx.nounset and name not in ("@", "*"):
                raise ExpansionError(f"{name}: parameter not set")
            out.add_expanded(value or "", quoted)
            return
        assert p.arg is not None
        colon = op.startswith(":")
        base = op.lstrip(":")
        missing = value is None or (colon and value == "")
        if base == "-":
            if missing:
                self.word(p.arg, out, quoted, nested=True)
            else:
                out.add_expanded(value or "", quoted)
        elif base == "+":
            if not missing:
                self.word(p.arg, out, quoted, nested=True)
            else:
                out.add("", quoted)
        elif base == "=":
            if missing:
                if not is_name(name):
                    raise ExpansionError(f"${{{name}}}: cannot assign in this way")
                value = self.string(p.arg)
                ctx.vars[name] = value
            out.add_expanded(value or "", quoted)
        elif base == "?":
            if missing:
                msg = self.string(p.arg) or (
                    "parameter null or not set" if colon else "parameter not set"
                )
                raise ExpansionError(f"{name}: {msg}")
            out.add_expanded(value or "", quoted)
        else:  # # ## % %%
            if value is None and ctx.nounset:
                raise ExpansionError(f"{name}: parameter not set")
            out.add_expanded(_remove(value or "", op, self.pattern(p.arg)), quoted)

    def _all_args(self, name: str, quoted: bool, out: _Fields) -> None:
        args = self.ctx.args
        if quoted and name == "*":
            ifs = self.ctx.ifs
            out.add((ifs[:1] if "IFS" in self.ctx.vars else " ").join(args), True)
        elif quoted:
            for k, a in enumerate(args):
                if k:
                    out.brk(True)
                out.add(a, True)
        elif out.ifs is None:  # no splitting (assignment, redirection): like "$*"
            out.add(" ".join(args), False)
        else:
            for k, a in enumerate(args):
                if k:
                    out.brk(False)
                out.add_expanded(a, False)

    # ------------------------------------------------------------ substitutions

    def cmdsub(self, part: CmdSub) -> str:
        if self.ctx.substitute is None:
            raise ExpansionError("command substitution is not available here")
        return self.ctx.substitute(part.program).rstrip("\n")

    def arith(self, part: Arith) -> str:
        from shell._arith import evaluate

        return str(evaluate(self.string(part.expr), self.ctx))


# ---------------------------------------------------------------- tilde


def _tilde(word: Word, ctx: Context) -> Word:
    """Replace a leading unquoted ``~`` (alone or before ``/``) by ``$HOME``."""
    first = word.parts[0] if word.parts else None
    if not isinstance(first, Lit) or first.quoted or not first.text.startswith("~"):
        return word
    slash = first.text.find("/")
    if slash < 0 and len(word.parts) > 1:
        return word
    prefix = first.text[1:] if slash < 0 else first.text[1:slash]
    home = ctx.vars.get("HOME")
    if prefix or home is None:
        return word  # ~user needs a user database this system does not have
    rest = first.text[len(prefix) + 1 :]
    parts = (Lit(home, True),) + ((Lit(rest),) if rest else ()) + word.parts[1:]
    return Word(parts, word.raw, word.pos)


# ---------------------------------------------------------------- public


def expand_words(words: Iterable[Word], ctx: Context) -> list[str]:
    """Expand a command's words into fields: all expansions, field splitting,
    globbing against ``ctx.fs`` (a pattern that matches nothing stays as written),
    quote removal."""
    ex = _Expander(ctx)
    result: list[str] = []
    for word in words:
        out = _Fields(ctx.ifs)
        ex.word(_tilde(word, ctx), out)
        for segs in out.finish():
            text = "".join(t for t, _ in segs)
            if ctx.fs is not None and any(not q and _GLOB_CHARS & set(t) for t, q in segs):
                # A backslash in an unquoted expansion escapes, as in bash and POSIX.1-2024.
                pattern = "".join(_escape(t) if q else t for t, q in segs)
                matches = glob(pattern, ctx.fs) if _has_magic(pattern) else []
                if matches:
                    result.extend(matches)
                    continue
            result.append(text)
    return result


def expand_word(word: Word, ctx: Context) -> str:
    """Expand one word to one string, without splitting or globbing: for redirection
    targets and other places that need exactly one value."""
    return _Expander(ctx).string(_tilde(word, ctx))


def expand_assignment(word: Word, ctx: Context) -> str:
    """The value of ``NAME=word``: a tilde at the start or after an unquoted ``:``
    (``PATH=~/bin:~/sbin``), no splitting, no globbing."""
    home = ctx.vars.get("HOME")
    if home is None:
        return expand_word(word, ctx)
    parts: list = []
    n = len(word.parts)
    for k, part in enumerate(word.parts):
        if not isinstance(part, Lit) or part.quoted:
            parts.append(part)
            continue
        pieces = part.text.split(":")
        for m, piece in enumerate(pieces):
            if m:
                parts.append(Lit(":"))
            at_start = m > 0 or k == 0
            ends_here = m < len(pieces) - 1 or k == n - 1 or "/" in piece
            if at_start and ends_here and (piece == "~" or piece.startswith("~/")):
                parts.append(Lit(home, True))
                piece = piece[1:]
            if piece:
                parts.append(Lit(piece))
    return _Expander(ctx).string(Word(tuple(parts), word.raw, word.pos))


def expand_heredoc(doc: HereDoc, ctx: Context) -> str:
    """The text a here-document feeds to its command."""
    return _Expander(ctx).string(doc.body)


# ---------------------------------------------------------------- patterns


def _escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)


_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "xdigit": "0-9A-Fa-f",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "cntrl": "\\x00-\\x1f\\x7f",
    "print": "\\x20-\\x7e",
    "graph": "\\x21-\\x7e",
}


def _class_char(c: str) -> str:
    return "\\" + c if c in "\\]^-[" else c


def _bracket(pat: str, i: int) -> tuple[str, int] | None:
    """Translate the bracket expression at ``pat[i] == '['``; None if it is not one."""
    j = i + 1
    n = len(pat)
    negate = j < n and pat[j] in "!^"
    if negate:
        j += 1
    items: list[str] = []
    first = True
    while j < n:
        c = pat[j]
        if c == "]" and not first:
            body = "".join(items)
            return ("[^" if negate else "[") + body + "]", j + 1
        first = False
        if c == "[" and pat.startswith(":", j + 1):
            end = pat.find(":]", j + 2)
            if end >= 0 and pat[j + 2 : end] in _CLASSES:
                items.append(_CLASSES[pat[j + 2 : end]])
                j = end + 2
                continue
        if c == "\\" and j + 1 < n:
            c = pat[j + 1]
            j += 1
        lo = c
        j += 1
        if j + 1 < n and pat[j] == "-" and pat[j + 1] != "]":
            hi = pat[j + 1]
            j += 2
            if hi == "\\" and j < n:
                hi = pat[j]
                j += 1
            if lo <= hi:
                items.append(_class_char(lo) + "-" + _class_char(hi))
            continue
        items.append(_class_char(lo))
    return None


def _translate(pat: str) -> str:
    """A shell pattern (``\\`` escapes) as a regular expression."""
    out: list[str] = []
    i, n = 0, len(pat)
    while i < n:
        c = pat[i]
        if c == "\\" and i + 1 < n:
            out.append(re.escape(pat[i + 1]))
            i += 2
        elif c == "*":
            out.append(".*")
            i += 1
        elif c == "?":
            out.append(".")
            i += 1
        elif c == "[":
            br = _bracket(pat, i)
            if br is None:
                out.append(re.escape(c))
                i += 1
            else:
                out.append(br[0])
                i = br[1]
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def _compile(pat: str) -> re.Pattern[str]:
    return re.compile(_translate(pat), re.DOTALL)


def fnmatch(pattern: str, text: str) -> bool:
    """Whether ``text`` matches the shell ``pattern`` (``\\`` escapes a character;
    ``*`` matches ``/`` too, as in ``case`` and ``${x#pat}``)."""
    return _compile(pattern).fullmatch(text) is not None


def _remove(value: str, op: str, pattern: str) -> str:
    rx = _compile(pattern)
    n = len(value)
    if op == "#":
        cuts = ((value[:i], value[i:]) for i in range(n + 1))
    elif op == "##":
        cuts = ((value[:i], value[i:]) for i in range(n, -1, -1))
    elif op == "%":
        cuts = ((value[i:], value[:i]) for i in range(n, -1, -1))
    else:
        cuts = ((value[i:], value[:i]) for i in range(n + 1))
    for cut, rest in cuts:
        if rx.fullmatch(cut):
            return rest
    return value


def _split_path(pattern: str) -> list[str]:
    """Split a pattern on unescaped ``/``."""
    comps, cur, i = [], [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            cur.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "/":
            comps.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    comps.append("".join(cur))
    return comps


def _has_magic(comp: str) -> bool:
    i = 0
    while i < len(comp):
        if comp[i] == "\\":
            i += 2
            continue
        if comp[i] in "*?":
            return True
        if comp[i] == "[" and _bracket(comp, i) is not None:
            return True
        i += 1
    return False


def _join(base: str, name: str) -> str:
    if not base:
        return name
    return base + name if base.endswith("/") else base + "/" + name


def _listdir(fs: GlobFS, path: str) -> list[str] | None:
    names = fs.listdir(path or ".")
    return None if names is None else list(names)


def glob(pattern: str, fs: GlobFS) -> list[str]:
    """Paths matching ``pattern`` (``\\`` escapes), sorted; empty if none. A name that
    starts with ``.`` only matches a pattern component that starts with a literal ``.``."""
    comps = _split_path(pattern)
    bases = [""]
    if comps[0] == "":  # absolute
        bases, comps = ["/"], comps[1:]
    for k, comp in enumerate(comps):
        last = k == len(comps) - 1
        if comp == "":
            if last:  # trailing slash: directories only
                bases = [b + "/" for b in bases if _listdir(fs, b) is not None]
            continue
        found: list[str] = []
        if not _has_magic(comp):
            name = _unescape(comp)
            for b in bases:
                names = _listdir(fs, b)
                if names is not None and (name in names or name in (".", "..")):
                    found.append(_join(b, name))
        else:
            rx = _compile(comp)
            dot_ok = comp.startswith(".") or comp.startswith("\\.")
            for b in bases:
                for name in _listdir(fs, b) or ():
                    if name.startswith(".") and not dot_ok:
                        continue
                    if rx.fullmatch(name):
                        found.append(_join(b, name))
        bases = found
        if not bases:
            return []
    return sorted(bases)
