"""The syntax tree of a shell program.

Two layers. Words are sequences of parts that remember which text was quoted, so that
expansion can split fields and glob only where the source allowed it. Commands follow
xv6's sh.c in spirit (exec / redir / pipe / list / back), adapted to POSIX: a simple
command carries its own redirections and assignments, pipelines know every stage (the
runner can fill ``PIPESTATUS``), and a chain of ``&&``/``||`` is one flat node that a
runner walks in a loop, deciding from the status so far whether to run the next command.

Positions (``pos``) are for error messages and are left out of equality, so two parses of
the same program in different layouts compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Pos(NamedTuple):
    """A 1-based line and column in the shell text."""

    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.line}:{self.col}"


_NOPOS = Pos(0, 0)


# ---------------------------------------------------------------- words


@dataclass(frozen=True)
class Lit:
    """Literal text. ``quoted`` text is never split or globbed (quotes, backslash)."""

    text: str
    quoted: bool = False


@dataclass(frozen=True)
class Param:
    """``$name`` / ``${name…}``. ``op`` is None, one of ``- := = :? ? :+ + :-``
    (with ``arg`` the word after it), ``# ## % %%`` (``arg`` is a pattern) or ``len``
    (``${#name}``). ``name`` is a variable name, a positional number or a special
    parameter (``? $ ! # @ * - 0``)."""

    name: str
    op: str | None = None
    arg: Word | None = None
    quoted: bool = False


@dataclass(frozen=True)
class CmdSub:
    """``$(…)`` or a backquoted command; the runner supplies its output."""

    program: Sequence
    quoted: bool = False
    text: str = field(default="", compare=False)


@dataclass(frozen=True)
class Arith:
    """``$((…))``: ``expr`` is expanded (as if double-quoted), then evaluated."""

    expr: Word
    quoted: bool = False


Part = Lit | Param | CmdSub | Arith


@dataclass(frozen=True)
class Word:
    """One shell word. ``raw`` is its source text (used to recognise reserved words and
    to print commands back)."""

    parts: tuple[Part, ...]
    raw: str = field(default="", compare=False)
    pos: Pos = field(default=_NOPOS, compare=False)

    def literal(self) -> str | None:
        """The text after quote removal if the word has no expansions, else None."""
        if all(isinstance(p, Lit) for p in self.parts):
            return "".join(p.text for p in self.parts)  # type: ignore[union-attr]
        return None


# ---------------------------------------------------------------- commands


@dataclass(frozen=True)
class HereDoc:
    """A here-document body. When the delimiter was quoted, ``body`` is one quoted
    literal; otherwise it holds ``$`` expansions (never split, never globbed)."""

    body: Word
    delimiter: str
    expand: bool
    strip_tabs: bool


@dataclass(frozen=True)
class Redir:
    """``fd op target``. ``op`` is one of ``< > >> >| <> <& >& << <<-``; ``fd`` is the
    explicit number or the default (0 for ``<``-ops, 1 for ``>``-ops). For ``<&``/``>&``
    the target expands to a descriptor number or ``-`` (close); for here-docs it is a
    `HereDoc`."""

    fd: int
    op: str
    target: Word | HereDoc
    pos: Pos = field(default=_NOPOS, compare=False)


@dataclass(frozen=True)
class Assign:
    """``NAME=value`` before a command (or alone: sets a shell variable)."""

    name: str
    value: Word
    pos: Pos = field(default=_NOPOS, compare=False)


@dataclass(frozen=True)
class Simple:
    """A simple command: assignments, words (``words[0]`` names the program) and
    redirections in source order. No words means "assign / redirect only"."""

    assigns: tuple[Assign, ...]
    words: tuple[Word, ...]
    redirs: tuple[Redir, ...]
    pos: Pos = field(default=_NOPOS, compare=False)


@dataclass(frozen=True)
class Pipeline:
    """Two or more commands joined by ``|``, or one command under ``!`` (``negate``)."""

    commands: tuple[Command, ...]
    negate: bool = False
    pos: Pos = field(default=_NOPOS, compare=False)


@dataclass(frozen=True)
class AndOr:
    """``first && a || b …``: left to right, each ``(op, command)`` of ``rest`` runs only
    if the status so far is zero (``&&``) or nonzero (``||``); otherwise it is skipped
    and the status stays. Flat rather than nested, so long chains need no recursion."""

    first: Command
    rest: tuple[tuple[str, Command], ...]
    pos: Pos = field(default=_NOPOS, compare=False)


@dataclass(frozen=True)
class Background:
    """``command &``: run without waiting; ``$!`` becomes its pid."""

    command: Command
    pos: Pos = field(default=_NOPOS, compare=False)


@dataclass(frozen=True)
class Sequence:
    """Commands run one after the other (separated by ``;``, ``&`` or newlines)."""

    commands: tuple[Command, ...]
    pos: Pos = field(default=_NOPOS, compare=False)


@dataclass(frozen=True)
class Subshell:
    """``( body ) redirs``: body runs in a copy of the shell's state."""

    body: Sequence
    redirs: tuple[Redir, ...] = ()
    pos: Pos = field(default=_NOPOS, compare=False)


@dataclass(frozen=True)
class BraceGroup:
    """``{ body; } redirs``: body runs in the current shell."""

    body: Sequence
    redirs: tuple[Redir, ...] = ()
    pos: Pos = field(default=_NOPOS, compare=False)


Command = Simple | Pipeline | AndOr | Background | Sequence | Subshell | BraceGroup
